package correlate

// inflight counts a layer's JTL samples in flight: at each sample's
// start, itself and those that started before it and have not ended (an
// end at the start itself is over). A min-heap of the ends did it, at log2 of the
// count per sample and per end (eleven levels for 2,000 threads: 3% of a
// JTL-only run). Most samples end within seconds of the latest start, so
// the ends in the next span of milliseconds are counted in a ring, one
// slot a millisecond, and let go by sweeping it up to each later start
// (a few slots a sample); the heap keeps only the others: an end past
// the span, or one at or before the latest start (a late sample's, which
// a later sample's start lets go, as the heap alone did).
type inflight struct {
	ring   *[inflightSpan]int32 // ends in (swept, swept+inflightSpan], by ms mod the span
	inRing int
	swept  int64 // the latest start: every end in the ring is after it
	far    endHeap
}

// inflightSpan is the ring's span in ms: 32 s, longer than most samples
// (a call's 24 s in the bench's JTL); 128 kB a layer.
const inflightSpan = 1 << 15

// enter lets go of the ends at or before start, adds end and returns how
// many are in flight with it.
func (f *inflight) enter(start, end int64) int32 {
	if f.ring == nil {
		f.ring, f.swept = new([inflightSpan]int32), start
	}
	if start > f.swept {
		f.sweep(start)
	}
	for len(f.far) > 0 && f.far[0] <= start {
		f.far.pop()
	}
	n := int32(f.inRing + len(f.far) + 1)
	// The difference as unsigned: exact for any two times, end the later.
	if end > f.swept && uint64(end-f.swept) <= inflightSpan {
		f.ring[end&(inflightSpan-1)]++
		f.inRing++
	} else {
		f.far.push(end)
	}
	return n
}

// sweep lets go of the ring's ends up to to, which is after swept.
func (f *inflight) sweep(to int64) {
	switch {
	case f.inRing == 0:
	case uint64(to-f.swept) >= inflightSpan:
		clear(f.ring[:])
		f.inRing = 0
	default:
		for t := f.swept + 1; t <= to && f.inRing > 0; t++ {
			c := &f.ring[t&(inflightSpan-1)]
			f.inRing -= int(*c)
			*c = 0
		}
	}
	f.swept = to
}

// endHeap is a min-heap of the ends of samples in flight. It is its own
// code rather than container/heap, whose interface boxed every end: an
// allocation per sample.
type endHeap []int64

func (h *endHeap) push(x int64) {
	*h = append(*h, x)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if s[p] <= x {
			break
		}
		s[i] = s[p]
		i = p
	}
	s[i] = x
}

func (h *endHeap) pop() {
	s := *h
	n := len(s) - 1
	x := s[n]
	s = s[:n]
	i := 0
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && s[c+1] < s[c] {
			c++
		}
		if x <= s[c] {
			break
		}
		s[i] = s[c]
		i = c
	}
	if n > 0 {
		s[i] = x
	}
	*h = s
}
