package main

import "time"

// expected is what the generator knows to be true of the files it wrote,
// in the vocabulary of ceiling's JSON summary, so that a bench run can
// check ceiling's answer: written to expected.json.
type expected struct {
	Schema   string        `json:"schema"`
	Command  string        `json:"command"`
	Scenario scenario      `json:"scenario"`
	Files    files         `json:"files"`
	Capture  captureCounts `json:"capture"`
	JTL      jtlCounts     `json:"jtl"`
	Verdict  verdict       `json:"verdict"`
	Layers   layerSet      `json:"layers"`
	Note     string        `json:"note"`
}

type scenario struct {
	Threads        int     `json:"sip_threads"`
	RampS          float64 `json:"sip_ramp_s"`
	TCPShare       float64 `json:"tcp_share"`
	WSShare        float64 `json:"ws_share"`
	DialogLimit    int     `json:"dialog_limit"`
	TCPLimit       int     `json:"tcp_limit"`
	EventThreads   int     `json:"event_threads"`
	EventRampS     float64 `json:"event_ramp_s"`
	EventWSLimit   int     `json:"event_ws_limit"`
	HoldS          float64 `json:"hold_s"`
	RTPShare       float64 `json:"rtp_share_requested"`
	ClockOffsetMS  float64 `json:"clock_offset_ms"`
	Start          string  `json:"start"`
	StoppedAfterS  float64 `json:"new_work_stopped_after_s"`
	SizeRequested  int64   `json:"size_requested"`
	RowsRequested  int64   `json:"rows_requested,omitempty"`
	DialogsMax     int     `json:"max_dialogs_edge"`
	TCPMax         int     `json:"max_tcp_connections_5060"`
	EventWSMax     int     `json:"max_event_websockets"`
	Seed           uint64  `json:"seed"`
	CaptureFormat  string  `json:"capture_format"`
	CaptureAtEdge  string  `json:"capture_point"`
	LoadGenerator  string  `json:"load_generator"`
	EdgeListeners  string  `json:"edge_listeners"`
	EventAPIListen string  `json:"event_api"`
}

type files struct {
	Capture string `json:"capture,omitempty"`
	JTL     string `json:"jtl"`
}

type captureCounts struct {
	Bytes          int64   `json:"bytes"`
	Packets        int64   `json:"packets"`
	RTPPackets     int64   `json:"rtp_packets"`
	RTPShare       float64 `json:"rtp_share"`
	RTPStreams     int64   `json:"rtp_streams"`
	SIPCalls       int64   `json:"sip_calls"`
	TCPConnections int64   `json:"tcp_connections"`
	Upgrades       int64   `json:"websocket_upgrades"`
	First          string  `json:"first_packet"`
	Last           string  `json:"last_packet"`
	DurationS      float64 `json:"duration_s"`
}

type jtlCounts struct {
	Rows          int64   `json:"rows"`
	ClockOffsetMS float64 `json:"clock_offset_ms"`
}

type verdict struct {
	Failed       bool          `json:"failed"`
	Layer        string        `json:"layer"`
	Status       string        `json:"status,omitempty"`
	Kind         string        `json:"kind,omitempty"`
	FirstFailure *firstFailure `json:"first_failure,omitempty"`
}

// firstFailure is a layer's earliest rejection. Concurrency is counted
// as ceiling counts it, the attempt itself included: SIP dialogs at the
// edge's address over all its listeners (what its dialog limit counts),
// TCP connections and WebSockets at the edge's address and port.
type firstFailure struct {
	Time        string `json:"time"`
	UnixNS      int64  `json:"time_unix_ns"`
	Concurrency int    `json:"concurrency"`
	// Listener (sip): the dialogs in progress at the rejected INVITE's
	// own listener (address and port), the INVITE included: what ceiling
	// reported before it counted per address.
	Listener int    `json:"listener_concurrency,omitempty"`
	Edge     string `json:"edge"`
	Status   string `json:"status"`
	Threads  int    `json:"threads"`
	CallID   string `json:"call_id,omitempty"`
	TraceID  string `json:"trace_id,omitempty"`
}

type layerCounts struct {
	Limit        int              `json:"limit"`
	Attempts     int64            `json:"attempts"`
	Failures     int64            `json:"failures"`
	Codes        map[string]int64 `json:"codes,omitempty"`
	FirstFailure *firstFailure    `json:"first_failure,omitempty"`
}

type layerSet struct {
	SIP       layerCounts `json:"sip"`
	TCP       layerCounts `json:"tcp"`
	WebSocket layerCounts `json:"websocket"`
}

func (e *expected) init(cfg *config) {
	e.Schema = "ceiling.gencap.expected/v1"
	e.Layers.SIP.Codes = map[string]int64{}
	e.Layers.SIP.Limit = cfg.limit
	e.Layers.TCP.Limit = cfg.tcpLimit
	e.Layers.WebSocket.Limit = cfg.wsLimit
	e.Note = "layers.*.first_failure.concurrency is counted as ceiling counts, the rejected attempt included: sip over the edge's listeners on its address (which its dialog limit applies to), " +
		"sip.first_failure.listener_concurrency at the rejected INVITE's own listener. " +
		"tcp counts connections to 10.20.0.10:5060 opening or open; websocket counts the event API's upgrades awaiting an answer plus WebSockets up. " +
		"tcp.attempts and websocket.attempts count every edge (SIP over TCP and WebSocket, event API)."
}

