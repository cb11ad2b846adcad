package correlate

import (
	"encoding/json"
	"fmt"
	"iter"
	"net/netip"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/ceiling-dev/ceiling/parse/capture"
	"github.com/ceiling-dev/ceiling/parse/jtl"
	"github.com/ceiling-dev/ceiling/parse/sip"
	"github.com/ceiling-dev/ceiling/parse/tcp"
)

// wire builds capture events for scenario tests: a tiny SIP world with a
// load generator, an edge and a backend.
type wire struct {
	t      int64 // ns
	events []capture.Event
	pkt    int64
}

var (
	gen     = netip.MustParseAddrPort("10.0.0.1:40000")
	edge    = netip.MustParseAddrPort("10.0.0.9:5060")
	backend = netip.MustParseAddrPort("10.0.0.20:5070")
	t0      = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC).UnixNano()
)

func (w *wire) at(ms int64) *wire { w.t = t0 + ms*1e6; return w }

func (w *wire) send(src, dst netip.AddrPort, m *sip.Message) {
	w.pkt++
	if m.RetryAfter == 0 {
		m.RetryAfter = -1
	}
	w.events = append(w.events, capture.Event{Time: w.t, Packet: w.pkt, Src: src, Dst: dst, Transport: "udp", SIP: m})
}

func req(method, callID, branch string, cseq uint32, toTag string) *sip.Message {
	return &sip.Message{Request: true, Method: method, CallID: callID, CSeq: cseq, CSeqMethod: method,
		Via: sip.Via{Branch: branch}, FromTag: "f-" + callID, ToTag: toTag, RetryAfter: -1, ContentLength: -1}
}

func resp(code int, method, callID, branch string, cseq uint32) *sip.Message {
	return &sip.Message{StatusCode: code, Reason: fmt.Sprint("reason ", code), CallID: callID, CSeq: cseq, CSeqMethod: method,
		Via: sip.Via{Branch: branch}, FromTag: "f-" + callID, ToTag: "t-" + callID, RetryAfter: -1, ContentLength: -1}
}

// call is a whole successful call from gen to edge: INVITE at ms, 200
// 20 ms later, BYE at ms+hold, its 200 10 ms later.
func (w *wire) call(id string, ms, hold int64) {
	br := "z9hG4bK" + id
	w.at(ms).send(gen, edge, req("INVITE", id, br, 1, ""))
	w.at(ms+5).send(edge, gen, resp(100, "INVITE", id, br, 1))
	w.at(ms+20).send(edge, gen, resp(200, "INVITE", id, br, 1))
	w.at(ms+21).send(gen, edge, req("ACK", id, br+"a", 1, "t-"+id))
	w.at(ms+hold).send(gen, edge, req("BYE", id, br+"b", 2, "t-"+id))
	w.at(ms+hold+10).send(edge, gen, resp(200, "BYE", id, br+"b", 2))
}

func (w *wire) reject(id string, ms int64, code int) {
	br := "z9hG4bK" + id
	w.at(ms).send(gen, edge, req("INVITE", id, br, 1, ""))
	r := resp(code, "INVITE", id, br, 1)
	r.RetryAfter = 5
	r.ReasonHeader = `Q.850;cause=34;text="limit"`
	w.at(ms+3).send(edge, gen, r)
	w.at(ms+4).send(gen, edge, req("ACK", id, br, 1, "t-"+id))
}

