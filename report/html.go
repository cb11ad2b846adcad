package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html"
	"html/template"
	"io"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/ceiling-dev/ceiling/correlate"
)

//go:embed template.html
var htmlTemplateText string

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"thousands": Thousands,
	"time":      FormatTime,
	"pct":       func(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) },
	"bytes":     formatBytes,
}).Parse(htmlTemplateText))

// maxFailureRows bounds the failures table: the first ones tell the story,
// and a 300 000-row table helps nobody.
const maxFailureRows = 50

// WriteHTML writes the report as one self-contained HTML file: styles and
// charts are inline, nothing is fetched, so it opens offline from a
// support-ticket attachment. All text from the inputs is escaped.
func WriteHTML(w io.Writer, d *Document) error {
	return NewHTML(d).Write(w)
}

// HTML is a Document's HTML report made but for its message ladders. The
// ladders come from a second read of the captures (cmd/ceiling's evidence
// cut), which needs the analysis done and nothing of the report; the
// charts need the same and nothing of the ladders: made apart, the two
// run side by side, and Write puts the ladders in.
type HTML struct {
	d *Document
	v *htmlView
}

// NewHTML makes d's HTML report but for d.Ladders, which Write reads as
// they are when it is called. It only reads d: the attempts may be read
// by another goroutine at the same time (their reads are safe from
// several), as long as nothing changes d but its Ladders before Write.
func NewHTML(d *Document) *HTML { return &HTML{d: d, v: newHTMLView(d)} }

// Write writes the report as WriteHTML does, with d's ladders as they
// are now.
func (h *HTML) Write(w io.Writer) error {
	v := *h.v
	v.Ladders = nil
	for i := range h.d.Ladders {
		l := &h.d.Ladders[i]
		v.Ladders = append(v.Ladders, ladderView{Title: l.Title, Note: l.Note, Failed: l.Failed, SVG: LadderSVG(l)})
	}
	// Rendered whole before writing, so that a template error leaves no
	// half report behind.
	var b bytes.Buffer
	if err := htmlTemplate.Execute(&b, &v); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}

type htmlView struct {
	Title     string
	Tool      string
	Command   string
	Generated string
	Basis     string
	Start     string
	Duration  string
	Attempts  string

	Verdict  verdictView
	Sets     []chartSetView
	NoCharts string

	Layers []layerRow

	Failures      []failureRow
	FailuresTotal int64
	Ladders       []ladderView

	Correlation *correlationView
	Breaches    *breachesView

	Inputs       []inputRow
	Problems     []string
	ProblemsMore int64
	Notes        []string
	Methods      []methodRow
}

type verdictView struct {
	Failed    bool
	Kind      string // "capacity", "rate_limit", "error"
	KindText  string
	Layer     string
	Unit      string
	Status    string
	Headline  string
	Text      string
	First     *breakpointView
	Sustained *breakpointView
}

type breakpointView struct {
	Concurrency int32
	Threads     string
	Time        string
	Offset      string
	CallID      string
	TraceID     string
	Edge        string
	Status      string
	Share       string // "340 of 352 attempts at or above failed"
}

type chartSetView struct {
	Layer   string
	Failing bool
	Wide    []chartView
	Narrow  []chartView
}

type chartView struct {
	ID      string
	Title   string
	Caption string
	SVG     template.HTML
	Empty   string
}

type layerRow struct {
	Layer          string
	Basis          string
	Attempts       int64
	Decided        int64
	Failures       int64
	Ratio          float64
	Codes          string
	MaxConcurrency int32
	First          string
	Sustained      string
	Edges          []string
	Backend        int64
	Failing        bool
}

type failureRow struct {
	N            int
	Time         string
	Clock        string // time of day, for the table; Time is the full stamp
	Offset       string
	Layer        string
	Status       string
	Phrase       string
	Failed       bool
	Concurrency  int32
	Threads      string
	CallID       string
	TraceID      string
	Edge         string
	Frame        string
	ReasonHeader string
	RetryAfter   string
	Warning      string
	Server       string
	Relayed      string
	Sample       *sampleView
}

