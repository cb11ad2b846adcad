package tcp

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"time"

	"github.com/ceiling-dev/ceiling/internal/freelist"
	"github.com/ceiling-dev/ceiling/parse"
	"github.com/ceiling-dev/ceiling/parse/pcap"
)

// Handler receives what an Assembler makes of the packets. Its methods are
// called from within Assembler.Packet, Advance and Finish, one at a time;
// they must not call back into the Assembler.
//
// For each connection the calls are: Open, then at most one Established,
// then Data and Gap in stream order for each side (the two sides
// interleave as the capture has them), then exactly one Close.
type Handler interface {
	// Open is called for the first packet of a connection (its first SYN,
	// or whatever came first when the capture began mid-stream), in
	// capture order. That packet is counted in c before the call; its data,
	// if any, is delivered after it.
	Open(c *Conn)
	// Established is called when the handshake completes (the client's
	// ACK of the SYN-ACK). It is not called for a mid-stream connection.
	Established(c *Conn)
	// Data delivers the next bytes a side sent, each byte once, in
	// sequence order, with the time and frame number of the packet that
	// carried them. b is valid only during the call. Data held behind a
	// hole is delivered when the hole is filled or given up, which may be
	// several packets later than the packet that carried it: t and packet
	// are always that packet's.
	Data(c *Conn, from Side, b []byte, t int64, packet int64)
	// Gap says that the next n bytes of a side's stream were sent but will
	// never be seen (lost by the capture, cut by its snap length, or given
	// up to bound memory); the stream goes on after them.
	Gap(c *Conn, from Side, n int64)
	// Close is called once, with the final State, End and Ending. Every
	// byte was delivered or declared a gap before it. The Assembler does
	// not touch c afterwards.
	Close(c *Conn)
}

// Options tune an Assembler. The zero value is ready to use.
type Options struct {
	// File is copied into every Conn, to say which input it came from.
	File int
	// FileName and Problems are for reporting damage: a problem names the
	// file, the frame number and the byte offset of its record. When
	// Problems is nil, damage shows in Stats only.
	FileName string
	Problems *parse.Problems

	// MaxConns bounds the connections tracked at once, closed ones still
	// absorbing stragglers included. When it is reached, the one closest
	// to timing out is given up (Ending EndEvicted) for the new one. Zero
	// means 1<<20.
	MaxConns int
	// MaxBuffered bounds the bytes held ahead of a hole in one direction.
	// Past it, the hole is declared a gap and what follows is delivered.
	// Zero means 4 MiB.
	MaxBuffered int64
	// MaxBufferedTotal bounds the bytes held by all connections together,
	// out-of-order data and history. Past it, a direction that needs to
	// hold more gives up its hole instead, and history is not kept. Zero
	// means 256 MiB.
	MaxBufferedTotal int64
	// HistoryBytes is how much delivered but not yet acknowledged data is
	// kept per direction to tell a retransmission with different bytes (a
	// conflict) from a faithful one. Zero means 16 KiB; negative, none
	// (then only conflicts with held out-of-order data are found).
	HistoryBytes int

	// IdleTimeout gives up a connection that has been silent this long in
	// capture time, as Zeek's tcp_inactivity_timeout does. Zero means 5
	// minutes; negative, never (connections are then closed only by FIN,
	// RST, eviction or Finish).
	IdleTimeout time.Duration
	// SynTimeout is how long after the client's last SYN an unanswered
	// attempt still counts as opening: End of an S0 connection is its last
	// SYN plus SynTimeout (or the end of the capture, if sooner). The
	// attempt is given up once SynTimeout plus twice the last interval
	// between SYNs has passed without another, so that the client's
	// exponential backoff does not split one attempt into several. Zero
	// means 3 s.
	SynTimeout time.Duration
	// Linger is how long a closed connection's addresses and ports are
	// remembered, to absorb the last ACK, retransmitted FINs and RSTs
	// without taking them for a new connection; and how long a connection
	// with both FINs waits for the data missing before them. Zero means 5
	// s, Zeek's tcp_close_delay.
	Linger time.Duration
}

// Stats counts what an Assembler has seen.
type Stats struct {
	Packets    int64 // TCP packets given to Packet
	NotTCP     int64 // other packets given to Packet, ignored
	Damaged    int64 // packets not used: flags that cannot go together (reported as problems)
	AfterClose int64 // packets for a connection already closed, absorbed
	// AfterCloseBytes is the payload those packets carried.
	AfterCloseBytes int64

	Conns       int64 // connections opened
	Open        int   // connections open now
	MaxOpen     int   // most connections open at once
	Tracked     int   // connections tracked now, closed ones lingering included
	SynTimeouts int64 // closed with EndSynTimeout
	IdleClosed  int64 // closed with EndIdle
	Evicted     int64 // closed with EndEvicted (or forgotten while lingering)
	Reused      int64 // closed with EndReused

	PayloadBytes     int64 // TCP payload on the wire, every copy
	DeliveredBytes   int64 // given to Handler.Data
	GapBytes         int64 // given to Handler.Gap
	Retransmitted    int64 // segment counts, as in Conn
	OutOfOrder       int64
	Overlaps         int64
	OverlapConflicts int64
	KeepAlives       int64 // keep-alive segments (one byte or none, just before what was sent)
	ZeroWindowProbes int64 // one-byte segments sent into a closed window
	IgnoredRST       int64 // resets outside the window, ignored
	BadSynAck        int64 // SYN-ACKs that acknowledge another SYN, ignored
	SnapCut          int64 // segments whose payload the snap length cut (the rest is a gap)
	DataAfterFIN     int64 // segments with bytes past their side's FIN (dropped)

	Held     int64 // bytes held now (out-of-order data and history)
	MaxHeld  int64 // most bytes held at once
	Overflow int64 // holes given up because a buffer bound was reached
	Problems int64 // problems reported
}

