package correlate

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/ceiling-dev/ceiling/internal/freelist"
	"github.com/ceiling-dev/ceiling/parse/capture"
	"github.com/ceiling-dev/ceiling/parse/http"
	"github.com/ceiling-dev/ceiling/parse/tcp"
)

// connTracker follows what happens on TCP connections: the connections
// themselves (tcp layer), their TLS handshakes (tls), and the HTTP
// requests and WebSocket upgrades on them (http, websocket). It appends
// attempts to the same list as the SIP tracker, so that every layer's
// attempts share one index space.
type connTracker struct {
	attempts *attemptLog
	edges    map[netip.AddrPort]bool // given with --edge
	conns    map[uint64]*connState
	// free holds the state of closed connections for new ones.
	free freelist.List[connState]

	// active counts per edge; each connection keeps its edge's.
	active map[netip.AddrPort]*edgeCount

	// The servers of the connections that made attempts, and the client
	// addresses each served, for backends: noted as the attempts are
	// made, once per connection, rather than in a pass over them all.
	servers   map[netip.Addr]bool
	clientsOf map[netip.AddrPort]map[netip.Addr]bool

	// codes are the status codes as text.
	details detailBook
	codes   [600]string
	words   wordBook

	stats ConnStats
}

// edgeCount is what is in progress at one edge.
type edgeCount struct {
	tcp  int32 // connections opening or open
	ws   int32 // upgrades awaiting an answer, and WebSockets up
	http int32 // plain requests awaiting an answer
}

// maxFreeStates bounds the connection states kept for reuse.
const maxFreeStates = 1024

// detail returns a new Detail for a failure.
func (t *connTracker) detail() *Detail { return t.details.next() }

// code returns an HTTP status code as text.
func (t *connTracker) code(c int) string {
	if c < 0 || c >= len(t.codes) {
		return strconv.Itoa(c)
	}
	if t.codes[c] == "" {
		t.codes[c] = strconv.Itoa(c)
	}
	return t.codes[c]
}

// word returns a copy of s that does not hold its response head alive.
func (t *connTracker) word(s string) string { return t.words.get(s) }

// ConnStats counts what the connection layers saw beyond attempts.
type ConnStats struct {
	Midstream      int64 // connections begun before the capture: not attempts
	AcceptMismatch int64 // 101s whose Sec-WebSocket-Accept did not match the key
	Responses      int64 // HTTP responses seen
	Orphans        int64 // responses with no request seen on their connection
	CloseCodes     map[int]int64
}

type connState struct {
	edge    *edgeCount // of the connection's server
	hop     uint8
	tcp     int // attempt index of the connection, -1 for mid-stream
	counted bool
	tls     int // attempt index of the TLS handshake, -1 when none
	pending []pendingReq
	ws      int // attempt index of the WebSocket up on it, -1 when none
	wsUp    bool
	noted   bool // its server and client are in servers and clientsOf
}

type pendingReq struct {
	attempt int
	ws      bool
	key     string
}

func newConnTracker(attempts *attemptLog, edges []netip.AddrPort) *connTracker {
	t := &connTracker{
		attempts: attempts,
		conns:    map[uint64]*connState{},
		active:   map[netip.AddrPort]*edgeCount{},
		stats:    ConnStats{CloseCodes: map[int]int64{}},
	}
	if len(edges) > 0 {
		t.edges = map[netip.AddrPort]bool{}
		for _, e := range edges {
			t.edges[e] = true
		}
	}
	return t
}

func (t *connTracker) at(i int) *Attempt { return t.attempts.At(i) }

func (t *connTracker) add(ev *capture.Event) {
	switch ev.Kind {
	case capture.KindConnOpen:
		t.open(ev)
	case capture.KindConnClose:
		t.close(ev)
	case capture.KindTLSHello:
		t.tlsHello(ev)
	case capture.KindTLS:
		t.tlsEnd(ev)
	case capture.KindRequest:
		t.request(ev)
	case capture.KindResponse:
		t.response(ev)
	case capture.KindWSClose:
		t.wsClose(ev, ev.Time)
	}
}

