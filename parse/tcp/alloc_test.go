package tcp

import (
	"bytes"
	"net/netip"
	"reflect"
	"runtime"
	"slices"
	"testing"
	"unsafe"

	"github.com/ceiling-dev/ceiling/parse/pcap"
)

// TestConnAllocs pins what a whole connection costs once the Assembler
// has warmed up: handshake, a request and its answer, both FINs, and the
// linger that follows. The Conn itself is the one allocation: the handler
// may keep it, and everything else is reused.
func TestConnAllocs(t *testing.T) {
	a := NewAssembler(nopHandler{}, Options{})
	cl, sv := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	req, resp := make([]byte, 600), make([]byte, 300)
	var now int64 = 1e18
	var port uint16 = 40000
	pkt := func(fromClient bool, fl uint8, seq, ack uint32, data []byte) {
		p := pcap.Packet{Transport: pcap.TCP, Flags: fl, Seq: seq, Ack: ack, Window: 65535,
			Payload: data, PayloadLen: len(data), Time: now}
		p.Src, p.SrcPort, p.Dst, p.DstPort = cl, port, sv, 5060
		if !fromClient {
			p.Src, p.SrcPort, p.Dst, p.DstPort = sv, 5060, cl, port
		}
		now += 1e6
		a.Packet(&p)
	}
	conn := func() {
		port++
		const c, s = 1000, 5000
		pkt(true, pcap.SYN, c, 0, nil)
		pkt(false, pcap.SYN|pcap.ACK, s, c+1, nil)
		pkt(true, pcap.ACK, c+1, s+1, nil)
		pkt(true, pcap.ACK|pcap.PSH, c+1, s+1, req)
		pkt(false, pcap.ACK|pcap.PSH, s+1, c+601, resp)
		pkt(true, pcap.ACK|pcap.FIN, c+601, s+301, nil)
		pkt(false, pcap.ACK|pcap.FIN, s+301, c+602, nil)
		pkt(true, pcap.ACK, c+602, s+302, nil)
		now += 10e9 // past Linger: the next packet forgets it
	}
	for range 10 {
		conn()
	}
	if allocs := testing.AllocsPerRun(100, conn); allocs > 1 {
		t.Errorf("%.1f allocations per connection, want 1 (the Conn)", allocs)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 100 {
		conn()
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / 100; per > uint64(unsafe.Sizeof(Conn{}))+32 {
		t.Errorf("%d bytes allocated per connection, want about a Conn's %d", per, unsafe.Sizeof(Conn{}))
	}
	// AllocsPerRun runs conn once more than it is told, to warm up.
	if s := a.Stats(); s.DeliveredBytes != 211*900 || s.Tracked != 1 {
		t.Errorf("delivered %d bytes, tracking %d connections: the connections did not go as meant", s.DeliveredBytes, s.Tracked)
	}
}

// TestHistorySizedToNeed: the ring of unacknowledged bytes is as large as
// what is in flight, up to HistoryBytes, and goes when all is acknowledged;
// it still tells a retransmission with other bytes.
func TestHistorySizedToNeed(t *testing.T) {
	a := NewAssembler(nopHandler{}, Options{})
	cl, sv := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	var now int64 = 1e18
	pkt := func(fromClient bool, fl uint8, seq, ack uint32, data []byte) {
		p := pcap.Packet{Transport: pcap.TCP, Flags: fl, Seq: seq, Ack: ack, Window: 65535,
			Payload: data, PayloadLen: len(data), Time: now}
		p.Src, p.SrcPort, p.Dst, p.DstPort = cl, 40000, sv, 5060
		if !fromClient {
			p.Src, p.SrcPort, p.Dst, p.DstPort = sv, 5060, cl, 40000
		}
		now += 1e6
		a.Packet(&p)
	}
	ring := func() int {
		n := -1
		a.conns.each(func(c *conn) { n = len(c.half[Client].hist.buf) })
		return n
	}
	const c, s = 1000, 5000
	pkt(true, pcap.SYN, c, 0, nil)
	pkt(false, pcap.SYN|pcap.ACK, s, c+1, nil)
	pkt(true, pcap.ACK, c+1, s+1, nil)
	first := bytes.Repeat([]byte("INVITE "), 100)[:600]
	pkt(true, pcap.ACK|pcap.PSH, c+1, s+1, first)
	if n := ring(); n != 1024 {
		t.Errorf("600 bytes in flight: ring of %d, want 1024", n)
	}
	seq := uint32(c + 601)
	for range 5 {
		pkt(true, pcap.ACK, seq, s+1, make([]byte, 1000))
		seq += 1000
	}
	// The first bytes moved to a larger ring twice on the way: they are
	// still compared.
	pkt(true, pcap.ACK, c+1, s+1, first)
	if got := a.Stats().OverlapConflicts; got != 0 {
		t.Errorf("the same bytes again: %d conflicts, want none", got)
	}
	early := slices.Clone(first)
	early[599] = 'x'
	pkt(true, pcap.ACK, c+1, s+1, early)
	if got := a.Stats().OverlapConflicts; got != 1 {
		t.Errorf("%d conflicts, want 1", got)
	}
	for range 15 {
		pkt(true, pcap.ACK, seq, s+1, make([]byte, 1000))
		seq += 1000
	}
	if n := ring(); n != 16<<10 {
		t.Errorf("20600 bytes in flight: ring of %d, want %d", n, 16<<10)
	}
	bad := make([]byte, 1000)
	bad[0] = 1
	pkt(true, pcap.ACK, seq-1000, s+1, bad)
	if got := a.Stats().OverlapConflicts; got != 2 {
		t.Errorf("%d conflicts, want 2", got)
	}
	pkt(false, pcap.ACK, s+1, seq, nil)
	if n := ring(); n != 0 {
		t.Errorf("all acknowledged: ring of %d, want none", n)
	}
}

// TestClosedConnHoldsNothing: a connection that held data ahead of a hole
// keeps neither that data nor the array it was held in once it closes, so
// that the connections kept for reuse pin no memory; its sides are as a
// new connection's.
func TestClosedConnHoldsNothing(t *testing.T) {
	f := newFlow()
	f.c("S", 1000, 0, "")
	f.s("SA", 5000, 1001, "")
	f.c("A", 1001, 5001, "")
	f.c("PA", 1006, 5001, "world") // ahead of a hole: held
	f.c("PA", 1001, 5001, "hello")
	f.c("FA", 1011, 5001, "")
	f.s("FA", 5001, 1012, "")
	a := NewAssembler(nopHandler{}, Options{})
	for _, p := range f.pkts {
		a.Packet(p)
	}
	c := a.last
	if c == nil || !c.dead {
		t.Fatal("the connection did not close")
	}
	for s := range c.half {
		if h := &c.half[s]; h.heldBuf != nil || !reflect.DeepEqual(h.halfState, halfState{fin: -1}) {
			t.Errorf("side %d after close: heldBuf %d, state %+v", s, cap(h.heldBuf), h.halfState)
		}
	}
}
