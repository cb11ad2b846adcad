package correlate

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/ceiling-dev/ceiling/parse/capture"
	"github.com/ceiling-dev/ceiling/parse/http"
	"github.com/ceiling-dev/ceiling/parse/jtl"
	"github.com/ceiling-dev/ceiling/parse/tcp"
)

// conns builds connection events for tests.
type conns struct {
	w  *wire
	id uint64
}

// open opens a connection from client to server at ms, closed at end
// (ms), and returns it; midstream: begun before the capture.
func (c *conns) open(client, server netip.AddrPort, ms, end int64, midstream bool) *tcp.Conn {
	c.id++
	cn := &tcp.Conn{ID: c.id, Client: client, Server: server, Start: t0 + ms*1e6, FirstPacket: int64(c.id), Midstream: midstream}
	c.w.events = append(c.w.events, capture.Event{Kind: capture.KindConnOpen, Time: cn.Start, Conn: cn, Src: client, Dst: server})
	done := *cn
	done.State, done.Established, done.SynAck, done.Ending, done.End = tcp.SF, cn.Start+1e5, cn.Start+1e5, tcp.EndFIN, t0+end*1e6
	c.w.events = append(c.w.events, capture.Event{Kind: capture.KindConnClose, Time: done.End, Conn: &done, Src: client, Dst: server})
	return cn
}

// TestBackendsRelabelled: the edge's connections to a backend (a server
// only the edge talked to) are hop 1, those of the load generator to the
// edge hop 0, whether the connection made its first attempt as it opened
// or, begun before the capture, with a request on it.
func TestBackendsRelabelled(t *testing.T) {
	w := &wire{}
	c := &conns{w: w}
	edgeWeb := netip.MustParseAddrPort("10.0.0.9:443")
	back := netip.MustParseAddrPort("10.0.0.20:8080")
	edgeOut := netip.AddrPortFrom(edgeWeb.Addr(), 50000)
	c.open(netip.AddrPortFrom(gen.Addr(), 41000), edgeWeb, 0, 500, false)
	c.open(edgeOut, back, 10, 400, false)
	// Begun before the capture: no TCP attempt, but a request.
	mid := c.open(netip.AddrPortFrom(edgeWeb.Addr(), 50001), netip.MustParseAddrPort("10.0.0.21:8080"), 20, 300, true)
	w.events = append(w.events, capture.Event{Kind: capture.KindRequest, Time: t0 + 30e6, Conn: mid, Src: mid.Client, Dst: mid.Server,
		Request: &http.Request{Method: "GET", Target: "/"}})
	r := run(t, w, nil, Options{})
	hops := map[netip.AddrPort]uint8{}
	n := 0
	for i := range r.Attempts.Len() {
		a := r.Attempts.At(i)
		hops[a.Edge] = a.Hop
		n++
	}
	if n != 3 || hops[edgeWeb] != 0 || hops[back] != 1 || hops[mid.Server] != 1 {
		t.Errorf("%d attempts, hops %v", n, hops)
	}
}

// TestBackendsNotPaired: a connect error without an ID is not paired
// with the edge's connection to a backend (hop 1, once EndCapture has
// relabelled it) made at its time: the load generator never sent a SYN.
func TestBackendsNotPaired(t *testing.T) {
	w := &wire{}
	c := &conns{w: w}
	edgeWeb := netip.MustParseAddrPort("10.0.0.9:443")
	c.open(netip.AddrPortFrom(gen.Addr(), 41000), edgeWeb, 0, 500, false)
	c.open(netip.AddrPortFrom(edgeWeb.Addr(), 50000), netip.MustParseAddrPort("10.0.0.20:8080"), 100, 400, false)
	sortEvents(w.events)
	samples := []jtl.Sample{{Start: t0/1e6 + 100, Elapsed: 5, URL: "https://10.0.0.9/", Label: "a", Host: "g", AllThreads: 1,
		Code: "Non HTTP response code: java.net.ConnectException", Message: "Non HTTP response message: Connection refused"}}
	same := time.Duration(0)
	for _, o := range []SpillOptions{{}, {Dir: t.TempDir(), Pages: 2, PageItems: 1}} {
		r := run(t, w, slices.Clone(samples), Options{TimeMatchWindow: 10 * time.Millisecond, ClockOffset: &same, Spill: o})
		if c := r.Correlation; c.ByFlow != 0 || c.NoSYN != 1 {
			t.Errorf("%+v: correlation %+v, want one failure with no SYN", o, c)
		}
		r.Close()
	}
}

