package redact

import (
	"bytes"
	"net/netip"
	"strconv"
	"strings"
)

// scanner rewrites text: SIP and HTTP heads, SDP, free text, and the
// readable parts of binary payloads. It works line by line so that it
// knows which header a value belongs to.
//
// In fixed mode every replacement is exactly as long as what it
// replaces, so out[i] lines up with in[i]: that is what TCP, IP
// fragments and binary payloads need, and what lets a stream be scanned
// with the start of its current line as context and only the new part
// kept.
type scanner struct {
	r     *Redactor
	fixed bool
	// final says the text ends here. When false the text is a chunk of a
	// stream that goes on, and a token touching its end may be cut: it is
	// redacted on what it looks like so far (see tail).
	final bool
	// fold is the class of the header a continuation line belongs to.
	fold hclass
	// prose: the text is one of a report's strings, which may name a
	// Call-ID met before (in packets, Call-IDs are in their headers).
	prose bool
	// inURL counts the URL paths being scanned.
	inURL int
}

// hclass is how a header's value is treated.
type hclass uint8

const (
	hNone     hclass = iota // not a header line
	hNormal                 // names, URIs, numbers, addresses redacted
	hKeep                   // kept: framing, numbers that are not phone numbers, trace IDs
	hCallID                 // kept but for addresses in it
	hSecret                 // replaced whole: cookies, API keys
	hAuth                   // credentials: the scheme is kept
	hNameAddr               // From, To, Contact and the like: display names
)

// Headers whose values are name-addrs: a display name before the URI.
var nameAddrHeaders = map[string]bool{
	"from": true, "f": true, "to": true, "t": true, "contact": true, "m": true,
	"p-asserted-identity": true, "p-preferred-identity": true, "remote-party-id": true,
	"refer-to": true, "r": true, "referred-by": true, "b": true, "reply-to": true,
	"diversion": true, "history-info": true, "p-called-party-id": true,
	"route": true, "record-route": true, "path": true, "service-route": true,
	"p-served-user": true, "identity": true,
}

// Headers whose values are framing or protocol numbers. Their digits are
// not phone numbers, and changing them would break the message
// (Content-Length) or the analysis (CSeq, Retry-After).
var keepHeaders = map[string]bool{
	"cseq": true, "content-length": true, "l": true, "max-forwards": true,
	"expires": true, "min-expires": true, "session-expires": true, "x": true,
	"min-se": true, "rseq": true, "rack": true, "retry-after": true,
	"content-type": true, "c": true, "content-encoding": true, "e": true,
	"content-range": true, "range": true, "transfer-encoding": true,
	"sec-websocket-key": true, "sec-websocket-accept": true,
	"sec-websocket-version": true, "sec-websocket-extensions": true,
	"sec-websocket-protocol": true, "upgrade": true, "connection": true,
	"allow": true, "supported": true, "k": true, "require": true,
	"proxy-require": true, "unsupported": true, "timestamp": true,
	"keep-alive": true, "cache-control": true, "etag": true,
	"last-modified": true, "age": true, "date": true,
}

var callIDHeaders = map[string]bool{"call-id": true, "i": true, "replaces": true, "join": true, "in-reply-to": true}

var secretHeaders = map[string]bool{
	"cookie": true, "set-cookie": true, "x-api-key": true, "api-key": true,
	"x-auth-token": true, "x-amz-security-token": true, "x-csrf-token": true,
}

