package sip

import (
	"math/bits"
	"strings"
)

// Fast paths for the values every message carries, in the shape nearly
// every message writes them. Each reads its value in one pass without the
// searches and trims of the general grammar helpers, and gives up (ok
// false) at the first byte that could make the general reading differ: a
// quote, white space, a comment. The caller then takes the general path,
// so a fast path only ever answers what the general one would.

// parseVia is parseVia with the fast path first.
func (p *Parser) parseVia(v string) Via {
	if !p.full {
		if via, ok := fastVia(v); ok {
			return via
		}
	}
	return parseVia(v)
}

// tagOf is tagOf with the fast path first.
func (p *Parser) tagOf(v string) string {
	if !p.full {
		if t, ok := fastTag(v); ok {
			return t
		}
	}
	return tagOf(v)
}

// fastVia reads "SIP/2.0/UDP host:port;branch=z9hG4bK...;rport": the
// protocol as written by the RFC, one space, a sent-by and parameters
// without white space or quotes, no comment. Nor a comma: then v is all
// of a Via field's one value, so that fill need not look for a second
// before it (see viaByte).
func fastVia(v string) (via Via, ok bool) {
	const proto = "SIP/2.0/"
	if len(v) <= len(proto) || v[:len(proto)] != proto {
		return via, false
	}
	s := v[len(proto):]
	// Most transports (UDP, TCP, TLS, WSS) are three bytes of a token:
	// three lookups settle them without the loop.
	k := 3
	if len(s) <= k || s[k] != ' ' || !tokenChar[s[0]] || !tokenChar[s[1]] || !tokenChar[s[2]] {
		k = 0
		for k < len(s) && tokenChar[s[k]] {
			k++
		}
	}
	// parseVia cuts the transport at white space or ';': with anything
	// else after the token it reads a different transport.
	if k == 0 || k == len(s) || s[k] != ' ' || k+1 == len(s) || viaByte[s[k+1]] == vOdd {
		return via, false
	}
	via.Transport = internTransport(s[:k])
	s = s[k+1:]
	if classesAsm && len(s) >= classesMin && len(s) <= classesMax {
		ok = fastViaClassed(&via, s)
		return via, ok
	}
	i := plainRun(s, 0, &viaParamByte)
	if i < len(s) && viaParamByte[s[i]] == vOdd {
		return via, false
	}
	via.SentBy = s[:i]
	if i == len(s) {
		return via, true
	}
	params := s[i+1:]
	for params != "" {
		// One parameter: name[=value] up to the next ';'.
		j := plainRun(params, 0, &viaByte)
		eq := -1
		if j < len(params) && viaByte[params[j]] == vEq {
			eq = j
			j = plainRun(params, j+1, &viaParamByte)
		}
		if j < len(params) && viaParamByte[params[j]] == vOdd {
			return Via{}, false
		}
		via.param(params[:j], eq)
		if j == len(params) {
			break
		}
		params = params[j+1:]
	}
	return via, true
}

// fastViaClassed is the rest of fastVia, from the sent-by on, for s that
// classifyAVX2 reads: the masks say at once whether s holds an odd byte, and
// where each ';' and '=' is, which is all that the loops of plainRun find.
func fastViaClassed(via *Via, s string) bool {
	marks0, marks1, odd0, odd1 := classifyAVX2(s, &viaClasses)
	if odd0|odd1 != 0 {
		return false
	}
	// start is where the piece being read starts, eq its first '=' or -1;
	// the first piece is the sent-by, in which '=' is a byte like others.
	start, eq, sentBy := 0, -1, true
	for w, marks := range [2]uint64{marks0, marks1} {
		for ; marks != 0; marks &= marks - 1 {
			i := w<<6 | bits.TrailingZeros64(marks)
			if s[i] == '=' {
				if eq < 0 {
					eq = i - start
				}
				continue
			}
			if sentBy {
				via.SentBy, sentBy = s[:i], false
			} else {
				via.param(s[start:i], eq)
			}
			start, eq = i+1, -1
		}
	}
	if sentBy {
		via.SentBy = s
	} else {
		via.param(s[start:], eq)
	}
	return true
}

