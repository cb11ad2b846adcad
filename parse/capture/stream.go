package capture

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/ceiling-dev/ceiling/internal/freelist"
	"github.com/ceiling-dev/ceiling/parse"
	"github.com/ceiling-dev/ceiling/parse/http"
	"github.com/ceiling-dev/ceiling/parse/sip"
	"github.com/ceiling-dev/ceiling/parse/tcp"
	"github.com/ceiling-dev/ceiling/parse/tls"
	"github.com/ceiling-dev/ceiling/parse/websocket"
)

// What a TCP connection carries, told from its first bytes.
type proto uint8

const (
	protoUnknown proto = iota
	protoSIP
	protoHTTP
	protoTLS
	protoOther
)

// sniffLen is how many bytes of a side are held to tell its protocol
// when they come in smaller pieces.
const sniffLen = 24

// maxSIPBuffer bounds what the SIP framer holds per side: one message's
// head and body at the parser's limits.
const maxSIPBuffer = sip.DefaultMaxHeaderBytes + sip.DefaultMaxBody

// flow is the capture stage's state for one TCP connection. What each of
// its bytes goes through (the protocols, the time and packet being fed,
// the HTTP and WebSocket parsers, a SIP side's framer) lies together at
// its start: a busy capture's flows are mostly cold in the cache by their
// next segment, and a segment reads two or three cache lines of its flow
// where it read four.
type flow struct {
	f     *fileSource
	c     *tcp.Conn
	proto proto
	// app is the protocol of the application bytes: proto itself for a
	// plaintext connection, what the decrypted stream carries inside TLS
	// (told from its first bytes, as proto was).
	app    proto
	secure bool // the application bytes came out of TLS
	wsSIP  bool // Sec-WebSocket-Protocol: sip (RFC 7118)
	closed bool // a WebSocket close frame was reported
	// direct says a side's bytes go to its WebSocket parser without
	// passing through its HTTP parser, which would only hand them on.
	direct [2]bool
	// last is the time and packet of the bytes being fed, for events the
	// parsers report from inside a Feed.
	lastSide       tcp.Side
	lastT, lastPkt int64

	// The WebSocket parsers lie in the first 64 bytes: a WebSocket's
	// segments, most of a signalling capture's over TCP, read nothing
	// else of the flow.
	ws   [2]*websocket.Parser
	req  *http.RequestParser
	resp *http.ResponseParser
	// upgrading is set by a request that asked for a WebSocket, until
	// its answer; upgradeProto is the protocols it offered. Not the
	// request itself: the caller may give its event back (Source.Recycle)
	// before the answer comes, and what startWS reads must not depend on
	// when http.Blocks reuses a head given back.
	upgrading bool

	sip [2]sipFramer

	upgradeProto string

	tls      *tls.Conn
	sniff    [2][]byte
	appSniff [2][]byte
}

type sipFramer struct {
	buf []byte
	off int64 // stream offset of buf[0]
	bad bool  // the framer gave up on this side (a limit was hit)
}

// streams is the tcp.Handler of a file: it turns connections and their
// bytes into events.
type streams struct{ f *fileSource }

// flows holds the state of closed connections for new ones: a load test
// opens a connection every few packets.
var flows = sync.Pool{New: func() any { return new(flow) }}

func (s streams) Open(c *tcp.Conn) {
	f := s.f
	f.stats.TCPConns++
	fl := flows.Get().(*flow)
	fl.f, fl.c = f, c
	c.User = fl
	f.connEvent(KindConnOpen, c.Start, c.FirstPacket, c)
}

// connEvent holds the opening or the end of c.
func (f *fileSource) connEvent(k Kind, t, packet int64, c *tcp.Conn) {
	ev := f.event(k, t, packet, "tcp")
	ev.Src, ev.Dst, ev.Conn = c.Client, c.Server, c
	f.hold(ev)
}

func (s streams) Established(c *tcp.Conn) {}

