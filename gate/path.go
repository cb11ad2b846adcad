package gate

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ceiling-dev/ceiling/report"
)

// valueKind is what a path's value is, which decides the literals and
// operators it accepts.
type valueKind uint8

const (
	kindNumber valueKind = iota
	kindRatio
	kindStatus // a layer's status word, DESIGN.md's vocabulary
	kindLayer
	kindKind // capacity, rate_limit, error
	kindBool
)

// value is what a path reads from a summary.
type value struct {
	num   float64
	str   string
	isNum bool
}

// field is one path's meaning: how to read it, and what to say beside it.
type field struct {
	kind valueKind
	// absentable: the value may not exist (see the package doc).
	absentable bool
	// get reads the value; ok is false when it does not exist.
	get func(s *report.Summary, c *Criterion) (v value, ok bool)
	// why says in words what the value stands for, for the FAIL line.
	why func(s *report.Summary, c *Criterion) string
}

// layerNames are the layers, lowest first, as the summary names them.
var layerNames = []string{"client", "tcp", "tls", "http", "websocket", "sip"}

// layerRank is a layer's place, lowest first; none and unknown names
// are -1 (none has no place: nothing failed).
func layerRank(name string) int {
	for i, n := range layerNames {
		if n == name {
			return i
		}
	}
	if name == "none" {
		return len(layerNames)
	}
	return -1
}

func isFailureKind(s string) bool { return s == "capacity" || s == "rate_limit" || s == "error" }

func num(f float64) value        { return value{num: f, isNum: true} }
func count(n int64) value        { return num(float64(n)) }
func word(s string) value        { return value{str: s} }
func point32(n int32) value      { return num(float64(n)) }
func some(v value) (value, bool) { return v, true }

// verdictFields are the verdict's paths; each may also be written with
// a verdict. prefix.
var verdictFields = map[string]*field{
	"layer": {kind: kindLayer, get: func(s *report.Summary, _ *Criterion) (value, bool) {
		if s.Verdict.Layer == "" {
			return some(word("none"))
		}
		return some(word(s.Verdict.Layer))
	}, why: verdictWhy},
	"status": {kind: kindStatus, absentable: true, get: func(s *report.Summary, _ *Criterion) (value, bool) {
		if !s.Verdict.Failed || s.Verdict.Status == "" {
			return value{}, false
		}
		return some(word(s.Verdict.Status))
	}, why: verdictWhy},
	"kind": {kind: kindKind, absentable: true, get: func(s *report.Summary, _ *Criterion) (value, bool) {
		if !s.Verdict.Failed || s.Verdict.Kind == "" {
			return value{}, false
		}
		return some(word(s.Verdict.Kind))
	}, why: verdictWhy},
	"failed": {kind: kindBool, get: func(s *report.Summary, _ *Criterion) (value, bool) {
		return some(word(fmt.Sprint(s.Verdict.Failed)))
	}, why: verdictWhy},
	"first_failure.concurrency": pointField(verdictFirst, concurrencyOf, verdictWhy),
	"first_failure.threads":     pointField(verdictFirst, threadsOf, verdictWhy),
	"sustained.concurrency":     pointField(verdictSustained, concurrencyOf, verdictSustainedWhy),
	"sustained.threads":         pointField(verdictSustained, threadsOf, verdictSustainedWhy),
}

