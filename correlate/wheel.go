package correlate

// dueWheel holds the calls' due times for the sweeps, in buckets of a
// second of capture time. A sweep at now takes every call due before now,
// and in no particular order: what expire does to one call does not
// depend on another, and what it queues again is due at now or later.
// So the calls of a second need no order among themselves, and a due time
// is filed and taken in constant time (a heap of the out-of-order ones
// was a third of the sweeps' cost).
type dueWheel struct {
	// ring[s % len(ring)] is second s's bucket; every due time held is in
	// a second from lo to hi, and hi-lo < len(ring).
	ring   [][]expiry
	lo, hi int64
	spare  []expiry // a bucket's array, for the next bucket taken
	// touched keeps take's reads ahead from being thrown away.
	touched uint64
}

// takeAhead is how many entries take reads the calls of at once.
const takeAhead = 32

const dueSecond = int64(1e9)

func (w *dueWheel) push(e expiry) {
	s := floorDiv(e.at, dueSecond)
	switch {
	case len(w.ring) == 0:
		w.ring, w.lo, w.hi = make([][]expiry, 128), s, s
	case s < w.lo:
		// Due before a second already swept (a capture's times go
		// backwards now and then): the next sweep takes it.
		w.fit(w.hi - s + 1)
		w.lo = s
	case s > w.hi:
		w.fit(s - w.lo + 1)
		w.hi = s
	}
	k := &w.ring[s%int64(len(w.ring))]
	*k = append(*k, e)
}

// fit makes room for n seconds.
func (w *dueWheel) fit(n int64) {
	size := int64(len(w.ring))
	if n <= size {
		return
	}
	for size < n {
		size *= 2
	}
	ring := make([][]expiry, size)
	for s := w.lo; s <= w.hi; s++ {
		ring[s%size] = w.ring[s%int64(len(w.ring))]
	}
	w.ring = ring
}

// take calls f for every entry due before now and forgets it; f may push
// entries due at now or later. calls is the table the entries' calls are
// in (see takeSome).
func (w *dueWheel) take(now int64, f func(expiry), calls *callTable) {
	last := floorDiv(now, dueSecond)
	if len(w.ring) == 0 || w.lo > last {
		return
	}
	for s := w.lo; s <= min(last, w.hi); s++ {
		// Taken out of the ring: f may push into it, and grow it.
		i := s % int64(len(w.ring))
		bucket := w.ring[i]
		w.ring[i], w.spare = w.spare[:0], nil
		w.lo = s
		for k := 0; k < len(bucket); k += takeAhead {
			w.takeSome(bucket[k:min(k+takeAhead, len(bucket))], now, f, calls)
		}
		clear(bucket)
		w.spare = bucket[:0]
	}
	w.lo = last
	w.hi = max(w.hi, last)
}

// takeSome is take for some entries of a bucket. Their calls were last
// read half a minute of traffic ago or more: a loop that does nothing
// else reads them first, and their slots in calls (which a call
// forgotten is taken out of), so that their misses of the caches overlap
// (as sipTracker.readAhead's), rather than come one per call, each
// behind the work on the call before.
func (w *dueWheel) takeSome(es []expiry, now int64, f func(expiry), calls *callTable) {
	for _, e := range es {
		w.touched += e.c.touch() + calls.slotAt(e.c.hash)
	}
	for _, e := range es {
		if e.at >= now {
			// Only in now's own second: the next sweep's.
			w.push(e)
			continue
		}
		f(e)
	}
}