func (s streams) Data(c *tcp.Conn, from tcp.Side, b []byte, t, packet int64) {
	fl := c.User.(*flow)
	fl.lastT, fl.lastPkt, fl.lastSide = t, packet, from
	if fl.proto == protoUnknown {
		if len(fl.sniff[from]) == 0 && len(b) >= sniffLen {
			// Enough to tell the protocol from b where it lies, as
			// most first segments are: nothing to hold.
			cl, sv := fl.sniff[tcp.Client], fl.sniff[tcp.Server]
			if from == tcp.Client {
				cl = b
			} else {
				sv = b
			}
			if fl.decide(cl, sv, false) {
				for side := tcp.Client; side <= tcp.Server; side++ {
					held := fl.sniff[side]
					fl.sniff[side] = nil
					if side == from {
						held = b
					}
					if len(held) > 0 {
						fl.feed(side, held, t, packet)
					}
				}
				return
			}
			// Not yet: the same bytes will say the same until more come.
			fl.sniff[from] = append(fl.sniff[from], b...)
			return
		}
		fl.sniff[from] = append(fl.sniff[from], b...)
		if len(fl.sniff[from]) < sniffLen || !fl.decide(fl.sniff[tcp.Client], fl.sniff[tcp.Server], false) {
			return
		}
		for side := tcp.Client; side <= tcp.Server; side++ {
			held := fl.sniff[side]
			fl.sniff[side] = nil
			if len(held) > 0 {
				fl.feed(side, held, t, packet)
			}
		}
		return
	}
	fl.feed(from, b, t, packet)
}

func (s streams) Gap(c *tcp.Conn, from tcp.Side, n int64) {
	fl := c.User.(*flow)
	if fl.proto == protoUnknown {
		// The first bytes are lost: nothing reliable to tell the protocol
		// from. Later bytes of this side are looked at afresh.
		fl.sniff[from] = nil
		return
	}
	if fl.proto == protoTLS {
		fl.tls.Gap(tls.Side(from), n)
		return
	}
	fl.appGap(from, n)
}

func (s streams) Close(c *tcp.Conn) {
	fl := c.User.(*flow)
	f := s.f
	t := c.End
	if t == 0 {
		t = c.Last
	}
	if fl.proto == protoUnknown {
		// Fewer bytes than it takes to sniff: decide on what there is.
		fl.decide(fl.sniff[tcp.Client], fl.sniff[tcp.Server], true)
		for side := tcp.Client; side <= tcp.Server; side++ {
			if held := fl.sniff[side]; len(held) > 0 {
				fl.sniff[side] = nil
				fl.feed(side, held, c.Last, c.LastPacket)
			}
		}
	}
	if fl.proto == protoTLS {
		fl.tls.Close(tlsCloseReason(c), t, c.LastPacket)
		if fl.app == protoUnknown && (len(fl.appSniff[tcp.Client]) > 0 || len(fl.appSniff[tcp.Server]) > 0) {
			fl.decideApp(true)
			for side := tcp.Client; side <= tcp.Server; side++ {
				if held := fl.appSniff[side]; len(held) > 0 {
					fl.appSniff[side] = nil
					fl.appFeed(side, held, c.Last, c.LastPacket)
				}
			}
		}
		f.noteDecryption(c, fl.tls)
	}
	switch fl.app {
	case protoSIP:
		for side := tcp.Client; side <= tcp.Server; side++ {
			if fr := &fl.sip[side]; len(fr.buf) > 0 && !fr.bad {
				f.stats.SIPErrors++
				f.streamProblem(c, side, fr.off, fmt.Sprintf("connection ended inside a SIP message (%d bytes held)", len(fr.buf)))
			}
		}
	case protoHTTP:
		fl.httpEvents(tcp.Client, fl.req.Close(t))
		fl.httpEvents(tcp.Server, fl.resp.Close(t))
		for side := tcp.Client; side <= tcp.Server; side++ {
			if p := fl.ws[side]; p != nil {
				fl.wsEvents(side, p.Close(t))
			}
		}
	}
	// The connection is final: its last event.
	f.connEvent(KindConnClose, t, c.LastPacket, c)
	c.User = nil
	fl.release()
}