// param reads one parameter of a Via, p, whose first '=' is p[eq] (-1
// when it has none).
func (via *Via) param(p string, eq int) {
	name, val := p, ""
	if eq >= 0 {
		name, val = p[:eq], p[eq+1:]
	}
	switch len(name) {
	case 5:
		if name == "rport" || equalFold(name, "rport") {
			if val == "" {
				val = "-"
			}
			via.RPort = val
		}
	case 6:
		if name == "branch" || equalFold(name, "branch") {
			via.Branch = val
		}
	case 8:
		if name == "received" || equalFold(name, "received") {
			via.Received = val
		}
	}
}

// viaClasses classes the bytes of a Via's sent-by and parameters for
// classifyAVX2 as viaByte does for plainRun: the marks, bit 7, are ';'
// and '=', and the odd bytes those with another bit.
var viaClasses = func() (t classTable) {
	t.set(0x80, ";=")
	t.set(1, "\t\r\n")
	t.set(2, " \"(,")
	return t
}()

// valueByte classes the bytes of a value for the fast paths. vOdd are
// those after which the general helpers could read differently: white
// space (trimmed, or cutting a token), a quote (a quoted string hides ';'
// and ','), a '(' (a comment), and line ends.
var valueByte = func() (t [256]uint8) {
	for _, c := range " \t\"(\r\n" {
		t[c] = vOdd
	}
	t[';'] = vSemi
	t['='] = vEq
	return t
}()

// viaByte is valueByte for fastVia, which also gives up at a comma. A
// Via header field nearly always holds one value: reading the whole field
// as one, and giving up at the first sign of another, saves searching it
// for a comma first.
var viaByte = func() (t [256]uint8) {
	t = valueByte
	t[','] = vOdd
	return t
}()

// plainRun returns the index of the first byte of s from i on that t
// does not class as plain (0), or len(s). Four bytes a step, so that the
// bytes of a branch or an address cost a fraction of a branch each.
func plainRun(s string, i int, t *[256]uint8) int {
	// Cutting the four bytes first leaves one bounds check a step where
	// indexing s would check each byte.
	for i >= 0 && i+4 <= len(s) {
		w := s[i : i+4]
		if t[w[0]]|t[w[1]]|t[w[2]]|t[w[3]] != 0 {
			break
		}
		i += 4
	}
	for uint(i) < uint(len(s)) && t[s[i]] == 0 {
		i++
	}
	return i
}

// paramByte is valueByte without '=', for fastTag, which looks for the
// end of each parameter only.
var paramByte = func() (t [256]uint8) {
	t = valueByte
	t['='] = 0
	return t
}()

// viaParamByte is viaByte without '=', for the loops that look for the
// end of a sent-by or of a parameter's value, where '=' is a byte like any
// other.
var viaParamByte = func() (t [256]uint8) {
	t = viaByte
	t['='] = 0
	return t
}()

const (
	vOdd = 1 + iota
	vSemi
	vEq
)

// fastTag reads the tag of a From or To value: a <URI> after nothing, a
// plain display name or one quoted string without escapes, or a URI
// without brackets; and parameters without quotes or white space.
func fastTag(v string) (tag string, ok bool) {
	// A value that starts with its <URI> takes one search, for the '>':
	// cheaper than the masks, which pay for the several searches a
	// display name takes.
	if classesAsm && len(v) >= classesMin && len(v) <= classBitsMax && v[0] != '<' {
		return fastTagClassed(v)
	}
	var params string
	// A To value most often starts with its <URI>.
	lt := 0
	if v == "" || v[0] != '<' {
		lt = strings.IndexByte(v, '<')
	}
	switch {
	case lt < 0:
		// An addr-spec: its parameters follow the first ';', which a
		// quote could hide.
		i := strings.IndexByte(v, ';')
		if i < 0 {
			return "", strings.IndexByte(v, '"') < 0
		}
		if strings.IndexByte(v[:i], '"') >= 0 {
			return "", false
		}
		params = v[i+1:]
	default:
		// addrParams takes the first '<' when nothing before it is a
		// quote or ';', and after a quoted display name it skips the
		// quoted string: either way the URI ends at the first '>' after.
		i := 0
		if v[0] == '"' {
			q := strings.IndexByte(v[1:lt], '"') + 1
			if q == 0 || strings.IndexByte(v[1:q], '\\') >= 0 {
				return "", false
			}
			i = q + 1
		}
		for ; i < lt; i++ {
			if v[i] == '"' || v[i] == ';' {
				return "", false
			}
		}
		gt := strings.IndexByte(v[lt:], '>')
		if gt < 0 {
			return "", false
		}
		rest := v[lt+gt+1:]
		// The parameters nearly always follow the '>' at once.
		k := 0
		if rest == "" || rest[0] != ';' {
			k = strings.IndexByte(rest, ';')
		}
		if k < 0 {
			return "", true
		}
		params = rest[k+1:]
	}
	for params != "" {
		end := plainRun(params, 0, &paramByte)
		if end < len(params) && paramByte[params[end]] == vOdd {
			return "", false
		}
		p := params[:end]
		if len(p) >= 3 && (p[:3] == "tag" || equalFold(p[:3], "tag")) && (len(p) == 3 || p[3] == '=') {
			if len(p) == 3 {
				return "", true
			}
			return p[4:], true
		}
		if end == len(params) {
			break
		}
		params = params[end+1:]
	}
	return "", true
}