type ladderView struct {
	Title  string
	Note   string
	Failed bool
	SVG    template.HTML
}

type sampleView struct {
	Label   string
	Thread  string
	Host    string
	Start   string
	Clock   string
	Elapsed string
	Code    string
	Message string
	Where   string
}

type correlationView struct {
	correlate.Correlation
	HasCapture  bool
	Offset      string
	Spread      string
	MatchedPct  string
	OffsetBasis string
}

type breachesView struct {
	Count    int64
	First    *breakpointView
	Labels   []countRow
	Messages []countRow
}

type countRow struct {
	Name  string
	Count int64
}

type inputRow struct {
	Path      string
	Kind      string
	Size      int64
	Records   int64
	Unit      string
	Skipped   int64
	Truncated bool
	Detail    string
	SkippedBy []countRow
}

type methodRow struct {
	Layer string
	What  string
	Text  string
}

func newHTMLView(d *Document) *htmlView {
	r := d.Result
	if r == nil {
		r = &correlate.Result{Basis: "none"}
	}
	start := testStart(r)
	v := &htmlView{
		Tool:    d.Tool,
		Command: shellJoin(d.Command),
		Basis:   r.Basis,
		Notes:   r.Notes,
	}
	if v.Tool == "" {
		v.Tool = "ceiling"
	}
	if !d.Generated.IsZero() {
		v.Generated = d.Generated.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	if start != 0 {
		v.Start = FormatTime(start)
		v.Duration = fmt.Sprintf("%.3f s", float64(r.End-r.Start)/1e9)
	}
	var attempts int64
	for _, lr := range r.Layers {
		attempts += lr.Attempts
	}
	v.Attempts = plural(attempts, "attempt")
	v.Verdict = newVerdictView(r, start)
	v.Title = "ceiling: " + v.Verdict.Headline

	v.Sets, v.NoCharts = newChartSetViews(d)
	v.Layers, v.FailuresTotal, v.Methods = newLayerRows(r)
	if b := r.Breaches.First; b != nil && b.Method != "" {
		v.Methods = append(v.Methods, methodRow{"—", "assertion breaches", b.Method})
	}

	for i, a := range r.Attempts.Heads() {
		if a.Hop != 0 || !a.Failed {
			continue
		}
		a := r.Attempts.At(i)
		v.Failures = append(v.Failures, newFailureRow(d, &a, len(v.Failures)+1, start))
		if len(v.Failures) == maxFailureRows {
			break
		}
	}

	v.Correlation = newCorrelationView(r)
	if r.Breaches.Count > 0 {
		v.Breaches = &breachesView{Count: r.Breaches.Count, First: newBreakpointView(r.Breaches.First, start), Labels: topCounts(r.Breaches.ByLabel, 10), Messages: topCounts(r.Breaches.Messages, 10)}
	}

	for _, in := range d.Inputs {
		row := inputRow{Path: in.Path, Kind: in.Kind, Size: in.Size, Records: in.Records, Skipped: in.Skipped, Truncated: in.Truncated, Detail: in.Detail, SkippedBy: topCounts(in.SkippedBy, 20), Unit: "samples"}
		if in.Kind == "pcap" || in.Kind == "pcapng" {
			row.Unit = "packets"
		}
		if in.Gzip {
			row.Kind += " (gzip)"
		}
		v.Inputs = append(v.Inputs, row)
	}
	for _, p := range d.Problems {
		v.Problems = append(v.Problems, p.Error())
	}
	if n := d.Skipped() - int64(len(d.Problems)); n > 0 {
		v.ProblemsMore = n
	}
	return v
}

func newChartSetViews(d *Document) ([]chartSetView, string) {
	sets := buildCharts(d)
	if len(sets) == 0 {
		return nil, "No attempts were found in the inputs, so there is nothing to chart."
	}
	var views []chartSetView
	for _, set := range sets {
		sv := chartSetView{Layer: layerName(set.Layer), Failing: set.Failing}
		for _, ch := range set.Charts {
			cv := chartView{ID: set.Layer.String() + "-" + ch.Name, Title: ch.Title, Caption: ch.Caption, Empty: ch.Empty}
			if ch.plot != nil {
				svg, err := renderSVG(ch)
				if err != nil {
					cv.Empty = "This chart could not be drawn: " + err.Error()
				}
				cv.SVG = svg
			}
			if ch.Wide {
				sv.Wide = append(sv.Wide, cv)
			} else {
				sv.Narrow = append(sv.Narrow, cv)
			}
		}
		views = append(views, sv)
	}
	return views, ""
}

func newLayerRows(r *correlate.Result) (rows []layerRow, failures int64, methods []methodRow) {
	for _, lr := range r.Layers {
		row := layerRow{
			Layer: lr.Layer.String(), Basis: lr.Basis, Attempts: lr.Attempts, Decided: lr.Decided,
			Failures: lr.Failures, Ratio: lr.FailureRatio(), Codes: formatCodes(lr.Codes),
			MaxConcurrency: lr.MaxConcurrency, Backend: lr.Backend,
			Failing: r.Verdict.Failed && r.Verdict.Layer == lr.Layer,
		}
		if b := lr.FirstFailure; b != nil {
			row.First = strconv.Itoa(int(b.Concurrency))
		}
		if b := lr.Sustained; b != nil {
			row.Sustained = strconv.Itoa(int(b.Concurrency))
		}
		for _, e := range lr.Edges {
			addr := "no address (JTL only)"
			if e.Edge.IsValid() {
				addr = e.Edge.String()
			}
			s := fmt.Sprintf("%s (%s", addr, Thousands(e.Attempts))
			if e.Failures > 0 {
				s += fmt.Sprintf(", %s failed", Thousands(e.Failures))
			}
			row.Edges = append(row.Edges, s+")")
		}
		rows = append(rows, row)
		failures += lr.Failures
		if lr.FirstFailure != nil && lr.FirstFailure.Method != "" {
			methods = append(methods, methodRow{lr.Layer.String(), "first failure", lr.FirstFailure.Method})
		}
		if lr.Sustained != nil && lr.Sustained.Method != "" {
			methods = append(methods, methodRow{lr.Layer.String(), "sustained", lr.Sustained.Method})
		}
	}
	return rows, failures, methods
}

// testStart is time zero for the report: the first attempt, or the first
// JMeter thread if JMeter started before anything reached the wire.
func testStart(r *correlate.Result) int64 {
	start := r.Start
	if len(r.Threads) > 0 && (start == 0 || r.Threads[0].Time < start) {
		start = r.Threads[0].Time
	}
	return start
}

func formatOffsetFrom(ns, start int64) string {
	if start == 0 || ns == 0 {
		return ""
	}
	return fmt.Sprintf("%+.3f s", float64(ns-start)/1e9)
}

func newVerdictView(r *correlate.Result, start int64) verdictView {
	vd := r.Verdict
	v := verdictView{Failed: vd.Failed, Text: vd.Text}
	if !vd.Failed {
		v.Headline = "no layer refused work"
		return v
	}
	v.Layer = layerName(vd.Layer)
	v.Unit = vd.Layer.Unit()
	v.Status = vd.Status
	v.Kind = vd.Kind.String()
	switch vd.Kind {
	case correlate.KindCapacity:
		v.KindText = "capacity: the edge refused work"
	case correlate.KindRateLimit:
		v.KindText = "rate limit: the edge throttled"
	default:
		v.KindText = "error"
	}
	v.Headline = fmt.Sprintf("%s %s (%s)", v.Layer, vd.Status, vd.Kind)
	if ff := vd.FirstFailure; ff != nil {
		v.Headline += fmt.Sprintf(" at %d %s", ff.Concurrency, v.Unit)
	}
	v.First = newBreakpointView(vd.FirstFailure, start)
	v.Sustained = newBreakpointView(vd.Sustained, start)
	return v
}

func newBreakpointView(b *correlate.Breakpoint, start int64) *breakpointView {
	if b == nil {
		return nil
	}
	bv := &breakpointView{Concurrency: b.Concurrency, CallID: b.CallID, TraceID: b.TraceID, Status: b.Status, Threads: formatThreads(b.Threads)}
	if b.Time != 0 {
		bv.Time = FormatTime(b.Time)
		bv.Offset = formatOffsetFrom(b.Time, start)
	}
	if b.Edge.IsValid() {
		bv.Edge = b.Edge.String()
	}
	if b.AtOrAbove > 0 {
		bv.Share = fmt.Sprintf("%s of %s decided attempts at or above it failed (%.1f%%)", Thousands(b.FailedAtOrAbove), Thousands(b.AtOrAbove), 100*float64(b.FailedAtOrAbove)/float64(b.AtOrAbove))
	}
	return bv
}

func formatThreads(t int32) string {
	if t < 0 {
		return ""
	}
	return strconv.Itoa(int(t))
}

func newFailureRow(d *Document, a *correlate.Attempt, n int, start int64) failureRow {
	row := failureRow{
		N: n, Time: FormatTime(a.Time), Clock: clockTime(a.Time), Offset: formatOffsetFrom(a.Time, start),
		Layer: a.Layer.String(), Status: statusKey(a), Failed: a.Failed,
		Concurrency: a.Concurrency, Threads: formatThreads(a.Threads),
		CallID: a.CallID, TraceID: a.TraceID,
	}
	if a.Edge.IsValid() {
		row.Edge = a.Edge.String()
	}
	if a.Packet > 0 {
		row.Frame = "frame " + strconv.FormatInt(a.Packet, 10)
		if in := inputAt(d, a.File); in != nil && (in.Kind == "pcap" || in.Kind == "pcapng") {
			row.Frame += " of " + filepath.Base(in.Path)
		}
	}
	det := d.Result.Detail(a)
	if det == nil {
		return row
	}
	row.Phrase = det.ReasonPhrase
	row.ReasonHeader = det.ReasonHeader
	if det.RetryAfter >= 0 {
		row.RetryAfter = strconv.Itoa(det.RetryAfter) + " s"
	}
	row.Warning = det.Warning
	row.Server = det.Server
	if det.Relayed.IsValid() {
		row.Relayed = det.Relayed.String()
	}
	if s := det.Sample; s != nil {
		sv := &sampleView{Label: s.Label, Thread: s.Thread, Host: s.Host, Code: s.Code, Message: s.Message, Elapsed: strconv.FormatInt(s.Elapsed, 10) + " ms"}
		if s.Start != 0 {
			sv.Start = FormatTime(s.Start * 1e6)
			sv.Clock = clockTime(s.Start * 1e6)
		}
		if in := inputAt(d, s.File); in != nil && s.Line > 0 && (in.Kind == "jtl-csv" || in.Kind == "jtl-xml") {
			sv.Where = fmt.Sprintf("%s:%d", filepath.Base(in.Path), s.Line)
		}
		row.Sample = sv
	}
	return row
}

// clockTime is the time of day of a Unix ns time, UTC, to the ms: a table
// row has no room for the date, which the report's header gives.
func clockTime(ns int64) string {
	return FormatTime(ns)[11:23]
}

func inputAt(d *Document, i int) *Input {
	if i < 0 || i >= len(d.Inputs) {
		return nil
	}
	return &d.Inputs[i]
}

func newCorrelationView(r *correlate.Result) *correlationView {
	c := r.Correlation
	hasCapture := strings.Contains(r.Basis, "capture")
	if c.JTLSamples == 0 && !hasCapture {
		return nil
	}
	cv := &correlationView{Correlation: c, HasCapture: hasCapture, OffsetBasis: c.OffsetBasis}
	if c.JTLSamples > 0 {
		cv.MatchedPct = fmt.Sprintf("%.1f%%", 100*float64(c.Matched)/float64(c.JTLSamples))
	}
	if c.OffsetBasis != "" && c.OffsetBasis != "none" {
		cv.Offset = FormatOffset(c.ClockOffset)
		if c.OffsetSpread > 0 {
			cv.Spread = fmt.Sprintf("%.1f ms", float64(c.OffsetSpread)/1e6)
		}
	}
	return cv
}

// topCounts sorts a count map, largest first, and keeps n entries.
func topCounts(m map[string]int64, n int) []countRow {
	rows := make([]countRow, 0, len(m))
	for k, c := range m {
		rows = append(rows, countRow{k, c})
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Count != rows[j].Count {
			return rows[i].Count > rows[j].Count
		}
		return rows[i].Name < rows[j].Name
	})
	if len(rows) > n {
		rows = rows[:n]
	}
	return rows
}