// release gives the parsers of a closed connection back, and the flow
// itself. Its events keep nothing of them: the parsers hand out messages
// of their own, which stay valid.
func (fl *flow) release() {
	if fl.tls != nil {
		// The decrypter may hold the connection's callbacks: leave it
		// all to the collector.
		return
	}
	if fl.req != nil {
		fl.req.Release()
		fl.resp.Release()
	}
	for _, p := range fl.ws {
		if p != nil {
			p.Release()
		}
	}
	*fl = flow{}
	flows.Put(fl)
}

func tlsCloseReason(c *tcp.Conn) tls.CloseReason {
	switch c.Ending {
	case tcp.EndRST:
		if c.ResetBy == tcp.Client {
			return tls.ClientRST
		}
		return tls.ServerRST
	case tcp.EndFIN:
		if c.FinAt[tcp.Server] != 0 && (c.FinAt[tcp.Client] == 0 || c.FinAt[tcp.Server] < c.FinAt[tcp.Client]) {
			return tls.ServerFIN
		}
		return tls.ClientFIN
	}
	return tls.EndOfCapture
}

// maxSniff is how much of the client's bytes are held while its first
// line says nothing and the server has not spoken yet.
const maxSniff = 4096

// decide tells the connection's protocol from the first bytes of each
// side (cl, sv), and reports whether it could. A client that opens with a
// garbled request line (a fuzzer, a broken tool) is still HTTP if the
// server answers in HTTP, as it does with a 400: so when the client's
// bytes say nothing, the server's first bytes are waited for. final
// decides on what there is.
func (fl *flow) decide(cl, sv []byte, final bool) bool {
	switch {
	case tls.Looks(cl):
		fl.proto = protoTLS
		fl.secure = true
		fl.f.stats.TLSConns++
		fl.tls = tls.NewConn(&tls.Options{OnState: fl.tlsState, Decrypter: fl.f.decrypter, OnData: fl.plaintext})
	case sip.Looks(cl) || sip.Looks(sv):
		fl.proto, fl.app = protoSIP, protoSIP
	case http.LooksLikeRequest(cl) || http.LooksLikeResponse(sv):
		fl.proto = protoHTTP
		fl.startHTTP()
	case final || len(sv) >= sniffLen || len(cl) >= maxSniff:
		fl.proto = protoOther
	default:
		return false
	}
	return true
}

func (fl *flow) feed(from tcp.Side, b []byte, t, packet int64) {
	fl.lastT, fl.lastPkt, fl.lastSide = t, packet, from
	if fl.proto == protoTLS {
		fl.tls.Feed(tls.Side(from), b, t, packet)
		return
	}
	fl.appFeed(from, b, t, packet)
}

// appFeed hands application bytes (plaintext, or decrypted from TLS) to
// the parser of the protocol they carry.
func (fl *flow) appFeed(from tcp.Side, b []byte, t, packet int64) {
	switch fl.app {
	case protoSIP:
		transport := "tcp"
		if fl.secure {
			transport = "tls"
		}
		fl.sipBytes(from, b, t, packet, transport)
	case protoHTTP:
		if fl.direct[from] {
			fl.wsEvents(from, fl.ws[from].Feed(b, t))
			return
		}
		if from == tcp.Client {
			fl.httpEvents(from, fl.req.Feed(b, t))
			fl.direct[from] = fl.ws[from] != nil && fl.req.Upgraded()
		} else {
			fl.httpEvents(from, fl.resp.Feed(b, t))
			fl.direct[from] = fl.ws[from] != nil && fl.resp.Upgraded()
		}
	}
}

