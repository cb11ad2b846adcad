package evidence

import (
	"bytes"
	"container/heap"
	"errors"
	"net/netip"

	"github.com/ceiling-dev/ceiling/parse/pcap"
	"github.com/ceiling-dev/ceiling/parse/sip"
)

// sipStream follows a TCP connection that carries several SIP dialogs, of
// which some are chosen: a dialog's packets there are the segments that
// carry the bytes of its messages, not the connection. Each direction's
// bytes are framed into messages (RFC 3261 18.3: by Content-Length) as
// they come, in sequence order, and the segments of a message are held
// until it is whole and its Call-ID says whether it is evidence. What is
// held is bounded by the largest message the SIP parser accepts.
//
// Retransmitted segments bring no new byte and are not written, as tshark
// counts a message's segments (tcp.segment); a hole in the capture drops
// what was held and framing starts again at the next message. A direction
// that turns out not to be bare SIP (a WebSocket, TLS) falls back to the
// segments whose bytes hold a chosen Call-ID.
type sipStream struct {
	calls *sipCalls
	a     netip.AddrPort // the tuple's first end: dir[0] is what it sends
	dir   [2]sipDir
	last  int64   // the latest packet's time
	fin   [2]bool // each side's FIN
}

type sipDir struct {
	started bool
	next    uint32 // sequence number of the next new byte
	buf     []byte // bytes of the message(s) not yet whole
	held    []heldSeg
	// fresh is set until the first message or hole: only the first bytes
	// of a direction can tell that it is not bare SIP.
	fresh  bool
	notSIP bool
}

// heldSeg is a segment whose bytes are in buf[start:end].
type heldSeg struct {
	f          outFrame
	p          pcap.Packet // what a ladder needs: ends, time, frame number
	start, end int
	written    bool
	// owned is set once f.data is a copy: a segment whose message ends in
	// it is framed before the next record is read, and most never need
	// one.
	owned bool
}

// maxStreamBuffer bounds what a direction holds: one message at the SIP
// parser's limits.
const maxStreamBuffer = sip.DefaultMaxHeaderBytes + sip.DefaultMaxBody

func (st *sipStream) side(p *pcap.Packet) int {
	if p.SrcAddrPort() == st.a {
		return 0
	}
	return 1
}

// maxStreams bounds the connections framed at once; past it, those idle
// for a minute of capture time are forgotten.
const maxStreams = 4096

// stream finds, or begins, the framing of a TCP connection between hosts
// that exchanged chosen dialogs; nil for other connections.
func (s *scanner) stream(p *pcap.Packet) *sipStream {
	if len(s.keys.hosts) == 0 {
		return nil
	}
	t := makeTuple(p.SrcAddrPort(), p.DstAddrPort())
	if st := s.streams[t]; st != nil {
		return st
	}
	calls := s.keys.hosts[makeHostPair(p.Src, p.Dst)]
	if calls == nil {
		return nil
	}
	if len(s.streams) >= maxStreams {
		for k, st := range s.streams {
			if s.now-st.last > 60e9 {
				delete(s.streams, k)
			}
		}
	}
	st := &sipStream{calls: calls, a: t.a}
	if s.streams == nil {
		s.streams = map[tuple]*sipStream{}
	}
	s.streams[t] = st
	return st
}

// endStream forgets a connection once it is over.
func (s *scanner) endStream(st *sipStream, p *pcap.Packet) {
	side := st.side(p)
	if p.Flags&pcap.FIN != 0 {
		st.fin[side] = true
	}
	if p.Flags&pcap.RST != 0 || (st.fin[0] && st.fin[1]) {
		delete(s.streams, makeTuple(p.SrcAddrPort(), p.DstAddrPort()))
	}
}

// streamSegment takes one TCP segment of the connection, f being the
// record it came in: it is held until the messages it carries are whole,
// then written if one of them is a chosen dialog's. written says the frame
// is already on its way out (as part of another chosen attempt).
func (s *scanner) streamSegment(st *sipStream, p *pcap.Packet, f outFrame, written bool) {
	d := &st.dir[st.side(p)]
	st.last = p.Time
	defer s.endStream(st, p)
	if p.Flags&pcap.SYN != 0 {
		d.reset()
		d.started, d.next, d.fresh, d.notSIP = true, p.Seq+1, true, false
		return
	}
	payload := p.Payload
	if len(payload) == 0 || len(payload) < p.PayloadLen {
		// Nothing to frame, or cut by the snap length: a hole.
		if len(payload) > 0 {
			d.reset()
			d.started, d.fresh = false, false
		}
		return
	}
	if d.notSIP {
		if !written {
			s.streamFallback(st, p, payload, f)
		}
		return
	}
	if !d.started {
		// The connection began before the capture: frame from here.
		d.started, d.next = true, p.Seq
	}
	switch off := int32(p.Seq - d.next); {
	case off > 0:
		// A hole: what was held cannot be framed any more.
		d.reset()
		d.next, d.fresh = p.Seq, false
	case off < 0:
		if int(-off) >= len(payload) {
			return // a retransmission: no new byte
		}
		payload = payload[-off:]
	}
	d.next += uint32(len(payload))
	start := len(d.buf)
	d.buf = append(d.buf, payload...)
	d.held = append(d.held, heldSeg{f: f, p: pcap.Packet{Num: p.Num, Time: p.Time, Src: p.Src, Dst: p.Dst, SrcPort: p.SrcPort, DstPort: p.DstPort},
		start: start, end: len(d.buf), written: written})
	s.frameMessages(st, d, p)
	if len(d.buf) > maxStreamBuffer {
		d.reset()
	}
	for i := range d.held {
		if h := &d.held[i]; !h.owned {
			h.f.data, h.owned = append([]byte(nil), h.f.data...), true
		}
	}
}

