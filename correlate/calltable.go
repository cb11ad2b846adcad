package correlate

import "hash/maphash"

// callTable finds a call by its Call-ID, for sipTracker: a look-up for
// every SIP message, an insertion and a deletion for every call. A map
// of strings hashed the Call-ID for each of the three and probed groups
// of slots that lie apart from their keys; here a slot holds the hash
// and the call, the call keeps its hash for its deletion, and the
// comparison of IDs is made on the call, which the message goes on to
// use anyway.
//
// Open addressing with linear probing, at most half full; a deletion
// moves back the slots after it that would no longer be found, so there
// are no tombstones.
type callTable struct {
	seed  maphash.Seed
	slots []callSlot // a power of two of them
	n     int
}

type callSlot struct {
	h uint64 // 0: empty
	c *call
}

func newCallTable() callTable { return callTable{seed: maphash.MakeSeed()} }

// hash is id's hash as the table files it: never 0, which marks an
// empty slot. The mark is the top bit, not the bottom one, which would
// leave every home slot odd (the index is the hash's low bits) and
// double the runs.
func (t *callTable) hash(id string) uint64 { return maphash.String(t.seed, id) | 1<<63 }

// get is the call of id, whose hash is h; nil if there is none.
func (t *callTable) get(id string, h uint64) *call {
	if t.n == 0 {
		return nil
	}
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.h == 0 {
			return nil
		}
		if s.h == h && s.c.id == id {
			return s.c
		}
	}
}

// touch reads the home slot of hash h and the call filed there, if it is
// h's, and returns whether it is and the sum of what it read: see
// sipTracker.readAhead.
func (t *callTable) touch(h uint64) (found bool, read uint64) {
	if t.n == 0 {
		return false, 0
	}
	s := &t.slots[h&uint64(len(t.slots)-1)]
	if s.h != h {
		return false, s.h
	}
	return true, s.c.touch()
}

// slotAt reads the home slot of hash h, and returns what it read: see
// dueWheel.takeSome.
func (t *callTable) slotAt(h uint64) uint64 {
	if len(t.slots) == 0 {
		return 0
	}
	return t.slots[h&uint64(len(t.slots)-1)].h
}

// put files c, which is not in the table, under c.hash.
func (t *callTable) put(c *call) {
	if 2*(t.n+1) > len(t.slots) {
		t.grow()
	}
	t.insert(callSlot{c.hash, c})
	t.n++
}

func (t *callTable) insert(s callSlot) {
	mask := uint64(len(t.slots) - 1)
	i := s.h & mask
	for t.slots[i].h != 0 {
		i = (i + 1) & mask
	}
	t.slots[i] = s
}

func (t *callTable) grow() {
	old := t.slots
	t.slots = make([]callSlot, max(1024, 2*len(old)))
	for _, s := range old {
		if s.h != 0 {
			t.insert(s)
		}
	}
}

// remove takes c, which is in the table, out.
func (t *callTable) remove(c *call) {
	mask := uint64(len(t.slots) - 1)
	i := c.hash & mask
	for t.slots[i].c != c {
		i = (i + 1) & mask
	}
	// Move back each later slot of the run whose home is not between the
	// hole and it: a look-up for it would stop at the hole.
	for j := i; ; {
		j = (j + 1) & mask
		s := t.slots[j]
		if s.h == 0 {
			break
		}
		home := s.h & mask
		if i <= j && i < home && home <= j || i > j && (i < home || home <= j) {
			continue
		}
		t.slots[i] = s
		i = j
	}
	t.slots[i] = callSlot{}
	t.n--
}

// all calls yield with each call, in no order.
func (t *callTable) all(yield func(*call) bool) {
	for _, s := range t.slots {
		if s.h != 0 && !yield(s.c) {
			return
		}
	}
}