// Assembler puts TCP streams back together from packets in capture order
// and tells a Handler about connections and their bytes. It is not safe
// for concurrent use. Its memory is bounded by Options.MaxConns,
// MaxBuffered and MaxBufferedTotal, whatever the input.
type Assembler struct {
	h     Handler
	opts  Options
	conns table
	// last is the connection of the last packet, nil once forgotten: a
	// third of the packets of a busy capture follow one of the same
	// connection, and need no lookup.
	last   *conn
	timers timers
	pool   pool
	// free holds forgotten connections' state for the next ones: a busy
	// capture opens a connection every few packets.
	free   freelist.List[conn]
	now    int64 // the capture clock
	leap   int64 // a time far ahead of the clock, waiting for a second packet to confirm it
	lastID uint64
	// clockSet is set once the clock has a time (0 is a time, in crafted
	// captures).
	clockSet bool
	stats    Stats

	synTimeout, idle, linger int64
	// delay is each timeout's delay after the clock, by kind (see
	// setDeadline).
	delay    [nDue]int64
	histSize int
}

// key is a connection's addresses and ports, the lower endpoint first, so
// that both directions find the same entry.
type key struct {
	aHi, aLo, bHi, bLo uint64
	aPort, bPort       uint16
}

// conn is a Conn with the Assembler's own state. The Conn is allocated
// apart, since the handler may keep it after Close; the rest is recycled
// once the connection is forgotten (see Assembler.free).
//
// The flags every segment reads share the first cache line with the key
// the table compares; then come the sides, each 64-byte aligned in a conn
// that is (its size class, 512 bytes, is), and then the times, which the
// timers read (see half). A packet of a connection gone cold in the cache
// misses on six lines of it rather than eight.
//
// The sides are emptied when the connection closes, while it is at hand:
// a closed connection lingers only to absorb stragglers, which read its
// head alone, and it is forgotten seconds later, cold. Then only the head
// is read (the table's key), and head and times are cleared when the
// connection is used again, as the new one's first packet writes them.
type conn struct {
	connHead
	half [2]half
	connTimes
}

type connHead struct {
	*Conn
	key       key
	synAckAck uint32  // the SYN-ACK's acknowledgement
	clientIsA bool    // the client is the key's a endpoint
	active    [2]bool // sent a packet other than a RST
	sentAck   [2]bool // sent an ACK that was not a SYN
	finishing bool    // both FINs seen; waiting for what is missing before them
	dead      bool    // closed; kept to absorb stragglers until closedAt+Linger
	// due is which timeout deadline is; see reschedule.
	due  due
	slot uint32 // the timers'
}

type connTimes struct {
	// The capture clock (see clock) at the last packet, the last SYN and
	// the one before, and both FINs, for the timers.
	lastT, synT, prevSynT, finT int64
	closedAt                    int64
	deadline                    int64  // as the timers have it; may be earlier than the real one
	lastSyn                     int64  // the last SYN's time, for End
	id                          uint64 // Conn.ID, for the timers
}

const (
	// maxAckAhead is how far past the delivered data an acknowledgement
	// may reach and still be believed: a TCP window is at most 1 GiB.
	maxAckAhead = 1 << 30
	// rstSlack is how far outside the data seen a reset's sequence number
	// may be and still end the connection. The window scale is not known
	// (options are not decoded), so this stands for a generous window.
	rstSlack = 1 << 20
	// maxLeap is how far the clock moves on one packet's word alone.
	maxLeap = int64(time.Hour)
)

// NewAssembler makes an Assembler that reports to h.
func NewAssembler(h Handler, opts Options) *Assembler {
	if h == nil {
		h = nopHandler{}
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = 1 << 20
	}
	if opts.MaxBuffered <= 0 {
		opts.MaxBuffered = 4 << 20
	}
	if opts.MaxBufferedTotal <= 0 {
		opts.MaxBufferedTotal = 256 << 20
	}
	if opts.HistoryBytes == 0 {
		opts.HistoryBytes = 16 << 10
	}
	if opts.IdleTimeout == 0 {
		opts.IdleTimeout = 5 * time.Minute
	}
	if opts.SynTimeout <= 0 {
		opts.SynTimeout = 3 * time.Second
	}
	if opts.Linger <= 0 {
		opts.Linger = 5 * time.Second
	}
	a := &Assembler{
		h:          h,
		opts:       opts,
		conns:      newTable(),
		timers:     newTimers(),
		synTimeout: int64(opts.SynTimeout),
		idle:       int64(opts.IdleTimeout),
		linger:     int64(opts.Linger),
	}
	if opts.IdleTimeout < 0 {
		a.idle = math.MaxInt64 / 4
	}
	a.delay = [nDue]int64{dueIdle: a.idle, dueOpening: a.synTimeout, dueFinishing: a.linger, dueLinger: a.linger}
	if opts.HistoryBytes > 0 {
		// A power of two, for the ring's arithmetic.
		a.histSize = 1 << (classOf(opts.HistoryBytes) + minClassShift)
	}
	a.pool.maxFree = min(64<<20, opts.MaxBufferedTotal)
	return a
}

// Stats says what the Assembler has seen so far.
func (a *Assembler) Stats() Stats {
	s := a.stats
	s.Tracked = a.conns.len()
	return s
}