// runFields are the paths about the whole run.
var runFields = map[string]*field{
	"skipped": {kind: kindNumber, get: func(s *report.Summary, _ *Criterion) (value, bool) {
		var n int64
		for _, in := range s.Inputs {
			n += in.Skipped
		}
		return some(count(n))
	}, why: func(s *report.Summary, _ *Criterion) string {
		var parts []string
		for _, in := range s.Inputs {
			if in.Skipped > 0 {
				parts = append(parts, fmt.Sprintf("%s: %s", in.Path, report.Thousands(in.Skipped)))
			}
		}
		if len(parts) == 0 {
			return "nothing skipped"
		}
		return strings.Join(parts, "; ")
	}},
	"breaches":                 breachesField,
	"assertion_breaches.count": breachesField, // the summary's own name
	"correlation.matched_ratio": {kind: kindRatio, absentable: true, get: func(s *report.Summary, _ *Criterion) (value, bool) {
		c := s.Correlation
		if c.JTLSamples == 0 {
			return value{}, false
		}
		return some(num(float64(c.Matched) / float64(c.JTLSamples)))
	}, why: func(s *report.Summary, _ *Criterion) string {
		c := s.Correlation
		if c.JTLSamples == 0 {
			return "no JTL samples"
		}
		return fmt.Sprintf("%s of %s JTL samples matched", report.Thousands(c.Matched), report.Thousands(c.JTLSamples))
	}},
	"correlation.jtl_samples":            correlationCount(func(c report.SummaryCorrelation) int64 { return c.JTLSamples }),
	"correlation.matched":                correlationCount(func(c report.SummaryCorrelation) int64 { return c.Matched }),
	"correlation.by_call_id":             correlationCount(func(c report.SummaryCorrelation) int64 { return c.ByCallID }),
	"correlation.by_trace_id":            correlationCount(func(c report.SummaryCorrelation) int64 { return c.ByTraceID }),
	"correlation.by_flow":                correlationCount(func(c report.SummaryCorrelation) int64 { return c.ByFlow }),
	"correlation.by_time":                correlationCount(func(c report.SummaryCorrelation) int64 { return c.ByTime }),
	"correlation.unmatched_jtl":          correlationCount(func(c report.SummaryCorrelation) int64 { return c.UnmatchedJTL }),
	"correlation.unmatched_capture":      correlationCount(func(c report.SummaryCorrelation) int64 { return c.UnmatchedCapture }),
	"correlation.call_id_not_in_capture": correlationCount(func(c report.SummaryCorrelation) int64 { return c.CallIDNotInCapture }),
	"correlation.disagreements":          correlationCount(func(c report.SummaryCorrelation) int64 { return c.Disagreements }),
	"correlation.clock_offset_ms": {kind: kindNumber, get: func(s *report.Summary, _ *Criterion) (value, bool) {
		return some(num(s.Correlation.ClockOffsetMS))
	}, why: func(s *report.Summary, _ *Criterion) string { return s.Correlation.ClockOffsetBasis }},
}

var breachesField = &field{kind: kindNumber, get: func(s *report.Summary, _ *Criterion) (value, bool) {
	if s.Breaches == nil {
		return some(count(0))
	}
	return some(count(s.Breaches.Count))
}, why: func(s *report.Summary, _ *Criterion) string {
	if s.Breaches == nil || s.Breaches.Count == 0 {
		return "no sample failed JMeter's assertions while the edge answered"
	}
	return "samples JMeter marked failed although the edge answered"
}}

func correlationCount(get func(report.SummaryCorrelation) int64) *field {
	return &field{kind: kindNumber, get: func(s *report.Summary, _ *Criterion) (value, bool) {
		return some(count(get(s.Correlation)))
	}, why: func(*report.Summary, *Criterion) string { return "" }}
}

// layerFields are each layer's paths, after "<layer>." (or
// "layers.<layer>."); codes.<status> is handled apart.
var layerFields = map[string]*field{
	"attempts": layerCount(func(l *report.SummaryLayer) int64 { return l.Attempts }),
	"failures": layerCount(func(l *report.SummaryLayer) int64 { return l.Failures }),
	"failure_ratio": {kind: kindRatio, get: func(s *report.Summary, c *Criterion) (value, bool) {
		l, ok := s.Layers[c.layer]
		if !ok {
			return some(num(0))
		}
		return some(num(l.FailureRatio))
	}, why: layerCountsWhy},
	"status": {kind: kindStatus, absentable: true, get: func(s *report.Summary, c *Criterion) (value, bool) {
		l, ok := s.Layers[c.layer]
		if !ok || l.FirstFailure == nil || l.FirstFailure.Status == "" {
			return value{}, false
		}
		return some(word(l.FirstFailure.Status))
	}, why: layerFirstWhy},
	"first_failure.concurrency": pointField(layerFirst, concurrencyOf, layerFirstWhy),
	"first_failure.threads":     pointField(layerFirst, threadsOf, layerFirstWhy),
	"sustained.concurrency":     pointField(layerSustained, concurrencyOf, layerSustainedWhy),
	"sustained.threads":         pointField(layerSustained, threadsOf, layerSustainedWhy),
	"max_concurrency": {kind: kindNumber, get: func(s *report.Summary, c *Criterion) (value, bool) {
		l := s.Layers[c.layer]
		return some(point32(l.MaxConcurrency))
	}, why: layerFirstWhy},
}

