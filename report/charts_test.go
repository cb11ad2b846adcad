package report

import (
	"fmt"
	"math"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	vgdraw "gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/ceiling-dev/ceiling/correlate"
)

func TestBucketWidth(t *testing.T) {
	for _, tc := range []struct {
		dur  time.Duration
		want time.Duration
	}{
		{0, 10 * time.Millisecond},
		{time.Second, 10 * time.Millisecond},
		{3 * time.Second, 20 * time.Millisecond},
		{5 * time.Second, 50 * time.Millisecond},
		{12 * time.Second, 100 * time.Millisecond},
		{90 * time.Second, 500 * time.Millisecond},
		{10 * time.Minute, time.Second},
		{3 * time.Hour, time.Second},
	} {
		if got := time.Duration(bucketWidth(int64(tc.dur))); got != tc.want {
			t.Errorf("bucketWidth(%v) = %v, want %v", tc.dur, got, tc.want)
		}
	}
}

func TestEnvelopeKeepsSpikes(t *testing.T) {
	n := 100_000
	xs := make([]float64, n)
	ys := make([]float64, n)
	for i := range xs {
		xs[i] = float64(i)
		ys[i] = 10
	}
	ys[54_321] = 500 // one sample wide
	ys[77_777] = 0
	pts := envelope(xs, ys, 0, float64(n-1), maxColumns)
	if len(pts) > 4*maxColumns+1 {
		t.Fatalf("%d points, want at most %d", len(pts), 4*maxColumns+1)
	}
	var hi, lo = 0.0, 1e9
	for _, p := range pts {
		hi, lo = max(hi, p.Y), min(lo, p.Y)
	}
	if hi != 500 || lo != 0 {
		t.Errorf("envelope lost the extremes: %v..%v", lo, hi)
	}
	if last := pts[len(pts)-1]; last.X != xs[n-1] {
		t.Errorf("envelope ends at %v, want %v", last.X, xs[n-1])
	}
}

func TestStatusPalette(t *testing.T) {
	counts := map[string]int64{"200": 500, "487": 20, "503": 300, "480": 4, "302": 30}
	failed := map[string]bool{"503": true, "480": true}
	sp := newStatusPalette(counts, failed)
	want := []string{"200", "302", "487", "503", "480"}
	if strings.Join(sp.order, " ") != strings.Join(want, " ") {
		t.Errorf("order %v, want %v", sp.order, want)
	}
	if sp.colors["503"] != fixedColors["503"] {
		t.Error("503 is not drawn in the capacity red")
	}
	if sp.colors["302"] == sp.colors["487"] {
		t.Error("two statuses share a colour")
	}
	many := map[string]int64{}
	for i := 0; i < 12; i++ {
		many[string(rune('A'+i))] = int64(i + 1)
	}
	sp = newStatusPalette(many, nil)
	if n := len(sp.order); n != maxStatus+1 || sp.order[n-1] != "other" {
		t.Errorf("order %v: want %d statuses and other", sp.order, maxStatus)
	}
	if sp.key("A") != "other" || sp.key("L") != "L" || sp.key("A") != "other" {
		t.Error("key does not fold the rare statuses into other")
	}
}

func TestBinLevels(t *testing.T) {
	var levels []correlate.Level
	for c := int32(1); c <= 3000; c++ {
		l := correlate.Level{Concurrency: c, Attempts: 2, P50: int64(c) * 1e6, P90: -1, P99: -1}
		if c > 2000 {
			l.Failures = 2
		}
		levels = append(levels, l)
	}
	bins, grouped := binLevels(levels, 300)
	if !grouped || len(bins) > 300 {
		t.Fatalf("%d bins (grouped %v), want at most 300", len(bins), grouped)
	}
	var attempts, failures int64
	for _, b := range bins {
		attempts += b.attempts
		failures += b.failures
		if b.p[1] != -1 {
			t.Fatal("a percentile no level had appeared")
		}
		if d := b.p[0] - b.x; d < -1e-6 || d > 1e-6 {
			t.Fatalf("bin at %v has p50 %v, want its mean concurrency", b.x, b.p[0])
		}
	}
	if attempts != 6000 || failures != 2000 {
		t.Errorf("bins hold %d attempts, %d failures; want 6000, 2000", attempts, failures)
	}
	few, grouped := binLevels(levels[:10], 300)
	if grouped || len(few) != 10 || few[3].x != 4 {
		t.Error("few levels are not drawn one point each")
	}
}

