package report

import (
	"fmt"
	"image/color"
	"math"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/ceiling-dev/ceiling/correlate"
)

// Chart sizes. The time charts span the page; the two load-curve charts
// sit side by side, so they are half as wide at the same height and their
// text comes out the same size as the wide ones' on screen.
const (
	wideWidth   = 10 * vg.Inch
	narrowWidth = 5 * vg.Inch
	chartHeight = 3.4 * vg.Inch
)

// Downsampling limits. A wide chart's plot area is about 650 pt across
// and a narrow one's about 300: more columns than points only make the
// SVG bigger, not the chart more exact.
const (
	maxColumns       = 800 // wide charts' lines: per-column first/min/max/last
	maxNarrowColumns = 300 // the same for the narrow charts
	maxMarkers       = 150 // failure markers: per-column lowest and highest, per status
	maxStatus        = 7   // statuses drawn on their own; the rest are "other"
)

// chartSet is the charts of one layer.
type chartSet struct {
	Layer   correlate.Layer
	Failing bool
	Charts  []*chart
}

// chart is one figure: a gonum plot with our own title and legend strip
// above it, so that the legend never covers data and the same figure
// renders to SVG and PNG alike.
type chart struct {
	Name    string // file stem: "concurrency"
	Title   string
	Caption string
	Wide    bool
	// Empty, when set, says why there is nothing to draw; the chart is then
	// left out and the sentence shown instead.
	Empty  string
	plot   *plot.Plot
	legend []legendEntry
}

type legendEntry struct {
	label string
	thumb plot.Thumbnailer
}

func (ch *chart) size() (w, h vg.Length) {
	if ch.Wide {
		return wideWidth, chartHeight
	}
	return narrowWidth, chartHeight
}

// Fonts: Liberation Sans is what gonum carries (no font is ever fetched)
// and is metric-compatible with Arial and Helvetica, which is what the
// SVG falls back to in a browser, so text measured here fits there.
var (
	sansFont = font.Font{Typeface: "Liberation", Variant: "Sans"}
	boldFont = font.Font{Typeface: "Liberation", Variant: "Sans", Weight: xfont.WeightBold}
)

func textStyle(f font.Font, size vg.Length, c color.Color) text.Style {
	return text.Style{
		Color:   c,
		Font:    font.From(f, size),
		XAlign:  draw.XLeft,
		YAlign:  draw.YTop,
		Handler: plot.DefaultTextHandler,
	}
}

// Colours. Status colours carry meaning (green is work accepted, red is
// capacity refused, orange a rate limit) and stay the same in every chart
// of a layer.
var (
	colInk       = color.RGBA{0x1f, 0x23, 0x28, 0xff}
	colMuted     = color.RGBA{0x5f, 0x67, 0x70, 0xff}
	colGrid      = color.RGBA{0xe4, 0xe7, 0xeb, 0xff}
	colLoad      = color.RGBA{0x1d, 0x4e, 0x89, 0xff}
	colThreads   = color.RGBA{0x8a, 0x93, 0x9c, 0xff}
	colFirst     = color.RGBA{0xc6, 0x28, 0x28, 0xff}
	colSustained = color.RGBA{0x4a, 0x14, 0x8c, 0xff}
	colP50       = color.RGBA{0x1d, 0x4e, 0x89, 0xff}
	colP90       = color.RGBA{0xe0, 0x8a, 0x00, 0xff}
	colP99       = color.RGBA{0xc6, 0x28, 0x28, 0xff}

	successColors = []color.RGBA{{0x2e, 0x7d, 0x32, 0xff}, {0x81, 0xc7, 0x84, 0xff}, {0x1b, 0x5e, 0x20, 0xff}}
	failureColors = []color.RGBA{{0xad, 0x14, 0x57, 0xff}, {0x00, 0x83, 0x8f, 0xff}, {0x6d, 0x4c, 0x41, 0xff}, {0xf9, 0xa8, 0x25, 0xff}, {0x28, 0x35, 0x93, 0xff}, {0x9e, 0x9d, 0x24, 0xff}}
	neutralColors = []color.RGBA{{0x78, 0x90, 0x9c, 0xff}, {0xb0, 0xbe, 0xc5, 0xff}, {0x45, 0x5a, 0x64, 0xff}, {0x9e, 0x9e, 0x9e, 0xff}}
	fixedColors   = map[string]color.RGBA{
		"503":     {0xd3, 0x2f, 0x2f, 0xff},
		"429":     {0xef, 0x6c, 0x00, 0xff},
		"timeout": {0x6a, 0x1b, 0x9a, 0xff},
		"refused": {0xd3, 0x2f, 0x2f, 0xff},
	}
)

// statusKey names an attempt's status for the charts: an attempt with no
// final answer has no status, so its outcome stands in.
func statusKey(a *correlate.Attempt) string {
	if a.Status != "" {
		return a.Status
	}
	return a.Outcome.String()
}

// statusPalette is a layer's statuses in display order with their colours.
type statusPalette struct {
	order  []string // at most maxStatus, then "other" if needed
	colors map[string]color.RGBA
	top    map[string]bool
	// The last lookup: attempts come in runs of one status, and a map
	// lookup per attempt is most of the cost of a 300 000-attempt chart.
	lastIn, lastOut string
}

func (sp *statusPalette) key(s string) string {
	if s == sp.lastIn && sp.lastOut != "" {
		return sp.lastOut
	}
	out := "other"
	if sp.top[s] {
		out = s
	}
	sp.lastIn, sp.lastOut = s, out
	return out
}

func newStatusPalette(counts map[string]int64, failed map[string]bool) *statusPalette {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	// Accepted work first (the bottom of the stack), then what is neither
	// accepted nor a failure (a redirect, a cancel), then failures; each
	// by how often it happened. The reader looks for the green giving way
	// to the red.
	rank := func(k string) int {
		switch {
		case failed[k]:
			return 2
		case isSuccess(k):
			return 0
		}
		return 1
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if rank(a) != rank(b) {
			return rank(a) < rank(b)
		}
		if counts[a] != counts[b] {
			return counts[a] > counts[b]
		}
		return a < b
	})
	sp := &statusPalette{colors: map[string]color.RGBA{}, top: map[string]bool{}}
	other := false
	for i, k := range keys {
		if i >= maxStatus {
			other = true
			break
		}
		sp.order = append(sp.order, k)
		sp.top[k] = true
	}
	var ns, nn, nf int
	for _, k := range sp.order {
		switch c, ok := fixedColors[k]; {
		case ok && failed[k]:
			sp.colors[k] = c
		case rank(k) == 0:
			sp.colors[k] = successColors[ns%len(successColors)]
			ns++
		case rank(k) == 1:
			sp.colors[k] = neutralColors[nn%len(neutralColors)]
			nn++
		default:
			sp.colors[k] = failureColors[nf%len(failureColors)]
			nf++
		}
	}
	if other {
		sp.order = append(sp.order, "other")
		sp.colors["other"] = color.RGBA{0x42, 0x42, 0x42, 0xff}
	}
	return sp
}