// hopOf is the hop of a connection as far as --edge says; without it
// every connection starts at hop 0 and relabel decides once the capture
// is read.
func (t *connTracker) hopOf(c *tcp.Conn) uint8 {
	if t.edges != nil && !t.edges[c.Server] {
		return 1
	}
	return 0
}

// backends tells, once the whole capture is read, the edge's connections
// to its backends from the load generator's to the edge. The load
// generators are the clients that are nobody's server; an edge is a
// server at least one of them talked to; a server only edges talked to is
// a backend, and the attempts there are hop 1 (EndCapture relabels them).
// When every client is also a server (everything on one host,
// 127.0.0.1), addresses cannot tell them apart: every server counts as an
// edge, unless --edge names them. nil: nothing to relabel.
func (t *connTracker) backends() map[netip.AddrPort]bool {
	if t.edges != nil {
		return nil
	}
	servers, clientsOf := t.servers, t.clientsOf
	roots := false
	backend := map[netip.AddrPort]bool{}
	for e, cs := range clientsOf {
		edge := false
		for c := range cs {
			if !servers[c] {
				edge, roots = true, true
			}
		}
		if !edge {
			backend[e] = true
		}
	}
	if !roots {
		return nil
	}
	return backend
}

// note files the server and client of a connection that makes an
// attempt, for backends: every attempt on it has the same two.
func (t *connTracker) note(st *connState, c *tcp.Conn) {
	if st.noted || t.edges != nil {
		return
	}
	st.noted = true
	if t.servers == nil {
		t.servers = map[netip.Addr]bool{}
		t.clientsOf = map[netip.AddrPort]map[netip.Addr]bool{}
	}
	t.servers[c.Server.Addr()] = true
	m := t.clientsOf[c.Server]
	if m == nil {
		m = map[netip.Addr]bool{}
		t.clientsOf[c.Server] = m
	}
	m[c.Client.Addr()] = true
}

func connLayer(l Layer) bool {
	return l == LayerTCP || l == LayerTLS || l == LayerHTTP || l == LayerWebSocket
}

func (t *connTracker) open(ev *capture.Event) {
	c := ev.Conn
	st, fresh := t.free.Get()
	if !fresh {
		*st = connState{pending: st.pending[:0]}
	}
	st.tcp, st.tls, st.ws = -1, -1, -1
	st.edge = t.active[c.Server]
	if st.edge == nil {
		st.edge = new(edgeCount)
		t.active[c.Server] = st.edge
	}
	t.conns[c.ID] = st
	if c.Midstream {
		t.stats.Midstream++
		st.hop = t.hopOf(c)
		return
	}
	st.hop = t.hopOf(c)
	st.edge.tcp++
	st.counted = true
	t.note(st, c)
	i := t.attempts.Append(Attempt{
		Layer: LayerTCP, Hop: st.hop, Time: c.Start, Concurrency: st.edge.tcp, Threads: -1,
		Outcome: Pending, Edge: c.Server, Client: c.Client, Source: FromCapture,
		File: ev.File, Packet: c.FirstPacket,
	})
	st.tcp = i
}

// tcpOutcome reads a closed connection's state as an attempt's outcome.
func tcpOutcome(c *tcp.Conn) (Outcome, string) {
	switch c.State {
	case tcp.REJ:
		return Rejected, "refused"
	case tcp.S0, tcp.SH, tcp.RSTOS0:
		if c.Ending == tcp.EndCapture || c.Ending == tcp.EndEvicted {
			return Unanswered, "unanswered"
		}
		if (c.State == tcp.RSTOS0 || c.State == tcp.SH) && c.End-c.Start < 1e9 {
			// The client gave up at once, before any answer could be
			// late: its own doing, not the edge's silence.
			return Cancelled, "cancelled"
		}
		return TimedOut, "timeout"
	case tcp.RSTR:
		return Rejected, "reset"
	}
	if c.Established != 0 || c.SynAck != 0 {
		return Answered, "established"
	}
	return Unanswered, "unanswered"
}