func formatCodes(m map[string]int64) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, k+" ×"+Thousands(m[k]))
	}
	return strings.Join(parts, ", ")
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// shellJoin writes a command line so that it can be pasted back into a
// shell.
func shellJoin(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.IndexFunc(a, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+@%", r))
		}) < 0 {
			quoted[i] = a
			continue
		}
		quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(quoted, " ")
}

var svgOpenTag = regexp.MustCompile(`(?s)<svg[^>]*viewBox="([^"]*)"[^>]*>`)

// vgsvg spells out the whole font on every text element, as
// svgFontStyle and then one of svgWeights. The family moves to the <svg>
// element, where the text inherits it.
const svgFontStyle = "\n\tstyle=\"font-family:Liberation Sans;font-variant:normal;font-weight:"

// svgWeights are the endings of svgFontStyle that dropFontFamily
// rewrites, with what it writes for the whole.
var svgWeights = []struct{ end, style string }{
	{"normal;font-style:normal;", ` style="`},
	{"bold;font-style:normal;", ` style="font-weight:bold;`},
}

// svgFont is the chart text's family. vgsvg names the face alone; a
// browser without Liberation Sans would fall back to its default serif, so
// it gets the metric-compatible faces to try next.
const svgFont = "font-family:'Liberation Sans',Arial,Helvetica,sans-serif"