func isSuccess(status string) bool {
	return strings.HasPrefix(status, "2") || status == "101" || status == "answered"
}

// timeAxis places Unix ns times on a chart's x axis as seconds since the
// test start; the absolute start goes in the axis label.
type timeAxis struct {
	start int64
}

func (ta timeAxis) x(ns int64) float64 { return float64(ns-ta.start) / 1e9 }

func (ta timeAxis) label() string {
	return "seconds since " + time.Unix(0, ta.start).UTC().Format("2006-01-02 15:04:05.000") + " UTC"
}

// buildCharts makes the chart sets of a document: one per layer that had
// attempts, the failing layer first.
//
// The attempts are read once in all, not per layer or per chart: on a
// large run they are decoded from a temporary file on every pass
// (feedOnePass; feedTwoPasses when its assumptions do not hold).
func buildCharts(d *Document) []chartSet {
	r := d.Result
	if r == nil {
		return nil
	}
	views, ta := chartViews(r)
	concs, codes, ok := feedOnePass(r, views, ta)
	if !ok {
		concs, codes = feedTwoPasses(r, views, ta)
	}

	sets := make([]chartSet, 0, len(views))
	for i, lv := range views {
		conc, cc := concurrencyChart(r, lv, ta, concs[i]), codesChart(lv, ta, codes[i])
		alignYTicks(conc, cc)
		sets = append(sets, chartSet{
			Layer:   lv.lr.Layer,
			Failing: r.Verdict.Failed && r.Verdict.Layer == lv.lr.Layer,
			Charts:  []*chart{conc, cc, failureRatioChart(lv), responseTimeChart(lv)},
		})
	}
	return sets
}

// chartViews are the layers to chart, the failing one first, before their
// attempts are read.
func chartViews(r *correlate.Result) ([]*layerView, timeAxis) {
	var layers []*correlate.LayerResult
	for _, lr := range r.Layers {
		if lr.Attempts > 0 {
			layers = append(layers, lr)
		}
	}
	sort.SliceStable(layers, func(i, j int) bool {
		return r.Verdict.Failed && layers[i].Layer == r.Verdict.Layer && layers[j].Layer != r.Verdict.Layer
	})
	ta := timeAxis{start: testStart(r)}

	views := make([]*layerView, len(layers))
	for i, lr := range layers {
		views[i] = &layerView{lr: lr, first: lr.FirstFailure, sus: lr.Sustained, edges: len(lr.Edges), edge: chartEdge(lr)}
	}
	return views, ta
}

// feedTwoPasses feeds the time charts in two passes over the attempts: the
// first finds each layer's statuses and time span; the second, which
// needs the palette and the x range those give, feeds both time charts.
func feedTwoPasses(r *correlate.Result, views []*layerView, ta timeAxis) ([]*concurrencyFeed, []*codesFeed) {
	tallies := make([]*statusTally, len(views))
	for i := range views {
		tallies[i] = newStatusTally()
	}
	for _, a := range r.Attempts.Heads() {
		if a.Hop != 0 {
			continue
		}
		for i, lv := range views {
			if a.Layer == lv.lr.Layer {
				tallies[i].add(a)
			}
		}
	}

	concs := make([]*concurrencyFeed, len(views))
	codes := make([]*codesFeed, len(views))
	for i, lv := range views {
		t := tallies[i]
		t.flush()
		lv.palette = newStatusPalette(t.counts, t.failed)
		lv.span(r, ta, t.tmin, t.tmax)
		lv.n = t.n
		concs[i] = newConcurrencyFeed(lv)
		if lv.n > 0 {
			codes[i] = newCodesFeed(lv)
		}
	}
	for i, a := range r.Attempts.Heads() {
		if a.Hop != 0 {
			continue
		}
		for j, lv := range views {
			if a.Layer != lv.lr.Layer {
				continue
			}
			k := lv.palette.key(statusKey(a))
			if codes[j] != nil {
				codes[j].add(a.Time, k)
			}
			if !lv.edge.IsValid() || a.Edge == lv.edge {
				concs[j].add(ta.x(a.Time), float64(a.Concurrency), a.Failed, k, i)
			}
		}
	}
	return concs, codes
}

// rawBudget bounds the counts feedOnePass keeps per layer by raw status
// (buckets times statuses) before it gives way to feedTwoPasses: a run
// with thousands of distinct statuses would otherwise keep a series each.
const rawBudget = 1 << 20

// feedOnePass feeds the time charts as feedTwoPasses does, in one pass
// over the attempts and a look at the last few. Attempts come in time
// order, so a layer's span runs from its first attempt to its last, which
// a backward look finds at once; the feeds are started at the first and
// keyed by the status itself, and the palette, which needs every status's
// count, merges the rare ones into "other" at the end. It reports false,
// having left the views to be set again, when the attempts turn out not
// to be in order or hold too many statuses.
func feedOnePass(r *correlate.Result, views []*layerView, ta timeAxis) ([]*concurrencyFeed, []*codesFeed, bool) {
	if len(views) == 0 {
		return nil, nil, true
	}
	last := make([]int64, len(views))
	found := make([]bool, len(views))
	need := len(views)
	for _, a := range r.Attempts.HeadsBackward() {
		if a.Hop != 0 {
			continue
		}
		for i, lv := range views {
			if a.Layer == lv.lr.Layer && !found[i] {
				found[i], last[i] = true, a.Time
				need--
			}
		}
		if need == 0 {
			break
		}
	}
	if need > 0 {
		return nil, nil, false
	}

	idx := viewIndex(views)
	tallies := make([]*statusTally, len(views))
	for i := range views {
		tallies[i] = newStatusTally()
	}
	concs := make([]*concurrencyFeed, len(views))
	codes := make([]*codesFeed, len(views))
	ok := true
	for i, a := range r.Attempts.Heads() {
		if a.Hop != 0 || idx[a.Layer] < 0 {
			continue
		}
		j := idx[a.Layer]
		lv, cf := views[j], codes[j]
		if cf == nil {
			if a.Time > last[j] {
				ok = false
				break
			}
			lv.span(r, ta, a.Time, last[j])
			concs[j] = newConcurrencyFeed(lv)
			cf = newCodesFeed(lv)
			codes[j] = cf
		} else if a.Time < lv.tmin || a.Time > lv.tmax {
			ok = false
			break
		}
		tallies[j].add(a)
		k := statusKey(a)
		cf.add(a.Time, k)
		if len(cf.series)*cf.n > rawBudget {
			ok = false
			break
		}
		if !lv.edge.IsValid() || a.Edge == lv.edge {
			concs[j].add(ta.x(a.Time), float64(a.Concurrency), a.Failed, k, i)
		}
	}
	if !ok {
		return nil, nil, false
	}
	for i, lv := range views {
		t := tallies[i]
		t.flush()
		if codes[i] == nil || t.tmin != lv.tmin || t.tmax != lv.tmax {
			return nil, nil, false
		}
		lv.palette = newStatusPalette(t.counts, t.failed)
		lv.n = t.n
		codes[i].rekey(lv.palette)
		concs[i].rekey(lv.palette)
	}
	return concs, codes, true
}

