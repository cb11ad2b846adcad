package redact

import (
	"bytes"
	"net/netip"
	"sort"

	"github.com/ceiling-dev/ceiling/parse/websocket"
)

// Streams: a SIP message over TCP, a WebSocket frame, an IP datagram cut
// in fragments can each be split anywhere, a phone number included. Each
// direction of a TCP connection (and each datagram being fragmented)
// keeps the start of its current line, so that a number or a header cut
// by a segment boundary is seen whole in the segment that ends it. What
// the earlier segment held of it was already redacted on its own (see
// scanner.final).

// flowCap bounds the streams followed at once; past it the least
// recently used half is forgotten (a forgotten stream starts over as if
// met mid-way: nothing leaks, a cut token may be redacted differently).
const flowCap = 4096

// ctxCap bounds the line kept as context. Header lines are shorter; a
// longer line loses its start, and with it which header it belongs to.
const ctxCap = 8 << 10

type flowKey struct{ src, dst netip.AddrPort }

type fragKey struct {
	src, dst netip.Addr
	id       uint32
	proto    byte
}

type streamKind uint8

const (
	kindText streamKind = iota
	kindTLS             // ciphertext: nothing to read, nothing changed
	kindWS              // WebSocket frames after an upgrade
)

type tcpFlow struct {
	used   uint64
	synced bool
	next   uint32
	ctx    []byte
	kind   streamKind
	known  bool // kind decided (by the first payload)
	ws     wsState
	// client is set on the side that sends masked WebSocket frames.
	client bool
	// lost: a gap in the capture left the WebSocket framing unknown.
	lost bool
	// ctype and left follow a SIP message whose body goes on in later
	// segments: its Content-Type, and how many body bytes are to come.
	ctype string
	left  int
}

type fragFlow struct {
	used uint64
	next int // offset expected next
	ctx  []byte
}

type flowTable struct {
	clock uint64
	conns map[flowKey]*tcpFlow
	sctp  map[flowKey]*tcpFlow // per stream: the destination's port is the stream identifier
	frags map[fragKey]*fragFlow
}

func (t *flowTable) init() {
	t.conns = map[flowKey]*tcpFlow{}
	t.sctp = map[flowKey]*tcpFlow{}
	t.frags = map[fragKey]*fragFlow{}
}

func (t *flowTable) tcpFlow(k flowKey) *tcpFlow {
	t.clock++
	f := t.conns[k]
	if f == nil {
		if len(t.conns) >= flowCap {
			evict(t.conns, func(f *tcpFlow) uint64 { return f.used })
		}
		f = &tcpFlow{}
		t.conns[k] = f
	}
	f.used = t.clock
	return f
}

// stream returns the state of an SCTP stream (keyed like a TCP
// direction, the stream identifier for the destination port); begin
// starts it over, at the first chunk of a message.
func (t *flowTable) stream(k flowKey, begin bool) *tcpFlow {
	t.clock++
	f := t.sctp[k]
	if f == nil {
		if len(t.sctp) >= flowCap {
			evict(t.sctp, func(f *tcpFlow) uint64 { return f.used })
		}
		f = &tcpFlow{}
		t.sctp[k] = f
	}
	f.used = t.clock
	if begin {
		f.ctx, f.ctype, f.left = f.ctx[:0], "", 0
	}
	return f
}

