package websocket

import (
	"encoding/binary"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"sync"
	"unicode/utf8"
)

// Options tune a Parser.
type Options struct {
	// FromClient says the bytes are what the client sent, whose frames
	// must be masked; a server's must not be.
	FromClient bool
	// Extensions is the Sec-WebSocket-Extensions value of the 101
	// response: what the handshake negotiated. With permessage-deflate
	// in it, messages with RSV1 are inflated.
	Extensions string
	// MaxMessage is how many payload bytes of each message are kept in
	// Message.Payload; 0 means DefaultMaxMessage.
	MaxMessage int
	// MaxCompressed bounds the compressed bytes of one message held
	// until it is complete and can be inflated; 0 means
	// DefaultMaxCompressed.
	MaxCompressed int
	// MaxInflate bounds what one message may inflate to (the rest is
	// not inflated); 0 means DefaultMaxInflate.
	MaxInflate int64
	// ReuseMessages lets the Parser reuse the Messages it reports, and
	// their Payload, from its next call on: for a caller that is done
	// with each message when the call that reported it returns, so that
	// a busy stream costs no allocation per message. A Payload may then
	// alias the bytes given to Feed (an unmasked message that came whole
	// in them), which must stay as they are until the caller is done.
	ReuseMessages bool
	// NoFrames leaves out the KindFrame events, for a caller that reads
	// messages and problems only: a busy stream is a frame per message.
	NoFrames bool
}

// The defaults keep a SIP message (a few KB) whole with room to spare,
// and bound what a broken or hostile stream can make a parser hold (the
// compressed bytes of one message, 32 KiB of deflate window) or do (a
// deflate bomb stops at MaxInflate).
const (
	DefaultMaxMessage    = 64 << 10
	DefaultMaxCompressed = 1 << 20
	DefaultMaxInflate    = 16 << 20
)

// Stats counts what a Parser did. They never decrease.
type Stats struct {
	// Bytes, Messages and Frames come first: every frame counts in them,
	// and so they lie in one cache line of the Parser (see Parser).
	Bytes    int64 // bytes fed
	Messages int64 // KindMessage events
	// Frames counts frame headers by opcode.
	Frames   [16]int64
	GapBytes int64 // bytes the capture lost (Gap)
	Problems int64 // KindProblem events
	// MaskViolations counts frames masked the wrong way for their
	// direction.
	MaskViolations int64
	// Inflated counts compressed messages inflated whole, InflateFailed
	// the others.
	Inflated      int64
	InflateFailed int64
	// Stopped says a fatal problem stopped the parser; Unparsed counts
	// the bytes fed after it.
	Stopped  bool
	Unparsed int64
}

type state uint8

const (
	stHeader state = iota
	stPayload
	stDead
)

// Parser reads the frames one side of a WebSocket connection sent, from
// the first byte after the 101 response (or its request) on.
//
// What a frame reads and writes lies together: the first three cache
// lines, own[0] (with Options.ReuseMessages, the message it reports), and
// the event reporting it beside the per-frame counters. A capture has a WebSocket per call,
// each side of it cold by its next segment: its fields were spread over
// nine lines, and the message it reused was reached through a slice of
// its own, a load that waited on another.
type Parser struct {
	state      state
	ended      bool
	fromClient bool
	deflate    bool
	reuse      bool
	noFrames   bool
	// For the data message: its payload stopped being kept at a gap; its
	// compressed bytes (compOver: more than MaxCompressed came), and
	// whether a gap cut them.
	stopKeep  bool
	ctlStop   bool // the same for the control frame in progress
	compOver  bool
	compGap   bool
	closeSeen bool
	// Bits of own: in progress or reported by the last call (busy),
	// reported by it (lent: free from the next call on), with a Payload
	// not to keep (drop: the caller's bytes, or a buffer too large).
	busy, lent, drop uint8

	hdr    [14]byte
	hdrN   int
	hdrOff int64
	off    int64
	remain int64

	maskPos int
	maxMsg  int
	cur     *Message // where the current frame's payload goes; nil: nowhere
	data    *Message // the data message in progress
	ev      []Event
	// borrowed is the message whose Payload aliases the bytes being fed
	// (see keep), until it is reported.
	borrowed *Message

	frame Frame
	comp  []byte

	// own holds the messages reported with Options.ReuseMessages, each
	// with its payload buffer, used again once the caller is done with
	// them; mostly own[0] alone.
	own [maxSpare]Message
	// ev1 is where ev starts, holding the one event most calls report:
	// an array of its own was one more cold line to write and read.
	ev1   [1]Event
	stats Stats

	inf        *inflater
	maxComp    int
	maxInflate int64
}

