package tcp

import "bytes"

// history keeps the last bytes delivered in one direction that the peer has
// not acknowledged yet, so that a retransmission of them can be checked
// against what was delivered (an overlap with different data is a
// conflict). Data the peer has acknowledged is not retransmitted by a
// correct sender, so it is dropped; the ring goes back to the pool as soon
// as it is empty, and a connection whose data is acknowledged promptly
// holds none between exchanges.
type history struct {
	buf   []byte // nil when empty; its length is a power of two
	start int64  // stream offset of the oldest byte held
	end   int64  // stream offset just past the newest byte
}

func (r *history) empty() bool { return r.buf == nil || r.start == r.end }

// add appends d, which starts at stream offset off (the end of what is held
// when the ring is in use).
func (r *history) add(off int64, d []byte) {
	if off != r.end || r.start == r.end {
		// Something was delivered without being kept (a gap, or no ring
		// while the budget was spent), or nothing is held: start afresh
		// from d.
		r.start, r.end = off, off
	}
	size := int64(len(r.buf))
	if int64(len(d)) > size {
		skip := int64(len(d)) - size
		d = d[skip:]
		off += skip
		r.start, r.end = off, off
	}
	pos := off & (size - 1)
	n := copy(r.buf[pos:], d)
	copy(r.buf, d[n:])
	r.end = off + int64(len(d))
	if r.end-r.start > size {
		r.start = r.end - size
	}
}

// need is how many bytes the ring must hold to keep all it holds and d,
// n bytes at stream offset off.
func (r *history) need(off int64, n int) int64 {
	if off != r.end || r.start == r.end {
		return int64(n)
	}
	return r.end - r.start + int64(n)
}

// moveTo copies what the ring holds into buf, a larger ring, and uses it.
func (r *history) moveTo(buf []byte) {
	om, nm := int64(len(r.buf)-1), int64(len(buf)-1)
	for off := r.start; off < r.end; {
		a, b := off&om, off&nm
		n := min(r.end-off, om+1-a, nm+1-b)
		copy(buf[b:b+n], r.buf[a:a+n])
		off += n
	}
	r.buf = buf
}

// differs reports whether d, which starts at stream offset off, disagrees
// with any byte held.
func (r *history) differs(off int64, d []byte) bool {
	if r.empty() {
		return false
	}
	lo, hi := max(off, r.start), min(off+int64(len(d)), r.end)
	if lo >= hi {
		return false
	}
	mask := int64(len(r.buf) - 1)
	a, b := lo&mask, hi&mask
	want := d[lo-off : hi-off]
	if a < b || b == 0 {
		end := b
		if b == 0 {
			end = mask + 1
		}
		return !bytes.Equal(r.buf[a:end], want)
	}
	first := r.buf[a:]
	return !bytes.Equal(first, want[:len(first)]) || !bytes.Equal(r.buf[:b], want[len(first):])
}

// trim forgets what comes before stream offset to.
func (r *history) trim(to int64) {
	if to > r.start {
		r.start = min(to, r.end)
	}
}
