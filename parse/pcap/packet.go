// Package pcap reads pcap and pcapng captures as a stream of decoded
// packets: link layer (Ethernet, Linux cooked SLL and SLL2, raw IP,
// BSD loopback), 802.1Q/QinQ, IPv4 and IPv6 with fragment reassembly, and
// the UDP or TCP header. What is above the transport is left to others.
//
// It reads files with gopacket's pcapgo (no libpcap, no cgo) and decodes
// with a DecodingLayerParser, so the hot loop does not allocate per packet.
// The link layer is decoded here (a few fixed offsets, and tags gopacket
// does not know), and TCP and IPv6 by layers of this package that skip the
// option parsing nobody here needs.
//
// Tunnels are opened (GRE with ERSPAN or Ethernet bridging, GTP-U, VXLAN,
// IP-in-IP): the packet is delivered with the innermost headers and
// Packet.Tunnel names the outermost encapsulation. Every packet and every problem carries the frame number
// and the byte offset of its record, so that a person can look at the bytes.
package pcap

import (
	"net/netip"
)

// Transport is the IP payload protocol of a packet.
type Transport uint8

const (
	OtherTransport Transport = iota
	UDP
	TCP
	SCTP
)

func (t Transport) String() string {
	switch t {
	case UDP:
		return "udp"
	case TCP:
		return "tcp"
	case SCTP:
		return "sctp"
	}
	return "other"
}

// TCP flag bits, as on the wire.
const (
	FIN uint8 = 1 << iota
	SYN
	RST
	PSH
	ACK
	URG
	ECE
	CWR
)

// Packet is one decoded packet (or one reassembled IP datagram). Payload
// and every slice in it belong to the reader and are valid only until the
// next call to Next: copy what you keep.
type Packet struct {
	Num    int64 // 1-based number of the (last) frame in the file, as Wireshark numbers it
	Offset int64 // byte offset of that frame's record in the (decompressed) file
	Time   int64 // Unix nanoseconds
	// Interface is the pcapng interface index (0 for pcap).
	Interface int

	Src, Dst         netip.Addr
	SrcPort, DstPort uint16
	Transport        Transport

	// TCP header fields, set when Transport is TCP.
	Seq, Ack uint32
	Flags    uint8
	Window   uint16

	// Payload is the transport payload (UDP or TCP data), possibly cut
	// short by the capture's snap length: compare with PayloadLen.
	Payload    []byte
	PayloadLen int // length on the wire
	// Reassembled is set when the datagram was rebuilt from IP fragments;
	// Num is then the frame that completed it, as in Wireshark, and
	// Fragments the number of fragment frames that went in (a duplicate
	// counts). Fragments is 1 without Reassembled for the first fragment
	// of a datagram that cannot be rebuilt because the capture's snap
	// length cut it: it is delivered as it is, cut short like any packet
	// the snap length cut. Its PayloadLen is the UDP header's length, or
	// for other protocols only this fragment's share.
	Reassembled bool
	Fragments   int
	// Tunnel names the outermost encapsulation the packet came out of
	// ("gre/erspan", "gtp-u", "ipip", "vxlan"), "" when it came bare.
	Tunnel string
}

// SrcAddrPort and DstAddrPort give the endpoints as one value.
func (p *Packet) SrcAddrPort() netip.AddrPort { return netip.AddrPortFrom(p.Src, p.SrcPort) }
func (p *Packet) DstAddrPort() netip.AddrPort { return netip.AddrPortFrom(p.Dst, p.DstPort) }

// Stats counts what a reader has seen.
type Stats struct {
	Frames      int64 // records read from the file
	Bytes       int64 // captured bytes in those records
	Packets     int64 // packets delivered (reassembled datagrams count once)
	IPv4, IPv6  int64 // frames by the version of their outermost IP header, fragments included
	NotIP       int64 // frames with no IP layer (ARP, LLDP, …): not a problem, not delivered
	OtherProto  int64 // IP packets neither UDP nor TCP (ICMP, SCTP, GRE…): delivered with Transport Other
	Fragments   int64 // IP fragments seen
	Reassembled int64 // datagrams rebuilt from fragments
	Incomplete  int64 // fragment sets that never completed (evicted or at end of file)
	Tunneled    int64 // packets delivered from inside a tunnel
	Skipped     int64 // frames that could not be decoded (reported as problems)
	Truncated   bool  // the file ended inside a record
	// Damaged is set when reading stopped early at a record header that
	// cannot be right (a length no real packet has, a block that overruns
	// its own length): nothing after it can be found again, so the rest of
	// the file was not read. A problem says where.
	Damaged   bool
	FirstTime int64 // Unix ns of the earliest and latest frame
	LastTime  int64
	// LinkTypes counts frames per link type name ("Ethernet", "Linux SLL2").
	LinkTypes map[string]int64
}
