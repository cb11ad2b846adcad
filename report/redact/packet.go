package redact

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"net/netip"

	"github.com/gopacket/gopacket/layers"
)

// Packet rewrites one captured frame of the given link type and returns
// the new frame; data is not modified. The client side's addresses (IP
// headers, ARP, ICMP errors, tunnels' inner packets), MAC addresses, and
// the identities in SIP, SDP and HTTP payloads are replaced, and lengths
// and checksums are made right again so that the frame still dissects.
//
// The result may be longer or shorter than data when a SIP message over
// UDP got longer or shorter addresses (not with Options.SameLength): the
// writer must then record the new length (AdjustInfo).
//
// A frame that cannot be decoded far enough to be redacted, or whose
// protocol carries addresses or names that Packet does not rewrite (DNS,
// DHCP, STUN, IPsec, unknown link or IP protocols), comes back as nil
// with an error wrapping ErrDropped: leave it out of the capture. It is
// counted in Stats.
//
// Packet keeps state across calls (TCP streams, WebSocket framing, IP
// fragments): give it a capture's frames in order, through one
// Redactor.
func (r *Redactor) Packet(data []byte, link layers.LinkType) (out []byte, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stats.Frames++
	defer func() {
		// A frame that trips a bug must not take the report down with
		// it, nor go out half redacted.
		if e := recover(); e != nil {
			out, err = nil, r.drop("internal error")
		}
	}()
	b := append([]byte(nil), data...)
	out, err = r.link(b, link)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(out, data) {
		r.stats.Rewritten++
	}
	return out, nil
}

// Link types by number, for the ones gopacket names differently or not
// at all.
const (
	linkRawBSD  = 12
	linkRawOBSD = 14
)

// maxDepth bounds tunnels inside tunnels.
const maxDepth = 4

func (r *Redactor) link(b []byte, link layers.LinkType) ([]byte, error) {
	switch link {
	case layers.LinkTypeEthernet:
		return r.ether(b, 0)
	case layers.LinkTypeLinuxSLL:
		if len(b) < 16 {
			return nil, r.drop("short linux sll header")
		}
		r.hwAddr(b[6:14], int(be16(b[4:6])))
		rest, err := r.ethertype(be16(b[14:16]), b[16:], 0)
		if err != nil {
			return nil, err
		}
		return append(b[:16], rest...), nil
	case layers.LinkTypeLinuxSLL2:
		if len(b) < 20 {
			return nil, r.drop("short linux sll2 header")
		}
		r.hwAddr(b[12:20], int(b[11]))
		rest, err := r.ethertype(be16(b[0:2]), b[20:], 0)
		if err != nil {
			return nil, err
		}
		return append(b[:20], rest...), nil
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		if len(b) < 4 {
			return nil, r.drop("short loopback header")
		}
		rest, err := r.ip(b[4:], 0)
		if err != nil {
			return nil, err
		}
		return append(b[:4], rest...), nil
	case layers.LinkTypeRaw, linkRawBSD, linkRawOBSD, layers.LinkTypeIPv4, layers.LinkTypeIPv6:
		return r.ip(b, 0)
	}
	return nil, r.drop(fmt.Sprintf("link type %d", link))
}

// hwAddr redacts a link-layer address field in place: a MAC gets its
// pseudonym, anything else is zeroed.
func (r *Redactor) hwAddr(f []byte, n int) {
	if n == 6 {
		var m [6]byte
		copy(m[:], f)
		q := r.p.hw(m)
		copy(f, q[:])
		return
	}
	clear(f)
}

func (r *Redactor) ether(b []byte, depth int) ([]byte, error) {
	if len(b) < 14 {
		return nil, r.drop("short ethernet header")
	}
	r.hwAddr(b[0:6], 6)
	r.hwAddr(b[6:12], 6)
	rest, err := r.ethertype(be16(b[12:14]), b[14:], depth)
	if err != nil {
		return nil, err
	}
	return append(b[:14], rest...), nil
}

