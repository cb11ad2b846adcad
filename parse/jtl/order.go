package jtl

import "time"

// maxPending caps the samples held for reordering whatever the window
// says, so that a file whose start times never advance (no timeStamp
// column, or a clock stuck at 0) cannot pull itself into memory. Past the
// cap the earliest sample goes out; order is then only as good as the cap.
const maxPending = 1 << 18

// reorder puts samples back in start-time order. JMeter writes a row when
// a sample ends, so a long sample is written after shorter ones that
// started later. A sample is held until the newest start seen is more than
// the window past its own start; no sample that ended within the window of
// a later one can then come out of order.
//
// Samples sit in a slab and the heap orders small (start, seq, slot)
// entries: moving 300-byte Samples around a heap of tens of thousands cost
// more than parsing them.
type reorder struct {
	window   int64 // ms
	slab     []Sample
	free     []int32
	heap     []orderEntry
	seq      uint64
	maxStart int64
	started  bool // maxStart is set

	lastOut    int64
	released   bool
	outOfOrder int64
}

// arity of the heap: four children per node halve its depth and sit in
// one cache line. Measured against 2 and 8 on BenchmarkCSV it was ahead by
// a few percent, within the noise of a shared machine; the pop is a fifth
// of the reader's time either way, mostly the cache miss on the slab.
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
		r.slab[slot] = Sample{}
		return slot, &r.slab[slot]
	}
	r.slab = append(r.slab, Sample{})
	slot := int32(len(r.slab) - 1)
	return slot, &r.slab[slot]
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
	s := &r.slab[slot]
	if r.released && s.Start < r.lastOut {
		// Too late to be put back in place: it goes out next, and is
		// counted so that the report can say how disordered the file was.
		r.outOfOrder++
	}
	if !r.started || s.Start > r.maxStart {
		r.maxStart, r.started = s.Start, true
	}
	e := orderEntry{start: s.Start, seq: seq, slot: slot}
	r.heap = append(r.heap, e)
	// sift up
	i := len(r.heap) - 1
	for i > 0 {
		p := (i - 1) / arity
		if !r.less(e, r.heap[p]) {
			break
		}
		r.heap[i] = r.heap[p]
		i = p
	}
	r.heap[i] = e
}

// ready reports whether the earliest held sample may go out: its window has
// passed, the cap is reached, or the input is over (drain).
func (r *reorder) ready(drain bool) bool {
	if len(r.heap) == 0 {
		return false
	}
	// maxStart is never below a held start, so the difference taken in
	// uint64 is exact even for starts at the ends of int64 (damaged input).
	return drain || len(r.heap) > maxPending || uint64(r.maxStart)-uint64(r.heap[0].start) > uint64(r.window)
}

func (r *reorder) len() int { return len(r.heap) }

// popSlot takes the earliest sample off the heap and returns its slot,
// valid until the next alloc. The heap must not be empty. Handing out the
// slot rather than the Sample lets Next copy it once, straight into its
// result: one 300-byte copy per sample fewer, worth some 10% of the CSV
// reader.
func (r *reorder) popSlot() int32 {
	top := r.heap[0]
	n := len(r.heap) - 1
	last := r.heap[n]
	r.heap = r.heap[:n]
	if n > 0 {
		// sift down
		i := 0
		for {
			c := arity*i + 1
			if c >= n {
				break
			}
			best := c
			for k := c + 1; k < c+arity && k < n; k++ {
				if r.less(r.heap[k], r.heap[best]) {
					best = k
				}
			}
			if !r.less(r.heap[best], last) {
				break
			}
			r.heap[i] = r.heap[best]
			i = best
		}
		r.heap[i] = last
	}
	// The slot keeps its strings until alloc reuses it: the slab is as big
	// as the window at its fullest, which bounds what it pins.
	r.free = append(r.free, top.slot)
	if !r.released || top.start > r.lastOut {
		r.lastOut = top.start
	}
	r.released = true
	return top.slot
}
