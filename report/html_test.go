package report

import (
	"bytes"
	"encoding/xml"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ceiling-dev/ceiling/correlate"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var htmlCases = []struct {
	name string
	doc  func() *Document
}{
	{"spike", realisticSpike},
	{"empty", emptyDocument},
	{"one-attempt", oneAttempt},
	{"no-failures", noFailures},
	{"no-jtl", noJTL},
	{"all-failures", allFailures},
	{"two-layers", twoLayers},
	{"jtl-only", jtlOnly},
}

func renderHTML(t testing.TB, d *Document) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteHTML(&b, d); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// svgBody matches a chart's drawing. The golden files leave it out: on
// arm64 and other FMA architectures the last digit of a coordinate may
// differ, and every chart tweak would churn hundreds of kilobytes. The
// charts are checked for structure here, and by eye with -png-out, which
// writes each case's full report and PNGs.
var svgBody = regexp.MustCompile(`(?s)(<svg [^>]*>).*?</svg>`)

func maskSVG(s string) string {
	return svgBody.ReplaceAllString(s, "$1…</svg>")
}

func TestHTMLGolden(t *testing.T) {
	for _, tc := range htmlCases {
		t.Run(tc.name, func(t *testing.T) {
			got := maskSVG(renderHTML(t, tc.doc()))
			path := filepath.Join("testdata", tc.name+".golden.html")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./report -update to create it)", err)
			}
			if got != string(want) {
				gotPath := filepath.Join("testdata", tc.name+".got.html")
				os.WriteFile(gotPath, []byte(got), 0o644)
				t.Errorf("HTML differs from %s; wrote %s (run go test ./report -update if the change is intended)", path, gotPath)
			}
		})
	}
}

func TestHTMLDeterministic(t *testing.T) {
	a := renderHTML(t, realisticSpike())
	b := renderHTML(t, realisticSpike())
	if a != b {
		t.Fatal("two renderings of the same document differ")
	}
}

func TestHTMLWellFormed(t *testing.T) {
	for _, tc := range htmlCases {
		t.Run(tc.name, func(t *testing.T) {
			checkWellFormed(t, renderHTML(t, tc.doc()))
		})
	}
}

// checkWellFormed tokenizes the document leniently (HTML entities and
// void elements allowed) and checks that every element is closed by its
// own end tag: encoding/xml is the parser we have.
func checkWellFormed(t *testing.T, s string) {
	t.Helper()
	void := map[string]bool{"meta": true, "br": true, "img": true, "hr": true, "link": true, "input": true, "wbr": true}
	dec := xml.NewDecoder(strings.NewReader(s))
	dec.Strict = false
	dec.AutoClose = nil
	dec.Entity = xml.HTMLEntity
	var stack []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("does not parse: %v (open: %v)", err, stack)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if !void[el.Name.Local] {
				stack = append(stack, el.Name.Local)
			}
		case xml.EndElement:
			if void[el.Name.Local] {
				continue
			}
			if len(stack) == 0 || stack[len(stack)-1] != el.Name.Local {
				t.Fatalf("</%s> closes %v", el.Name.Local, stack)
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) != 0 {
		t.Fatalf("never closed: %v", stack)
	}
}