// plaintext takes what the decrypter opened of one side of a TLS
// connection: the same stream a plaintext connection would have carried.
func (fl *flow) plaintext(p *tls.Plaintext) {
	side := tcp.Side(p.From)
	if p.Lost {
		fl.appGap(side, -1)
	}
	if fl.app == protoUnknown {
		fl.appSniff[side] = append(fl.appSniff[side], p.Data...)
		if len(fl.appSniff[side]) < sniffLen || !fl.decideApp(false) {
			return
		}
		for s := tcp.Client; s <= tcp.Server; s++ {
			held := fl.appSniff[s]
			fl.appSniff[s] = nil
			if len(held) > 0 {
				fl.appFeed(s, held, fl.lastT, fl.lastPkt)
			}
		}
		return
	}
	fl.appFeed(side, p.Data, fl.lastT, fl.lastPkt)
}

// decideApp tells what the decrypted bytes carry.
func (fl *flow) decideApp(final bool) bool {
	cl, sv := fl.appSniff[tcp.Client], fl.appSniff[tcp.Server]
	switch {
	case sip.Looks(cl) || sip.Looks(sv):
		fl.app = protoSIP
	case http.LooksLikeRequest(cl) || http.LooksLikeResponse(sv):
		fl.startHTTP()
	case final || len(sv) >= sniffLen || len(cl) >= maxSniff:
		fl.app = protoOther
	default:
		return false
	}
	return true
}

// appGap says n bytes of a side's application stream were lost (-1: an
// unknown number, as when TLS records could not be opened).
func (fl *flow) appGap(from tcp.Side, n int64) {
	t := fl.lastT
	switch fl.app {
	case protoUnknown:
		fl.appSniff[from] = nil
	case protoSIP:
		fr := &fl.sip[from]
		// A SIP stream has no marker to find the next message by but its
		// start line: drop what was held and let the parser hunt for one.
		if n > 0 {
			fr.off += n
		}
		fr.off += int64(len(fr.buf))
		fr.buf = fr.buf[:0]
	case protoHTTP:
		if n < 0 {
			n = 1 // the parsers only need to know the stream has a hole
		}
		if from == tcp.Client {
			fl.httpEvents(from, fl.req.Gap(n, t))
		} else {
			fl.httpEvents(from, fl.resp.Gap(n, t))
		}
	}
}

func (fl *flow) startHTTP() {
	fl.app = protoHTTP
	fl.f.stats.HTTPConns++
	o := &http.Options{TraceHeaders: fl.f.opts.TraceHeaders, Blocks: &fl.f.httpBlocks}
	fl.req = http.NewRequestParser(o)
	fl.resp = http.NewResponseParser(o)
}

// sipBytes frames SIP messages out of one side's stream (RFC 3261 18.3:
// Content-Length delimits them) and reports each.
func (fl *flow) sipBytes(from tcp.Side, b []byte, t, packet int64, transport string) {
	f := fl.f
	fr := &fl.sip[from]
	if fr.bad {
		return
	}
	// The messages are parsed from a copy of the held bytes and b in the
	// file's chunk (see streamSIP), so that their strings and Body lie in
	// memory that comes back once the caller is done with them. What the
	// copy ends inside of is held to wait for the rest; the chunk takes
	// back what no message was cut from.
	ss := f.streamSIP()
	opts := f.opts.SIP
	opts.Datagram = false
	if len(fr.buf) > 0 && len(fr.buf)+len(b) > ss.chunkSize/4 {
		// A large message coming piecewise is held where it is until it
		// is whole: copying all of it into a chunk of its own at each
		// piece would cost the square of its size.
		fr.buf = append(fr.buf, b...)
		b = nil
		if _, err := ss.framer.Frame(fr.buf, &opts); err != nil && errors.Is(err, sip.ErrIncomplete) {
			if len(fr.buf) > maxSIPBuffer {
				fr.bad = true
				f.stats.SIPErrors++
				f.streamProblem(fl.c, from, fr.off, "SIP message larger than the framer holds; the rest of this side is not read")
				fr.buf = nil
			}
			return
		}
	}
	buf, c, start := ss.copyIn(fr.buf, b)
	used := 0
	for used < len(buf) {
		rest := buf[used:]
		// Only the cut is made here, into the next job; its parse is the
		// file's parsing goroutine's (udpsip.go), from what the cut learnt.
		n, err := ss.framer.FrameInto(rest, ss.framing().framed, &opts)
		if err != nil && errors.Is(err, sip.ErrIncomplete) {
			if len(rest) > maxSIPBuffer {
				fr.bad = true
				f.stats.SIPErrors++
				f.streamProblem(fl.c, from, fr.off, "SIP message larger than the framer holds; the rest of this side is not read")
				fr.buf = nil
				ss.giveBack(c, start+used)
				return
			}
			fr.buf = append(fr.buf[:0], rest...)
			ss.giveBack(c, start+used)
			return
		}
		if n <= 0 {
			n = len(rest)
		}
		switch {
		case err != nil && errors.Is(err, sip.ErrKeepAlive):
			f.stats.KeepAlives++
		case err != nil:
			f.stats.SIPErrors++
			f.streamProblem(fl.c, from, fr.off, "sip: "+err.Error())
		default:
			// A message, sound or damaged: settle tells which.
			j := ss.lendFramed(rest[:n:n], c, from, fr.off)
			fl.emitSIP(from, j, t, packet, transport)
		}
		fr.off += int64(n)
		used += n
	}
	// Nothing is held: a buffer that grew for a large message is not
	// kept for the connection's life.
	fr.buf = nil
	ss.giveBack(c, start+used)
}