func stamp(t int64) string {
	return time.Unix(0, t).UTC().Format("2006-01-02T15:04:05.000Z")
}

func (e *expected) invite(c *call) { e.Capture.SIPCalls++; e.Layers.SIP.Attempts++ }

func (e *expected) answered(c *call) { e.Layers.SIP.Codes["200"]++ }

func (e *expected) tcpAttempt() { e.Capture.TCPConnections++; e.Layers.TCP.Attempts++ }

func (e *expected) upgrade() { e.Capture.Upgrades++; e.Layers.WebSocket.Attempts++ }

func (e *expected) rtpStream() { e.Capture.RTPStreams++ }

func (e *expected) sipReject(g *gen, c *call, t int64) {
	l := &e.Layers.SIP
	l.Failures++
	l.Codes["503"]++
	if l.FirstFailure != nil {
		return
	}
	edge := "10.20.0.10:5060"
	if c.listener == lis8080 {
		edge = "10.20.0.10:8080"
	}
	l.FirstFailure = &firstFailure{
		Time: stamp(t), UnixNS: t, Concurrency: g.dialogs + 1, Listener: g.dialogsAt[c.listener] + 1,
		Edge: edge, Status: "503", Threads: g.activeThreads[0] + g.activeThreads[1],
		CallID: string(g.appendCallID(nil, c)),
	}
}

func (e *expected) tcpRefused(g *gen, k *conn, t int64, concurrency int) {
	l := &e.Layers.TCP
	l.Failures++
	if l.FirstFailure != nil {
		return
	}
	l.FirstFailure = &firstFailure{
		Time: stamp(t), UnixNS: t, Concurrency: concurrency, Edge: "10.20.0.10:5060", Status: "refused",
		Threads: g.activeThreads[0] + g.activeThreads[1],
	}
}

func (e *expected) wsRefused(g *gen, th *thread, t int64, concurrency int) {
	l := &e.Layers.WebSocket
	l.Failures++
	if l.FirstFailure != nil {
		return
	}
	l.FirstFailure = &firstFailure{
		Time: stamp(t), UnixNS: t, Concurrency: concurrency, Edge: "10.20.0.20:80", Status: "503",
		Threads: g.activeThreads[0] + g.activeThreads[1], TraceID: string(appendUUID(nil, &th.trace)),
	}
}

// finish fills in the totals and the verdict: the earliest failure of any
// layer, the lowest layer first at the same instant.
func (e *expected) finish(g *gen, first, last int64) {
	cfg := &g.cfg
	e.Scenario = scenario{
		Threads: cfg.threads, RampS: cfg.ramp.Seconds(), TCPShare: cfg.tcpShare, WSShare: cfg.wsShare,
		DialogLimit: cfg.limit, TCPLimit: cfg.tcpLimit, EventThreads: cfg.wsThreads, EventRampS: cfg.wsRamp.Seconds(),
		EventWSLimit: cfg.wsLimit, HoldS: cfg.hold.Seconds(), RTPShare: cfg.rtpShare,
		ClockOffsetMS: float64(cfg.offset) / 1e6, Start: cfg.start.UTC().Format(time.RFC3339),
		StoppedAfterS: float64(g.stoppedAt-cfg.start.UnixNano()) / 1e9,
		SizeRequested: cfg.size, RowsRequested: cfg.rows,
		DialogsMax: g.maxDialogs, TCPMax: g.maxTCP, EventWSMax: g.maxWS, Seed: cfg.seed,
		CaptureFormat: cfg.format, CaptureAtEdge: "the edge's interface (packets from the load generator stamped on arrival)",
		LoadGenerator: "10.10.0.5 (one JMeter host)", EdgeListeners: "10.20.0.10: SIP UDP+TCP :5060, SIP over WebSocket :8080, RTP 20000-39998",
		EventAPIListen: "10.20.0.20:80 (WebSocket, plain HTTP/1.1 upgrade)",
	}
	if g.cap != nil {
		e.Capture.Bytes = g.cap.bytes
		e.Capture.Packets = g.cap.packets
	}
	e.Capture.RTPPackets = g.rtpPackets
	if n := g.rtpPackets + g.otherPackets; n > 0 {
		e.Capture.RTPShare = float64(int64(float64(g.rtpPackets)/float64(n)*1e4)) / 1e4
	}
	if first != 0 {
		e.Capture.First, e.Capture.Last = stamp(first), stamp(last)
		e.Capture.DurationS = float64((last-first)/1e6) / 1e3
	}
	e.JTL.Rows = g.jtl.rows
	e.JTL.ClockOffsetMS = float64(cfg.offset) / 1e6
	e.Verdict = verdict{Layer: "none"}
	var best *firstFailure
	for _, c := range []struct {
		name string
		l    *layerCounts
	}{{"tcp", &e.Layers.TCP}, {"websocket", &e.Layers.WebSocket}, {"sip", &e.Layers.SIP}} {
		f := c.l.FirstFailure
		if f == nil || best != nil && f.UnixNS >= best.UnixNS {
			continue
		}
		best = f
		e.Verdict = verdict{Failed: true, Layer: c.name, Status: f.Status, Kind: "capacity", FirstFailure: f}
	}
}
