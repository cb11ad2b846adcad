package pipeline

import (
	"bytes"
	"errors"
	"io"
	"iter"
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
// ends the stream after the records before it. Both ways of reading
// ahead, the goroutine's and the one processor's.
func TestReadAhead(t *testing.T) {
	boom := errors.New("boom")
	ways := map[string]func(next func() (int, error), size int) iter.Seq[*batch[int]]{
		"goroutine": func(next func() (int, error), size int) iter.Seq[*batch[int]] {
			return readOnGoroutine(each(next), nil, size)
		},
		"inline": func(next func() (int, error), size int) iter.Seq[*batch[int]] {
			return readInline(each(next), nil, size)
		},
	}
	const size = 7
	for way, read := range ways {
		for _, n := range []int{0, 1, size - 1, size, size + 1, 5*size + 3} {
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
				batches := 0
				for b := range read(next, size) {
					batches++
					if len(b.items) > size || len(b.items) == 0 && b.err == nil {
						t.Fatalf("%s n=%d: a batch of %d", way, n, len(b.items))
					}
					got = append(got, b.items...)
					if b.err != nil {
						gotErr = b.err
					}
					b.done()
				}
				if len(got) != n {
					t.Fatalf("%s n=%d fail=%v: %d records", way, n, fail, len(got))
				}
				for k, v := range got {
					if v != k+1 {
						t.Fatalf("%s n=%d: record %d is %d", way, n, k, v)
					}
				}
				if fail != (gotErr == boom) {
					t.Fatalf("%s n=%d fail=%v: error %v", way, n, fail, gotErr)
				}
				if want := (n + size - 1) / size; batches != want && !(fail && n%size == 0 && batches == want+1) {
					t.Fatalf("%s n=%d fail=%v: %d batches, want %d", way, n, fail, batches, want)
				}
			}
		}
	}
}

// TestReadAheadStops: a consumer that stops early is not blocked, and the
// goroutine ends: with a reader that never ends it would otherwise wait
// forever to hand over its next batch, holding the batches.
func TestReadAheadStops(t *testing.T) {
	n := 0
	next := func() (int, error) {
		n++
		return n, nil
	}
	before := runtime.NumGoroutine()
	for b := range readOnGoroutine(each(next), nil, 3) {
		b.done()
		break
	}
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("the reading goroutine still runs 10 s after the consumer stopped (%d goroutines, %d before)", runtime.NumGoroutine(), before)
		}
		time.Sleep(time.Millisecond)
	}
	// The goroutine's counter is not this one's: its end is not a point
	// the race detector can order this goroutine after.
	m := 0
	inline := func() (int, error) {
		m++
		return m, nil
	}
	seen := 0
	for b := range readInline(each(inline), nil, 3) {
		seen += len(b.items)
		b.done()
		if seen >= 6 {
			break
		}
	}
	if seen != 6 {
		t.Errorf("inline: %d records before stopping", seen)
	}
}

// each makes a reader's Next a read of a batch: records until dst is full
// or next fails, io.EOF included; the records before stay in dst.
func each[T any](next func() (T, error)) func([]T) (int, error) {
	return func(dst []T) (int, error) {
		for i := range dst {
			v, err := next()
			if err != nil {
				return i, err
			}
			dst[i] = v
		}
		return len(dst), nil
	}
}