func (s *scanner) classify(name []byte) hclass {
	// Lowered on the stack: a header line is classified for every line
	// of every message.
	var buf [40]byte
	if len(name) > len(buf) {
		if s.r.keepHeader(name) {
			return hKeep
		}
		return hNormal
	}
	for i, c := range name {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	n := buf[:len(name)]
	switch {
	case callIDHeaders[string(n)]:
		return hCallID
	case keepHeaders[string(n)]:
		return hKeep
	case string(n) == "authorization" || string(n) == "proxy-authorization":
		return hAuth
	case secretHeaders[string(n)]:
		return hSecret
	case nameAddrHeaders[string(n)]:
		return hNameAddr
	case s.r.keepHeader(name):
		return hKeep
	}
	return hNormal
}

// run scans src and appends the result to dst.
func (s *scanner) run(dst, src []byte) []byte {
	for len(src) > 0 {
		nl := bytes.IndexByte(src, '\n')
		var line []byte
		open := false
		if nl < 0 {
			line, src = src, nil
			open = !s.final
		} else {
			line, src = src[:nl], src[nl+1:]
		}
		cr := len(line) > 0 && line[len(line)-1] == '\r'
		if cr {
			line = line[:len(line)-1]
			open = false
		}
		dst = s.line(dst, line, open)
		if cr {
			dst = append(dst, '\r')
		}
		if nl >= 0 {
			dst = append(dst, '\n')
		}
	}
	return dst
}

func (s *scanner) line(dst, l []byte, open bool) []byte {
	if len(l) > 0 && (l[0] == ' ' || l[0] == '\t') && s.fold != hNone {
		return s.value(dst, l, s.fold, open)
	}
	if colon := headerColon(l); colon > 0 {
		class := s.classify(bytes.TrimRight(l[:colon], " \t"))
		s.fold = class
		dst = append(dst, l[:colon+1]...)
		return s.value(dst, l[colon+1:], class, open)
	}
	s.fold = hNone
	if len(l) >= 2 && l[1] == '=' && l[0] >= 'a' && l[0] <= 'z' {
		return s.sdp(dst, l, open)
	}
	if d, ok := s.requestLine(dst, l, open); ok {
		return d
	}
	// Free text may hold a From value without its header name: its
	// display name is found the same way.
	return s.nameAddrs(dst, l, false, open)
}

// headerColon returns the index of the colon of a header line ("Name:"
// or "Name :"), 0 if l is not one. A URI at the start of a line is not
// a header named after its scheme.
func headerColon(l []byte) int {
	if len(l) == 0 || !isAlpha(l[0]) {
		// Header names start with a letter; "10.1.2.3:5060" is not one.
		return 0
	}
	i := 0
	for i < len(l) && isTokenChar(l[i]) {
		i++
	}
	if i == 0 {
		return 0
	}
	name := l[:i]
	for i < len(l) && (l[i] == ' ' || l[i] == '\t') {
		i++
	}
	if i >= len(l) || l[i] != ':' {
		return 0
	}
	if schemeKind(strings.ToLower(string(name))) != schemeNone {
		return 0
	}
	return i
}

func isTokenChar(c byte) bool {
	return isWord(c) || strings.IndexByte("-!%'*+.`~", c) >= 0
}

func (s *scanner) value(dst, v []byte, class hclass, open bool) []byte {
	switch class {
	case hKeep:
		return append(dst, v...)
	case hCallID:
		return s.addrsOnly(dst, v, open)
	case hSecret:
		return blank(dst, v)
	case hAuth:
		return s.auth(dst, v, open)
	}
	return s.nameAddrs(dst, v, open && class == hNameAddr, open)
}

// blank replaces every character but white space with 'x'.
func blank(dst, v []byte) []byte {
	for _, c := range v {
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			dst = append(dst, c)
		} else {
			dst = append(dst, 'x')
		}
	}
	return dst
}

// auth keeps the scheme of credentials. Digest keeps its parameters but
// the user name (a pseudonym) and the response (blanked: with the nonce
// it would allow guessing the password offline); any other scheme's
// credentials are blanked.
func (s *scanner) auth(dst, v []byte, open bool) []byte {
	i := 0
	for i < len(v) && (v[i] == ' ' || v[i] == '\t') {
		i++
	}
	j := i
	for j < len(v) && isTokenChar(v[j]) {
		j++
	}
	dst = append(dst, v[:j]...)
	if !strings.EqualFold(string(v[i:j]), "digest") {
		return blank(dst, v[j:])
	}
	segs := splitTop(v[j:], ',')
	for k, seg := range segs {
		if k > 0 {
			dst = append(dst, ',')
		}
		eq := bytes.IndexByte(seg, '=')
		if eq < 0 {
			dst = s.gen(dst, seg, open && k == len(segs)-1)
			continue
		}
		name := strings.ToLower(string(bytes.TrimSpace(seg[:eq])))
		dst = append(dst, seg[:eq+1]...)
		val := seg[eq+1:]
		switch name {
		case "username":
			pre, inner, post := unquote(val)
			dst = append(dst, pre...)
			dst = s.user(dst, inner)
			dst = append(dst, post...)
		case "response":
			pre, inner, post := unquote(val)
			dst = blank(append(dst, pre...), inner)
			dst = append(dst, post...)
		default:
			dst = s.gen(dst, val, open && k == len(segs)-1)
		}
	}
	return dst
}

// unquote splits v into what comes before the content, the content, and
// what comes after: white space and quotes.
func unquote(v []byte) (pre, inner, post []byte) {
	a, b := 0, len(v)
	for a < b && (v[a] == ' ' || v[a] == '\t') {
		a++
	}
	for b > a && (v[b-1] == ' ' || v[b-1] == '\t') {
		b--
	}
	if b-a >= 2 && v[a] == '"' && v[b-1] == '"' {
		a++
		b--
	}
	return v[:a], v[a:b], v[b:]
}