func (r *Redactor) ethertype(typ uint16, b []byte, depth int) ([]byte, error) {
	var tags []byte
	for n := 0; ; n++ {
		switch typ {
		case 0x8100, 0x88a8, 0x9100, 0x9200:
			if n == 8 || len(b) < 4 {
				return nil, r.drop("bad vlan tags")
			}
			tags = append(tags, b[:4]...)
			typ = be16(b[2:4])
			b = b[4:]
			continue
		}
		break
	}
	var rest []byte
	var err error
	switch typ {
	case 0x0800, 0x86dd:
		rest, err = r.ip(b, depth)
	case 0x0806:
		rest, err = r.arp(b)
	default:
		// LLDP, CDP and the like name hosts and ports; nothing ceiling
		// reads rides on them.
		return nil, r.drop(fmt.Sprintf("ethertype 0x%04x", typ))
	}
	if err != nil {
		return nil, err
	}
	return append(tags, rest...), nil
}

func (r *Redactor) arp(b []byte) ([]byte, error) {
	if len(b) < 28 || b[4] != 6 || b[5] != 4 {
		return nil, r.drop("arp other than ethernet/ipv4")
	}
	r.hwAddr(b[8:14], 6)
	r.v4At(b[14:18])
	r.hwAddr(b[18:24], 6)
	r.v4At(b[24:28])
	clear(b[28:])
	return b, nil
}

// v4At and v6At redact an address in place.
func (r *Redactor) v4At(f []byte) {
	q := r.p.addr(netip.AddrFrom4([4]byte(f[:4])))
	a4 := q.As4()
	copy(f, a4[:])
}

func (r *Redactor) v6At(f []byte) {
	q := r.p.addr(netip.AddrFrom16([16]byte(f[:16])))
	a16 := q.As16()
	copy(f, a16[:])
}

// ipInfo is what a transport needs to know of the IP header around it.
type ipInfo struct {
	v6         bool
	src, dst   netip.Addr // as captured: keys of stream state
	nsrc, ndst netip.Addr // as written: the checksums' pseudo-header
	proto      byte
	// frag is set for a fragment; first for the one at offset 0 (and for
	// a packet that is not a fragment).
	frag, first bool
	fragID      uint32
	fragOff     int
	// truncated: the capture holds less than the IP header says, so
	// lengths stay and transport checksums cannot be computed.
	truncated bool
	depth     int
}

// fixed says whether payloads must keep their length.
func (r *Redactor) fixed(in *ipInfo) bool {
	return r.sameLength || in.frag || in.truncated
}

func (r *Redactor) ip(b []byte, depth int) ([]byte, error) {
	if depth > maxDepth {
		return nil, r.drop("tunnels nested too deep")
	}
	if len(b) == 0 {
		return nil, r.drop("empty ip packet")
	}
	switch b[0] >> 4 {
	case 4:
		return r.ipv4(b, depth)
	case 6:
		return r.ipv6(b, depth)
	}
	return nil, r.drop("not ipv4 nor ipv6")
}

func (r *Redactor) ipv4(b []byte, depth int) ([]byte, error) {
	if len(b) < 20 {
		return nil, r.drop("short ipv4 header")
	}
	ihl := int(b[0]&0x0f) * 4
	if ihl < 20 || ihl > len(b) {
		return nil, r.drop("bad ipv4 header length")
	}
	tl := int(be16(b[2:4]))
	end, truncated := tl, false
	switch {
	case tl == 0:
		// Segmentation offload: the length is not filled in; the frame
		// is the packet.
		end = len(b)
	case tl < ihl:
		return nil, r.drop("bad ipv4 total length")
	case tl > len(b):
		end, truncated = len(b), true
	}
	in := &ipInfo{
		src:   netip.AddrFrom4([4]byte(b[12:16])),
		dst:   netip.AddrFrom4([4]byte(b[16:20])),
		proto: b[9], truncated: truncated, depth: depth,
	}
	in.nsrc, in.ndst = r.p.addr(in.src), r.p.addr(in.dst)
	s4, d4 := in.nsrc.As4(), in.ndst.As4()
	copy(b[12:16], s4[:])
	copy(b[16:20], d4[:])
	// Options (record route, timestamps, source routes) hold addresses:
	// NOPs say nothing and keep the header's length.
	for i := 20; i < ihl; i++ {
		b[i] = 1
	}
	off := int(be16(b[6:8])&0x1fff) * 8
	in.frag = b[6]&0x20 != 0 || off > 0
	in.first = off == 0
	in.fragID = uint32(be16(b[4:6]))
	in.fragOff = off
	payload, err := r.transport(b[ihl:end], in)
	if err != nil {
		return nil, err
	}
	out := append(b[:ihl:ihl], payload...)
	if tl != 0 && !truncated {
		if len(out) > 0xffff {
			return nil, r.drop("too long after redaction")
		}
		put16(out[2:4], uint16(len(out)))
	}
	put16(out[10:12], 0)
	put16(out[10:12], ^fold(sum16(out[:ihl], 0)))
	// Link-layer padding after the packet: zeros, whatever it held.
	return append(out, make([]byte, len(b)-end)...), nil
}

