package tls

import "fmt"

// Options tune a Conn. The zero value (or nil) parses without keys and
// calls nothing back.
type Options struct {
	// Decrypter, when set, is given every protected record (see Record);
	// what it opens is parsed like plaintext: handshake messages, alerts
	// with their description, application data for OnData.
	Decrypter Decrypter
	// OnData receives decrypted application data, in order per side.
	OnData func(*Plaintext)
	// OnState is called each time Handshake().State (or, after a late
	// Close, its Reason) changes, after the change, so that the caller
	// can emit an event at the packet that decided it.
	OnState func(*Handshake)
	// OnProblem receives the first problems of each side's stream (8 per
	// side); Handshake().Problems counts them all.
	OnProblem func(*Error)
}

// Conn follows one TCP connection's TLS: it frames both byte streams into
// records, reads the handshake messages that travel in the clear, and
// keeps what a Decrypter needs. Feed it each side's bytes in stream order,
// in any chunks, interleaved as the capture saw them; tell it about bytes
// the capture missed with Gap and about the end with Close. A Conn never
// panics on any input, and buffers per side at most one record (two while
// it looks for record boundaries after damage) and 64 KiB of one
// handshake message; it is not safe for concurrent use.
type Conn struct {
	opts  Options
	h     Handshake
	sess  Session
	dirs  [2]dir
	now   Seen
	ended bool // RST or end of capture: nothing more is read
	// damaged: bytes went missing before the handshake was decided, so a
	// close during it may be the capture's fault.
	damaged bool
	// failAlert is the alert that failed the handshake, if one did.
	failAlert *Alert
	// What the Decrypter and OnData are handed, reused.
	rec   Record
	plain Plaintext
}

// Bounds on buffering. A handshake message longer than maxMessage is
// passed over, keeping its start; syncCap holds a candidate record and
// the next header while looking for record boundaries again.
const (
	maxMessage       = 64 << 10
	keepBuffer       = 4 << 10
	syncCap          = headerLen + MaxRecordLen + headerLen
	maxAlerts        = 8
	maxMessages      = 16
	problemsReported = 8
)

// dir is one side's stream.
type dir struct {
	side Side
	// pos is the stream offset of the next byte to be framed.
	pos int64

	// The record being read: its header (hdrN bytes of it so far), then
	// need payload bytes still to come, buffered in rec when keep.
	hdr      [headerLen]byte
	hdrN     int
	inRecord bool
	typ      ContentType
	ver      uint16
	length   int
	need     int
	keep     bool
	v2       bool  // an SSLv2-format ClientHello
	cut      bool  // a gap fell inside it: its payload is unusable
	fed      int64 // its bytes fed so far (header included, gaps not)
	recOff   int64
	rec      []byte

	// Lost framing: sync holds bytes from stream offset syncOff on, until
	// two records in a row show where the boundaries are; replay then
	// holds the bytes to frame again.
	lost    bool
	sync    []byte
	syncOff int64
	replay  []byte

	// Handshake messages in the clear, and those a Decrypter opened.
	plain, opened msgStream

	// Protection, as far as the capture shows it.
	ccs       bool // TLS ≤ 1.2: sent ChangeCipherSpec, its records are protected
	ccsSeen   bool // any ChangeCipherSpec (TLS 1.3 compatibility ones too)
	encHS     bool // TLS ≤ 1.2: sent a protected handshake record (its Finished)
	epoch     Epoch
	seq       uint64
	seqLost   bool // records of this epoch went missing
	nextEpoch Epoch
	protected int64 // TLS 1.3: protected records after the ServerHello
	// first is what this side's first protected TLS 1.3 record after the
	// ServerHello was: 0 none yet, firstHandshake, firstAlert.
	first    uint8
	finished bool // a Decrypter opened this side's Finished
	// keyed: the Decrypter opened this side's last protected record, so
	// its Finished, not its records' places, tells when it did its part.
	keyed    bool
	closed   bool // FIN
	afterFIN bool // bytes came after the FIN (reported once)
	dataLost bool // for Plaintext.Lost
	problems int
}

const (
	firstHandshake = 1
	firstAlert     = 2
)

// msgStream reassembles handshake messages, which may span records and
// share them.
type msgStream struct {
	hdr    [4]byte
	hdrN   int
	typ    HandshakeType
	length int
	got    int
	buf    []byte // the first maxMessage bytes of the body
	off    int64  // stream offset of the message header
}

func (m *msgStream) reset() {
	m.hdrN, m.got, m.length = 0, 0, 0
	m.buf = m.buf[:0]
}

// NewConn returns a Conn for one connection; opts may be nil.
func NewConn(opts *Options) *Conn {
	c := &Conn{}
	if opts != nil {
		c.opts = *opts
	}
	c.dirs[Client].side = Client
	c.dirs[Server].side = Server
	return c
}

