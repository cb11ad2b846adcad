package pcap

import (
	"encoding/binary"
	"fmt"
)

// Link types ceiling decodes, by their LINKTYPE_ number (the value in a
// pcap file header or a pcapng interface block).
const (
	linkNull     = 0   // BSD loopback: 4-byte address family in the writer's byte order
	linkEthernet = 1   //
	linkRawBSD   = 12  // DLT_RAW as most BSDs and old libpcap wrote it
	linkRawOBSD  = 14  // DLT_RAW on OpenBSD
	linkRaw      = 101 // LINKTYPE_RAW: IPv4 or IPv6, told by the version nibble
	linkLoop     = 108 // OpenBSD loopback: address family in network byte order
	linkSLL      = 113 // Linux cooked capture v1 (tcpdump -i any before libpcap 1.10)
	linkIPv4     = 228
	linkIPv6     = 229
	linkSLL2     = 276 // Linux cooked capture v2 (tcpdump -i any since libpcap 1.10)
)

// linkName is the name Stats.LinkTypes counts a link type under: the
// words Wireshark's capinfos uses, so that the two can be compared.
func linkName(lt uint16) string {
	switch lt {
	case linkNull:
		return "BSD loopback"
	case linkEthernet:
		return "Ethernet"
	case linkRawBSD, linkRawOBSD, linkRaw:
		return "Raw IP"
	case linkLoop:
		return "OpenBSD loopback"
	case linkSLL:
		return "Linux SLL"
	case linkIPv4:
		return "Raw IPv4"
	case linkIPv6:
		return "Raw IPv6"
	case linkSLL2:
		return "Linux SLL2"
	}
	return fmt.Sprintf("link type %d", lt)
}

const (
	etherIPv4 = 0x0800
	etherIPv6 = 0x86dd
)

// maxVLANTags bounds the tag stack we walk. Real networks stack two (QinQ),
// test traces three; a frame of nothing but tags is not worth following.
const maxVLANTags = 8

// linkError is a frame too short for, or inconsistent with, its link header.
// It is a value type so that returning one does not allocate.
type linkError struct {
	what string
	n    int
}

func (e linkError) Error() string {
	if e.n > 0 {
		return fmt.Sprintf("%s (%d bytes)", e.what, e.n)
	}
	return e.what
}

// network strips the link layer of one frame and says what it carried:
// etherIPv4, etherIPv6, or another EtherType (ARP, LLDP, …) that is not ours
// to decode. supported is false for a link type ceiling does not read.
//
// The link layer is decoded here rather than by gopacket's layers: the
// headers are a handful of fixed offsets, and gopacket knows neither the
// 0x9100 tag nor BSD loopback in both byte orders.
func network(lt uint16, b []byte) (ether uint16, ip []byte, supported bool, err error) {
	switch lt {
	case linkEthernet:
		ether, ip, err = ethernet(b)
		return ether, ip, true, err
	case linkSLL:
		if len(b) < 16 {
			return 0, nil, true, linkError{"frame shorter than a Linux SLL header", len(b)}
		}
		ether, ip, err = vlan(binary.BigEndian.Uint16(b[14:16]), b[16:])
		return ether, ip, true, err
	case linkSLL2:
		if len(b) < 20 {
			return 0, nil, true, linkError{"frame shorter than a Linux SLL2 header", len(b)}
		}
		ether, ip, err = vlan(binary.BigEndian.Uint16(b[0:2]), b[20:])
		return ether, ip, true, err
	case linkNull, linkLoop:
		if len(b) < 4 {
			return 0, nil, true, linkError{"frame shorter than a loopback header", len(b)}
		}
		// DLT_NULL is in the byte order of the host that wrote it, which
		// need not be the file's: a family fits in 16 bits, so whichever
		// reading does is the right one.
		fam := binary.BigEndian.Uint32(b[:4])
		if lt == linkNull && fam > 0xffff {
			fam = binary.LittleEndian.Uint32(b[:4])
		}
		switch fam {
		case 2:
			return etherIPv4, b[4:], true, nil
		case 10, 24, 28, 30: // AF_INET6 on Linux, NetBSD/OpenBSD, FreeBSD, Darwin
			return etherIPv6, b[4:], true, nil
		}
		return 0, b[4:], true, nil
	case linkRawBSD, linkRawOBSD, linkRaw:
		return rawVersion(b), b, true, nil
	case linkIPv4:
		return etherIPv4, b, true, nil
	case linkIPv6:
		return etherIPv6, b, true, nil
	}
	return 0, nil, false, nil
}

// rawVersion tells IPv4 from IPv6 by the version nibble, for link types that
// carry either. An empty frame or another version is "not IP".
func rawVersion(b []byte) uint16 {
	if len(b) == 0 {
		return 0
	}
	switch b[0] >> 4 {
	case 4:
		return etherIPv4
	case 6:
		return etherIPv6
	}
	return 0
}

func ethernet(b []byte) (uint16, []byte, error) {
	if len(b) < 14 {
		return 0, nil, linkError{"frame shorter than an Ethernet header", len(b)}
	}
	typ, b, err := vlan(binary.BigEndian.Uint16(b[12:14]), b[14:])
	if err != nil {
		return 0, nil, err
	}
	if typ <= 1500 {
		// An 802.3 length, not a type: IP rides in it only behind an
		// LLC/SNAP header with a zero OUI, as on some old Token Ring bridges.
		if len(b) >= 8 && b[0] == 0xaa && b[1] == 0xaa && b[2] == 0x03 && b[3] == 0 && b[4] == 0 && b[5] == 0 {
			return binary.BigEndian.Uint16(b[6:8]), b[8:], nil
		}
		return 0, b, nil
	}
	return typ, b, nil
}

// vlan steps over 802.1Q tags, however many are stacked, and gives the
// EtherType they wrap. Linux cooked captures show tags this way too when the
// NIC did not strip them.
func vlan(typ uint16, b []byte) (uint16, []byte, error) {
	for tags := 0; ; tags++ {
		switch typ {
		case 0x8100, 0x88a8, 0x9100, 0x9200: // 802.1Q, 802.1ad, and the pre-standard QinQ types
			if tags == maxVLANTags {
				return 0, nil, linkError{"more than 8 stacked VLAN tags", 0}
			}
			if len(b) < 4 {
				return 0, nil, linkError{"frame ends inside a VLAN tag", 0}
			}
			typ = binary.BigEndian.Uint16(b[2:4])
			b = b[4:]
			continue
		}
		return typ, b, nil
	}
}