// run feeds the events, sorted as the capture stage would, then samples:
// one at a time (AddEvent, AddSample), and again in batches of three
// (AddSamples, as the pipeline does; AddEvents for every other batch of
// events and AddEvent for the rest, so that a call is found whichever
// way its messages come), which must come to the same result.
func run(t *testing.T, w *wire, samples []jtl.Sample, opts Options) *Result {
	t.Helper()
	sortEvents(w.events)
	feed := func(batch int) *Result {
		a := New(opts)
		for i := 0; i < len(w.events); i += batch {
			evs := w.events[i:min(i+batch, len(w.events))]
			if batch > 1 && i/batch%2 == 0 {
				a.AddEvents(evs)
				continue
			}
			for k := range evs {
				a.AddEvent(&evs[k])
			}
		}
		if len(w.events) > 0 {
			a.EndCapture(w.events[len(w.events)-1].Time)
		}
		for i := 0; i < len(samples); i += batch {
			if batch == 1 {
				a.AddSample(&samples[i])
			} else {
				a.AddSamples(samples[i:min(i+batch, len(samples))])
			}
		}
		return a.Finish()
	}
	r, rb := feed(1), feed(3)
	for _, part := range []struct {
		name      string
		one, many any
	}{
		{"correlation", r.Correlation, rb.Correlation}, {"layers", r.Layers, rb.Layers},
		{"verdict", r.Verdict, rb.Verdict}, {"attempts", slices.Collect(valuesOf(r.Attempts)), slices.Collect(valuesOf(rb.Attempts))},
	} {
		if one, many := dump(part.one), dump(part.many); one != many {
			t.Fatalf("AddEvents' and AddSamples' %s differ from AddEvent's and AddSample's:\n%s\nwant\n%s", part.name, many, one)
		}
	}
	rb.Close()
	// The layers' accounts Finish counted as it wrote the attempts are
	// those a pass over them finds.
	if want := layerResults(r.Attempts); !reflect.DeepEqual(r.Layers, want) {
		t.Fatalf("Finish's layers differ from a pass over its attempts:\n%s\nwant\n%s", dump(r.Layers), dump(want))
	}
	return r
}

func valuesOf(s *Attempts) iter.Seq[Attempt] {
	return func(yield func(Attempt) bool) {
		for _, a := range s.All() {
			if !yield(a) {
				return
			}
		}
	}
}

func dump(v any) string {
	b, _ := json.MarshalIndent(v, "", " ")
	return string(b)
}

func sortEvents(ev []capture.Event) {
	for i := 1; i < len(ev); i++ {
		for j := i; j > 0 && ev[j].Time < ev[j-1].Time; j-- {
			ev[j], ev[j-1] = ev[j-1], ev[j]
		}
	}
}

func layer(r *Result, l Layer) *LayerResult {
	for _, lr := range r.Layers {
		if lr.Layer == l {
			return lr
		}
	}
	return nil
}

// A limit of 3 dialogs: three long calls up, the fourth and fifth INVITE
// are refused while they last, the sixth gets through after one ended.
func TestSpikeVerdict(t *testing.T) {
	w := &wire{}
	w.call("c1", 0, 5000)
	w.call("c2", 100, 5000)
	w.call("c3", 200, 5000)
	w.reject("r4", 300, 503)
	w.reject("r5", 400, 503)
	w.call("c6", 6000, 1000)
	r := run(t, w, nil, Options{})
	v := r.Verdict
	if !v.Failed || v.Layer != LayerSIP || v.Status != "503" || v.Kind != KindCapacity {
		t.Fatalf("verdict = %+v", v)
	}
	if v.FirstFailure.Concurrency != 4 || v.FirstFailure.CallID != "r4" || v.FirstFailure.Threads != -1 {
		t.Errorf("first failure = %+v", v.FirstFailure)
	}
	if v.Sustained == nil || v.Sustained.Concurrency != 4 {
		t.Errorf("sustained = %+v", v.Sustained)
	}
	lr := layer(r, LayerSIP)
	if lr.Attempts != 6 || lr.Failures != 2 || lr.Codes["200"] != 4 || lr.Codes["503"] != 2 || lr.MaxConcurrency != 4 {
		t.Errorf("sip layer = %+v", lr)
	}
	if got := r.Attempts.At(r.Attempts.Len() - 1); got.CallID != "c6" || got.Concurrency != 1 {
		t.Errorf("after the calls ended, c6 saw concurrency %d", got.Concurrency)
	}
	if r.SIP.Requests["INVITE"] != 6 || r.SIP.Responses[503] != 2 || r.SIP.Responses[100] != 4 {
		t.Errorf("message counts = %+v", r.SIP)
	}
	if r.Basis != "capture" {
		t.Errorf("basis = %q", r.Basis)
	}
	d := r.Attempts.At(v.FirstFailure.Attempt).Detail
	if d == nil || d.RetryAfter != 5 || d.ReasonHeader == "" {
		t.Errorf("detail = %+v", d)
	}
}

