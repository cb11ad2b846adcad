package tcp

import "math/bits"

// pool recycles the buffers that hold out-of-order segments and delivered
// history, by power-of-two size class, so that a busy capture does not
// allocate per packet once the pool has warmed up. It keeps at most
// maxFree bytes of free buffers, so that one burst does not pin its peak
// for the rest of the run.
type pool struct {
	free      [nClasses][][]byte
	freeBytes int64
	maxFree   int64
}

const (
	minClassShift = 8  // 256 bytes
	nClasses      = 11 // up to 256 KiB, the largest packet a capture holds
)

func classOf(n int) int {
	if n <= 1<<minClassShift {
		return 0
	}
	return bits.Len(uint(n-1)) - minClassShift
}

// get returns a buffer of length n; its capacity is n's size class.
func (p *pool) get(n int) []byte {
	c := classOf(n)
	if c >= nClasses {
		return make([]byte, n)
	}
	if l := len(p.free[c]); l > 0 {
		b := p.free[c][l-1]
		p.free[c][l-1] = nil
		p.free[c] = p.free[c][:l-1]
		p.freeBytes -= int64(cap(b))
		return b[:n]
	}
	return make([]byte, n, 1<<(c+minClassShift))
}

// put gives a buffer from get back.
func (p *pool) put(b []byte) {
	if b == nil {
		return
	}
	c := classOf(cap(b))
	if c >= nClasses || cap(b) != 1<<(c+minClassShift) || p.freeBytes+int64(cap(b)) > p.maxFree {
		return
	}
	p.free[c] = append(p.free[c], b[:0])
	p.freeBytes += int64(cap(b))
}
