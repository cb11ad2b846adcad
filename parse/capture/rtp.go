package capture

import (
	"encoding/binary"
	"net/netip"

	"github.com/ceiling-dev/ceiling/parse/pcap"
)

// Media is most of a capture's packets in a load test with calls up
// (90% of them on a spike with media). They are recognised from their
// first two bytes and counted, per packet and per stream, and go no
// further: nothing in a verdict depends on them, but a report that says
// "3.6 M RTP packets in 90 k streams" tells the reader the media was
// there and was not taken for something else.

// MediaStats counts RTP and RTCP (RFC 3550) seen over UDP.
type MediaStats struct {
	RTPPackets  int64
	RTPStreams  int64 // distinct (source, destination, SSRC); a stream silent for streamIdle counts again
	RTCPPackets int64
}

// streamIdle is how long a stream may be silent and still be the same
// stream; streams silent longer are forgotten, which bounds the memory to
// the streams of the calls in progress.
const streamIdle = 30e9

// streamKey is a stream's key in general: the key of a stream of any
// address family.
type streamKey struct {
	src, dst netip.AddrPort
	ssrc     uint32
}

// v4Key is the key of a stream between two IPv4 ends, nearly every one:
// the same key as a streamKey (two IPv4 AddrPorts are equal exactly when
// their addresses and ports are) in 16 bytes, compared in two words,
// where a streamKey is 72 bytes and compared field by field.
type v4Key struct {
	addrs uint64 // source address, then destination
	ports uint32 // source port, then destination
	ssrc  uint32
}

type stream[K comparable] struct {
	key  K
	last int64
}

// streamTable keeps the streams heard from in the last streamIdle. A
// packet is looked up in a small table indexed by its SSRC before the
// map: calls in progress are a few thousand streams, each sending every
// 20 ms.
type streamTable[K comparable] struct {
	table [16384]*stream[K]
	live  map[K]*stream[K]
}

// mediaCounter counts the RTP and RTCP packets and the RTP streams.
type mediaCounter struct {
	stats MediaStats
	v4    streamTable[v4Key]
	other streamTable[streamKey]
	swept int64
}

// rtpShape tells an RTP or RTCP packet by its header: version 2, and for
// RTCP a packet type of 200 to 206 (RFC 5761's demultiplexing rule),
// between unprivileged ports.
// The caller has already found it is not SIP.
func rtpShape(b []byte, src, dst uint16) (rtp, rtcp bool) {
	// Media runs between unprivileged ports; below 1024 are NetBIOS, DNS,
	// SNMP and the like, whose first bits are as likely to read "2".
	if len(b) < 8 || b[0]>>6 != 2 || src < 1024 || dst < 1024 {
		return false, false
	}
	if b[1] >= 200 && b[1] <= 206 {
		return false, true
	}
	// RFC 3551's static payload types (0-34) and the dynamic range
	// (96-127); the rest are unassigned.
	pt := b[1] & 0x7f
	return len(b) >= 12 && (pt <= 34 || pt >= 96), false
}

// count takes the payload of one UDP packet that is not SIP and reports
// whether it was RTP or RTCP. It takes the packet, not its ends as
// AddrPorts: two of those passed by value cost more than the counting.
func (m *mediaCounter) count(p *pcap.Packet) bool {
	b := p.Payload
	rtp, rtcp := rtpShape(b, p.SrcPort, p.DstPort)
	if rtcp {
		m.stats.RTCPPackets++
		return true
	}
	if !rtp {
		return false
	}
	m.stats.RTPPackets++
	at := p.Time
	if at-m.swept > 10e9 {
		m.sweep(at)
	}
	ssrc := binary.BigEndian.Uint32(b[8:12])
	if p.Src.Is4() && p.Dst.Is4() {
		s4, d4 := p.Src.As4(), p.Dst.As4()
		k := v4Key{
			addrs: uint64(binary.BigEndian.Uint32(s4[:]))<<32 | uint64(binary.BigEndian.Uint32(d4[:])),
			ports: uint32(p.SrcPort)<<16 | uint32(p.DstPort),
			ssrc:  ssrc,
		}
		m.v4.see(k, ssrc, at, &m.stats)
	} else {
		m.other.see(streamKey{src: p.SrcAddrPort(), dst: p.DstAddrPort(), ssrc: ssrc}, ssrc, at, &m.stats)
	}
	return true
}

// see notes a packet of stream k at time at, and counts the stream if it
// is new, or was silent for longer than streamIdle.
func (t *streamTable[K]) see(k K, ssrc uint32, at int64, st *MediaStats) {
	slot := &t.table[ssrc%uint32(len(t.table))]
	s := *slot
	if s == nil || s.key != k {
		if t.live == nil {
			t.live = make(map[K]*stream[K])
		}
		if s = t.live[k]; s == nil {
			s = &stream[K]{key: k, last: at}
			t.live[k] = s
			st.RTPStreams++
		}
		*slot = s
	}
	if at-s.last > streamIdle {
		// Silent too long, not yet swept: a new stream all the same.
		st.RTPStreams++
	}
	s.last = at
}

// sweep forgets the streams silent for longer than streamIdle.
func (m *mediaCounter) sweep(now int64) {
	m.swept = now
	m.v4.sweep(now, func(k *v4Key) uint32 { return k.ssrc })
	m.other.sweep(now, func(k *streamKey) uint32 { return k.ssrc })
}

func (t *streamTable[K]) sweep(now int64, ssrc func(*K) uint32) {
	for k, s := range t.live {
		if now-s.last > streamIdle {
			delete(t.live, k)
			if slot := &t.table[ssrc(&k)%uint32(len(t.table))]; *slot == s {
				*slot = nil
			}
		}
	}
}