// Packet takes the next packet in capture order. Packets of other
// transports are counted and ignored. The packet's payload is not kept
// past the call.
func (a *Assembler) Packet(p *pcap.Packet) {
	if p.Transport != pcap.TCP {
		a.stats.NotTCP++
		return
	}
	a.stats.Packets++
	a.clock(p.Time)
	a.advance(a.now)

	payload, wire := p.Payload, p.PayloadLen
	if wire < len(payload) {
		a.problem("tcp payload length inconsistent", p, fmt.Sprintf("TCP payload of %d bytes, more than the %d its headers give", len(payload), wire))
		wire = max(wire, 0)
		payload = payload[:wire]
	}
	fl := p.Flags
	if fl&pcap.SYN != 0 && fl&(pcap.RST|pcap.FIN) != 0 {
		a.stats.Damaged++
		a.problem("bad tcp flags", p, fmt.Sprintf("TCP segment with flags %#02x: SYN cannot go with RST or FIN", fl))
		return
	}
	a.stats.PayloadBytes += int64(wire)

	k, srcIsA := makeKey(p)
	c := a.last
	if c == nil || !c.key.same(&k) {
		c = a.conns.get(&k)
	}
	bareSyn := fl&(pcap.SYN|pcap.ACK) == pcap.SYN
	if c != nil {
		if c.dead {
			if !bareSyn || a.straggler(c, srcIsA, p.Seq) {
				a.stats.AfterClose++
				a.stats.AfterCloseBytes += int64(wire)
				return
			}
			a.forget(c)
			c = nil
		} else if bareSyn && a.newSyn(c, srcIsA, p.Seq) {
			a.stats.Reused++
			if c.finishing {
				// Both FINs were seen: it ended then, whatever was missing.
				a.close(c, EndFIN, max(c.FinAt[0], c.FinAt[1]))
				a.forget(c)
			} else {
				end := p.Time
				if c.opening() {
					end = min(end, c.lastSyn+a.synTimeout)
				}
				a.close(c, EndReused, end)
			}
			c = nil
		}
	}
	if c == nil {
		c = a.open(k, srcIsA, p)
	}
	a.last = c
	s := Client
	if srcIsA != c.clientIsA {
		s = Server
	}
	a.segment(c, s, p, payload, wire)
	if !c.dead {
		a.reschedule(c)
	}
}

// Advance fires the timeouts due by capture time now: SYNs given up,
// idle connections, lingering closed ones forgotten. Packet does it too,
// with each packet's time; Advance is for a caller that knows the time
// has moved on without a TCP packet (other traffic, or another file).
func (a *Assembler) Advance(now int64) {
	a.clock(now)
	a.advance(a.now)
}

// Finish ends the input: every connection still open is closed, in the
// order they were opened, with its state as it stands; an unanswered SYN
// as S0 (End its last SYN plus SynTimeout, or now if sooner), any other
// with Ending EndCapture and End now (EndFIN if both FINs were seen). The
// Assembler is then empty and may be fed again.
func (a *Assembler) Finish(now int64) {
	a.clock(now)
	a.advance(a.now)
	live := make([]*conn, 0, a.conns.len())
	a.conns.each(func(c *conn) {
		if !c.dead {
			live = append(live, c)
		}
	})
	slices.SortFunc(live, func(x, y *conn) int {
		if x.ID < y.ID {
			return -1
		}
		return 1
	})
	for _, c := range live {
		switch {
		case c.finishing:
			a.close(c, EndFIN, max(c.FinAt[0], c.FinAt[1]))
		case c.opening():
			a.close(c, EndCapture, min(a.now, c.lastSyn+a.synTimeout))
		default:
			a.close(c, EndCapture, a.now)
		}
	}
	a.conns.clear()
	a.last = nil
	a.timers.reset()
}

func (a *Assembler) problem(why string, p *pcap.Packet, reason string) {
	a.stats.Problems++
	if a.opts.Problems == nil {
		return
	}
	a.opts.Problems.Add(why, parse.Problem{File: a.opts.FileName, Packet: p.Num, Offset: p.Offset, Reason: reason})
}

func makeKey(p *pcap.Packet) (key, bool) {
	s, d := p.Src.As16(), p.Dst.As16()
	sh, sl := binary.BigEndian.Uint64(s[:8]), binary.BigEndian.Uint64(s[8:])
	dh, dl := binary.BigEndian.Uint64(d[:8]), binary.BigEndian.Uint64(d[8:])
	srcFirst := sh < dh || sh == dh && (sl < dl || sl == dl && p.SrcPort <= p.DstPort)
	if srcFirst {
		return key{sh, sl, dh, dl, p.SrcPort, p.DstPort}, true
	}
	return key{dh, dl, sh, sl, p.DstPort, p.SrcPort}, false
}

// opening reports whether the connection is a SYN nobody answered yet.
func (c *conn) opening() bool {
	return c.SynSeen && !c.answered()
}

// answered reports whether the server answered: a SYN-ACK, or data. A
// bare ACK that does not acknowledge the SYN is not an answer (Zeek does
// not count one either: SYN, ACK, RST is RSTOS0).
func (c *conn) answered() bool {
	return c.SynAckSeen || c.Handshake || c.Bytes[Server] > 0
}

// newSyn reports whether a SYN without ACK on a live connection starts a
// new one: anything but the client's own SYN again (same initial sequence
// number), or the client's original SYN seen after the SYN-ACK. A
// different initial sequence number is a new connection on the same port:
// the old one is over, whether or not its end was seen.
func (a *Assembler) newSyn(c *conn, srcIsA bool, seq uint32) bool {
	if srcIsA != c.clientIsA {
		return true
	}
	if c.SynSeen {
		return seq != c.ISN[Client]
	}
	return !(c.SynAckSeen && seq+1 == c.synAckAck)
}

// straggler reports whether a SYN without ACK for a closed connection is a
// late copy of its own SYN rather than a new connection.
func (a *Assembler) straggler(c *conn, srcIsA bool, seq uint32) bool {
	return (c.Ending == EndFIN || c.Ending == EndRST) && srcIsA == c.clientIsA && c.SynSeen && seq == c.ISN[Client]
}

