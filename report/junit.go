package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ceiling-dev/ceiling/correlate"
)

// JUnitCheck is one CI criterion and what came of it. report does not
// know the criteria language (package gate does); it only writes the
// outcome.
type JUnitCheck struct {
	// Name is the criterion as written: "sip.first_failure.concurrency<200".
	Name string
	// Failed: the criterion held, so the gate failed.
	Failed bool
	// Message is what the summary said: "101 (first SIP 503 at 101 dialogs)".
	Message string
}

// The JUnit XML that CI systems read (Jenkins, GitLab, GitHub actions'
// reporters): the de facto schema of Ant's junit task, which they all
// accept. Only the attributes they use are written.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
	SystemOut  *junitText      `xml:"system-out,omitempty"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	SystemOut *junitText    `xml:"system-out,omitempty"`
}

// Texts are CDATA: encoding/xml would write every newline of character
// data as &#xA;, which CI systems then show as it is.
type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"`
}

type junitText struct {
	Text string `xml:",cdata"`
}

// cdataText makes a CDATA element; nil for nothing, so that it is left out.
func cdataText(s string) *junitText {
	if s == "" {
		return nil
	}
	return &junitText{xmlSafe(s)}
}

// xmlSafe replaces what XML 1.0 cannot hold (control characters, invalid
// UTF-8) by U+FFFD. encoding/xml does so in attributes and escaped text,
// but writes CDATA as it is, and a Call-ID or a JTL message may hold
// anything.
func xmlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return r
		case r < 0x20, r >= 0xD800 && r <= 0xDFFF, r == 0xFFFE, r == 0xFFFF, r == utf8.RuneError:
			return '\uFFFD'
		}
		return r
	}, s)
}

