package sip

import "bytes"

// looksWindow bounds how far Looks searches for the end of the first line:
// a start line is short, and Looks runs on every payload of a capture.
const looksWindow = 2048

// Looks reports whether b can be a SIP message: after any CRLFs, its first
// line is a request line (METHOD URI SIP/2.0, any token method, any URI
// scheme) or a status line (SIP/2.0 NNN). It recognises SIP on any port
// without parsing. A line whose front is garbage (control bytes) before a
// start line counts, as Parse skips that junk.
func Looks(b []byte) bool { return LooksAt(b, nil) }

// Start is what LooksAt learnt of a datagram's start line, so that its
// parse (Parser.ParseSharedIntoAt) need not cut and read the line again:
// a UDP payload is looked at on the reading goroutine and parsed on
// another. Offsets are from the start of the payload; ok is false when
// LooksAt saw too little of the line to say where it ends.
type Start struct {
	at, end, next       int32 // the start line, its end before CR LF, the byte after its LF
	methodEnd, uriStart int32 // a request's, from at
	status, ok          bool
}

// LooksAt is Looks telling, when st is not nil, what it learnt of the
// start line in *st.
func LooksAt(b []byte, st *Start) bool {
	skip := 0
	for skip < len(b) && (b[skip] == '\r' || b[skip] == '\n') {
		skip++
	}
	b = b[skip:]
	// The whole line is seen when the window holds its end or the
	// payload's.
	whole := len(b) <= looksWindow
	if !whole {
		b = b[:looksWindow]
	}
	if len(b) < len("SIP/2.0 200") {
		// Shorter than any start line.
		return false
	}
	// A status line, the commonest start line, is settled by its first
	// twelve bytes, none of which is a line end.
	if b[0]|0x20 == 's' && len(b) > 11 && b[11] == ' ' && isStatusLine(b[:11]) {
		return true
	}
	// Every start line holds "/2.0" in any case of its letters. A payload
	// that starts with junk (RTP's first byte is one) rarely does: one
	// search turns it away before the line is cut. A payload that starts
	// like a start line goes straight on, which is quicker for SIP.
	if junkByte(b[0]) && !hasSlash20(b) {
		return false
	}
	next := len(b)
	if nl := bytes.IndexByte(b, '\n'); nl >= 0 {
		b, next, whole = b[:nl], nl+1, true
	}
	if len(b) > 0 && b[len(b)-1] == '\r' {
		b = b[:len(b)-1]
	}
	si := readStartLine(b)
	if st != nil && whole && si.at >= 0 {
		*st = Start{at: int32(skip + si.at), end: int32(skip + len(b)), next: int32(skip + next),
			methodEnd: int32(si.methodEnd - si.at), uriStart: int32(si.uriStart - si.at), status: si.status, ok: true}
	}
	return si.at >= 0
}

// hasSlash20 reports whether b holds "/2.0". It runs on every RTP payload
// of a capture, twice (the analysis and the evidence pass): with AVX2 the
// four bytes are compared at 32 places at once, which takes 40% less time
// than hasSlash20Go on the generator's µ-law payloads.
func hasSlash20(b []byte) bool {
	if slash20Asm && len(b) >= slash20Min {
		return slash20AVX2(b)
	}
	return hasSlash20Go(b)
}

// hasSlash20Go is hasSlash20 in Go: bytes.Index without the choice of a
// method for the length, as '/' is rare in the binary payloads it runs
// on, and "2.0" after it rarer.
func hasSlash20Go(b []byte) bool {
	for {
		i := bytes.IndexByte(b, '/')
		if i < 0 || len(b)-i < len("/2.0") {
			return false
		}
		if b[i+1] == '2' && b[i+2] == '.' && b[i+3] == '0' {
			return true
		}
		b = b[i+1:]
	}
}