func (a *Assembler) open(k key, srcIsA bool, p *pcap.Packet) *conn {
	if a.conns.len() >= a.opts.MaxConns {
		a.evict()
	}
	c := a.newConn()
	c.key = k
	a.lastID++
	c.ID, c.id = a.lastID, a.lastID
	c.slot = a.timers.newSlot()
	c.File = a.opts.File
	c.Start = p.Time
	c.FirstPacket = p.Num
	switch p.Flags & (pcap.SYN | pcap.ACK) {
	case pcap.SYN:
		c.clientIsA = srcIsA
	case pcap.SYN | pcap.ACK:
		c.clientIsA = !srcIsA
	default:
		c.Midstream = true
		srcIsClient := true
		if p.SrcPort != p.DstPort {
			srcIsClient = p.SrcPort > p.DstPort
		}
		c.clientIsA = srcIsA == srcIsClient
	}
	if c.clientIsA == srcIsA {
		c.Client, c.Server = p.SrcAddrPort(), p.DstAddrPort()
	} else {
		c.Client, c.Server = p.DstAddrPort(), p.SrcAddrPort()
	}
	a.conns.put(c)
	c.deadline = math.MaxInt64 // none yet: the packet's reschedule gives it
	a.stats.Conns++
	a.stats.Open++
	a.stats.MaxOpen = max(a.stats.MaxOpen, a.stats.Open)
	return c
}

// segment applies one packet to its connection.
func (a *Assembler) segment(c *conn, s Side, p *pcap.Packet, payload []byte, wire int) {
	fl := p.Flags
	first := c.Packets[0]+c.Packets[1] == 0
	// The state moves only with a SYN, a side's first packet or the
	// server's first byte (ack and fin recompute it for the handshake and
	// the FINs, a reset ends the packet here): most packets leave it be.
	settled := fl&pcap.SYN == 0 && c.active[s] && (s == Client || wire == 0 || c.Bytes[Server] > 0)
	c.Packets[s]++
	c.Bytes[s] += int64(wire)
	c.Last = p.Time
	c.lastT = a.now
	c.LastPacket = p.Num
	h := &c.half[s]

	if fl&pcap.RST != 0 {
		if first {
			a.h.Open(c.Conn)
		}
		a.rst(c, s, p)
		return
	}
	seq := p.Seq
	if fl&pcap.SYN != 0 {
		ok := a.syn(c, s, p)
		if first {
			a.h.Open(c.Conn)
		}
		if !ok {
			return
		}
		seq++
	}
	c.active[s] = true
	if !h.known {
		// Mid-stream. A one-byte segment just before what the peer has
		// acknowledged is a keep-alive, not the start of the stream.
		base := seq
		if h.ackRawOK && wire == 1 && h.ackRaw == seq+1 {
			base = seq + 1
		}
		h.setBase(base)
	}
	if first && fl&pcap.SYN == 0 {
		a.h.Open(c.Conn)
	}
	off := h.off(seq)
	if fl&pcap.ACK != 0 {
		a.ack(c, s, p)
	}
	if wire > 0 {
		a.data(c, s, off, payload, int64(wire), p)
	}
	if fl&pcap.FIN != 0 && !c.dead {
		a.fin(c, s, off+int64(wire), p)
	}
	if c.dead {
		return
	}
	if c.finishing && c.half[0].done() && c.half[1].done() {
		a.close(c, EndFIN, max(c.FinAt[0], c.FinAt[1]))
		return
	}
	if !settled {
		c.State = c.state()
	}
}

// syn handles the SYN flag; false means the packet is ignored.
func (a *Assembler) syn(c *conn, s Side, p *pcap.Packet) bool {
	h := &c.half[s]
	if s == Client && p.Flags&pcap.ACK == 0 {
		if !c.SynSeen {
			c.SynSeen = true
			c.ISN[Client] = p.Seq
			c.lastSyn = p.Time
			c.synT, c.prevSynT = a.now, a.now
			if !h.known {
				h.setBase(p.Seq + 1)
			}
		} else {
			c.SynRetransmits++
			c.lastSyn = p.Time
			c.prevSynT, c.synT = c.synT, a.now
		}
		return true
	}
	if s == Client {
		// A SYN-ACK from the side taken for the client: the roles were
		// guessed from a mid-stream packet and cannot change now.
		a.stats.BadSynAck++
		return false
	}
	if !c.SynAckSeen {
		// It must acknowledge the client's SYN (and any data the SYN
		// carried, as with TCP Fast Open).
		if o := c.half[Client].off(p.Ack); c.SynSeen && p.Flags&pcap.ACK != 0 && (o < 0 || o > c.half[Client].highest) {
			a.stats.BadSynAck++
			return false
		}
		c.SynAckSeen = true
		c.SynAck = p.Time
		c.ISN[Server] = p.Seq
		c.synAckAck = p.Ack
		if !h.known {
			h.setBase(p.Seq + 1)
		}
		return true
	}
	if p.Seq != c.ISN[Server] {
		a.stats.BadSynAck++
		return false
	}
	return true // the SYN-ACK again
}

// ack handles the acknowledgement a side sends: for the handshake, and
// about the peer's stream.
func (a *Assembler) ack(c *conn, s Side, p *pcap.Packet) {
	syn := p.Flags&pcap.SYN != 0
	if !syn {
		c.sentAck[s] = true
	}
	if !c.Handshake && !c.Midstream && !syn {
		if s == Client && c.SynAckSeen && int32(p.Ack-(c.ISN[Server]+1)) >= 0 ||
			!c.SynAckSeen && c.SynSeen && c.sentAck[Client] && c.sentAck[Server] {
			c.Handshake = true
			c.Established = p.Time
			c.State = c.state()
			a.h.Established(c.Conn)
		}
	}
	peer := &c.half[s.Other()]
	if !peer.known {
		peer.ackRaw, peer.ackRawOK = p.Ack, true
		return
	}
	o := peer.off(p.Ack)
	peer.winClosed, peer.winAt = p.Window == 0, o
	if o > peer.acked && o-peer.next < maxAckAhead {
		peer.acked = o
	}
	a.trimHistory(peer, o)
	if peer.hasProbe && o > peer.probeAt && peer.next == peer.probeAt {
		// The peer took the probe byte: it is part of the stream.
		peer.hasProbe = false
		if peer.probeCut {
			a.gap(c, s.Other(), 1)
		} else {
			b := [1]byte{peer.probe}
			a.deliver(c, s.Other(), b[:], peer.probeTime, peer.probePkt)
		}
		a.drain(c, s.Other())
	}
	if peer.acked > peer.next && (len(peer.held) > 0 || peer.fin >= 0) {
		to := peer.acked
		if peer.fin >= 0 {
			to = min(to, peer.fin)
		}
		a.gapTo(c, s.Other(), to)
	}
}