func (r *Redactor) ipv6(b []byte, depth int) ([]byte, error) {
	if len(b) < 40 {
		return nil, r.drop("short ipv6 header")
	}
	pl := int(be16(b[4:6]))
	end, truncated := 40+pl, false
	switch {
	case pl == 0:
		// A jumbogram or segmentation offload: the frame is the packet.
		end = len(b)
	case end > len(b):
		end, truncated = len(b), true
	}
	in := &ipInfo{
		v6:  true,
		src: netip.AddrFrom16([16]byte(b[8:24])), dst: netip.AddrFrom16([16]byte(b[24:40])),
		truncated: truncated, first: true, depth: depth,
	}
	in.nsrc, in.ndst = r.p.addr(in.src), r.p.addr(in.dst)
	s16, d16 := in.nsrc.As16(), in.ndst.As16()
	copy(b[8:24], s16[:])
	copy(b[24:40], d16[:])
	next, off := b[6], 40
headers:
	for {
		switch next {
		case 0, 60: // hop-by-hop, destination options
			if off+8 > end {
				return nil, r.drop("short ipv6 extension header")
			}
			n := (int(b[off+1]) + 1) * 8
			if off+n > end {
				return nil, r.drop("short ipv6 extension header")
			}
			if next == 60 {
				padHomeAddress(b[off+2 : off+n])
			}
			next, off = b[off], off+n
		case 51: // authentication header
			if off+8 > end {
				return nil, r.drop("short ipv6 extension header")
			}
			n := (int(b[off+1]) + 2) * 4
			if off+n > end {
				return nil, r.drop("short ipv6 extension header")
			}
			next, off = b[off], off+n
		case 44: // fragment
			if off+8 > end {
				return nil, r.drop("short ipv6 fragment header")
			}
			fo := int(be16(b[off+2:off+4]) &^ 7)
			in.frag = fo > 0 || b[off+3]&1 != 0
			in.first = fo == 0
			in.fragOff = fo
			in.fragID = be32(b[off+4 : off+8])
			next, off = b[off], off+8
		case 43:
			// Routing headers carry addresses, and change which one the
			// checksums are computed with.
			return nil, r.drop("ipv6 routing header")
		default:
			break headers
		}
	}
	in.proto = next
	payload, err := r.transport(b[off:end], in)
	if err != nil {
		return nil, err
	}
	out := append(b[:off:off], payload...)
	if pl != 0 && !truncated {
		if len(out)-40 > 0xffff {
			return nil, r.drop("too long after redaction")
		}
		put16(out[4:6], uint16(len(out)-40))
	}
	return append(out, make([]byte, len(b)-end)...), nil
}

// padHomeAddress turns a Mobile IPv6 Home Address option (it holds an
// address) into padding.
func padHomeAddress(opts []byte) {
	for i := 0; i < len(opts); {
		t := opts[i]
		if t == 0 {
			i++
			continue
		}
		if i+2 > len(opts) {
			return
		}
		n := int(opts[i+1]) + 2
		if i+n > len(opts) {
			return
		}
		if t == 0xc9 {
			opts[i] = 1 // PadN
			clear(opts[i+2 : i+n])
		}
		i += n
	}
}

// Ports whose protocols carry names and addresses in binary fields that
// are not rewritten: their packets are left out.
var droppedPorts = map[uint16]string{
	53: "dns", 5353: "dns", 5355: "dns", 137: "netbios", 138: "netbios",
	67: "dhcp", 68: "dhcp", 546: "dhcp", 547: "dhcp",
	161: "snmp", 162: "snmp", 2123: "gtp-c",
	// H.323 carries addresses and numbers in ASN.1 PER.
	1718: "h.323", 1719: "h.323", 1720: "h.323",
}

