package tcp

import (
	"math/bits"
	"math/rand/v2"
)

// table finds connections by key. It is an open-addressing hash table
// with linear probing: a slot holds a connection and the 64-bit hash of
// its key, so that a look-up reads one slot, usually in one cache line,
// and compares the key only in the connection whose hash matches, in the
// line of it that the packet reads next anyway. (A Go map keyed by the
// hash took a third of the Assembler's own instructions, and chained the
// connections through a field of their own.) The hash is seeded per
// table, so that a capture cannot be built to make the probe runs long,
// and the table is kept at most half full.
type table struct {
	slots []slot // a power of two of them
	n     int
	seed  uint64
}

type slot struct {
	h uint64
	c *conn // nil: empty
}

const minTableSlots = 1 << 10

func newTable() table {
	return table{slots: make([]slot, minTableSlots), seed: rand.Uint64()}
}

func (t *table) hash(k *key) uint64 {
	const p0, p1, p2 = 0xa0761d6478bd642f, 0xe7037ed1a0b428db, 0x8ebc6af09c88c6e3
	h := mum(k.aLo^t.seed, k.bLo^p0)
	h ^= mum(k.aHi^p1, k.bHi^t.seed)
	return mum(h^t.seed, uint64(k.aPort)<<16|uint64(k.bPort)^p2) & hashMask
}

// hashMask is all ones but in tests, which make the probe runs long.
var hashMask = ^uint64(0)

// mum folds the 128-bit product of a and b.
func mum(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

func (k *key) same(o *key) bool {
	return k.aLo == o.aLo && k.bLo == o.bLo && k.aPort == o.aPort && k.bPort == o.bPort && k.aHi == o.aHi && k.bHi == o.bHi
}

// get returns the connection with key k, nil if none.
func (t *table) get(k *key) *conn {
	h := t.hash(k)
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.c == nil {
			return nil
		}
		if s.h == h && s.c.key.same(k) {
			return s.c
		}
	}
}

// put adds c under its key, in place of any connection there (which is
// then found no more, as with a map).
func (t *table) put(c *conn) {
	h := t.hash(&c.key)
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.c == nil {
			*s = slot{h, c}
			t.n++
			if 2*t.n > len(t.slots) {
				t.grow()
			}
			return
		}
		if s.h == h && s.c.key.same(&c.key) {
			s.c = c
			return
		}
	}
}

// grow doubles the slots, placing each connection again by its hash.
func (t *table) grow() {
	old := t.slots
	t.slots = make([]slot, 2*len(old))
	mask := uint64(len(t.slots) - 1)
	for _, s := range old {
		if s.c == nil {
			continue
		}
		i := s.h & mask
		for t.slots[i].c != nil {
			i = (i + 1) & mask
		}
		t.slots[i] = s
	}
}

// remove drops c if the table holds it.
func (t *table) remove(c *conn) {
	h := t.hash(&c.key)
	mask := uint64(len(t.slots) - 1)
	i := h & mask
	for t.slots[i].c != c {
		if t.slots[i].c == nil {
			return
		}
		i = (i + 1) & mask
	}
	// Close the hole: move back each later slot of the run that may sit
	// no further from its home than the hole, so that no probe for it
	// stops at the hole (Knuth's algorithm R; no tombstones to pile up).
	for j := (i + 1) & mask; t.slots[j].c != nil; j = (j + 1) & mask {
		home := t.slots[j].h & mask
		if (j-home)&mask >= (j-i)&mask {
			t.slots[i] = t.slots[j]
			i = j
		}
	}
	t.slots[i] = slot{}
	t.n--
}

// each calls f for every connection, in no order.
func (t *table) each(f func(c *conn)) {
	for _, s := range t.slots {
		if s.c != nil {
			f(s.c)
		}
	}
}

func (t *table) len() int { return t.n }

func (t *table) clear() {
	clear(t.slots)
	t.n = 0
}
