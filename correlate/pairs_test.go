package correlate

import (
	"fmt"
	"math"
	"math/rand"
	"net/netip"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/ceiling-dev/ceiling/parse/capture"
	"github.com/ceiling-dev/ceiling/parse/http"
	"github.com/ceiling-dev/ceiling/parse/jtl"
	"github.com/ceiling-dev/ceiling/parse/tcp"
)

func TestPairGroups(t *testing.T) {
	all := []Layer{LayerTCP, LayerTLS, LayerHTTP, LayerWebSocket, LayerSIP}
	own := func(l Layer) Layer { return l }
	underTLS := func(l Layer) Layer {
		if l == LayerTLS {
			return LayerTCP
		}
		return l
	}
	for _, c := range []struct {
		layers []Layer
		target func(Layer) Layer
		want   [][]Layer
	}{
		{[]Layer{LayerTCP, LayerWebSocket}, own, [][]Layer{{LayerTCP, LayerWebSocket}}},
		// TCP and TLS both make the load generator's own failures.
		{all, own, [][]Layer{{LayerTCP}, {LayerTLS, LayerHTTP, LayerWebSocket, LayerSIP}}},
		{all, underTLS, [][]Layer{{LayerTCP}, {LayerTLS, LayerHTTP, LayerWebSocket, LayerSIP}}},
		// HTTP and a TLS paired with TCP's attempts: TLS waits for TCP.
		{[]Layer{LayerTCP, LayerTLS, LayerHTTP}, underTLS, [][]Layer{{LayerTCP}, {LayerTLS, LayerHTTP}}},
		{nil, own, nil},
	} {
		if got := pairGroups(c.layers, c.target); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%v: %v, want %v", c.layers, got, c.want)
		}
	}
}

// TestPairsTogether: connect and handshake errors and WebSocket samples
// without IDs,
// paired with the wire by flow in one pass, give what pairing each
// layer in a pass of its own gives: the same joins, the same failures of
// the load generator's own with the same concurrency, the same counts.
func TestPairsTogether(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	w := &wire{}
	srv := netip.MustParseAddrPort("10.0.0.9:8080")
	base := t0 / 1e6
	refused := "Non HTTP response code: java.net.ConnectException"
	var samples []jtl.Sample
	var id uint64
	for k := range 400 {
		ms := int64(k*50 + rng.Intn(40))
		id++
		c := &tcp.Conn{ID: id, Client: netip.AddrPortFrom(gen.Addr(), uint16(30000+id)), Server: srv, Start: t0 + ms*1e6, FirstPacket: int64(id)}
		s := jtl.Sample{Start: base + ms + int64(rng.Intn(3)), Elapsed: 5, URL: "ws://10.0.0.9:8080/", Label: "ws", Host: "g",
			AllThreads: 1 + k%9, File: 1, Line: int64(k + 2), Thread: fmt.Sprintf("t-%d", k%9)}
		switch r := rng.Intn(7); {
		case r == 6:
			// A handshake that failed where the wire saw no connection.
			s.Code, s.Message = "Non HTTP response code: javax.net.ssl.SSLHandshakeException", "Non HTTP response message: Remote host terminated the handshake"
			s.URL = "wss://10.0.0.9:8080/"
			samples = append(samples, s)
			continue
		case r == 0:
			// A connect error the wire never saw.
			s.Code, s.Message = refused, "Non HTTP response message: Connection refused"
			samples = append(samples, s)
			continue
		case r == 1:
			end := *c
			end.State, end.End, end.Ending = tcp.REJ, c.Start+1e6, tcp.EndRST
			w.events = append(w.events, capture.Event{Kind: capture.KindConnOpen, Time: c.Start, Conn: c},
				capture.Event{Kind: capture.KindConnClose, Time: end.End, Conn: &end})
			s.Code, s.Message = refused, "Non HTTP response message: Connection refused"
		default:
			end := *c
			end.State, end.Established, end.SynAck, end.Ending, end.End = tcp.SF, c.Start+2e5, c.Start+1e5, tcp.EndFIN, c.Start+3e9
			code := 101
			if r == 2 {
				code = 503
			}
			w.events = append(w.events, capture.Event{Kind: capture.KindConnOpen, Time: c.Start, Conn: c},
				capture.Event{Kind: capture.KindRequest, Time: c.Start + 5e5, Conn: c,
					Request: &http.Request{Method: "GET", Target: "/", Upgrade: "websocket", Connection: "Upgrade", WebSocketKey: "k"}},
				capture.Event{Kind: capture.KindResponse, Time: c.Start + 2e6, Conn: c,
					Response: &http.Response{Code: code, WebSocketAccept: http.AcceptKey("k")}},
				capture.Event{Kind: capture.KindConnClose, Time: end.End, Conn: &end})
			s.Code, s.Success = fmt.Sprint(code), code == 101
		}
		if rng.Intn(10) > 0 {
			samples = append(samples, s)
		}
	}
	sortEvents(w.events)
	results := func(group func([]Layer, func(Layer) Layer) [][]Layer, spill SpillOptions) (*Result, []Attempt, []*Detail) {
		groupPairs = group
		defer func() { groupPairs = pairGroups }()
		r := run(t, w, slices.Clone(samples), Options{TimeMatchWindow: 5 * time.Millisecond, Spill: spill})
		var as []Attempt
		var ds []*Detail
		for i := range r.Attempts.Len() {
			a := r.Attempts.At(i)
			ds = append(ds, r.Detail(&a))
			a.lazy, a.Detail = 0, nil
			as = append(as, a)
		}
		return r, as, ds
	}
	apart, wantA, wantD := results(func(ls []Layer, _ func(Layer) Layer) (g [][]Layer) {
		for _, l := range ls {
			g = append(g, []Layer{l})
		}
		return g
	}, SpillOptions{Dir: t.TempDir(), Pages: 2, PageItems: 4})
	defer apart.Close()
	// The pairers read the log, spilled, or the heads EndCapture noted
	// (freeHeads).
	for _, spill := range []SpillOptions{{Dir: t.TempDir(), Pages: 2, PageItems: 4}, {}} {
		together, gotA, gotD := results(pairGroups, spill)
		if c := together.Correlation; c.ByFlow == 0 || c.NoSYN == 0 || c != apart.Correlation {
			t.Errorf("spill %+v: correlation %+v, apart %+v", spill, c, apart.Correlation)
		}
		if !reflect.DeepEqual(gotA, wantA) {
			t.Errorf("spill %+v: the attempts differ", spill)
		}
		if !reflect.DeepEqual(gotD, wantD) {
			t.Errorf("spill %+v: the details differ", spill)
		}
		together.Close()
	}
}