func (r *Redactor) transport(p []byte, in *ipInfo) ([]byte, error) {
	if in.frag && !in.first {
		return r.fragmentData(p, in)
	}
	if in.frag && !r.quoting {
		r.flows.fragmentStart(in, p)
	}
	switch in.proto {
	case 17:
		return r.udp(p, in)
	case 6:
		return r.tcp(p, in)
	case 132:
		return r.sctp(p, in)
	case 1:
		if in.v6 {
			break
		}
		return r.icmp4(p, in)
	case 58:
		if !in.v6 {
			break
		}
		return r.icmp6(p, in)
	case 4, 41:
		if in.frag {
			return nil, r.drop("fragmented tunnel")
		}
		return r.ip(p, in.depth+1)
	case 47:
		if in.frag {
			return nil, r.drop("fragmented tunnel")
		}
		return r.gre(p, in)
	case 59: // no next header
		return p, nil
	}
	return nil, r.drop(fmt.Sprintf("ip protocol %d", in.proto))
}

// fragmentData handles a fragment after the first: the datagram's data
// goes on, with no transport header.
func (r *Redactor) fragmentData(p []byte, in *ipInfo) ([]byte, error) {
	switch in.proto {
	case 17, 6, 132:
	default:
		return nil, r.drop(fmt.Sprintf("fragment of ip protocol %d", in.proto))
	}
	out := r.flows.fragment(r, in, p)
	if !bytes.Equal(out, p) && (in.v6 || in.proto != 17) {
		// The checksum went out with the first fragment (over IPv4 a
		// UDP one was zeroed: "none"); see the package doc.
		r.stats.StaleChecksums++
	}
	return out, nil
}

func (r *Redactor) udp(p []byte, in *ipInfo) ([]byte, error) {
	if len(p) < 8 {
		return nil, r.drop("short udp header")
	}
	sport, dport := be16(p[0:2]), be16(p[2:4])
	if why, ok := droppedPorts[sport]; ok {
		return nil, r.drop(why)
	}
	if why, ok := droppedPorts[dport]; ok {
		return nil, r.drop(why)
	}
	ulen := int(be16(p[4:6]))
	data, extra := p[8:], []byte(nil)
	if !in.frag && ulen >= 8 && ulen <= len(p) {
		data, extra = p[8:ulen], p[ulen:]
	}
	var (
		nd  []byte
		err error
	)
	fixed := r.fixed(in)
	switch {
	case dport == 4789 && !in.frag && !in.truncated && len(data) >= 8: // VXLAN
		var inner []byte
		inner, err = r.ether(data[8:], in.depth+1)
		nd = append(data[:8:8], inner...)
	case (sport == 2152 || dport == 2152) && !in.frag && !in.truncated: // GTP-U
		nd, err = r.gtp(data, in)
	case isSTUN(data):
		// Its addresses are XORed with a constant, and a message
		// integrity code covers them.
		return nil, r.drop("stun")
	case isDTLS(data):
		nd = data
	case sipLooks(data):
		nd = r.sipDatagram(data, fixed)
	default:
		nd = r.datagram(data, sport, dport)
	}
	if err != nil {
		return nil, err
	}
	out := append(p[:8:8], nd...)
	if in.frag || in.truncated {
		out = append(out, extra...)
		if in.frag && !bytes.Equal(out, p) {
			r.fragmentChecksum(out, p, in, 6)
		}
		return out, nil
	}
	if len(out) > 0xffff {
		return nil, r.drop("too long after redaction")
	}
	put16(out[4:6], uint16(len(out)))
	if in.v6 || be16(p[6:8]) != 0 {
		r.checksum(out, in, 6)
	}
	// Bytes after the UDP length (none in a sane packet) are zeroed.
	return append(out, make([]byte, len(extra))...), nil
}