// WriteJUnit writes a test suite for CI systems: one test case per layer
// that had attempts, lowest first, failed when the layer refused work
// (its message is the layer's first failure), then one per criterion in
// the order given, failed when the criterion held.
//
// Times are the load test's, not ceiling's: a layer's case lasts from its
// first attempt to its last one's end, the suite lasts the whole test and
// is stamped with its start, so a CI dashboard shows how long the edge was
// under load. A criterion judges the whole run at once: time 0.
func WriteJUnit(w io.Writer, d *Document, checks []JUnitCheck) error {
	r := d.Result
	s := NewSummary(d)
	suite := junitSuite{Name: "ceiling", Time: seconds(r.End - r.Start)}
	if r.Start > 0 {
		suite.Timestamp = time.Unix(0, r.Start).UTC().Format("2006-01-02T15:04:05")
	}
	suite.Properties = junitProperties(d, s)

	spans := layerSpans(r)
	for _, lr := range r.Layers {
		name := lr.Layer.String()
		sl := s.Layers[name]
		c := junitCase{Name: name, Classname: "ceiling.layer", Time: seconds(spans[lr.Layer])}
		var b strings.Builder
		fmt.Fprintf(&b, "%s (%s): %s attempts, %s failed (%.1f%%), up to %d %s\n", LayerTitle(name), lr.Basis,
			Thousands(lr.Attempts), Thousands(lr.Failures), 100*lr.FailureRatio(), lr.MaxConcurrency, LayerUnit(name))
		if len(lr.Codes) > 0 {
			var parts []string
			for _, k := range sortedKeys(lr.Codes) {
				parts = append(parts, fmt.Sprintf("%s ×%s", k, Thousands(lr.Codes[k])))
			}
			fmt.Fprintf(&b, "codes: %s\n", strings.Join(parts, ", "))
		}
		if ff := sl.FirstFailure; ff != nil {
			fmt.Fprintf(&b, "first failure: %s\n", pointLine(name, ff))
			if st := sl.Sustained; st != nil {
				fmt.Fprintf(&b, "sustained: from %d %s\n", st.Concurrency, LayerUnit(name))
			}
			if r.Verdict.Layer == lr.Layer {
				fmt.Fprintf(&b, "verdict: %s\n", r.Verdict.Text)
			}
			c.Failure = &junitFailure{
				Message: fmt.Sprintf("%s: %s of %s attempts failed", FailurePhrase(name, ff), Thousands(lr.Failures), Thousands(lr.Attempts)),
				Type:    name + "." + ff.Status,
				Text:    xmlSafe(b.String()),
			}
			suite.Failures++
		} else {
			c.SystemOut = cdataText(b.String())
		}
		suite.Cases = append(suite.Cases, c)
	}
	for _, ch := range checks {
		c := junitCase{Name: ch.Name, Classname: "ceiling.fail-on", Time: seconds(0)}
		if ch.Failed {
			c.Failure = &junitFailure{Message: ch.Message, Type: "fail-on", Text: xmlSafe(ch.Name + ": " + ch.Message + "\n")}
			suite.Failures++
		} else {
			c.SystemOut = cdataText(ch.Name + ": " + ch.Message + "\n")
		}
		suite.Cases = append(suite.Cases, c)
	}
	suite.Tests = len(suite.Cases)
	suite.SystemOut = cdataText(r.Verdict.Text)

	doc := junitSuites{Name: "ceiling", Tests: suite.Tests, Failures: suite.Failures, Time: suite.Time, Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func junitProperties(d *Document, s *Summary) []junitProperty {
	v := s.Verdict
	ps := []junitProperty{
		{"basis", s.Basis},
		{"verdict.layer", v.Layer},
		{"verdict.status", v.Status},
		{"verdict.kind", v.Kind},
	}
	if ff := v.FirstFailure; ff != nil {
		ps = append(ps, junitProperty{"verdict.first_failure.concurrency", fmt.Sprint(ff.Concurrency)})
		if ff.Threads != nil {
			ps = append(ps, junitProperty{"verdict.first_failure.threads", fmt.Sprint(*ff.Threads)})
		}
	}
	if st := v.Sustained; st != nil {
		ps = append(ps, junitProperty{"verdict.sustained.concurrency", fmt.Sprint(st.Concurrency)})
	}
	for i, in := range d.Inputs {
		ps = append(ps, junitProperty{fmt.Sprintf("input.%d", i+1), fmt.Sprintf("%s (%s, %d records, %d skipped)", in.Path, in.Kind, in.Records, in.Skipped)})
	}
	ps = append(ps, junitProperty{"skipped", fmt.Sprint(d.Skipped())})
	return ps
}

// layerSpans measures, per layer, how long its attempts at the edge
// lasted: from the first one made to the last one's end.
func layerSpans(r *correlate.Result) map[correlate.Layer]int64 {
	first := map[correlate.Layer]int64{}
	last := map[correlate.Layer]int64{}
	for _, a := range r.Attempts.All() {
		if a.Hop != 0 || a.Time == 0 {
			continue
		}
		if f, ok := first[a.Layer]; !ok || a.Time < f {
			first[a.Layer] = a.Time
		}
		end := max(a.Time, a.Answered, a.Ended)
		if end > last[a.Layer] {
			last[a.Layer] = end
		}
	}
	spans := map[correlate.Layer]int64{}
	for l, f := range first {
		spans[l] = last[l] - f
	}
	return spans
}

// seconds writes a duration in ns as JUnit's seconds with milliseconds.
func seconds(ns int64) string {
	if ns < 0 {
		ns = 0
	}
	return fmt.Sprintf("%.3f", float64(ns)/1e9)
}

func pointLine(layer string, p *SummaryPoint) string {
	s := fmt.Sprintf("%s at %d %s", p.Status, p.Concurrency, LayerUnit(layer))
	if p.Time != "" {
		s = p.Time + ", " + s
	}
	if p.Threads != nil {
		s += fmt.Sprintf(", %d JMeter threads", *p.Threads)
	}
	if p.CallID != "" {
		s += ", Call-ID " + p.CallID
	}
	if p.TraceID != "" {
		s += ", trace ID " + p.TraceID
	}
	if p.Edge != "" {
		s += ", edge " + p.Edge
	}
	return s
}

// FailurePhrase says a breakpoint in a few words: "SIP 503 at 101
// dialogs". CI lines, JUnit messages and ceiling compare share it, so a
// failure reads the same wherever it shows.
func FailurePhrase(layer string, p *SummaryPoint) string {
	if p == nil {
		return ""
	}
	status := p.Status
	if status == "" {
		status = "failure"
	}
	return fmt.Sprintf("%s %s at %d %s", LayerTitle(layer), status, p.Concurrency, LayerUnit(layer))
}

// LayerTitle writes a layer's name as people spell it: SIP, WebSocket.
func LayerTitle(layer string) string {
	switch layer {
	case "sip", "tcp", "tls", "http":
		return strings.ToUpper(layer)
	case "websocket":
		return "WebSocket"
	}
	return layer
}

// LayerUnit is what a layer's concurrency counts, in one or two words
// (Layer.Unit's sentences are too long for a table cell).
func LayerUnit(layer string) string {
	switch layer {
	case "sip":
		return "dialogs"
	case "http":
		return "requests"
	case "websocket", "tcp", "tls", "client":
		return "connections"
	}
	return ""
}
