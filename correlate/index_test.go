package correlate

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

// TestIDIndex: the index gives what a map by the IDs themselves gives
// (the latest attempt for a Call-ID, all of them in order for a trace
// ID), with the real hash and with ones under which IDs collide, where
// the confirmation against the attempt carries it alone; with too few IDs
// for the index's buckets, and with enough, their hashes in the first
// bucket, the last, or spread over them.
func TestIDIndex(t *testing.T) {
	for _, hash := range []struct {
		name string
		fn   func(string) uint64
	}{
		{"maphash", idHash},
		{"all collide", func(string) uint64 { return 7 << 32 }},
		{"two runs", func(s string) uint64 { return uint64(len(s)%2) << 40 }},
		{"low bits differ only", func(s string) uint64 { return uint64(len(s)) }},
		{"top bits only", func(s string) uint64 { return uint64(len(s)) << 61 }},
		{"last bucket", func(s string) uint64 { return ^uint64(0) - uint64(len(s)) }},
	} {
		for _, n := range []int{5, 300} {
			testIDIndex(t, fmt.Sprint(hash.name, ", ", n, " IDs"), hash.fn, n)
		}
	}
}

func testIDIndex(t *testing.T, name string, hash func(string) uint64, n int) {
	var ids []string
	x := newIDIndex(func(i int32) string { return ids[i] })
	x.hash = hash
	want := map[string][]int32{}
	for i := 0; i < n; i++ {
		// Every third ID repeats an earlier one: a re-INVITE after a
		// challenge, a trace carried by several requests.
		id := fmt.Sprintf("id-%d", i)
		if i%3 == 2 {
			id = ids[i-2]
		}
		ids = append(ids, id)
		x.put(id, int32(i))
		want[id] = append(want[id], int32(i))
	}
	for id, w := range want {
		if got, ok := x.last(id); !ok || got != w[len(w)-1] {
			t.Errorf("%s: last(%q) = %d, %v; want %d", name, id, got, ok, w[len(w)-1])
		}
		if got := x.all(nil, id); !slices.Equal(got, w) {
			t.Errorf("%s: all(%q) = %v; want %v", name, id, got, w)
		}
	}
	for _, id := range []string{"", "id-x", "id-1000"} {
		if i, ok := x.last(id); ok {
			t.Errorf("%s: last(%q) found %d", name, id, i)
		}
		if got := x.all(nil, id); len(got) != 0 {
			t.Errorf("%s: all(%q) = %v", name, id, got)
		}
	}
}

// TestIDWindow: the window gives each attempt's head and IDs as the log
// holds them, from pages on disk and in memory, in order, back and forth
// over more pages than it keeps, and after its slots were reused.
func TestIDWindow(t *testing.T) {
	log := newAttemptLog(SpillOptions{Dir: t.TempDir(), Pages: 2, PageItems: 4})
	const n = 50
	for i := 0; i < n; i++ {
		a := Attempt{Time: int64(i) * 1e6, CallID: fmt.Sprintf("call-%d", i), Layer: LayerSIP, Status: "200"}
		if i%3 == 0 {
			a.TraceID = fmt.Sprintf("trace-%d", i)
			a.Failed, a.Status = true, "503"
			a.Detail = &Detail{ReasonPhrase: "Service Unavailable", RetryAfter: -1}
		}
		log.Append(a)
		log.Settle()
	}
	w := newIDWindow(log)
	for _, order := range []struct {
		name string
		idx  []int
	}{
		{"forward", seq(0, n, 1)},
		{"backward", seq(n-1, -1, -1)},
		{"strided over every slot", seq(0, n, 13)},
		{"back and forth", []int{0, 49, 1, 48, 20, 3, 47, 21, 0, 49}},
	} {
		for _, i := range order.idx {
			got := *w.at(i)
			want := log.Get(i)
			want.Detail = nil
			if got != want {
				t.Errorf("%s: attempt %d = %+v, want %+v", order.name, i, got, want)
			}
		}
	}
	// Pages of four, read again from the slot read last or from another:
	// the one least recently read goes when a fifth comes.
	for _, c := range []struct {
		idx        []int
		kept, gone int
	}{
		{[]int{0, 1, 4, 2, 8, 12, 16}, 0, 4},
		{[]int{0, 4, 1, 5, 8, 12, 16}, 4, 0},
	} {
		w = newIDWindow(log)
		for _, i := range c.idx {
			w.at(i)
		}
		if w.peek(c.kept) == nil || w.peek(c.gone) != nil {
			t.Errorf("read %v: attempt %d in a slot %v, %d %v; want only the first", c.idx, c.kept, w.peek(c.kept) != nil, c.gone, w.peek(c.gone) != nil)
		}
	}
	if err := log.Err(); err != nil || !log.Spilled() {
		t.Fatalf("log: err %v, spilled %v", err, log.Spilled())
	}
}

func seq(from, to, step int) []int {
	var out []int
	for i := from; i != to && (step > 0) == (i < to); i += step {
		out = append(out, i)
	}
	return out
}

// TestBucketSort: the keys come out as slices.Sort puts them and the
// starts say where each bucket begins, with the keys spread, piled in a
// few buckets (some longer than an insertion sort takes) or in none but
// the first and the last.
func TestBucketSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		name string
		n    int
		key  func(i int) uint64
	}{
		{"spread", 5000, func(int) uint64 { return rng.Uint64() }},
		{"spread, in order", 5000, func(i int) uint64 { return uint64(i) << 48 }},
		{"spread, backwards", 5000, func(i int) uint64 { return uint64(5000-i) << 48 }},
		{"few buckets", 3000, func(int) uint64 { return rng.Uint64N(3)<<61 | rng.Uint64N(1<<40) }},
		{"one bucket, 33", 33, func(int) uint64 { return rng.Uint64N(1 << 32) }},
		{"ends only", 800, func(i int) uint64 { return uint64(i%2)*^uint64(0) ^ rng.Uint64N(1<<20) }},
	} {
		for _, b := range []int{1, 4, 9} {
			keys := make([]uint64, tc.n)
			for i := range keys {
				keys[i] = tc.key(i)
			}
			want := slices.Sorted(slices.Values(keys))
			keys, starts := bucketSort(keys, b)
			if !slices.Equal(keys, want) {
				t.Errorf("%s, %d bits: keys not sorted", tc.name, b)
			}
			for i, s := range starts {
				w := sort.Search(len(want), func(k int) bool { return want[k]>>(64-b) >= uint64(i) })
				if int(s) != w {
					t.Errorf("%s, %d bits: bucket %d starts at %d, want %d", tc.name, b, i, s, w)
					break
				}
			}
		}
	}
}