// splitTop splits v at sep outside quotes and angle brackets.
func splitTop(v []byte, sep byte) [][]byte {
	var out [][]byte
	quoted, angle, start := false, 0, 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '\\' && quoted:
			i++
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '<':
			angle++
		case c == '>' && angle > 0:
			angle--
		case c == sep && angle == 0:
			out = append(out, v[start:i])
			start = i + 1
		}
	}
	return append(out, v[start:])
}

// nameAddrs handles a header value made of name-addrs (From, To,
// Contact, P-Asserted-Identity, …) or of anything else: a display name
// before <scheme:…> is a caller's name and is replaced; the rest goes
// through gen. cut says the value is a name-addr header's, cut short by
// the end of a stream chunk: its last element may be a display name
// whose '<' is yet to come, and is taken for one.
func (s *scanner) nameAddrs(dst, v []byte, cut, open bool) []byte {
	segs := splitTop(v, ',')
	for k, seg := range segs {
		if k > 0 {
			dst = append(dst, ',')
		}
		o := open && k == len(segs)-1
		if cut && k == len(segs)-1 {
			lt := bytes.IndexByte(seg, '<')
			if q := bytes.IndexByte(seg, '"'); q >= 0 && (lt < 0 || q < lt) {
				// A quoted name: up to its closing quote, or all.
				if e := bytes.IndexByte(seg[q+1:], '"'); e >= 0 && (lt < 0 || q+1+e < lt) {
					lt = max(lt, q+2+e)
				} else if lt < 0 {
					lt = len(seg)
				}
			}
			if lt < 0 {
				if _, n := schemeAt(bytes.TrimLeft(seg, " \t"), 0); n == 0 {
					lt = len(seg)
				}
			}
			if lt >= 0 {
				dst = s.display(dst, seg[:lt])
				dst = s.gen(dst, seg[lt:], o)
				continue
			}
		}
		if lt := displayEnd(seg); lt >= 0 {
			dst = s.display(dst, seg[:lt])
			dst = s.gen(dst, seg[lt:], o)
			continue
		}
		dst = s.gen(dst, seg, o)
	}
	return dst
}

// displayEnd returns the index of the '<' that opens a URI after a
// display name, -1 if there is none.
func displayEnd(seg []byte) int {
	quoted := false
	for i := 0; i < len(seg); i++ {
		switch c := seg[i]; {
		case c == '\\' && quoted:
			i++
		case c == '"':
			quoted = !quoted
		case c == '<' && !quoted:
			if _, k := schemeAt(seg, i+1); k > 0 {
				return i
			}
			return -1
		}
	}
	return -1
}

// display replaces a display name: a phone number by another, anything
// else by a name pseudonym of the same length.
func (s *scanner) display(dst, d []byte) []byte {
	pre, inner, post := unquote(d)
	if len(inner) > 0 && inner[0] == '"' {
		// An opening quote whose closing one is in the next chunk.
		pre, inner = d[:len(pre)+1], inner[1:]
	}
	if len(bytes.TrimSpace(inner)) == 0 {
		return append(dst, d...)
	}
	dst = append(dst, pre...)
	if phoneLike(inner) {
		dst = s.phoneInPlace(dst, inner)
	} else {
		dst = append(dst, s.r.p.token(kindName, string(inner))...)
	}
	return append(dst, post...)
}

// sdp handles the SDP lines that carry identities or keys; c= and the
// others go through gen, which finds their addresses.
func (s *scanner) sdp(dst, l []byte, open bool) []byte {
	switch l[0] {
	case 'o':
		// o=<username> <sess-id> <sess-version> IN IP4 <address>
		sp := bytes.IndexByte(l, ' ')
		if sp < 0 {
			sp = len(l)
		}
		dst = append(dst, l[:2]...)
		if u := l[2:sp]; string(u) != "-" {
			dst = s.user(dst, u)
		} else {
			dst = append(dst, u...)
		}
		return s.gen(dst, l[sp:], open)
	case 'e', 'p':
		// An e-mail address or a phone number, often with a name.
		dst = append(dst, l[:2]...)
		if len(l) > 2 {
			dst = append(dst, s.r.p.token(kindName, string(l[2:]))...)
		}
		return dst
	case 'k':
		// An encryption key.
		return blank(append(dst, l[:2]...), l[2:])
	case 'a':
		// a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:KEY|2^20|1:32
		if i := bytes.Index(l, []byte("inline:")); i >= 0 && bytes.HasPrefix(l, []byte("a=crypto:")) {
			j := i + len("inline:")
			k := j
			for k < len(l) && l[k] != '|' && l[k] != ' ' && l[k] != ';' {
				k++
			}
			dst = append(dst, l[:j]...)
			dst = blank(dst, l[j:k])
			return append(dst, l[k:]...)
		}
	}
	return s.gen(dst, l, open)
}