// NewParser returns a parser for one direction of a connection.
func NewParser(o Options) *Parser {
	p := parsers.Get().(*Parser)
	// A parser back from Release keeps its buffers and spare messages.
	*p = Parser{
		fromClient: o.FromClient,
		maxMsg:     o.MaxMessage,
		maxComp:    o.MaxCompressed,
		maxInflate: o.MaxInflate,
		reuse:      o.ReuseMessages,
		noFrames:   o.NoFrames,
		comp:       p.comp[:0],
		own:        p.own,
	}
	p.ev = p.ev1[:0]
	if p.maxMsg <= 0 {
		p.maxMsg = DefaultMaxMessage
	}
	if p.maxComp <= 0 {
		p.maxComp = DefaultMaxCompressed
	}
	if p.maxInflate <= 0 {
		p.maxInflate = DefaultMaxInflate
	}
	if o.Extensions == "" {
		return p // most handshakes negotiate none: nothing to parse
	}
	if d, _ := ParseExtensions(o.Extensions); d != nil {
		p.deflate = true
		noTakeover := d.ServerNoContextTakeover
		if o.FromClient {
			noTakeover = d.ClientNoContextTakeover
		}
		p.inf = newInflater(!noTakeover)
	}
	return p
}

// parsers holds the Parsers given back by Release: a capture opens a
// WebSocket per call, each with a parser per side.
var parsers = sync.Pool{New: func() any { return new(Parser) }}

// maxSpare bounds the messages a parser keeps for reuse, and
// maxSparePayload the payload buffer kept with each: one large message
// must not pin its buffer.
const (
	maxSpare        = 4
	maxSparePayload = 8 << 10
)

// Release gives the parser back for a later NewParser to reuse. Neither
// it nor any slice it returned may be used afterwards, nor, with
// Options.ReuseMessages, the Messages it reported.
func (p *Parser) Release() {
	// A pooled parser must keep none of the caller's bytes alive: recycle
	// lets go of them. What else its messages hold is their own.
	p.recycle()
	p.busy = 0
	clear(p.ev[:cap(p.ev)])
	p.ev = nil
	if cap(p.comp) > maxSparePayload {
		p.comp = nil
	}
	p.inf, p.cur, p.data = nil, nil, nil
	parsers.Put(p)
}

// recycle takes back the messages the last call reported, when the caller
// let it. It touches only a message whose Payload is not to keep: message
// clears one when it is used.
func (p *Parser) recycle() {
	for drop := p.drop; drop != 0; drop &= drop - 1 {
		p.own[bits.TrailingZeros8(drop)].Payload = nil
	}
	p.busy &^= p.lent
	p.lent, p.drop = 0, 0
}

// message returns a new Message, one of the parser's own when it may.
func (p *Parser) message(op Opcode, off, t int64) *Message {
	var m *Message
	if free := ^p.busy & (1<<maxSpare - 1); p.reuse && free != 0 {
		i := bits.TrailingZeros8(free)
		p.busy |= 1 << i
		m = &p.own[i]
		*m = Message{Payload: m.Payload[:0]}
	} else {
		m = new(Message)
	}
	m.Opcode, m.Offset, m.Time, m.Frames = op, off, t, 1
	return m
}

// report emits a finished message.
func (p *Parser) report(m *Message, t int64) {
	p.stats.Messages++
	p.emit(Event{Kind: KindMessage, Time: t, Offset: m.Offset, Message: m})
	borrowed := m == p.borrowed
	if borrowed {
		p.borrowed = nil
	}
	for i := range p.own {
		if m == &p.own[i] {
			p.lent |= 1 << i
			// The caller's bytes must not be written into when the
			// message is used again, nor a large buffer kept.
			if borrowed || cap(m.Payload) > maxSparePayload {
				p.drop |= 1 << i
			}
			break
		}
	}
}

// Stats returns the counts so far.
func (p *Parser) Stats() Stats { return p.stats }

