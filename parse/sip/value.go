package sip

import "strings"

// The grammar helpers below work on header values already cut out of the
// header section. They are lenient: a value that breaks the grammar gives
// what could be read and never an index out of range, because capture
// files are full of damaged and hand-crafted messages.

// isWSP reports whether c is linear white space. Nearly every byte it is
// asked about is printable, above ' ': one comparison turns that away.
func isWSP(c byte) bool { return c <= ' ' && (c == ' ' || c == '\t') }

func trimWSP(s string) string {
	for len(s) > 0 && isWSP(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isWSP(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// tokenChar marks the bytes of RFC 3261's token: alphanum and -.!%*_+`'~
var tokenChar = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "-.!%*_+`'~" {
		t[c] = true
	}
	return t
}()

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tokenChar[s[i]] {
			return false
		}
	}
	return true
}

// skipQuoted returns the index just past the quoted string that starts at
// s[i] == '"', or len(s) when it is not closed.
func skipQuoted(s string, i int) int {
	// Display names ("Load test 0001") are quoted in most From headers:
	// find the quote, then look for an escape only before it.
	for j := i + 1; j < len(s); {
		q := strings.IndexByte(s[j:], '"')
		if q < 0 {
			return len(s)
		}
		if e := strings.IndexByte(s[j:j+q], '\\'); e >= 0 {
			j += e + 2 // past the escaped byte, a quote or not
			continue
		}
		return j + q + 1
	}
	return len(s)
}

// equalFold reports whether a and b are equal ignoring ASCII case. Unlike
// strings.EqualFold it compares lengths first, which settles most of the
// comparisons a parser makes; header names and parameters are ASCII tokens.
func equalFold[T string | []byte](a T, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(b); i++ {
		x, y := a[i], b[i]
		if x != y && (x|0x20 != y|0x20 || !isAlpha(x)) {
			return false
		}
	}
	return true
}

// The splitters below first look for the separator with IndexByte (a
// vector search) and only walk byte by byte when a quote or angle bracket
// comes before it, which real messages rarely have.

// nextValue cuts the first value off a comma-separated header value. Commas
// inside quoted strings and <URIs> do not separate values: a display name
// "Smith, John" and a URI parameter list may both hold one.
func nextValue(s string) (value, rest string) {
	c := strings.IndexByte(s, ',')
	if c < 0 {
		return trimWSP(s), ""
	}
	if strings.IndexByte(s[:c], '"') < 0 && strings.IndexByte(s[:c], '<') < 0 {
		return trimWSP(s[:c]), trimWSP(s[c+1:])
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			i = skipQuoted(s, i) - 1
		case '<':
			j := strings.IndexByte(s[i:], '>')
			if j < 0 {
				return trimWSP(s), ""
			}
			i += j
		case ',':
			return trimWSP(s[:i]), trimWSP(s[i+1:])
		}
	}
	return trimWSP(s), ""
}

// countValues counts the non-empty comma-separated values in s.
func countValues(s string) int {
	if strings.IndexByte(s, ',') < 0 {
		if trimWSP(s) == "" {
			return 0
		}
		return 1
	}
	n := 0
	for s != "" {
		var v string
		v, s = nextValue(s)
		if v != "" {
			n++
		}
	}
	return n
}

// cutParams splits "head;p1=v1;p2" at the first semicolon outside quotes.
func cutParams(s string) (head, params string) {
	c := strings.IndexByte(s, ';')
	if c < 0 {
		return trimWSP(s), ""
	}
	if strings.IndexByte(s[:c], '"') < 0 {
		return trimWSP(s[:c]), s[c+1:]
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			i = skipQuoted(s, i) - 1
		case ';':
			return trimWSP(s[:i]), s[i+1:]
		}
	}
	return trimWSP(s), ""
}

// nextParam reads one "name[=value]" off a parameter list (the text after a
// semicolon) and returns the rest after the next semicolon.
func nextParam(s string) (name, value, rest string) {
	end := strings.IndexByte(s, ';')
	if end < 0 {
		end = len(s)
	}
	if strings.IndexByte(s[:end], '"') >= 0 {
		end = len(s)
		for i := 0; i < len(s); i++ {
			if s[i] == '"' {
				i = skipQuoted(s, i) - 1
			} else if s[i] == ';' {
				end = i
				break
			}
		}
	}
	p := s[:end]
	if end < len(s) {
		rest = s[end+1:]
	}
	if eq := strings.IndexByte(p, '='); eq >= 0 {
		return trimWSP(p[:eq]), trimWSP(p[eq+1:]), rest
	}
	return trimWSP(p), "", rest
}

// paramValue returns the value of the named parameter in a parameter list,
// and whether the parameter is there at all.
func paramValue(params, name string) (string, bool) {
	for params != "" {
		var n, v string
		n, v, params = nextParam(params)
		if equalFold(n, name) {
			return v, true
		}
	}
	return "", false
}