// requestLine handles an HTTP request line, whose target's query string
// is redacted. A SIP request line goes through gen like any text.
func (s *scanner) requestLine(dst, l []byte, open bool) ([]byte, bool) {
	sp := bytes.IndexByte(l, ' ')
	if sp <= 0 || sp > 20 {
		return dst, false
	}
	for _, c := range l[:sp] {
		if c < 'A' || c > 'Z' {
			return dst, false
		}
	}
	rest := l[sp+1:]
	sp2 := bytes.LastIndexByte(rest, ' ')
	if sp2 <= 0 || !bytes.HasPrefix(rest[sp2+1:], []byte("HTTP/")) || (rest[0] != '/' && rest[0] != '*') {
		return dst, false
	}
	dst = append(dst, l[:sp+1]...)
	target := rest[:sp2]
	dst, end := s.urlRest(dst, target, 0, false)
	dst = append(dst, target[end:]...)
	return append(dst, rest[sp2:]...), true
}

// gen finds URIs, addresses, phone numbers and e-mail addresses in text.
func (s *scanner) gen(dst, b []byte, open bool) []byte {
	for i := 0; i < len(b); {
		if boundary(b, i) {
			if d, end, ok := s.rule(dst, b, i, open); ok {
				dst, i = d, end
				continue
			}
		}
		dst = append(dst, b[i])
		i++
	}
	return dst
}

// addrsOnly replaces client addresses and nothing else (Call-IDs).
// The address is always fitted to the original's length: a Call-ID is
// then the same in every output, over TCP (where lengths cannot change)
// and UDP alike, and still matches between the report and the capture.
func (s *scanner) addrsOnly(dst, b []byte, open bool) []byte {
	saved := s.fixed
	s.fixed = true
	defer func() { s.fixed = saved }()
	for i := 0; i < len(b); {
		if boundary(b, i) && (isHex(b[i]) || b[i] == ':') {
			if d, end, ok := s.ipv4(dst, b, i); ok {
				dst, i = d, end
				continue
			}
			if d, end, ok := s.ipv6(dst, b, i, open); ok {
				dst, i = d, end
				continue
			}
		}
		dst = append(dst, b[i])
		i++
	}
	return dst
}

func (s *scanner) rule(dst, b []byte, i int, open bool) ([]byte, int, bool) {
	if d, end, ok := s.knownCallID(dst, b, i); ok {
		return d, end, ok
	}
	c := b[i]
	switch {
	case c == '+':
		return s.e164(dst, b, i, open)
	case c == ':':
		return s.ipv6(dst, b, i, open)
	case isDigit(c):
		if d, end, ok := s.ipv4(dst, b, i); ok {
			return d, end, ok
		}
		if d, end, ok := s.ipv6(dst, b, i, open); ok {
			return d, end, ok
		}
		if d, end, ok := s.mac(dst, b, i); ok {
			return d, end, ok
		}
		if d, end, ok := s.email(dst, b, i); ok {
			return d, end, ok
		}
		return s.digits(dst, b, i, open)
	case isAlpha(c):
		if d, end, ok := s.uri(dst, b, i, open); ok {
			return d, end, ok
		}
		if isHex(c) {
			if d, end, ok := s.ipv6(dst, b, i, open); ok {
				return d, end, ok
			}
			if d, end, ok := s.mac(dst, b, i); ok {
				return d, end, ok
			}
		}
		return s.email(dst, b, i)
	}
	return dst, 0, false
}

// knownCallID writes a Call-ID met before (in a Document's fields) as
// those fields are written, rather than reading its parts as a user
// and a host.
func (s *scanner) knownCallID(dst, b []byte, i int) ([]byte, int, bool) {
	if !s.prose || len(s.r.p.callIDs) == 0 {
		return dst, 0, false
	}
	j := i
	for j < len(b) && b[j] > ' ' && b[j] != ',' && b[j] != ';' && b[j] != '"' && b[j] < 0x7f {
		j++
	}
	// The run may end with a sentence's punctuation.
	for k := 0; k < 3 && j > i; k++ {
		if q, ok := s.r.p.callIDs[string(b[i:j])]; ok {
			return append(dst, q...), j, true
		}
		if c := b[j-1]; c != '.' && c != ')' && c != ':' && c != '>' {
			break
		}
		j--
	}
	return dst, 0, false
}