// TestFreeHeads: EndCapture notes, for the pairers, the attempts each
// layer's may pair, and a failure's status; a table of statuses full lets
// the heads go, and the pairers read the log.
func TestFreeHeads(t *testing.T) {
	type noted struct {
		i      int32
		status string
	}
	for _, c := range []struct {
		name     string
		attempts []Attempt
		want     map[Layer][]noted
	}{
		{"pairable only", []Attempt{
			{Layer: LayerTCP, Status: "refused", Failed: true, Time: 1},
			{Layer: LayerTCP, Hop: 1, Status: "refused", Failed: true},
			{Layer: LayerSIP, Match: ByCallID, Status: "503", Failed: true},
			{Layer: LayerSIP, Outcome: Challenged, Status: "401", Failed: true},
			{Layer: LayerSIP, Status: "200", Time: 2},
		}, map[Layer][]noted{LayerTCP: {{0, "refused"}}, LayerSIP: {{4, ""}}}},
		// Each layer's last status is its own; an empty status is one too.
		{"statuses", []Attempt{
			{Layer: LayerSIP, Status: "503", Failed: true},
			{Layer: LayerTCP, Status: "", Failed: true},
			{Layer: LayerSIP, Status: "503", Failed: true},
			{Layer: LayerSIP, Status: "", Failed: true},
			{Layer: LayerTCP, Status: "reset", Failed: true},
			{Layer: LayerTCP, Status: "", Failed: true},
			{Layer: LayerSIP, Status: "486", Failed: true},
		}, map[Layer][]noted{
			LayerSIP: {{0, "503"}, {2, "503"}, {3, ""}, {6, "486"}},
			LayerTCP: {{1, ""}, {4, "reset"}, {5, ""}},
		}},
	} {
		f := newFreeHeads(len(c.attempts), SpillOptions{})
		for i := range c.attempts {
			if !f.note(i, &c.attempts[i]) {
				t.Fatalf("%s: attempt %d let the heads go", c.name, i)
			}
		}
		for l := range numLayers {
			var got []noted
			for k := range f.byLayer[l].n {
				h := f.byLayer[l].at(k)
				at := c.attempts[h.i]
				if h.time != at.Time || h.failed != at.Failed {
					t.Errorf("%s: head %+v of %+v", c.name, h, at)
				}
				n := noted{i: h.i}
				if h.failed {
					n.status = f.statuses[h.status]
				}
				got = append(got, n)
			}
			if !reflect.DeepEqual(got, c.want[Layer(l)]) {
				t.Errorf("%s: layer %v: %+v, want %+v", c.name, Layer(l), got, c.want[Layer(l)])
			}
		}
	}
	f := newFreeHeads(1, SpillOptions{})
	for k := range math.MaxUint16 + 2 {
		a := Attempt{Layer: LayerTCP, Failed: true, Status: fmt.Sprint(k)}
		if ok := f.note(k, &a); ok != (k <= math.MaxUint16) {
			t.Fatalf("status %d of %d: noted %v", k+1, math.MaxUint16+2, ok)
		}
	}
	if newFreeHeads(memRefs+1, SpillOptions{}) != nil || newFreeHeads(1, SpillOptions{PageItems: 4}) != nil {
		t.Error("heads noted beyond memRefs or with pages sized")
	}
}