func TestHTMLContent(t *testing.T) {
	d := realisticSpike()
	s := renderHTML(t, d)
	r := d.Result
	if !r.Verdict.Failed || r.Verdict.FirstFailure.Concurrency != 101 {
		t.Fatalf("fixture: want a failure at 101, got %+v", r.Verdict)
	}
	if n := r.Attempts.Len(); n < 500 || n > 800 {
		t.Fatalf("fixture: %d attempts, want about 600", n)
	}
	for _, want := range []string{
		"<!DOCTYPE html>",
		esc(r.Verdict.Text),
		"SIP 503",
		"capacity: the edge refused work",
		"Sustained breakpoint",
		r.Verdict.FirstFailure.CallID,
		"Retry-After: 5 s",
		esc(`Reason: Q.850;cause=34;text="No circuit/channel available"`),
		"relayed from backend 10.20.0.4:5060",
		"INVITE trunk-edge",
		"SIP spike 1-",
		"jmeter-01",
		"results.jtl:318", // a problem, with its line
		"(offset 40112)",
		"median of",
		"3.5 ms",
		"Assertion breaches",
		"How the breakpoints were computed",
		"ceiling v0.1.0",
		"2026-11-25 11:30:00 UTC",
		esc("'capture/edge 1.pcapng'"),
		r.Notes[0],
	} {
		if !strings.Contains(s, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// Every failure in the table, by Call-ID, in time order.
	var last int
	n := 0
	for _, a := range r.Attempts.All() {
		if !a.Failed || n == maxFailureRows {
			continue
		}
		n++
		i := strings.Index(s, "<td class=\"callid\">"+a.CallID)
		if i < 0 {
			t.Fatalf("failures table lacks Call-ID %s", a.CallID)
		}
		if i < last {
			t.Fatalf("Call-ID %s out of order", a.CallID)
		}
		last = i
	}
	if got := strings.Count(s, `<td class="callid">`); got != maxFailureRows {
		t.Errorf("%d rows in the failures table, want %d", got, maxFailureRows)
	}
	// Four charts, each inline SVG with text a browser can show.
	if got := strings.Count(s, "<svg "); got != 4 {
		t.Errorf("%d charts, want 4", got)
	}
	for _, id := range []string{"sip-concurrency", "sip-codes-over-time", "sip-failure-ratio", "sip-response-time"} {
		i := strings.Index(s, `<figure id="`+id+`">`)
		if i < 0 || !strings.HasPrefix(strings.TrimSpace(s[i+len(`<figure id="`+id+`">`):]), "<svg ") {
			t.Errorf("figure %s has no inline SVG", id)
		}
	}
	if !strings.Contains(s, "<text ") || !strings.Contains(s, `<svg class="chart" viewBox="0 0 720 244.8" style="font-family:'Liberation Sans',Arial,Helvetica,sans-serif"`) {
		t.Error("chart text lacks a font a browser has")
	}
	if strings.Contains(s, "<?xml") || strings.Contains(s, "@font-face") {
		t.Error("SVG prolog or embedded font left in")
	}
	// The time axis names the start, in UTC.
	if !strings.Contains(s, "seconds since 2026-11-25 10:00:00.") {
		t.Error("time axis label lacks the absolute start")
	}
}

// esc escapes text as html/template does (quotes as &#34; and &#39;).
func esc(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// TestHTMLOffline makes sure nothing in the report reaches for the
// network: it must open from a ticket attachment on a machine without one.
func TestHTMLOffline(t *testing.T) {
	fetch := regexp.MustCompile(`(?i)(src|href|xlink:href|action|srcset|poster|data)\s*=\s*["']?\s*(https?:|//)|url\(\s*["']?\s*(https?:|//)|@import`)
	for _, tc := range htmlCases {
		t.Run(tc.name, func(t *testing.T) {
			s := renderHTML(t, tc.doc())
			if m := fetch.FindString(s); m != "" {
				t.Errorf("network reference: %q", m)
			}
			if strings.Contains(s, "http://") || strings.Contains(s, "https://") {
				t.Error("a URL is left in the report (namespace declarations are not needed inline)")
			}
			for _, m := range regexp.MustCompile(`(?i)\b(?:src|href)\s*=\s*"([^"]*)"`).FindAllStringSubmatch(s, -1) {
				if !strings.HasPrefix(m[1], "#") {
					t.Errorf("link to %q: only in-page anchors are allowed", m[1])
				}
			}
			if strings.Contains(s, "<script") {
				t.Error("the report carries a script")
			}
		})
	}
}

// TestHTMLEscapes feeds markup through every text field that comes from
// the inputs.
func TestHTMLEscapes(t *testing.T) {
	d := realisticSpike()
	evil := `<script>alert(1)</script><img src=x onerror=alert(2)>`
	r := d.Result
	r.Verdict.Text = evil
	r.Notes = append(r.Notes, evil)
	attempts := attemptList(r)
	for i := range attempts {
		if a := &attempts[i]; a.Failed {
			a.CallID = evil
			a.Detail.ReasonHeader = evil
			a.Detail.Sample.Label = evil
			break
		}
	}
	r.Attempts = correlate.AttemptsOf(attempts)
	r.Verdict.FirstFailure.CallID = evil
	d.Inputs[0].Path = evil
	d.Command = append(d.Command, evil)
	s := renderHTML(t, d)
	if strings.Contains(s, "<script") || strings.Contains(s, "<img") {
		t.Fatal("markup from the inputs reached the report unescaped")
	}
	checkWellFormed(t, s)
}

func TestHTMLDegenerate(t *testing.T) {
	t.Run("empty", func(t *testing.T) {
		s := renderHTML(t, emptyDocument())
		for _, want := range []string{"No layer refused work", "nothing to chart", "No attempts were found in the inputs."} {
			if !strings.Contains(s, want) {
				t.Errorf("lacks %q", want)
			}
		}
		if strings.Contains(s, "<svg") {
			t.Error("charts drawn for no attempts")
		}
	})
	t.Run("no-failures", func(t *testing.T) {
		s := renderHTML(t, noFailures())
		if !strings.Contains(s, `class="verdict ok"`) || strings.Contains(s, `id="failures"`) {
			t.Error("want the green verdict and no failures table")
		}
		if got := strings.Count(s, "<svg "); got != 4 {
			t.Errorf("%d charts, want 4", got)
		}
	})
	t.Run("no-jtl", func(t *testing.T) {
		s := renderHTML(t, noJTL())
		if !strings.Contains(s, "unknown (no JTL)") || !strings.Contains(s, "JMeter threads are unknown") {
			t.Error("threads not reported unknown")
		}
		if strings.Contains(s, `id="correlation"`) == false {
			t.Error("a capture-only report still accounts for correlation")
		}
	})
	t.Run("one-attempt", func(t *testing.T) {
		d := oneAttempt()
		if n := d.Result.Attempts.Len(); n != 1 {
			t.Fatalf("fixture has %d attempts", n)
		}
		s := renderHTML(t, d)
		if got := strings.Count(s, "<svg "); got != 4 {
			t.Errorf("%d charts, want 4", got)
		}
	})
	t.Run("all-failures", func(t *testing.T) {
		d := allFailures()
		s := renderHTML(t, d)
		for _, want := range []string{"100.0%", "Sustained breakpoint"} {
			if !strings.Contains(s, want) {
				t.Errorf("lacks %q", want)
			}
		}
	})
	t.Run("two-layers", func(t *testing.T) {
		d := twoLayers()
		s := renderHTML(t, d)
		if got := strings.Count(s, "<svg "); got != 8 {
			t.Errorf("%d charts, want 8", got)
		}
		failing := d.Result.Verdict.Layer.String()
		first := strings.Index(s, `<figure id="`)
		if !strings.HasPrefix(s[first:], `<figure id="`+failing+`-`) {
			t.Errorf("the failing layer (%s) is not charted first", failing)
		}
	})
	t.Run("jtl-only", func(t *testing.T) {
		s := renderHTML(t, jtlOnly())
		for _, want := range []string{"No capture was read", "no address (JTL only)", "samples in flight"} {
			if !strings.Contains(s, want) {
				t.Errorf("lacks %q", want)
			}
		}
		if strings.Contains(s, "invalid AddrPort") || strings.Contains(s, "capture&#39;s clock") {
			t.Error("speaks of a capture that was not there")
		}
	})
	t.Run("nil-result", func(t *testing.T) {
		s := renderHTML(t, &Document{Tool: "ceiling", Generated: testGenerated})
		checkWellFormed(t, s)
	})
}

func TestShellJoin(t *testing.T) {
	got := shellJoin([]string{"ceiling", "--html", "a b.html", "it's", ""})
	want := `ceiling --html 'a b.html' 'it'\''s' ''`
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// BenchmarkHTML renders 300 000-attempt documents and reports the size of
// the HTML: downsampling must keep it small however big the test was.
// "long" is a fifteen-minute test at 4 000 JMeter threads against an edge
// capped at 3 000 dialogs; "dense" is the spike fixture with every attempt
// repeated 460 times, all within a microsecond.
func BenchmarkHTML(b *testing.B) {
	long := spikeOptions{threads: 4000, rampRate: 40, duration: 15 * time.Minute, capacity: 3000, hold: 25 * time.Second, retry: 3 * time.Second, jtl: true, seed: 7}
	dense := spikeTest
	dense.scale = 460
	for _, bc := range []struct {
		name string
		opts spikeOptions
	}{{"long", long}, {"dense", dense}} {
		b.Run(bc.name, func(b *testing.B) {
			d := spikeDocument(bc.opts)
			if n := d.Result.Attempts.Len(); n < 290_000 {
				b.Fatalf("only %d attempts", n)
			}
			var size int
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				var buf bytes.Buffer
				if err := WriteHTML(&buf, d); err != nil {
					b.Fatal(err)
				}
				size = buf.Len()
			}
			b.ReportMetric(float64(size), "html-bytes")
			b.ReportMetric(float64(d.Result.Attempts.Len()), "attempts")
		})
	}
}

// TestDropFontFamily holds dropFontFamily to what the regexp it replaced
// did.
func TestDropFontFamily(t *testing.T) {
	old := regexp.MustCompile(`\n\tstyle="font-family:Liberation Sans;font-variant:normal;font-weight:(normal|bold);font-style:normal;`)
	const f = "\n\tstyle=\"font-family:Liberation Sans;font-variant:normal;font-weight:"
	for _, tc := range []struct{ name, in string }{
		{"none", `<svg><path d="M0,0"/></svg>`},
		{"normal", `<text x="1"` + f + `normal;font-style:normal;font-size:8.5px">a</text>`},
		{"bold", `<text` + f + `bold;font-style:normal;fill:#000">b</text>`},
		{"one after another", `<t` + f + `normal;font-style:normal;` + f + `bold;font-style:normal;x">`},
		{"another weight, then a match", `<t` + f + `light;font-style:normal;">` + f + `normal;font-style:normal;">`},
		{"cut short", `<t` + f + `bold;font-style:norm`},
	} {
		want := old.ReplaceAllStringFunc(tc.in, func(m string) string {
			if strings.Contains(m, "bold") {
				return ` style="font-weight:bold;`
			}
			return ` style="`
		})
		if got := dropFontFamily(tc.in); got != want {
			t.Errorf("%s: dropFontFamily(%q) = %q, want %q", tc.name, tc.in, got, want)
		}
	}
}
