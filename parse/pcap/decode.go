package pcap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// The IP layers are wrapped so that the parser stops at a tunnel. Left to
// itself a DecodingLayerParser decodes IP-in-IP (and 6in4, 4in6) into the
// same layer value it used for the outer header, so the outer addresses
// would be lost. ceiling delivers the outer packet with Transport
// OtherTransport, as it does GRE and GTP. (ipv6Header, ceiling's own,
// stops there itself.)
type (
	ipv4Layer  struct{ layers.IPv4 }
	extLayer   struct{ layers.IPv6ExtensionSkipper }
	frag6Layer struct{ layers.IPv6Fragment }
)

func (l *ipv4Layer) NextLayerType() gopacket.LayerType { return noTunnel(l.IPv4.NextLayerType()) }
func (l *extLayer) NextLayerType() gopacket.LayerType {
	return noTunnel(l.IPv6ExtensionSkipper.NextLayerType())
}
func (l *frag6Layer) NextLayerType() gopacket.LayerType {
	return noTunnel(l.IPv6Fragment.NextLayerType())
}

func noTunnel(t gopacket.LayerType) gopacket.LayerType {
	if t == layers.LayerTypeIPv4 || t == layers.LayerTypeIPv6 {
		return gopacket.LayerTypePayload
	}
	return t
}

// decoder turns one IP packet into Packet fields. It owns the layer values
// its parsers decode into, so that nothing is allocated per packet: the
// layers keep their option slices between packets.
type decoder struct {
	ip4   ipv4Layer
	ip6   ipv6Header
	ext   extLayer
	frag6 frag6Layer
	udp   layers.UDP
	tcp   tcpHeader
	sctp  layers.SCTP

	layers gopacket.DecodingLayerSparse
	v4, v6 *gopacket.DecodingLayerParser
	// dgProto is the protocol of the last datagram decoded by datagram,
	// whose layers may all be unknown (a tunnel).
	dgProto uint8
	inner   map[gopacket.LayerType]*gopacket.DecodingLayerParser // for reassembled datagrams, by first layer
	decoded []gopacket.LayerType
	slow    bool // no udp4 fast path (for tests that compare the two)
}

func newDecoder() *decoder {
	d := &decoder{decoded: make([]gopacket.LayerType, 0, 8), inner: map[gopacket.LayerType]*gopacket.DecodingLayerParser{}}
	var c gopacket.DecodingLayerContainer = gopacket.DecodingLayerSparse(nil)
	// The skipper claims every extension header, the fragment header too;
	// the fragment layer is put after it to take that one back.
	for _, l := range []gopacket.DecodingLayer{&d.ip4, &d.ip6, &d.ext, &d.frag6, &d.udp, &d.tcp, &d.sctp} {
		c = c.Put(l)
	}
	d.layers = c.(gopacket.DecodingLayerSparse)
	d.v4 = d.parser(layers.LayerTypeIPv4)
	d.v6 = d.parser(layers.LayerTypeIPv6)
	return d
}

func (d *decoder) parser(first gopacket.LayerType) *gopacket.DecodingLayerParser {
	p := gopacket.NewDecodingLayerParser(first)
	p.SetDecodingLayerContainer(d.layers)
	// What lies above the transport (SIP, DNS, …) is for other packages;
	// the parser stops there without complaint.
	p.IgnoreUnsupported = true
	return p
}

// fragment is one IP fragment, handed to the reassembler.
type fragment struct {
	key  fragKey
	off  int  // byte offset of data in the datagram's payload
	more bool // more fragments follow
	data []byte
	wire int // the fragment's payload length on the wire; data is shorter when the snap length cut it
}