// viewIndex numbers each layer's view, -1 for a layer with none, so that
// feedOnePass goes to an attempt's view at once rather than ask each view
// (a tenth of the pass on a JTL alone). Were two views of one layer, the
// first would be fed nothing, and feedOnePass would report false.
func viewIndex(views []*layerView) (idx [1 << 8]int16) {
	for i := range idx {
		idx[i] = -1
	}
	for j, lv := range views {
		idx[lv.lr.Layer] = int16(j)
	}
	return idx
}

// layerView is one layer's attempts as the charts see them.
type layerView struct {
	lr      *correlate.LayerResult
	edge    netip.AddrPort // the edge the concurrency chart follows
	edges   int            // how many edges the layer had
	palette *statusPalette
	first   *correlate.Breakpoint
	sus     *correlate.Breakpoint
	tmin    int64
	tmax    int64
	n       int64
	// xlo and xhi are the time charts' common x range, so that they line
	// up one above the other.
	xlo, xhi float64
}

// span sets the layer's time span, from its first attempt to its last,
// and the time charts' x range, which covers JMeter's threads too.
func (lv *layerView) span(r *correlate.Result, ta timeAxis, tmin, tmax int64) {
	lv.tmin, lv.tmax = tmin, tmax
	lv.xlo, lv.xhi = ta.x(lv.tmin), ta.x(lv.tmax)
	if len(r.Threads) > 0 {
		lv.xlo = math.Min(lv.xlo, ta.x(r.Threads[0].Time))
		lv.xhi = math.Max(lv.xhi, ta.x(r.Threads[len(r.Threads)-1].Time))
	}
	lv.xlo, lv.xhi = padRange(lv.xlo, lv.xhi, 0.5)
}

// statusTally is what the first pass learns of a layer: how often each
// status came and whether it ever failed (for the palette), and the
// layer's time span.
type statusTally struct {
	counts map[string]int64
	failed map[string]bool
	// Counted in runs of one status, for the same reason as
	// statusPalette.key.
	run       string
	runN      int64
	runFailed bool

	tmin, tmax, n int64
}

func newStatusTally() *statusTally {
	return &statusTally{counts: map[string]int64{}, failed: map[string]bool{}}
}

func (t *statusTally) add(a *correlate.Attempt) {
	if k := statusKey(a); k != t.run || t.runN == 0 {
		t.flush()
		t.run, t.runN, t.runFailed = k, 0, false
	}
	t.runN++
	t.runFailed = t.runFailed || a.Failed
	if t.n == 0 || a.Time < t.tmin {
		t.tmin = a.Time
	}
	if t.n == 0 || a.Time > t.tmax {
		t.tmax = a.Time
	}
	t.n++
}

// flush counts the run in progress; the last run is counted only by it.
func (t *statusTally) flush() {
	if t.runN > 0 {
		t.counts[t.run] += t.runN
		t.failed[t.run] = t.failed[t.run] || t.runFailed
	}
	t.runN = 0
}

// alignYTicks pads the y tick labels of charts drawn one above the other
// to the same width, so that their plot areas, and so their time axes,
// start at the same x.
func alignYTicks(charts ...*chart) {
	width := 0
	for _, ch := range charts {
		if ch.plot == nil {
			continue
		}
		for _, t := range ch.plot.Y.Tick.Marker.Ticks(ch.plot.Y.Min, ch.plot.Y.Max) {
			width = max(width, len(t.Label))
		}
	}
	for _, ch := range charts {
		if ch.plot == nil {
			continue
		}
		if nt, ok := ch.plot.Y.Tick.Marker.(niceTicker); ok {
			nt.width = width
			ch.plot.Y.Tick.Marker = nt
		}
	}
}

// chartEdge picks the edge whose concurrency the chart follows: where the
// first failure happened, else the busiest. Concurrency is counted per
// edge, so mixing edges in one line would draw a meaningless zigzag.
func chartEdge(lr *correlate.LayerResult) netip.AddrPort {
	if lr.FirstFailure != nil && lr.FirstFailure.Edge.IsValid() {
		return lr.FirstFailure.Edge
	}
	var best netip.AddrPort
	var most int64 = -1
	for _, e := range lr.Edges {
		if e.Attempts > most {
			best, most = e.Edge, e.Attempts
		}
	}
	return best
}

func layerName(l correlate.Layer) string {
	switch l {
	case correlate.LayerSIP, correlate.LayerTCP, correlate.LayerTLS, correlate.LayerHTTP:
		return strings.ToUpper(l.String())
	case correlate.LayerWebSocket:
		return "WebSocket"
	}
	return l.String()
}

// concurrencyFeed gathers, attempt by attempt, what the concurrency chart
// draws: the load line already reduced to columns and the failures to
// markers, so that its memory does not grow with the attempts.
type concurrencyFeed struct {
	load     *envelopeBuilder
	ymax     float64
	count    int64
	failures int64
	lo, hi   float64
	markers  map[string]*markerColumns
	m        *markerColumns // markers[lastKey]
	lastKey  string
}

func newConcurrencyFeed(lv *layerView) *concurrencyFeed {
	return &concurrencyFeed{
		load:    newEnvelopeBuilder(lv.xlo, lv.xhi, maxColumns),
		lo:      lv.xlo,
		hi:      lv.xhi,
		markers: map[string]*markerColumns{},
	}
}

// add takes attempt i at the chart's edge: its time on the chart's axis,
// its concurrency, and its status as the palette names it (or the status
// itself, for rekey).
func (f *concurrencyFeed) add(x, y float64, failed bool, key string, i int) {
	f.load.add(x, y)
	f.ymax = math.Max(f.ymax, y)
	f.count++
	if !failed {
		return
	}
	f.failures++
	if key != f.lastKey || f.m == nil {
		if f.m = f.markers[key]; f.m == nil {
			f.m = newMarkerColumns(f.lo, f.hi, maxMarkers)
			f.markers[key] = f.m
		}
		f.lastKey = key
	}
	f.m.add(x, y, i)
}

// rekey merges the markers kept by status into the palette's keys.
func (f *concurrencyFeed) rekey(sp *statusPalette) {
	markers := make(map[string]*markerColumns, len(f.markers))
	for k, m := range f.markers {
		pk := sp.key(k)
		if into := markers[pk]; into != nil {
			into.merge(m)
		} else {
			markers[pk] = m
		}
	}
	f.markers, f.m, f.lastKey = markers, nil, ""
}