// KeepAlive reports whether b is a keep-alive rather than a message: only
// CR and LF (RFC 5626's "\r\n\r\n" ping and "\r\n" pong), or a few NUL
// bytes (the four zero bytes many phones send to keep a NAT binding
// open over UDP).
func KeepAlive(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	if b[0] == 0 {
		if len(b) > 8 {
			return false
		}
		for _, c := range b {
			if c != 0 {
				return false
			}
		}
		return true
	}
	for _, c := range b {
		if c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

// sipVersionWord is "sip/2.0 " read as a little-endian word, and
// spSIPVersionWord " sip/2.0".
const (
	sipVersionWord   = 's' | 'i'<<8 | 'p'<<16 | '/'<<24 | '2'<<32 | '.'<<40 | '0'<<48 | ' '<<56
	spSIPVersionWord = ' ' | 's'<<8 | 'i'<<16 | 'p'<<24 | '/'<<32 | '2'<<40 | '.'<<48 | '0'<<56
)

var (
	sipVersionSP = []byte("SIP/2.0 ")
	spSIPVersion = []byte(" SIP/2.0")
)

// junkByte reports whether c may end junk in front of a start line on the
// same line. Only control and non-ASCII bytes qualify: a printable byte
// right before a method is more likely part of a damaged method, or of a
// header that merely ends in "SIP/2.0".
func junkByte(c byte) bool { return (c < 0x20 && c != '\t') || c >= 0x7f }

// startInfo is where a start line and the parts of a request line lie,
// as offsets in the line given to readStartLine.
type startInfo struct {
	at                  int // where the start line begins, -1 when there is none
	status              bool
	methodEnd, uriStart int // a request's
}

// readStartLine tells where in line (no CR LF) a start line begins (at,
// -1 when there is none) and where a request line's parts lie.
func readStartLine(line []byte) startInfo {
	if isStatusLine(line) {
		return startInfo{at: 0, status: true}
	}
	if len(line) > len(spSIPVersion) && endsSIPVersion(line) {
		// Method SP+ Request-URI SP SIP/2.0: the URI has no spaces, so
		// the first space ends the method, unless junk in front holds one.
		uriEnd := len(line) - len(spSIPVersion)
		methodEnd := bytes.IndexByte(line[:uriEnd], ' ')
		if methodEnd < 0 {
			return startInfo{at: -1}
		}
		u := methodEnd + 1
		for u < uriEnd && line[u] == ' ' {
			u++
		}
		if bytes.IndexByte(line[u:uriEnd], ' ') >= 0 {
			u = bytes.LastIndexByte(line[:uriEnd], ' ') + 1
			methodEnd = u - 1
			for methodEnd > 0 && line[methodEnd-1] == ' ' {
				methodEnd--
			}
		}
		if !uriShape(line[u:uriEnd]) {
			return startInfo{at: -1}
		}
		k := methodEnd
		for k > 0 && tokenChar[line[k-1]] {
			k--
		}
		if k == methodEnd || (k > 0 && !junkByte(line[k-1])) {
			return startInfo{at: -1}
		}
		return startInfo{at: k, methodEnd: methodEnd, uriStart: u}
	}
	if i := bytes.Index(line, sipVersionSP); i > 0 && junkByte(line[i-1]) && isStatusLine(line[i:]) {
		return startInfo{at: i, status: true}
	}
	return startInfo{at: -1}
}

// endsSIPVersion reports whether line, longer than 8 bytes, ends in
// " SIP/2.0" in any case of its letters. It compares one word as
// isStatusLine does, where equalFold folded byte by byte.
func endsSIPVersion(line []byte) bool {
	t := line[len(line)-8:]
	w := uint64(t[0]) | uint64(t[1])<<8 | uint64(t[2])<<16 | uint64(t[3])<<24 |
		uint64(t[4])<<32 | uint64(t[5])<<40 | uint64(t[6])<<48 | uint64(t[7])<<56
	return w|0x20202000 == spSIPVersionWord
}

// isStatusLine reports whether line starts "SIP/2.0 NNN" followed by a
// space or nothing.
func isStatusLine[T string | []byte](line T) bool {
	if len(line) < 11 {
		return false
	}
	// "SIP/2.0 " as one word: the letters in either case (setting the
	// case bit of S, I and P gives s, i and p only from S, I, P, s, i and
	// p), the rest exactly.
	w := uint64(line[0]) | uint64(line[1])<<8 | uint64(line[2])<<16 | uint64(line[3])<<24 |
		uint64(line[4])<<32 | uint64(line[5])<<40 | uint64(line[6])<<48 | uint64(line[7])<<56
	if w|0x202020 != sipVersionWord {
		return false
	}
	// Three digits: a byte below '0' wraps round to above 9.
	return line[8]-'0' <= 9 && line[9]-'0' <= 9 && line[10]-'0' <= 9 && (len(line) == 11 || line[11] == ' ')
}

// uriShape reports whether u starts like an absolute URI, "scheme:...",
// as every Request-URI does (sip:, sips:, tel:, urn:).
func uriShape(u []byte) bool {
	if len(u) < 2 || !isAlpha(u[0]) {
		return false
	}
	for i := 1; i < len(u); i++ {
		c := u[i]
		switch {
		case c == ':':
			return true
		case isAlpha(c) || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.':
		default:
			return false
		}
	}
	return false
}

func isAlpha(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }
