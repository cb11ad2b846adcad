package pcap

import (
	"encoding/binary"
	"net/netip"
)

// Hand-built captures for the tests: byte by byte, so that they can be
// broken in exactly the way a test wants.

// pcapFile builds a little-endian, microsecond pcap file.
type pcapFile struct{ b []byte }

func newPcap(link uint32, snaplen uint32) *pcapFile {
	h := make([]byte, 24)
	binary.LittleEndian.PutUint32(h[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(h[4:], 2)
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[16:], snaplen)
	binary.LittleEndian.PutUint32(h[20:], link)
	return &pcapFile{h}
}

// add appends a record; caplen and wire default to len(data) when zero.
func (f *pcapFile) add(usec int64, data []byte) *pcapFile {
	return f.addLen(usec, data, uint32(len(data)), uint32(len(data)))
}

func (f *pcapFile) addLen(usec int64, data []byte, caplen, wire uint32) *pcapFile {
	h := make([]byte, 16)
	binary.LittleEndian.PutUint32(h[0:], uint32(usec/1e6))
	binary.LittleEndian.PutUint32(h[4:], uint32(usec%1e6))
	binary.LittleEndian.PutUint32(h[8:], caplen)
	binary.LittleEndian.PutUint32(h[12:], wire)
	f.b = append(append(f.b, h...), data...)
	return f
}

// ngFile builds a little-endian pcapng file.
type ngFile struct{ b []byte }

func newNg() *ngFile {
	body := make([]byte, 16)
	binary.LittleEndian.PutUint32(body[0:], 0x1a2b3c4d)
	binary.LittleEndian.PutUint16(body[4:], 1)
	binary.LittleEndian.PutUint16(body[6:], 0)
	binary.LittleEndian.PutUint64(body[8:], ^uint64(0))
	f := &ngFile{}
	f.block(0x0a0d0d0a, body)
	return f
}

func (f *ngFile) block(typ uint32, body []byte) *ngFile {
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	n := uint32(12 + len(body))
	var h [8]byte
	binary.LittleEndian.PutUint32(h[0:], typ)
	binary.LittleEndian.PutUint32(h[4:], n)
	f.b = append(f.b, h[:]...)
	f.b = append(f.b, body...)
	f.b = binary.LittleEndian.AppendUint32(f.b, n)
	return f
}

// iface adds an interface block; tsresol 0 leaves the default (µs).
func (f *ngFile) iface(link uint16, tsresol byte) *ngFile {
	body := make([]byte, 8)
	binary.LittleEndian.PutUint16(body[0:], link)
	binary.LittleEndian.PutUint32(body[4:], 262144)
	if tsresol != 0 {
		body = append(body, 9, 0, 1, 0, tsresol, 0, 0, 0) // if_tsresol
		body = append(body, 0, 0, 0, 0)                   // opt_endofopt
	}
	return f.block(1, body)
}

// packet adds an enhanced packet block with timestamp ts in the
// interface's units.
func (f *ngFile) packet(ifc uint32, ts uint64, data []byte) *ngFile {
	return f.packetLen(ifc, ts, data, uint32(len(data)), uint32(len(data)))
}

func (f *ngFile) packetLen(ifc uint32, ts uint64, data []byte, caplen, wire uint32) *ngFile {
	body := make([]byte, 20)
	binary.LittleEndian.PutUint32(body[0:], ifc)
	binary.LittleEndian.PutUint32(body[4:], uint32(ts>>32))
	binary.LittleEndian.PutUint32(body[8:], uint32(ts))
	binary.LittleEndian.PutUint32(body[12:], caplen)
	binary.LittleEndian.PutUint32(body[16:], wire)
	return f.block(6, append(body, data...))
}

// Frames. Addresses are IPv4 or IPv6 as given; checksums are left zero,
// which the reader does not look at.

func ether(typ uint16, payload []byte) []byte {
	b := make([]byte, 14, 14+len(payload))
	copy(b[0:6], []byte{2, 0, 0, 0, 0, 2})
	copy(b[6:12], []byte{2, 0, 0, 0, 0, 1})
	binary.BigEndian.PutUint16(b[12:], typ)
	return append(b, payload...)
}

func udpSeg(sport, dport uint16, payload []byte) []byte {
	b := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint16(b[0:], sport)
	binary.BigEndian.PutUint16(b[2:], dport)
	binary.BigEndian.PutUint16(b[4:], uint16(8+len(payload)))
	return append(b, payload...)
}

func tcpSeg(sport, dport uint16, seq, ack uint32, flags uint8, payload []byte) []byte {
	b := make([]byte, 20, 20+len(payload))
	binary.BigEndian.PutUint16(b[0:], sport)
	binary.BigEndian.PutUint16(b[2:], dport)
	binary.BigEndian.PutUint32(b[4:], seq)
	binary.BigEndian.PutUint32(b[8:], ack)
	b[12] = 5 << 4
	b[13] = flags
	binary.BigEndian.PutUint16(b[14:], 65535)
	return append(b, payload...)
}

// ipv4 builds an IPv4 header around payload (a transport segment or a
// piece of one). off is in bytes and must be a multiple of 8.
func ipv4(src, dst string, proto uint8, id uint16, off int, more bool, payload []byte) []byte {
	b := make([]byte, 20, 20+len(payload))
	b[0] = 0x45
	binary.BigEndian.PutUint16(b[2:], uint16(20+len(payload)))
	binary.BigEndian.PutUint16(b[4:], id)
	ff := uint16(off / 8)
	if more {
		ff |= 0x2000
	}
	binary.BigEndian.PutUint16(b[6:], ff)
	b[8] = 64
	b[9] = proto
	s, d := netip.MustParseAddr(src).As4(), netip.MustParseAddr(dst).As4()
	copy(b[12:], s[:])
	copy(b[16:], d[:])
	return append(b, payload...)
}

// ipv6 builds an IPv6 header; with frag set, a fragment header follows it.
func ipv6(src, dst string, next uint8, payload []byte) []byte {
	b := make([]byte, 40, 40+len(payload))
	b[0] = 0x60
	binary.BigEndian.PutUint16(b[4:], uint16(len(payload)))
	b[6] = next
	b[7] = 64
	s, d := netip.MustParseAddr(src).As16(), netip.MustParseAddr(dst).As16()
	copy(b[8:], s[:])
	copy(b[24:], d[:])
	return append(b, payload...)
}

func frag6(next uint8, id uint32, off int, more bool, payload []byte) []byte {
	b := make([]byte, 8, 8+len(payload))
	b[0] = next
	fo := uint16(off/8) << 3
	if more {
		fo |= 1
	}
	binary.BigEndian.PutUint16(b[2:], fo)
	binary.BigEndian.PutUint32(b[4:], id)
	return append(b, payload...)
}

// ext6 is an IPv6 extension header (hop-by-hop, routing, destination) of
// 8 bytes carrying only padding.
func ext6(next uint8, payload []byte) []byte {
	b := []byte{next, 0, 1, 4, 0, 0, 0, 0} // PadN of 4
	return append(b, payload...)
}