func TestRetransmissionsCountOnce(t *testing.T) {
	w := &wire{}
	br := "z9hG4bKx"
	w.at(0).send(gen, edge, req("INVITE", "x", br, 1, ""))
	w.at(500).send(gen, edge, req("INVITE", "x", br, 1, ""))
	w.at(1500).send(gen, edge, req("INVITE", "x", br, 1, ""))
	w.at(1600).send(edge, gen, resp(503, "INVITE", "x", br, 1))
	w.at(1700).send(edge, gen, resp(503, "INVITE", "x", br, 1))
	r := run(t, w, nil, Options{})
	lr := layer(r, LayerSIP)
	if lr.Attempts != 1 || lr.Failures != 1 {
		t.Fatalf("attempts %d failures %d", lr.Attempts, lr.Failures)
	}
	if a := r.Attempts.At(0); a.Retransmits != 2 || r.SIP.Retransmissions != 3 {
		t.Errorf("retransmits: attempt %d, total %d", a.Retransmits, r.SIP.Retransmissions)
	}
	if r.SIP.Requests["INVITE"] != 3 || r.SIP.Responses[503] != 2 {
		t.Errorf("wire counts %+v", r.SIP)
	}
}

func TestOutcomes(t *testing.T) {
	w := &wire{}
	// 407 then the same Call-ID with credentials, answered: a challenge.
	w.at(0).send(gen, edge, req("INVITE", "auth", "z9hG4bKa1", 1, ""))
	w.at(10).send(edge, gen, resp(407, "INVITE", "auth", "z9hG4bKa1", 1))
	w.at(20).send(gen, edge, req("INVITE", "auth", "z9hG4bKa2", 2, ""))
	w.at(40).send(edge, gen, resp(200, "INVITE", "auth", "z9hG4bKa2", 2))
	// CANCEL before an answer: the caller's choice, not a failure.
	w.at(100).send(gen, edge, req("INVITE", "cx", "z9hG4bKc", 1, ""))
	w.at(200).send(gen, edge, req("CANCEL", "cx", "z9hG4bKc", 1, ""))
	w.at(210).send(edge, gen, resp(200, "CANCEL", "cx", "z9hG4bKc", 1))
	w.at(215).send(edge, gen, resp(487, "INVITE", "cx", "z9hG4bKc", 1))
	// No answer for 40 s while the capture goes on: timer B fired.
	w.at(300).send(gen, edge, req("INVITE", "lost", "z9hG4bKl", 1, ""))
	// A redirect.
	w.at(400).send(gen, edge, req("INVITE", "moved", "z9hG4bKm", 1, ""))
	w.at(410).send(edge, gen, resp(302, "INVITE", "moved", "z9hG4bKm", 1))
	// Unanswered at the very end: the capture stopped first.
	w.at(45000).send(gen, edge, req("INVITE", "late", "z9hG4bKz", 1, ""))
	w.at(45001).send(gen, edge, req("OPTIONS", "ping", "z9hG4bKo", 1, ""))
	r := run(t, w, nil, Options{})
	want := map[string]Outcome{"auth": Answered, "cx": Cancelled, "lost": TimedOut, "moved": Redirected, "late": Unanswered}
	seen := map[string]bool{}
	for _, a := range r.Attempts.All() {
		if a.CallID == "auth" && a.Status == "407" {
			if a.Outcome != Challenged || a.Failed {
				t.Errorf("407 attempt: %v failed=%v", a.Outcome, a.Failed)
			}
			continue
		}
		seen[a.CallID] = true
		if a.Outcome != want[a.CallID] {
			t.Errorf("%s: outcome %v, want %v", a.CallID, a.Outcome, want[a.CallID])
		}
	}
	if len(seen) != len(want) {
		t.Errorf("attempts seen %v", seen)
	}
	v := r.Verdict
	if v.Layer != LayerSIP || v.Status != "timeout" || v.FirstFailure.CallID != "lost" || v.Kind != KindError {
		t.Errorf("verdict %+v", v)
	}
	lr := layer(r, LayerSIP)
	if lr.Decided != 3 || lr.Failures != 1 {
		t.Errorf("decided %d failures %d", lr.Decided, lr.Failures)
	}
}

