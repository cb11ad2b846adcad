package main

import (
	"math"
	"time"
)

// Transports of a SIP thread.
const (
	tUDP uint8 = iota
	tTCP
	tWS
)

var transportName = [...]string{"udp", "tcp", "ws"}

// Thread groups, as the JMeter test plan has them.
const (
	grpSIP    = 0
	grpEvents = 1
)

// The edge's SIP listeners, as ceiling tells edges apart (address and
// port): UDP and TCP share 10.20.0.10:5060, SIP over WebSocket is :8080.
const (
	lis5060 = iota
	lis8080
)

const (
	sipPort    = 5060
	sipWSPort  = 8080
	eventsPort = 80
)

type config struct {
	size     int64   // capture bytes to write (about)
	rows     int64   // or stop at this many JTL rows
	rtpShare float64 // share of packets that are RTP
	seed     uint64
	dir      string
	format   string // pcap, pcapng, none

	threads   int           // SIP caller threads
	ramp      time.Duration // over which they start
	limit     int           // the edge's dialog limit (all listeners)
	tcpShare  float64       // share of SIP threads over TCP
	wsShare   float64       // share over WebSocket
	tcpLimit  int           // connections the edge's TCP listener takes
	wsThreads int           // event-API listener threads
	wsRamp    time.Duration
	wsLimit   int // WebSockets the event API takes
	hold      time.Duration
	offset    time.Duration // capture clock minus JMeter clock
	start     time.Time
}

// thread is a JMeter thread.
type thread struct {
	group     uint8
	num       int32 // 1-based within its group, as JMeter names it
	transport uint8
	active    bool
	conn      int32 // its connection (TCP, WebSocket), -1 when none
	iter      int32
	host      uint32 // the random label of its WebSocket Via host
	// connStart is when its current connection attempt began (client
	// time on the capture clock): a sample that connects starts there.
	connStart int64
	sample    int64 // start of the event-API open sample
	trace     [16]byte
	call      int32 // the call in progress, -1 when none
}

// call is one SIP call: an INVITE transaction and, when answered, the
// dialog to its BYE.
type call struct {
	thread    int32
	transport uint8
	listener  uint8
	step      uint8
	gen       uint32
	coalesce  bool // over TCP/WS: 100 Trying and 180 Ringing leave in one segment
	split     bool // over TCP/WS: the INVITE is cut into two segments
	media     bool
	connected bool // this call's sample includes the TCP connect

	iter                int32
	id                  uint64
	fromTag, toTag      uint32
	brInv, brAck, brBye uint32
	sess                uint32
	sport               uint16 // the client's SIP port over UDP
	rtpPort, edgeRTP    uint16

	start    int64 // sample start, client's action on the capture clock
	inviteAt int64 // INVITE on the wire
	firstAt  int64 // first response seen by the client
	hold     int64
	sent     int64
	recv     int64
	code     int
}

// conn is one TCP connection from the load generator.
type conn struct {
	owner  int32
	gen    uint32
	cli    *host
	srv    *host
	cport  uint16
	sport  uint16
	seq    [2]uint32 // next sequence number per side (0 client, 1 server)
	tsEcho [2]uint32 // last TSval heard from the other side
	owes   [2]bool   // has data the side has not acknowledged
	ackGen [2]uint32
	step   uint8
	// slot: the connection counts against the edge's TCP listener limit.
	slot bool
	// wsUnit: the connection counts against the event API's WebSocket
	// limit (from its upgrade request until its first close frame).
	wsUnit bool
	// wsOpen: upgraded (101), frames flow.
	wsOpen  bool
	finCli  bool
	finSrv  bool
	lastAck uint8 // the side that sends the final ACK
	free    bool
}

// stream is one direction of a call's RTP.
type stream struct {
	src, dst     *host
	sport, dport uint16
	seq          uint16
	ts           uint32
	ssrc         uint32
	left         int32
	off          int32
	nominal      int64 // when the next packet is due, before jitter
	first        bool
	jitter       bool
}

// gen is the whole simulated world and what it writes.
type gen struct {
	cfg config
	r   rng
	// rr draws what only media needs, so that -rtp adds RTP without
	// changing the signalling a seed gives.
	rr   rng
	q    queue
	fr   frames
	cap  *capFile
	jtl  *jtlFile
	msg  []byte           // a message being built
	keys map[int32]string // Sec-WebSocket-Key of upgrades in flight
	pay  []byte           // a TCP payload being built

	client, edge, events host

	threads []thread
	calls   []call
	freeC   []int32
	conns   []conn
	freeK   []int32
	streams []stream
	freeS   []int32

	activeThreads [2]int
	ephemeral     uint16  // next client port
	portBusy      []int64 // per client port, in use until then
	rtpNext       uint16
	edgeRTPNext   uint16

	// The edge's state as its limits see it (and as ceiling counts).
	dialogs     int    // dialogs in progress, all listeners
	dialogsAt   [2]int // per listener
	tcpOpen     int    // connections opening or open on 10.20.0.10:5060/tcp
	wsUnits     int    // event API: upgrades awaiting an answer plus WebSockets up
	maxDialogs  int
	maxTCP      int
	maxWS       int
	stopping    bool
	stoppedAt   int64
	lastEventAt int64

	// The RTP share controller.
	rtpPackets, otherPackets int64
	activeStreams            int
	rtpLeft                  int64 // RTP packets still to send by the streams running
	winStart                 int64
	winOther                 int64
	otherRate                float64 // non-RTP packets per second, smoothed

	exp expected
}

func (g *gen) at(t int64, kind uint8, id int32, arg, gen uint32) {
	g.q.push(event{t: t, kind: kind, id: id, arg: arg, gen: gen})
}