// codesField reads <layer>.codes.<status>: how many attempts ended so.
var codesField = &field{kind: kindNumber, get: func(s *report.Summary, c *Criterion) (value, bool) {
	return some(count(s.Layers[c.layer].Codes[c.key]))
}, why: func(s *report.Summary, c *Criterion) string {
	l, ok := s.Layers[c.layer]
	if !ok {
		return "no " + report.LayerTitle(c.layer) + " attempts"
	}
	var parts []string
	keys := make([]string, 0, len(l.Codes))
	for k := range l.Codes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s ×%s", k, report.Thousands(l.Codes[k])))
	}
	return report.LayerTitle(c.layer) + " codes: " + strings.Join(parts, ", ")
}}

func layerCount(get func(*report.SummaryLayer) int64) *field {
	return &field{kind: kindNumber, get: func(s *report.Summary, c *Criterion) (value, bool) {
		l := s.Layers[c.layer]
		return some(count(get(&l)))
	}, why: layerCountsWhy}
}

// pointField reads a number of a breakpoint that may not exist.
func pointField(at func(*report.Summary, *Criterion) *report.SummaryPoint, get func(*report.SummaryPoint) (value, bool), why func(*report.Summary, *Criterion) string) *field {
	return &field{kind: kindNumber, absentable: true, get: func(s *report.Summary, c *Criterion) (value, bool) {
		p := at(s, c)
		if p == nil {
			return value{}, false
		}
		return get(p)
	}, why: why}
}

func concurrencyOf(p *report.SummaryPoint) (value, bool) { return some(point32(p.Concurrency)) }

func threadsOf(p *report.SummaryPoint) (value, bool) {
	if p.Threads == nil {
		return value{}, false
	}
	return some(point32(*p.Threads))
}

func verdictFirst(s *report.Summary, _ *Criterion) *report.SummaryPoint {
	if !s.Verdict.Failed {
		return nil
	}
	return s.Verdict.FirstFailure
}

func verdictSustained(s *report.Summary, _ *Criterion) *report.SummaryPoint {
	if !s.Verdict.Failed {
		return nil
	}
	return s.Verdict.Sustained
}

func layerFirst(s *report.Summary, c *Criterion) *report.SummaryPoint {
	return s.Layers[c.layer].FirstFailure
}

func layerSustained(s *report.Summary, c *Criterion) *report.SummaryPoint {
	return s.Layers[c.layer].Sustained
}

func verdictWhy(s *report.Summary, _ *Criterion) string {
	if !s.Verdict.Failed || s.Verdict.FirstFailure == nil {
		return "no layer refused work"
	}
	return "first " + report.FailurePhrase(s.Verdict.Layer, s.Verdict.FirstFailure)
}

func verdictSustainedWhy(s *report.Summary, c *Criterion) string {
	if p := verdictSustained(s, c); p != nil {
		return sustainedPhrase(s.Verdict.Layer, p)
	}
	if s.Verdict.Failed {
		return verdictWhy(s, c) + ", no sustained breakpoint"
	}
	return verdictWhy(s, c)
}

func layerCountsWhy(s *report.Summary, c *Criterion) string {
	l, ok := s.Layers[c.layer]
	if !ok {
		return "no " + report.LayerTitle(c.layer) + " attempts"
	}
	return fmt.Sprintf("%s of %s %s attempts failed", report.Thousands(l.Failures), report.Thousands(l.Attempts), report.LayerTitle(c.layer))
}

func layerFirstWhy(s *report.Summary, c *Criterion) string {
	l, ok := s.Layers[c.layer]
	switch {
	case !ok:
		return "no " + report.LayerTitle(c.layer) + " attempts"
	case l.FirstFailure == nil:
		return fmt.Sprintf("%s never failed in %s attempts, up to %d %s", report.LayerTitle(c.layer), report.Thousands(l.Attempts), l.MaxConcurrency, report.LayerUnit(c.layer))
	}
	return "first " + report.FailurePhrase(c.layer, l.FirstFailure)
}

func layerSustainedWhy(s *report.Summary, c *Criterion) string {
	if p := layerSustained(s, c); p != nil {
		return sustainedPhrase(c.layer, p)
	}
	if l, ok := s.Layers[c.layer]; ok && l.FirstFailure != nil {
		return layerFirstWhy(s, c) + ", no sustained breakpoint"
	}
	return layerFirstWhy(s, c)
}