// A proxy in the capture: the edge relays each INVITE to a backend under
// the same Call-ID. Only the generator's leg is an attempt at the edge;
// the backend's 503, passed on, is named as where the refusal came from.
func TestProxyLegs(t *testing.T) {
	w := &wire{}
	w.at(0).send(gen, edge, req("INVITE", "p1", "z9hG4bKg1", 1, ""))
	w.at(1).send(edge, backend, req("INVITE", "p1", "z9hG4bKe1", 1, ""))
	w.at(5).send(backend, edge, resp(503, "INVITE", "p1", "z9hG4bKe1", 1))
	w.at(6).send(edge, backend, req("ACK", "p1", "z9hG4bKe1", 1, "t-p1"))
	w.at(7).send(edge, gen, resp(503, "INVITE", "p1", "z9hG4bKg1", 1))
	r := run(t, w, nil, Options{})
	lr := layer(r, LayerSIP)
	if lr.Attempts != 1 || lr.Backend != 1 || lr.Failures != 1 {
		t.Fatalf("attempts %d backend %d failures %d", lr.Attempts, lr.Backend, lr.Failures)
	}
	ff := r.Verdict.FirstFailure
	if ff.Edge != edge {
		t.Errorf("edge %v", ff.Edge)
	}
	if d := r.Attempts.At(ff.Attempt).Detail; d.Relayed != backend {
		t.Errorf("relayed %v", d.Relayed)
	}
}

func TestJoinByCallID(t *testing.T) {
	w := &wire{}
	w.call("c1", 0, 2000)
	w.call("c2", 100, 2000)
	w.reject("r3", 200, 503)
	// JMeter's clock runs 250 ms behind the capture's.
	jt := (t0 / 1e6) - 250
	samples := []jtl.Sample{
		{Start: jt + 0, Elapsed: 2010, Code: "200", Success: true, Label: "SIP INVITE", CallID: "c1", AllThreads: 1, Host: "g"},
		{Start: jt + 100, Elapsed: 2010, Code: "200", Success: true, Label: "SIP INVITE", CallID: "c2", AllThreads: 2, Host: "g"},
		{Start: jt + 201, Elapsed: 3, Code: "503", Label: "SIP INVITE", CallID: "r3", AllThreads: 3, Host: "g"},
		{Start: jt + 300, Elapsed: 3, Code: "503", Label: "SIP INVITE", CallID: "nowhere", AllThreads: 3, Host: "g"},
	}
	r := run(t, w, samples, Options{})
	c := r.Correlation
	if c.JTLSamples != 4 || c.ByCallID != 3 || c.Matched != 3 || c.CallIDNotInCapture != 1 || c.UnmatchedJTL != 1 {
		t.Errorf("correlation %+v", c)
	}
	if c.ClockOffset != 250e6 {
		t.Errorf("offset %v", time.Duration(c.ClockOffset))
	}
	ff := r.Verdict.FirstFailure
	if ff.Threads != 3 || ff.Concurrency != 3 {
		t.Errorf("first failure %+v", ff)
	}
	at := r.Attempts.At(ff.Attempt)
	if s := r.Detail(&at).Sample; s == nil || s.Label != "SIP INVITE" {
		t.Errorf("sample ref %+v", s)
	}
	if r.Basis != "capture+jtl" {
		t.Errorf("basis %q", r.Basis)
	}
}

