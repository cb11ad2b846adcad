package correlate

import (
	"math"
	"math/rand"
	"testing"
)

// naiveInflight is inflight's rule as a list: the ends at or before a
// start go, the new end comes, and the ends are counted.
type naiveInflight []int64

func (n *naiveInflight) enter(start, end int64) int32 {
	kept := (*n)[:0]
	for _, e := range *n {
		if e > start {
			kept = append(kept, e)
		}
	}
	*n = append(kept, end)
	return int32(len(*n))
}

func TestInflight(t *testing.T) {
	type sample struct{ start, end int64 }
	cases := []struct {
		name    string
		samples []sample
	}{
		{"ends at the next start", []sample{{10, 20}, {20, 30}, {20, 25}, {25, 40}}},
		{"zero elapsed", []sample{{5, 5}, {5, 5}, {6, 6}, {6, 9}}},
		{"late sample, short", []sample{{100, 200}, {150, 160}, {120, 130}, {125, 300}, {131, 132}, {160, 400}}},
		{"late sample ending before the latest start", []sample{{100, 110}, {200, 300}, {50, 60}, {55, 70}, {65, 205}, {210, 220}}},
		{"past the span", []sample{{0, inflightSpan + 1}, {1, 2 * inflightSpan}, {inflightSpan, inflightSpan + 5}, {inflightSpan + 1, inflightSpan + 2}, {3 * inflightSpan, 3*inflightSpan + 1}}},
		{"at the span's edge", []sample{{0, inflightSpan}, {0, inflightSpan - 1}, {inflightSpan - 1, 2 * inflightSpan}, {inflightSpan, 2*inflightSpan - 1}, {2 * inflightSpan, 2*inflightSpan + 1}}},
		{"a gap longer than the span", []sample{{0, 100}, {1, 5000}, {10 * inflightSpan, 10*inflightSpan + 3}, {10*inflightSpan + 3, 10*inflightSpan + 4}}},
		{"negative times", []sample{{-50, -10}, {-20, 5}, {-10, -9}, {0, 1}, {-30, -29}}},
		{"extremes", []sample{{math.MinInt64 / 2, math.MaxInt64 / 2}, {0, 1}, {math.MaxInt64 / 2, math.MaxInt64/2 + 1}, {math.MaxInt64/2 + 1, math.MaxInt64}}},
	}
	rng := rand.New(rand.NewSource(1))
	var random []sample
	var start int64 = 1_795_600_799_650
	for range 20000 {
		start += rng.Int63n(6)
		s := start
		if rng.Intn(10) == 0 {
			s -= rng.Int63n(3000) // late, as the reader's window lets through
		}
		elapsed := rng.Int63n(50)
		switch rng.Intn(20) {
		case 0:
			elapsed = rng.Int63n(3 * inflightSpan)
		case 1:
			elapsed = 0
		}
		random = append(random, sample{s, s + elapsed})
	}
	cases = append(cases, struct {
		name    string
		samples []sample
	}{"random", random})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var f inflight
			var want naiveInflight
			for i, s := range c.samples {
				if got, w := f.enter(s.start, s.end), want.enter(s.start, s.end); got != w {
					t.Fatalf("sample %d (%d–%d): %d in flight, want %d", i, s.start, s.end, got, w)
				}
			}
		})
	}
}
