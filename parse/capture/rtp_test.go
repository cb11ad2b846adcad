package capture

import (
	"math/rand"
	"net/netip"
	"testing"

	"github.com/ceiling-dev/ceiling/parse/pcap"
)

// countAt is count for a payload b from src to dst at time at.
func (m *mediaCounter) countAt(b []byte, src, dst netip.AddrPort, at int64) bool {
	return m.count(&pcap.Packet{Src: src.Addr(), Dst: dst.Addr(), SrcPort: src.Port(), DstPort: dst.Port(), Time: at, Payload: b})
}

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
		m.countAt(rtpPacket(0, 1), a, b, at)
		m.countAt(rtpPacket(0, 2), b, a, at)
		m.countAt(rtpPacket(8, 1+v4TableSize), a, b, at) // the same table slot as SSRC 1
	}
	if m.stats.RTPStreams != 3 || m.stats.RTPPackets != 300 {
		t.Fatalf("%+v, want 3 streams, 300 packets", m.stats)
	}
	// Silent for a minute, then back: a new stream by then.
	for i := 0; i < 600; i++ {
		at += 100e6
		m.countAt(rtpPacket(0, 2), b, a, at)
	}
	m.countAt(rtpPacket(0, 1), a, b, at)
	if m.stats.RTPStreams != 4 {
		t.Errorf("%d streams, want 4 (SSRC 1 came back after a minute)", m.stats.RTPStreams)
	}
	if n := m.v4.len() + m.other.len(); n != 2 {
		t.Errorf("%d streams remembered, want 2", n)
	}
	if !m.countAt([]byte{0x81, 200, 0, 6, 0, 0, 0, 1}, a, b, at) || m.stats.RTCPPackets != 1 {
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
		if m.countAt(x.b, x.src, x.dst, at) {
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
		m.countAt(pkts[i%len(pkts)], src, dst, int64(i)*10000)
	}
}

// refMediaCounter is the counter as it was before the IPv4 keys and the
// generic table: one map of full keys, looked up for every RTP packet.
// TestMediaCounterSame holds mediaCounter to it.
type refMediaCounter struct {
	stats MediaStats
	live  map[streamKey]int64
	swept int64
}

func (m *refMediaCounter) count(b []byte, src, dst netip.AddrPort, at int64) bool {
	rtp, rtcp := rtpShape(b, src.Port(), dst.Port())
	if rtcp {
		m.stats.RTCPPackets++
		return true
	}
	if !rtp {
		return false
	}
	m.stats.RTPPackets++
	if at-m.swept > 10e9 {
		m.swept = at
		for k, last := range m.live {
			if at-last > streamIdle {
				delete(m.live, k)
			}
		}
	}
	if m.live == nil {
		m.live = map[streamKey]int64{}
	}
	k := streamKey{src: src, dst: dst, ssrc: uint32(b[8])<<24 | uint32(b[9])<<16 | uint32(b[10])<<8 | uint32(b[11])}
	if last, ok := m.live[k]; !ok || at-last > streamIdle {
		m.stats.RTPStreams++
	}
	m.live[k] = at
	return true
}

// TestMediaCounterSame: random packets between a few IPv4 and IPv6 ends
// (an IPv4 address and the same one mapped into IPv6 are different ends),
// SSRCs that share table slots, silences past streamIdle and a clock that
// goes back at times; the counts are the plain map's.
func TestMediaCounterSame(t *testing.T) {
	ends := []netip.AddrPort{
		netip.MustParseAddrPort("10.0.0.1:20000"),
		netip.MustParseAddrPort("10.0.0.1:20002"),
		netip.MustParseAddrPort("10.0.0.2:20000"),
		netip.MustParseAddrPort("[::ffff:10.0.0.1]:20000"),
		netip.MustParseAddrPort("[2001:db8::1]:20000"),
		netip.MustParseAddrPort("[2001:db8::2]:40000"),
		netip.MustParseAddrPort("10.0.0.3:53"),
	}
	for seed := int64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewSource(seed))
		var m mediaCounter
		var ref refMediaCounter
		at := int64(0)
		for i := 0; i < 20000; i++ {
			switch r := rng.Intn(1000); {
			case r == 0:
				at += 35e9 // past streamIdle
			case r < 3:
				at += 25e9 + rng.Int63n(10e9) // about streamIdle
			case r < 6:
				at -= rng.Int63n(5e9)
			default:
				at += rng.Int63n(20e6)
			}
			ssrc := uint32(rng.Intn(8)) * v4TableSize / 2
			if rng.Intn(4) == 0 {
				ssrc = rng.Uint32()
			}
			b := rtpPacket([]byte{0, 8, 96, 50, 200}[rng.Intn(5)], ssrc)
			src, dst := ends[rng.Intn(len(ends))], ends[rng.Intn(len(ends))]
			if got, want := m.countAt(b, src, dst, at), ref.count(b, src, dst, at); got != want {
				t.Fatalf("seed %d packet %d: count %v, want %v", seed, i, got, want)
			}
			if m.stats != ref.stats {
				t.Fatalf("seed %d packet %d: %+v, want %+v", seed, i, m.stats, ref.stats)
			}
			if n := m.v4.len() + m.other.len(); n != len(ref.live) {
				t.Fatalf("seed %d packet %d: %d streams remembered, want %d", seed, i, n, len(ref.live))
			}
		}
		if m.stats != ref.stats {
			t.Errorf("seed %d: %+v, want %+v", seed, m.stats, ref.stats)
		}
	}
}
