package evidence

import (
	"net/netip"
	"testing"

	"github.com/ceiling-dev/ceiling/correlate"
)

// TestReadUntil: the second read stops lastGrace after the last packet the
// analysis saw of the latest chosen attempt, or straggle after its end
// when that is sooner or the analysis did not say; never while one is
// still open.
func TestReadUntil(t *testing.T) {
	const s = int64(1e9)
	for _, tc := range []struct {
		name  string
		ended []int64
		seen  []int64
		want  int64
	}{
		{"unknown: straggle after the end", []int64{10 * s}, []int64{0}, 10*s + straggle},
		{"seen: grace after it", []int64{10 * s}, []int64{12 * s}, 12*s + lastGrace},
		{"seen long after: straggle bounds it", []int64{10 * s}, []int64{100 * s}, 10*s + straggle},
		{"the latest of several", []int64{10 * s, 20 * s, 15 * s}, []int64{11 * s, 0, 16 * s}, 20*s + straggle},
		{"the latest of several, all seen", []int64{10 * s, 20 * s, 15 * s}, []int64{11 * s, 21 * s, 16 * s}, 21*s + lastGrace},
		{"one still open: read it all", []int64{10 * s, 0}, []int64{11 * s, 0}, 0},
	} {
		chosen := make([]correlate.Attempt, len(tc.ended))
		for k := range chosen {
			chosen[k].Ended = tc.ended[k]
		}
		if got := readUntil(chosen, func(k int) int64 { return tc.seen[k] }); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestPlanUntil: what plan says each chosen attempt was last seen at: a
// SIP dialog its Last; a WebSocket attempt its connection's (the tcp
// attempt that encloses it), as the cut keeps the connection whole; a
// dialog over a connection of its own, the later of the two.
func TestPlanUntil(t *testing.T) {
	const s = int64(1e9)
	t0 := int64(1_795_600_800) * s
	ep := netip.MustParseAddrPort
	wsEdge, sipEdge := ep("10.20.0.10:8080"), ep("10.20.0.10:5060")
	wsClient, udpClient, tcpClient, wsClient2 := ep("10.10.0.5:40000"), ep("10.10.0.5:40001"), ep("10.10.0.5:40002"), ep("10.10.0.5:40003")
	all := []correlate.Attempt{
		{Layer: correlate.LayerTCP, Time: t0, Ended: t0 + 300*s, Last: t0 + 9*s, Client: wsClient, Edge: wsEdge, Packet: 1},
		{Layer: correlate.LayerWebSocket, Time: t0 + 1e6, Ended: t0 + 8*s, Client: wsClient, Edge: wsEdge, Packet: 3},
		{Layer: correlate.LayerSIP, Time: t0 + 2*s, Ended: t0 + 3*s, Last: t0 + 4*s, CallID: "u", Client: udpClient, Edge: sipEdge, Packet: 10},
		{Layer: correlate.LayerTCP, Time: t0 + 5*s, Ended: t0 + 7*s, Last: t0 + 7*s, Client: tcpClient, Edge: sipEdge, Packet: 20},
		{Layer: correlate.LayerSIP, Time: t0 + 6*s, Ended: t0 + 6*s + 1e6, Last: t0 + 6*s + 2e6, CallID: "t", Client: tcpClient, Edge: sipEdge, Packet: 22},
		{Layer: correlate.LayerTCP, Time: t0 + 10*s, Ended: t0 + 12*s, Last: t0 + 11*s, Client: wsClient2, Edge: wsEdge, Packet: 30},
		{Layer: correlate.LayerWebSocket, Time: t0 + 10*s, Ended: t0 + 10*s + 1e6, Client: wsClient2, Edge: wsEdge, Packet: 31},
		{Layer: correlate.LayerTCP, Time: t0 + 20*s, Ended: t0 + 21*s, Last: t0 + 21*s, Client: wsClient, Edge: wsEdge, Packet: 40},
	}
	res := &correlate.Result{Attempts: correlate.AttemptsOf(all)}
	for _, tc := range []struct {
		name   string
		chosen []int
		want   int64
	}{
		{"a WebSocket attempt: its connection's last packet", []int{1}, t0 + 9*s + lastGrace},
		{"a dialog over UDP: its Last", []int{2}, t0 + 4*s + lastGrace},
		{"a dialog with a connection of its own: the connection's end", []int{4}, t0 + 7*s + lastGrace},
		{"all: the latest", []int{2, 1, 4}, t0 + 9*s + lastGrace},
		// The pass for the connections ends after the latest chosen
		// attempt: one opened at that instant still encloses it, and one
		// opened later on the same ends does not.
		{"a WebSocket attempt made as its connection opened", []int{6}, t0 + 11*s + lastGrace},
		{"a WebSocket attempt, a later connection on its ends", []int{1, 6}, t0 + 11*s + lastGrace},
	} {
		var chosen []correlate.Attempt
		for _, i := range tc.chosen {
			chosen = append(chosen, all[i])
		}
		if _, got := plan(res, chosen, nil); got != tc.want {
			t.Errorf("%s: until t0%+d s, want t0%+d s", tc.name, (got-t0)/s, (tc.want-t0)/s)
		}
	}
}

// TestPlanUntilLegs: a dialog's until waits for the edge's own legs of it,
// which may go on after the client's has ended, and is unknown when one
// of theirs is.
func TestPlanUntilLegs(t *testing.T) {
	const s = int64(1e9)
	t0 := int64(1_795_600_800) * s
	ep := netip.MustParseAddrPort
	client := correlate.Attempt{Layer: correlate.LayerSIP, Time: t0, Ended: t0 + 1*s, Last: t0 + 1*s, CallID: "c",
		Client: ep("10.10.0.5:40001"), Edge: ep("10.20.0.10:5060"), Packet: 1}
	leg := correlate.Attempt{Layer: correlate.LayerSIP, Hop: 1, Time: t0 + 1e6, Ended: t0 + 20*s, Last: t0 + 21*s, CallID: "c",
		Client: ep("10.20.0.10:5060"), Edge: ep("10.30.0.1:5060"), Packet: 2}
	res := &correlate.Result{Attempts: correlate.AttemptsOf([]correlate.Attempt{client, leg})}
	if _, got := plan(res, []correlate.Attempt{client}, []correlate.Attempt{leg}); got != t0+21*s+lastGrace {
		t.Errorf("with a later leg: until t0%+d s, want t0%+d s", (got-t0)/s, (21*s+lastGrace)/s)
	}
	leg.Last = 0
	if _, got := plan(res, []correlate.Attempt{client}, []correlate.Attempt{leg}); got != t0+1*s+straggle {
		t.Errorf("with a leg whose Last is unknown: until t0%+d s, want t0%+d s", (got-t0)/s, (1*s+straggle)/s)
	}
}