// URI schemes that carry a user or a number.
type scheme uint8

const (
	schemeNone scheme = iota
	schemeSIP         // sip, sips, im, pres, mailto: user@host
	schemeTel         // tel: a number
	schemeURL         // http, https, ws, wss: //authority/path?query
)

func schemeKind(name string) scheme {
	switch name {
	case "sip", "sips", "im", "pres", "mailto":
		return schemeSIP
	case "tel":
		return schemeTel
	case "http", "https", "ws", "wss":
		return schemeURL
	}
	return schemeNone
}

// schemeAt reads "scheme:" at b[i:], and returns its kind and length
// (with the colon, and for URLs the "//").
func schemeAt(b []byte, i int) (scheme, int) {
	j := i
	for j < len(b) && j-i < 7 && isAlpha(b[j]) {
		j++
	}
	if j == i || j >= len(b) || b[j] != ':' {
		return schemeNone, 0
	}
	k := schemeKind(strings.ToLower(string(b[i:j])))
	switch k {
	case schemeNone:
		return k, 0
	case schemeURL:
		if !bytes.HasPrefix(b[j:], []byte("://")) {
			return schemeNone, 0
		}
		return k, j + 3 - i
	}
	return k, j + 1 - i
}

// maxUserinfo bounds the search for a URI's '@': a user part is short,
// and an unbounded search would make "sip:sip:sip:…" quadratic.
const maxUserinfo = 256

// uriStop ends the search for the '@' of a URI's user part.
func uriStop(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', '<', '>', '"', '\'', ',':
		return true
	}
	return false
}

func (s *scanner) uri(dst, b []byte, i int, open bool) ([]byte, int, bool) {
	kind, k := schemeAt(b, i)
	if kind == schemeNone {
		return dst, 0, false
	}
	j := i + k
	dst = append(dst, b[i:j]...)
	switch kind {
	case schemeTel:
		m := j
		for m < len(b) && b[m] != ';' && b[m] != '?' && !uriStop(b[m]) {
			m++
		}
		return s.user(dst, b[j:m]), m, true
	case schemeURL:
		if s.inURL > 0 {
			return append(dst, b[j:j]...), j, true
		}
		return s.url(dst, b, j, open)
	}
	at, m := -1, j
	for ; m < len(b) && m-j < maxUserinfo && !uriStop(b[m]); m++ {
		if b[m] == '@' {
			at = m
			break
		}
	}
	switch {
	case at >= 0:
		dst = s.userinfo(dst, b[j:at])
		dst = append(dst, '@')
		j = at + 1
	case m == len(b) && open || m-j >= maxUserinfo:
		// Cut before its '@', if it has one: what there is may be a
		// user part.
		return append(dst, s.r.p.token(kindUser, string(b[j:m]))...), m, true
	}
	return s.host(dst, b, j, open)
}

// host redacts an address literal at b[j:]; a host name is kept (see
// the package doc). The port and parameters after it go back to gen.
func (s *scanner) host(dst, b []byte, j int, open bool) ([]byte, int, bool) {
	if j < len(b) && b[j] == '[' {
		if end := bytes.IndexByte(b[j:], ']'); end > 0 {
			if a, err := netip.ParseAddr(string(b[j+1 : j+end])); err == nil {
				dst = append(dst, '[')
				dst = s.addrText(dst, a, b[j+1:j+end])
				return append(dst, ']'), j + end + 1, true
			}
		}
	}
	if d, end, ok := s.ipv4(dst, b, j); ok {
		return d, end, true
	}
	if d, end, ok := s.ipv6(dst, b, j, open); ok {
		return d, end, true
	}
	m := j
	for m < len(b) && (isWord(b[m]) || b[m] == '.' || b[m] == '-') {
		m++
	}
	return append(dst, b[j:m]...), m, true
}

// userinfo is user[:password].
func (s *scanner) userinfo(dst, u []byte) []byte {
	if c := bytes.IndexByte(u, ':'); c >= 0 {
		dst = s.user(dst, u[:c])
		dst = append(dst, ':')
		return blank(dst, u[c+1:])
	}
	return s.user(dst, u)
}

// user replaces a URI's user part: a phone number (digits and visual
// separators, a leading '+', parameters after ';') by another of as many
// digits, anything else by a user pseudonym of the same length.
func (s *scanner) user(dst, u []byte) []byte {
	if len(u) == 0 {
		return dst
	}
	main, params := u, []byte(nil)
	if c := bytes.IndexByte(u, ';'); c >= 0 {
		main, params = u[:c], u[c:]
	}
	if phoneLike(main) {
		dst = s.phoneInPlace(dst, main)
		return s.gen(dst, params, false)
	}
	return append(dst, s.r.p.token(kindUser, string(u))...)
}