// ip decodes the IP packet in b (ether says which version the link layer
// announced) into p, or into f when it is a fragment of a larger datagram.
func (d *decoder) ip(ether uint16, b []byte, p *Packet, f *fragment) (isFragment bool, err error) {
	if len(b) == 0 {
		return false, fmt.Errorf("empty IP packet")
	}
	parser, want := d.v4, byte(4)
	if ether == etherIPv6 {
		parser, want = d.v6, 6
	}
	if v := b[0] >> 4; v != want {
		return false, fmt.Errorf("IP version %d where the link layer announced IPv%d", v, want)
	}
	if want == 4 && !d.slow && (d.udp4(b, p) || d.tcp4(b, p)) {
		return false, nil
	}
	err = parser.DecodeLayers(b, &d.decoded)
	if len(d.decoded) == 0 {
		return false, fmt.Errorf("bad IPv%d header: %v", want, err)
	}
	var wireEnd int // the IP packet's length on the wire, counted from b[0]
	if ether == etherIPv4 {
		ip := &d.ip4.IPv4
		p.Src = netip.AddrFrom4([4]byte(ip.SrcIP))
		p.Dst = netip.AddrFrom4([4]byte(ip.DstIP))
		wireEnd = int(ip.Length)
		if ip.Flags&layers.IPv4MoreFragments != 0 || ip.FragOffset != 0 {
			*f = fragment{
				key:  fragKey{src: p.Src, dst: p.Dst, id: uint32(ip.Id), proto: uint8(ip.Protocol)},
				off:  int(ip.FragOffset) * 8,
				more: ip.Flags&layers.IPv4MoreFragments != 0,
				data: ip.Payload,
				wire: wireEnd - int(ip.IHL)*4,
			}
			return true, nil
		}
	} else {
		ip := &d.ip6
		p.Src = netip.AddrFrom16([16]byte(ip.Src))
		p.Dst = netip.AddrFrom16([16]byte(ip.Dst))
		wireEnd = 40 + int(ip.Length)
		if last := d.decoded[len(d.decoded)-1]; last == layers.LayerTypeIPv6Fragment {
			fh := &d.frag6.IPv6Fragment
			if fh.FragmentOffset != 0 || fh.MoreFragments {
				*f = fragment{
					key:  fragKey{src: p.Src, dst: p.Dst, id: fh.Identification, proto: uint8(fh.NextHeader)},
					off:  int(fh.FragmentOffset) * 8,
					more: fh.MoreFragments,
					data: fh.Payload,
					wire: wireEnd - offsetIn(b, fh.Payload),
				}
				return true, nil
			}
		}
	}
	return false, d.transport(b, wireEnd, err, p)
}

// udp4 decodes the most common packet of all, UDP in IPv4 without
// options, not a fragment, neither cut nor padded oddly, as the layer
// parser would, without its calls through interfaces; it reports false
// for anything else, which the parser then decodes. RTP, most of an
// RTP-heavy capture, comes this way.
func (d *decoder) udp4(b []byte, p *Packet) bool {
	if len(b) < 28 || b[0] != 0x45 || b[9] != 17 || binary.BigEndian.Uint16(b[6:8])&0x3fff != 0 {
		return false
	}
	total := int(binary.BigEndian.Uint16(b[2:4]))
	if total < 28 || total > len(b) {
		return false
	}
	u := b[20:total]
	ulen := int(binary.BigEndian.Uint16(u[4:6]))
	switch {
	case ulen >= 8:
		d.udp.Payload = u[8:min(ulen, len(u))]
	case ulen == 0:
		d.udp.Payload = u[8:]
	default:
		return false
	}
	d.udp.SrcPort = layers.UDPPort(binary.BigEndian.Uint16(u[0:2]))
	d.udp.DstPort = layers.UDPPort(binary.BigEndian.Uint16(u[2:4]))
	d.udp.Length = uint16(ulen)
	d.decoded = append(d.decoded[:0], layers.LayerTypeIPv4, layers.LayerTypeUDP)
	p.Src = netip.AddrFrom4([4]byte(b[12:16]))
	p.Dst = netip.AddrFrom4([4]byte(b[16:20]))
	// transport cannot fail on a UDP layer.
	d.transport(b[:total], total, nil, p)
	return true
}

// tcp4 is udp4's counterpart for TCP in IPv4 without IP options, not a
// fragment, its header whole (options included) within the IP packet's
// length and the bytes there: the signalling that goes over TCP, and a
// tenth of an RTP-heavy capture.
func (d *decoder) tcp4(b []byte, p *Packet) bool {
	if len(b) < 40 || b[0] != 0x45 || b[9] != 6 || binary.BigEndian.Uint16(b[6:8])&0x3fff != 0 {
		return false
	}
	total := int(binary.BigEndian.Uint16(b[2:4]))
	if total < 40 || total > len(b) {
		return false
	}
	seg := b[20:total]
	hl := int(seg[12]>>4) * 4
	if hl < 20 || hl > len(seg) {
		return false
	}
	t := &d.tcp
	t.SrcPort = binary.BigEndian.Uint16(seg[0:2])
	t.DstPort = binary.BigEndian.Uint16(seg[2:4])
	t.Seq = binary.BigEndian.Uint32(seg[4:8])
	t.Ack = binary.BigEndian.Uint32(seg[8:12])
	t.Flags = seg[13]
	t.Window = binary.BigEndian.Uint16(seg[14:16])
	t.HeaderLen, t.OptionsCut = hl, false
	t.Contents, t.Payload = seg[:hl], seg[hl:]
	d.decoded = append(d.decoded[:0], layers.LayerTypeIPv4, layers.LayerTypeTCP)
	p.Src = netip.AddrFrom4([4]byte(b[12:16]))
	p.Dst = netip.AddrFrom4([4]byte(b[16:20]))
	d.transport(b[:total], total, nil, p)
	return true
}

