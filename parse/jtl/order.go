package jtl

import (
	"math"
	"math/bits"
	"time"
)

// maxPending caps the samples held for reordering whatever the window
// says, so that a file whose start times never advance (no timeStamp
// column, or a clock stuck at 0) cannot pull itself into memory. Past the
// cap the earliest sample goes out; order is then only as good as the cap.
const maxPending = 1 << 18

// reorder puts samples back in start-time order. JMeter writes a row when
// a sample ends, so a long sample is written after shorter ones that
// started later. A sample is held until the newest start seen is more than
// the window past its own start; no sample that ended within the window of
// a later one can then come out of order. Samples leave in (start, seq)
// order: file order breaks ties, so a parent goes before its children.
//
// Samples sit in a slab and are built in place (alloc, then commit). What
// orders them is a bucket queue: a ring with one bucket per millisecond of
// start time, each a list of slots in seq order, and a bitmap of the
// buckets in use. Starts come nearly in order (a row's start is its end
// less its elapsed time), so a push lands near the newest bucket and the
// earliest sample is found by scanning the bitmap forward from the last
// one taken out. The 4-ary heap this replaced spent some 15% of the CSV
// reader in its sift-down (a window of 24 k samples is 7 levels of
// unpredictable comparisons). Starts outside the ring's span (a damaged
// timestamp, a row later than the ring reaches back) go to a small heap,
// "far"; the earliest sample is the earlier of the two heads.
type reorder struct {
	window int64 // ms
	// slab holds the samples in pages, slot>>pageBits the page: growing
	// it never copies. A []Sample that doubled allocated some 10 MB a run
	// of BenchmarkCSV, half of it copied over, pointers, write barriers
	// and all, and left behind for the collector.
	slab     []*[pageSize]Sample
	nslots   int32
	free     []int32
	seq      uint64
	maxStart int64
	started  bool // maxStart is set

	// Per slot: the next slot in its bucket (-1 for none) and its seq.
	link  []int32
	seqOf []uint64

	ring   []bucket // nil until the first commit
	inUse  []uint64 // a bit per bucket of ring
	mask   uint64   // len(ring)-1
	base   int64    // the ring holds starts in [base, base+len(ring))
	cur    int64    // no start in the ring is before cur; base <= cur
	inRing int

	far []orderEntry // a 4-ary heap

	lastOut    int64
	released   bool
	outOfOrder int64

	// first is the earliest start held while firstOK: ready asks after
	// every row, and between two takes a commit can only lower it.
	first   int64
	firstOK bool
}

// bucket is a list of slots, in seq order; meaningful only while its bit
// in inUse is set.
type bucket struct{ head, tail int32 }

// The ring spans twice the window, within these bounds: 2^17 buckets
// (1 MB) for the default 60 s.
const (
	minRing = 1 << 12
	maxRing = 1 << 18
)

// arity of the far heap: four children per node halve its depth and sit
// in one cache line.
const arity = 4

type orderEntry struct {
	start int64
	seq   uint64 // file order breaks ties: a parent before its children
	slot  int32
}

func newReorder(window time.Duration) reorder {
	if window <= 0 {
		window = 60 * time.Second
	}
	return reorder{window: window.Milliseconds()}
}

func (r *reorder) less(a, b orderEntry) bool {
	if a.start != b.start {
		return a.start < b.start
	}
	return a.seq < b.seq
}

// nextSeq hands out file-order numbers; callers take one when a sample
// begins (for XML, at its start tag, before its children).
func (r *reorder) nextSeq() uint64 {
	r.seq++
	return r.seq
}

