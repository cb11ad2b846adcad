package redact

import (
	"errors"

	"github.com/gopacket/gopacket/layers"
)

// Rewrite is Packet for a writer that cannot leave a frame out: it has
// the signature of report/evidence's Options.Rewrite, which stops the
// extraction at an error. A frame Packet would drop comes back instead
// as long as it was, with its MAC and IP addresses redacted and all that
// follows the IP header zeroed (the IP protocol set to 255, IPv6's next
// header to "none"), or as zeros when not even that decodes: nothing is
// readable in it, and the frame numbers of the capture stay. It counts
// in Stats.Blanked.
func (r *Redactor) Rewrite(data []byte, link layers.LinkType) ([]byte, error) {
	out, err := r.Packet(data, link)
	if err == nil || !errors.Is(err, ErrDropped) {
		return out, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stats.Blanked++
	b := append([]byte(nil), data...)
	if !r.blankFrame(b, link) {
		clear(b)
	}
	return b, nil
}

// blankFrame redacts the link and IP headers of b in place and zeroes the
// rest; false when they do not decode.
func (r *Redactor) blankFrame(b []byte, link layers.LinkType) bool {
	off := -1
	switch link {
	case layers.LinkTypeEthernet:
		if len(b) < 14 {
			return false
		}
		r.hwAddr(b[0:6], 6)
		r.hwAddr(b[6:12], 6)
		typ, o := be16(b[12:14]), 14
		for n := 0; n < 8 && (typ == 0x8100 || typ == 0x88a8 || typ == 0x9100 || typ == 0x9200) && o+4 <= len(b); n++ {
			typ, o = be16(b[o+2:o+4]), o+4
		}
		if typ == 0x0800 || typ == 0x86dd {
			off = o
		}
	case layers.LinkTypeLinuxSLL:
		if len(b) < 16 {
			return false
		}
		r.hwAddr(b[6:14], int(be16(b[4:6])))
		off = 16
	case layers.LinkTypeLinuxSLL2:
		if len(b) < 20 {
			return false
		}
		r.hwAddr(b[12:20], int(b[11]))
		off = 20
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		off = 4
	case layers.LinkTypeRaw, linkRawBSD, linkRawOBSD, layers.LinkTypeIPv4, layers.LinkTypeIPv6:
		off = 0
	}
	if off < 0 || off >= len(b) {
		return false
	}
	ip := b[off:]
	switch {
	case ip[0]>>4 == 4 && len(ip) >= 20 && int(ip[0]&0x0f)*4 >= 20 && int(ip[0]&0x0f)*4 <= len(ip):
		ihl := int(ip[0]&0x0f) * 4
		r.v4At(ip[12:16])
		r.v4At(ip[16:20])
		ip[9] = 255
		clear(ip[20:ihl])
		clear(ip[ihl:])
		put16(ip[10:12], 0)
		put16(ip[10:12], ^fold(sum16(ip[:ihl], 0)))
		return true
	case ip[0]>>4 == 6 && len(ip) >= 40:
		r.v6At(ip[8:24])
		r.v6At(ip[24:40])
		ip[6] = 59
		clear(ip[40:])
		return true
	}
	return false
}