func (r *Redactor) tcp(p []byte, in *ipInfo) ([]byte, error) {
	if len(p) < 20 {
		return nil, r.drop("short tcp header")
	}
	doff := int(p[12]>>4) * 4
	if doff < 20 || doff > len(p) {
		return nil, r.drop("bad tcp header length")
	}
	for _, port := range [2]uint16{be16(p[0:2]), be16(p[2:4])} {
		if why, ok := droppedPorts[port]; ok {
			return nil, r.drop(why)
		}
	}
	// Multipath TCP's ADD_ADDR option holds an address: NOPs instead.
	for i := 20; i < doff; {
		kind := p[i]
		if kind == 0 {
			break
		}
		if kind == 1 {
			i++
			continue
		}
		if i+1 >= doff || p[i+1] < 2 || i+int(p[i+1]) > doff {
			break
		}
		n := int(p[i+1])
		if kind == 30 {
			for k := i; k < i+n; k++ {
				p[k] = 1
			}
		}
		i += n
	}
	key := flowKey{netip.AddrPortFrom(in.src, be16(p[0:2])), netip.AddrPortFrom(in.dst, be16(p[2:4]))}
	orig := append([]byte(nil), p...)
	data := r.flows.tcp(r, key, be32(p[4:8]), p[13], p[doff:], in.frag)
	copy(p[doff:], data)
	switch {
	case in.frag:
		if !bytes.Equal(p, orig) {
			r.fragmentChecksum(p, orig, in, 16)
		}
	case !in.truncated:
		r.checksum(p, in, 16)
	}
	return p, nil
}

// checksum fills in a UDP, TCP or ICMPv6 checksum at seg[at:] over the
// pseudo-header of the written addresses.
func (r *Redactor) checksum(seg []byte, in *ipInfo, at int) {
	put16(seg[at:at+2], 0)
	s := pseudo(in.nsrc, in.ndst, in.proto, len(seg))
	c := ^fold(sum16(seg, s))
	if c == 0 && in.proto == 17 {
		c = 0xffff // zero means "no checksum" in UDP
	}
	put16(seg[at:at+2], c)
}