// Handshake returns what the Conn learned so far. The pointer stays valid;
// what it points to changes with each call on the Conn.
func (c *Conn) Handshake() *Handshake { return &c.h }

// Session returns the randoms, version and suite seen so far.
func (c *Conn) Session() *Session { return &c.sess }

// Feed gives the Conn the next bytes of one side's stream: b follows,
// without overlap, what the last Feed or Gap of that side covered. t
// (Unix ns) and packet are those of the packet that carried b: what b
// completes is stamped with them. b is not kept or modified.
func (c *Conn) Feed(from Side, b []byte, t, packet int64) {
	if c.ended || from > Server || len(b) == 0 {
		return
	}
	d := &c.dirs[from]
	c.now = Seen{Time: t, Packet: packet}
	c.h.Dir(from).Bytes += int64(len(b))
	if d.closed {
		if !d.afterFIN {
			d.afterFIN = true
			c.problem(d, d.pos, "data after fin", "")
		}
		d.pos += int64(len(b))
		return
	}
	for {
		if len(d.replay) > 0 {
			r := d.replay
			d.replay = nil
			n := c.step(d, r)
			if d.replay == nil {
				d.replay = r[n:]
			} else {
				d.replay = append(d.replay, r[n:]...)
			}
			continue
		}
		if len(b) == 0 {
			return
		}
		n := c.step(d, b)
		b = b[n:]
	}
}

// Gap tells the Conn that the capture missed the next n bytes of one
// side's stream; n < 0 means an unknown number. Inside a record the loss
// spoils only that record; otherwise record boundaries are looked for
// again in the bytes that follow (two records in a row must agree).
func (c *Conn) Gap(from Side, n int64) {
	if c.ended || from > Server || n == 0 {
		return
	}
	d := &c.dirs[from]
	if n > 0 {
		c.h.Dir(from).Gap += n
	}
	if !c.decided() {
		c.damaged = true
	}
	d.dataLost = true
	switch {
	case d.closed:
	case d.lost:
		// The bytes held so far and those to come are not contiguous.
		c.h.Dir(from).Skipped += int64(len(d.sync))
		d.sync = d.sync[:0]
		if n > 0 {
			d.pos += n
		}
		d.syncOff = d.pos
	case n > 0 && d.inRecord && n <= int64(d.need):
		d.cut = true
		d.keep = false
		d.rec = d.rec[:0]
		d.need -= int(n)
		d.pos += n
		if d.need == 0 {
			c.endRecord(d, nil)
		}
	default:
		// The record or header begun before the gap is lost with it.
		lost := int64(d.hdrN)
		if d.inRecord {
			lost = d.fed
		}
		c.h.Dir(from).Skipped += lost
		if n > 0 {
			d.pos += n
		}
		d.inRecord, d.hdrN = false, 0
		d.rec = d.rec[:0]
		c.lose(d, nil)
	}
}

// Close tells the Conn how the connection ended: a FIN ends one side's
// stream (the other may go on), an RST or the end of the capture ends
// both. t and packet are those of the FIN or RST packet (the last packet
// for EndOfCapture). A close in the middle of the handshake fails it
// ("closed"), unless the capture missed bytes or ended there
// (Incomplete); a FIN from a side that has done its part of the
// handshake waits for the other side.
//
// Close is best called when the FIN or RST comes, between the Feeds
// around it. A reassembler that reports the end only once the connection
// is over may call it late, once per FIN in the order of their times:
// the bytes of the other side that came after a FIN were then fed before
// it. An alert among them that failed the handshake, sent after this FIN
// by time, is then taken for what it was, the other side's reaction to
// the close, and the Reason becomes "closed" (with a second OnState).
func (c *Conn) Close(reason CloseReason, t, packet int64) {
	if c.ended || reason < EndOfCapture || reason > ServerRST {
		return
	}
	c.now = Seen{Time: t, Packet: packet}
	if c.h.Closed == 0 {
		c.h.Closed, c.h.ClosedAt = reason, c.now
	}
	by, ok := reason.By()
	if ok && c.h.State == Failed && c.failAlert != nil && c.failAlert.From != by && c.failAlert.Time > t {
		// A late Close: the alert that failed the handshake came after
		// this side had closed, so it was the other side's reaction.
		c.h.Reason, c.h.Done, c.failAlert = "closed", c.now, nil
		if c.opts.OnState != nil {
			c.opts.OnState(&c.h)
		}
	}
	if !ok || reason.Reset() {
		c.ended = true
		for s := Client; s <= Server; s++ {
			c.endStream(&c.dirs[s], false)
		}
		if !c.decided() && c.h.State != NoHandshake {
			if !ok || c.damaged {
				c.settle(Incomplete, "incomplete")
			} else {
				c.settle(Failed, "closed")
			}
		}
		return
	}
	d := &c.dirs[by]
	if d.closed {
		return
	}
	c.endStream(d, true)
	d.closed = true
	if c.decided() || c.h.State == NoHandshake {
		return
	}
	if c.damaged {
		if c.dirs[by.other()].closed {
			c.settle(Incomplete, "incomplete")
		}
		return
	}
	if !c.didItsPart(by) || c.dirs[by.other()].closed {
		c.settle(Failed, "closed")
	}
}

