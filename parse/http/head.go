package http

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// fields is what a head's header lines say, before it is copied into a
// Request or a Response.
type fields struct {
	headers                         []Header
	host, upgrade, connection, date string
	wsKey, wsProto, wsVersion       string
	wsAccept, wsExt, retryAfter     string
	trace                           []Header

	contentLength int64 // -1: none
	clBad         string
	te            string
	badLines      int
}

// lowerEq reports whether s is lower, which is lower-case ASCII, in any
// case. For s as long as lower that is what strings.EqualFold says: the
// only runes outside ASCII that fold into it (K, the Kelvin sign, and ſ)
// are longer than their ASCII folds, so no string of lower's length that
// holds one can equal lower. Every header name of every head is compared
// so, several times: it compares eight bytes at a time.
func lowerEq(s, lower string) bool {
	n := len(s)
	switch {
	case n != len(lower):
		return false
	case n >= 8:
		// Words from the start, and the last eight bytes, which may
		// overlap the word before.
		for i := 0; i < n-8; i += 8 {
			if toLower8(le64(s[i:])) != le64(lower[i:]) {
				return false
			}
		}
		return toLower8(le64(s[n-8:])) == le64(lower[n-8:])
	case n >= 4:
		return toLower8(le32(s)) == le32(lower) && toLower8(le32(s[n-4:])) == le32(lower[n-4:])
	}
	for i := 0; i < n; i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// le64 reads the first eight bytes of s as a little-endian word, and le32
// the first four.
func le64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

func le32(s string) uint64 {
	_ = s[3]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24
}

// toLower8 lowers the ASCII upper-case letters among the eight bytes of
// x. For each byte b under 0x80, b+0x3f reaches 0x80 when b >= 'A' and
// b+0x25 when b > 'Z', with no carry into the next byte; bytes of 0x80 and
// more are left as they are.
func toLower8(x uint64) uint64 {
	const ones = 0x0101010101010101
	h := x & (0x7f * ones)
	upper := (h + (0x80-'A')*ones) &^ (h + (0x80-'Z'-1)*ones) &^ x & (0x80 * ones)
	return x | upper>>2
}

func isOWS(c byte) bool { return c == ' ' || c == '\t' }

// trimOWS drops the optional whitespace (spaces and tabs) around s.
func trimOWS(s string) string {
	i, j := 0, len(s)
	for i < j && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	for j > i && (s[j-1] == ' ' || s[j-1] == '\t') {
		j--
	}
	return s[i:j]
}

// join adds a repeated field's value the way RFC 9110 §5.3 combines them.
func join(old, v string) string {
	if old == "" {
		return v
	}
	if v == "" {
		return old
	}
	return old + ", " + v
}

// readFields parses the header lines of s (the whole head as one string,
// which the strings it keeps share, so a head costs one copy for all of
// its text) into f, whose headers has room for them all. eol holds where
// each line of s ends, the start line's first; the empty line that ends
// the head is not among them.
func readFields(f *fields, s string, eol []int, tn *traceNames) {
	for i := 1; i < len(eol); i++ {
		line := s[eol[i-1] : eol[i]-1]
		line = strings.TrimSuffix(line, "\r")
		if line[0] == ' ' || line[0] == '\t' {
			// obs-fold: a continuation of the previous field's value.
			if len(f.headers) == 0 {
				f.badLines++
				continue
			}
			h := &f.headers[len(f.headers)-1]
			h.Value = join(h.Value, trimOWS(line))
			f.apply(h.Name, h.Value, tn, true)
			continue
		}
		colon := strings.IndexByte(line, ':')
		if colon <= 0 {
			f.badLines++
			continue
		}
		name := line[:colon]
		// The line starts with neither a space nor a tab: only the end of
		// the name can have whitespace.
		if c := name[len(name)-1]; c == ' ' || c == '\t' {
			// RFC 9112 §5.1 forbids space before the colon; a server must
			// reject it. Kept, so that what the head said stays visible.
			f.badLines++
			name = trimOWS(name)
			if name == "" {
				continue
			}
		}
		value := line[colon+1:]
		if n := len(value); n > 1 && value[0] == ' ' && !isOWS(value[1]) && !isOWS(value[n-1]) {
			value = value[1:] // the usual case: one space after the colon
		} else {
			value = trimOWS(value)
		}
		f.headers = append(f.headers, Header{name, value})
		f.apply(name, value, tn, false)
	}
}

// is reports whether name is lower (see lowerEq). canon is lower as most
// senders spell it (RFC 9110's and RFC 6455's case): a compare with a
// constant that the compiler inlines, before the folding one. Then the
// first byte: most names that have the length of one ceiling reads are
// another.
func is(name, lower, canon string) bool {
	return name == canon || name[0]|0x20 == lower[0] && lowerEq(name, lower)
}

// apply notes a field ceiling cares about. refold says the value replaces
// the last one given for name (an obs-fold continued it).
func (f *fields) apply(name, value string, tn *traceNames, refold bool) {
	set := func(p *string) {
		if refold {
			*p = value
		} else {
			*p = join(*p, value)
		}
	}
	switch len(name) {
	case 4:
		if is(name, "host", "Host") {
			if f.host == "" || refold {
				f.host = value
			}
			return
		}
		if is(name, "date", "Date") {
			f.date = value
			return
		}
	case 7:
		if is(name, "upgrade", "Upgrade") {
			set(&f.upgrade)
			return
		}
	case 10:
		if is(name, "connection", "Connection") {
			set(&f.connection)
			return
		}
	case 11:
		if is(name, "retry-after", "Retry-After") {
			f.retryAfter = value
			return
		}
	case 14:
		if is(name, "content-length", "Content-Length") {
			f.setContentLength(value)
			return
		}
	case 17:
		if is(name, "transfer-encoding", "Transfer-Encoding") {
			set(&f.te)
			return
		}
		if is(name, "sec-websocket-key", "Sec-WebSocket-Key") {
			set(&f.wsKey)
			return
		}
	case 20:
		if is(name, "sec-websocket-accept", "Sec-WebSocket-Accept") {
			set(&f.wsAccept)
			return
		}
	case 21:
		if is(name, "sec-websocket-version", "Sec-WebSocket-Version") {
			set(&f.wsVersion)
			return
		}
	case 22:
		if is(name, "sec-websocket-protocol", "Sec-WebSocket-Protocol") {
			set(&f.wsProto)
			return
		}
	case 24:
		if is(name, "sec-websocket-extensions", "Sec-WebSocket-Extensions") {
			set(&f.wsExt)
			return
		}
	}
	if !refold && tn.match(name) {
		f.trace = append(f.trace, Header{name, value})
		if is(name, "traceparent", "traceparent") {
			if id := traceParentID(value); id != "" {
				f.trace = append(f.trace, Header{"traceparent.trace-id", id})
			}
		}
	}
}

// setContentLength takes one Content-Length field. RFC 9110 §8.6 allows a
// list of identical values (a proxy's merge); anything else leaves the
// body's end unknown.
func (f *fields) setContentLength(v string) {
	for {
		elem, rest, more := strings.Cut(v, ",")
		elem = strings.Trim(elem, " \t")
		n, ok := parseLength(elem)
		switch {
		case !ok:
			f.clBad = "bad Content-Length " + strconv.Quote(clip(v))
			return
		case f.contentLength >= 0 && f.contentLength != n:
			f.clBad = "conflicting Content-Length values"
			return
		}
		f.contentLength = n
		if !more {
			return
		}
		v = rest
	}
}

// parseLength reads a non-negative decimal that fits an int64.
func parseLength(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isDigit(c) {
			return 0, false
		}
		if n > (math.MaxInt64-int64(c-'0'))/10 {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// clip shortens what goes into a problem's reason.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// lastCoding returns the last transfer coding of a Transfer-Encoding
// value, lower case, without parameters.
func lastCoding(te string) string {
	if i := strings.LastIndexByte(te, ','); i >= 0 {
		te = te[i+1:]
	}
	if i := strings.IndexByte(te, ';'); i >= 0 {
		te = te[:i]
	}
	return strings.ToLower(strings.Trim(te, " \t"))
}

// hasUpgrade and hasWebSocket are hasToken for the tokens of an upgrade,
// with the value most senders give compared first, inline.
func hasUpgrade(v string) bool   { return v == "Upgrade" || hasToken(v, "upgrade") }
func hasWebSocket(v string) bool { return v == "websocket" || hasToken(v, "websocket") }

// hasToken reports whether the comma-separated list v holds tok, lower
// case (case-insensitive): "keep-alive, Upgrade" holds "upgrade".
func hasToken(v, tok string) bool {
	if lowerEq(v, tok) {
		// The list is the token alone, as it mostly is ("Upgrade",
		// "websocket").
		return true
	}
	for v != "" {
		var elem string
		elem, v, _ = strings.Cut(v, ",")
		if i := strings.IndexByte(elem, ';'); i >= 0 {
			elem = elem[:i]
		}
		elem = trimOWS(elem)
		// EqualFold where lowerEq cannot stand for it: "web\u017focket"
		// is "websocket" to it. Only a longer string can fold so into an
		// ASCII token.
		if lowerEq(elem, tok) || len(elem) > len(tok) && strings.EqualFold(elem, tok) {
			return true
		}
	}
	return false
}

// HTTP-date layouts, RFC 9110 §5.6.7: the preferred one and two obsolete.
var dateLayouts = []string{
	"Mon, 02 Jan 2006 15:04:05 GMT",
	"Monday, 02-Jan-06 15:04:05 GMT",
	"Mon Jan _2 15:04:05 2006",
}

func parseDate(s string) (time.Time, bool) {
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// retryAfter turns a Retry-After value into seconds; see
// Response.RetryAfter. now is the response's time in Unix ns.
func retryAfter(v, date string, now int64) int {
	if v == "" {
		return -1
	}
	if n, ok := parseLength(v); ok {
		if n > math.MaxInt32 {
			return math.MaxInt32
		}
		return int(n)
	}
	at, ok := parseDate(v)
	if !ok {
		return -1
	}
	var ref time.Time
	if d, ok := parseDate(date); ok {
		ref = d
	} else if now > 0 {
		ref = time.Unix(0, now)
	} else {
		return -1
	}
	s := at.Sub(ref) / time.Second
	switch {
	case s < 0:
		return 0
	case s > math.MaxInt32:
		return math.MaxInt32
	}
	return int(s)
}
