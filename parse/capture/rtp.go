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

// streamTable keeps the streams heard from in the last streamIdle. Calls
// in progress are a few thousand streams, each sending every 20 ms: a
// stream is kept in a table indexed by its SSRC, in its slot, where a
// packet finds it with one load and no hash; only a stream whose slot
// another holds is kept in the map. A stream is in one of the two, never
// both: it can only be in its own slot, and moves there from the map when
// the slot comes free.
type streamTable[K comparable] struct {
	// table is made on first use. An empty slot's key is the zero K,
	// which no stream has (its ports are 1024 and up).
	table []stream[K]
	used  []uint32 // the slots in use, for sweep
	live  map[K]int64
}

// Table sizes: IPv4 streams are nearly all of them; the others' keys are
// five times larger and hold pointers, which the collector scans.
const (
	v4TableSize    = 16384
	otherTableSize = 1024
)

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
		// see, written out: most packets end here, and the call, with
		// its generic key, costs as much as the rest.
		t := &m.v4
		if t.table == nil {
			t.table = make([]stream[v4Key], v4TableSize)
		}
		slot := ssrc % v4TableSize
		if s := &t.table[slot]; s.key == k {
			if at-s.last > streamIdle {
				m.stats.RTPStreams++
			}
			s.last = at
		} else {
			t.seeAside(k, slot, at, &m.stats)
		}
	} else {
		m.other.see(streamKey{src: p.SrcAddrPort(), dst: p.DstAddrPort(), ssrc: ssrc}, ssrc%otherTableSize, otherTableSize, at, &m.stats)
	}
	return true
}

// see notes a packet of stream k, whose slot is slot of size, at time
// at, and counts the stream if it is new, or was silent for longer than
// streamIdle.
func (t *streamTable[K]) see(k K, slot uint32, size int, at int64, st *MediaStats) {
	if t.table == nil {
		t.table = make([]stream[K], size)
	}
	s := &t.table[slot]
	if s.key != k {
		t.seeAside(k, slot, at, st)
		return
	}
	if at-s.last > streamIdle {
		// Silent too long, not yet swept: a new stream all the same.
		st.RTPStreams++
	}
	s.last = at
}

// seeAside is see for a stream not in its slot: in the map, or new.
func (t *streamTable[K]) seeAside(k K, slot uint32, at int64, st *MediaStats) {
	last, ok := t.live[k]
	if !ok || at-last > streamIdle {
		st.RTPStreams++
	}
	var zero K
	if s := &t.table[slot]; s.key == zero {
		if ok {
			delete(t.live, k)
		}
		*s = stream[K]{key: k, last: at}
		t.used = append(t.used, slot)
		return
	}
	if t.live == nil {
		t.live = make(map[K]int64)
	}
	t.live[k] = at
}

// len is how many streams t remembers.
func (t *streamTable[K]) len() int { return len(t.used) + len(t.live) }

// sweep forgets the streams silent for longer than streamIdle.
func (m *mediaCounter) sweep(now int64) {
	m.swept = now
	m.v4.sweep(now)
	m.other.sweep(now)
}

func (t *streamTable[K]) sweep(now int64) {
	kept := t.used[:0]
	for _, i := range t.used {
		if s := &t.table[i]; now-s.last > streamIdle {
			*s = stream[K]{}
		} else {
			kept = append(kept, i)
		}
	}
	t.used = kept
	for k, last := range t.live {
		if now-last > streamIdle {
			delete(t.live, k)
		}
	}
}