// phoneLike: an optional '+', then digits and the visual separators of
// RFC 3966 (and '*', '#' of feature codes), at least one digit.
func phoneLike(x []byte) bool {
	if len(x) > 0 && x[0] == '+' {
		x = x[1:]
	}
	digits := 0
	for _, c := range x {
		switch {
		case isDigit(c):
			digits++
		case strings.IndexByte("-.()*# ", c) >= 0:
		default:
			return false
		}
	}
	return digits > 0
}

// phoneInPlace writes x with its digits replaced by the pseudonym of the
// number they make, separators where they were.
func (s *scanner) phoneInPlace(dst, x []byte) []byte {
	var digits []byte
	for _, c := range x {
		if isDigit(c) {
			digits = append(digits, c)
		}
	}
	q := s.r.p.phone(string(digits))
	k := 0
	for _, c := range x {
		if isDigit(c) {
			c = q[k]
			k++
		}
		dst = append(dst, c)
	}
	return dst
}

// url handles an http(s) or ws(s) URL from its authority: the user
// information is replaced, an address literal host redacted, a host name
// kept, and the path, query and fragment go to urlRest.
func (s *scanner) url(dst, b []byte, j int, open bool) ([]byte, int, bool) {
	m := j
	for m < len(b) && m-j < maxUserinfo && b[m] != '/' && b[m] != '?' && b[m] != '#' && !uriStop(b[m]) {
		m++
	}
	if at := bytes.LastIndexByte(b[j:m], '@'); at >= 0 {
		dst = s.userinfo(dst, b[j:j+at])
		dst = append(dst, '@')
		j += at + 1
	}
	dst, h, _ := s.host(dst, b[:m], j, open)
	dst = append(dst, b[h:m]...) // the port
	dst, end := s.urlRest(dst, b, m, open)
	return dst, end, true
}

// urlRest handles path?query#fragment at b[i:]: numbers and addresses in
// the path are found like anywhere, every query value and the fragment
// are replaced (they carry numbers, names, tokens), the keys are kept.
func (s *scanner) urlRest(dst, b []byte, i int, open bool) ([]byte, int) {
	stop := func(c byte) bool {
		return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '"' || c == '\'' || c == '<' || c == '>'
	}
	m := i
	for m < len(b) && b[m] != '?' && b[m] != '#' && !stop(b[m]) {
		m++
	}
	// A URL in a URL's path ("http://a/http://b/…") is scanned as text,
	// not as a URL again: each would take the rest of the line.
	s.inURL++
	dst = s.gen(dst, b[i:m], open && m == len(b))
	s.inURL--
	if m < len(b) && b[m] == '?' {
		dst = append(dst, '?')
		m++
		q := m
		for m < len(b) && b[m] != '#' && !stop(b[m]) {
			m++
		}
		dst = s.query(dst, b[q:m])
	}
	if m < len(b) && b[m] == '#' {
		dst = append(dst, '#')
		m++
		f := m
		for m < len(b) && !stop(b[m]) {
			m++
		}
		if m > f {
			dst = append(dst, s.r.p.token(kindValue, string(b[f:m]))...)
		}
	}
	return dst, m
}

// query replaces the values of a query string, keys kept.
func (s *scanner) query(dst, q []byte) []byte {
	start := 0
	for i := 0; i <= len(q); i++ {
		if i < len(q) && q[i] != '&' && q[i] != ';' {
			continue
		}
		pair := q[start:i]
		if eq := bytes.IndexByte(pair, '='); eq >= 0 {
			dst = append(dst, pair[:eq+1]...)
			if v := pair[eq+1:]; len(v) > 0 {
				dst = append(dst, s.r.p.token(kindValue, string(v))...)
			}
		} else if len(pair) > 0 {
			dst = append(dst, s.r.p.token(kindValue, string(pair))...)
		}
		if i < len(q) {
			dst = append(dst, q[i])
		}
		start = i + 1
	}
	return dst
}

