#!/usr/bin/env bash
# The project's test command (README.md): formatting, vet, every test, and a
# short run of each fuzz target on its committed seed corpus plus a few
# seconds of new inputs. FUZZTIME=0 skips the fuzzing.
set -euo pipefail
cd "$(dirname "$0")"

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt needed on:" >&2
	echo "$unformatted" >&2
	exit 1
fi
go vet ./...
go test -count=1 ./...

# A count, not a duration: a duration-limited run can fail with a bare
# "context deadline exceeded" and no crasher (go.dev/issue/75804, a race in
# the fuzz coordinator fixed only in Go 1.27).
fuzztime=${FUZZTIME:-20000x}
if [ "$fuzztime" != "0" ]; then
	# Each package's fuzz targets, one at a time (go test -fuzz takes one).
	for pkg in $(go list ./...); do
		dir=$(go list -f '{{.Dir}}' "$pkg")
		for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
			echo "fuzz $pkg $target ($fuzztime)"
			go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" "$pkg"
		done
	done
fi
