package correlate

import (
	"fmt"
	"math/rand"
	"testing"
	"unsafe"
)

// TestCallTable holds the table to a map through insertions, look-ups
// and deletions at random, with hashes from a narrow range so that runs
// of slots form, wrap past the end of the array and are cut by
// deletions, and with the table growing under them.
func TestCallTable(t *testing.T) {
	for _, spread := range []int{1, 40, 1 << 20} {
		rng := rand.New(rand.NewSource(int64(spread)))
		tab := newCallTable()
		want := map[string]*call{}
		hashOf := func(id string) uint64 {
			var k int
			fmt.Sscan(id[1:], &k)
			// Homes near the end of the first array (1,024 slots).
			return uint64(1000+k%spread)<<1 | 1
		}
		for step := range 50000 {
			id := fmt.Sprint("c", rng.Intn(800))
			h := hashOf(id)
			got := tab.get(id, h)
			if got != want[id] {
				t.Fatalf("spread %d step %d: get(%s) = %p, want %p", spread, step, id, got, want[id])
			}
			switch {
			case got == nil && rng.Intn(3) > 0:
				c := &call{id: id, hash: h}
				tab.put(c)
				want[id] = c
			case got != nil && rng.Intn(2) == 0:
				tab.remove(got)
				delete(want, id)
			}
			if tab.n != len(want) {
				t.Fatalf("spread %d step %d: %d calls, want %d", spread, step, tab.n, len(want))
			}
		}
		n := 0
		for c := range tab.all {
			if want[c.id] != c {
				t.Fatalf("spread %d: all gave %s, not in the table", spread, c.id)
			}
			n++
		}
		if n != len(want) {
			t.Fatalf("spread %d: all gave %d calls, want %d", spread, n, len(want))
		}
	}
}

// TestCallTouch: call.touch reads a byte every 64 of the first 6*64 of
// the call, and the first of its text: each cache line up to the text is
// read only if the text starts within them, and the reads stay within
// the call only if it is at least that long.
func TestCallTouch(t *testing.T) {
	if off := unsafe.Offsetof(call{}.text); off > 6*64 {
		t.Errorf("a call's text starts %d bytes in: call.touch reads no line past %d", off, 6*64)
	}
	if n := unsafe.Sizeof(call{}); n < 6*64 {
		t.Errorf("a call is %d bytes: call.touch reads %d", n, 6*64)
	}
}

// TestCallSize: a call stays within the 480-byte size class it is
// allocated in; one more byte would take it to 512.
func TestCallSize(t *testing.T) {
	if n := unsafe.Sizeof(call{}); n > 480 {
		t.Errorf("a call is %d bytes, more than the 480-byte size class", n)
	}
}
