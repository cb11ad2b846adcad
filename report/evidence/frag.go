package evidence

import (
	"encoding/binary"
	"net/netip"
)

// fragKey names the IP datagram a fragment belongs to (RFC 791: source,
// destination, protocol and identification; RFC 8200 has no protocol in
// the key, and carries a 32-bit identification), on one interface.
type fragKey struct {
	src, dst netip.Addr
	id       uint32
	proto    uint8
	iface    int
}

// fragmentOf tells whether a frame is an IP fragment, and of which
// datagram. It reads the outermost IP header only: a datagram fragmented
// inside a tunnel is not followed (its completing frame is still written,
// the earlier ones are not).
func fragmentOf(f *frame) (fragKey, bool) {
	if !f.linkOK {
		return fragKey{}, false
	}
	ether, ip := network(f.link, f.data)
	switch ether {
	case 0x0800:
		if len(ip) < 20 || ip[0]>>4 != 4 {
			return fragKey{}, false
		}
		fo := binary.BigEndian.Uint16(ip[6:8])
		if fo&0x3fff == 0 { // neither More Fragments nor an offset
			return fragKey{}, false
		}
		src, _ := netip.AddrFromSlice(ip[12:16])
		dst, _ := netip.AddrFromSlice(ip[16:20])
		return fragKey{src: src, dst: dst, id: uint32(binary.BigEndian.Uint16(ip[4:6])), proto: ip[9], iface: f.iface}, true
	case 0x86dd:
		if len(ip) < 40 || ip[0]>>4 != 6 {
			return fragKey{}, false
		}
		src, _ := netip.AddrFromSlice(ip[8:24])
		dst, _ := netip.AddrFromSlice(ip[24:40])
		next, b := ip[6], ip[40:]
		// Walk the extension headers that may come before a Fragment
		// header (hop-by-hop, routing, destination options).
		for range 8 {
			switch next {
			case 0, 43, 60:
				if len(b) < 8 {
					return fragKey{}, false
				}
				n := 8 + int(b[1])*8
				if len(b) < n {
					return fragKey{}, false
				}
				next, b = b[0], b[n:]
				continue
			case 44:
				if len(b) < 8 {
					return fragKey{}, false
				}
				return fragKey{src: src, dst: dst, id: binary.BigEndian.Uint32(b[4:8]), iface: f.iface}, true
			}
			return fragKey{}, false
		}
	}
	return fragKey{}, false
}

// network strips the link layer, as parse/pcap does for the link types it
// reads, and gives the EtherType and what follows it.
func network(link uint16, b []byte) (uint16, []byte) {
	switch link {
	case 1: // Ethernet
		if len(b) < 14 {
			return 0, nil
		}
		return vlan(binary.BigEndian.Uint16(b[12:14]), b[14:])
	case 113: // Linux SLL
		if len(b) < 16 {
			return 0, nil
		}
		return vlan(binary.BigEndian.Uint16(b[14:16]), b[16:])
	case 276: // Linux SLL2
		if len(b) < 20 {
			return 0, nil
		}
		return vlan(binary.BigEndian.Uint16(b[0:2]), b[20:])
	case 0, 108: // BSD and OpenBSD loopback
		if len(b) < 4 {
			return 0, nil
		}
		fam := binary.BigEndian.Uint32(b[:4])
		if link == 0 && fam > 0xffff {
			fam = binary.LittleEndian.Uint32(b[:4])
		}
		switch fam {
		case 2:
			return 0x0800, b[4:]
		case 10, 24, 28, 30:
			return 0x86dd, b[4:]
		}
		return 0, nil
	case 12, 14, 101: // raw IP
		if len(b) == 0 {
			return 0, nil
		}
		switch b[0] >> 4 {
		case 4:
			return 0x0800, b
		case 6:
			return 0x86dd, b
		}
		return 0, nil
	case 228:
		return 0x0800, b
	case 229:
		return 0x86dd, b
	}
	return 0, nil
}

func vlan(typ uint16, b []byte) (uint16, []byte) {
	for range 8 {
		switch typ {
		case 0x8100, 0x88a8, 0x9100, 0x9200:
			if len(b) < 4 {
				return 0, nil
			}
			typ, b = binary.BigEndian.Uint16(b[2:4]), b[4:]
			continue
		}
		return typ, b
	}
	return 0, nil
}

// heldFrame is a fragment kept until its datagram is complete: only then
// does the packet it makes say whether it is evidence.
type heldFrame struct {
	off  int64
	time int64
	link uint16
	wire int
	data []byte
}

// fragHold keeps the fragments of the datagrams still being reassembled,
// within the same bounds as parse/pcap's reassembly (how many datagrams,
// how many bytes, how long), so that its memory does not grow with the
// capture.
type fragHold struct {
	sets     map[fragKey][]heldFrame
	order    []fragKey // first fragment first, for eviction
	first    map[fragKey]int64
	bytes    int
	maxSets  int
	maxBytes int
	timeout  int64
}

func newFragHold(maxSets, maxBytes int, timeout int64) *fragHold {
	return &fragHold{sets: map[fragKey][]heldFrame{}, first: map[fragKey]int64{}, maxSets: maxSets, maxBytes: maxBytes, timeout: timeout}
}

// add keeps a copy of a fragment frame.
func (h *fragHold) add(k fragKey, f *frame) {
	h.expire(f.time)
	if _, ok := h.sets[k]; !ok {
		for len(h.sets) >= h.maxSets || (h.bytes+len(f.data) > h.maxBytes && len(h.order) > 0) {
			if !h.evictOldest() {
				break
			}
		}
		h.order = append(h.order, k)
		h.first[k] = f.time
	}
	h.sets[k] = append(h.sets[k], heldFrame{off: f.off, time: f.time, link: f.link, wire: f.wire, data: append([]byte(nil), f.data...)})
	h.bytes += len(f.data)
}

// take removes and returns the fragments held for k.
func (h *fragHold) take(k fragKey) []heldFrame {
	fs, ok := h.sets[k]
	if !ok {
		return nil
	}
	h.drop(k)
	return fs
}

func (h *fragHold) drop(k fragKey) {
	for _, f := range h.sets[k] {
		h.bytes -= len(f.data)
	}
	delete(h.sets, k)
	delete(h.first, k)
}

// expire forgets datagrams whose first fragment is older than the timeout.
func (h *fragHold) expire(now int64) {
	for len(h.order) > 0 {
		k := h.order[0]
		t, live := h.first[k]
		if live && now-t <= h.timeout {
			return
		}
		h.order = h.order[1:]
		if live {
			h.drop(k)
		}
	}
}

// oldest gives the time of the first fragment of the oldest datagram
// held, if any: sets are kept in the order they began.
func (h *fragHold) oldest() (int64, bool) {
	for len(h.order) > 0 {
		if t, live := h.first[h.order[0]]; live {
			return t, true
		}
		h.order = h.order[1:]
	}
	return 0, false
}

func (h *fragHold) evictOldest() bool {
	for len(h.order) > 0 {
		k := h.order[0]
		h.order = h.order[1:]
		if _, live := h.sets[k]; live {
			h.drop(k)
			return true
		}
	}
	return false
}
