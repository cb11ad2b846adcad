package correlate

import (
	"math/rand"
	"slices"
	"testing"
)

// TestSelectAt holds selectAt to a sort: at every asked position the
// sorted value, for inputs that defeat a careless quickselect (equal
// values, runs in order, few distinct values) and at every length from
// empty to past the sorted small ranges.
func TestSelectAt(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	shapes := []struct {
		name string
		make func(n int) []int64
	}{
		{"random", func(n int) []int64 { return fill(n, func(int) int64 { return rng.Int63() - 1<<62 }) }},
		{"few values", func(n int) []int64 { return fill(n, func(int) int64 { return rng.Int63n(3) }) }},
		{"all equal", func(n int) []int64 { return fill(n, func(int) int64 { return 7 }) }},
		{"ascending", func(n int) []int64 { return fill(n, func(i int) int64 { return int64(i) }) }},
		{"descending", func(n int) []int64 { return fill(n, func(i int) int64 { return int64(-i) }) }},
		{"organ pipe", func(n int) []int64 { return fill(n, func(i int) int64 { return int64(min(i, n-i)) }) }},
		{"sawtooth", func(n int) []int64 { return fill(n, func(i int) int64 { return int64(i % 5) }) }},
	}
	lengths := []int{0, 1, 2, 3, 4, 11, 12, 13, 14, 50, 101, 1000, 4099}
	for _, sh := range shapes {
		for _, n := range lengths {
			s := sh.make(n)
			want := slices.Clone(s)
			slices.Sort(want)
			for _, ks := range positions(n, rng) {
				got := slices.Clone(s)
				selectAt(got, ks...)
				for _, k := range ks {
					if got[k] != want[k] {
						t.Fatalf("%s, n=%d, ks=%v: s[%d] = %d, a sort has %d", sh.name, n, ks, k, got[k], want[k])
					}
				}
				sorted := slices.Clone(got)
				slices.Sort(sorted)
				if !slices.Equal(sorted, want) {
					t.Fatalf("%s, n=%d, ks=%v: values lost or made", sh.name, n, ks)
				}
			}
		}
	}
}

// TestNthSplits checks what selectAt relies on between its positions:
// nothing larger than s[k] before it, nothing smaller after; with no
// partition allowed, one, and as many as nth allows.
func TestNthSplits(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	for _, n := range []int{1, 13, 100, 5000} {
		for _, budget := range []int{0, 1, 64} {
			for range 20 {
				s := fill(n, func(int) int64 { return rng.Int63n(int64(n)/4 + 1) })
				want := slices.Clone(s)
				slices.Sort(want)
				k := rng.Intn(n)
				nthWithin(s, k, budget)
				if s[k] != want[k] {
					t.Fatalf("n=%d k=%d budget %d: s[k] = %d, a sort has %d", n, k, budget, s[k], want[k])
				}
				for i, v := range s {
					if (i < k && v > s[k]) || (i > k && v < s[k]) {
						t.Fatalf("n=%d k=%d budget %d: s[%d] = %d on the wrong side of %d", n, k, budget, i, v, s[k])
					}
				}
			}
		}
	}
}

func fill(n int, f func(int) int64) []int64 {
	s := make([]int64, n)
	for i := range s {
		s[i] = f(i)
	}
	return s
}

// positions are the sets of positions asked of a slice of n: the
// quartiles and the percentiles Finish asks, both ends, and a random few.
func positions(n int, rng *rand.Rand) [][]int {
	if n == 0 {
		return [][]int{nil}
	}
	q := func(p float64) int { return min(max(int(p*float64(n)+0.5)-1, 0), n-1) }
	random := []int{rng.Intn(n), rng.Intn(n), rng.Intn(n), rng.Intn(n)}
	slices.Sort(random)
	return [][]int{
		{n / 4, n / 2, n * 3 / 4},
		{q(0.5), q(0.9), q(0.99)},
		{0, n - 1},
		{n / 2},
		random,
	}
}

// TestQuantilesUnsorted holds the figures made by selection to those of
// a sort, from values in no order: a level's percentiles, and the clock
// offset's median and spread.
func TestQuantilesUnsorted(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for _, n := range []int{1, 2, 3, 5, 10, 99, 1000, 4096} {
		vals := fill(n, func(int) int64 { return rng.Int63n(int64(n)*10) - int64(n) })
		sorted := slices.Clone(vals)
		slices.Sort(sorted)
		rank := func(p float64) int64 { return sorted[min(max(int(p*float64(n)+0.5)-1, 0), n-1)] }

		lv := &levelAcc{rts: slices.Clone(vals)}
		l := lv.level(7)
		if l.P50 != rank(0.5) || l.P90 != rank(0.9) || l.P99 != rank(0.99) {
			t.Errorf("n=%d: level P50/P90/P99 %d/%d/%d, a sort gives %d/%d/%d", n, l.P50, l.P90, l.P99, rank(0.5), rank(0.9), rank(0.99))
		}

		a := &Analyzer{offsets: slices.Clone(vals), offsetsSeen: int64(n)}
		a.settleOffset(&Result{})
		if off, spread := sorted[n/2], sorted[n*3/4]-sorted[n/4]; a.corr.ClockOffset != off || a.corr.OffsetSpread != spread {
			t.Errorf("n=%d: offset %d spread %d, a sort gives %d and %d", n, a.corr.ClockOffset, a.corr.OffsetSpread, off, spread)
		}
	}
}
