package tcp

import (
	"net/netip"
	"runtime"
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