// frameMessages cuts the whole messages off the front of d.buf.
func (s *scanner) frameMessages(st *sipStream, d *sipDir, p *pcap.Packet) {
	opts := s.x.opts.SIP
	opts.Datagram = false
	for len(d.buf) > 0 {
		var m *sip.Message
		ok, n, err := s.parser.ParseInto(&s.smsg, d.buf, &opts)
		if ok {
			m = &s.smsg
		}
		if err != nil && errors.Is(err, sip.ErrIncomplete) {
			return
		}
		if n <= 0 {
			n = len(d.buf)
		}
		if m == nil && d.fresh && !errors.Is(err, sip.ErrKeepAlive) && !sip.Looks(d.buf) {
			// Not SIP from the first byte: a WebSocket or TLS.
			d.notSIP = true
			for _, h := range d.held {
				if !h.written {
					s.streamFallback(st, &h.p, d.buf[h.start:h.end], h.f)
				}
			}
			d.reset()
			return
		}
		if m != nil {
			d.fresh = false
		}
		if m != nil && m.CallID != "" {
			if refs := st.calls.refs[m.CallID]; len(refs) > 0 {
				s.writeMessage(d, n, m, refs)
			}
		}
		d.consume(n)
	}
}

// writeMessage writes the held segments of the message in d.buf[:n].
func (s *scanner) writeMessage(d *sipDir, n int, m *sip.Message, refs []ref) {
	var hits []hit
	label, bad := sipLabel(m)
	last := -1
	for i := range d.held {
		if d.held[i].start < n {
			last = i
		}
	}
	if last < 0 {
		return
	}
	lp := &d.held[last].p
	for _, r := range refs {
		hits = append(hits, hit{r, label, bad, sipDedup(lp, m)})
	}
	comments := s.x.record(s.file, lp, hits)
	var k int64
	for i := 0; i <= last; i++ {
		h := &d.held[i]
		if h.written {
			continue // its first bytes ended a message already written
		}
		h.written = true
		f := h.f
		if !h.owned {
			f.data = append([]byte(nil), f.data...)
		}
		f.comments = comments
		heap.Push(&s.queue, f)
		k++
	}
	s.x.count(hits, k)
}

// consume drops the first n bytes of buf, and the segments wholly in them.
func (d *sipDir) consume(n int) {
	d.buf = d.buf[n:]
	keep := d.held[:0]
	for _, h := range d.held {
		h.start -= n
		h.end -= n
		if h.end > 0 {
			h.start = max(h.start, 0)
			keep = append(keep, h)
		}
	}
	clear(d.held[len(keep):])
	d.held = keep
	if len(d.buf) == 0 {
		d.buf = d.buf[:0:0]
	}
}

func (d *sipDir) reset() {
	d.buf = nil
	d.held = nil
}

// streamHoldLimit is how long, in capture time, a message may stay
// incomplete: its segments come within moments of each other, so one
// still open after this is cut short for good, and what it held is
// dropped rather than keep the frames found after it waiting.
const streamHoldLimit = 30e9

// oldest is the time of the oldest segment held, now being the capture's
// latest time.
func (st *sipStream) oldest(now int64) (int64, bool) {
	t, ok := int64(0), false
	for i := range st.dir {
		d := &st.dir[i]
		if len(d.held) > 0 && now-d.held[0].f.time > streamHoldLimit {
			d.reset()
			d.fresh = false
		}
		if h := d.held; len(h) > 0 && (!ok || h[0].f.time < t) {
			t, ok = h[0].f.time, true
		}
	}
	return t, ok
}

// streamFallback writes a segment whose bytes hold a chosen Call-ID.
func (s *scanner) streamFallback(st *sipStream, p *pcap.Packet, payload []byte, f outFrame) {
	var hits []hit
	for _, id := range st.calls.ids {
		if !bytes.Contains(payload, []byte(id)) {
			continue
		}
		label, bad := payloadLabel(payload, nil, false)
		for _, r := range st.calls.refs[id] {
			hits = append(hits, hit{r, label, bad, ""})
		}
	}
	if len(hits) == 0 {
		return
	}
	f.comments = s.x.record(s.file, p, hits)
	f.data = append([]byte(nil), f.data...)
	heap.Push(&s.queue, f)
	s.x.count(hits, 1)
}
