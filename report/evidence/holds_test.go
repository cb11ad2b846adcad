package evidence

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// TestHoldsAny holds the search through the Call-IDs' common end to a
// search for each: ids that end alike or not, that end inside one another,
// and datagrams that hold them whole, cut, at either end, overlapping.
func TestHoldsAny(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	alpha := []byte("ab-@1.")
	word := func(n int) []byte {
		w := make([]byte, n)
		for i := range w {
			w[i] = alpha[rng.IntN(len(alpha))]
		}
		return w
	}
	for round := 0; round < 20000; round++ {
		tail := word(rng.IntN(12))
		ids := make([][]byte, 1+rng.IntN(5))
		for i := range ids {
			ids[i] = append(word(rng.IntN(6)), tail...)
			if rng.IntN(8) == 0 {
				ids[i] = word(1 + rng.IntN(8)) // an id with another end
			}
		}
		var b []byte
		for len(b) < 80 {
			switch rng.IntN(4) {
			case 0:
				id := ids[rng.IntN(len(ids))]
				b = append(b, id[rng.IntN(len(id)+1):]...) // an id's end only
			case 1:
				id := ids[rng.IntN(len(ids))]
				b = append(b, id[:rng.IntN(len(id)+1)]...) // an id's start only
			case 2:
				b = append(b, tail...)
			default:
				b = append(b, word(1+rng.IntN(6))...)
			}
		}
		if rng.IntN(3) == 0 {
			id := ids[rng.IntN(len(ids))]
			at := rng.IntN(len(b) + 1)
			b = append(b[:at:at], append(append([]byte(nil), id...), b[at:]...)...)
		}
		want := false
		for _, id := range ids {
			want = want || bytes.Contains(b, id)
		}
		if got := holdsAny(b, ids, commonSuffix(ids)); got != want {
			t.Fatalf("round %d: holdsAny(%q, %q) = %v, want %v", round, b, ids, got, want)
		}
	}
}

func TestCommonSuffix(t *testing.T) {
	for _, c := range []struct {
		ids  []string
		want string
	}{
		{nil, ""},
		{[]string{"abc"}, "abc"},
		{[]string{"x-i1@h", "y-i1@h", "zz-i1@h"}, "-i1@h"},
		{[]string{"i1@h", "xi1@h"}, "i1@h"},
		{[]string{"abc", "abd"}, ""},
		{[]string{"abc", ""}, ""},
	} {
		var ids [][]byte
		for _, id := range c.ids {
			ids = append(ids, []byte(id))
		}
		if got := string(commonSuffix(ids)); got != c.want {
			t.Errorf("commonSuffix(%q) = %q, want %q", c.ids, got, c.want)
		}
	}
}
