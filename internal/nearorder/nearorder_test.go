package nearorder

import (
	"math/rand"
	"slices"
	"testing"
)

func less(a, b *int64) bool { return *a < *b }

// TestOrder: whatever the order of pushes (nearly in order, reversed,
// random), what comes out is what a sort gives.
func TestOrder(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, mode := range []string{"near", "reversed", "random"} {
		q := Queue[int64]{Less: less}
		var in []int64
		for i := 0; i < 20000; i++ {
			var v int64
			switch mode {
			case "near":
				v = int64(i) * 10
				if rng.Intn(20) == 0 {
					v -= rng.Int63n(1000)
				}
			case "reversed":
				v = int64(20000 - i)
			default:
				v = rng.Int63n(1000)
			}
			q.Push(v)
			in = append(in, v)
		}
		var got []int64
		for q.Len() > 0 {
			m := *q.Min()
			if v := q.Pop(); v != m {
				t.Fatalf("%s: Min %d, Pop %d", mode, m, v)
			}
			got = append(got, m)
		}
		slices.Sort(in)
		if !slices.Equal(got, in) {
			t.Fatalf("%s: out of order", mode)
		}
		if q.Min() != nil || len(q.All()) != 0 {
			t.Fatalf("%s: an empty queue holds something", mode)
		}
	}
}

// TestWindow: items at most a window late, popped once they are a window
// behind the newest, as the capture stage does: everything comes out, in
// order, while pushes and pops interleave.
func TestWindow(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	q := Queue[int64]{Less: less}
	const window = 200
	var newest int64
	var got []int64
	n := 0
	for i := 0; i < 50000; i++ {
		newest += rng.Int63n(10)
		v := newest - rng.Int63n(window/2)*int64(rng.Intn(10)/9)
		q.Push(v)
		n++
		for q.Len() > 0 && *q.Min() <= newest-window {
			got = append(got, q.Pop())
		}
	}
	for q.Len() > 0 {
		got = append(got, q.Pop())
	}
	if len(got) != n || !slices.IsSorted(got) {
		t.Fatalf("%d of %d out, sorted %v", len(got), n, slices.IsSorted(got))
	}
}

// TestGrowWrapped: the ring grows while its items wrap round its end, and
// keeps them in order, late ones and all, whatever the step at which it
// grows.
func TestGrowWrapped(t *testing.T) {
	for _, tc := range []struct{ first, popped, more int }{
		{50, 40, 100}, {64, 63, 64}, {64, 1, 1}, {100, 99, 300}, {1, 1, 129},
	} {
		q := Queue[int64]{Less: less}
		var want []int64
		v := int64(0)
		push := func(k int) {
			for i := 0; i < k; i++ {
				v += 3
				x := v
				if i%7 == 6 {
					x -= 5 // late: to the heap
				}
				q.Push(x)
				want = append(want, x)
			}
		}
		push(tc.first)
		slices.Sort(want)
		for i := 0; i < tc.popped; i++ {
			if got := q.Pop(); got != want[0] {
				t.Fatalf("%+v: pop %d gave %d, want %d", tc, i, got, want[0])
			}
			want = want[1:]
		}
		push(tc.more)
		slices.Sort(want)
		if all := q.All(); len(all) != len(want) {
			t.Fatalf("%+v: All has %d, want %d", tc, len(all), len(want))
		}
		for i, w := range want {
			if got := q.Pop(); got != w {
				t.Fatalf("%+v: after growing, pop %d gave %d, want %d", tc, i, got, w)
			}
		}
		if q.Len() != 0 || q.Min() != nil {
			t.Fatalf("%+v: not empty at the end", tc)
		}
	}
}

// TestInOrder: InOrder reads the items pushed in order, least first,
// whether the ring wraps round its end or has grown, and none of the late
// ones.
func TestInOrder(t *testing.T) {
	for _, tc := range []struct{ first, popped, more int }{
		{0, 0, 0}, {10, 0, 0}, {50, 40, 30}, {64, 63, 64}, {100, 99, 300},
	} {
		q := Queue[int64]{Less: less}
		var held []int64 // the items pushed in order, not popped
		v := int64(0)
		push := func(k int) {
			for i := 0; i < k; i++ {
				v += 3
				if i%7 == 6 {
					q.Push(v - 5) // late: to the heap
					continue
				}
				q.Push(v)
				held = append(held, v)
			}
		}
		push(tc.first)
		for range tc.popped {
			if x := q.Pop(); len(held) > 0 && x == held[0] {
				held = held[1:]
			}
		}
		push(tc.more)
		for i := -1; i <= len(held); i++ {
			got := q.InOrder(i)
			switch {
			case i < 0 || i == len(held):
				if got != nil {
					t.Fatalf("%+v: InOrder(%d) = %d, want nil", tc, i, *got)
				}
			case got == nil || *got != held[i]:
				t.Fatalf("%+v: InOrder(%d) = %v, want %d", tc, i, got, held[i])
			}
		}
	}
}

// BenchmarkNearlyInOrder: a push and a pop, one item in 20 late.
func BenchmarkNearlyInOrder(b *testing.B) {
	q := Queue[int64]{Less: less}
	for i := 0; i < b.N; i++ {
		v := int64(i)
		if i%20 == 0 {
			v -= 50
		}
		q.Push(v)
		if q.Len() > 100 {
			q.Pop()
		}
	}
}

// TestNoAllocation: a push and a pop of a large item allocate nothing
// once the queue has its room (the capture stage pushes every event).
func TestNoAllocation(t *testing.T) {
	type big struct {
		at  int64
		pad [24]int64
	}
	q := Queue[big]{Less: func(a, b *big) bool { return a.at < b.at }}
	i := int64(0)
	step := func() {
		i++
		v := big{at: i}
		if i%3 == 0 {
			v.at -= 2 // late: to the heap
		}
		q.Push(v)
		if q.Len() > 64 {
			q.Pop()
		}
	}
	for k := 0; k < 10000; k++ {
		step()
	}
	if n := testing.AllocsPerRun(1000, step); n != 0 {
		t.Errorf("%v allocations per push and pop", n)
	}
}
