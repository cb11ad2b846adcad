package tcp

import (
	"math/bits"
	"math/rand/v2"
)

// table finds connections by key. A map keyed by the 36 bytes of a key
// hashes and compares all of them, through the runtime's generic path, on
// every packet; this one keys the map by a 64-bit hash of the key, which
// takes the runtime's fast path, and chains the connections whose keys
// share a hash. The hash is seeded per table, so that a capture cannot be
// built to make the chains long.
type table struct {
	m    map[uint64]*conn
	n    int
	seed uint64
}

func newTable() table {
	return table{m: make(map[uint64]*conn), seed: rand.Uint64()}
}

func (t *table) hash(k *key) uint64 {
	const p0, p1, p2 = 0xa0761d6478bd642f, 0xe7037ed1a0b428db, 0x8ebc6af09c88c6e3
	h := mum(k.aLo^t.seed, k.bLo^p0)
	h ^= mum(k.aHi^p1, k.bHi^t.seed)
	return mum(h^t.seed, uint64(k.aPort)<<16|uint64(k.bPort)^p2) & hashMask
}

// hashMask is all ones but in tests, which make the chains long.
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
	for c := t.m[t.hash(k)]; c != nil; c = c.next {
		if c.key.same(k) {
			return c
		}
	}
	return nil
}

// put adds c under its key, in place of any connection there (which is
// then found no more, as with a map).
func (t *table) put(c *conn) {
	h := t.hash(&c.key)
	head := t.m[h]
	for p := &head; *p != nil; p = &(*p).next {
		if o := *p; o.key.same(&c.key) {
			*p = o.next
			o.next = nil
			t.n--
			break
		}
	}
	c.next = head
	t.m[h] = c
	t.n++
}

// remove drops c if the table holds it.
func (t *table) remove(c *conn) {
	h := t.hash(&c.key)
	head := t.m[h]
	for p := &head; *p != nil; p = &(*p).next {
		if *p != c {
			continue
		}
		*p = c.next
		c.next = nil
		t.n--
		if head == nil {
			delete(t.m, h)
		} else {
			t.m[h] = head
		}
		return
	}
}

// each calls f for every connection, in no order.
func (t *table) each(f func(c *conn)) {
	for _, c := range t.m {
		for ; c != nil; c = c.next {
			f(c)
		}
	}
}

func (t *table) len() int { return t.n }

func (t *table) clear() {
	t.each(func(c *conn) { c.next = nil })
	clear(t.m)
	t.n = 0
}