func concurrencyChart(r *correlate.Result, lv *layerView, ta timeAxis, f *concurrencyFeed) *chart {
	lr := lv.lr
	ch := &chart{Name: "concurrency", Wide: true, Title: layerName(lr.Layer) + ": " + lr.Layer.Unit() + " over time"}
	if lv.edge.IsValid() {
		ch.Title += " at " + lv.edge.String()
	}
	tlo, thi := lv.xlo, lv.xhi
	if f.count == 0 {
		ch.Empty = "No attempts at this layer were seen at an edge."
		return ch
	}
	p := newPlot()
	p.X.Label.Text = ta.label()
	p.Y.Label.Text = "count"
	p.Y.Tick.Marker = niceTicker{integer: true}

	load := stepLine(f.load.points(), colLoad, 1.4)
	p.Add(load)
	if f.count <= fewPoints {
		// A step line of one point draws nothing.
		p.Add(dots(load.XYs, colLoad))
	}
	ch.legend = append(ch.legend, legendEntry{lr.Layer.Unit(), load})
	ymax := f.ymax

	if len(r.Threads) > 0 {
		txs := make([]float64, len(r.Threads))
		tys := make([]float64, len(r.Threads))
		for i, pt := range r.Threads {
			txs[i], tys[i] = ta.x(pt.Time), float64(pt.Value)
		}
		th := stepLine(envelope(txs, tys, tlo, thi, maxColumns), colThreads, 1.2)
		th.LineStyle.Dashes = []vg.Length{vg.Points(5), vg.Points(2.5)}
		p.Add(th)
		ch.legend = append(ch.legend, legendEntry{"JMeter threads", th})
		ymax = math.Max(ymax, maxOf(tys))
	}
	for _, k := range lv.palette.order {
		m := f.markers[k]
		if m == nil {
			continue
		}
		sc := scatter(m.points(), lv.palette.colors[k])
		p.Add(sc)
		ch.legend = append(ch.legend, legendEntry{"failed: " + k, sc})
	}
	addTimeMarkers(p, ch, lv, ta, tlo, thi)
	// Set last: adding a plotter widens the axes to its data.
	p.X.Min, p.X.Max = tlo, thi
	p.Y.Min, p.Y.Max = 0, niceMax(ymax*1.05)

	ch.plot = p
	ch.Caption = fmt.Sprintf("The step line is %s at the edge at the moment each attempt was made, counting the attempt itself.", lr.Layer.Unit())
	if lr.Basis == "jtl" {
		ch.Caption = "No capture covered this layer: the step line is JMeter's samples in flight when each sample started, counting the sample itself, not what the edge saw."
	}
	if f.count > maxColumns {
		ch.Caption += fmt.Sprintf(" %s attempts are drawn as the lowest and highest value in each of at most %d columns, so a spike one attempt wide keeps its full height.", Thousands(f.count), maxColumns)
	}
	if len(r.Threads) == 0 {
		ch.Caption += " JMeter threads are unknown: no JTL was read."
	} else {
		ch.Caption += " The dashed grey line is JMeter's active threads (allThreads)"
		if strings.Contains(r.Basis, "capture") {
			ch.Caption += ", moved onto the capture's clock"
		}
		ch.Caption += "."
	}
	if f.failures > 0 {
		ch.Caption += " Dots are failed attempts, coloured by status."
	}
	if lv.edges > 1 {
		ch.Caption += fmt.Sprintf(" Only %s is drawn; the layer had %d edges.", lv.edge, lv.edges)
	}
	return ch
}

// breakpointMarkers draws the breakpoints as vertical lines at x(b); when
// both fall at the same place one line stands for both, since two dashed
// lines on top of each other read as neither.
func breakpointMarkers(p *plot.Plot, ch *chart, lv *layerView, x func(*correlate.Breakpoint) (float64, bool), label func(*correlate.Breakpoint) string) {
	first, sus := lv.first, lv.sus
	fx, fok := 0.0, false
	sx, sok := 0.0, false
	if first != nil {
		fx, fok = x(first)
	}
	if sus != nil {
		sx, sok = x(sus)
	}
	if fok && sok && fx == sx {
		m := vline(fx, colFirst, []vg.Length{vg.Points(5), vg.Points(2.5)})
		p.Add(m)
		ch.legend = append(ch.legend, legendEntry{"first failure and sustained: " + label(first), m})
		return
	}
	if fok {
		m := vline(fx, colFirst, []vg.Length{vg.Points(5), vg.Points(2.5)})
		p.Add(m)
		ch.legend = append(ch.legend, legendEntry{"first failure: " + label(first), m})
	}
	if sok {
		m := vline(sx, colSustained, []vg.Length{vg.Points(1.5), vg.Points(2.5)})
		p.Add(m)
		ch.legend = append(ch.legend, legendEntry{"sustained: from " + label(sus), m})
	}
}

func addTimeMarkers(p *plot.Plot, ch *chart, lv *layerView, ta timeAxis, lo, hi float64) {
	unit := lv.lr.Layer.Unit()
	breakpointMarkers(p, ch, lv, func(b *correlate.Breakpoint) (float64, bool) {
		x := ta.x(b.Time)
		return x, b.Time != 0 && x >= lo && x <= hi
	}, func(b *correlate.Breakpoint) string {
		return fmt.Sprintf("%d %s, +%.3f s", b.Concurrency, unit, ta.x(b.Time))
	})
}

func addLevelMarkers(p *plot.Plot, ch *chart, lv *layerView) {
	breakpointMarkers(p, ch, lv, func(b *correlate.Breakpoint) (float64, bool) {
		return float64(b.Concurrency), true
	}, func(b *correlate.Breakpoint) string {
		return strconv.Itoa(int(b.Concurrency))
	})
}

// bucketWidths are the widths the codes chart may use, finest first. A
// spike lasts seconds: JMeter's own dashboard (60 s) smears it flat.
var bucketWidths = []int64{10e6, 20e6, 50e6, 100e6, 200e6, 500e6, 1e9}

// bucketWidth picks the finest width that keeps a duration within 200
// buckets (so 80 to 200 of them, readable at a glance), and never coarser
// than a second, so long tests get more.
func bucketWidth(duration int64) int64 {
	for _, w := range bucketWidths {
		if duration/w < 200 {
			return w
		}
	}
	return bucketWidths[len(bucketWidths)-1]
}

func formatWidth(w int64) string {
	if w >= 1e9 {
		return strconv.FormatInt(w/1e9, 10) + " s"
	}
	return strconv.FormatInt(w/1e6, 10) + " ms"
}

// codesFeed counts a layer's attempts per status per bucket of time; its
// size is set by the layer's duration, not by how many attempts it had.
type codesFeed struct {
	tmin, w int64
	n       int // buckets
	series  map[string][]float64
	s       []float64 // series[lastKey]
	lastKey string
}

