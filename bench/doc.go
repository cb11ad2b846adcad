// Package bench measures ceiling end to end on synthetic spike tests
// (internal/cmd/gencap) beside tshark: run.sh is the script, README.md's
// Performance table comes from it. BenchmarkAnalyze, in this package's
// tests, runs what `ceiling analyze` runs on given files so that a CPU or
// memory profile can be taken of it with go test's flags; check compares
// ceiling's JSON summary with the generator's expected verdict.
package bench