// data takes n bytes a side sent at stream offset off; d is what the
// capture kept of them (shorter when the snap length cut the packet).
func (a *Assembler) data(c *conn, s Side, off int64, d []byte, n int64, p *pcap.Packet) {
	h := &c.half[s]
	lost := n - int64(len(d))
	if lost > 0 {
		a.stats.SnapCut++
		a.problem("tcp payload cut by snap length", p, fmt.Sprintf("TCP payload cut by the capture's snap length (%d of %d bytes); the rest is a gap", len(d), n))
	}
	if h.fin >= 0 && off+n > h.fin {
		a.stats.DataAfterFIN++
		a.problem("tcp data after fin", p, fmt.Sprintf("%d bytes of TCP payload past the sender's FIN, dropped", min(n, off+n-h.fin)))
		if off >= h.fin {
			return
		}
		n = h.fin - off
		if int64(len(d)) > n {
			d = d[:n]
		}
		lost = n - int64(len(d))
	}
	h.highest = max(h.highest, off+n)
	if n == 1 && off == h.next-1 && p.Flags&(pcap.SYN|pcap.FIN) == 0 {
		// A keep-alive: one byte again, or garbage, just before what was
		// sent, to make the peer answer.
		a.stats.KeepAlives++
		return
	}
	if n == 1 && off == h.next && h.winClosed && h.winAt == h.next && len(h.held) == 0 {
		a.stats.ZeroWindowProbes++
		h.hasProbe, h.probeAt, h.probeTime, h.probePkt = true, off, p.Time, p.Num
		h.probeCut = len(d) == 0
		if !h.probeCut {
			h.probe = d[0]
		}
		return
	}
	if h.hasProbe && off <= h.probeAt {
		h.hasProbe = false // the window opened and the byte came for real
	}
	if off == h.next && lost == 0 && len(h.held) == 0 {
		// The next bytes, whole, with nothing held: what insert comes
		// to at once (nothing repeated, nothing ahead, nothing to
		// count), as most segments of a capture are.
		a.deliver(c, s, d, p.Time, p.Num)
		return
	}
	a.insert(c, s, off, d, lost, p.Time, p.Num)
}

// insert adds a segment to a side's stream: what is new is delivered, or
// held if it is ahead of a hole; what repeats bytes already seen is
// compared with them (the first copy wins) and counted.
func (a *Assembler) insert(c *conn, s Side, off int64, d []byte, lost int64, t, pkt int64) {
	h := &c.half[s]
	ahead := off > h.next
	var fresh, repeated, conflict bool
	for {
		if off < h.next {
			// Bytes already delivered: compare what history still holds.
			repeated = true
			k := h.next - off
			if k >= int64(len(d))+lost {
				conflict = conflict || h.hist.differs(off, d)
				break
			}
			cut := min(k, int64(len(d)))
			conflict = conflict || h.hist.differs(off, d[:cut])
			d = d[cut:]
			lost -= k - cut
			off = h.next
		}
		if off > h.next && h.acked > h.next {
			// The peer acknowledged bytes before this segment that were
			// never seen: they will not come.
			a.gapTo(c, s, min(h.acked, off))
			continue
		}
		if off == h.next {
			f, r, x := a.inOrder(c, s, d, lost, t, pkt)
			fresh, repeated, conflict = fresh || f, repeated || r, conflict || x
			break
		}
		if h.heldBytes+int64(len(d)) > a.opts.MaxBuffered || a.stats.Held+int64(len(d)) > a.opts.MaxBufferedTotal {
			// No room to hold it: give up the first hole and go on.
			a.stats.Overflow++
			to := off
			if len(h.held) > 0 {
				to = min(to, h.held[0].off)
			}
			a.gapTo(c, s, to)
			continue
		}
		f, r, x := a.hold(c, s, off, d, lost, t, pkt)
		fresh, repeated, conflict = fresh || f, repeated || r, conflict || x
		break
	}
	switch {
	case fresh && repeated:
		c.Overlaps[s]++
		a.stats.Overlaps++
	case fresh && ahead:
		c.OutOfOrder[s]++
		a.stats.OutOfOrder++
	case !fresh && repeated:
		c.Retransmitted[s]++
		a.stats.Retransmitted++
	}
	if conflict {
		c.OverlapConflicts[s]++
		a.stats.OverlapConflicts++
	}
}

// inOrder delivers a segment that starts at next, around (and after) any
// held pieces it overlaps: those came first, and win.
func (a *Assembler) inOrder(c *conn, s Side, d []byte, lost int64, t, pkt int64) (fresh, repeated, conflict bool) {
	h := &c.half[s]
	for int64(len(d))+lost > 0 {
		if len(h.held) > 0 && h.held[0].off <= h.next {
			g := &h.held[0]
			k := h.next - g.off
			n := min(g.n-k, int64(len(d))+lost)
			if g.data != nil && len(d) > 0 {
				m := min(n, int64(len(d)), int64(len(g.data))-k)
				if m > 0 && string(g.data[k:k+m]) != string(d[:m]) {
					conflict = true
				}
			}
			repeated = true
			a.drainOne(c, s)
			cut := min(n, int64(len(d)))
			d = d[cut:]
			lost -= n - cut
			continue
		}
		lim := int64(len(d)) + lost
		if len(h.held) > 0 {
			lim = min(lim, h.held[0].off-h.next)
		}
		fresh = true
		if m := min(lim, int64(len(d))); m > 0 {
			a.deliver(c, s, d[:m], t, pkt)
			d = d[m:]
			lim -= m
		}
		if lim > 0 {
			a.gap(c, s, lim)
			lost -= lim
		}
	}
	a.drain(c, s)
	return
}

