package http

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var writeSeeds = flag.Bool("seeds", false, "rewrite the real-stream seeds in testdata/fuzz")

// fuzzOps turns fuzz arguments into a script: the bytes, with a gap of
// gapLen at gapAt when both fit.
func fuzzOps(data []byte, gapAt, gapLen uint16) []op {
	if gapLen == 0 || int(gapAt) > len(data) {
		return []op{{data: data}}
	}
	return []op{{data: data[:gapAt]}, gap(int64(gapLen)), {data: data[gapAt:]}}
}

// sameInAnyCut is the fuzzers' invariant: no panic, and the events do not
// depend on how the bytes are cut, nor on whether the messages are cut
// from Blocks, nor on whether they are read into messages given back.
func sameInAnyCut(t *testing.T, resp bool, ops []op, seed uint64) {
	want := run(t, resp, nil, ops, whole)
	if got := run(t, resp, &Options{Blocks: &Blocks{}}, ops, randomSplits(seed)); got != want {
		t.Fatalf("random cuts (seed %d):\n%s\nwhole:\n%s", seed, got, want)
	}
	if got := runRecycling(t, resp, &Options{Blocks: &Blocks{}}, ops, randomSplits(seed+1), true); got != want {
		t.Fatalf("messages given back, random cuts (seed %d):\n%s\nwhole:\n%s", seed+1, got, want)
	}
	n := 0
	for _, o := range ops {
		n += len(o.data)
	}
	if n <= 2048 {
		if got := run(t, resp, nil, ops, bytewise); got != want {
			t.Fatalf("byte at a time:\n%s\nwhole:\n%s", got, want)
		}
	}
}

func addCaseSeeds(f *testing.F, resp bool, add func(data []byte)) {
	for _, c := range streamCases {
		if c.resp != resp {
			continue
		}
		var b []byte
		for _, o := range c.ops {
			b = append(b, o.data...)
		}
		add(b)
	}
}

// FuzzRequest feeds arbitrary bytes to a RequestParser, with a gap and
// an answer to the upgrade question.
func FuzzRequest(f *testing.F) {
	addCaseSeeds(f, false, func(b []byte) { f.Add(b, uint64(1), uint16(0), uint16(0), uint16(101)) })
	f.Fuzz(func(t *testing.T, data []byte, seed uint64, gapAt, gapLen, code uint16) {
		ops := fuzzOps(data, gapAt, gapLen)
		ops = append(ops, answer(int(code)), closeOp())
		sameInAnyCut(t, false, ops, seed)
	})
}

// FuzzResponse feeds arbitrary bytes to a ResponseParser told of the
// requests' methods (H: HEAD, C: CONNECT, anything else GET).
func FuzzResponse(f *testing.F) {
	addCaseSeeds(f, true, func(b []byte) { f.Add(b, uint64(1), uint16(0), uint16(0), "GGG") })
	f.Fuzz(func(t *testing.T, data []byte, seed uint64, gapAt, gapLen uint16, methods string) {
		var ops []op
		for i := 0; i < len(methods) && i < 16; i++ {
			switch methods[i] {
			case 'H':
				ops = append(ops, expect("HEAD"))
			case 'C':
				ops = append(ops, expect("CONNECT"))
			default:
				ops = append(ops, expect("GET"))
			}
		}
		ops = append(ops, fuzzOps(data, gapAt, gapLen)...)
		ops = append(ops, closeOp())
		sameInAnyCut(t, true, ops, seed)
	})
}

// TestFuzzSeeds writes each side of every real connection as a seed of
// FuzzRequest or FuzzResponse (go test -run TestFuzzSeeds -seeds).
// Without -seeds it checks that the seeds are there.
func TestFuzzSeeds(t *testing.T) {
	for _, c := range readConns(t) {
		for _, s := range []struct {
			target, file string
			b            []byte
			args         string
		}{
			{"FuzzRequest", c.clientFile, c.client, "uint64(1)\nuint16(0)\nuint16(0)\nuint16(101)\n"},
			{"FuzzResponse", c.serverFile, c.server, "uint64(1)\nuint16(0)\nuint16(0)\nstring(\"GGGGGGGG\")\n"},
		} {
			if s.file == "" || len(s.b) > 64<<10 {
				continue
			}
			path := filepath.Join("testdata", "fuzz", s.target, "real-"+strings.TrimSuffix(s.file, ".bin"))
			if !*writeSeeds {
				if _, err := os.Stat(path); err != nil {
					t.Errorf("seed missing (go test -run TestFuzzSeeds -seeds): %v", err)
				}
				continue
			}
			os.MkdirAll(filepath.Dir(path), 0o755)
			text := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n%s", strconv.Quote(string(s.b)), s.args)
			if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
