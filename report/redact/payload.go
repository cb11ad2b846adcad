package redact

import (
	"bytes"
	"net/netip"
	"strconv"
	"strings"

	"github.com/ceiling-dev/ceiling/parse/sip"
)

func sipLooks(b []byte) bool { return sip.Looks(b) }

// sipDatagram redacts a SIP message that is a whole datagram (a UDP
// payload, an SCTP message). Unless fixed, addresses are written in full
// and the Content-Length follows the body; everything else keeps its
// length (numbers and names have same-length pseudonyms).
func (r *Redactor) sipDatagram(b []byte, fixed bool) []byte {
	end := headEnd(b)
	if end < 0 {
		sc := scanner{r: r, fixed: true, final: true}
		return sc.run(make([]byte, 0, len(b)), b)
	}
	head, rest := b[:end], b[end:]
	cl, ok := contentLength(head)
	switch {
	case !ok:
		// The body runs to the end: nothing to fix.
		cl = len(rest)
	case cl > len(rest):
		// Cut short: the message must keep its length.
		fixed, cl = true, len(rest)
	}
	body, trailer := rest[:cl], rest[cl:]
	sc := scanner{r: r, fixed: fixed, final: true}
	out := sc.run(make([]byte, 0, len(b)+64), head)
	nb := r.body(contentType(head), body, fixed)
	if ok && len(nb) != cl {
		out = setContentLength(out, len(nb))
	}
	out = append(out, nb...)
	// Anything after the body is not part of the message: scanned, and
	// kept at its length.
	ft := scanner{r: r, fixed: true, final: true}
	return ft.run(out, trailer)
}

// body redacts a message body by its type: text is scanned, ISUP's
// numbers replaced, a multipart body part by part, and any other binary
// body blanked (its numbers could be anywhere).
func (r *Redactor) body(ctype string, b []byte, fixed bool) []byte {
	if len(b) == 0 {
		return b
	}
	mt, params := mediaType(ctype)
	switch {
	case mt == "" || textType(mt):
		sc := scanner{r: r, fixed: fixed, final: true}
		return r.known(sc.run(make([]byte, 0, len(b)), b))
	case strings.HasPrefix(mt, "multipart/"):
		if bd := param(params, "boundary"); bd != "" {
			return r.multipart(b, bd, fixed)
		}
		sc := scanner{r: r, fixed: fixed, final: true}
		return sc.run(make([]byte, 0, len(b)), b)
	case mt == "application/isup":
		out := append([]byte(nil), b...)
		if !r.isup(out, strings.Contains(strings.ToLower(param(params, "base")), "ansi")) {
			clear(out[1:])
		}
		return out
	}
	return make([]byte, len(b))
}

func textType(mt string) bool {
	switch {
	case strings.HasPrefix(mt, "text/"), strings.HasPrefix(mt, "message/"),
		strings.Contains(mt, "xml"), strings.Contains(mt, "json"),
		mt == "application/sdp", mt == "application/dtmf-relay", mt == "application/dtmf",
		mt == "application/x-www-form-urlencoded":
		return true
	}
	return false
}

// multipart redacts each part of a multipart body by its own type; the
// delimiters and part headers are text.
func (r *Redactor) multipart(b []byte, boundary string, fixed bool) []byte {
	delim := []byte("--" + boundary)
	out := make([]byte, 0, len(b))
	text := func(t []byte) {
		sc := scanner{r: r, fixed: fixed, final: true}
		out = sc.run(out, t)
	}
	i := bytes.Index(b, delim)
	if i < 0 {
		text(b)
		return out
	}
	text(b[:i]) // the preamble
	for i >= 0 {
		// b[i:] starts with a delimiter; the part runs to the next one
		// (the CRLF before it belongs to the delimiter).
		j := bytes.Index(b[i+len(delim):], delim)
		end := len(b)
		if j >= 0 {
			end = i + len(delim) + j
		}
		part := b[i:end]
		he := headEnd(part)
		if he < 0 {
			text(part)
		} else {
			text(part[:he])
			content := part[he:]
			tail := 0
			if j >= 0 && bytes.HasSuffix(content, []byte("\r\n")) {
				tail = 2
			}
			out = append(out, r.body(contentType(part[:he]), content[:len(content)-tail], fixed)...)
			out = append(out, content[len(content)-tail:]...)
		}
		if j < 0 {
			break
		}
		i = end
	}
	return out
}

// contentType finds the Content-Type (or c) header of a head.
func contentType(head []byte) string {
	for _, line := range bytes.Split(head, []byte("\n")) {
		if c := headerColon(line); c > 0 {
			name := strings.ToLower(string(bytes.TrimRight(line[:c], " \t")))
			if name == "content-type" || name == "c" {
				return string(bytes.TrimSpace(line[c+1:]))
			}
		}
	}
	return ""
}

// mediaType splits "type/subtype;params" and lowers the type.
func mediaType(ct string) (string, string) {
	mt, params, _ := strings.Cut(ct, ";")
	return strings.ToLower(strings.TrimSpace(mt)), params
}

