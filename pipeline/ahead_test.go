package pipeline

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/ceiling-dev/ceiling/report"
)

// TestSameOnOneCore: reading ahead on a goroutine must not change a
// result. The demo, every edge fixture and a TLS fixture with its key log,
// with GOMAXPROCS=1 and with several, give the same JSON byte for byte.
func TestSameOnOneCore(t *testing.T) {
	runs := fixtureRuns(t)
	summary := func(paths []string, procs int) []byte {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		doc, err := Run(Config{Paths: paths, Now: time.Unix(0, 0).UTC()})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := report.WriteJSON(&b, doc); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	for _, paths := range runs {
		one, many := summary(paths, 1), summary(paths, 4)
		if !bytes.Equal(one, many) {
			t.Errorf("%v: the JSON differs between GOMAXPROCS=1 and 4", paths)
		}
	}
}

// fixtureRuns are the demo's capture and JTL and each edge fixture's,
// the inputs of one run each.
func fixtureRuns(t *testing.T) [][]string {
	t.Helper()
	runs := [][]string{{"../testdata/demo/spike.pcapng.gz", "../testdata/demo/spike.jtl"}}
	dirs, _ := filepath.Glob("../testdata/fixtures/*")
	for _, d := range dirs {
		paths, _ := filepath.Glob(filepath.Join(d, "capture.*"))
		runs = append(runs, append(paths, filepath.Join(d, "results.jtl")))
	}
	if len(runs) < 9 {
		t.Fatalf("fixtures missing: %d runs", len(runs))
	}
	return runs
}

// TestReadAhead: every record in order, across batch boundaries; an error
// ends the stream after the records before it.
func TestReadAhead(t *testing.T) {
	boom := errors.New("boom")
	for _, n := range []int{0, 1, batchLen - 1, batchLen, batchLen + 1, 5*batchLen + 7} {
		for _, fail := range []bool{false, true} {
			i := 0
			next := func() (int, error) {
				if i == n {
					if fail {
						return 0, boom
					}
					return 0, io.EOF
				}
				i++
				return i, nil
			}
			var got []int
			var gotErr error
			for b := range readAhead(next, nil) {
				got = append(got, b.items...)
				if b.err != nil {
					gotErr = b.err
				}
				b.done()
			}
			if len(got) != n {
				t.Fatalf("n=%d fail=%v: %d records", n, fail, len(got))
			}
			for k, v := range got {
				if v != k+1 {
					t.Fatalf("n=%d: record %d is %d", n, k, v)
				}
			}
			if fail != (gotErr == boom) {
				t.Fatalf("n=%d fail=%v: error %v", n, fail, gotErr)
			}
		}
	}
}
