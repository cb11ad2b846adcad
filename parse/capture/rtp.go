package capture

import "net/netip"

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

type streamKey struct {
	src, dst netip.AddrPort
	ssrc     uint32
}

// is compares the SSRC first, which tells a stream from another in its
// table slot at once, and then field by field: == on the whole key is a
// call to the compiler's generated equality, on every RTP packet.
func (k *streamKey) is(o *streamKey) bool {
	return k.ssrc == o.ssrc && k.src == o.src && k.dst == o.dst
}

type stream struct {
	key  streamKey
	last int64
}

// mediaCounter keeps the streams heard from in the last streamIdle. A
// packet is looked up in a small table indexed by its SSRC before the
// map: calls in progress are a few thousand streams, each sending every
// 20 ms.
type mediaCounter struct {
	stats MediaStats
	table [4096]*stream
	live  map[streamKey]*stream
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

// count takes one UDP payload that is not SIP and reports whether it was
// RTP or RTCP.
func (m *mediaCounter) count(b []byte, src, dst netip.AddrPort, at int64) bool {
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
		m.sweep(at)
	}
	k := streamKey{src: src, dst: dst, ssrc: uint32(b[8])<<24 | uint32(b[9])<<16 | uint32(b[10])<<8 | uint32(b[11])}
	slot := &m.table[k.ssrc%uint32(len(m.table))]
	s := *slot
	if s == nil || !s.key.is(&k) {
		if m.live == nil {
			m.live = make(map[streamKey]*stream)
		}
		if s = m.live[k]; s == nil {
			s = &stream{key: k, last: at}
			m.live[k] = s
			m.stats.RTPStreams++
		}
		*slot = s
	}
	if at-s.last > streamIdle {
		// Silent too long, not yet swept: a new stream all the same.
		m.stats.RTPStreams++
	}
	s.last = at
	return true
}

// sweep forgets the streams silent for longer than streamIdle.
func (m *mediaCounter) sweep(now int64) {
	m.swept = now
	for k, s := range m.live {
		if now-s.last > streamIdle {
			delete(m.live, k)
			if slot := &m.table[k.ssrc%uint32(len(m.table))]; *slot == s {
				*slot = nil
			}
		}
	}
}