// The class bits of tagClasses, each the index of its mask from
// classBitsAVX2.
const (
	tagLT = iota
	tagGT
	tagSemi
	tagQuote
	tagBackslash
	tagOddLow   // odd bytes below 0x10: tab, CR, LF
	tagOddSpace // the others: space, quote, '('
)

// tagClasses classes the bytes of a From or To value for classBitsAVX2:
// those fastTag looks for, and the odd bytes of paramByte.
var tagClasses = func() (t classTable) {
	t.set(1<<tagLT, "<")
	t.set(1<<tagGT, ">")
	t.set(1<<tagSemi, ";")
	t.set(1<<tagQuote, "\"")
	t.set(1<<tagBackslash, "\\")
	t.set(1<<tagOddLow, "\t\r\n")
	t.set(1<<tagOddSpace, " \"(")
	return t
}()

// fastTagClassed is fastTag for v from classesMin to classBitsMax bytes
// long, each search of fastTag a look at a mask of the bytes it searches
// for, each loop over the bytes one over the mask's bits.
func fastTagClassed(v string) (tag string, ok bool) {
	var m [8]uint64
	classBitsAVX2(v, &tagClasses, &m)
	quotes, semis := m[tagQuote], m[tagSemi]
	// p: where the parameters start.
	var p int
	if m[tagLT] == 0 {
		// An addr-spec: its parameters follow the first ';', which a
		// quote could hide.
		if semis == 0 {
			return "", quotes == 0
		}
		i := bits.TrailingZeros64(semis)
		if quotes&below(i) != 0 {
			return "", false
		}
		p = i + 1
	} else {
		lt := bits.TrailingZeros64(m[tagLT])
		// As fastTag: a quoted display name without escapes, and no
		// quote or ';' between it and the '<'.
		i := 0
		if v[0] == '"' {
			q := quotes &^ 1 & below(lt)
			if q == 0 {
				return "", false
			}
			i = bits.TrailingZeros64(q)
			if m[tagBackslash]&below(i) != 0 {
				return "", false
			}
			i++
		}
		if (quotes|semis)&below(lt)&^below(i) != 0 {
			return "", false
		}
		gts := m[tagGT] &^ below(lt)
		if gts == 0 {
			return "", false
		}
		after := semis &^ below(bits.TrailingZeros64(gts)+1)
		if after == 0 {
			return "", true
		}
		p = bits.TrailingZeros64(after) + 1
	}
	odd := m[tagOddLow] | m[tagOddSpace]
	for p < len(v) {
		// One parameter, v[p:end], up to the next ';'.
		end := len(v)
		if next := semis &^ below(p); next != 0 {
			end = bits.TrailingZeros64(next)
		}
		if odd&below(end)&^below(p) != 0 {
			return "", false
		}
		if s := v[p:end]; len(s) >= 3 && (s[:3] == "tag" || equalFold(s[:3], "tag")) && (len(s) == 3 || s[3] == '=') {
			if len(s) == 3 {
				return "", true
			}
			return s[4:], true
		}
		p = end + 1
	}
	return "", true
}