// endStream notes a stream that stopped inside a record. After a FIN that
// is a fault of the sender (or of a capture that did not say it missed
// bytes); after an RST or at the end of the capture it is expected.
func (c *Conn) endStream(d *dir, fin bool) {
	if d.lost {
		c.tail(d)
	}
	switch {
	case d.inRecord:
		c.h.Dir(d.side).Truncated = true
		if fin {
			c.problem(d, d.recOff, "truncated record", fmt.Sprintf("%d of %d bytes", d.length-d.need, d.length))
		}
	case d.hdrN > 0:
		c.h.Dir(d.side).Truncated = true
		if fin {
			c.problem(d, d.pos-int64(d.hdrN), "truncated record", fmt.Sprintf("%d of %d header bytes", d.hdrN, headerLen))
		}
	}
	d.inRecord, d.hdrN = false, 0
}

// tail ends a stream whose framing is lost: no second header can confirm
// a boundary any more, but a valid header whose record ends exactly where
// the stream ends is one (the close_notify after a gap, typically).
func (c *Conn) tail(d *dir) {
	skip := len(d.sync)
	for i := 0; i+headerLen <= len(d.sync); i++ {
		h := d.sync[i:]
		if validHeader(h) && i+headerLen+(int(h[3])<<8|int(h[4])) == len(d.sync) {
			skip = i
			break
		}
	}
	c.h.Dir(d.side).Skipped += int64(skip)
	rest := append([]byte(nil), d.sync[skip:]...)
	d.pos = d.syncOff + int64(skip)
	d.sync = release(d.sync, true)
	if len(rest) == 0 {
		return
	}
	d.lost = false
	for len(rest) > 0 {
		rest = rest[c.step(d, rest):]
	}
}

// didItsPart reports whether side s has sent all the handshake it must
// before the other side can finish: then its FIN is no refusal (TLS 1.2
// False Start clients send their request and close before the server's
// Finished arrives).
func (c *Conn) didItsPart(s Side) bool {
	d := &c.dirs[s]
	if d.finished {
		return true
	}
	if d.keyed {
		return false
	}
	if is13(c.h.Version) {
		if s == Client {
			return d.first == firstHandshake
		}
		return d.protected > 0
	}
	return d.ccs && d.encHS
}

// step frames in, the next bytes of d's stream, and returns how many it
// used.
func (c *Conn) step(d *dir, in []byte) int {
	if d.lost {
		return c.hunt(d, in)
	}
	if !d.inRecord {
		if d.hdrN == 0 && len(in) >= headerLen {
			d.pos += headerLen
			c.begin(d, in[:headerLen])
			return headerLen
		}
		n := copy(d.hdr[d.hdrN:], in)
		d.hdrN += n
		d.pos += int64(n)
		if d.hdrN == headerLen {
			d.hdrN = 0
			c.begin(d, d.hdr[:])
		}
		return n
	}
	n := min(len(in), d.need)
	d.fed += int64(n)
	if d.keep {
		if len(d.rec) == 0 && n == d.need && c.opts.Decrypter == nil {
			// The whole payload is here and nobody will write to it.
			d.pos += int64(n)
			d.need = 0
			c.endRecord(d, in[:n])
			return n
		}
		d.rec = append(d.rec, in[:n]...)
	}
	d.pos += int64(n)
	d.need -= n
	if d.need == 0 {
		p := d.rec
		if !d.keep {
			p = nil
		}
		c.endRecord(d, p)
		d.rec = release(d.rec, c.opts.Decrypter == nil)
	}
	return n
}

// release empties a buffer for reuse, or drops it when it grew large and
// will seldom be needed again: without a Decrypter only handshake records
// are buffered, and a capture may hold thousands of connections that
// live long after their handshake.
func release(b []byte, drop bool) []byte {
	if drop && cap(b) > keepBuffer {
		return nil
	}
	return b[:0]
}