// e164 finds "+" and at least 6 digits, with the usual separators
// between them ("+49 30 1234567", "+1-800-555-0100").
func (s *scanner) e164(dst, b []byte, i int, open bool) ([]byte, int, bool) {
	isSep := func(c byte) bool { return strings.IndexByte(" -.()", c) >= 0 }
	j, end, n := i+1, i+1, 0
	for j < len(b) {
		if isDigit(b[j]) {
			n++
			j++
			end = j
			continue
		}
		// One or two separators between digits: "+1 (800) 555-0100".
		k := j
		for k < len(b) && k-j < 2 && isSep(b[k]) {
			k++
		}
		if k == j || k >= len(b) || !isDigit(b[k]) {
			break
		}
		j = k
	}
	if n == 0 || end < len(b) && isWord(b[end]) {
		return dst, 0, false
	}
	if n >= 6 || open && end == len(b) {
		return s.phoneInPlace(dst, b[i:end]), end, true
	}
	return dst, 0, false
}

// digits finds a run of 7 digits or more standing alone: a national
// number, or an ID that costs little to replace. A shorter run at the
// end of a stream chunk may be the start of one.
func (s *scanner) digits(dst, b []byte, i int, open bool) ([]byte, int, bool) {
	j := i
	for j < len(b) && isDigit(b[j]) {
		j++
	}
	if j < len(b) && isWord(b[j]) {
		return dst, 0, false
	}
	if j-i >= 7 || open && j == len(b) && j-i >= 4 {
		return s.phoneInPlace(dst, b[i:j]), j, true
	}
	if open && j < len(b) && b[j] == '.' {
		return s.tail(dst, b, i)
	}
	return dst, 0, false
}

// tail redacts a dotted or colon run at the end of a stream chunk, the
// start of an address cut by a segment boundary ("10.1." "2.3"), when it
// has two separators or more: "SIP/2.0" and the like have fewer.
func (s *scanner) tail(dst, b []byte, i int) ([]byte, int, bool) {
	j, seps := i, 0
	for j < len(b) && j-i <= maxAddrText && (isHex(b[j]) || b[j] == '.' || b[j] == ':') {
		if b[j] == '.' || b[j] == ':' {
			seps++
		}
		j++
	}
	if j != len(b) || seps < 2 {
		return dst, 0, false
	}
	h := s.r.p.sum("tail", string(b[i:j]), 0)
	for k, c := range b[i:j] {
		switch {
		case isDigit(c):
			c = '0' + h[k%32]%10
		case isHex(c):
			c = 'a' + h[k%32]%6
		}
		dst = append(dst, c)
	}
	return dst, j, true
}

// ipv4 finds a dotted quad (leading zeros allowed) standing alone.
func (s *scanner) ipv4(dst, b []byte, i int) ([]byte, int, bool) {
	if i > 0 && (b[i-1] == '.' || isWord(b[i-1])) {
		return dst, 0, false
	}
	var q [4]byte
	j := i
	for part := 0; part < 4; part++ {
		if part > 0 {
			if j >= len(b) || b[j] != '.' {
				return dst, 0, false
			}
			j++
		}
		v, k := 0, j
		for k < len(b) && k-j < 3 && isDigit(b[k]) {
			v = v*10 + int(b[k]-'0')
			k++
		}
		if k == j || v > 255 || k < len(b) && isDigit(b[k]) {
			return dst, 0, false
		}
		q[part] = byte(v)
		j = k
	}
	if j < len(b) && (isWord(b[j]) || b[j] == '.' && j+1 < len(b) && isDigit(b[j+1])) {
		return dst, 0, false
	}
	return s.addrText(dst, netip.AddrFrom4(q), b[i:j]), j, true
}

// ipv6 finds an IPv6 address standing alone (in brackets or not).
func (s *scanner) ipv6(dst, b []byte, i int, open bool) ([]byte, int, bool) {
	if i > 0 && (b[i-1] == ':' || b[i-1] == '.' || isWord(b[i-1])) {
		return dst, 0, false
	}
	j, colons := i, 0
	for j < len(b) && j-i <= maxAddrText && (isHex(b[j]) || b[j] == ':' || b[j] == '.') {
		if b[j] == ':' {
			colons++
		}
		j++
	}
	for j > i && b[j-1] == '.' {
		j--
	}
	if colons < 2 || j-i > maxAddrText || j < len(b) && isWord(b[j]) {
		return dst, 0, false
	}
	// Short runs ("1::2") are more often something else, or chance in
	// binary data, than an address; a real one has a ':' start or more.
	if j-i < 6 && b[i] != ':' {
		return dst, 0, false
	}
	a, err := netip.ParseAddr(string(b[i:j]))
	if err != nil {
		if open && j == len(b) {
			return s.tail(dst, b, i)
		}
		return dst, 0, false
	}
	return s.addrText(dst, a, b[i:j]), j, true
}

// maxAddrText is the longest text of an address (IPv6 with an IPv4
// tail): longer runs are not one, and scanning stops there, so that a
// long run of hex and dots costs no more than a short one.
const maxAddrText = 45

