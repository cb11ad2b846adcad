package pcap

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
)

// TestLinkTypes puts the same UDP datagram behind every link layer and tag
// stack the reader knows, and a few it must refuse.
func TestLinkTypes(t *testing.T) {
	ip4 := ipv4("192.0.2.1", "192.0.2.2", 17, 7, 0, false, udpSeg(5060, 5080, []byte("REGISTER")))
	ip6 := ipv6("2001:db8::1", "2001:db8::2", 17, udpSeg(5060, 5080, []byte("REGISTER")))
	tag := func(tpid uint16, vid uint16, inner []byte) []byte {
		// inner starts with the EtherType the tag wraps
		b := binary.BigEndian.AppendUint16(nil, tpid)
		b = binary.BigEndian.AppendUint16(b, vid)
		return append(b, inner...)
	}
	typ := func(t uint16, payload []byte) []byte {
		return append(binary.BigEndian.AppendUint16(nil, t), payload...)
	}
	macs := make([]byte, 12)
	sll := func(proto uint16, payload []byte) []byte {
		b := make([]byte, 14)
		binary.BigEndian.PutUint16(b[2:], 772) // ARPHRD_LOOPBACK
		binary.BigEndian.PutUint16(b[4:], 6)
		return append(binary.BigEndian.AppendUint16(b, proto), payload...)
	}
	sll2 := func(proto uint16, payload []byte) []byte {
		b := make([]byte, 20)
		binary.BigEndian.PutUint16(b[0:], proto)
		binary.BigEndian.PutUint16(b[8:], 1)
		return append(b, payload...)
	}
	fam := func(order binary.AppendByteOrder, af uint32, payload []byte) []byte {
		return append(order.AppendUint32(nil, af), payload...)
	}
	cat := func(parts ...[]byte) []byte {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
		}
		return b
	}
	for _, c := range []struct {
		name    string
		link    uint32
		frame   []byte
		v6      bool
		problem string // the reason's start, when the frame must be refused
		notIP   bool
	}{
		{name: "ethernet", link: 1, frame: ether(etherIPv4, ip4)},
		{name: "ethernet ipv6", link: 1, frame: ether(etherIPv6, ip6), v6: true},
		{name: "802.1Q", link: 1, frame: cat(macs, tag(0x8100, 10, typ(etherIPv4, ip4)))},
		{name: "QinQ 88a8", link: 1, frame: cat(macs, tag(0x88a8, 100, tag(0x8100, 10, typ(etherIPv6, ip6)))), v6: true},
		{name: "QinQ 9100", link: 1, frame: cat(macs, tag(0x9100, 100, tag(0x8100, 10, typ(etherIPv4, ip4))))},
		{name: "three tags", link: 1, frame: cat(macs, tag(0x88a8, 1, tag(0x9100, 2, tag(0x8100, 3, typ(etherIPv4, ip4)))))},
		{name: "LLC SNAP", link: 1, frame: cat(macs, typ(uint16(8+len(ip4)), []byte{0xaa, 0xaa, 3, 0, 0, 0, 8, 0}), ip4)},
		{name: "ARP", link: 1, frame: ether(0x0806, make([]byte, 28)), notIP: true},
		{name: "802.3 STP", link: 1, frame: cat(macs, typ(38, []byte{0x42, 0x42, 3}), make([]byte, 35)), notIP: true},
		{name: "SLL", link: 113, frame: sll(etherIPv4, ip4)},
		{name: "SLL ipv6", link: 113, frame: sll(etherIPv6, ip6), v6: true},
		{name: "SLL with VLAN tag", link: 113, frame: sll(0x8100, cat([]byte{0, 5}, typ(etherIPv4, ip4)))},
		{name: "SLL2", link: 276, frame: sll2(etherIPv4, ip4)},
		{name: "SLL2 ipv6", link: 276, frame: sll2(etherIPv6, ip6), v6: true},
		{name: "null LE", link: 0, frame: fam(binary.LittleEndian, 2, ip4)},
		{name: "null BE", link: 0, frame: fam(binary.BigEndian, 2, ip4)},
		{name: "null ipv6 darwin", link: 0, frame: fam(binary.LittleEndian, 30, ip6), v6: true},
		{name: "null ipv6 freebsd", link: 0, frame: fam(binary.LittleEndian, 28, ip6), v6: true},
		{name: "null ipv6 openbsd", link: 0, frame: fam(binary.BigEndian, 24, ip6), v6: true},
		{name: "null other family", link: 0, frame: fam(binary.LittleEndian, 7, ip4), notIP: true},
		{name: "OpenBSD loop", link: 108, frame: fam(binary.BigEndian, 2, ip4)},
		{name: "OpenBSD loop ipv6", link: 108, frame: fam(binary.BigEndian, 24, ip6), v6: true},
		{name: "raw 101", link: 101, frame: ip4},
		{name: "raw 101 ipv6", link: 101, frame: ip6, v6: true},
		{name: "raw 12", link: 12, frame: ip4},
		{name: "raw 14", link: 14, frame: ip6, v6: true},
		{name: "ipv4 228", link: 228, frame: ip4},
		{name: "ipv6 229", link: 229, frame: ip6, v6: true},
		{name: "raw not IP", link: 101, frame: []byte{0x50, 1, 2, 3}, notIP: true},
		{name: "ipv6 in 228", link: 228, frame: ip6, problem: "IP version 6 where the link layer announced IPv4"},
		{name: "short ethernet", link: 1, frame: make([]byte, 13), problem: "frame shorter than an Ethernet header"},
		{name: "short SLL", link: 113, frame: make([]byte, 15), problem: "frame shorter than a Linux SLL header"},
		{name: "short SLL2", link: 276, frame: make([]byte, 19), problem: "frame shorter than a Linux SLL2 header"},
		{name: "short null", link: 0, frame: make([]byte, 3), problem: "frame shorter than a loopback header"},
		{name: "cut in a tag", link: 1, frame: cat(macs, tag(0x8100, 1, nil)[:3]), problem: "frame ends inside a VLAN tag"},
		{name: "nine tags", link: 1, frame: cat(macs, tag(0x8100, 1, tag(0x8100, 1, tag(0x8100, 1, tag(0x8100, 1, tag(0x8100, 1, tag(0x8100, 1, tag(0x8100, 1, tag(0x8100, 1, tag(0x8100, 1, typ(etherIPv4, ip4))))))))))), problem: "more than 8 stacked VLAN tags"},
		{name: "empty raw ipv4", link: 228, frame: nil, problem: "empty IP packet"},
	} {
		t.Run(c.name, func(t *testing.T) {
			pkts, st, ps, err := readAll(t, newPcap(c.link, 65535).add(1, c.frame).b, Options{})
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case c.problem != "":
				if len(pkts) != 0 || st.Skipped != 1 || ps.Count != 1 || !strings.HasPrefix(ps.First[0].Reason, c.problem) {
					t.Fatalf("packets %v, problems %v, want the frame refused with %q", pkts, ps.First, c.problem)
				}
			case c.notIP:
				if len(pkts) != 0 || st.NotIP != 1 || ps.Count != 0 {
					t.Fatalf("packets %v, stats %+v, problems %v, want one frame counted as not IP", pkts, st, ps.First)
				}
			default:
				want := "udp 192.0.2.1:5060 > 192.0.2.2:5080 len=8 cap=8"
				if c.v6 {
					want = "udp [2001:db8::1]:5060 > [2001:db8::2]:5080 len=8 cap=8"
				}
				if len(pkts) != 1 || !strings.Contains(pkts[0], want) || ps.Count != 0 {
					t.Fatalf("packets %v, problems %v, want %q", pkts, ps.First, want)
				}
				if (c.v6 && st.IPv6 != 1) || (!c.v6 && st.IPv4 != 1) {
					t.Errorf("stats %+v", st)
				}
			}
		})
	}
}