// Offset is the stream offset of the next byte Feed will read.
func (p *Parser) Offset() int64 { return p.off }

func (p *Parser) emit(e Event) { p.ev = append(p.ev, e) }

func (p *Parser) problem(class error, at, t int64, reason string) {
	p.stats.Problems++
	p.emit(Event{Kind: KindProblem, Time: t, Offset: at, Err: &Error{Offset: at, Reason: reason, Err: class}})
}

// fatal stops the parser: what is in progress ends incomplete.
func (p *Parser) fatal(class error, at, t int64, reason string) {
	if p.cur != nil && p.cur != p.data {
		p.finishControl(t, false)
	}
	if p.data != nil {
		p.finishData(t, false)
	}
	p.stats.Problems++
	p.emit(Event{Kind: KindProblem, Time: t, Offset: at, Err: &Error{Offset: at, Reason: reason, Err: class, Fatal: true}})
	p.state = stDead
	p.stats.Stopped = true
	p.cur = nil
}

// Feed parses the next bytes of the stream; t is their time. It returns
// the events they completed; the slice is reused by the next call, the
// Messages are the caller's (unless Options.ReuseMessages). b is not
// kept (but see Options.ReuseMessages).
func (p *Parser) Feed(b []byte, t int64) []Event {
	p.recycle()
	p.ev = p.ev[:0]
	if p.ended {
		return p.ev
	}
	p.stats.Bytes += int64(len(b))
	for len(b) > 0 {
		var n int
		switch p.state {
		case stDead:
			p.stats.Unparsed += int64(len(b))
			n = len(b)
		case stHeader:
			n = p.inHeader(b, t)
		case stPayload:
			n = p.inPayload(b, t)
		}
		p.off += int64(n)
		b = b[n:]
	}
	return p.ev
}

// Gap says n bytes were lost. Inside a frame's payload the frame goes on
// (its message has Gap set, its Payload stops there, a compressed one
// cannot be inflated); a gap that swallows a frame boundary leaves no way
// to find the next frame, and the parser stops (a fatal KindProblem): it
// does not guess where a frame might start.
func (p *Parser) Gap(n, t int64) []Event {
	p.recycle()
	p.ev = p.ev[:0]
	if p.ended || n <= 0 {
		return p.ev
	}
	p.stats.GapBytes += n
	switch {
	case p.state == stDead:
	case p.state == stPayload && n <= p.remain:
		if m := p.cur; m != nil {
			m.WireLen += n
			m.Gap += n
			if m.Compressed {
				p.compGap = true
			} else {
				m.Len += n
				m.Truncated = true
				if m == p.data {
					p.stopKeep = true
				} else {
					p.ctlStop = true
				}
			}
		}
		p.maskPos = int((int64(p.maskPos) + n) & 3)
		p.remain -= n
		if p.remain == 0 {
			p.off += n
			p.frameDone(t)
			return p.ev
		}
	default:
		where := "a frame header"
		if p.state == stPayload {
			where = "the end of a frame"
		}
		p.fatal(ErrGap, p.off, t, strconv.FormatInt(n, 10)+" bytes lost across "+where)
	}
	p.off += n
	return p.ev
}

// Close says the stream ended. A message in progress ends incomplete.
func (p *Parser) Close(t int64) []Event {
	p.recycle()
	p.ev = p.ev[:0]
	if p.ended {
		return p.ev
	}
	p.ended = true
	switch p.state {
	case stHeader:
		if p.hdrN > 0 {
			p.problem(ErrTruncated, p.hdrOff, t, "stream ended inside a frame header")
		}
	case stPayload:
		if p.cur != nil && p.cur != p.data {
			p.finishControl(t, false)
		}
	}
	if p.data != nil && p.state != stDead {
		p.finishData(t, false)
	}
	return p.ev
}