// param returns a parameter of a Content-Type, unquoted.
func param(params, name string) string {
	for _, p := range strings.Split(params, ";") {
		k, v, ok := strings.Cut(p, "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	return ""
}

// headEnd returns the index just past the blank line that ends the head,
// -1 when there is none.
func headEnd(b []byte) int {
	if i := bytes.Index(b, []byte("\r\n\r\n")); i >= 0 {
		if j := bytes.Index(b, []byte("\n\n")); j >= 0 && j < i {
			return j + 2
		}
		return i + 4
	}
	if j := bytes.Index(b, []byte("\n\n")); j >= 0 {
		return j + 2
	}
	return -1
}

// contentLength finds the Content-Length (or l) header in a head.
func contentLength(head []byte) (int, bool) {
	_, v := findContentLength(head)
	if v == nil {
		return 0, false
	}
	n, err := strconv.Atoi(string(bytes.TrimSpace(v)))
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// findContentLength returns the start of the Content-Length value and
// the value, nil if the head has none.
func findContentLength(head []byte) (int, []byte) {
	pos := 0
	for pos < len(head) {
		nl := bytes.IndexByte(head[pos:], '\n')
		line := head[pos:]
		if nl >= 0 {
			line = head[pos : pos+nl]
		}
		if c := headerColon(line); c > 0 {
			name := strings.ToLower(string(bytes.TrimRight(line[:c], " \t")))
			if name == "content-length" || name == "l" {
				v := bytes.TrimRight(line[c+1:], "\r")
				return pos + c + 1, v
			}
		}
		if nl < 0 {
			break
		}
		pos += nl + 1
	}
	return -1, nil
}

func setContentLength(head []byte, n int) []byte {
	at, v := findContentLength(head)
	if v == nil {
		return head
	}
	lead := len(v) - len(bytes.TrimLeft(v, " \t"))
	trail := len(v) - len(bytes.TrimRight(v, " \t"))
	out := append([]byte(nil), head[:at+lead]...)
	out = strconv.AppendInt(out, int64(n), 10)
	return append(out, head[at+len(v)-trail:]...)
}

// datagram redacts a UDP payload that is not SIP: RTP's payload is
// voice or video and is zeroed, RTCP's names are replaced, and anything
// else is scanned for text, keeping its length (binary formats have
// length fields of their own).
func (r *Redactor) datagram(b []byte, sport, dport uint16) []byte {
	switch {
	case isRTCP(b):
		return r.rtcp(b)
	case isRTP(b, sport, dport):
		return rtpBlank(b)
	}
	sc := scanner{r: r, fixed: true, final: true}
	return r.binaryAddrs(r.known(sc.run(make([]byte, 0, len(b)), b)))
}

// binaryAddrs replaces, in a payload of unknown format, the client
// addresses already met in IP headers, written as 4 or 16 bytes: many
// binary protocols quote addresses (H.245, RTCP extensions, vendor
// keep-alives). A chance match in other data costs 4 bytes of it.
func (r *Redactor) binaryAddrs(b []byte) []byte {
	if len(r.p.addrs) == 0 {
		return b
	}
	for i := 0; i+4 <= len(b); i++ {
		if i+16 <= len(b) && b[i] != 0 {
			if q, ok := r.p.addrs[netip.AddrFrom16([16]byte(b[i:i+16]))]; ok && q.Is6() {
				a := q.As16()
				copy(b[i:], a[:])
				i += 15
				continue
			}
		}
		if q, ok := r.p.addrs[netip.AddrFrom4([4]byte(b[i:i+4]))]; ok && q.Is4() {
			a := q.As4()
			copy(b[i:], a[:])
			i += 3
		}
	}
	return b
}

// isRTP: version 2, a media payload type (not RTCP's 72–79 with the
// marker bit), on ports outside the well-known range.
func isRTP(b []byte, sport, dport uint16) bool {
	if len(b) < 12 || b[0]>>6 != 2 || sport < 1024 || dport < 1024 {
		return false
	}
	pt := b[1] & 0x7f
	return pt <= 34 || pt >= 96
}

func isRTCP(b []byte) bool {
	return len(b) >= 8 && b[0]>>6 == 2 && b[1] >= 200 && b[1] <= 207
}

// rtpBlank zeroes the payload after the header, its CSRCs and its
// extension; the padding count (last byte) stays.
func rtpBlank(b []byte) []byte {
	h := 12 + 4*int(b[0]&0x0f)
	if b[0]&0x10 != 0 && len(b) >= h+4 {
		h += 4 + 4*int(be16(b[h+2:h+4]))
	}
	end := len(b)
	if b[0]&0x20 != 0 && end > h {
		end--
	}
	if h < end {
		clear(b[h:end])
	}
	return b
}

// rtcp replaces the text of SDES items (CNAME, NAME, EMAIL, PHONE, …)
// and of BYE reasons, and zeroes APP data.
func (r *Redactor) rtcp(b []byte) []byte {
	for off := 0; off+4 <= len(b); {
		n := (int(be16(b[off+2:off+4])) + 1) * 4
		end := min(off+n, len(b))
		pkt := b[off:end]
		switch pkt[1] {
		case 202: // SDES
			count := int(pkt[0] & 0x1f)
			q := 4
			for c := 0; c < count && q+4 <= len(pkt); c++ {
				q += 4 // SSRC
				for q < len(pkt) && pkt[q] != 0 {
					if q+2 > len(pkt) {
						break
					}
					ln := int(pkt[q+1])
					if q+2+ln > len(pkt) {
						clear(pkt[q+2:])
						q = len(pkt)
						break
					}
					item := pkt[q+2 : q+2+ln]
					copy(item, r.p.token(kindName, string(item)))
					q += 2 + ln
				}
				q = (q + 4) &^ 3 // the terminating zero and padding
			}
		case 203: // BYE: SSRCs, then an optional reason
			q := 4 + 4*int(pkt[0]&0x1f)
			if q < len(pkt) {
				ln := int(pkt[q])
				if q+1+ln <= len(pkt) {
					item := pkt[q+1 : q+1+ln]
					copy(item, r.p.token(kindName, string(item)))
				}
			}
		case 204: // APP
			if len(pkt) > 12 {
				clear(pkt[12:])
			}
		}
		off += n
	}
	return b
}