// TestPairsLaterGroup: a group pairs with what an earlier group left,
// though the earlier group's matches are written on the attempts only at
// Finish's merge: a handshake error paired with the TCP connections (the
// wire saw no TLS) does not take the connection a connect error took.
func TestPairsLaterGroup(t *testing.T) {
	w := &wire{}
	srv := netip.MustParseAddrPort("10.0.0.9:443")
	c := &tcp.Conn{ID: 1, Client: netip.AddrPortFrom(gen.Addr(), 30001), Server: srv, Start: t0 + 10e6, FirstPacket: 1}
	end := *c
	end.State, end.End, end.Ending = tcp.REJ, c.Start+1e6, tcp.EndRST
	w.events = append(w.events, capture.Event{Kind: capture.KindConnOpen, Time: c.Start, Conn: c},
		capture.Event{Kind: capture.KindConnClose, Time: end.End, Conn: &end})
	base := t0 / 1e6
	samples := []jtl.Sample{
		{Start: base + 10, Elapsed: 5, URL: "https://10.0.0.9/", Label: "a", Host: "g", AllThreads: 1, File: 1, Line: 2,
			Code: "Non HTTP response code: java.net.ConnectException", Message: "Non HTTP response message: Connection refused"},
		{Start: base + 11, Elapsed: 5, URL: "https://10.0.0.9/", Label: "b", Host: "g", AllThreads: 1, File: 1, Line: 3,
			Code: "Non HTTP response code: javax.net.ssl.SSLHandshakeException", Message: "Non HTTP response message: Remote host terminated the handshake"},
	}
	for _, spill := range []SpillOptions{{}, {Dir: t.TempDir(), Pages: 2, PageItems: 1}} {
		r := run(t, w, slices.Clone(samples), Options{TimeMatchWindow: 50 * time.Millisecond, Spill: spill})
		if c := r.Correlation; c.ByFlow != 1 || c.NoSYN != 1 || c.Matched != 1 {
			t.Errorf("spill %+v: correlation %+v, want one match by flow and one failure with no SYN", spill, c)
		}
		matched := 0
		for _, a := range r.Attempts.All() {
			if a.Layer == LayerTCP && a.Match == ByFlow && a.Source == FromCapture|FromJTL {
				matched++
			}
		}
		if matched != 1 {
			t.Errorf("spill %+v: %d TCP attempts matched by flow, want 1", spill, matched)
		}
		r.Close()
	}
}

// TestPairSorted: in a window in time order, pair finds its attempt by
// the queues of each kind; it takes what looking at each attempt in turn
// takes, times shared by several attempts, windows of none and runs of one
// kind included.
func TestPairSorted(t *testing.T) {
	for seed := range int64(20) {
		rng := rand.New(rand.NewSource(seed))
		f := newFreeHeads(0, SpillOptions{})
		f.statuses = []string{"refused"}
		var at int64
		failShare := rng.Intn(10)
		for i := range 2000 {
			at += int64(rng.Intn(3)) * int64(rng.Intn(2)) * 1e6
			f.byLayer[LayerTCP].add(freeHead{time: at, i: int32(i), failed: rng.Intn(10) < failShare})
		}
		var samples []pendingSample
		for ms := int64(-5); ms < at/1e6+5; ms += int64(rng.Intn(3)) {
			samples = append(samples, pendingSample{start: ms, connect: int64(rng.Intn(4)), class: sampleClass{failed: rng.Intn(2) == 0}})
		}
		win := int64(rng.Intn(3)) * 1e6
		taken := func(sorted bool) (got []int) {
			p := &pairer{free: f, target: LayerTCP, win: win, ahead: true, sorted: sorted}
			for k := range samples {
				a, ok := p.pair(&samples[k])
				if !ok {
					a.i = -1
				}
				got = append(got, a.i)
			}
			return got
		}
		want := taken(false)
		if got := taken(true); !slices.Equal(got, want) {
			t.Fatalf("seed %d: took %v, want %v", seed, got, want)
		}
	}
}

// TestHeadList: heads come back in the order added, across chunks.
func TestHeadList(t *testing.T) {
	for _, n := range []int{0, 1, headChunk - 1, headChunk, headChunk + 1, 3*headChunk + 7} {
		var l headList
		for k := range n {
			l.add(freeHead{time: int64(k), i: int32(k)})
		}
		if l.n != n {
			t.Fatalf("%d added, %d held", n, l.n)
		}
		for k := range n {
			if h := l.at(k); h.time != int64(k) || h.i != int32(k) {
				t.Fatalf("%d added: head %d is %+v", n, k, *h)
			}
		}
	}
}