// Two load generators: JMeter's allThreads is per generator, the load is
// their sum.
func TestThreadsSumOverHosts(t *testing.T) {
	base := t0 / 1e6
	samples := []jtl.Sample{
		{Start: base, Elapsed: 10, Code: "200", Success: true, URL: "http://x/", AllThreads: 10, Host: "a"},
		{Start: base + 1, Elapsed: 10, Code: "200", Success: true, URL: "http://x/", AllThreads: 7, Host: "b"},
		{Start: base + 2, Elapsed: 10, Code: "503", URL: "http://x/", AllThreads: 12, Host: "a"},
	}
	r := run(t, &wire{}, samples, Options{})
	ff := r.Verdict.FirstFailure
	if r.Verdict.Layer != LayerHTTP || ff.Threads != 19 || ff.Concurrency != 3 {
		t.Errorf("verdict %+v first %+v", r.Verdict, ff)
	}
	if r.Basis != "jtl" {
		t.Errorf("basis %q", r.Basis)
	}
}

func TestClassify(t *testing.T) {
	cases := []struct {
		s      jtl.Sample
		layer  Layer
		status string
		failed bool
		breach bool
	}{
		{jtl.Sample{Code: "503", CallID: "x"}, LayerSIP, "503", true, false},
		{jtl.Sample{Code: "200", Success: true, CallID: "x"}, LayerSIP, "200", false, false},
		{jtl.Sample{Code: "200", Success: false, URL: "http://a/"}, LayerHTTP, "200", false, true},
		{jtl.Sample{Code: "429", URL: "https://a/"}, LayerHTTP, "429", true, false},
		{jtl.Sample{Code: "487", Label: "SIP INVITE"}, LayerSIP, "487", false, false},
		{jtl.Sample{Code: "timeout", Label: "SIP INVITE"}, LayerSIP, "timeout", true, false},
		{jtl.Sample{Code: "Non HTTP response code: java.net.ConnectException", Message: "Non HTTP response message: Connection refused (Connection refused)"}, LayerTCP, "refused", true, false},
		{jtl.Sample{Code: "Non HTTP response code: org.apache.http.conn.HttpHostConnectException", Message: "Non HTTP response message: Connect to 10.0.0.1:443 [/10.0.0.1] failed: Connection timed out (Connection timed out)"}, LayerTCP, "timeout", true, false},
		{jtl.Sample{Code: "Non HTTP response code: java.net.BindException", Message: "Non HTTP response message: Address already in use: connect"}, LayerClient, "ephemeral-ports", true, false},
		{jtl.Sample{Code: "Non HTTP response code: java.net.NoRouteToHostException", Message: "Non HTTP response message: Cannot assign requested address (Address not available)"}, LayerClient, "ephemeral-ports", true, false},
		{jtl.Sample{Code: "Non HTTP response code: java.net.UnknownHostException", Message: "Non HTTP response message: edge.example: Name or service not known"}, LayerClient, "dns", true, false},
		{jtl.Sample{Code: "Non HTTP response code: java.net.SocketTimeoutException", Message: "Non HTTP response message: Read timed out"}, LayerHTTP, "timeout", true, false},
		{jtl.Sample{Code: "Non HTTP response code: java.net.SocketTimeoutException", Message: "Non HTTP response message: connect timed out"}, LayerTCP, "timeout", true, false},
		{jtl.Sample{Code: "Non HTTP response code: java.net.SocketException", Message: "Non HTTP response message: Connection reset"}, LayerTCP, "reset", true, false},
		{jtl.Sample{Code: "Non HTTP response code: org.apache.http.NoHttpResponseException", Message: "Non HTTP response message: edge:443 failed to respond"}, LayerTCP, "reset", true, false},
		{jtl.Sample{Code: "Non HTTP response code: javax.net.ssl.SSLHandshakeException", Message: "Non HTTP response message: Received fatal alert: handshake_failure"}, LayerTLS, "alert:handshake_failure", true, false},
		{jtl.Sample{Code: "Non HTTP response code: javax.net.ssl.SSLException", Message: "Non HTTP response message: Connection reset"}, LayerTLS, "closed", true, false},
		{jtl.Sample{Code: "Non HTTP response code: java.io.IOException", Message: "Non HTTP response message: oops"}, LayerClient, "java.io.IOException", true, false},
		{jtl.Sample{Code: "", Message: "Websocket I/O error", Label: "WebSocket Open Connection"}, LayerClient, "error", true, false},
		{jtl.Sample{Code: "", Message: "Got unexpected status 503 Service Unavailable", Label: "WebSocket Open Connection"}, LayerWebSocket, "503", true, false},
		{jtl.Sample{Code: "101", Success: true, URL: "ws://a/events"}, LayerWebSocket, "101", false, false},
	}
	for i, c := range cases {
		got := classify(&c.s)
		if got.layer != c.layer || got.status != c.status || got.failed != c.failed || got.breach != c.breach {
			t.Errorf("%d %q %q: got %v %q failed=%v breach=%v", i, c.s.Code, c.s.Message, got.layer, got.status, got.failed, got.breach)
		}
	}
}

