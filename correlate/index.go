package correlate

import (
	"hash/maphash"
	"math/bits"
	"slices"

	"github.com/ceiling-dev/ceiling/internal/spill"
)

// The joins look attempts up by Call-ID and by trace ID. A map keyed by
// the IDs themselves keeps a copy of every one for the whole run (80
// bytes a call with the map's own cost: 230 MB on a 10 GB capture); a map
// keyed by a hash still costs 23 bytes a call. idIndex keeps 8: the top
// 32 bits of each ID's hash and the attempt's index in one word, sorted;
// the attempt itself, read back from the log, confirms the ID, so equal
// hashes of different IDs cost a read, not a wrong join.

var idSeed = maphash.MakeSeed()

func idHash(id string) uint64 { return maphash.String(idSeed, id) }

type idIndex struct {
	keys   []uint64 // hash>>32<<32 | index, sorted once built
	sorted bool
	// starts[b] is where the keys whose top bits are b begin, so a
	// lookup searches a handful of keys, not all: a binary search over
	// all of them missed the CPU's caches at most of its steps. Half a
	// byte a key; nil for a few keys.
	starts []uint32
	bits   int
	// idOf reads attempt i's ID.
	idOf func(i int32) string
	hash func(string) uint64
}

func newIDIndex(idOf func(int32) string) *idIndex {
	return &idIndex{idOf: idOf, hash: idHash}
}

// put adds attempt i, which carried id; attempts come in index order.
func (x *idIndex) put(id string, i int32) {
	x.keys = append(x.keys, x.hash(id)>>32<<32|uint64(uint32(i)))
	x.sorted = false
}

func (x *idIndex) build() {
	if x.sorted {
		return
	}
	x.sorted = true
	x.starts, x.bits = nil, 0
	n := len(x.keys) / 8
	if n < 2 {
		slices.Sort(x.keys)
		x.keys = slices.Clip(x.keys)
		return
	}
	x.bits = bits.Len(uint(n)) - 1
	x.keys, x.starts = bucketSort(x.keys, x.bits)
}

// bucketSort returns keys sorted, and where each bucket of their top b
// bits starts in them (the last entry is len(keys)): each key goes
// straight to its bucket in a new slice (the keys' hashes spread them
// evenly), then each bucket's handful of keys is sorted in full. A
// comparison sort in place was 0.8% of a 1 GB run's time, four times as
// long; moving the keys in place, one after another, waits for each
// before the next. The new slice is as long as keys, which the caller
// lets go.
func bucketSort(keys []uint64, b int) ([]uint64, []uint32) {
	shift := 64 - b
	starts := make([]uint32, 1<<b+1)
	for _, k := range keys {
		starts[k>>shift+1]++
	}
	for i := 1; i < len(starts); i++ {
		starts[i] += starts[i-1]
	}
	next := slices.Clone(starts[:len(starts)-1])
	out := make([]uint64, len(keys))
	for _, k := range keys {
		d := k >> shift
		out[next[d]] = k
		next[d]++
	}
	for i := range next {
		insertionSort(out[starts[i]:starts[i+1]])
	}
	return out, starts
}

// insertionSort sorts a bucket: a few keys, where it beats slices.Sort.
func insertionSort(s []uint64) {
	if len(s) > 32 {
		slices.Sort(s)
		return
	}
	for i := 1; i < len(s); i++ {
		k, j := s[i], i
		for ; j > 0 && s[j-1] > k; j-- {
			s[j] = s[j-1]
		}
		s[j] = k
	}
}

func (x *idIndex) len() int {
	if x == nil {
		return 0
	}
	return len(x.keys)
}

// keyRun is where some of an index's keys lie in idIndex.keys: lo to hi.
type keyRun struct{ lo, hi int32 }

// all appends to dst the attempts that carried id, in index order.
func (x *idIndex) all(dst []int32, id string) []int32 {
	return x.allIn(dst, id, x.find(id))
}

// allIn is all given the run of id's hash (run).
func (x *idIndex) allIn(dst []int32, id string, r keyRun) []int32 {
	for _, k := range x.keys[r.lo:r.hi] {
		if i := int32(uint32(k)); x.idOf(i) == id {
			dst = append(dst, i)
		}
	}
	return dst
}

// last finds the latest attempt that carried id.
func (x *idIndex) last(id string) (int32, bool) {
	return x.lastIn(id, x.find(id))
}

