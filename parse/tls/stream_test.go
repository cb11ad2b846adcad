package tls

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// followFiles are the corpus streams copied by testdata/extract.sh, with
// their server's port.
func followFiles(t testing.TB) []*followStream {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "streams", "*.follow"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no streams in testdata/streams: %v", err)
	}
	var out []*followStream
	for _, p := range paths {
		out = append(out, readFollow(t, p, 443))
	}
	return out
}

// TestFollow runs the copied corpus streams (one chunk a segment, packets
// numbered by segment), compares them with their golden files, and, when
// the corpus is there, with the same streams read from the capture.
func TestFollow(t *testing.T) {
	for _, fs := range followFiles(t) {
		t.Run(fs.name, func(t *testing.T) {
			ops := append(fs.segs, op{kind: 'c', reason: EndOfCapture})
			got, c := runOps(ops, nil)
			golden(t, filepath.Join("streams", fs.name+".golden"), []byte(got))

			capture, stream, _ := strings.Cut(strings.TrimSuffix(fs.name, ".follow"), ".pcap.")
			if _, err := os.Stat(filepath.Join(corpusDir(), capture+".pcap")); err != nil && os.Getenv("CI") == "" {
				return
			}
			for _, fl := range readConns(t, capturePath(t, capture+".pcap"), nil) {
				if fmt.Sprint(fl.index) != stream {
					continue
				}
				want := ourViews(fl.c.Handshake())
				have := ourViews(c.Handshake())
				for s := range want {
					want[s].helloAt, want[s].alertAt, have[s].helloAt, have[s].alertAt = "", "", "", ""
					if have[s] != want[s] {
						t.Errorf("%s: from the stream file %s, from the capture %s", Side(s), have[s], want[s])
					}
				}
				return
			}
			t.Errorf("stream %s not in %s", stream, capture)
		})
	}
}

// allOps gives every connection of the test data as ops: the captures'
// connections and the copied streams.
func allOps(t *testing.T) map[string][]op {
	out := map[string][]op{}
	for _, name := range genCaptures {
		for _, fl := range readConns(t, capturePath(t, name), nil) {
			out[fmt.Sprintf("%s/%d", name, fl.index)] = fl.ops
		}
	}
	for _, fs := range followFiles(t) {
		out[fs.name] = append(fs.segs, op{kind: 'c', reason: EndOfCapture, pkt: int64(len(fs.segs))})
	}
	if _, err := os.Stat(corpusDir()); err == nil {
		for _, name := range corpusCaptures {
			for _, fl := range readConns(t, capturePath(t, name), nil) {
				out[fmt.Sprintf("%s/%d", name, fl.index)] = fl.ops
			}
		}
	}
	return out
}

// damage replaces the Feed at position i by a Gap of its length, as a
// capture that dropped that segment would.
func damage(ops []op, i int) []op {
	out := append([]op(nil), ops...)
	out[i] = op{kind: 'g', side: ops[i].side, n: int64(len(ops[i].data))}
	return out
}

// TestChunking checks that how the streams are cut does not matter: each
// connection fed as captured, cut into random pieces, byte by byte, and
// with consecutive segments joined gives the same result; likewise after
// a segment is lost, which exercises the search for record boundaries.
func TestChunking(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for name, ops := range allOps(t) {
		variants := map[string][]op{"as captured": ops}
		// Up to 8 losses a connection, spread over it.
		var feeds []int
		for i, o := range ops {
			if o.kind == 'f' {
				feeds = append(feeds, i)
			}
		}
		for k := 0; k < 8 && k < len(feeds); k++ {
			i := feeds[k*len(feeds)/min(8, len(feeds))]
			variants[fmt.Sprintf("segment %d lost", i)] = damage(ops, i)
		}
		for vname, v := range variants {
			want, _ := runOps(v, nil)
			for _, cut := range []struct {
				name string
				ops  []op
			}{
				{"random pieces", split(v, func() int { return 1 + rng.IntN(300) })},
				{"small pieces", split(v, func() int { return 1 + rng.IntN(7) })},
				{"bytes", split(v, func() int { return 1 })},
			} {
				if got, _ := runOps(cut.ops, nil); got != want {
					t.Errorf("%s, %s, in %s:\n%s", name, vname, cut.name, diff(want, got))
				}
			}
			if got, _ := runOps(merge(v), nil); unstamped(got) != unstamped(want) {
				t.Errorf("%s, %s, segments joined:\n%s", name, vname, diff(unstamped(want), unstamped(got)))
			}
		}
	}
}

// diff shows the first differing line.
func diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(w), len(g)) {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return fmt.Sprintf("line %d\n want %s\n got  %s", i+1, a, b)
		}
	}
	return "same lines"
}