// hold keeps the new parts of a segment that came ahead of a hole.
func (a *Assembler) hold(c *conn, s Side, off int64, d []byte, lost int64, t, pkt int64) (fresh, repeated, conflict bool) {
	h := &c.half[s]
	end := off + int64(len(d)) + lost
	dataEnd := off + int64(len(d))
	i, _ := slices.BinarySearchFunc(h.held, off, func(g segment, o int64) int {
		if g.end() <= o {
			return -1
		}
		return 1
	})
	for cur := off; cur < end; {
		if i < len(h.held) && h.held[i].off <= cur {
			g := &h.held[i]
			stop := min(end, g.end())
			if g.data != nil && cur < dataEnd {
				hi := min(stop, dataEnd, g.off+int64(len(g.data)))
				if hi > cur && string(g.data[cur-g.off:hi-g.off]) != string(d[cur-off:hi-off]) {
					conflict = true
				}
			}
			repeated = true
			cur = stop
			i++
			continue
		}
		stop := end
		if i < len(h.held) {
			stop = min(stop, h.held[i].off)
		}
		fresh = true
		if cur < dataEnd {
			e := min(stop, dataEnd)
			buf := a.pool.get(int(e - cur))
			copy(buf, d[cur-off:e-off])
			h.insertHeld(i, segment{off: cur, n: e - cur, data: buf, time: t, pkt: pkt})
			h.heldBytes += e - cur
			a.addHeld(e - cur)
			i++
			cur = e
		}
		if cur < stop {
			h.insertHeld(i, segment{off: cur, n: stop - cur, time: t, pkt: pkt})
			i++
			cur = stop
		}
	}
	return
}

// deliver hands in-order bytes to the handler.
func (a *Assembler) deliver(c *conn, s Side, b []byte, t, pkt int64) {
	h := &c.half[s]
	off := h.next
	h.next += int64(len(b))
	c.Delivered[s] += int64(len(b))
	a.stats.DeliveredBytes += int64(len(b))
	if a.histSize > 0 && h.acked < h.next {
		if h.hist.buf == nil && a.stats.Held+int64(a.histSize) <= a.opts.MaxBufferedTotal {
			// The whole ring is counted, as it may grow to it without
			// asking again; it starts at what this data needs.
			h.hist.buf = a.pool.get(a.histFor(int64(len(b))))
			a.addHeld(int64(a.histSize))
			h.hist.start, h.hist.end = off, off
		}
		if h.hist.buf != nil {
			if n := h.hist.need(off, len(b)); n > int64(len(h.hist.buf)) && len(h.hist.buf) < a.histSize {
				old := h.hist.buf
				h.hist.moveTo(a.pool.get(a.histFor(n)))
				a.pool.put(old)
			}
			h.hist.add(off, b)
		}
	}
	a.h.Data(c.Conn, s, b, t, pkt)
}

// gap declares the next n bytes of a side lost.
func (a *Assembler) gap(c *conn, s Side, n int64) {
	c.half[s].next += n
	c.GapBytes[s] += n
	a.stats.GapBytes += n
	a.h.Gap(c.Conn, s, n)
}

// gapTo moves a side's stream on to offset to, delivering what is held on
// the way and declaring the holes between gaps.
func (a *Assembler) gapTo(c *conn, s Side, to int64) {
	h := &c.half[s]
	for h.next < to {
		if len(h.held) > 0 && h.held[0].off <= h.next {
			a.drainOne(c, s)
			continue
		}
		stop := to
		if len(h.held) > 0 {
			stop = min(stop, h.held[0].off)
		}
		a.gap(c, s, stop-h.next)
	}
	a.drain(c, s)
}

// drain delivers the held pieces that the stream has reached.
func (a *Assembler) drain(c *conn, s Side) {
	h := &c.half[s]
	for len(h.held) > 0 && h.held[0].off <= h.next {
		a.drainOne(c, s)
	}
}

// drainOne delivers (or declares lost) the first held piece, which starts
// at or before next, and forgets it.
func (a *Assembler) drainOne(c *conn, s Side) {
	h := &c.half[s]
	g := h.held[0]
	h.held[0] = segment{}
	h.held = h.held[1:]
	if len(h.held) == 0 {
		h.held = h.heldBuf[:0]
	}
	if g.data != nil {
		h.heldBytes -= g.n
		a.addHeld(-g.n)
	}
	if k := h.next - g.off; k < g.n {
		if g.data != nil {
			a.deliver(c, s, g.data[k:], g.time, g.pkt)
		} else {
			a.gap(c, s, g.n-k)
		}
	}
	if g.data != nil {
		a.pool.put(g.data)
	}
}