func newCodesFeed(lv *layerView) *codesFeed {
	w := bucketWidth(lv.tmax - lv.tmin)
	return &codesFeed{tmin: lv.tmin, w: w, n: int((lv.tmax-lv.tmin)/w) + 1, series: map[string][]float64{}}
}

// add counts an attempt made at t (Unix ns) whose status the palette names
// key.
func (f *codesFeed) add(t int64, key string) {
	if key != f.lastKey || f.s == nil {
		if f.s = f.series[key]; f.s == nil {
			f.s = make([]float64, f.n)
			f.series[key] = f.s
		}
		f.lastKey = key
	}
	f.s[(t-f.tmin)/f.w]++
}

// rekey adds up the series kept by status into the palette's keys. The
// counts are whole numbers, exact in a float64 whatever the order.
func (f *codesFeed) rekey(sp *statusPalette) {
	series := make(map[string][]float64, len(f.series))
	for k, s := range f.series {
		pk := sp.key(k)
		if into := series[pk]; into != nil {
			for j, v := range s {
				into[j] += v
			}
		} else {
			series[pk] = s
		}
	}
	f.series, f.s, f.lastKey = series, nil, ""
}

// codesChart draws the statuses over time from f, which is nil when the
// layer had no attempts to count.
func codesChart(lv *layerView, ta timeAxis, f *codesFeed) *chart {
	lr := lv.lr
	ch := &chart{Name: "codes-over-time", Wide: true, Title: layerName(lr.Layer) + ": statuses over time"}
	if f == nil {
		ch.Empty = "No attempts at this layer."
		return ch
	}
	w, n, series := f.w, f.n, f.series
	p := newPlot()
	p.X.Label.Text = ta.label()
	p.Y.Label.Text = "attempts per " + formatWidth(w)
	p.Y.Tick.Marker = niceTicker{integer: true}
	lo, hi := lv.xlo, lv.xhi
	xs := make([]float64, n+1)
	for i := range xs {
		xs[i] = ta.x(lv.tmin + int64(i)*w)
	}
	// Stacked: the top edge is all attempts, and each colour is the share
	// of one status, accepted work at the bottom. Lines per status would
	// tangle at the low counts a fine bucket has.
	var keys []string
	for _, k := range lv.palette.order {
		if series[k] != nil {
			keys = append(keys, k)
		}
	}
	cum := make([][]float64, len(keys))
	for i, k := range keys {
		c := make([]float64, n+1)
		for j, v := range series[k] {
			c[j] = v
			if i > 0 {
				c[j] += cum[i-1][j]
			}
		}
		// The last bucket's count holds until the bucket's end.
		c[n] = c[n-1]
		cum[i] = c
	}
	areas := make([]*edgeLine, len(keys))
	for i := len(keys) - 1; i >= 0; i-- {
		a := stepLine(envelope(xs, cum[i], lo, hi, maxColumns), lv.palette.colors[keys[i]], 0)
		a.LineStyle.Width = 0
		a.FillColor = lv.palette.colors[keys[i]]
		p.Add(a)
		areas[i] = a
	}
	for i, k := range keys {
		ch.legend = append(ch.legend, legendEntry{k, areas[i]})
	}
	ymax := 0.0
	if len(cum) > 0 {
		ymax = maxOf(cum[len(cum)-1])
	}
	addTimeMarkers(p, ch, lv, ta, lo, hi)
	// Set last: adding a plotter widens the axes to its data.
	p.X.Min, p.X.Max = lo, hi
	p.Y.Min, p.Y.Max = 0, niceMax(ymax*1.05)
	ch.plot = p
	ch.Caption = fmt.Sprintf("Attempts by final status, stacked, in %s buckets by the time each attempt was made (%s over %.3f s). The top edge is the rate of attempts.", formatWidth(w), plural(int64(n), "bucket"), float64(lv.tmax-lv.tmin)/1e9)
	if n > maxColumns {
		ch.Caption += fmt.Sprintf(" Drawn as the lowest and highest count in each of at most %d columns.", maxColumns)
	}
	return ch
}

func failureRatioChart(lv *layerView) *chart {
	lr := lv.lr
	ch := &chart{Name: "failure-ratio", Title: layerName(lr.Layer) + ": failure ratio by concurrency"}
	var decided []correlate.Level
	for _, l := range lr.Levels {
		if l.Attempts > 0 {
			decided = append(decided, l)
		}
	}
	if len(decided) == 0 {
		ch.Empty = "No attempt at this layer had a known outcome, so there is no load curve."
		return ch
	}
	bins, grouped := binLevels(decided, maxNarrowColumns)
	pts := make(plotter.XYs, len(bins))
	for i, b := range bins {
		pts[i] = plotter.XY{X: b.x, Y: 100 * float64(b.failures) / float64(b.attempts)}
	}
	p := newPlot()
	p.X.Label.Text = lr.Layer.Unit()
	p.Y.Label.Text = "failed (%)"
	p.X.Tick.Marker = niceTicker{integer: true}
	lo, hi := padRange(float64(decided[0].Concurrency), float64(decided[len(decided)-1].Concurrency), 1)
	ln := line(pts, colLoad, 1.4)
	p.Add(ln)
	ch.legend = append(ch.legend, legendEntry{"failed / decided attempts", ln})
	if len(pts) <= 150 {
		p.Add(dots(pts, colLoad))
	}
	addLevelMarkers(p, ch, lv)
	p.X.Min, p.X.Max = lo, hi
	p.Y.Min, p.Y.Max = 0, 100
	p.Y.Tick.Marker = niceTicker{}
	ch.plot = p
	ch.Caption = "Per concurrency level: the share of the attempts made at that level that failed. Levels with few attempts are noisy."
	if grouped {
		ch.Caption += fmt.Sprintf(" The %s levels are grouped into %d bins of adjacent levels; each point is the failure ratio of all the attempts in its bin.", Thousands(int64(len(decided))), len(bins))
	}
	return ch
}

