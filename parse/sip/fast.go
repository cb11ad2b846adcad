package sip

import "strings"

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
// without white space or quotes, no comment.
func fastVia(v string) (via Via, ok bool) {
	const proto = "SIP/2.0/"
	if len(v) <= len(proto) || v[:len(proto)] != proto {
		return via, false
	}
	s := v[len(proto):]
	k := 0
	for k < len(s) && tokenChar[s[k]] {
		k++
	}
	// parseVia cuts the transport at white space or ';': with anything
	// else after the token it reads a different transport.
	if k == 0 || k == len(s) || s[k] != ' ' || k+1 == len(s) || valueByte[s[k+1]] == vOdd {
		return via, false
	}
	via.Transport = internTransport(s[:k])
	s = s[k+1:]
	i := 0
	for ; i < len(s); i++ {
		if c := valueByte[s[i]]; c == vSemi {
			break
		} else if c == vOdd {
			return via, false
		}
	}
	via.SentBy = s[:i]
	if i == len(s) {
		return via, true
	}
	params := s[i+1:]
	for params != "" {
		// One parameter: name[=value] up to the next ';'.
		end, eq := len(params), -1
		for j := 0; j < len(params); j++ {
			switch valueByte[params[j]] {
			case 0:
				continue
			case vSemi:
				end = j
			case vEq:
				if eq < 0 {
					eq = j
				}
				continue
			case vOdd:
				return Via{}, false
			}
			break
		}
		name, val := params[:end], ""
		if eq >= 0 {
			name, val = params[:eq], params[eq+1:end]
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
		if end == len(params) {
			break
		}
		params = params[end+1:]
	}
	return via, true
}

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

const (
	vOdd = 1 + iota
	vSemi
	vEq
)

// fastTag reads the tag of a From or To value: a <URI> after nothing, a
// plain display name or one quoted string without escapes, or a URI
// without brackets; and parameters without quotes or white space.
func fastTag(v string) (tag string, ok bool) {
	var params string
	lt := strings.IndexByte(v, '<')
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
		k := strings.IndexByte(rest, ';')
		if k < 0 {
			return "", true
		}
		params = rest[k+1:]
	}
	for params != "" {
		end := len(params)
		for j := 0; j < len(params); j++ {
			c := valueByte[params[j]]
			if c == 0 {
				continue
			}
			if c == vSemi {
				end = j
				break
			}
			if c == vOdd {
				return "", false
			}
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
