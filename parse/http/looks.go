package http

import (
	"bytes"
	"encoding/binary"
)

// maxMethod bounds a method token: the longest registered method
// (UPDATEREDIRECTREF, 17) with room to spare. A longer "method" is not
// HTTP, and stopping there keeps the scan of a junk line short.
const maxMethod = 32

// sniffWindow bounds how far the sniffers look for the end of the first
// line: they run on the first payload of every new stream.
const sniffWindow = 4096

var tokenChar = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return
}()

// knownMethod says whether m is one of the methods of RFC 9110 and PATCH:
// the only ones accepted without a version on the request line, or from a
// first line cut short.
func knownMethod(m []byte) bool {
	switch string(m) {
	case "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH":
		return true
	}
	return false
}

// version reports whether b is "HTTP/d.d".
func version(b []byte) bool {
	return len(b) == 8 && string(b[:5]) == "HTTP/" && isDigit(b[5]) && b[6] == '.' && isDigit(b[7])
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// validTarget reports whether t can be a request target: not empty, no
// spaces or control bytes (bytes above 0x7f pass: clients send raw UTF-8).
//
// It looks at eight bytes at a time: the targets of an API's requests run
// to a hundred bytes. (x - 0x21 in each byte) &^ x has a byte's top bit
// set for the lowest byte under 0x21, and so for some byte whenever one
// is under 0x21 (a borrow into a higher byte needs one under it first);
// y, x with every 0x7f made zero, the same for bytes under 1.
func validTarget(t []byte) bool {
	if len(t) == 0 {
		return false
	}
	if len(t) < 8 {
		for _, c := range t {
			if c <= ' ' || c == 0x7f {
				return false
			}
		}
		return true
	}
	// The last eight bytes make one more word, overlapping the one before,
	// rather than a byte loop for the rest.
	last := binary.LittleEndian.Uint64(t[len(t)-8:])
	for len(t) >= 8 {
		if badTargetWord(binary.LittleEndian.Uint64(t)) {
			return false
		}
		t = t[8:]
	}
	return !badTargetWord(last)
}

// badTargetWord reports whether a byte of x is a space, a control byte
// or DEL (see validTarget).
func badTargetWord(x uint64) bool {
	const ones = 0x0101010101010101
	y := x ^ 0x7f*ones
	return ((x-0x21*ones)&^x|(y-ones)&^y)&(0x80*ones) != 0
}

// requestLine splits a request line (without its line end). strict wants
// what a resync may trust: a version and an upper-case method. Otherwise a
// well-known method and a target without a version pass too, as Wireshark
// reads them, with an empty proto.
func requestLine(line []byte, strict bool) (method, target, proto []byte, ok bool) {
	sp := bytes.IndexByte(line, ' ')
	if sp <= 0 || sp > maxMethod {
		return nil, nil, nil, false
	}
	method = line[:sp]
	for _, c := range method {
		if !tokenChar[c] || strict && !(c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			return nil, nil, nil, false
		}
	}
	rest := line[sp+1:]
	if n := len(rest); n > 9 && rest[n-9] == ' ' && version(rest[n-8:]) {
		target, proto = rest[:n-9], rest[n-8:]
	} else if strict || !knownMethod(method) {
		return nil, nil, nil, false
	} else {
		target = rest
	}
	if !validTarget(target) {
		return nil, nil, nil, false
	}
	return method, target, proto, true
}

// statusLine splits a status line (without its line end). The reason may
// be empty, and the space before it missing.
func statusLine(line []byte) (proto []byte, code int, reason []byte, ok bool) {
	if len(line) < 12 || !version(line[:8]) || line[8] != ' ' {
		return nil, 0, nil, false
	}
	d := line[9:12]
	if d[0] < '1' || d[0] > '9' || !isDigit(d[1]) || !isDigit(d[2]) {
		return nil, 0, nil, false
	}
	code = int(d[0]-'0')*100 + int(d[1]-'0')*10 + int(d[2]-'0')
	switch {
	case len(line) == 12:
	case line[12] == ' ':
		reason = line[13:]
	default:
		return nil, 0, nil, false
	}
	if !validReason(reason) {
		return nil, 0, nil, false
	}
	return line[:8], code, reason, true
}

// plausibleStart reports whether p, the first bytes of a line, can begin a
// start line. It looks at no more than the first maxMethod+1 bytes, so
// that its answer for a prefix never changes as the line grows: the parser
// may ask it at any chunk boundary and must reach the same verdict.
func plausibleStart(p []byte, resp bool) bool {
	if resp {
		const pat = "HTTP/d.d ddd"
		for i := 0; i < len(p) && i < len(pat); i++ {
			switch pat[i] {
			case 'd':
				if !isDigit(p[i]) {
					return false
				}
			default:
				if p[i] != pat[i] {
					return false
				}
			}
		}
		return true
	}
	for i := 0; i < len(p) && i <= maxMethod; i++ {
		c := p[i]
		if c == ' ' {
			return i > 0
		}
		if !tokenChar[c] {
			return false
		}
	}
	return len(p) <= maxMethod
}

// firstLine returns b's first line without its line end, and whether it
// was complete within the sniffing window.
func firstLine(b []byte) ([]byte, bool) {
	if len(b) > sniffWindow {
		b = b[:sniffWindow]
	}
	nl := bytes.IndexByte(b, '\n')
	if nl < 0 {
		return b, false
	}
	return bytes.TrimSuffix(b[:nl], []byte{'\r'}), true
}

// LooksLikeRequest reports whether b, the first bytes a side of a new
// stream sent, is an HTTP/1.x request: its first line is a request line
// with a version. When b ends before the first line does, a well-known
// method followed by a space and a target's first byte is enough; with
// fewer bytes than "GET / HTTP/1.1\r\n" the answer is less sure. It tells
// SIP apart ("OPTIONS sip:… SIP/2.0").
func LooksLikeRequest(b []byte) bool {
	line, complete := firstLine(b)
	if complete {
		_, _, _, ok := requestLine(line, true)
		return ok
	}
	sp := bytes.IndexByte(line, ' ')
	if sp <= 0 || sp+1 >= len(line) || !knownMethod(line[:sp]) {
		return false
	}
	switch c := line[sp+1]; {
	case c == '/' || c == '*':
		return true
	case string(line[:sp]) == "CONNECT":
		return c > ' ' && c < 0x7f
	}
	// An absolute target: http:// or https://, as far as b goes.
	t := line[sp+1:]
	for _, s := range []string{"http://", "https://"} {
		n := min(len(t), len(s))
		if string(t[:n]) == s[:n] {
			return true
		}
	}
	return false
}

// LooksLikeResponse reports whether b, the first bytes a side of a new
// stream sent, starts with an HTTP/1.x status line ("HTTP/1.1 503"); it
// needs those first 12 bytes.
func LooksLikeResponse(b []byte) bool {
	if len(b) < 12 {
		return false
	}
	line, _ := firstLine(b)
	if len(line) < 12 {
		return false
	}
	if !plausibleStart(line[:12], true) {
		return false
	}
	return len(line) == 12 || line[12] == ' '
}

// validReason reports whether a reason phrase holds no control byte but
// tab, and no DEL. It looks at eight bytes at a time, as validTarget does
// (the test marks bytes under 0x20 here), and at the bytes of a word
// only when the word has one: a tab.
func validReason(r []byte) bool {
	const ones = 0x0101010101010101
	for len(r) >= 8 {
		x := binary.LittleEndian.Uint64(r)
		y := x ^ 0x7f*ones
		if ((x-0x20*ones)&^x|(y-ones)&^y)&(0x80*ones) != 0 && !reasonBytes(r[:8]) {
			return false
		}
		r = r[8:]
	}
	return reasonBytes(r)
}

func reasonBytes(r []byte) bool {
	for _, c := range r {
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