// emitSIP queues j for the parsing goroutine and pushes its event, which
// settleStream completes.
func (fl *flow) emitSIP(from tcp.Side, j *sipJob, t, packet int64, transport string) {
	f := fl.f
	f.worker().queue(j)
	src, dst := fl.c.Client, fl.c.Server
	if from == tcp.Server {
		src, dst = dst, src
	}
	ev := f.event(KindSIP, t, packet, transport)
	ev.Src, ev.Dst, ev.Conn, ev.job = src, dst, fl.c, j
	f.hold(ev)
}

// settleStream is settle for a message read over TCP or WebSocket: its
// problem, if damaged, is reported now, in the event's order, as a
// datagram's is.
func (f *fileSource) settleStream(ev *Event, j *sipJob) bool {
	ss := f.sipStreams
	if j.err != nil {
		f.stats.SIPErrors++
		what := "sip message damaged: "
		if j.over == overWS {
			what = "sip over websocket: "
		}
		f.streamProblem(ev.Conn, j.side, j.off, what+j.err.Error())
	}
	if !j.ok || (j.over == overWS && j.msg.Method == "" && j.msg.StatusCode == 0) {
		// Over TCP Frame has made sure of a message; a WebSocket
		// payload may hold none.
		ss.put(j)
		return false
	}
	f.stats.SIPMessages++
	j.m = &j.msg
	if ss.back != nil {
		ss.back.push(j)
	}
	ev.SIP = j.m
	return true
}

func (fl *flow) httpEvents(from tcp.Side, evs []http.Event) {
	f := fl.f
	for i := range evs {
		e := &evs[i]
		switch e.Kind {
		case http.KindRequest:
			f.stats.HTTPRequests++
			fl.resp.ExpectMethod(e.Request.Method)
			if http.IsWebSocketUpgrade(e.Request) {
				// The head's text is never reused (http.Blocks): the
				// string may be kept.
				fl.upgrading, fl.upgradeProto = true, e.Request.WebSocketProtocol
			}
			ev := f.event(KindRequest, e.Request.Time, fl.lastPkt, fl.transport("tcp"))
			ev.Src, ev.Dst, ev.Conn, ev.Request = fl.c.Client, fl.c.Server, fl.c, e.Request
			f.hold(ev)
		case http.KindResponse:
			r := e.Response
			f.stats.HTTPResponses++
			ev := f.event(KindResponse, r.Time, fl.lastPkt, fl.transport("tcp"))
			ev.Src, ev.Dst, ev.Conn, ev.Response = fl.c.Server, fl.c.Client, fl.c, r
			f.hold(ev)
			if r.Code == 101 && fl.upgrading {
				fl.startWS(r)
			}
			if r.Code >= 200 || r.Code == 101 {
				fl.upgradeDone(r.Code)
			}
			fl.httpEvents(tcp.Client, fl.req.Answer(r.Code, r.Time))
		case http.KindUpgrade:
			if p := fl.ws[from]; p != nil {
				if e.Gap > 0 {
					fl.wsEvents(from, p.Gap(e.Gap, e.Time))
				} else if len(e.Data) > 0 {
					fl.wsEvents(from, p.Feed(e.Data, e.Time))
				}
			}
		case http.KindProblem:
			f.streamProblem(fl.c, from, e.Offset, "http: "+e.Err.Error())
		}
	}
}

