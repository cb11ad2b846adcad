package correlate

import (
	"math/rand"
	"slices"
	"testing"
)

// TestDueWheel: each take gives exactly the entries due before its time,
// each once, against a plain list; with due times behind the last take,
// far ahead (the wheel grows, also from within a take), in bursts of
// more than take reads at once, and entries pushed while a take runs.
func TestDueWheel(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	var w dueWheel
	var model []int64
	calls := make([]call, 1)
	now := int64(1_700_000_000) * dueSecond
	push := func(at int64) {
		w.push(expiry{at, &calls[0]})
		model = append(model, at)
	}
	for range 2000 {
		now += rng.Int63n(3 * dueSecond)
		for range rng.Intn(20) {
			switch r := rng.Intn(20); {
			case r == 0:
				push(now - rng.Int63n(100*dueSecond)) // behind
			case r == 1:
				push(now + rng.Int63n(1000*dueSecond)) // far ahead
			case r == 2:
				// A burst in one second: more than take reads at once.
				at := now + rng.Int63n(70*dueSecond)
				for range takeAhead + rng.Intn(2*takeAhead) {
					push(at)
				}
			default:
				push(now + rng.Int63n(70*dueSecond))
			}
		}
		var got []int64
		w.take(now, func(e expiry) {
			got = append(got, e.at)
			if rng.Intn(4) == 0 {
				// expire queues the call again, due at now or later.
				push(now + rng.Int63n(2000*dueSecond))
			}
			if rng.Intn(8) == 0 {
				push(now)
			}
		}, &callTable{})
		var want, keep []int64
		for _, at := range model {
			if at < now {
				want = append(want, at)
			} else {
				keep = append(keep, at)
			}
		}
		// Pushed during the take: due at now or later, so not taken.
		model = keep
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("take at %d: %d entries, want %d", now, len(got), len(want))
		}
	}
	if len(w.ring) <= 128 {
		t.Errorf("the wheel never grew: %d seconds", len(w.ring))
	}
}