// TestTransports checks the fields each transport fills, and the lengths
// when the snap length cut the packet.
func TestTransports(t *testing.T) {
	payload := []byte("INVITE sip:edge SIP/2.0\r\n")
	syn := tcpSeg(40000, 5061, 1000, 0, SYN, nil)
	data := tcpSeg(40000, 5061, 1001, 2002, PSH|ACK, payload)
	icmp := []byte{3, 3, 0, 0, 0, 0, 0, 0}
	sctp := append(make([]byte, 12), 1, 0, 0, 4)
	binary.BigEndian.PutUint16(sctp[0:], 2905)
	binary.BigEndian.PutUint16(sctp[2:], 5060)
	ipTCP := ipv4("10.1.1.1", "10.2.2.2", 6, 1, 0, false, data)
	synOpts := append(tcpSeg(40000, 5061, 1000, 0, SYN, nil), 2, 4, 5, 180, 1, 1, 4, 2, 1, 3, 3, 7) // MSS, NOP, NOP, SACK_PERM, NOP, WS
	synOpts[12] = 8 << 4
	for _, c := range []struct {
		name  string
		frame []byte
		cut   int // captured bytes, 0 for all
		want  string
		other bool
		prob  string
	}{
		{name: "syn", frame: ether(etherIPv4, ipv4("10.1.1.1", "10.2.2.2", 6, 1, 0, false, syn)),
			want: "tcp 10.1.1.1:40000 > 10.2.2.2:5061 [SYN] seq=1000 ack=0 win=65535 len=0 cap=0"},
		{name: "data", frame: ether(etherIPv4, ipTCP),
			want: "tcp 10.1.1.1:40000 > 10.2.2.2:5061 [PSH,ACK] seq=1001 ack=2002 win=65535 len=25 cap=25"},
		{name: "snap cut payload", frame: ether(etherIPv4, ipTCP), cut: 14 + 20 + 20 + 6,
			want: "tcp 10.1.1.1:40000 > 10.2.2.2:5061 [PSH,ACK] seq=1001 ack=2002 win=65535 len=25 cap=6"},
		{name: "snap cut in tcp header", frame: ether(etherIPv4, ipTCP), cut: 14 + 20 + 10, prob: "TCP header of 10 bytes, less than 20"},
		{name: "snap cut in tcp options", frame: ether(etherIPv4, ipv4("10.1.1.1", "10.2.2.2", 6, 1, 0, false, synOpts)), cut: 14 + 20 + 24,
			want: "tcp 10.1.1.1:40000 > 10.2.2.2:5061 [SYN] seq=1000 ack=0 win=65535 len=0 cap=0"},
		{name: "tcp data offset under 5", frame: ether(etherIPv4, ipv4("10.1.1.1", "10.2.2.2", 6, 1, 0, false, func() []byte { b := tcpSeg(1, 2, 0, 0, 0, nil); b[12] = 4 << 4; return b }())),
			prob: "TCP data offset 4, less than 5"},
		{name: "snap cut after ip header", frame: ether(etherIPv4, ipTCP), cut: 14 + 20, prob: "TCP header cut off by the capture's snap length"},
		{name: "ethernet padding", frame: append(ether(etherIPv4, ipv4("10.1.1.1", "10.2.2.2", 17, 1, 0, false, udpSeg(1, 2, []byte("x")))), make([]byte, 17)...),
			want: "udp 10.1.1.1:1 > 10.2.2.2:2 len=1 cap=1"},
		{name: "icmp", frame: ether(etherIPv4, ipv4("10.1.1.1", "10.2.2.2", 1, 1, 0, false, icmp)),
			want: "other 10.1.1.1:0 > 10.2.2.2:0 len=8 cap=8", other: true},
		{name: "sctp", frame: ether(etherIPv4, ipv4("10.1.1.1", "10.2.2.2", 132, 1, 0, false, sctp)),
			want: "sctp 10.1.1.1:2905 > 10.2.2.2:5060 len=4 cap=4", other: true},
		{name: "ipip", frame: ether(etherIPv4, ipv4("192.0.2.1", "192.0.2.2", 4, 1, 0, false, ipTCP)),
			want: "tcp 10.1.1.1:40000 > 10.2.2.2:5061 [PSH,ACK] seq=1001 ack=2002 win=65535 len=25 cap=25"},
		{name: "6in4", frame: ether(etherIPv4, ipv4("10.1.1.1", "10.2.2.2", 41, 1, 0, false, ipv6("::1", "::2", 59, nil))),
			want: "other [::1]:0 > [::2]:0 len=0 cap=0", other: true},
		{name: "gre ipv4", frame: ether(etherIPv4, ipv4("192.0.2.1", "192.0.2.2", 47, 1, 0, false,
			append([]byte{0x20, 0, 0x08, 0x00, 0, 0, 0, 7}, ipv4("10.1.1.1", "10.2.2.2", 17, 1, 0, false, udpSeg(5060, 5060, payload))...))),
			want: "udp 10.1.1.1:5060 > 10.2.2.2:5060 len=25 cap=25"},
		{name: "gre erspan II", frame: ether(etherIPv4, ipv4("192.0.2.1", "192.0.2.2", 47, 1, 0, false,
			append([]byte{0x10, 0, 0x88, 0xbe, 0, 0, 0, 1, 0x10, 0, 0, 1, 0, 0, 0, 0},
				ether(etherIPv4, ipv4("10.1.1.1", "10.2.2.2", 17, 1, 0, false, udpSeg(5060, 5060, payload)))...))),
			want: "udp 10.1.1.1:5060 > 10.2.2.2:5060 len=25 cap=25"},
		{name: "gtp-u", frame: ether(etherIPv4, ipv4("192.0.2.1", "192.0.2.2", 17, 1, 0, false,
			udpSeg(2152, 2152, append([]byte{0x30, 0xff, 0, 45, 0, 0, 0, 9}, ipv4("10.1.1.1", "10.2.2.2", 17, 1, 0, false, udpSeg(5060, 5060, payload))...)))),
			want: "udp 10.1.1.1:5060 > 10.2.2.2:5060 len=25 cap=25"},
		{name: "gtp-u echo is not opened", frame: ether(etherIPv4, ipv4("192.0.2.1", "192.0.2.2", 17, 1, 0, false,
			udpSeg(2152, 2152, []byte{0x32, 0x01, 0, 4, 0, 0, 0, 0, 0, 1, 0, 0}))),
			want: "udp 192.0.2.1:2152 > 192.0.2.2:2152 len=12 cap=12"},
		{name: "vxlan", frame: ether(etherIPv4, ipv4("192.0.2.1", "192.0.2.2", 17, 1, 0, false,
			udpSeg(50000, 4789, append([]byte{0x08, 0, 0, 0, 0, 0, 1, 0}, ether(etherIPv4, ipv4("10.1.1.1", "10.2.2.2", 17, 1, 0, false, udpSeg(5060, 5060, payload)))...)))),
			want: "udp 10.1.1.1:5060 > 10.2.2.2:5060 len=25 cap=25"},
		{name: "ipv6 extension headers", frame: ether(etherIPv6, ipv6("2001:db8::1", "2001:db8::2", 0,
			ext6(43, ext6(60, ext6(17, udpSeg(5060, 5060, payload)))))),
			want: "udp [2001:db8::1]:5060 > [2001:db8::2]:5060 len=25 cap=25"},
		{name: "ipv6 atomic fragment", frame: ether(etherIPv6, ipv6("2001:db8::1", "2001:db8::2", 44, frag6(6, 9, 0, false, data))),
			want: "tcp [2001:db8::1]:40000 > [2001:db8::2]:5061 [PSH,ACK] seq=1001 ack=2002 win=65535 len=25 cap=25"},
		{name: "ipv6 no next header", frame: ether(etherIPv6, ipv6("2001:db8::1", "2001:db8::2", 59, nil)),
			want: "other [2001:db8::1]:0 > [2001:db8::2]:0 len=0 cap=0", other: true},
		{name: "ipv4 bad ihl", frame: ether(etherIPv4, func() []byte { b := ipv4("10.1.1.1", "10.2.2.2", 17, 1, 0, false, nil); b[0] = 0x43; return b }()),
			prob: "bad IPv4 header"},
		{name: "ipv6 short", frame: ether(etherIPv6, []byte{0x60, 0, 0, 0}), prob: "bad IPv6 header"},
		{name: "udp length under 8", frame: ether(etherIPv4, ipv4("10.1.1.1", "10.2.2.2", 17, 1, 0, false, []byte{0, 1, 0, 2, 0, 3, 0, 0})),
			prob: "UDP packet too small"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newPcap(1, 65535)
			if c.cut > 0 {
				f.addLen(1, c.frame[:c.cut], uint32(c.cut), uint32(len(c.frame)))
			} else {
				f.add(1, c.frame)
			}
			pkts, st, ps, err := readAll(t, f.b, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if c.prob != "" {
				if len(pkts) != 0 || st.Skipped != 1 || ps.Count != 1 || !strings.Contains(ps.First[0].Reason, c.prob) {
					t.Fatalf("packets %v, problems %v, want %q", pkts, ps.First, c.prob)
				}
				return
			}
			if len(pkts) != 1 || !strings.Contains(pkts[0], c.want) || ps.Count != 0 {
				t.Fatalf("got %v, problems %v, want %q", pkts, ps.First, c.want)
			}
			if c.other != (st.OtherProto == 1) {
				t.Errorf("OtherProto %d", st.OtherProto)
			}
		})
	}
}