// alloc hands out a zeroed sample to fill in place; commit or discard it
// next. Building a sample where it will wait saves copying 300 bytes per
// row.
func (r *reorder) alloc() (int32, *Sample) {
	if n := len(r.free); n > 0 {
		slot := r.free[n-1]
		r.free = r.free[:n-1]
		s := r.at(slot)
		*s = Sample{}
		return slot, s
	}
	slot := r.nslots
	if int(slot>>pageBits) == len(r.slab) {
		r.slab = append(r.slab, new([pageSize]Sample))
	}
	r.nslots++
	r.link = append(r.link, -1)
	r.seqOf = append(r.seqOf, 0)
	return slot, r.at(slot)
}

const (
	pageBits = 8
	pageSize = 1 << pageBits
)

// at is the sample in slot.
func (r *reorder) at(slot int32) *Sample {
	return &r.slab[slot>>pageBits][slot&(pageSize-1)]
}

// discard gives back a slot from alloc that was not committed.
func (r *reorder) discard(slot int32) { r.free = append(r.free, slot) }

// push adds a sample, with seq from nextSeq.
func (r *reorder) push(s *Sample, seq uint64) {
	slot, p := r.alloc()
	*p = *s
	r.commit(slot, seq)
}

// commit puts the sample in slot (from alloc) in order.
func (r *reorder) commit(slot int32, seq uint64) {
	start := r.at(slot).Start
	if r.released && start < r.lastOut {
		// Too late to be put back in place: it goes out next, and is
		// counted so that the report can say how disordered the file was.
		r.outOfOrder++
	}
	if !r.started || start > r.maxStart {
		r.maxStart, r.started = start, true
	}
	if start < r.first {
		r.first = start
	}
	r.seqOf[slot] = seq
	if r.ring == nil {
		n := uint64(minRing)
		for n < maxRing && n < 2*uint64(r.window) {
			n *= 2
		}
		r.ring = make([]bucket, n)
		r.inUse = make([]uint64, n/64)
		r.mask = n - 1
	}
	span := uint64(len(r.ring))
	if r.inRing == 0 {
		// An empty ring starts over around this sample, with room for
		// the earlier starts that may follow.
		r.base = start - int64(span/2)
		if start < math.MinInt64+int64(span/2) {
			r.base = math.MinInt64
		}
		r.cur = start
	} else if start >= r.base && uint64(start)-uint64(r.base) >= span {
		// Past the ring's end: move its start up to the earliest start
		// held, if that makes room.
		r.base = r.ringMin()
	}
	if start < r.base || uint64(start)-uint64(r.base) >= span {
		r.pushFar(orderEntry{start: start, seq: seq, slot: slot})
		return
	}
	r.inRing++
	if start < r.cur {
		r.cur = start
	}
	i := uint64(start) & r.mask
	b := &r.ring[i]
	r.link[slot] = -1
	if r.inUse[i/64]&(1<<(i%64)) == 0 {
		r.inUse[i/64] |= 1 << (i % 64)
		b.head, b.tail = slot, slot
		return
	}
	if seq > r.seqOf[b.tail] {
		r.link[b.tail] = slot
		b.tail = slot
		return
	}
	// A seq below the last one's: XML commits a parent after its children.
	if seq < r.seqOf[b.head] {
		r.link[slot] = b.head
		b.head = slot
		return
	}
	p := b.head
	for r.seqOf[r.link[p]] < seq {
		p = r.link[p]
	}
	r.link[slot] = r.link[p]
	r.link[p] = slot
}

// ringMin is the earliest start in the ring, which must not be empty; it
// moves cur there.
func (r *reorder) ringMin() int64 {
	i := uint64(r.cur) & r.mask
	w := i / 64
	if word := r.inUse[w] >> (i % 64); word != 0 {
		r.cur += int64(bits.TrailingZeros64(word))
		return r.cur
	}
	// The distance from cur to each later word's first bucket; after a
	// whole turn, the first word's lower bits are the latest buckets.
	dist := 64 - i%64
	nw := uint64(len(r.inUse))
	for n := uint64(1); n <= nw; n++ {
		word := r.inUse[(w+n)%nw]
		if word != 0 {
			r.cur += int64(dist + uint64(bits.TrailingZeros64(word)))
			return r.cur
		}
		dist += 64
	}
	panic("jtl: reorder ring empty")
}