func responseTimeChart(lv *layerView) *chart {
	lr := lv.lr
	ch := &chart{Name: "response-time", Title: layerName(lr.Layer) + ": response time by concurrency"}
	var timed []correlate.Level
	for _, l := range lr.Levels {
		if l.P50 >= 0 && l.Attempts > 0 {
			timed = append(timed, l)
		}
	}
	if len(timed) == 0 {
		ch.Empty = "No attempt at this layer was answered, so there are no response times."
		return ch
	}
	bins, grouped := binLevels(timed, maxNarrowColumns)
	lo, hi := padRange(float64(timed[0].Concurrency), float64(timed[len(timed)-1].Concurrency), 1)
	p := newPlot()
	p.X.Label.Text = lr.Layer.Unit()
	p.Y.Label.Text = "response time (ms)"
	p.X.Tick.Marker = niceTicker{integer: true}
	names := []string{"p50", "p90", "p99"}
	cols := []color.RGBA{colP50, colP90, colP99}
	ymax := 0.0
	lines := make([]*edgeLine, len(names))
	for i := range names {
		var pts plotter.XYs
		for _, b := range bins {
			if b.p[i] >= 0 {
				pts = append(pts, plotter.XY{X: b.x, Y: b.p[i]})
				ymax = math.Max(ymax, b.p[i])
			}
		}
		if len(pts) == 0 {
			continue
		}
		lines[i] = line(pts, cols[i], 1.3)
		ch.legend = append(ch.legend, legendEntry{names[i], lines[i]})
	}
	// p99 underneath: where few attempts make the percentiles equal, the
	// median stays visible.
	for i := len(lines) - 1; i >= 0; i-- {
		if lines[i] != nil {
			p.Add(lines[i])
			if len(lines[i].XYs) <= fewPoints {
				p.Add(dots(lines[i].XYs, cols[i]))
			}
		}
	}
	addLevelMarkers(p, ch, lv)
	p.X.Min, p.X.Max = lo, hi
	p.Y.Min, p.Y.Max = 0, niceMax(ymax*1.05)
	p.Y.Tick.Marker = niceTicker{}
	ch.plot = p
	ch.Caption = "Percentiles of the time to the final answer (any status) of the attempts made at each concurrency level."
	if grouped {
		ch.Caption += fmt.Sprintf(" The %s levels are grouped into %d bins of adjacent levels; each point is its levels' percentiles averaged, weighted by attempts (an approximation: percentiles do not add up).", Thousands(int64(len(timed))), len(bins))
	}
	return ch
}

// levelBin is one or more adjacent concurrency levels drawn as one point.
type levelBin struct {
	x                  float64 // concurrency, weighted by attempts
	attempts, failures int64
	p                  [3]float64 // p50, p90, p99 in ms; -1 when unknown
}

// binLevels draws levels one point each when there are at most n, and
// otherwise groups adjacent levels into at most n bins of equal width. A
// min/max envelope, right for a time series, would turn a noisy load
// curve into a solid band; a bin's failure ratio stays exact (sums), and
// its percentiles become attempts-weighted means.
func binLevels(levels []correlate.Level, n int) (bins []levelBin, grouped bool) {
	ms := func(v int64) float64 {
		if v < 0 {
			return -1
		}
		return float64(v) / 1e6
	}
	if len(levels) <= n {
		for _, l := range levels {
			bins = append(bins, levelBin{x: float64(l.Concurrency), attempts: l.Attempts, failures: l.Failures, p: [3]float64{ms(l.P50), ms(l.P90), ms(l.P99)}})
		}
		return bins, false
	}
	lo, hi := float64(levels[0].Concurrency), float64(levels[len(levels)-1].Concurrency)
	scale := float64(n) / (hi - lo + 1)
	type acc struct {
		cx, w float64
		pw    [3]float64
		psum  [3]float64
	}
	var cur levelBin
	var a acc
	col := -1
	flush := func() {
		if col < 0 {
			return
		}
		cur.x = a.cx / a.w
		for i := range cur.p {
			cur.p[i] = -1
			if a.pw[i] > 0 {
				cur.p[i] = a.psum[i] / a.pw[i]
			}
		}
		bins = append(bins, cur)
	}
	for _, l := range levels {
		c := int((float64(l.Concurrency) - lo) * scale)
		if c != col {
			flush()
			col, cur, a = c, levelBin{}, acc{}
		}
		w := float64(max(l.Attempts, 1))
		a.cx += float64(l.Concurrency) * w
		a.w += w
		cur.attempts += l.Attempts
		cur.failures += l.Failures
		for i, v := range [3]int64{l.P50, l.P90, l.P99} {
			if v >= 0 {
				a.psum[i] += ms(v) * w
				a.pw[i] += w
			}
		}
	}
	flush()
	return bins, true
}

// newPlot is a gonum plot in the report's style.
func newPlot() *plot.Plot {
	p := plot.New()
	p.BackgroundColor = color.White
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		ax.Label.TextStyle.Font = font.From(sansFont, 9.5)
		ax.Label.TextStyle.Color = colMuted
		ax.Tick.Label.Font = font.From(sansFont, 8.5)
		ax.Tick.Label.Color = colMuted
		ax.Tick.Color = colMuted
		ax.Tick.Width = vg.Points(0.5)
		ax.LineStyle.Color = colMuted
		ax.LineStyle.Width = vg.Points(0.6)
		ax.Padding = vg.Points(2)
		ax.Tick.Marker = niceTicker{}
	}
	p.X.Label.Padding = vg.Points(3)
	p.Y.Label.Padding = vg.Points(4)
	g := plotter.NewGrid()
	g.Vertical.Color = colGrid
	g.Horizontal.Color = colGrid
	g.Vertical.Width = vg.Points(0.5)
	g.Horizontal.Width = vg.Points(0.5)
	p.Add(g)
	return p
}

func line(pts plotter.XYs, c color.Color, width float64) *edgeLine {
	l := &edgeLine{Line: &plotter.Line{XYs: pts}}
	l.LineStyle = draw.LineStyle{Color: c, Width: vg.Points(width)}
	return l
}

func stepLine(pts plotter.XYs, c color.Color, width float64) *edgeLine {
	l := line(pts, c, width)
	l.StepStyle = plotter.PostStep
	return l
}

// edgeLine is a line that hands the plot, for its padding, only the glyph
// boxes that can decide it. gonum's Plot.Draw asks each plotter for a box
// per point four times (padX and padY, twice each) and keeps the
// outermost in range; a time chart's lines hold thousands of points, and
// those boxes were 10 MB of garbage per report. The plot's choice is the
// same: see GlyphBoxes.
type edgeLine struct {
	*plotter.Line
	// unit is the points on the plot's unit range, the last call's: kept
	// for the next, which needs as many.
	unit plotter.XYs
}

// edgeSlack is how far, on the unit range, a point may lie from its
// line's outermost and still be kept: the plot compares the points on
// the canvas, where nearly equal ones round alike and the first of them
// wins, so those must stay, in order. A chart is hundreds of points
// wide; rounding there is some 1e-13 of a point.
const edgeSlack = 1e-9