// lastIn is last given the run of id's hash (run).
func (x *idIndex) lastIn(id string, r keyRun) (int32, bool) {
	for k := r.hi - 1; k >= r.lo; k-- {
		if i := int32(uint32(x.keys[k])); x.idOf(i) == id {
			return i, true
		}
	}
	return 0, false
}

// find is where the keys of id's hash lie (run).
func (x *idIndex) find(id string) keyRun {
	return x.run(x.hash(id))
}

// run is where the keys of hash h (its top 32 bits) lie, in index order.
func (x *idIndex) run(h uint64) keyRun {
	return x.runIn(h, x.bucket(h))
}

// bucket is where the keys that may hold hash h lie: all of them for a
// few keys.
func (x *idIndex) bucket(h uint64) keyRun {
	x.build()
	return x.bucketBuilt(h)
}

// bucketBuilt is bucket once x is built.
func (x *idIndex) bucketBuilt(h uint64) keyRun {
	if x.starts == nil {
		return keyRun{0, int32(len(x.keys))}
	}
	b := h >> (64 - x.bits)
	return keyRun{int32(x.starts[b]), int32(x.starts[b+1])}
}

// runIn is run given h's bucket b: a handful of keys, gone through one
// after another.
func (x *idIndex) runIn(h uint64, b keyRun) keyRun {
	h = h >> 32 << 32
	keys := x.keys[b.lo:b.hi]
	k := 0
	for k < len(keys) && keys[k] < h {
		k++
	}
	end := k
	for end < len(keys) && keys[end]>>32<<32 == h {
		end++
	}
	return keyRun{b.lo + int32(k), b.lo + int32(end)}
}

// idWindow is how the joins read the capture's attempts while the JTL's
// samples come: by index, from the ID indexes, the head and IDs of each
// (not its Detail, which no join reads). Samples come in start order, so
// the attempts they find are made at nearly the same time: a few pages
// serve the lookups of the whole JTL. Each page is decoded in part into
// a slot of its own, rather than whole into the log's memory (Peek): a
// third of the lookups' cost, and the log's pages in memory are left as
// they are. The log is not written while the samples come (matches wait
// in sipRefs), so what a slot holds stays true.
type idWindow struct {
	log   *attemptLog
	part  spill.Part[Attempt]
	slots [4]idSlot
	tick  uint64
	// last is the slot at read last: the next look-up is mostly of the
	// same page (a sample's join reads its attempt two or three times).
	last *idSlot
}

type idSlot struct {
	page  int // -1: empty
	items []Attempt
	// buf holds the page as read from disk; the items' IDs are made of it
	// (Part.Alias), so an attempt at gives is good until the next call.
	buf  []byte
	used uint64
}

func newIDWindow(log *attemptLog) *idWindow {
	codec := log.Codec().(*attemptCodec)
	w := &idWindow{log: log, part: spill.Part[Attempt]{Decode: codec.DecodeIDs, Trim: trimIDs, Alias: true}}
	for k := range w.slots {
		w.slots[k].page = -1
	}
	return w
}

// peek is at's attempt i when its page is in a slot, nil when not: it
// decodes no page, and changes no slot's turn to go.
func (w *idWindow) peek(i int) *Attempt {
	per := w.log.PageItems()
	page := i / per
	for k := range w.slots {
		if s := &w.slots[k]; s.page == page {
			return &s.items[i-page*per]
		}
	}
	return nil
}

// at is attempt i less its Detail, good until the next call: keep none of
// its strings.
func (w *idWindow) at(i int) *Attempt {
	per := w.log.PageItems()
	page := i / per
	if s := w.last; s != nil && s.page == page {
		// The slot used last: its turn to go is the latest already.
		return &s.items[i-page*per]
	}
	w.tick++
	victim := &w.slots[0]
	for k := range w.slots {
		s := &w.slots[k]
		if s.page == page {
			s.used, w.last = w.tick, s
			return &s.items[i-page*per]
		}
		if s.used < victim.used {
			victim = s
		}
	}
	if victim.items == nil {
		// At its size at once, rather than by doubling.
		victim.items = make([]Attempt, 0, per)
	}
	victim.items = w.log.PartsOf(page, w.part, victim.items[:0], &victim.buf)
	victim.page, victim.used, w.last = page, w.tick, victim
	return &victim.items[i-page*per]
}