// HeaderLen is the length of the frame header that starts with h (its
// first two bytes tell it: extended length and mask key), 2 while fewer
// than two bytes are known.
func HeaderLen(h []byte) int {
	if len(h) < 2 {
		return 2
	}
	n := 2
	switch h[1] & 0x7f {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if h[1]&0x80 != 0 {
		n += 4
	}
	return n
}

func (p *Parser) inHeader(b []byte, t int64) int {
	if p.hdrN == 0 {
		p.hdrOff = p.off
		if n := HeaderLen(b); n <= len(b) {
			// The whole header is here, as it nearly always is: taken at
			// once rather than a byte at a time.
			p.hdrN = copy(p.hdr[:], b[:n])
			p.headerDone(t)
			return n
		}
	}
	for i := 0; i < len(b); i++ {
		p.hdr[p.hdrN] = b[i]
		p.hdrN++
		if p.hdrN == HeaderLen(p.hdr[:p.hdrN]) {
			p.headerDone(t)
			return i + 1
		}
	}
	return len(b)
}

func (p *Parser) headerDone(t int64) {
	h := p.hdr[:p.hdrN]
	f := Frame{
		Offset: p.hdrOff, Time: t,
		Fin: h[0]&0x80 != 0, RSV: h[0] >> 4 & 7, Opcode: Opcode(h[0] & 0xf),
		Masked: h[1]&0x80 != 0, HeaderLen: p.hdrN,
	}
	p.hdrN = 0
	var length uint64
	minimal, k := true, 2
	switch l := h[1] & 0x7f; l {
	case 126:
		length, k = uint64(binary.BigEndian.Uint16(h[2:])), 4
		minimal = length >= 126
	case 127:
		length, k = binary.BigEndian.Uint64(h[2:]), 10
		minimal = length > math.MaxUint16
	default:
		length = uint64(l)
	}
	if length > math.MaxInt64 {
		// RFC 6455 §5.2: the most significant bit must be 0. No payload
		// can be skipped past such a length, so nothing after it can
		// be framed.
		p.fatal(ErrLength, f.Offset, t, "payload length with the most significant bit set")
		return
	}
	if f.Masked {
		copy(f.Mask[:], h[k:])
	}
	f.Length = int64(length)
	p.frame = f
	p.stats.Frames[f.Opcode]++
	if !p.noFrames {
		p.emit(Event{Kind: KindFrame, Time: t, Offset: f.Offset, Frame: f})
	}
	p.check(&f, minimal, t)
	p.route(&f, t)
	p.remain, p.maskPos = f.Length, 0
	if p.remain == 0 {
		p.frameDone(t)
	} else {
		p.state = stPayload
	}
}

// check reports the rules a frame header breaks without breaking the
// framing.
func (p *Parser) check(f *Frame, minimal bool, t int64) {
	at := f.Offset
	if !minimal {
		p.problem(ErrLength, at, t, "payload length "+strconv.FormatInt(f.Length, 10)+" not in its shortest form")
	}
	if f.Masked != p.fromClient {
		p.stats.MaskViolations++
		if p.fromClient {
			p.problem(ErrMask, at, t, "client frame not masked")
		} else {
			p.problem(ErrMask, at, t, "server frame masked")
		}
	}
	if !f.Opcode.known() {
		p.problem(ErrOpcode, at, t, "reserved opcode "+strconv.Itoa(int(f.Opcode)))
	}
	if f.Opcode.IsControl() {
		if !f.Fin {
			p.problem(ErrControl, at, t, "fragmented "+f.Opcode.String()+" frame")
		}
		if f.Length > 125 {
			p.problem(ErrControl, at, t, f.Opcode.String()+" frame of "+strconv.FormatInt(f.Length, 10)+" bytes (at most 125)")
		}
	}
	allowed := uint8(0)
	if p.deflate && (f.Opcode == OpText || f.Opcode == OpBinary) {
		allowed = RSV1
	}
	if bad := f.RSV &^ allowed; bad != 0 {
		reason := "reserved bits " + strconv.FormatUint(uint64(bad), 2) + " set"
		if bad == RSV1 && !p.deflate {
			reason = "RSV1 set without permessage-deflate negotiated"
		} else if bad == RSV1 {
			reason = "RSV1 set on a " + f.Opcode.String() + " frame"
		}
		p.problem(ErrReserved, at, t, reason)
	}
	if p.closeSeen {
		p.problem(ErrSequence, at, t, f.Opcode.String()+" frame after a close frame")
	}
}

// route decides where the frame's payload goes.
func (p *Parser) route(f *Frame, t int64) {
	switch {
	case f.Opcode.IsControl():
		p.cur = p.message(f.Opcode, f.Offset, t)
		p.ctlStop = false
	case f.Opcode == OpText || f.Opcode == OpBinary:
		if p.data != nil {
			p.problem(ErrSequence, f.Offset, t, "new message before the last one ended")
			p.finishData(t, false)
		}
		m := p.message(f.Opcode, f.Offset, t)
		m.Compressed = p.deflate && f.RSV&RSV1 != 0
		p.data, p.cur = m, m
		p.stopKeep, p.compOver, p.compGap = false, false, false
		p.comp = p.comp[:0]
	case f.Opcode == OpContinuation:
		if p.data == nil {
			p.problem(ErrSequence, f.Offset, t, "continuation frame with no message to continue")
			p.cur = nil
			return
		}
		p.data.Frames++
		p.cur = p.data
	default:
		// A reserved data opcode: its meaning, and so its message, is
		// unknown; the payload is skipped.
		p.cur = nil
	}
}

// keep appends payload bytes to m.Payload, up to MaxMessage, unmasking
// them when masked; hint is what the message is likely to hold in all.
// whole says d is all of m's payload: its one frame's, fed in one piece.
func (p *Parser) keep(m *Message, d []byte, masked, whole bool, hint int64) {
	room := p.maxMsg - len(m.Payload)
	if len(d) > room {
		d = d[:room]
		m.Truncated = true
	}
	if len(d) == 0 {
		return
	}
	if whole && !masked && p.reuse && len(m.Payload) == 0 && p.borrowed == nil {
		// The caller is done with the message when this call returns,
		// which is as long as d is valid: the payload need not be
		// copied. Most messages of a server come whole in one segment.
		// Its capacity ends with it, so that nothing appends into the
		// caller's bytes, and the next call lets go of it (recycle): the
		// buffer the message had goes, unneeded by a side whose
		// messages come whole.
		p.borrowed = m
		m.Payload = d[:len(d):len(d)]
		return
	}
	if m.Payload == nil || len(m.Payload) == 0 && cap(m.Payload) < len(d) {
		m.Payload = make([]byte, 0, min(int64(p.maxMsg), max(hint, int64(len(d)))))
	}
	if masked {
		m.Payload = appendUnmasked(m.Payload, d, p.frame.Mask, p.maskPos)
	} else {
		m.Payload = append(m.Payload, d...)
	}
}

// stopped says m's payload is no longer kept: a gap cut it.
func (p *Parser) stopped(m *Message) bool {
	if m == p.data {
		return p.stopKeep
	}
	return p.ctlStop
}

// appendUnmasked appends d to b XORed with the key, starting at key
// position pos: the copy and the unmasking in one pass.
func appendUnmasked(b, d []byte, key [4]byte, pos int) []byte {
	start := len(b)
	b = slices.Grow(b, len(d))[:start+len(d)]
	xorMask(b[start:], d, key, pos)
	return b
}

// xorMask sets dst to src XORed with the key, starting at key position
// pos; dst is src or does not overlap it. Every byte a client sends goes
// through here, a SIP message of a few hundred bytes at a time: four
// words an iteration, XORed with the key repeated, run in fewer
// instructions than subtle.XORBytes' vector code did with its calls (one
// per 128 bytes) and the key stream built for them.
func xorMask(dst, src []byte, key [4]byte, pos int) {
	k := uint64(key[pos&3]) | uint64(key[(pos+1)&3])<<8 | uint64(key[(pos+2)&3])<<16 | uint64(key[(pos+3)&3])<<24
	k |= k << 32
	dst = dst[:len(src)]
	for len(src) >= 32 {
		s, d := src[:32:32], dst[:32:32]
		binary.LittleEndian.PutUint64(d, binary.LittleEndian.Uint64(s)^k)
		binary.LittleEndian.PutUint64(d[8:], binary.LittleEndian.Uint64(s[8:])^k)
		binary.LittleEndian.PutUint64(d[16:], binary.LittleEndian.Uint64(s[16:])^k)
		binary.LittleEndian.PutUint64(d[24:], binary.LittleEndian.Uint64(s[24:])^k)
		src, dst = src[32:], dst[32:]
	}
	for len(src) >= 8 {
		binary.LittleEndian.PutUint64(dst, binary.LittleEndian.Uint64(src)^k)
		src, dst = src[8:], dst[8:]
	}
	for i := range src {
		dst[i] = src[i] ^ byte(k>>(8*i))
	}
}

func (p *Parser) inPayload(b []byte, t int64) int {
	n := len(b)
	if int64(n) > p.remain {
		n = int(p.remain)
	}
	d := b[:n]
	if m := p.cur; m != nil {
		m.WireLen += int64(n)
		switch {
		case !m.Compressed:
			m.Len += int64(n)
			if p.stopped(m) {
				m.Truncated = true
			} else {
				whole := p.frame.Fin && m.Frames == 1 && int64(n) == p.frame.Length
				p.keep(m, d, p.frame.Masked, whole, p.frame.Length)
			}
		case p.compOver || p.compGap:
		case len(p.comp)+n > p.maxComp:
			p.compOver = true
		default:
			if p.frame.Masked {
				p.comp = appendUnmasked(p.comp, d, p.frame.Mask, p.maskPos)
			} else {
				p.comp = append(p.comp, d...)
			}
		}
	}
	p.maskPos = (p.maskPos + n) & 3
	p.remain -= int64(n)
	if p.remain == 0 {
		p.frameDone(t)
	}
	return n
}

// frameDone ends the current frame once its payload is in.
func (p *Parser) frameDone(t int64) {
	p.state = stHeader
	switch {
	case p.cur == nil:
	case p.cur != p.data:
		p.finishControl(t, true)
	case p.frame.Fin:
		p.finishData(t, true)
	}
	p.cur = nil
}

func (p *Parser) finishControl(t int64, complete bool) {
	m := p.cur
	m.Complete, m.EndTime = complete, t
	if m.Opcode == OpClose {
		p.closeSeen = true
		p.readClose(m, t)
	}
	p.report(m, t)
}

// readClose reads a close frame's status code and reason (RFC 6455 §5.5.1,
// §7.4).
func (p *Parser) readClose(m *Message, t int64) {
	switch {
	case m.WireLen == 0:
		m.CloseCode = 1005
		return
	case m.WireLen == 1:
		p.problem(ErrClose, m.Offset, t, "close payload of one byte")
		return
	case len(m.Payload) < 2:
		return
	}
	m.CloseCode = int(binary.BigEndian.Uint16(m.Payload))
	m.CloseReason = string(m.Payload[2:])
	if !sendableCloseCode(m.CloseCode) {
		p.problem(ErrClose, m.Offset, t, "close status code "+strconv.Itoa(m.CloseCode)+" may not be sent")
	}
	if !utf8.ValidString(m.CloseReason) {
		p.problem(ErrClose, m.Offset, t, "close reason not UTF-8")
	}
}

// sendableCloseCode reports whether a close status code may appear on the
// wire: those RFC 6455 §7.4 and the IANA registry define, and the ranges
// left to libraries and applications. 1005, 1006 and 1015 name what an
// endpoint saw (no status, no close frame, TLS failure) and are never sent.
func sendableCloseCode(c int) bool {
	switch {
	case c >= 1000 && c <= 1003, c >= 1007 && c <= 1014:
		return true
	case c >= 3000 && c <= 4999:
		return true
	}
	return false
}

// finishData ends the data message in progress.
func (p *Parser) finishData(t int64, complete bool) {
	m := p.data
	p.data = nil
	m.Complete, m.EndTime = complete, t
	if m.Compressed {
		p.inflate(m, complete, t)
	}
	p.report(m, t)
	if cap(p.comp) > 2*p.maxMsg {
		// One big message must not pin its buffer for the connection's
		// life.
		p.comp = nil
	}
}

func (p *Parser) inflate(m *Message, complete bool, t int64) {
	var why string
	switch {
	case p.compGap:
		why = "bytes of it were lost"
	case p.compOver:
		why = "more than " + strconv.Itoa(p.maxComp) + " compressed bytes"
	}
	if why != "" {
		if p.inf.takeover {
			p.inf.lost = why
		}
	} else {
		m.Len, why = p.inf.inflate(p.comp, complete, p.maxInflate, func(b []byte) { p.keep(m, b, false, false, 4*int64(len(p.comp))) })
		m.Truncated = m.Len > int64(len(m.Payload))
	}
	p.comp = p.comp[:0]
	if why != "" {
		m.InflateErr = why
		m.Truncated = true
		p.stats.InflateFailed++
		p.problem(ErrInflate, m.Offset, t, "message not inflated: "+why)
		return
	}
	p.stats.Inflated++
}