// GlyphBoxes gives the boxes Line.GlyphBoxes would that the plot may pick
// as outermost on a canvas of some width, in the line's order: those
// within edgeSlack of the least or greatest x or y of the ones
// Plot.GlyphBoxes keeps (in range, or not a number), and any beyond, which
// it drops. A line with no width has none the plot looks at.
func (l *edgeLine) GlyphBoxes(p *plot.Plot) []plot.GlyphBox {
	r := 0.5 * l.LineStyle.Width
	if !(r > 0) {
		return nil
	}
	l.unit = toUnit(p, l.XYs, l.unit[:0])
	// Comparisons with a NaN are false: one is no bound.
	xlo, xhi, ylo, yhi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, u := range l.unit {
		if kept(u) {
			xlo, xhi = lower(xlo, u.X), higher(xhi, u.X)
			ylo, yhi = lower(ylo, u.Y), higher(yhi, u.Y)
		}
	}
	rect := vg.Rectangle{Min: vg.Point{X: -r, Y: -r}, Max: vg.Point{X: r, Y: r}}
	var boxes []plot.GlyphBox
	for _, u := range l.unit {
		if u.X <= xlo+edgeSlack || u.X >= xhi-edgeSlack || u.Y <= ylo+edgeSlack || u.Y >= yhi-edgeSlack {
			boxes = append(boxes, plot.GlyphBox{X: u.X, Y: u.Y, Rectangle: rect})
		}
	}
	return boxes
}

func lower(lo, v float64) float64 {
	if v < lo {
		return v
	}
	return lo
}

func higher(hi, v float64) float64 {
	if v > hi {
		return v
	}
	return hi
}

// toUnit appends pts, placed on the plot's unit range as Axis.Norm places
// them, to dst.
func toUnit(p *plot.Plot, pts plotter.XYs, dst plotter.XYs) plotter.XYs {
	xs, xmin, xmax := p.X.Scale, p.X.Min, p.X.Max
	ys, ymin, ymax := p.Y.Scale, p.Y.Min, p.Y.Max
	for _, pt := range pts {
		dst = append(dst, plotter.XY{X: xs.Normalize(xmin, xmax, pt.X), Y: ys.Normalize(ymin, ymax, pt.Y)})
	}
	return dst
}

// kept says whether Plot.GlyphBoxes keeps a box at u: it drops those
// outside the unit range, and so keeps those not a number.
func kept(u plotter.XY) bool { return !(u.X < 0 || u.X > 1) && !(u.Y < 0 || u.Y > 1) }

// fewPoints is how many points a line may have and still get a dot on
// each: a line of one point would otherwise not show at all.
const fewPoints = 50

func dots(pts plotter.XYs, c color.Color) *plotter.Scatter {
	s := scatter(pts, c)
	s.GlyphStyle.Radius = vg.Points(1.8)
	return s
}

func scatter(pts plotter.XYs, c color.Color) *plotter.Scatter {
	s := &plotter.Scatter{XYs: pts}
	s.GlyphStyle = draw.GlyphStyle{Color: c, Radius: vg.Points(2.2), Shape: draw.CircleGlyph{}}
	return s
}

// vmarker is a vertical line across the whole plot at x. It has no data
// range of its own so that it never stretches an axis.
type vmarker struct {
	x     float64
	style draw.LineStyle
}

func vline(x float64, c color.Color, dashes []vg.Length) *vmarker {
	return &vmarker{x: x, style: draw.LineStyle{Color: c, Width: vg.Points(1.3), Dashes: dashes}}
}

func (m *vmarker) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	x := trX(m.x)
	if x < c.Min.X || x > c.Max.X {
		return
	}
	c.StrokeLine2(m.style, x, c.Min.Y, x, c.Max.Y)
}

func (m *vmarker) Thumbnail(c *draw.Canvas) {
	x := (c.Min.X + c.Max.X) / 2
	c.StrokeLine2(m.style, x, c.Min.Y, x, c.Max.Y)
}

// envelope reduces a series, sorted by x, to at most n columns over
// [lo, hi]. Each column keeps its first, lowest, highest and last values,
// drawn at the column's first x, so that a spike one sample wide keeps its
// full height and a step line still steps where the data did. A series of
// at most n points is kept whole.
func envelope(xs, ys []float64, lo, hi float64, n int) plotter.XYs {
	b := newEnvelopeBuilder(lo, hi, n)
	for i := range xs {
		b.add(xs[i], ys[i])
	}
	return b.points()
}

// envelopeBuilder is envelope for a series that comes a point at a time
// and may be too long to keep, such as a large run's attempts: it holds
// the first n points, in case there are no more, and from the (n+1)th on
// only the columns, which it fills as the points come.
type envelopeBuilder struct {
	lo, scale float64
	n         int
	buf       plotter.XYs // the points so far, while there are at most n
	columns   bool        // there were more: pts holds the columns
	pts       plotter.XYs
	// The column being filled.
	open                    bool
	col                     int
	x0, first, mn, mx, last float64
	// The latest point, which ends the line.
	endX, endY float64
}

func newEnvelopeBuilder(lo, hi float64, n int) *envelopeBuilder {
	return &envelopeBuilder{lo: lo, scale: float64(n) / (hi - lo), n: n}
}

func (b *envelopeBuilder) add(x, y float64) {
	if !b.columns {
		if len(b.buf) < b.n {
			b.buf = append(b.buf, plotter.XY{X: x, Y: y})
			return
		}
		b.columns = true
		b.pts = make(plotter.XYs, 0, 4*b.n)
		for _, p := range b.buf {
			b.column(p.X, p.Y)
		}
		b.buf = nil
	}
	b.column(x, y)
}

// column takes a point into the columns. A column is a run of consecutive
// points that fall in it, as in a sorted series they all do.
func (b *envelopeBuilder) column(x, y float64) {
	if c := int((x - b.lo) * b.scale); !b.open || c != b.col {
		b.close()
		b.open, b.col, b.x0 = true, c, x
		b.first, b.mn, b.mx, b.last = y, y, y, y
	} else {
		b.mn, b.mx, b.last = math.Min(b.mn, y), math.Max(b.mx, y), y
	}
	b.endX, b.endY = x, y
}

// close draws the column being filled. A value that repeats the one
// before it adds nothing to a step line.
func (b *envelopeBuilder) close() {
	if !b.open {
		return
	}
	for _, y := range [4]float64{b.first, b.mn, b.mx, b.last} {
		if k := len(b.pts); k > 0 && b.pts[k-1].Y == y {
			continue
		}
		b.pts = append(b.pts, plotter.XY{X: b.x0, Y: y})
	}
	b.open = false
}

// points is the line, once the last point has been added.
func (b *envelopeBuilder) points() plotter.XYs {
	if !b.columns {
		return append(make(plotter.XYs, 0, len(b.buf)), b.buf...)
	}
	b.close()
	// The last point carries the end of the series, even when its value
	// repeats, so the line reaches it.
	if b.pts[len(b.pts)-1].X != b.endX {
		b.pts = append(b.pts, plotter.XY{X: b.endX, Y: b.endY})
	}
	return b.pts
}

// markerColumns keeps, per column, the lowest and highest failure so that
// hundreds of thousands of failures become a few hundred dots that still
// show where and at what load they happened.
type markerColumns struct {
	lo, scale float64
	cols      [][2]plotter.XY
	// seq numbers the attempts in cols, so that merge keeps the one add
	// would have kept: among equals, the first.
	seq [][2]int
	set []bool
}