func TestSustainedIgnoresNoise(t *testing.T) {
	// Levels 1..10 succeed, 11..14 mostly fail, with one lucky success at
	// 13 and one unlucky failure at 5.
	var at []Attempt
	add := func(c int32, failed bool) {
		a := Attempt{Layer: LayerSIP, Time: int64(len(at)), Concurrency: c, Outcome: Answered, Status: "200", Threads: -1}
		if failed {
			a.Outcome, a.Status, a.Failed = Rejected, "503", true
		}
		at = append(at, a)
	}
	for c := int32(1); c <= 10; c++ {
		for k := 0; k < 5; k++ {
			add(c, c == 5 && k == 0)
		}
	}
	for c := int32(11); c <= 14; c++ {
		for k := 0; k < 5; k++ {
			add(c, !(c == 13 && k == 2))
		}
	}
	lrs := layerResults(AttemptsOf(at))
	s := lrs[0].Sustained
	if s == nil || s.Concurrency != 11 || s.AtOrAbove != 20 || s.FailedAtOrAbove != 19 {
		t.Fatalf("sustained %+v", s)
	}
	if ff := lrs[0].FirstFailure; ff.Concurrency != 5 {
		t.Errorf("first failure %+v", ff)
	}
}

// Samples without a Call-ID are matched to the INVITEs on the wire by time
// and order, counted apart as a weaker match; the clock offset comes from
// lining up the first of each.
func TestJoinByTime(t *testing.T) {
	w := &wire{}
	w.call("c1", 0, 2000)
	w.call("c2", 300, 2000)
	w.reject("r3", 600, 503)
	jt := (t0 / 1e6) + 5000 // JMeter's clock 5 s ahead
	samples := []jtl.Sample{
		{Start: jt + 0, Elapsed: 2010, Code: "200", Success: true, Label: "SIP INVITE", AllThreads: 1, Host: "g"},
		{Start: jt + 302, Elapsed: 2010, Code: "200", Success: true, Label: "SIP INVITE", AllThreads: 2, Host: "g"},
		{Start: jt + 601, Elapsed: 3, Code: "503", Label: "SIP INVITE", AllThreads: 3, Host: "g"},
		{Start: jt + 9000, Elapsed: 3, Code: "503", Label: "SIP INVITE", AllThreads: 3, Host: "g"},
	}
	r := run(t, w, samples, Options{})
	c := r.Correlation
	if c.ByTime != 3 || c.ByCallID != 0 || c.Matched != 3 || c.UnmatchedJTL != 1 || c.ClockOffset != -5000e6 {
		t.Errorf("correlation %+v", c)
	}
	ff := r.Verdict.FirstFailure
	if ff.CallID != "r3" || ff.Threads != 3 {
		t.Errorf("first failure %+v", ff)
	}
	if m := r.Attempts.At(ff.Attempt).Match; m != ByTime {
		t.Errorf("match %v", m)
	}
}