// fin notes a side's FIN at stream offset at.
func (a *Assembler) fin(c *conn, s Side, at int64, p *pcap.Packet) {
	h := &c.half[s]
	if c.FinSeen[s] {
		return // the FIN again (or another one: the first stands)
	}
	if at < h.next {
		a.problem("tcp fin before data", p, fmt.Sprintf("TCP FIN at %d bytes into the stream, before the %d already seen", at, h.next))
		at = h.next
	}
	c.FinSeen[s] = true
	c.FinAt[s] = p.Time
	h.fin = at
	for len(h.held) > 0 && h.held[len(h.held)-1].end() > at {
		g := &h.held[len(h.held)-1]
		if g.off >= at {
			a.releaseSeg(h, g)
			h.held = h.held[:len(h.held)-1]
			a.stats.DataAfterFIN++
			continue
		}
		if g.data != nil {
			cut := g.end() - at
			h.heldBytes -= cut
			a.addHeld(-cut)
			g.data = g.data[:at-g.off]
		}
		g.n = at - g.off
		a.stats.DataAfterFIN++
	}
	c.HalfClosed = c.FinSeen[0] != c.FinSeen[1]
	if c.FinSeen[0] && c.FinSeen[1] {
		c.finishing = true
		c.finT = a.now
	}
	c.State = c.state()
	if h.acked > h.next {
		a.gapTo(c, s, min(h.acked, h.fin))
	}
}

// rst handles a reset: one in the window ends the connection.
func (a *Assembler) rst(c *conn, s Side, p *pcap.Packet) {
	if c.FinSeen[0] && c.FinSeen[1] {
		// Both sides had closed: the reset only hurries the end.
		a.close(c, EndFIN, max(c.FinAt[0], c.FinAt[1]))
		return
	}
	h, peer := &c.half[s], &c.half[s.Other()]
	ok := true
	if h.known {
		o := h.off(p.Seq)
		ok = o >= h.next-rstSlack && o <= max(h.highest, h.acked)+rstSlack
	} else if h.ackRawOK && !c.SynSeen {
		// Mid-stream, nothing seen from this side yet: the peer's
		// acknowledgement says where its stream is.
		o := int64(int32(p.Seq - h.ackRaw))
		ok = o >= -rstSlack && o <= rstSlack
	} else if peer.known && c.SynSeen {
		// Nothing seen from this side, as with a reset answering a SYN.
		// As the client would (RFC 9293, 3.10.7.3), take it only if it
		// acknowledges something the peer sent: the SYN, at least. A
		// forged reset acknowledges the SYN's own number, or nothing.
		o := peer.off(p.Ack)
		ok = p.Flags&pcap.ACK != 0 && o >= 0 && o <= max(peer.highest, peer.acked)
	}
	if !ok {
		a.stats.IgnoredRST++
		return
	}
	c.Reset = true
	c.ResetBy = s
	a.close(c, EndRST, p.Time)
}

// close ends a connection: what is held is delivered, the holes declared,
// the state settled, and the handler told; its sides are emptied (see
// conn). A connection that ended by FIN, RST or SYN timeout lingers to
// absorb stragglers; any other is forgotten at once.
func (a *Assembler) close(c *conn, e Ending, end int64) {
	for s := Client; s <= Server; s++ {
		h := &c.half[s]
		h.hasProbe = false
		to := h.heldEnd()
		if h.fin >= 0 {
			to = max(to, h.fin)
		} else if h.acked > to {
			to = h.acked
		}
		a.gapTo(c, s, to)
		a.releaseHistory(h)
		h.reset()
	}
	c.Ending = e
	c.End = end
	c.HalfClosed = c.FinSeen[0] != c.FinSeen[1]
	c.State = c.state()
	a.stats.Open--
	a.h.Close(c.Conn)
	switch e {
	case EndFIN, EndRST, EndSynTimeout:
		c.dead = true
		c.closedAt = a.now
		a.reschedule(c)
	default:
		a.forget(c)
	}
}

// forget drops a closed connection from the table and the timers, and
// keeps it for a new one. Nothing may use c afterwards.
func (a *Assembler) forget(c *conn) {
	a.conns.remove(c)
	if a.last == c {
		a.last = nil
	}
	a.timers.freeSlot(c.slot)
	if a.free.Len() < maxFreeConns {
		c.Conn = nil
		a.free.Put(c)
	}
}

// maxFreeConns bounds the forgotten connections kept for reuse: enough
// for the churn of a load test, little next to MaxConns.
const maxFreeConns = 1024

// newConn returns a connection with a new Conn, its own state reused when
// there is some to reuse.
func (a *Assembler) newConn() *conn {
	c, fresh := a.free.Get()
	if fresh {
		c.half[0].reset()
		c.half[1].reset()
	} else {
		c.connHead, c.connTimes = connHead{}, connTimes{} // its sides were emptied at close
	}
	c.Conn = new(Conn)
	return c
}

func (a *Assembler) releaseSeg(h *half, g *segment) {
	if g.data != nil {
		h.heldBytes -= g.n
		a.addHeld(-g.n)
		a.pool.put(g.data)
		g.data = nil
	}
}

func (a *Assembler) trimHistory(h *half, to int64) {
	if h.hist.buf == nil {
		return
	}
	h.hist.trim(to)
	if h.hist.start >= h.hist.end {
		a.releaseHistory(h)
	}
}

func (a *Assembler) releaseHistory(h *half) {
	if h.hist.buf != nil {
		a.pool.put(h.hist.buf)
		a.addHeld(-int64(a.histSize))
		h.hist = history{}
	}
}

// histFor is the ring size for n unacknowledged bytes: a power of two,
// at least minHistory, at most the configured size. Most exchanges are a
// message or two, far below the 16 KiB the ring may grow to.
func (a *Assembler) histFor(n int64) int {
	if n >= int64(a.histSize) {
		return a.histSize
	}
	return min(a.histSize, max(minHistory, 1<<bits.Len64(uint64(n-1))))
}

const minHistory = 1 << 10

func (a *Assembler) addHeld(n int64) {
	a.stats.Held += n
	a.stats.MaxHeld = max(a.stats.MaxHeld, a.stats.Held)
}

// due is which timeout a connection waits for.
type due uint8

const (
	dueIdle due = iota
	dueOpening
	dueFinishing
	dueLinger // closed: to be forgotten
	nDue
)

