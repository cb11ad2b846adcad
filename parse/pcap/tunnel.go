package pcap

import (
	"encoding/binary"

	"github.com/gopacket/gopacket/layers"
)

// Tunnels are opened so that what they carry is analysed as if captured
// inside: an SBC's traffic mirrored over ERSPAN, a mobile core's SIP in
// GTP-U, IP-in-IP between sites. The packet is delivered with the innermost
// addresses and ports; Packet.Tunnel names the outermost encapsulation.
const maxTunnelDepth = 4

// Ports of the UDP tunnels ceiling opens.
const (
	portGTPU  = 2152
	portVXLAN = 4789
)

// tunnelOf looks at a decoded packet for an encapsulation it knows and
// returns what is inside: the inner EtherType (IPv4 or IPv6) and bytes, or
// kind "" when there is no tunnel, or the tunnel carries something other
// than IP (a GTP-U echo, ERSPAN of an ARP).
func tunnelOf(p *Packet, proto uint8) (ether uint16, inner []byte, kind string) {
	switch p.Transport {
	case OtherTransport:
		switch proto {
		case uint8(layers.IPProtocolIPv4):
			return etherIPv4, p.Payload, "ipip"
		case uint8(layers.IPProtocolIPv6):
			return etherIPv6, p.Payload, "ip6ip"
		case uint8(layers.IPProtocolGRE):
			return gre(p.Payload)
		}
	case UDP:
		switch {
		case p.DstPort == portGTPU || p.SrcPort == portGTPU:
			return gtpu(p.Payload)
		case p.DstPort == portVXLAN:
			// VXLAN: 8 bytes, the I flag set, then an Ethernet frame.
			b := p.Payload
			if len(b) < 8 || b[0]&0x08 == 0 {
				return 0, nil, ""
			}
			e, ip, err := ethernet(b[8:])
			if err != nil || (e != etherIPv4 && e != etherIPv6) {
				return 0, nil, ""
			}
			return e, ip, "vxlan"
		}
	}
	return 0, nil, ""
}

// gre opens a GRE header (RFC 2784, 2890) and what ERSPAN (types I, II,
// III) puts after it.
func gre(b []byte) (uint16, []byte, string) {
	if len(b) < 4 {
		return 0, nil, ""
	}
	flags, ver := b[0], b[1]&0x07
	if ver != 0 || flags&0x40 != 0 {
		// Version 1 is PPTP's enhanced GRE, not IP; source routing is
		// obsolete and not worth the parsing.
		return 0, nil, ""
	}
	proto := binary.BigEndian.Uint16(b[2:4])
	n := 4
	if flags&0x80 != 0 { // checksum present (with the reserved word)
		n += 4
	}
	if flags&0x20 != 0 { // key
		n += 4
	}
	seq := flags&0x10 != 0
	if seq {
		n += 4
	}
	if len(b) < n {
		return 0, nil, ""
	}
	b = b[n:]
	var frame []byte
	kind := "gre"
	switch proto {
	case etherIPv4, etherIPv6:
		return proto, b, kind
	case 0x6558: // transparent Ethernet bridging
		frame = b
	case 0x88be: // ERSPAN type II has a sequence number and an 8-byte header; type I has neither
		kind = "gre/erspan"
		if seq {
			if len(b) < 8 {
				return 0, nil, ""
			}
			b = b[8:]
		}
		frame = b
	case 0x22eb: // ERSPAN type III: 12 bytes, and 8 more when the O flag says a platform sub-header follows
		kind = "gre/erspan"
		if len(b) < 12 {
			return 0, nil, ""
		}
		skip := 12
		if b[11]&0x01 != 0 {
			skip += 8
		}
		if len(b) < skip {
			return 0, nil, ""
		}
		frame = b[skip:]
	default:
		return 0, nil, ""
	}
	e, ip, err := ethernet(frame)
	if err != nil || (e != etherIPv4 && e != etherIPv6) {
		return 0, nil, ""
	}
	return e, ip, kind
}

// gtpu opens a GTPv1-U G-PDU (3GPP TS 29.281): an 8-byte header, 4 more
// when any of the E, S, PN flags is set, then extension headers, then the
// user's IP packet.
func gtpu(b []byte) (uint16, []byte, string) {
	if len(b) < 8 {
		return 0, nil, ""
	}
	flags, msgType := b[0], b[1]
	if flags>>5 != 1 || flags&0x10 == 0 || msgType != 0xff {
		return 0, nil, "" // not GTPv1, GTP' , or not a G-PDU (echo, error indication…)
	}
	n := 8
	if flags&0x07 != 0 {
		if len(b) < 12 {
			return 0, nil, ""
		}
		next := b[11]
		n = 12
		for flags&0x04 != 0 && next != 0 {
			// Extension headers: a length in 4-byte units, the last byte
			// names the next one.
			if len(b) < n+1 || b[n] == 0 {
				return 0, nil, ""
			}
			l := int(b[n]) * 4
			if len(b) < n+l {
				return 0, nil, ""
			}
			next = b[n+l-1]
			n += l
		}
	}
	ip := b[n:]
	if e := rawVersion(ip); e != 0 {
		return e, ip, "gtp-u"
	}
	return 0, nil, ""
}