func (fl *flow) upgradeDone(code int) {
	if code != 101 {
		fl.upgrading, fl.upgradeProto = false, ""
	}
}

// startWS sets up the WebSocket parsers after a 101 to a WebSocket
// upgrade.
func (fl *flow) startWS(r *http.Response) {
	fl.f.stats.WebSockets++
	proto := r.WebSocketProtocol
	if proto == "" && fl.upgrading {
		proto = fl.upgradeProto
	}
	fl.wsSIP = hasToken(proto, "sip")
	// Each message is done with when wsEvents returns: what an event
	// keeps of it is copied.
	// Frames say nothing that their messages and problems do not.
	fl.ws[tcp.Client] = websocket.NewParser(websocket.Options{FromClient: true, Extensions: r.WebSocketExtensions, ReuseMessages: true, NoFrames: true})
	fl.ws[tcp.Server] = websocket.NewParser(websocket.Options{FromClient: false, Extensions: r.WebSocketExtensions, ReuseMessages: true, NoFrames: true})
	fl.upgrading, fl.upgradeProto = false, ""
}

func hasToken(list, tok string) bool {
	for _, p := range strings.Split(list, ",") {
		if strings.EqualFold(strings.TrimSpace(p), tok) {
			return true
		}
	}
	return false
}

func (fl *flow) wsEvents(from tcp.Side, evs []websocket.Event) {
	f := fl.f
	for i := range evs {
		e := &evs[i]
		switch e.Kind {
		case websocket.KindMessage:
			m := e.Message
			switch m.Opcode {
			case websocket.OpClose:
				if fl.closed {
					continue
				}
				fl.closed = true
				src, dst := fl.c.Client, fl.c.Server
				if from == tcp.Server {
					src, dst = dst, src
				}
				ws := &WSClose{FromClient: from == tcp.Client, Code: m.CloseCode, Reason: m.CloseReason}
				ev := f.event(KindWSClose, m.Time, fl.lastPkt, fl.transport("ws"))
				ev.Src, ev.Dst, ev.Conn, ev.WSClose = src, dst, fl.c, ws
				f.hold(ev)
			case websocket.OpText, websocket.OpBinary:
				if fl.wsSIP || sip.Looks(m.Payload) {
					fl.wsSIPMessage(from, m)
				}
			}
		case websocket.KindProblem:
			f.streamProblem(fl.c, from, e.Offset, "websocket: "+e.Err.Error())
		}
	}
}

// wsSIPMessage reports the SIP message a WebSocket message carries (RFC
// 7118: one per message, as in a datagram). The payload is the parser's,
// used again for the next message: the SIP message is read from a copy in
// the file's chunk, as over TCP.
func (fl *flow) wsSIPMessage(from tcp.Side, m *websocket.Message) {
	ss := fl.f.streamSIP()
	buf, c, _ := ss.copyIn(nil, m.Payload)
	j := ss.lend(buf[:len(buf):len(buf)], c, overWS, from, m.Offset)
	fl.emitSIP(from, j, m.Time, fl.lastPkt, fl.transport("ws"))
}

