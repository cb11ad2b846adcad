package tcp

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestTable holds the table to a map under random puts, gets and removes,
// with the hash cut to a few bits so that most keys share a probe run, and
// with the full hash; with few keys, and with enough that the table grows
// several times.
func TestTable(t *testing.T) {
	for _, tc := range []struct {
		mask  uint64
		nKeys int
	}{{0, 50}, {7, 50}, {^uint64(0), 50}, {7, 3000}, {^uint64(0), 3000}} {
		t.Run(fmt.Sprintf("mask=%x,keys=%d", tc.mask, tc.nKeys), func(t *testing.T) {
			defer func(m uint64) { hashMask = m }(hashMask)
			hashMask = tc.mask
			rng := rand.New(rand.NewPCG(1, tc.mask))
			tb := newTable()
			want := map[key]*conn{}
			keys := make([]key, tc.nKeys)
			for i := range keys {
				keys[i] = key{aHi: uint64(rng.IntN(2)), aLo: uint64(rng.IntN(4)), bLo: uint64(rng.IntN(4)), aPort: uint16(rng.IntN(3)), bPort: uint16(i)}
			}
			for step := 0; step < 20*tc.nKeys+20000; step++ {
				k := keys[rng.IntN(len(keys))]
				switch rng.IntN(3) {
				case 0:
					c := &conn{connHead: connHead{key: k}}
					tb.put(c)
					want[k] = c
				case 1:
					if got := tb.get(&k); got != want[k] {
						t.Fatalf("step %d: get %+v gave %p, want %p", step, k, got, want[k])
					}
				case 2:
					// Remove what the table holds, or a connection it does
					// not (one put over): the latter changes nothing.
					c := want[k]
					if c == nil || rng.IntN(4) == 0 {
						c = &conn{connHead: connHead{key: k}}
					} else {
						delete(want, k)
					}
					tb.remove(c)
				}
				if tb.len() != len(want) {
					t.Fatalf("step %d: %d held, want %d", step, tb.len(), len(want))
				}
			}
			n := 0
			tb.each(func(c *conn) {
				n++
				if want[c.key] != c {
					t.Errorf("each gave %+v, not held", c.key)
				}
			})
			if n != len(want) {
				t.Errorf("each gave %d, want %d", n, len(want))
			}
			tb.clear()
			if tb.len() != 0 || tb.get(&keys[0]) != nil {
				t.Errorf("clear left %d", tb.len())
			}
		})
	}
}