// datagram decodes the transport header of an IP datagram's payload b,
// which starts with protocol proto: a datagram rebuilt from fragments, or
// the first fragment of one when the snap length cut it and it cannot be
// rebuilt. wire is b's length on the wire.
func (d *decoder) datagram(proto uint8, b []byte, wire int, p *Packet) error {
	d.dgProto = proto
	first := noTunnel(layers.IPProtocol(proto).LayerType())
	parser := d.inner[first]
	if parser == nil {
		if _, ok := d.layers.Decoder(first); !ok {
			d.decoded = d.decoded[:0]
			p.Transport, p.Payload, p.PayloadLen = OtherTransport, b, wire
			return nil
		}
		parser = d.parser(first)
		d.inner[first] = parser
	}
	err := parser.DecodeLayers(b, &d.decoded)
	if len(d.decoded) == 0 {
		if err == nil {
			err = errors.New("empty")
		}
		return fmt.Errorf("fragmented IP datagram: bad %v header: %v", first, err)
	}
	return d.transport(b, wire, err, p)
}

// transport fills p from the layers decoded after the IP header. wireEnd is
// where the IP packet ends on the wire, measured from b[0]; err is what the
// parser said.
func (d *decoder) transport(b []byte, wireEnd int, err error, p *Packet) error {
	last := d.decoded[len(d.decoded)-1]
	switch last {
	case layers.LayerTypeUDP:
		p.Transport = UDP
		p.SrcPort, p.DstPort = uint16(d.udp.SrcPort), uint16(d.udp.DstPort)
		p.Payload = d.udp.Payload
		if d.udp.Length >= 8 {
			p.PayloadLen = int(d.udp.Length) - 8
		} else {
			p.PayloadLen = wireEnd - offsetIn(b, d.udp.Payload)
		}
	case layers.LayerTypeTCP:
		t := &d.tcp
		p.Transport = TCP
		p.SrcPort, p.DstPort = t.SrcPort, t.DstPort
		p.Seq, p.Ack, p.Window, p.Flags = t.Seq, t.Ack, t.Window, t.Flags
		p.Payload = t.Payload
		p.PayloadLen = wireEnd - offsetIn(b, t.Contents) - t.HeaderLen
	case layers.LayerTypeSCTP:
		p.Transport = SCTP
		p.SrcPort, p.DstPort = uint16(d.sctp.SrcPort), uint16(d.sctp.DstPort)
		p.Payload = d.sctp.Payload
		p.PayloadLen = wireEnd - offsetIn(b, d.sctp.Payload)
	default:
		if err != nil {
			return err
		}
		// The parser stops without a word when a layer's payload is
		// empty, so a transport header that should follow and does not is
		// found here: the snap length cut the packet, or it lies.
		if want := d.nextOf(last); want == layers.LayerTypeUDP || want == layers.LayerTypeTCP || want == layers.LayerTypeSCTP {
			if len(b) < wireEnd {
				return fmt.Errorf("%v header cut off by the capture's snap length", want)
			}
			return fmt.Errorf("%v header missing: the packet ends before it", want)
		}
		p.Transport = OtherTransport
		pl := d.payloadOf(last)
		p.Payload = pl
		p.PayloadLen = wireEnd - offsetIn(b, pl)
	}
	if p.PayloadLen < 0 {
		p.PayloadLen = 0
	}
	if p.PayloadLen < len(p.Payload) {
		// A UDP length shorter than the datagram: believe the header, as
		// tshark does, and leave the rest (padding) out.
		p.Payload = p.Payload[:p.PayloadLen]
	}
	return nil
}

// proto is the IP protocol number the last decoded IP header (or
// extension header) announced: what Payload holds for an OtherTransport
// packet.
func (d *decoder) proto() uint8 {
	if len(d.decoded) == 0 {
		return d.dgProto
	}
	switch d.decoded[len(d.decoded)-1] {
	case layers.LayerTypeIPv4:
		return uint8(d.ip4.Protocol)
	case layers.LayerTypeIPv6:
		return uint8(d.ip6.NextHeader)
	case layers.LayerTypeIPv6Fragment:
		return uint8(d.frag6.NextHeader)
	default:
		if l, ok := d.layers.Decoder(d.decoded[len(d.decoded)-1]); ok && l == &d.ext {
			return uint8(d.ext.NextHeader)
		}
	}
	return 0
}

func (d *decoder) nextOf(t gopacket.LayerType) gopacket.LayerType {
	if l, ok := d.layers.Decoder(t); ok {
		return l.NextLayerType()
	}
	return gopacket.LayerTypeZero
}

func (d *decoder) payloadOf(t gopacket.LayerType) []byte {
	if l, ok := d.layers.Decoder(t); ok {
		return l.LayerPayload()
	}
	return nil
}

// offsetIn is where s starts in b, for s a slice of b's tail: the layers
// hand out sub-slices of the bytes they were given, and the capacity left
// says how far in they start.
func offsetIn(b, s []byte) int {
	if s == nil {
		return len(b)
	}
	return cap(b) - cap(s)
}