// fragmentChecksum updates the transport checksum in the first fragment
// of a datagram for what changed in it (addresses and data): the rest
// of the datagram is unknown but the same before and after, so the
// difference is enough. Over IPv4 a UDP checksum is zeroed instead
// ("none", which is legal), since a later fragment may change too.
func (r *Redactor) fragmentChecksum(seg, orig []byte, in *ipInfo, at int) {
	if len(seg) < at+2 || len(seg) != len(orig) {
		return
	}
	if in.proto == 17 && !in.v6 {
		put16(seg[at:at+2], 0)
		return
	}
	old := be16(orig[at : at+2])
	if old == 0 && in.proto == 17 {
		return
	}
	o := append([]byte(nil), orig...)
	put16(o[at:at+2], 0)
	put16(seg[at:at+2], 0)
	so := sum16(o, sum16(in.src.AsSlice(), sum16(in.dst.AsSlice(), 0)))
	sn := sum16(seg, sum16(in.nsrc.AsSlice(), sum16(in.ndst.AsSlice(), 0)))
	c := ^fold(uint32(^old) + uint32(fold(sn)) + uint32(^fold(so)))
	if c == 0 && in.proto == 17 {
		c = 0xffff
	}
	put16(seg[at:at+2], c)
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func (r *Redactor) sctp(p []byte, in *ipInfo) ([]byte, error) {
	if len(p) < 12 {
		return nil, r.drop("short sctp header")
	}
	for off := 12; off+4 <= len(p); {
		typ, n := p[off], int(be16(p[off+2:off+4]))
		if n < 4 {
			return nil, r.drop("bad sctp chunk length")
		}
		end := min(off+n, len(p))
		c := p[off:end]
		switch typ {
		case 0, 64: // DATA, I-DATA
			h := 16
			if typ == 64 {
				h = 20
			}
			if len(c) > h && len(c) >= 12 {
				// A user message may be split over chunks: each
				// stream is followed like a TCP direction.
				sid := be16(c[8:10])
				k := flowKey{netip.AddrPortFrom(in.src, be16(p[0:2])), netip.AddrPortFrom(in.dst, sid)}
				f := r.flows.stream(k, c[1]&2 != 0 || r.quoting || in.frag)
				copy(c[h:], fitted(r.textSegment(f, c[h:]), len(c)-h))
			}
		case 1, 2: // INIT, INIT ACK: address parameters
			for q := 20; q+4 <= len(c); {
				pt, pn := be16(c[q:q+2]), int(be16(c[q+2:q+4]))
				if pn < 4 {
					break
				}
				switch {
				case pt == 5 && pn == 8 && q+8 <= len(c):
					r.v4At(c[q+4 : q+8])
				case pt == 6 && pn == 20 && q+20 <= len(c):
					r.v6At(c[q+4 : q+20])
				}
				q += (pn + 3) &^ 3
			}
		}
		off += (n + 3) &^ 3
	}
	if !in.truncated && !in.frag {
		put32le(p[8:12], 0)
		put32le(p[8:12], crc32.Checksum(p, castagnoli))
	}
	return p, nil
}

func (r *Redactor) icmp4(p []byte, in *ipInfo) ([]byte, error) {
	if len(p) < 8 {
		return nil, r.drop("short icmp header")
	}
	switch p[0] {
	case 3, 4, 5, 11, 12: // errors: the offending packet's head follows
		if p[0] == 5 {
			r.v4At(p[4:8]) // the gateway
		}
		r.inner(p[8:], in)
	default:
		sc := scanner{r: r, fixed: true, final: true}
		copy(p[8:], sc.run(nil, p[8:]))
	}
	if !in.truncated && !in.frag {
		put16(p[2:4], 0)
		put16(p[2:4], ^fold(sum16(p, 0)))
	}
	return p, nil
}

// inner redacts the packet quoted in an ICMP error, in place: it keeps
// its length, and a quote that does not decode is zeroed.
func (r *Redactor) inner(q []byte, in *ipInfo) {
	if len(q) == 0 {
		return
	}
	if in.depth >= maxDepth {
		clear(q)
		return
	}
	out, err := r.ipQuoted(q, in.depth+1)
	if err != nil || len(out) != len(q) {
		clear(q)
		return
	}
	copy(q, out)
}

// ipQuoted decodes a packet quoted in an ICMP error: fixed-length, apart
// from the streams of the capture, and a failure is not a dropped frame.
func (r *Redactor) ipQuoted(q []byte, depth int) ([]byte, error) {
	if len(q) >= 20 && q[0]>>4 == 4 && int(be16(q[2:4])) < len(q) ||
		len(q) >= 40 && q[0]>>4 == 6 && 40+int(be16(q[4:6])) < len(q) {
		// More bytes than the packet: something else follows.
		return nil, errQuote
	}
	b := append([]byte(nil), q...)
	savedLen, savedQ := r.sameLength, r.quoting
	r.sameLength, r.quoting = true, true
	defer func() { r.sameLength, r.quoting = savedLen, savedQ }()
	return r.ip(b, depth)
}

var errQuote = fmt.Errorf("quote longer than its packet")

func (r *Redactor) icmp6(p []byte, in *ipInfo) ([]byte, error) {
	if len(p) < 8 {
		return nil, r.drop("short icmpv6 header")
	}
	opts := -1
	switch t := p[0]; {
	case t >= 1 && t <= 4: // errors
		r.inner(p[8:], in)
	case t == 133: // router solicitation
		opts = 8
	case t == 134: // router advertisement
		opts = 16
	case t == 135 || t == 136: // neighbour solicitation, advertisement
		if len(p) >= 24 {
			r.v6At(p[8:24])
		}
		opts = 24
	case t == 137: // redirect
		if len(p) >= 40 {
			r.v6At(p[8:24])
			r.v6At(p[24:40])
		}
		opts = 40
	case t >= 130 && t <= 132 || t == 143:
		// Multicast listener messages: group addresses, kept.
	default:
		sc := scanner{r: r, fixed: true, final: true}
		copy(p[8:], sc.run(nil, p[8:]))
	}
	for o := opts; o >= 0 && o+8 <= len(p); {
		t, n := p[o], int(p[o+1])*8
		if n == 0 || o+n > len(p) {
			break
		}
		switch t {
		case 1, 2: // link-layer address
			r.hwAddr(p[o+2:o+8], 6)
		case 3: // prefix information
			if n >= 32 {
				r.v6At(p[o+16 : o+32])
			}
		case 4: // redirected header: a quoted packet
			clear(p[o+8 : o+n])
		}
		o += n
	}
	if !in.truncated && !in.frag {
		r.checksum(p, in, 2)
	}
	return p, nil
}

func (r *Redactor) gre(p []byte, in *ipInfo) ([]byte, error) {
	if len(p) < 4 {
		return nil, r.drop("short gre header")
	}
	if p[1]&7 != 0 {
		return nil, r.drop("gre version 1")
	}
	h := 4
	csum := p[0]&0x80 != 0
	for _, bit := range []byte{0x80, 0x20, 0x10} {
		if p[0]&bit != 0 {
			h += 4
		}
	}
	if len(p) < h {
		return nil, r.drop("short gre header")
	}
	var (
		inner []byte
		err   error
		pl    = p[h:]
	)
	switch proto := be16(p[2:4]); proto {
	case 0x0800, 0x86dd:
		inner, err = r.ip(pl, in.depth+1)
	case 0x6558:
		inner, err = r.ether(pl, in.depth+1)
	case 0x88be: // ERSPAN type II (type I when there is no sequence number)
		if p[0]&0x10 == 0 {
			inner, err = r.ether(pl, in.depth+1)
			break
		}
		if len(pl) < 8 {
			return nil, r.drop("short erspan header")
		}
		inner, err = r.ether(pl[8:], in.depth+1)
		inner = append(pl[:8:8], inner...)
	case 0x22eb: // ERSPAN type III
		if len(pl) < 12 {
			return nil, r.drop("short erspan header")
		}
		n := 12
		if pl[11]&1 != 0 {
			n += 8
		}
		if len(pl) < n {
			return nil, r.drop("short erspan header")
		}
		inner, err = r.ether(pl[n:], in.depth+1)
		inner = append(pl[:n:n], inner...)
	default:
		return nil, r.drop(fmt.Sprintf("gre protocol 0x%04x", proto))
	}
	if err != nil {
		return nil, err
	}
	out := append(p[:h:h], inner...)
	if csum && !in.truncated {
		put16(out[4:6], 0)
		put16(out[4:6], ^fold(sum16(out, 0)))
	}
	return out, nil
}

// gtp rewrites a GTP-U message: a T-PDU's inner packet is redacted and
// the length field follows it.
func (r *Redactor) gtp(p []byte, in *ipInfo) ([]byte, error) {
	if len(p) < 8 || p[0]>>5 != 1 || p[0]&0x10 == 0 {
		return nil, r.drop("not gtp-u version 1")
	}
	if p[1] != 0xff {
		// Echo, error indication, end marker: tunnel endpoints only,
		// which the outer IP header already had.
		sc := scanner{r: r, fixed: true, final: true}
		copy(p[8:], sc.run(nil, p[8:]))
		return p, nil
	}
	h := 8
	if p[0]&0x07 != 0 {
		h = 12
		if len(p) < h {
			return nil, r.drop("short gtp-u header")
		}
		for next := p[11]; next != 0 && p[0]&0x04 != 0; {
			if len(p) < h+1 || p[h] == 0 || len(p) < h+int(p[h])*4 {
				return nil, r.drop("bad gtp-u extension header")
			}
			n := int(p[h]) * 4
			next = p[h+n-1]
			h += n
		}
	}
	end := int(be16(p[2:4])) + 8
	if end > len(p) || end < h {
		return nil, r.drop("bad gtp-u length")
	}
	inner, err := r.ip(p[h:end], in.depth+1)
	if err != nil {
		return nil, err
	}
	out := append(p[:h:h], inner...)
	put16(out[2:4], uint16(len(out)-8))
	// Whatever follows the message: zeros, as long as it was.
	return append(out, make([]byte, len(p)-end)...), nil
}

func isSTUN(b []byte) bool {
	return len(b) >= 20 && b[0]&0xc0 == 0 && be32(b[4:8]) == 0x2112a442
}

func isDTLS(b []byte) bool {
	return len(b) >= 13 && b[0] >= 20 && b[0] <= 25 && b[1] == 0xfe
}

func be16(b []byte) uint16     { return binary.BigEndian.Uint16(b) }
func be32(b []byte) uint32     { return binary.BigEndian.Uint32(b) }
func put16(b []byte, v uint16) { binary.BigEndian.PutUint16(b, v) }
func put32le(b []byte, v uint32) {
	binary.LittleEndian.PutUint32(b, v)
}

// sum16 adds b to s as 16-bit big-endian words, the Internet checksum's
// way; an odd last byte is padded with zero.
func sum16(b []byte, s uint32) uint32 {
	for len(b) >= 2 {
		s += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint32(b[0]) << 8
	}
	return s
}

func fold(s uint32) uint16 {
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return uint16(s)
}

func pseudo(src, dst netip.Addr, proto byte, n int) uint32 {
	s := sum16(src.AsSlice(), 0)
	s = sum16(dst.AsSlice(), s)
	s += uint32(proto)
	s += uint32(n>>16) + uint32(n&0xffff)
	return s
}
