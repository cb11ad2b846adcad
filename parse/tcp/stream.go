package tcp

import "slices"

// half is the reassembly state of one direction of a connection: the bytes
// one side sends. Positions are stream offsets (int64, counted from the
// sequence number after the SYN, or from the first one seen mid-stream), so
// that the 32-bit sequence space wraps without anyone noticing; a sequence
// number is turned into an offset relative to next, and so it can be up to
// 2 GiB either side of it.
type half struct {
	halfState

	// The rest is read only when halfState says so: heldBuf when held has
	// room (cap), the probe when hasProbe. So emptying a side at close
	// (reset) writes its first two cache lines, not the third, which most
	// connections never touch.

	// heldBuf is the array held was last allocated in: held is taken
	// from its front as pieces are delivered, and starts again at its
	// beginning, so that holding and delivering does not allocate.
	heldBuf []segment

	// A zero-window probe: one byte sent at next while the peer's window
	// was closed. It is kept aside, not delivered, unless the peer
	// acknowledges it. winClosed says that the peer's last segment
	// advertised a zero window, with the acknowledgement winAt;
	// hasProbe that a probe is kept, probeCut that its byte itself was
	// not captured.
	probe     byte
	probeAt   int64
	probeTime int64
	probePkt  int64

	// Three cache lines in all, so that the second side starts on a line
	// of its own.
	_ [8]byte
}

type halfState struct {
	// What a segment reads of its own side and of the side it
	// acknowledges comes first: base to held fill the half's first cache
	// line, hist to ackRawOK its second (see conn).
	base  uint32 // the sequence number of stream offset 0
	known bool   // base is set: this side has sent something (or its SYN was seen)
	// winClosed, hasProbe and probeCut are the zero-window probe's (see
	// half), here where they share a word with base.
	winClosed bool
	hasProbe  bool
	probeCut  bool

	next    int64 // offset of the next byte to deliver
	highest int64 // offset just past the furthest byte seen
	// acked is the furthest offset the peer acknowledged. When it is past
	// next, the bytes in between were received by the peer and never seen
	// by the capture: they will not come again (a sender does not resend
	// what was acknowledged), and are declared a gap once something shows
	// that they are not merely late: data beyond them, the FIN, or the end.
	acked int64
	fin   int64 // offset of the FIN, -1 while none

	// held is the data that came ahead of a hole, in offset order, not
	// overlapping; each piece starts past next.
	held []segment

	hist history

	winAt     int64 // see winClosed
	heldBytes int64

	// Before this side has sent anything, the peer's last acknowledgement
	// of it, to tell a keep-alive from the start of the stream.
	ackRaw   uint32
	ackRawOK bool
}

// segment is a piece of held stream: data, or (data nil) bytes known to be
// lost, such as the part of a segment the snap length cut.
type segment struct {
	off  int64
	n    int64
	data []byte // from the pool; nil for a lost range
	time int64
	pkt  int64
}

func (s *segment) end() int64 { return s.off + s.n }

// reset readies h for a connection: a new one, or one that closed, whose
// held data was delivered and history given back.
func (h *half) reset() {
	if cap(h.held) > 0 {
		h.heldBuf = nil
	}
	h.halfState = halfState{fin: -1}
}

// setBase makes seq stream offset 0.
func (h *half) setBase(seq uint32) {
	h.base, h.known = seq, true
}

// off turns a sequence number into a stream offset, the one nearest next.
func (h *half) off(seq uint32) int64 {
	return h.next + int64(int32(seq-(h.base+uint32(h.next))))
}

// done reports whether everything up to the FIN was delivered.
func (h *half) done() bool { return h.fin >= 0 && h.next >= h.fin }

// heldEnd is the offset past the last held byte, or next.
func (h *half) heldEnd() int64 {
	if len(h.held) == 0 {
		return h.next
	}
	return h.held[len(h.held)-1].end()
}

// insertHeld puts g at index i of held.
func (h *half) insertHeld(i int, g segment) {
	if len(h.held) == cap(h.held) && len(h.held) < cap(h.heldBuf) {
		// Out of room at the end of the array, free room at its front.
		n := copy(h.heldBuf[:cap(h.heldBuf)], h.held)
		h.held = h.heldBuf[:n]
		clear(h.heldBuf[n:cap(h.heldBuf)])
	}
	h.held = slices.Insert(h.held, i, g)
	if cap(h.held) > cap(h.heldBuf) {
		h.heldBuf = h.held[:0]
	}
}