func TestTicks(t *testing.T) {
	labels := func(ticks []plot.Tick) string {
		var s []string
		for _, tk := range ticks {
			if tk.Label != "" {
				s = append(s, tk.Label)
			}
		}
		return strings.Join(s, " ")
	}
	for _, tc := range []struct {
		t        niceTicker
		min, max float64
		want     string
	}{
		{niceTicker{}, 0, 1, "0 0.2 0.4 0.6 0.8 1.0"},
		{niceTicker{integer: true}, 0, 150, "0 20 40 60 80 100 120 140"},
		{niceTicker{integer: true}, 0, 3, "0 1 2 3"},
		{niceTicker{}, 0, 30000, "0 5,000 10,000 15,000 20,000 25,000 30,000"},
		{niceTicker{integer: true, width: 3}, 0, 15, "\u2007\u20070 \u2007\u20072 \u2007\u20074 \u2007\u20076 \u2007\u20078 \u200710 \u200712 \u200714"},
	} {
		if got := labels(tc.t.Ticks(tc.min, tc.max)); got != tc.want {
			t.Errorf("%+v.Ticks(%v, %v) = %q, want %q", tc.t, tc.min, tc.max, got, tc.want)
		}
	}
}

// TestConcurrencyFollowsOneEdge: concurrency is counted per edge, so with
// two edges the chart follows the one that failed and says so.
func TestConcurrencyFollowsOneEdge(t *testing.T) {
	d := realisticSpike()
	r := d.Result
	other := netip.MustParseAddrPort("203.0.113.11:5060")
	attempts := attemptList(r)
	for i := range attempts {
		if i%4 == 0 && !attempts[i].Failed {
			attempts[i].Edge = other
		}
	}
	r.Attempts = correlate.AttemptsOf(attempts)
	r.Layers[0].Edges = append(r.Layers[0].Edges, correlate.EdgeCount{Edge: other, Attempts: 1})
	sets := buildCharts(d)
	ch := sets[0].Charts[0]
	if !strings.Contains(ch.Title, testEdge.String()) || !strings.Contains(ch.Caption, "the layer had 2 edges") {
		t.Errorf("title %q, caption %q", ch.Title, ch.Caption)
	}
}

// TestOnePassSameAsTwo holds feedOnePass, which keys its feeds by status
// and merges them into the palette at the end, to feedTwoPasses, which
// knows the palette before it feeds; and checks that it gives way when
// the attempts are out of order.
func TestOnePassSameAsTwo(t *testing.T) {
	manyStatuses := func() *Document {
		d := twoLayers()
		attempts := attemptList(d.Result)
		for i := range attempts {
			a := &attempts[i]
			// Enough statuses for "other", failures of several of them in
			// one marker column at the same concurrency.
			if a.Failed || i%5 == 0 {
				a.Status = fmt.Sprintf("%d", 480+i%13)
				a.Concurrency = a.Concurrency / 8 * 8
			}
		}
		d.Result.Attempts = correlate.AttemptsOf(attempts)
		return d
	}
	swapped := func() *Document {
		d := realisticSpike()
		attempts := attemptList(d.Result)
		k := len(attempts) / 2
		attempts[0], attempts[k] = attempts[k], attempts[0]
		d.Result.Attempts = correlate.AttemptsOf(attempts)
		return d
	}
	oneLayerTwice := func() *Document {
		d := twoLayers()
		lr := *d.Result.Layers[0]
		d.Result.Layers = append(d.Result.Layers, &lr)
		return d
	}
	oneLayerUncharted := func() *Document {
		d := twoLayers()
		d.Result.Layers = d.Result.Layers[1:]
		return d
	}
	for _, tc := range []struct {
		name string
		doc  func() *Document
		ok   bool
	}{
		{"spike", realisticSpike, true},
		{"one attempt", oneAttempt, true},
		{"no failures", noFailures, true},
		{"no JTL", noJTL, true},
		{"JTL only", jtlOnly, true},
		{"all failures", allFailures, true},
		{"two layers", twoLayers, true},
		{"many statuses", manyStatuses, true},
		{"out of order", swapped, false},
		{"one layer twice", oneLayerTwice, false},
		{"one layer uncharted", oneLayerUncharted, true},
		{"empty", emptyDocument, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.doc().Result
			views1, ta := chartViews(r)
			concs1, codes1, ok := feedOnePass(r, views1, ta)
			if ok != tc.ok {
				t.Fatalf("feedOnePass ok = %v, want %v", ok, tc.ok)
			}
			if !ok {
				return
			}
			if tc.name == "many statuses" && !slices.Contains(views1[0].palette.order, "other") {
				t.Fatalf("palette %v has no other", views1[0].palette.order)
			}
			views2, _ := chartViews(r)
			concs2, codes2 := feedTwoPasses(r, views2, ta)
			for i := range views2 {
				v1, v2 := views1[i], views2[i]
				if v1.tmin != v2.tmin || v1.tmax != v2.tmax || v1.n != v2.n || v1.xlo != v2.xlo || v1.xhi != v2.xhi {
					t.Errorf("layer %d: span %d..%d (%d) x %v..%v, want %d..%d (%d) x %v..%v", i,
						v1.tmin, v1.tmax, v1.n, v1.xlo, v1.xhi, v2.tmin, v2.tmax, v2.n, v2.xlo, v2.xhi)
				}
				if !reflect.DeepEqual(v1.palette.order, v2.palette.order) || !reflect.DeepEqual(v1.palette.colors, v2.palette.colors) {
					t.Errorf("layer %d: palette %v, want %v", i, v1.palette.order, v2.palette.order)
				}
				c1, c2 := concs1[i], concs2[i]
				if c1.ymax != c2.ymax || c1.count != c2.count || c1.failures != c2.failures {
					t.Errorf("layer %d: concurrency feed %v/%d/%d, want %v/%d/%d", i, c1.ymax, c1.count, c1.failures, c2.ymax, c2.count, c2.failures)
				}
				if p1, p2 := c1.load.points(), c2.load.points(); !reflect.DeepEqual(p1, p2) {
					t.Errorf("layer %d: load line differs", i)
				}
				if len(c1.markers) != len(c2.markers) {
					t.Errorf("layer %d: markers for %d statuses, want %d", i, len(c1.markers), len(c2.markers))
				}
				for k, m := range c2.markers {
					if c1.markers[k] == nil || !reflect.DeepEqual(c1.markers[k].points(), m.points()) {
						t.Errorf("layer %d: markers of %s differ", i, k)
					}
				}
				if (codes1[i] == nil) != (codes2[i] == nil) || codes2[i] != nil && !reflect.DeepEqual(codes1[i].series, codes2[i].series) {
					t.Errorf("layer %d: codes differ", i)
				}
			}
		})
	}
}