// transport names what an event came over: "tcp" or "ws" as they are,
// "tls" or "wss" once decrypted.
func (fl *flow) transport(plain string) string {
	if !fl.secure {
		return plain
	}
	if plain == "ws" {
		return "wss"
	}
	return "tls"
}

// noteDecryption counts what could not be read of a TLS connection, per
// server port and reason, for the report to say which streams it could
// not see into and why.
func (f *fileSource) noteDecryption(c *tcp.Conn, conn *tls.Conn) {
	d := conn.Session().Decryption()
	switch d.Keys {
	case tls.KeysFound:
		f.stats.TLSDecrypted++
		return
	case tls.KeysNotTried:
		if h := conn.Handshake(); h.Client.AppDataRecords == 0 && h.Server.AppDataRecords == 0 {
			return // nothing protected was sent: nothing to read
		}
	case tls.KeysPartial:
		f.stats.TLSDecrypted++
	}
	if f.stats.TLSUnread == nil {
		f.stats.TLSUnread = map[TLSUnreadKey]int64{}
	}
	f.stats.TLSUnread[TLSUnreadKey{Port: c.Server.Port(), Reason: d.Keys.String()}]++
}

// tlsState reports a TLS handshake's beginning and end as events.
func (fl *flow) tlsState(h *tls.Handshake) {
	f := fl.f
	switch h.State {
	case tls.ClientHelloOnly:
		if h.ClientHellos > 1 {
			return // a second hello after a HelloRetryRequest: same attempt
		}
		t, pkt := fl.lastT, fl.lastPkt
		if h.ClientHello != nil {
			t, pkt = h.ClientHello.Time, h.ClientHello.Packet
		}
		sum := tlsSummary(h)
		ev := f.event(KindTLSHello, t, pkt, "tls")
		ev.Src, ev.Dst, ev.Conn, ev.TLS = fl.c.Client, fl.c.Server, fl.c, sum
		f.hold(ev)
	case tls.HandshakeComplete, tls.Failed, tls.Incomplete:
		sum := tlsSummary(h)
		ev := f.event(KindTLS, h.Done.Time, h.Done.Packet, "tls")
		ev.Src, ev.Dst, ev.Conn, ev.TLS = fl.c.Client, fl.c.Server, fl.c, sum
		f.hold(ev)
	}
}

func tlsSummary(h *tls.Handshake) *TLSHandshake {
	s := &TLSHandshake{Completed: h.State == tls.HandshakeComplete, Status: h.Reason}
	if h.ClientHello != nil {
		s.SNI = h.ClientHello.SNI
	}
	if h.Version != 0 {
		s.Version = tls.VersionName(h.Version)
	}
	if h.CipherSuite != 0 {
		s.Cipher = tls.CipherSuiteName(h.CipherSuite)
	}
	for _, a := range h.Alerts {
		if strings.HasSuffix(s.Status, a.Name()) {
			s.AlertFromServer = a.From == tls.Server
		}
	}
	return s
}

// streamProblem reports damage inside a TCP stream: the file, the
// connection's first packet, and where in which side's stream.
func (f *fileSource) streamProblem(c *tcp.Conn, side tcp.Side, off int64, reason string) {
	f.stats.Problems.Add("bad stream data", parse.Problem{
		File: f.in.Path, Packet: c.FirstPacket, Offset: -1,
		Reason: fmt.Sprintf("tcp %v → %v, %s stream offset %d: %s", c.Client, c.Server, side, off, reason),
	})
}