// unquote returns the content of a quoted string with its escapes undone,
// or s itself when it is not quoted.
func unquote(s string) string {
	if len(s) < 1 || s[0] != '"' {
		return s
	}
	end := skipQuoted(s, 0)
	inner := s[1:end]
	if strings.HasSuffix(inner, `"`) {
		inner = inner[:len(inner)-1]
	}
	if strings.IndexByte(inner, '\\') < 0 {
		return inner
	}
	var b strings.Builder
	for i := 0; i < len(inner); i++ {
		if inner[i] == '\\' && i+1 < len(inner) {
			i++
		}
		b.WriteByte(inner[i])
	}
	return b.String()
}

// atoi reads a non-negative decimal number of at most 9 digits, so that it
// fits an int anywhere and a run of digits cannot overflow.
func atoi(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// leadingDigits returns the decimal digits s starts with.
func leadingDigits(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}

// addrParams returns the header parameters of a name-addr or addr-spec
// value (From, To, Contact): what follows the closing '>' of a <URI>, or,
// without angle brackets, what follows the URI. Parameters inside <...>
// belong to the URI (RFC 3261 20.10), so a ";tag=" there is not the
// header's tag.
func addrParams(v string) string {
	if i := strings.IndexByte(v, '<'); i >= 0 && strings.IndexByte(v[:i], '"') < 0 && strings.IndexByte(v[:i], ';') < 0 {
		j := strings.IndexByte(v[i:], '>')
		if j < 0 {
			return ""
		}
		rest := v[i+j+1:]
		if k := strings.IndexByte(rest, ';'); k >= 0 {
			return rest[k+1:]
		}
		return ""
	}
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '"':
			i = skipQuoted(v, i) - 1
		case '<':
			j := strings.IndexByte(v[i:], '>')
			if j < 0 {
				return ""
			}
			rest := v[i+j+1:]
			if k := strings.IndexByte(rest, ';'); k >= 0 {
				return rest[k+1:]
			}
			return ""
		case ';':
			return v[i+1:]
		}
	}
	return ""
}

// tagOf returns the tag parameter of a From or To value.
func tagOf(v string) string {
	t, _ := paramValue(addrParams(v), "tag")
	return t
}

// parseVia reads one Via value: "SIP/2.0/UDP host:port;branch=...".
// Linear white space may surround the slashes (RFC 3261 20.42).
func parseVia(v string) Via {
	var via Via
	i := strings.IndexByte(v, '/')
	if i < 0 {
		return via
	}
	s := v[i+1:]
	j := strings.IndexByte(s, '/')
	if j < 0 {
		return via
	}
	s = trimWSP(s[j+1:])
	k := 0
	for k < len(s) && !isWSP(s[k]) && s[k] != ';' {
		k++
	}
	via.Transport = internTransport(s[:k])
	host, params := cutParams(s[k:])
	// A Via may end in a comment: "host:port (comment)".
	if c := strings.IndexByte(host, '('); c >= 0 {
		host = trimWSP(host[:c])
	}
	via.SentBy = host
	for params != "" {
		var name, val string
		name, val, params = nextParam(params)
		switch {
		case equalFold(name, "branch"):
			via.Branch = val
		case equalFold(name, "received"):
			via.Received = val
		case equalFold(name, "rport"):
			if val == "" {
				val = "-"
			}
			via.RPort = val
		}
	}
	return via
}

// parseCSeq reads "4711 INVITE". The method is as written (a standard one
// the constant knownMethod gives, which is the same string): Parser.method
// interns it.
func parseCSeq(v string) (seq uint32, method string, ok bool) {
	d := leadingDigits(v)
	// RFC 3261 8.1.1.5 keeps CSeq below 2**31; ten digits always parse
	// into a uint64 without overflow, then the range is checked.
	if d == "" || len(d) > 10 {
		return 0, "", false
	}
	var n uint64
	for i := 0; i < len(d); i++ {
		n = n*10 + uint64(d[i]-'0')
	}
	if n > 1<<32-1 {
		return 0, "", false
	}
	rest := v[len(d):]
	if rest == "" || !isWSP(rest[0]) {
		return 0, "", false
	}
	m := trimWSP(rest)
	// A standard method, as nearly every CSeq holds, is a token.
	if k, known := knownMethod(m); known {
		return uint32(n), k, true
	}
	if !isToken(m) {
		return 0, "", false
	}
	return uint32(n), m, true
}

// parseRetryAfter reads the seconds of "120 (in a meeting);duration=3600".
func parseRetryAfter(v string) int {
	n, ok := atoi(leadingDigits(v))
	if !ok {
		return -1
	}
	return n
}