// --clock-offset overrides the estimate.
func TestForcedOffset(t *testing.T) {
	w := &wire{}
	w.reject("r1", 0, 503)
	d := 42 * time.Millisecond
	r := run(t, w, []jtl.Sample{{Start: t0 / 1e6, Code: "503", CallID: "r1", AllThreads: 1}}, Options{ClockOffset: &d})
	if r.Correlation.ClockOffset != int64(d) || r.Correlation.OffsetBasis != "given with --clock-offset" {
		t.Errorf("%+v", r.Correlation)
	}
}

// A connect error in the JTL with a refused SYN on the wire at that time
// is that refusal (joined by flow); one with no SYN on the wire is the load
// generator's own failure, whatever the exception says.
func TestConnectErrorsAgainstTheWire(t *testing.T) {
	w := &wire{}
	srv := netip.MustParseAddrPort("10.0.0.9:8080")
	open := func(id uint64, ms int64, st tcp.State) {
		c := &tcp.Conn{ID: id, Client: netip.AddrPortFrom(gen.Addr(), uint16(40000+id)), Server: srv, Start: t0 + ms*1e6, FirstPacket: int64(id)}
		w.at(ms)
		w.events = append(w.events, capture.Event{Kind: capture.KindConnOpen, Time: c.Start, Conn: c, Src: c.Client, Dst: srv})
		end := *c
		end.State, end.End, end.Ending = st, c.Start+1e6, tcp.EndRST
		if st == tcp.SF {
			end.Established, end.SynAck, end.Ending, end.End = c.Start+5e5, c.Start+2e5, tcp.EndFIN, c.Start+5e9
		}
		w.events = append(w.events, capture.Event{Kind: capture.KindConnClose, Time: end.End, Conn: &end, Src: c.Client, Dst: srv})
	}
	open(1, 0, tcp.SF)
	open(2, 100, tcp.REJ)
	base := t0 / 1e6
	refused := "Non HTTP response code: java.net.ConnectException"
	samples := []jtl.Sample{
		{Start: base, Elapsed: 5000, Code: "200", Success: true, URL: "http://10.0.0.9:8080/", AllThreads: 1, Host: "g"},
		{Start: base + 100, Elapsed: 1, Code: refused, Message: "Non HTTP response message: Connection refused", URL: "http://10.0.0.9:8080/", AllThreads: 2, Host: "g"},
		{Start: base + 3000, Elapsed: 1, Code: refused, Message: "Non HTTP response message: Connection refused", URL: "http://10.0.0.9:8080/", AllThreads: 3, Host: "g"},
	}
	r := run(t, w, samples, Options{})
	c := r.Correlation
	if c.ByFlow != 1 || c.NoSYN != 1 {
		t.Errorf("correlation %+v", c)
	}
	v := r.Verdict
	if v.Layer != LayerTCP || v.Status != "refused" || v.FirstFailure.Threads != 2 {
		t.Errorf("verdict %v %s %+v", v.Layer, v.Status, v.FirstFailure)
	}
	cl := layer(r, LayerClient)
	if cl == nil || cl.Failures != 1 || cl.Codes["no-syn:refused"] != 1 {
		t.Errorf("client layer %+v", cl)
	}
}

// Attempts known only from the JTL come out in time order whatever order
// the samples came in, each failure with a Detail showing its own sample.
func TestJTLAttemptDetails(t *testing.T) {
	base := t0 / 1e6
	samples := []jtl.Sample{
		{Start: base + 5, Elapsed: 10, Code: "503", Message: "Service Unavailable", Label: "INVITE", Thread: "tg 1-1", Host: "a", URL: "sip:x", AllThreads: 3, File: 1, Line: 7},
		{Start: base, Elapsed: 20, Code: "200", Success: true, Label: "INVITE", Thread: "tg 1-2", Host: "a", URL: "sip:x", CallID: "c1", AllThreads: 3, File: 1, Line: 8},
		{Start: base + 9, Elapsed: 1, Code: "503", Message: "Busy here", Label: "INVITE", Thread: "tg 1-2", Host: "a", URL: "sip:x", AllThreads: 3, File: 1, Line: 9},
	}
	r := run(t, &wire{}, samples, Options{})
	if n := r.Attempts.Len(); n != 3 {
		t.Fatalf("%d attempts", n)
	}
	want := []struct {
		time, elapsed, line int64
		reason              string
	}{{base, 20, 0, ""}, {base + 5, 10, 7, "Service Unavailable"}, {base + 9, 1, 9, "Busy here"}}
	for i, w := range want {
		a := r.Attempts.At(i)
		at := &a
		if at.Time != w.time*1e6 {
			t.Errorf("attempt %d at %d, want %d", i, at.Time, w.time*1e6)
		}
		if w.line == 0 {
			if r.Detail(at) != nil || at.CallID != "c1" {
				t.Errorf("attempt %d: detail %+v, call %q", i, r.Detail(at), at.CallID)
			}
			continue
		}
		d := r.Detail(at)
		if d == nil || d.Sample == nil || d.Sample.Line != w.line || d.ReasonPhrase != w.reason || d.Sample.Message != w.reason ||
			d.Sample.Start != w.time || d.Sample.Elapsed != w.elapsed || d.Sample.Thread == "" || d.RetryAfter != -1 || at.File != 1 {
			t.Errorf("attempt %d: %+v %+v", i, at, d)
		}
	}
}