// ms, us turn durations into capture-clock nanoseconds.
func ms(v int64) int64 { return v * 1e6 }
func us(v int64) int64 { return v * 1e3 }

// Delays on the wire and in the programs. The capture is taken on the
// edge's interface: what the client sends is stamped when it arrives,
// what the edge sends when it leaves.
func (g *gen) rtt() int64      { return g.r.between(us(700), us(1100)) }
func (g *gen) edgeProc() int64 { return g.r.between(us(150), us(900)) }
func (g *gen) jmeter() int64   { return g.r.between(us(100), us(600)) }

// nextPort hands out the client's ephemeral ports at t, as Linux does by
// default (32768-60999), skipping those still in use: by an open TCP
// connection, one in TIME_WAIT, or a UDP call in progress.
func (g *gen) nextPort(t int64) uint16 {
	for {
		p := g.ephemeral
		g.ephemeral++
		if g.ephemeral > 60999 {
			g.ephemeral = 32768
		}
		if g.portBusy[p] <= t {
			g.portBusy[p] = math.MaxInt64
			return p
		}
	}
}

func (g *gen) run() error {
	cfg := &g.cfg
	g.r = rng{s: cfg.seed}
	g.rr = rng{s: cfg.seed ^ 0x52545020}
	g.client = host{mac: routerMAC, ip: [4]byte{10, 10, 0, 5}, ipID: uint16(g.r.next()), tsBase: uint32(g.r.next())}
	g.edge = host{mac: edgeMAC, ip: [4]byte{10, 20, 0, 10}, ipID: uint16(g.r.next()), tsBase: uint32(g.r.next())}
	g.events = host{mac: eventsMAC, ip: [4]byte{10, 20, 0, 20}, ipID: uint16(g.r.next()), tsBase: uint32(g.r.next())}
	g.ephemeral = uint16(32768 + g.r.intn(20000))
	g.portBusy = make([]int64, 65536)
	g.rtpNext = uint16(10000 + 2*g.r.intn(10000))
	g.edgeRTPNext = uint16(20000 + 2*g.r.intn(5000))
	g.exp.init(cfg)

	t0 := cfg.start.UnixNano()
	g.winStart = t0
	// The SIP thread group: each thread's transport is drawn once.
	for i := 0; i < cfg.threads; i++ {
		th := thread{group: grpSIP, num: int32(i + 1), conn: -1, call: -1, host: uint32(g.r.next())}
		x := g.r.next() % 10000
		switch {
		case float64(x) < cfg.tcpShare*10000:
			th.transport = tTCP
		case float64(x) < (cfg.tcpShare+cfg.wsShare)*10000:
			th.transport = tWS
		}
		g.threads = append(g.threads, th)
		g.at(t0+int64(cfg.ramp)*int64(i)/int64(cfg.threads), evThread, int32(len(g.threads)-1), 0, 0)
	}
	for i := 0; i < cfg.wsThreads; i++ {
		g.threads = append(g.threads, thread{group: grpEvents, num: int32(i + 1), conn: -1, call: -1})
		g.at(t0+int64(cfg.wsRamp)*int64(i)/int64(cfg.wsThreads), evThread, int32(len(g.threads)-1), 0, 0)
	}

	for !g.q.empty() {
		e := g.q.pop()
		switch e.kind {
		case evThread:
			g.threadStep(e.id, e.t)
		case evCall:
			c := &g.calls[e.id]
			if c.gen == e.gen {
				g.callStep(e.id, e.t)
			}
		case evConn:
			k := &g.conns[e.id]
			if k.gen == e.gen {
				g.connStep(e.id, e.t)
			}
		case evAck:
			g.delayedAck(e.id, int(e.arg&1), e.arg>>1, e.gen, e.t)
		case evRTP:
			g.rtpStep(e.id, e.t)
		case evPush:
			g.push(e.id, e.gen, e.t)
		case evHold:
			g.holdEnd(e.id, e.gen, e.t)
		}
	}
	return nil
}

// wrote accounts for a frame written, and decides when to stop starting
// work: when the capture (or the JTL) has reached its size, less what the
// calls in flight will still add.
func (g *gen) wrote(t int64, n int, rtp bool) {
	if rtp {
		g.rtpPackets++
	} else {
		g.otherPackets++
		g.winOther++
	}
	if t-g.winStart >= 1e9 {
		secs := float64(t-g.winStart) / 1e9
		g.otherRate = 0.7*g.otherRate + 0.3*float64(g.winOther)/secs
		g.winStart, g.winOther = t, 0
		if g.cfg.rows > 0 && g.jtl.rows >= g.cfg.rows {
			g.stop(t)
		}
	}
	if !g.stopping && g.cap != nil && g.cfg.size > 0 {
		// What is in flight still comes: the RTP streams' packets left,
		// and about 1.2 kB per dialog (the BYE, its answer, the ACKs).
		tail := g.rtpLeft*(ethLen+ipv4Len+udpLen+12+rtpPayload+32) + int64(g.dialogs)*1200
		if g.cap.bytes+tail >= g.cfg.size {
			g.stop(t)
		}
	}
}

func (g *gen) stop(t int64) {
	g.stopping = true
	g.stoppedAt = t
}

// emit writes a frame to the capture.
func (g *gen) emit(t int64, frame []byte, rtp bool) {
	if g.cap != nil {
		g.cap.packet(t, frame)
	}
	g.wrote(t, len(frame), rtp)
}

// udp writes one datagram.
func (g *gen) udp(t int64, src, dst *host, sport, dport uint16, tos byte, payload []byte, rtp bool) {
	if g.cap == nil {
		g.wrote(t, ethLen+ipv4Len+udpLen+len(payload), rtp)
		return
	}
	g.emit(t, g.fr.udp(src, dst, sport, dport, tos, payload), rtp)
}