// queueOf is the timers' queue for each kind of deadline: those of the
// same delay share one.
var queueOf = [nDue]int{dueIdle: queueIdle, dueOpening: queueOpening, dueFinishing: queueLinger, dueLinger: queueLinger}

// deadlineOf is when the connection is next due for a timeout, and which.
func (a *Assembler) deadlineOf(c *conn) (int64, due) {
	switch {
	case c.dead:
		return c.closedAt + a.linger, dueLinger
	case c.finishing:
		return c.finT + a.linger, dueFinishing
	case c.opening():
		return c.synT + a.synTimeout + 2*(c.synT-c.prevSynT), dueOpening
	}
	return c.lastT + a.idle, dueIdle
}

// reschedule gives a connection a new timer if its deadline came closer.
// A deadline that moved later, as an idle timeout does on every packet, is
// left for the timers to find stale when it comes first, so that a packet
// costs them nothing; but one that changed kind gets a timer at once,
// later or not, while its connection is at hand: the clock plus its
// kind's delay, which a queue takes in order (see timers). The timers fire
// in the same order either way (see advance).
func (a *Assembler) reschedule(c *conn) {
	if d, k := a.deadlineOf(c); d < c.deadline || k != c.due {
		a.setDeadline(c, d, k)
	}
}

// setDeadline gives c's timer deadline d, of kind k. A deadline that is
// the clock plus its kind's delay, as most are, goes to that delay's
// queue.
func (a *Assembler) setDeadline(c *conn, d int64, k due) {
	c.deadline, c.due = d, k
	q := -1
	if d == a.now+a.delay[k] {
		q = queueOf[k]
	}
	a.timers.add(c, d, q)
}

// clock moves the capture clock on to t, which the timers run on. It never
// goes back (packets from several interfaces come a little out of order),
// and it does not leap forward on one packet alone: a time more than
// maxLeap ahead must be confirmed by the next one. Captures do hold lone
// packets with a wild timestamp (a SYN-ACK dated 24 years later), and
// leaping on one would time out every connection at once.
func (a *Assembler) clock(t int64) {
	switch {
	case !a.clockSet:
		a.now, a.clockSet = t, true
	case t <= a.now:
		a.leap = 0
	case t-a.now <= maxLeap || a.leap != 0 && t-a.leap <= maxLeap && a.leap-t <= maxLeap:
		a.now, a.leap = t, 0
	default:
		a.leap = t
	}
}

// advance fires the timers due by the clock. A timer's deadline is never
// later than its connection's (reschedule), and one found stale at the
// top is moved to the real one before anything fires: a connection fires
// only from the top with its real deadline, so the timers fire in
// (deadline, ID) order however stale the timers' deadlines were.
func (a *Assembler) advance(now int64) {
	for a.timers.next <= now {
		e, src := a.timers.first()
		if e == nil {
			a.timers.next = math.MaxInt64
			return
		}
		if e.deadline > now {
			a.timers.next = e.deadline
			return
		}
		c := e.c
		a.timers.take(src)
		if a.moved(c, src) {
			continue
		}
		a.expire(c)
	}
}

// moved reports whether the timer of c just taken from src came before
// c's real deadline, and if so gives c a timer at the real one. A
// finishing or lingering deadline never moves (its queue holds it exact),
// and the connection, cold by then, is not read for it.
func (a *Assembler) moved(c *conn, src int) bool {
	if src == queueLinger {
		return false
	}
	if d, k := a.deadlineOf(c); d > c.deadline {
		a.setDeadline(c, d, k)
		return true
	}
	return false
}

func (a *Assembler) expire(c *conn) {
	switch {
	case c.dead:
		a.forget(c)
	case c.finishing:
		a.close(c, EndFIN, max(c.FinAt[0], c.FinAt[1]))
	case c.opening():
		a.stats.SynTimeouts++
		a.close(c, EndSynTimeout, c.lastSyn+a.synTimeout)
	default:
		a.stats.IdleClosed++
		a.close(c, EndIdle, c.Last+a.idle)
	}
}

// evict makes room for one more connection: the one closest to its
// timeout goes (a lingering closed one is simply forgotten).
func (a *Assembler) evict() {
	for {
		e, src := a.timers.first()
		if e == nil {
			return
		}
		c := e.c
		a.timers.take(src)
		if a.moved(c, src) {
			continue
		}
		if c.dead {
			a.forget(c)
			return
		}
		a.stats.Evicted++
		end := a.now
		if c.opening() {
			end = min(end, c.lastSyn+a.synTimeout)
		}
		a.close(c, EndEvicted, end)
		return
	}
}

// state settles the Zeek-style state from what was seen.
func (c *conn) state() State {
	up := c.Handshake || c.Midstream && c.active[Client] && c.active[Server]
	if c.Reset {
		if c.ResetBy == Server {
			switch {
			case c.SynSeen && !c.Handshake:
				return REJ
			case !c.active[Client]:
				return RSTRH
			}
			return RSTR
		}
		switch {
		case c.SynSeen && !c.answered():
			return RSTOS0
		case !c.active[Server]:
			return OTH
		}
		return RSTO
	}
	switch {
	case c.FinSeen[Client] && c.FinSeen[Server]:
		return SF
	case c.FinSeen[Client]:
		if c.SynSeen && !c.answered() || !c.SynSeen && !c.active[Server] {
			return SH
		}
		return S2
	case c.FinSeen[Server]:
		if !c.active[Client] {
			return SHR
		}
		return S3
	case c.opening():
		return S0
	case up:
		return S1
	}
	return OTH
}

type nopHandler struct{}

func (nopHandler) Open(*Conn)                             {}
func (nopHandler) Established(*Conn)                      {}
func (nopHandler) Data(*Conn, Side, []byte, int64, int64) {}
func (nopHandler) Gap(*Conn, Side, int64)                 {}
func (nopHandler) Close(*Conn)                            {}
