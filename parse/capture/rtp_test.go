package capture

import (
	"net/netip"
	"testing"
)

func rtpPacket(pt byte, ssrc uint32) []byte {
	b := make([]byte, 172)
	b[0], b[1] = 0x80, pt
	b[8], b[9], b[10], b[11] = byte(ssrc>>24), byte(ssrc>>16), byte(ssrc>>8), byte(ssrc)
	return b
}

// TestMediaCounter: streams by source, destination and SSRC, through the
// SSRC table and its collisions; a stream silent past streamIdle counts
// again; RTCP apart; what is not RTP is left alone.
func TestMediaCounter(t *testing.T) {
	a := netip.MustParseAddrPort("10.0.0.1:20000")
	b := netip.MustParseAddrPort("10.0.0.2:30000")
	dns := netip.MustParseAddrPort("10.0.0.3:53")
	var m mediaCounter
	at := int64(0)
	for i := 0; i < 100; i++ {
		at += 20e6
		m.count(rtpPacket(0, 1), a, b, at)
		m.count(rtpPacket(0, 2), b, a, at)
		m.count(rtpPacket(8, 1+4096), a, b, at) // the same table slot as SSRC 1
	}
	if m.stats.RTPStreams != 3 || m.stats.RTPPackets != 300 {
		t.Fatalf("%+v, want 3 streams, 300 packets", m.stats)
	}
	// Silent for a minute, then back: a new stream by then.
	for i := 0; i < 600; i++ {
		at += 100e6
		m.count(rtpPacket(0, 2), b, a, at)
	}
	m.count(rtpPacket(0, 1), a, b, at)
	if m.stats.RTPStreams != 4 {
		t.Errorf("%d streams, want 4 (SSRC 1 came back after a minute)", m.stats.RTPStreams)
	}
	if len(m.live) != 2 {
		t.Errorf("%d streams remembered, want 2", len(m.live))
	}
	if !m.count([]byte{0x81, 200, 0, 6, 0, 0, 0, 1}, a, b, at) || m.stats.RTCPPackets != 1 {
		t.Errorf("RTCP sender report not counted: %+v", m.stats)
	}
	for _, x := range []struct {
		b        []byte
		src, dst netip.AddrPort
	}{
		{rtpPacket(0, 9), dns, b},    // a privileged port
		{rtpPacket(50, 9), a, b},     // an unassigned payload type
		{rtpPacket(0, 9)[:11], a, b}, // shorter than the fixed header
		{[]byte("\x40\x00 not version 2"), a, b},
	} {
		if m.count(x.b, x.src, x.dst, at) {
			t.Errorf("% x from %v taken for RTP", x.b[:4], x.src)
		}
	}
}

// BenchmarkMediaCounter: one RTP packet of 2,000 streams in progress.
func BenchmarkMediaCounter(b *testing.B) {
	var m mediaCounter
	pkts := make([][]byte, 2000)
	for i := range pkts {
		pkts[i] = rtpPacket(0, uint32(i)*2654435761)
	}
	src := netip.MustParseAddrPort("10.0.0.1:20000")
	dst := netip.MustParseAddrPort("10.0.0.2:30000")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		m.count(pkts[i%len(pkts)], src, dst, int64(i)*10000)
	}
}