// begin starts a record at header h, whose 5 bytes were just read.
func (c *Conn) begin(d *dir, h []byte) {
	off := d.pos - headerLen
	if d.side == Client && off == 0 && h[0]&0x80 != 0 && looksV2(h) {
		d.inRecord, d.v2, d.keep, d.cut = true, true, true, false
		d.recOff, d.fed = 0, headerLen
		d.length = int(h[0]&0x7f)<<8 | int(h[1])
		d.need = d.length - 3
		d.rec = append(d.rec[:0], h[2:5]...)
		return
	}
	typ, n := ContentType(h[0]), int(h[3])<<8|int(h[4])
	switch {
	case typ < TypeChangeCipherSpec || typ > TypeHeartbeat || h[1] != 3 || h[2] > 4:
		c.problem(d, off, "not a tls record", fmt.Sprintf("header % x", h))
		c.lose(d, h[1:])
		c.h.Dir(d.side).Skipped++
		return
	case n > MaxRecordLen:
		c.problem(d, off, "record too long", fmt.Sprintf("%s length %d, limit %d", typ, n, MaxRecordLen))
		c.lose(d, h[1:])
		c.h.Dir(d.side).Skipped++
		return
	}
	d.inRecord, d.v2, d.cut = true, false, false
	d.typ, d.ver, d.length, d.need, d.recOff = typ, uint16(h[1])<<8|uint16(h[2]), n, n, off
	d.fed = headerLen
	// Application data is only counted, unless there is a Decrypter to
	// give it to: that is what keeps bulk streams cheap.
	d.keep = typ != TypeApplicationData && typ != TypeHeartbeat || c.opts.Decrypter != nil
	if n == 0 {
		if typ != TypeApplicationData {
			c.problem(d, off, "empty record", typ.String())
		}
		c.endRecord(d, nil)
	}
}

// lose makes d look for record boundaries again from the current position,
// with seed (bytes already read that may hold the next header) in front.
func (c *Conn) lose(d *dir, seed []byte) {
	d.lost = true
	d.inRecord = false
	d.plain.reset()
	d.opened.reset()
	d.seqLost = true
	d.dataLost = true
	if !c.decided() {
		c.damaged = true
	}
	d.syncOff = d.pos - int64(len(seed))
	d.sync = append(d.sync[:0], seed...)
}

// hunt takes bytes while framing is lost, and resumes framing at the first
// offset where a valid header is followed, right after its record, by
// another: one header can be chance, two in a row rarely are. The decision
// depends only on the bytes, never on how they were chunked.
func (c *Conn) hunt(d *dir, in []byte) int {
	if len(d.sync) == syncCap {
		// Cannot happen (a full buffer always settles its first
		// candidate), but a stalled Feed would loop for ever.
		c.h.Dir(d.side).Skipped++
		d.syncOff++
		d.sync = d.sync[:copy(d.sync, d.sync[1:])]
	}
	n := min(len(in), syncCap-len(d.sync))
	d.sync = append(d.sync, in[:n]...)
	d.pos += int64(n)
	i := 0
	for ; i+headerLen <= len(d.sync); i++ {
		h := d.sync[i:]
		if !validHeader(h) {
			continue
		}
		end := i + headerLen + (int(h[3])<<8 | int(h[4]))
		if end+headerLen > len(d.sync) {
			break // cannot tell yet: keep the bytes from i
		}
		if validHeader(d.sync[end:]) {
			c.h.Dir(d.side).Skipped += int64(i)
			d.lost = false
			d.replay = append([]byte(nil), d.sync[i:]...)
			d.pos = d.syncOff + int64(i)
			d.sync = release(d.sync, true)
			return n
		}
	}
	if i+headerLen > len(d.sync) {
		// The last bytes may begin a header.
		i = max(0, len(d.sync)-(headerLen-1))
	}
	if i > 0 {
		c.h.Dir(d.side).Skipped += int64(i)
		d.syncOff += int64(i)
		d.sync = d.sync[:copy(d.sync, d.sync[i:])]
	}
	return n
}

// problem reports a malformed piece of d's stream.
func (c *Conn) problem(d *dir, off int64, key, detail string) {
	c.h.Problems++
	d.problems++
	if c.opts.OnProblem != nil && d.problems <= problemsReported {
		c.opts.OnProblem(&Error{Side: d.side, Offset: off, Packet: c.now.Packet, Key: key, Detail: detail})
	}
}

// decided reports whether the handshake's outcome is known.
func (c *Conn) decided() bool {
	s := c.h.State
	return s == HandshakeComplete || s == Failed || s == Incomplete
}

// settle moves the handshake to a new state.
func (c *Conn) settle(s State, reason string) {
	if c.h.State == s || c.decided() {
		return
	}
	c.h.State = s
	c.h.Reason = reason
	if s == HandshakeComplete || s == Failed || s == Incomplete {
		c.h.Done = c.now
	}
	if c.opts.OnState != nil {
		c.opts.OnState(&c.h)
	}
}