func (t *connTracker) close(ev *capture.Event) {
	c := ev.Conn
	st := t.conns[c.ID]
	if st == nil {
		return
	}
	delete(t.conns, c.ID)
	end := c.End
	if end == 0 {
		end = ev.Time
	}
	// What was still waiting on the connection ends with it.
	for _, p := range st.pending {
		a := t.at(p.attempt)
		if a.Outcome == Pending {
			a.Outcome, a.Status, a.Failed = Rejected, "closed", true
			a.Kind = KindError
			a.Ended = end
			if c.Ending == tcp.EndCapture {
				a.Outcome, a.Status, a.Failed, a.Kind = Unanswered, "unanswered", false, KindNone
			}
		}
		if p.ws {
			st.edge.ws--
		} else {
			st.edge.http--
		}
	}
	st.pending = st.pending[:0]
	if st.ws >= 0 && st.wsUp {
		t.wsEnd(st, end)
	}
	if st.tls >= 0 {
		if a := t.at(st.tls); a.Outcome == Pending {
			if c.Ending == tcp.EndCapture {
				a.Outcome, a.Status = Unanswered, "unanswered"
			} else {
				a.Outcome, a.Status, a.Failed, a.Kind = Rejected, "closed", true, KindError
				a.Answered = end
			}
			a.Ended = end
		}
	}
	if st.counted {
		st.edge.tcp--
	}
	idx := st.tcp
	if t.free.Len() < maxFreeStates {
		clear(st.pending[:cap(st.pending)]) // the keys
		t.free.Put(st)
	}
	if idx < 0 {
		return
	}
	a := t.at(idx)
	a.Ended, a.Last = end, c.Last
	a.Outcome, a.Status = tcpOutcome(c)
	switch {
	case c.Established != 0:
		a.Answered = c.Established
	case c.State == tcp.REJ:
		a.Answered = end
	}
	if a.Outcome == Rejected || a.Outcome == TimedOut {
		a.Failed = true
		a.Kind = kindOf(LayerTCP, a.Status)
		a.Detail = t.detail()
		a.Detail.ReasonPhrase, a.Detail.FinalPacket = c.State.Describe(), c.LastPacket
		if c.SynRetransmits > 0 {
			a.Retransmits = int32(c.SynRetransmits)
		}
	}
}

func (t *connTracker) tlsHello(ev *capture.Event) {
	c := ev.Conn
	st := t.conns[c.ID]
	if st == nil || st.tls >= 0 {
		return
	}
	t.note(st, c)
	i := t.attempts.Append(Attempt{
		Layer: LayerTLS, Hop: st.hop, Time: ev.Time, Concurrency: st.edge.tcp, Threads: -1,
		Outcome: Pending, Edge: c.Server, Client: c.Client, Source: FromCapture,
		File: ev.File, Packet: ev.Packet,
	})
	st.tls = i
}

func (t *connTracker) tlsEnd(ev *capture.Event) {
	c := ev.Conn
	st := t.conns[c.ID]
	if st == nil || st.tls < 0 {
		return
	}
	a := t.at(st.tls)
	if a.Outcome != Pending {
		return
	}
	h := ev.TLS
	a.Answered = ev.Time
	if h.Completed {
		a.Outcome, a.Status = Answered, "completed"
		return
	}
	if h.Status == "incomplete" || h.Status == "" {
		// The capture ended, or lost bytes, mid-handshake: no evidence of
		// a refusal.
		a.Outcome, a.Status = Unanswered, "unanswered"
		return
	}
	a.Outcome, a.Status, a.Failed = Rejected, h.Status, true
	a.Kind = kindOf(LayerTLS, h.Status)
	a.Detail = t.detail()
	a.Detail.FinalPacket, a.Detail.ReasonPhrase = ev.Packet, tlsPhrase(h)
}

func tlsPhrase(h *capture.TLSHandshake) string {
	var parts []string
	if strings.HasPrefix(h.Status, "alert:") {
		who := "client"
		if h.AlertFromServer {
			who = "server"
		}
		parts = append(parts, "fatal alert "+strings.TrimPrefix(h.Status, "alert:")+" from the "+who)
	} else if h.Status == "closed" {
		parts = append(parts, "connection closed during the handshake")
	}
	if h.SNI != "" {
		parts = append(parts, "SNI "+h.SNI)
	}
	if h.Version != "" {
		parts = append(parts, h.Version)
	}
	return strings.Join(parts, "; ")
}

