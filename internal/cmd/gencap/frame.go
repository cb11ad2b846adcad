package main

import "encoding/binary"

// host is one machine on the captured link.
type host struct {
	mac  [6]byte
	ip   [4]byte
	ipID uint16
	// tsBase offsets the host's TCP timestamp clock (ms), as a real
	// kernel's is.
	tsBase uint32
}

// The link the capture sees: the edge's own interface. Packets from the
// load generator come through the router, so they carry its MAC.
var (
	routerMAC = [6]byte{0x00, 0x1c, 0x73, 0x0a, 0x14, 0x01}
	edgeMAC   = [6]byte{0x52, 0x54, 0x00, 0x14, 0x00, 0x0a}
	eventsMAC = [6]byte{0x52, 0x54, 0x00, 0x14, 0x00, 0x14}
)

const (
	ethLen   = 14
	ipv4Len  = 20
	udpLen   = 8
	protoTCP = 6
	protoUDP = 17

	tcpFIN = 0x01
	tcpSYN = 0x02
	tcpRST = 0x04
	tcpPSH = 0x08
	tcpACK = 0x10

	// DSCP as SIP and RTP are usually marked: CS3 for signalling, EF for
	// voice.
	tosSignalling = 0x60
	tosVoice      = 0xb8
)

// frames builds Ethernet/IPv4/UDP|TCP frames into one reused buffer, with
// correct lengths and checksums.
type frames struct {
	buf [ethLen + ipv4Len + 60 + 65536]byte
}

func (f *frames) ip(src, dst *host, proto byte, tos byte, l4 int) []byte {
	b := f.buf[:ethLen+ipv4Len+l4]
	copy(b[0:6], dst.mac[:])
	copy(b[6:12], src.mac[:])
	b[12], b[13] = 0x08, 0x00
	ip := b[ethLen : ethLen+ipv4Len]
	ip[0] = 0x45
	ip[1] = tos
	binary.BigEndian.PutUint16(ip[2:], uint16(ipv4Len+l4))
	src.ipID++
	binary.BigEndian.PutUint16(ip[4:], src.ipID)
	ip[6], ip[7] = 0x40, 0 // DF
	ip[8] = 64
	ip[9] = proto
	ip[10], ip[11] = 0, 0
	copy(ip[12:16], src.ip[:])
	copy(ip[16:20], dst.ip[:])
	binary.BigEndian.PutUint16(ip[10:], fold(sum(ip, 0)))
	return b
}

// udp returns a UDP datagram's frame.
func (f *frames) udp(src, dst *host, sport, dport uint16, tos byte, payload []byte) []byte {
	n := udpLen + len(payload)
	b := f.ip(src, dst, protoUDP, tos, n)
	u := b[ethLen+ipv4Len:]
	binary.BigEndian.PutUint16(u[0:], sport)
	binary.BigEndian.PutUint16(u[2:], dport)
	binary.BigEndian.PutUint16(u[4:], uint16(n))
	u[6], u[7] = 0, 0
	copy(u[udpLen:], payload)
	c := fold(sum(u, pseudo(src, dst, protoUDP, n)))
	if c == 0 {
		c = 0xffff
	}
	binary.BigEndian.PutUint16(u[6:], c)
	return b
}

// tcp returns a TCP segment's frame. opts must be a multiple of 4 bytes.
func (f *frames) tcp(src, dst *host, sport, dport uint16, seq, ack uint32, flags byte, win uint16, opts, payload []byte) []byte {
	hl := 20 + len(opts)
	n := hl + len(payload)
	b := f.ip(src, dst, protoTCP, tosSignalling, n)
	t := b[ethLen+ipv4Len:]
	binary.BigEndian.PutUint16(t[0:], sport)
	binary.BigEndian.PutUint16(t[2:], dport)
	binary.BigEndian.PutUint32(t[4:], seq)
	binary.BigEndian.PutUint32(t[8:], ack)
	t[12] = byte(hl/4) << 4
	t[13] = flags
	binary.BigEndian.PutUint16(t[14:], win)
	t[16], t[17], t[18], t[19] = 0, 0, 0, 0
	copy(t[20:], opts)
	copy(t[hl:], payload)
	binary.BigEndian.PutUint16(t[16:], fold(sum(t, pseudo(src, dst, protoTCP, n))))
	return b
}

func pseudo(src, dst *host, proto byte, n int) uint64 {
	return uint64(binary.BigEndian.Uint16(src.ip[0:])) + uint64(binary.BigEndian.Uint16(src.ip[2:])) +
		uint64(binary.BigEndian.Uint16(dst.ip[0:])) + uint64(binary.BigEndian.Uint16(dst.ip[2:])) +
		uint64(proto) + uint64(n)
}

// sum adds b to a ones'-complement accumulator, eight bytes at a time:
// 32-bit words summed in 64 bits fold to the same 16-bit sum (2^16 ≡ 1
// modulo 0xffff).
func sum(b []byte, acc uint64) uint64 {
	for len(b) >= 32 {
		v0 := binary.BigEndian.Uint64(b)
		v1 := binary.BigEndian.Uint64(b[8:])
		v2 := binary.BigEndian.Uint64(b[16:])
		v3 := binary.BigEndian.Uint64(b[24:])
		acc += v0>>32 + v0&0xffffffff + v1>>32 + v1&0xffffffff +
			v2>>32 + v2&0xffffffff + v3>>32 + v3&0xffffffff
		b = b[32:]
	}
	for len(b) >= 4 {
		acc += uint64(binary.BigEndian.Uint32(b))
		b = b[4:]
	}
	if len(b) >= 2 {
		acc += uint64(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		acc += uint64(b[0]) << 8
	}
	return acc
}

func fold(acc uint64) uint16 {
	for acc>>16 != 0 {
		acc = acc&0xffff + acc>>16
	}
	return ^uint16(acc)
}