// evict forgets the least recently used half of m.
func evict[K comparable, V any](m map[K]V, used func(V) uint64) {
	ts := make([]uint64, 0, len(m))
	for _, v := range m {
		ts = append(ts, used(v))
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
	cut := ts[len(ts)/2]
	for k, v := range m {
		if used(v) < cut {
			delete(m, k)
		}
	}
}

// tcp redacts one segment's payload and returns it, same length.
func (t *flowTable) tcp(r *Redactor, k flowKey, seq uint32, flags byte, data []byte, frag bool) []byte {
	const fin, syn, rst = 1, 2, 4 // flag bits
	if r.quoting || frag {
		// Not part of the stream as the capture saw it.
		return r.streamText(nil, data, false)
	}
	f := t.tcpFlow(k)
	if flags&syn != 0 {
		*f = tcpFlow{used: f.used, synced: true, next: seq + 1}
	}
	if flags&rst != 0 {
		// Nothing follows a reset. (A FIN is not trusted to end the
		// state: a segment reordered behind it would find none.)
		defer func() {
			delete(t.conns, k)
			delete(t.conns, flowKey{k.dst, k.src})
		}()
	}
	if len(data) == 0 {
		return data
	}
	switch {
	case !f.synced:
		// Met mid-stream: what came before is unknown.
		f.synced, f.next = true, seq
	case seq == f.next:
	case int32(seq-f.next) < 0:
		// A retransmission or an overlap: redacted on its own.
		return t.standalone(r, f, data)
	default:
		// A gap: the bytes in between were not captured.
		f.ctx = f.ctx[:0]
		if f.kind == kindWS {
			f.lost = true
		}
	}
	f.next = seq + uint32(len(data))
	if flags&fin != 0 {
		f.next++
	}
	if !f.known {
		f.known = true
		if looksTLS(data) {
			f.kind = kindTLS
		}
	}
	switch f.kind {
	case kindTLS:
		return data
	case kindWS:
		return t.ws(r, f, data)
	}
	// An HTTP 101 that accepts a WebSocket: after its head the stream
	// carries frames, and so does the other direction.
	if bytes.HasPrefix(data, []byte("HTTP/1.1 101")) || bytes.HasPrefix(data, []byte("HTTP/1.0 101")) {
		if end := bytes.Index(data, []byte("\r\n\r\n")); end >= 0 && containsFold(data[:end], "websocket") {
			head := r.streamText(f, data[:end+4], false)
			f.kind, f.ctx = kindWS, f.ctx[:0]
			other := t.tcpFlow(flowKey{k.dst, k.src})
			other.kind, other.known, other.client, other.ctx = kindWS, true, true, other.ctx[:0]
			other.ws = wsState{}
			return append(head, t.ws(r, f, data[end+4:])...)
		}
	}
	return r.textSegment(f, data)
}

// textSegment redacts a segment of a text stream. SIP messages in it
// are handled as messages where the segment holds their head (their
// bodies by type: ISUP's numbers are binary); the rest, and a body that
// goes on, is scanned as a stream.
func (r *Redactor) textSegment(f *tcpFlow, data []byte) []byte {
	out := make([]byte, 0, len(data))
	for len(data) > 0 {
		if f.left > 0 {
			n := min(f.left, len(data))
			if mt, _ := mediaType(f.ctype); mt == "" || textType(mt) {
				out = append(out, r.streamText(f, data[:n], false)...)
			} else {
				out = append(out, fitted(r.body(f.ctype, data[:n], true), n)...)
			}
			f.left -= n
			data = data[n:]
			if f.left == 0 {
				f.ctx = f.ctx[:0]
			}
			continue
		}
		if len(f.ctx) == 0 {
			// Keep-alives (CRLF) between messages.
			k := 0
			for k < len(data) && (data[k] == '\r' || data[k] == '\n') {
				k++
			}
			out, data = append(out, data[:k]...), data[k:]
			if len(data) == 0 {
				break
			}
			if end := headEnd(data); end >= 0 && sipLooks(data) {
				// Over a stream Content-Length is mandatory: none
				// means no body.
				cl, _ := contentLength(data[:end])
				if end+cl <= len(data) {
					out = append(out, fitted(r.sipDatagram(data[:end+cl], true), end+cl)...)
					data = data[end+cl:]
					continue
				}
				sc := scanner{r: r, fixed: true, final: true}
				out = append(out, fitted(sc.run(nil, data[:end]), end)...)
				f.ctype, f.left = contentType(data[:end]), cl
				data = data[end:]
				continue
			}
		}
		out = append(out, r.streamText(f, data, false)...)
		break
	}
	return out
}

// fitted returns b if it is n long, else n zeros: a rule that broke the
// fixed-length promise must not put a stream out of shape, nor let
// anything through unredacted.
func fitted(b []byte, n int) []byte {
	if len(b) == n {
		return b
	}
	return make([]byte, n)
}

func (t *flowTable) standalone(r *Redactor, f *tcpFlow, data []byte) []byte {
	switch f.kind {
	case kindTLS:
		return data
	case kindWS:
		if f.client {
			// Masked with a key we cannot place: blank.
			r.stats.Blanked++
			return make([]byte, len(data))
		}
	}
	return r.streamText(nil, data, false)
}

// streamText scans a chunk of a text stream in fixed mode with the
// stream's current line as context; f may be nil (no context).
func (r *Redactor) streamText(f *tcpFlow, data []byte, final bool) []byte {
	var ctx []byte
	if f != nil {
		ctx = f.ctx
	}
	buf := append(ctx[:len(ctx):len(ctx)], data...)
	sc := scanner{r: r, fixed: true, final: final}
	out := sc.run(make([]byte, 0, len(buf)), buf)
	if len(out) != len(buf) {
		// A rule broke the fixed-length promise: never let the frame
		// out of shape, nor unredacted.
		out = make([]byte, len(buf))
		r.stats.Blanked++
	}
	if f != nil {
		f.ctx = lineTail(f.ctx[:0], buf)
	}
	return r.known(out[len(ctx):])
}

// lineTail keeps what follows the last newline of buf, at most ctxCap.
func lineTail(dst, buf []byte) []byte {
	if nl := bytes.LastIndexByte(buf, '\n'); nl >= 0 {
		buf = buf[nl+1:]
	}
	if len(buf) > ctxCap {
		buf = buf[len(buf)-ctxCap:]
	}
	return append(dst, buf...)
}

func looksTLS(b []byte) bool {
	return len(b) >= 5 && b[0] >= 20 && b[0] <= 24 && b[1] == 3 && b[2] <= 4
}

func containsFold(b []byte, s string) bool {
	return bytes.Contains(bytes.ToLower(b), []byte(s))
}

// wsState follows WebSocket framing (RFC 6455) across segments.
type wsState struct {
	hdr  [14]byte
	hn   int    // header bytes gathered
	left uint64 // payload bytes left in the current frame
	mask [4]byte
	mpos int
	// fin and op of the current frame; blank is set for the frames of a
	// compressed message.
	fin   bool
	op    byte
	blank bool
	ctx   []byte // the current message's line, unmasked
}

func (t *flowTable) ws(r *Redactor, f *tcpFlow, data []byte) []byte {
	if f.lost {
		return t.standalone(r, f, data)
	}
	w := &f.ws
	out := make([]byte, 0, len(data))
	for i := 0; i < len(data); {
		if w.left == 0 {
			// A frame header, possibly split.
			w.hdr[w.hn] = data[i]
			w.hn++
			out = append(out, data[i])
			i++
			if w.hn < 2 || w.hn < websocket.HeaderLen(w.hdr[:w.hn]) {
				continue
			}
			h := w.hdr[:w.hn]
			w.hn = 0
			w.fin, w.op = h[0]&0x80 != 0, h[0]&0x0f
			var n uint64
			switch h[1] & 0x7f {
			case 126:
				n = uint64(be16(h[2:4]))
			case 127:
				n = uint64(be32(h[2:6]))<<32 | uint64(be32(h[6:10]))
			default:
				n = uint64(h[1] & 0x7f)
			}
			w.mask, w.mpos = [4]byte{}, 0
			if h[1]&0x80 != 0 {
				copy(w.mask[:], h[len(h)-4:])
			}
			if w.op == 1 || w.op == 2 {
				// A new message: RSV1 says permessage-deflate.
				w.blank = h[0]&0x40 != 0
				w.ctx = w.ctx[:0]
			}
			if w.op >= 8 {
				w.ctx = w.ctx[:0]
			}
			w.left = n
			continue
		}
		n := min(w.left, uint64(len(data)-i))
		chunk := make([]byte, n)
		for k := range chunk {
			chunk[k] = data[i+k] ^ w.mask[(w.mpos+k)&3]
		}
		last := n == w.left
		var red []byte
		if w.blank && w.op < 8 {
			// Compressed: the text cannot be read to be redacted.
			red = make([]byte, n)
			r.stats.Blanked++
		} else {
			fl := &tcpFlow{ctx: w.ctx}
			red = r.streamText(fl, chunk, last && w.fin)
			w.ctx = fl.ctx
		}
		for k := range red {
			out = append(out, red[k]^w.mask[(w.mpos+k)&3])
		}
		w.mpos = (w.mpos + int(n)) & 3
		w.left -= n
		i += int(n)
		if last && w.fin {
			w.ctx = w.ctx[:0]
		}
	}
	return out
}

// fragment redacts the data of an IP fragment after the first, with the
// datagram's text so far as context when the fragments come in order.
func (t *flowTable) fragment(r *Redactor, in *ipInfo, p []byte) []byte {
	k := fragKey{in.src, in.dst, in.fragID, in.proto}
	t.clock++
	f := t.frags[k]
	var ctx []byte
	if f != nil && f.next == in.fragOff {
		ctx = f.ctx
	}
	fl := &tcpFlow{ctx: ctx}
	out := r.streamText(fl, p, false)
	if f == nil {
		if len(t.frags) >= flowCap {
			evict(t.frags, func(f *fragFlow) uint64 { return f.used })
		}
		f = &fragFlow{}
		t.frags[k] = f
	}
	f.used, f.next, f.ctx = t.clock, in.fragOff+len(p), fl.ctx
	return out
}

// fragmentStart records the first fragment's data as context for the
// next one.
func (t *flowTable) fragmentStart(in *ipInfo, p []byte) {
	k := fragKey{in.src, in.dst, in.fragID, in.proto}
	t.clock++
	if len(t.frags) >= flowCap {
		evict(t.frags, func(f *fragFlow) uint64 { return f.used })
	}
	t.frags[k] = &fragFlow{used: t.clock, next: len(p), ctx: lineTail(nil, p)}
}
