package jtl

import (
	"math"
	"math/rand"
	"sort"
	"testing"
	"time"
)

// refOrder is the plain definition of what reorder does: hold everything,
// and let out the least (start, seq) when it is ready.
type refOrder struct {
	window   int64
	held     []orderEntry
	maxStart int64
	started  bool
}

func (r *refOrder) push(start int64, seq uint64) {
	r.held = append(r.held, orderEntry{start: start, seq: seq})
	if !r.started || start > r.maxStart {
		r.maxStart, r.started = start, true
	}
}

func (r *refOrder) min() int {
	best := 0
	for i, e := range r.held {
		b := r.held[best]
		if e.start < b.start || e.start == b.start && e.seq < b.seq {
			best = i
		}
	}
	return best
}

func (r *refOrder) ready(drain bool) bool {
	if len(r.held) == 0 {
		return false
	}
	return drain || len(r.held) > maxPending || uint64(r.maxStart)-uint64(r.held[r.min()].start) > uint64(r.window)
}

func (r *refOrder) pop() orderEntry {
	i := r.min()
	e := r.held[i]
	r.held = append(r.held[:i], r.held[i+1:]...)
	return e
}

// TestReorderAgainstDefinition feeds the bucket queue and the definition
// the same starts, in the shapes files have (nearly ordered ends, long
// samples, jumps of hours, starts at the ends of int64, parents committed
// after their children) and checks that they let the same samples out in
// the same order.
func TestReorderAgainstDefinition(t *testing.T) {
	shapes := map[string]func(rng *rand.Rand, i int, last int64) int64{
		"ends in order": func(rng *rand.Rand, i int, last int64) int64 {
			return 1_764_000_000_000 + int64(i)*3 - rng.Int63n(3000)
		},
		"long samples": func(rng *rand.Rand, i int, last int64) int64 {
			return 1_764_000_000_000 + int64(i)*10 - rng.Int63n(200_000)
		},
		"wider than the ring": func(rng *rand.Rand, i int, last int64) int64 {
			return 1_764_000_000_000 + int64(i)*50 - rng.Int63n(400_000)
		},
		"jumps": func(rng *rand.Rand, i int, last int64) int64 {
			if rng.Intn(50) == 0 {
				return last + rng.Int63n(10*3600_000) - 5*3600_000
			}
			return last + rng.Int63n(100) - 40
		},
		"extremes": func(rng *rand.Rand, i int, last int64) int64 {
			switch rng.Intn(6) {
			case 0:
				return math.MaxInt64 - rng.Int63n(1000)
			case 1:
				return math.MinInt64 + rng.Int63n(1000)
			case 2:
				return 0
			}
			return rng.Int63n(1 << 20)
		},
		"scattered": func(rng *rand.Rand, i int, last int64) int64 {
			if rng.Intn(2) == 0 {
				return rng.Int63n(1<<50) - 1<<49
			}
			return math.MinInt64 + rng.Int63n(100)
		},
		"one start": func(rng *rand.Rand, i int, last int64) int64 { return 42 },
	}
	for name, next := range shapes {
		for _, window := range []time.Duration{time.Millisecond, time.Second, time.Minute, 10 * time.Minute} {
			rng := rand.New(rand.NewSource(int64(len(name)) + int64(window)))
			q := newReorder(window)
			ref := &refOrder{window: q.window}
			var last int64 = 1_764_000_000_000
			var pending []uint64 // XML: a parent's seq taken before its children's
			for i := 0; i < 8000; i++ {
				start := next(rng, i, last)
				last = start
				var seq uint64
				switch {
				case rng.Intn(10) == 0:
					seq = q.nextSeq()
					pending = append(pending, seq)
					continue
				case len(pending) > 0 && rng.Intn(3) == 0:
					seq = pending[len(pending)-1]
					pending = pending[:len(pending)-1]
				default:
					seq = q.nextSeq()
				}
				slot, s := q.alloc()
				s.Start = start
				q.commit(slot, seq)
				ref.push(start, seq)
				for q.ready(false) || ref.ready(false) {
					compare(t, &q, ref, name)
				}
			}
			for q.ready(true) || ref.ready(true) {
				compare(t, &q, ref, name)
			}
			if t.Failed() {
				return
			}
		}
	}
}

func compare(t *testing.T, q *reorder, ref *refOrder, name string) {
	t.Helper()
	if q.ready(true) != ref.ready(true) || q.ready(false) != ref.ready(false) {
		t.Fatalf("%s: ready differs", name)
	}
	want := ref.pop()
	slot := q.popSlot()
	if got := (orderEntry{start: q.at(slot).Start, seq: q.seqOf[slot]}); got.start != want.start || got.seq != want.seq {
		t.Fatalf("%s: out (%d, %d), want (%d, %d)", name, got.start, got.seq, want.start, want.seq)
	}
}

// The definition itself, on a case small enough to read.
func TestRefOrder(t *testing.T) {
	r := &refOrder{window: 10}
	for i, s := range []int64{5, 3, 30, 4} {
		r.push(s, uint64(i))
	}
	var got []int64
	for r.ready(true) {
		got = append(got, r.pop().start)
	}
	if !sort.SliceIsSorted(got, func(i, j int) bool { return got[i] < got[j] }) || len(got) != 4 {
		t.Fatal(got)
	}
}