func (t *connTracker) request(ev *capture.Event) {
	c := ev.Conn
	st := t.conns[c.ID]
	if st == nil {
		return
	}
	r := ev.Request
	ws := http.IsWebSocketUpgrade(r)
	layer := LayerHTTP
	var conc int32
	if ws {
		layer = LayerWebSocket
		st.edge.ws++
		conc = st.edge.ws
	} else {
		st.edge.http++
		conc = st.edge.http
	}
	t.note(st, c)
	i := t.attempts.Append(Attempt{
		Layer: layer, Hop: st.hop, Time: ev.Time, Concurrency: conc, Threads: -1,
		Outcome: Pending, Edge: c.Server, Client: c.Client, Source: FromCapture,
		TraceID: strings.Clone(traceOf(r.TraceIDs)), File: ev.File, Packet: ev.Packet,
	})
	st.pending = append(st.pending, pendingReq{attempt: i, ws: ws, key: r.WebSocketKey})
}

// traceOf picks the trace ID among the headers the parser kept: the
// trace-id field of a traceparent over the whole header, else the first.
func traceOf(hs []http.Header) string {
	for _, h := range hs {
		if strings.EqualFold(h.Name, "traceparent.trace-id") {
			return h.Value
		}
	}
	if len(hs) > 0 {
		return hs[0].Value
	}
	return ""
}

func (t *connTracker) response(ev *capture.Event) {
	c := ev.Conn
	st := t.conns[c.ID]
	if st == nil {
		return
	}
	t.stats.Responses++
	r := ev.Response
	if r.Code < 200 && r.Code != 101 {
		return // interim
	}
	if len(st.pending) == 0 {
		t.stats.Orphans++
		return
	}
	p := st.pending[0]
	st.pending = st.pending[1:]
	a := t.at(p.attempt)
	a.Answered = ev.Time
	a.Status = t.code(r.Code)
	if a.TraceID == "" {
		a.TraceID = strings.Clone(traceOf(r.TraceIDs))
	}
	if p.ws {
		if r.Code == 101 {
			a.Outcome = Answered
			st.ws, st.wsUp = p.attempt, true
			if r.WebSocketAccept != http.AcceptKey(p.key) {
				// The client must fail such a connection (RFC 6455 4.1):
				// the edge answered, but wrongly.
				t.stats.AcceptMismatch++
				a.Outcome, a.Status, a.Failed, a.Kind = Rejected, "bad-accept", true, KindError
				a.Detail = t.detail()
				a.Detail.ReasonPhrase, a.Detail.FinalPacket = "Sec-WebSocket-Accept does not match the key", ev.Packet
				t.wsEnd(st, ev.Time)
			}
			return
		}
		st.edge.ws--
		a.Ended = ev.Time
	} else {
		st.edge.http--
		a.Ended = ev.Time
		if r.Code < 400 {
			a.Outcome = Answered
			if r.Code >= 300 {
				a.Outcome = Redirected
			}
			return
		}
	}
	// Here: an HTTP error, or an upgrade answered by anything but 101 (a
	// 2xx or 3xx too: the server did not switch, which for a WebSocket
	// client is a refusal).
	a.Outcome, a.Failed = Rejected, true
	a.Kind = kindOf(a.Layer, a.Status)
	d := t.detail()
	d.RetryAfter, d.ReasonPhrase, d.FinalPacket, d.Server = r.RetryAfter, t.word(r.Reason), ev.Packet, t.word(headerValue(r.Headers, "Server"))
	a.Detail = d
}

func headerValue(hs []http.Header, name string) string {
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

func (t *connTracker) wsClose(ev *capture.Event, at int64) {
	c := ev.Conn
	st := t.conns[c.ID]
	if st == nil {
		return
	}
	if ev.WSClose != nil {
		t.stats.CloseCodes[ev.WSClose.Code]++
	}
	if st.wsUp {
		t.wsEnd(st, at)
	}
}

// wsEnd ends a WebSocket that was up: the first close frame, FIN or RST.
func (t *connTracker) wsEnd(st *connState, at int64) {
	if !st.wsUp {
		return
	}
	st.wsUp = false
	st.edge.ws--
	t.at(st.ws).Ended = at
}