// Taking back the memory of SIP over TCP and WebSocket, as udprecycle.go
// does for UDP. A message is parsed (ParseSharedIntoFramed, a WebSocket's
// ParseSharedInto) from a copy of its bytes in a chunk, so that its strings
// and Body point into the copy rather than into a copy of its headers and
// another of its body; the Message lives in a sipJob. Both come back when
// the caller hands the event back (Source.Recycle), and hold later messages.
//
// The jobs are noted as their events leave the reorder window (settle),
// as a datagram's are: in the order the caller gets them, and so hands
// them back; one handed back out of that order frees nothing, as
// takeBack says. The message is parsed on the file's parsing goroutine
// meanwhile (udpsip.go): here a stream is only cut into messages.
type streamSIP struct {
	// framer cuts messages out of the streams (Parser.FrameInto), into
	// next, the job a message cut goes out in.
	framer sip.Parser
	next   *sipJob
	frames []sip.Framed // the block the next jobs' Framed are cut from
	// The chunk messages are copied into now and the chunks that came
	// back; free keeps jobs that came back, up to a bound.
	chunkPool
	free freelist.List[sipJob]
	// back follows the jobs whose messages went out, in the order they
	// went out; nil until the caller first hands events back, so that one
	// that never does pins nothing.
	back *settled
}

// streamSIP returns the file's stream SIP state, made on first use.
func (f *fileSource) streamSIP() *streamSIP {
	if f.sipStreams == nil {
		ss := &streamSIP{chunkPool: newChunkPool()}
		ss.free.Max = 4096
		f.sipStreams = ss
	}
	return f.sipStreams
}

// copyIn copies a and b, one after the other, into a chunk with room for
// both, and returns the copy, the chunk, and where in it the copy starts.
// More than a quarter of a chunk gets a chunk of its own, never reused.
func (ss *streamSIP) copyIn(a, b []byte) ([]byte, *udpChunk, int) {
	n := len(a) + len(b)
	c := ss.chunk
	if n > ss.chunkSize/4 {
		c = &udpChunk{buf: make([]byte, 0, n), sealed: true}
	} else if c == nil || cap(c.buf)-len(c.buf) < n {
		c = ss.newChunk()
	}
	start := len(c.buf)
	c.buf = append(c.buf, a...)
	c.buf = append(c.buf, b...)
	return c.buf[start:], c, start
}

// giveBack ends the chunk's bytes at end, the end of the last message cut
// from the copy: nothing points past it, and the next copy goes there.
func (ss *streamSIP) giveBack(c *udpChunk, end int) {
	c.buf = c.buf[:end]
}

// framing returns the job the framer cuts the next message into: the
// next that lendFramed returns. A job's Framed is cut from a block of them,
// so that a caller that never hands events back, and so has a new job
// for each message, does not pay an allocation for each Framed too.
func (ss *streamSIP) framing() *sipJob {
	if ss.next == nil {
		ss.next, _ = ss.free.Get()
	}
	if ss.next.framed == nil {
		if len(ss.frames) == 0 {
			ss.frames = make([]sip.Framed, framedBlock)
		}
		ss.next.framed = &ss.frames[0]
		ss.frames = ss.frames[1:]
	}
	return ss.next
}

// framedBlock is how many Framed an allocation holds (3 KB).
const framedBlock = 8

// lend returns a job for the message b, which lies in c, to be parsed.
func (ss *streamSIP) lend(b []byte, c *udpChunk, over overKind, side tcp.Side, off int64) *sipJob {
	j, _ := ss.free.Get()
	c.live++
	j.b, j.chunk, j.m, j.err, j.over, j.side, j.off = b, c, nil, nil, over, side, off
	return j
}

// lendFramed is lend for the message b that the framer cut into the
// next job (framing).
func (ss *streamSIP) lendFramed(b []byte, c *udpChunk, side tcp.Side, off int64) *sipJob {
	j := ss.next
	ss.next = nil
	c.live++
	j.b, j.chunk, j.m, j.err, j.over, j.side, j.off = b, c, nil, nil, overTCP, side, off
	return j
}

// put takes back a job whose message nothing holds any more, and its
// share of its chunk.
func (ss *streamSIP) put(j *sipJob) {
	c := j.chunk
	c.live--
	if c.live == 0 && c.sealed {
		ss.putChunk(c)
	}
	if ss.poison {
		poisonMessage(&j.msg)
	}
	j.b, j.chunk, j.m, j.err = nil, nil, nil, nil
	ss.free.Put(j)
}