// TestEdgeLineSameDrawing holds edgeLine to drawing what plotter.Line
// draws: the plot pads for the boxes it gives as it did for all of them.
// The points sit on the axes' ends, where the padding is decided.
func TestEdgeLineSameDrawing(t *testing.T) {
	ramp := make(plotter.XYs, 3000)
	for i := range ramp {
		ramp[i] = plotter.XY{X: float64(i) / 7, Y: float64(i%97) * 1.5}
	}
	valley := make(plotter.XYs, 101)
	for i := range valley {
		valley[i] = plotter.XY{X: float64(i), Y: math.Abs(float64(i-60)) + 1}
	}
	for _, tc := range []struct {
		name  string
		pts   plotter.XYs
		width float64
		// xmin, if set, starts the x axis after the first points; ymax,
		// if set, is the y axis's end (a NaN would make it NaN).
		xmin, ymax float64
	}{
		{"ramp", ramp, 1.4, 0, 0},
		{"ramp cut short", ramp, 1.4, 100, 0},
		{"one point", plotter.XYs{{X: 3, Y: 4}}, 1.3, 0, 0},
		{"near ties at the ends, unordered", plotter.XYs{{X: 5, Y: 2}, {X: 1e-13, Y: 9}, {X: 10, Y: 1}, {X: 0, Y: 9 - 1e-13}, {X: 10 - 1e-13, Y: 1e-13}, {X: 4, Y: 0}}, 1.2, 0, 0},
		{"a valley", valley, 1.4, 0, 0},
		{"the ends at mid-height", plotter.XYs{{X: 0, Y: 5}, {X: 1, Y: 0}, {X: 2, Y: 10}, {X: 3, Y: 5}}, 1.4, 0, 0},
		{"a gap at the start", plotter.XYs{{X: 0, Y: math.NaN()}, {X: 1, Y: 0}, {X: 2, Y: 3}, {X: 3, Y: 1}}, 1.4, 0, 3},
		{"no width", ramp, 0, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			draw := func(l plot.Plotter) string {
				p := newPlot()
				p.Add(l)
				if tc.xmin != 0 {
					p.X.Min = tc.xmin
				}
				if tc.ymax != 0 {
					p.Y.Min, p.Y.Max = 0, tc.ymax
				}
				c := vgsvg.New(4*vg.Inch, 2*vg.Inch)
				p.Draw(vgdraw.New(c))
				var b strings.Builder
				if _, err := c.WriteTo(&b); err != nil {
					t.Fatal(err)
				}
				return b.String()
			}
			want := draw(line(tc.pts, colLoad, tc.width).Line)
			if got := draw(line(tc.pts, colLoad, tc.width)); got != want {
				t.Errorf("edgeLine drew %d bytes unlike plotter.Line's %d", len(got), len(want))
			}
		})
	}
}