// BenchmarkJTLOnly is correlation of a JTL without a capture: a spike of
// SIP calls, most refused past a limit, as in the bench's 5 M-row JTL.
func BenchmarkJTLOnly(b *testing.B) {
	const n = 200_000
	samples := make([]jtl.Sample, n)
	threads := make([]string, 1500)
	for i := range threads {
		threads[i] = fmt.Sprintf("SIP callers 1-%d", i+1)
	}
	base := t0 / 1e6
	for i := range samples {
		s := &samples[i]
		*s = jtl.Sample{Start: base + int64(i)*3, Elapsed: 20 + int64(i%50), Latency: 5, Label: "SIP call udp", Code: "200", Message: "OK",
			Success: true, Thread: threads[i%len(threads)], Host: "gen", URL: "sip:+18005550100@10.20.0.10:5060;transport=udp",
			CallID: fmt.Sprintf("%016x-t%04d-i%06d@10.10.0.5", i*7919, i%1500, i), AllThreads: 1 + i%1500, Line: int64(i + 2)}
		if i%5 != 0 {
			s.Code, s.Message, s.Success = "503", "Service Unavailable", false
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for k := 0; k < b.N; k++ {
		a := New(Options{})
		for i := range samples {
			a.AddSample(&samples[i])
		}
		if r := a.Finish(); r.Attempts.Len() != n {
			b.Fatal(r.Attempts.Len())
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
}

// An attempt on the wire that no sample matched takes the threads JMeter
// reported by its second (each host's latest allThreads, filed at its
// sample's end), not a sample's own: its match reference reads "none" at
// Finish's merge. A reference left zero (host 0) gave it 0.
func TestThreadsOfUnmatchedWire(t *testing.T) {
	w := &wire{}
	w.call("c1", 0, 2000)
	w.call("u2", 250, 2000)
	jt := (t0 / 1e6) - 250 // JMeter's clock 250 ms behind the capture's
	samples := []jtl.Sample{
		{Start: jt + 0, Elapsed: 2010, Code: "200", Success: true, Label: "SIP INVITE", CallID: "c1", AllThreads: 1, Host: "g"},
		// HTTP samples: of another layer, not to be paired with u2 by time.
		{Start: jt + 200, Elapsed: 5, Code: "200", Success: true, URL: "http://x/", AllThreads: 5, Host: "g"},
		{Start: jt + 3000, Elapsed: 5, Code: "200", Success: true, URL: "http://x/", AllThreads: 9, Host: "g"},
	}
	r := run(t, w, samples, Options{})
	threads := map[string]int32{}
	for _, a := range r.Attempts.All() {
		if a.Layer == LayerSIP && a.Hop == 0 {
			threads[a.CallID] = a.Threads
		}
	}
	if threads["c1"] != 1 || threads["u2"] != 5 {
		t.Errorf("threads %v, want c1 1 (its sample's), u2 5 (JMeter's at 250 ms)", threads)
	}
}