// head is the earliest held sample's entry. There must be one. Its seq is
// only filled in when there is a far entry to compare it with: a slot's
// seq is a cache miss of its own.
func (r *reorder) head() (e orderEntry, inRing bool) {
	if r.inRing > 0 {
		start := r.ringMin()
		slot := r.ring[uint64(start)&r.mask].head
		e, inRing = orderEntry{start: start, slot: slot}, true
	}
	if len(r.far) > 0 {
		if inRing {
			e.seq = r.seqOf[e.slot]
		}
		if !inRing || r.less(r.far[0], e) {
			return r.far[0], false
		}
	}
	return e, inRing
}

// ready reports whether the earliest held sample may go out: its window has
// passed, the cap is reached, or the input is over (drain).
func (r *reorder) ready(drain bool) bool {
	n := r.len()
	if n == 0 {
		return false
	}
	if drain || n > maxPending {
		return true
	}
	if !r.firstOK {
		r.findFirst()
	}
	// maxStart is never below a held start, so the difference taken in
	// uint64 is exact even for starts at the ends of int64 (damaged input).
	return uint64(r.maxStart)-uint64(r.first) > uint64(r.window)
}

// findFirst sets first, which only the earliest start decides, not which
// sample has it. There must be a sample held.
func (r *reorder) findFirst() {
	var first int64 = math.MaxInt64
	if r.inRing > 0 {
		first = r.ringMin()
	}
	if len(r.far) > 0 && r.far[0].start < first {
		first = r.far[0].start
	}
	r.first, r.firstOK = first, true
}

func (r *reorder) len() int { return r.inRing + len(r.far) }

// popSlot takes the earliest sample out and returns its slot, valid until
// the next alloc. There must be one. Handing out the slot rather than the
// Sample lets Next copy it once, straight into its result: one 300-byte
// copy per sample fewer, worth some 10% of the CSV reader.
func (r *reorder) popSlot() int32 {
	slot := r.take()
	r.release(slot)
	return slot
}

// release gives back a slot from take once its sample has been copied out.
func (r *reorder) release(slot int32) { r.free = append(r.free, slot) }

// take is popSlot without giving the slot back: it stays the sample's
// until release, however many allocs come in between.
func (r *reorder) take() int32 {
	r.firstOK = false
	top, inRing := r.head()
	if inRing {
		i := uint64(top.start) & r.mask
		b := &r.ring[i]
		if b.head == b.tail {
			r.inUse[i/64] &^= 1 << (i % 64)
		} else {
			b.head = r.link[top.slot]
		}
		r.inRing--
	} else {
		r.popFar()
	}
	// The slot keeps its strings until alloc reuses it: the slab is as big
	// as the window at its fullest, which bounds what it pins.
	if !r.released || top.start > r.lastOut {
		r.lastOut = top.start
	}
	r.released = true
	return top.slot
}

func (r *reorder) pushFar(e orderEntry) {
	r.far = append(r.far, e)
	i := len(r.far) - 1
	for i > 0 {
		p := (i - 1) / arity
		if !r.less(e, r.far[p]) {
			break
		}
		r.far[i] = r.far[p]
		i = p
	}
	r.far[i] = e
}

func (r *reorder) popFar() {
	n := len(r.far) - 1
	last := r.far[n]
	r.far = r.far[:n]
	if n == 0 {
		return
	}
	i := 0
	for {
		c := arity*i + 1
		if c >= n {
			break
		}
		best := c
		for k := c + 1; k < c+arity && k < n; k++ {
			if r.less(r.far[k], r.far[best]) {
				best = k
			}
		}
		if !r.less(r.far[best], last) {
			break
		}
		r.far[i] = r.far[best]
		i = best
	}
	r.far[i] = last
}