func newMarkerColumns(lo, hi float64, n int) *markerColumns {
	return &markerColumns{lo: lo, scale: float64(n) / (hi - lo), cols: make([][2]plotter.XY, n+1), seq: make([][2]int, n+1), set: make([]bool, n+1)}
}

// add takes failure i, added in ascending i.
func (m *markerColumns) add(x, y float64, i int) {
	c := min(max(int((x-m.lo)*m.scale), 0), len(m.cols)-1)
	pt := plotter.XY{X: x, Y: y}
	if !m.set[c] {
		m.cols[c], m.seq[c], m.set[c] = [2]plotter.XY{pt, pt}, [2]int{i, i}, true
		return
	}
	if y < m.cols[c][0].Y {
		m.cols[c][0], m.seq[c][0] = pt, i
	}
	if y > m.cols[c][1].Y {
		m.cols[c][1], m.seq[c][1] = pt, i
	}
}

// merge takes o's markers (of the same range) in, as if its failures had
// been added to m in order with m's own.
func (m *markerColumns) merge(o *markerColumns) {
	for c, set := range o.set {
		switch {
		case !set:
			continue
		case !m.set[c]:
			m.cols[c], m.seq[c], m.set[c] = o.cols[c], o.seq[c], true
			continue
		}
		lo, hi := o.cols[c][0], o.cols[c][1]
		if lo.Y < m.cols[c][0].Y || lo.Y == m.cols[c][0].Y && o.seq[c][0] < m.seq[c][0] {
			m.cols[c][0], m.seq[c][0] = lo, o.seq[c][0]
		}
		if hi.Y > m.cols[c][1].Y || hi.Y == m.cols[c][1].Y && o.seq[c][1] < m.seq[c][1] {
			m.cols[c][1], m.seq[c][1] = hi, o.seq[c][1]
		}
	}
}

func (m *markerColumns) points() plotter.XYs {
	var pts plotter.XYs
	for c, v := range m.cols {
		if !m.set[c] {
			continue
		}
		pts = append(pts, v[0])
		if v[1] != v[0] {
			pts = append(pts, v[1])
		}
	}
	return pts
}

func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return Thousands(n) + " " + noun + "s"
}

// padRange widens an empty range so that a single point still gets axes.
func padRange(lo, hi, pad float64) (float64, float64) {
	if hi-lo < 1e-9 {
		return lo - pad, hi + pad
	}
	return lo, hi
}

func maxOf(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, x)
	}
	return m
}

// niceMax rounds an axis maximum up to 1, 2, 2.5 or 5 times a power of ten.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	mag := math.Pow(10, math.Floor(math.Log10(v)))
	for _, f := range []float64{1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10} {
		if f*mag >= v-1e-9 {
			return f * mag
		}
	}
	return 10 * mag
}

// niceTicker puts about six labelled ticks on round values; gonum's
// default gives three, too few to read a concurrency off.
type niceTicker struct {
	integer bool
	// width pads labels with figure spaces (as wide as a digit) to this
	// many characters; see alignYTicks.
	width int
}

func (t niceTicker) Ticks(min, max float64) []plot.Tick {
	if !(max > min) {
		return []plot.Tick{{Value: min, Label: formatTick(min, 1, false)}}
	}
	step := niceStep((max - min) / 6)
	if t.integer {
		// 2.5 is a fine step for a ratio, not for a count of attempts.
		if step < 1 {
			step = 1
		} else if f := step / math.Pow(10, math.Floor(math.Log10(step))); f == 2.5 {
			step *= 0.8
		}
	}
	// Thousands separators on every label or none: "5000" beside "10,000"
	// reads as a mistake.
	sep := math.Max(math.Abs(min), math.Abs(max)) >= 10000
	var ticks []plot.Tick
	start := math.Ceil(min/step-1e-9) * step
	for v := start; v <= max+step*1e-9; v += step {
		v = math.Round(v/step) * step
		label := formatTick(v, step, sep)
		if n := t.width - len(label); n > 0 {
			label = strings.Repeat("\u2007", n) + label
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: label})
		minor := v + step/2
		if minor < max {
			ticks = append(ticks, plot.Tick{Value: minor})
		}
	}
	return ticks
}

func niceStep(raw float64) float64 {
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, f := range []float64{1, 2, 2.5, 5, 10} {
		if f*mag >= raw {
			return f * mag
		}
	}
	return 10 * mag
}

// formatTick writes a tick value with as many decimals as the step needs,
// so that 0.6000000000000001 prints as 0.6, and with thousands separators
// when sep is set and the value is whole.
func formatTick(v, step float64, sep bool) string {
	if v == 0 {
		return "0"
	}
	decimals := 0
	for s := step; s-math.Floor(s) > 1e-9*step && decimals < 9; s *= 10 {
		decimals++
	}
	if decimals == 0 && sep {
		return Thousands(int64(v))
	}
	return strconv.FormatFloat(v, 'f', decimals, 64)
}

// Layout of a figure around its plot.
const (
	figPad     = 6 * vg.Millimeter / 3 // 2 mm
	titleSize  = vg.Length(11)
	legendSize = vg.Length(8.5)
	thumbWidth = vg.Length(18)
)

// draw renders the figure: title, legend strip, plot.
func (ch *chart) draw(c draw.Canvas) {
	c.FillPolygon(color.White, []vg.Point{c.Min, {X: c.Max.X, Y: c.Min.Y}, c.Max, {X: c.Min.X, Y: c.Max.Y}})
	title := textStyle(boldFont, titleSize, colInk)
	y := c.Max.Y - figPad
	c.FillText(title, vg.Point{X: c.Min.X + figPad, Y: y}, ch.Title)
	y -= title.Height(ch.Title) + vg.Points(4)

	leg := textStyle(sansFont, legendSize, colInk)
	leg.YAlign = draw.YCenter
	rowH := leg.Height("M") + vg.Points(3)
	x := c.Min.X + figPad
	if len(ch.legend) > 0 {
		y -= rowH / 2
		for _, e := range ch.legend {
			w := thumbWidth + vg.Points(4) + leg.Width(e.label) + vg.Points(12)
			if x+w > c.Max.X-figPad && x > c.Min.X+figPad {
				x = c.Min.X + figPad
				y -= rowH
			}
			tc := draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
				Min: vg.Point{X: x, Y: y - rowH/2 + vg.Points(2)},
				Max: vg.Point{X: x + thumbWidth, Y: y + rowH/2 - vg.Points(2)},
			}}
			e.thumb.Thumbnail(&tc)
			c.FillText(leg, vg.Point{X: x + thumbWidth + vg.Points(4), Y: y}, e.label)
			x += w
		}
		y -= rowH / 2
	}
	top := c.Max.Y - y + vg.Points(4)
	ch.plot.Draw(draw.Crop(c, figPad, -figPad, figPad/2, -top))
}