// TestWireOutOfOrder: the capture's attempts are logged as they are made,
// which is not always in time order (a connection's attempt is at its
// first packet, logged when the connection is reported); the attempts
// come out in time order all the same, the JTL's merged in among them.
func TestWireOutOfOrder(t *testing.T) {
	w := &wire{}
	w.call("s1", 100, 1000)
	c := &conns{w: w}
	cn := c.open(netip.AddrPortFrom(gen.Addr(), 41000), netip.MustParseAddrPort("10.0.0.9:443"), 50, 2000, false)
	sortEvents(w.events)
	// Reported at 150 ms, after the INVITE, for a SYN at 50.
	for i := range w.events {
		if w.events[i].Kind == capture.KindConnOpen {
			w.events[i].Time = t0 + 150e6
		}
	}
	sortEvents(w.events)
	if cn.Start != t0+50e6 {
		t.Fatal(cn.Start)
	}
	var samples []jtl.Sample
	for _, ms := range []int64{75, 120} {
		// The load generator's own failures: known only from the JTL.
		samples = append(samples, jtl.Sample{Start: t0/1e6 + ms, Elapsed: 1, Code: "Non HTTP response code: java.net.UnknownHostException",
			Message: "Non HTTP response message: edge", Label: "x", Host: "g", AllThreads: 1})
	}
	for _, o := range []SpillOptions{{}, {Dir: t.TempDir(), Pages: 2, PageItems: 1}} {
		r := run(t, w, slices.Clone(samples), Options{Spill: o})
		var times []int64
		for i := range r.Attempts.Len() {
			times = append(times, (r.Attempts.At(i).Time-t0)/1e6)
		}
		if want := []int64{50, 75, 100, 120}; !slices.Equal(times, want) {
			t.Errorf("%+v: attempts at %v ms, want %v", o, times, want)
		}
		r.Close()
	}
}

// TestPairOutOfOrder: with the wire's attempts out of time order, a
// pairing goes through them in the order they were logged and stops at the
// first later than the sample's window, as it does in order: a connect
// error takes the connection at its time rather than a refusal logged
// after a later connection.
func TestPairOutOfOrder(t *testing.T) {
	w := &wire{}
	port := uint16(41000)
	conn := func(ms, reported int64, refused bool) {
		port++
		c := &tcp.Conn{ID: uint64(port), Client: netip.AddrPortFrom(gen.Addr(), port), Server: edge, Start: t0 + ms*1e6, FirstPacket: int64(port)}
		end := *c
		end.State, end.Established, end.SynAck, end.Ending, end.End = tcp.SF, c.Start+1e5, c.Start+1e5, tcp.EndFIN, t0+300e6
		if refused {
			end.State, end.Established, end.SynAck, end.Ending, end.End = tcp.REJ, 0, 0, tcp.EndRST, c.Start+1e6
		}
		w.events = append(w.events, capture.Event{Kind: capture.KindConnOpen, Time: t0 + reported*1e6, Conn: c},
			capture.Event{Kind: capture.KindConnClose, Time: max(end.End, t0+reported*1e6), Conn: &end})
	}
	conn(6, 6, true)
	conn(10, 10, false)
	conn(100, 100, false)
	conn(20, 150, true) // logged after the one at 100 ms
	conn(200, 200, false)
	sortEvents(w.events)
	refused := func(ms, elapsed int64) jtl.Sample {
		return jtl.Sample{Start: t0/1e6 + ms, Elapsed: elapsed, URL: "https://10.0.0.9/", Label: "a", Host: "g", AllThreads: 1,
			Code: "Non HTTP response code: java.net.ConnectException", Message: "Non HTTP response message: Connection refused"}
	}
	// The first reads all five into its window, and takes the refusal at 6.
	samples := []jtl.Sample{refused(5, 200), refused(15, 1)}
	same := time.Duration(0)
	r := run(t, w, samples, Options{TimeMatchWindow: 5 * time.Millisecond, ClockOffset: &same})
	defer r.Close()
	var matched []int64
	for _, a := range r.Attempts.All() {
		if a.Layer == LayerTCP && a.Match == ByFlow {
			matched = append(matched, (a.Time-t0)/1e6)
		}
	}
	if want := []int64{6, 10}; !slices.Equal(matched, want) {
		t.Errorf("connections matched at %v ms, want %v", matched, want)
	}
}

// TestConnLast: a tcp attempt's Last is its connection's last packet,
// which the evidence cut reads up to: before its end when an idle timer
// closed it, after when the last ACK followed the second FIN.
func TestConnLast(t *testing.T) {
	w := &wire{}
	c := &conns{w: w}
	idle := c.open(netip.AddrPortFrom(gen.Addr(), 41000), edge, 0, 90_000, false)
	fin := c.open(netip.AddrPortFrom(gen.Addr(), 41001), edge, 10, 500, false)
	last := map[uint64]int64{idle.ID: t0 + 30_000e6, fin.ID: t0 + 501e6}
	for i := range w.events {
		if ev := &w.events[i]; ev.Kind == capture.KindConnClose {
			ev.Conn.Last = last[ev.Conn.ID]
		}
	}
	r := run(t, w, nil, Options{})
	got := map[netip.AddrPort]int64{}
	for i := range r.Attempts.Len() {
		if a := r.Attempts.At(i); a.Layer == LayerTCP {
			got[a.Client] = a.Last
		}
	}
	if got[idle.Client] != last[idle.ID] || got[fin.Client] != last[fin.ID] {
		t.Errorf("Last %v, want %d and %d", got, last[idle.ID], last[fin.ID])
	}
}
