package http

import "strings"

// DefaultTraceHeaders are the trace and correlation headers kept when
// Options names none: the ones DESIGN.md lists, and any name ending in
// trace-id or correlation-id (x-amzn-trace-id, X-Correlation-Id).
var DefaultTraceHeaders = []string{"x-trace-id", "X-Request-Id", "ININ-Correlation-Id", "traceparent", "*trace-id", "*correlation-id"}

// traceNames matches header names against Options.TraceHeaders. A name
// that starts with "*" matches as a suffix, and a suffix ignores '-' and
// '_' on both sides, as parse/jtl does, so that "*trace-id" also takes
// x-b3-traceid and a JTL and a capture agree on what a trace header is.
type traceNames struct {
	exact  []string // as given; compared with EqualFold
	suffix []string // lower case, without '-' and '_'
	// lower holds the exact names lowered when all of them are ASCII,
	// as they are, for lowerEq; nil otherwise.
	lower []string
	// ends is the set of the last bytes, lower case, that a name must
	// end in to match (a suffix's last byte, an exact name's), so that
	// most header names are turned down at one look; filter says whether
	// it can tell (not with a non-ASCII exact name or an empty suffix).
	ends   [4]uint64
	filter bool
}

// defaultTraceNames is built once: most parsers use the defaults, and a
// parser per connection should neither rebuild them nor copy them.
var defaultTraceNames = buildTraceNames(DefaultTraceHeaders)

func newTraceNames(names []string) *traceNames {
	if names == nil {
		return &defaultTraceNames
	}
	t := buildTraceNames(names)
	return &t
}

func buildTraceNames(names []string) traceNames {
	var t traceNames
	for _, n := range names {
		if s, ok := strings.CutPrefix(n, "*"); ok {
			t.suffix = append(t.suffix, squash(s))
		} else if n != "" {
			t.exact = append(t.exact, n)
		}
	}
	for _, n := range t.exact {
		l := strings.ToLower(n)
		if !ascii(n) {
			t.lower = nil
			break
		}
		t.lower = append(t.lower, l)
	}
	t.ends, t.filter = lastBytes(&t)
	return t
}

// lastBytes builds traceNames.ends.
func lastBytes(t *traceNames) (ends [4]uint64, ok bool) {
	if t.lower == nil && len(t.exact) > 0 {
		return ends, false
	}
	add := func(c byte) { ends[c>>6] |= 1 << (c & 63) }
	for _, l := range t.lower {
		add(l[len(l)-1])
	}
	for _, s := range t.suffix {
		if s == "" {
			return ends, false
		}
		add(s[len(s)-1])
	}
	return ends, true
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// squash lowers s and drops '-' and '_'.
func squash(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '-' || c == '_':
			continue
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}

// lower1 is the first byte of name lowered, 0 for an empty name.
func lower1(name string) byte {
	if name == "" {
		return 0
	}
	c := name[0]
	if 'A' <= c && c <= 'Z' {
		c += 'a' - 'A'
	}
	return c
}

func (t *traceNames) match(name string) bool {
	if t.filter && name != "" {
		c := name[len(name)-1]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		// A name ending in '-' or '_' may match a suffix on what comes
		// before.
		if c != '-' && c != '_' && t.ends[c>>6]&(1<<(c&63)) == 0 {
			return false
		}
	}
	if t.lower != nil {
		// The first byte first, as is does: the names that pass the
		// filter are mostly another of the same length (User-Agent and
		// x-trace-id).
		c := lower1(name)
		for _, e := range t.lower {
			if len(e) == len(name) && c == e[0] && lowerEq(name, e) {
				return true
			}
		}
	} else {
		for _, e := range t.exact {
			if len(e) == len(name) && strings.EqualFold(e, name) {
				return true
			}
		}
	}
	for _, s := range t.suffix {
		if hasSquashedSuffix(name, s) {
			return true
		}
	}
	return false
}

// hasSquashedSuffix reports whether squash(name) ends in suf without
// building squash(name): it runs for every header of every message.
func hasSquashedSuffix(name, suf string) bool {
	i := len(name) - 1
	for j := len(suf) - 1; j >= 0; j-- {
		for i >= 0 && (name[i] == '-' || name[i] == '_') {
			i--
		}
		if i < 0 {
			return false
		}
		c := name[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != suf[j] {
			return false
		}
		i--
	}
	return true
}

// traceParentID returns the trace-id field of a W3C traceparent value
// ("00-<32 hex>-<16 hex>-<2 hex>"), or "" when v is not one or the id is
// the invalid all-zero one.
func traceParentID(v string) string {
	if len(v) < 55 || v[2] != '-' || v[35] != '-' || v[52] != '-' {
		return ""
	}
	id := v[3:35]
	zero := true
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return ""
		}
		if c != '0' {
			zero = false
		}
	}
	if zero {
		return ""
	}
	return id
}