// addrText writes the pseudonym of a, written as orig was; a kept
// address keeps its original text.
func (s *scanner) addrText(dst []byte, a netip.Addr, orig []byte) []byte {
	q := s.r.p.addr(a)
	if q == a {
		return append(dst, orig...)
	}
	if s.fixed {
		return append(dst, fitAddr(q, len(orig))...)
	}
	return append(dst, q.String()...)
}

// mac finds a MAC address written as six hex pairs.
func (s *scanner) mac(dst, b []byte, i int) ([]byte, int, bool) {
	if len(b)-i < 17 {
		return dst, 0, false
	}
	sep := b[i+2]
	if sep != ':' && sep != '-' {
		return dst, 0, false
	}
	var m [6]byte
	for k := 0; k < 6; k++ {
		p := i + 3*k
		if !isHex(b[p]) || !isHex(b[p+1]) || k < 5 && b[p+2] != sep {
			return dst, 0, false
		}
		m[k] = unhex(b[p])<<4 | unhex(b[p+1])
	}
	end := i + 17
	if end < len(b) && (isWord(b[end]) || b[end] == sep) {
		return dst, 0, false
	}
	q := s.r.p.hw(m)
	upper := bytes.ContainsAny(b[i:end], "ABCDEF")
	for k := 0; k < 6; k++ {
		if k > 0 {
			dst = append(dst, sep)
		}
		h := strconv.FormatUint(uint64(q[k])|0x100, 16)[1:]
		if upper {
			h = strings.ToUpper(h)
		}
		dst = append(dst, h...)
	}
	return dst, end, true
}

// email finds local@domain outside a URI and replaces the local part
// like a URI's user part.
func (s *scanner) email(dst, b []byte, i int) ([]byte, int, bool) {
	j := i
	for j < len(b) && j-i < 64 && (isWord(b[j]) || strings.IndexByte(".%+-", b[j]) >= 0) {
		j++
	}
	if j >= len(b)-1 || b[j] != '@' || !(isWord(b[j+1]) || b[j+1] == '[') {
		return dst, 0, false
	}
	return s.user(dst, b[i:j]), j, true
}

// fitAddr writes an address in exactly n characters, for text whose
// length must not change: IPv4 octets get leading zeros when the
// pseudonym is shorter (198.018.0.7), IPv6 groups too; when it is
// longer it is cut, which no longer reads as an address but gives
// nothing away.
func fitAddr(a netip.Addr, n int) string {
	t := a.String()
	if len(t) == n {
		return t
	}
	if len(t) > n {
		t = t[:n]
		if n > 0 && (t[n-1] == '.' || t[n-1] == ':') {
			t = t[:n-1] + "0"
		}
		return t
	}
	var groups []string
	sep := "."
	if a.Is4() {
		groups = strings.Split(t, ".")
	} else {
		// The uncompressed form has room to grow: eight groups of up
		// to four digits.
		b := a.As16()
		for k := 0; k < 16; k += 2 {
			groups = append(groups, strconv.FormatUint(uint64(b[k])<<8|uint64(b[k+1]), 16))
		}
		sep = ":"
		if full := strings.Join(groups, sep); len(full) > n {
			// Only the compressed form fits: pad by repeating zero
			// groups is not possible, so write its groups padded.
			return padGroups(strings.Split(t, ":"), ":", n, 4)
		}
	}
	width := 3
	if !a.Is4() {
		width = 4
	}
	return padGroups(groups, sep, n, width)
}

// padGroups left-pads groups with zeros, first group first, until the
// text is n long (or every group is full).
func padGroups(groups []string, sep string, n, width int) string {
	total := len(strings.Join(groups, sep))
	for k := range groups {
		for total < n && len(groups[k]) < width && groups[k] != "" {
			groups[k] = "0" + groups[k]
			total++
		}
	}
	t := strings.Join(groups, sep)
	for len(t) < n {
		// Every group is full and the original was longer still (an
		// IPv6 address with an IPv4 tail, say): the text no longer
		// reads as the pseudonym, but keeps the length.
		t += "0"
	}
	return t
}

func boundary(b []byte, i int) bool { return i == 0 || !isWord(b[i-1]) }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isHex(c byte) bool   { return isDigit(c) || c|0x20 >= 'a' && c|0x20 <= 'f' }
func isWord(c byte) bool  { return isDigit(c) || isAlpha(c) || c == '_' }

func unhex(c byte) byte {
	if isDigit(c) {
		return c - '0'
	}
	return c | 0x20 - 'a' + 10
}
