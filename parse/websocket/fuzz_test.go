package websocket

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

// FuzzFrames feeds arbitrary bytes, with a gap, to a parser of either
// direction with any negotiated extensions. Invariants: no panic, and the
// events do not depend on how the bytes are cut.
func FuzzFrames(f *testing.F) {
	for _, c := range frameCases {
		var b []byte
		for _, o := range c.ops {
			b = append(b, o.data...)
		}
		f.Add(b, uint64(1), c.opts.FromClient, c.opts.Extensions, uint16(0), uint16(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, seed uint64, fromClient bool, ext string, gapAt, gapLen uint16) {
		// Small limits, so that the fuzzer reaches them.
		o := Options{FromClient: fromClient, Extensions: ext, MaxMessage: 512, MaxCompressed: 4096, MaxInflate: 1 << 16}
		ops := []op{{data: data}}
		if gapLen > 0 && int(gapAt) <= len(data) {
			ops = []op{{data: data[:gapAt]}, gap(int64(gapLen)), {data: data[gapAt:]}}
		}
		ops = append(ops, closeOp())
		want := run(o, ops, whole)
		if got := run(o, ops, randomSplits(seed)); got != want {
			t.Fatalf("random cuts (seed %d):\n%s\nwhole:\n%s", seed, got, want)
		}
		// Messages read as they are reported: reusing them changes
		// nothing.
		reuse := o
		reuse.ReuseMessages = true
		if got := run(reuse, ops, randomSplits(seed)); got != want {
			t.Fatalf("messages reused, random cuts (seed %d):\n%s\nwhole:\n%s", seed, got, want)
		}
		// Without frame events, the rest is the same.
		quiet := reuse
		quiet.NoFrames = true
		if got, w := run(quiet, ops, randomSplits(seed)), withoutFrames(want); got != w {
			t.Fatalf("no frame events, random cuts (seed %d):\n%s\nwhole, frames left out:\n%s", seed, got, w)
		}
		if len(data) <= 2048 {
			if got := run(o, ops, bytewise); got != want {
				t.Fatalf("byte at a time:\n%s\nwhole:\n%s", got, want)
			}
		}
	})
}

// TestFuzzSeeds writes each WebSocket side of the real connections as a
// seed of FuzzFrames (go test -run TestFuzzSeeds -seeds); without -seeds
// it checks they are there.
func TestFuzzSeeds(t *testing.T) {
	for _, s := range realSides(t) {
		if len(s.bytes) == 0 {
			continue
		}
		path := filepath.Join("testdata", "fuzz", "FuzzFrames", "real-"+strings.TrimSuffix(s.file, ".bin"))
		if !*writeSeeds {
			if _, err := os.Stat(path); err != nil {
				t.Errorf("seed missing (go test -run TestFuzzSeeds -seeds): %v", err)
			}
			continue
		}
		os.MkdirAll(filepath.Dir(path), 0o755)
		text := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\nuint64(1)\nbool(%v)\nstring(%s)\nuint16(0)\nuint16(0)\n",
			strconv.Quote(string(s.bytes)), s.fromClient, strconv.Quote(s.ext))
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// withoutFrames drops the frame events from run's account.
func withoutFrames(s string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(s, "\n") {
		if !strings.HasPrefix(l, "frame @") {
			b.WriteString(l)
		}
	}
	return b.String()
}