// TestTimestamps: the resolutions a file can declare, all to Unix ns.
func TestTimestamps(t *testing.T) {
	nsPcap := newPcap(1, 65535).add(0, udpFrame).b
	binary.LittleEndian.PutUint32(nsPcap[0:], 0xa1b23c4d) // nanosecond magic
	binary.LittleEndian.PutUint32(nsPcap[24:], 1700000000)
	binary.LittleEndian.PutUint32(nsPcap[28:], 123456789)
	for _, c := range []struct {
		name string
		data []byte
		want int64
	}{
		{"pcap µs", newPcap(1, 65535).add(1_700_000_000_123_456, udpFrame).b, 1_700_000_000_123_456_000},
		{"pcap ns", nsPcap, 1_700_000_000_123_456_789},
		{"pcapng default µs", newNg().iface(1, 0).packet(0, 1_700_000_000_123_456, udpFrame).b, 1_700_000_000_123_456_000},
		{"pcapng ns", newNg().iface(1, 9).packet(0, 1_700_000_000_123_456_789, udpFrame).b, 1_700_000_000_123_456_789},
		{"pcapng ms", newNg().iface(1, 3).packet(0, 1_700_000_000_123, udpFrame).b, 1_700_000_000_123_000_000},
		{"pcapng 2^-20", newNg().iface(1, 0x80|20).packet(0, 1_700_000_000<<20|1<<19, udpFrame).b, 1_700_000_000_500_000_000},
		{"pcapng 2^-32", newNg().iface(1, 0x80|32).packet(0, 1_700_000_000<<32|3<<30, udpFrame).b, 1_700_000_000_750_000_000},
	} {
		t.Run(c.name, func(t *testing.T) {
			pkts, st, ps, err := readAll(t, c.data, Options{})
			if err != nil {
				t.Fatal(err)
			}
			want := fmt.Sprintf(" t=%d ", c.want)
			if len(pkts) != 1 || !strings.Contains(pkts[0], want) || st.FirstTime != c.want || st.LastTime != c.want {
				t.Fatalf("packets %v (problems %v), want time %d", pkts, ps.First, c.want)
			}
		})
	}
}