// dropFontFamily rewrites each text element's style as svgWeights say.
// A search for the one literal it starts with, not a regexp: the regexp's
// machine was 0.4% of a 100 MB capture's instructions.
func dropFontFamily(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for {
		i := strings.Index(s, svgFontStyle)
		if i < 0 {
			break
		}
		b.WriteString(s[:i])
		s = s[i:]
		style, n := fontStyle(s[len(svgFontStyle):])
		if n == 0 {
			// Neither weight: kept as it is, and the search goes on
			// after its newline.
			style, n = "\n", 1-len(svgFontStyle)
		}
		b.WriteString(style)
		s = s[len(svgFontStyle)+n:]
	}
	b.WriteString(s)
	return b.String()
}

// fontStyle is the style that replaces svgFontStyle when rest, what
// follows it, starts with one of svgWeights, and the length of that.
func fontStyle(rest string) (string, int) {
	for _, w := range svgWeights {
		if strings.HasPrefix(rest, w.end) {
			return w.style, len(w.end)
		}
	}
	return "", 0
}

// renderSVG draws a chart as an SVG element ready to sit inside HTML: no
// XML prolog, no fixed size (it scales with the page), no namespace URLs,
// and a text alternative for screen readers.
func renderSVG(ch *chart) (svg template.HTML, err error) {
	defer func() {
		// gonum panics on what it cannot draw; a bad chart must not cost
		// the reader the verdict.
		if p := recover(); p != nil {
			svg, err = "", fmt.Errorf("%v", p)
		}
	}()
	w, h := ch.size()
	c := vgsvg.NewWith(vgsvg.UseWH(w, h))
	ch.draw(draw.New(c))
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return "", err
	}
	s := b.String()
	m := svgOpenTag.FindStringSubmatchIndex(s)
	if m == nil {
		return "", fmt.Errorf("vgsvg wrote no <svg> element")
	}
	open := fmt.Sprintf(`<svg class="chart" viewBox="%s" style="%s" role="img" aria-label="%s">`, s[m[2]:m[3]], svgFont, html.EscapeString(ch.Title))
	s = open + s[m[1]:]
	s = dropFontFamily(s)
	if strings.Contains(s, "font-family:Liberation") {
		return "", fmt.Errorf("vgsvg wrote a font this report does not expect")
	}
	return template.HTML(s), nil
}