func sustainedPhrase(layer string, p *report.SummaryPoint) string {
	return fmt.Sprintf("most %s attempts failed from %d %s up", report.LayerTitle(layer), p.Concurrency, report.LayerUnit(layer))
}

// resolve finds the field a path names. Paths are matched without
// regard to case, except a status after codes., which is kept as written
// (client statuses are Java class names).
func (c *Criterion) resolve(raw string) error {
	lower := strings.ToLower(raw)
	if rest, ok := strings.CutPrefix(lower, "verdict."); ok {
		if f := verdictFields[rest]; f != nil {
			c.field, c.Path = f, rest
			return nil
		}
		return unknownPath(raw, "the verdict's values are "+strings.Join(sortedNames(verdictFields), ", "))
	}
	if f := verdictFields[lower]; f != nil {
		c.field, c.Path = f, lower
		return nil
	}
	if f := runFields[lower]; f != nil {
		c.field, c.Path = f, lower
		return nil
	}
	rawRest, prefixed := raw, strings.HasPrefix(lower, "layers.")
	if prefixed {
		rawRest = raw[len("layers."):]
	}
	name, sub, _ := strings.Cut(rawRest, ".")
	name = strings.ToLower(name)
	if r := layerRank(name); r < 0 || r >= len(layerNames) {
		lsub := strings.ToLower(sub)
		if prefixed || layerFields[lsub] != nil || strings.HasPrefix(lsub, "codes.") {
			best, bestD := "", 3 // two letters off at most: a typo
			for _, l := range layerNames {
				if d := distance(name, l); d < bestD {
					best, bestD = l, d
				}
			}
			if best != "" {
				return fmt.Errorf("unknown layer %q: did you mean %s?", name, best)
			}
			return fmt.Errorf("unknown layer %q: want one of %s", name, strings.Join(layerNames, ", "))
		}
		return unknownPath(raw, "")
	}
	c.layer = name
	if sub == "" {
		return fmt.Errorf("%s is a layer: name one of its values, e.g. %s.failure_ratio or %s.first_failure.concurrency", name, name, name)
	}
	if len(sub) > len("codes.") && strings.EqualFold(sub[:len("codes.")], "codes.") {
		c.field, c.key = codesField, sub[len("codes."):]
		c.Path = name + ".codes." + c.key
		return nil
	}
	lsub := strings.ToLower(sub)
	if f := layerFields[lsub]; f != nil {
		c.field, c.Path = f, name+"."+lsub
		return nil
	}
	return unknownPath(raw, "a layer's values are "+strings.Join(sortedNames(layerFields), ", ")+", codes.<status>")
}

// unknownPath names the nearest known path, since most unknown paths are
// typos of a known one.
func unknownPath(raw, known string) error {
	msg := fmt.Sprintf("unknown path %q", raw)
	if near := nearest(strings.ToLower(raw)); near != "" {
		msg += fmt.Sprintf(": did you mean %s?", near)
	} else if known != "" {
		msg += ": " + known
	} else {
		msg += ": want layer, status, kind, failed, first_failure.concurrency, sustained.concurrency, <layer>.<value> (layers: " + strings.Join(layerNames, ", ") + "), skipped, breaches or correlation.matched_ratio"
	}
	return fmt.Errorf("%s", msg)
}

// allPaths lists every path, for suggestions.
func allPaths() []string {
	var ps []string
	for k := range verdictFields {
		ps = append(ps, k, "verdict."+k)
	}
	for k := range runFields {
		ps = append(ps, k)
	}
	for _, l := range layerNames {
		for k := range layerFields {
			ps = append(ps, l+"."+k)
		}
	}
	sort.Strings(ps)
	return ps
}

// nearest returns the known path closest to p when it is close enough to
// be a typo: at most a third of its letters wrong, and at most 4.
func nearest(p string) string {
	best, bestD := "", len(p)/3+1
	if bestD > 5 {
		bestD = 5
	}
	for _, k := range allPaths() {
		if d := distance(p, k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// distance is Levenshtein's, on bytes (paths are ASCII); long inputs are
// not compared, to bound the work on whatever is typed.
func distance(a, b string) int {
	if len(a) > 80 || len(b) > 80 {
		return 1 << 30
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func sortedNames(m map[string]*field) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
