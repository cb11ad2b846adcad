package report

import (
	"math"
	"math/rand"
	"testing"

	"gonum.org/v1/plot/plotter"

	"github.com/ceiling-dev/ceiling/correlate"
)

// envelopeReference is envelope as it was before the streaming builder,
// kept verbatim so that the builder is held to the points the charts drew
// before it.
func envelopeReference(xs, ys []float64, lo, hi float64, n int) plotter.XYs {
	if len(xs) <= n {
		pts := make(plotter.XYs, len(xs))
		for i := range xs {
			pts[i] = plotter.XY{X: xs[i], Y: ys[i]}
		}
		return pts
	}
	pts := make(plotter.XYs, 0, 4*n)
	add := func(x, y float64) {
		if k := len(pts); k > 0 && pts[k-1].Y == y {
			return
		}
		pts = append(pts, plotter.XY{X: x, Y: y})
	}
	scale := float64(n) / (hi - lo)
	for i := 0; i < len(xs); {
		col := int((xs[i] - lo) * scale)
		x0, first := xs[i], ys[i]
		mn, mx, last := first, first, first
		j := i + 1
		for ; j < len(xs) && int((xs[j]-lo)*scale) == col; j++ {
			mn, mx, last = math.Min(mn, ys[j]), math.Max(mx, ys[j]), ys[j]
		}
		add(x0, first)
		add(x0, mn)
		add(x0, mx)
		add(x0, last)
		i = j
	}
	if pts[len(pts)-1].X != xs[len(xs)-1] {
		pts = append(pts, plotter.XY{X: xs[len(xs)-1], Y: ys[len(ys)-1]})
	}
	return pts
}

// sameXYs compares bit for bit, so that NaN matches NaN and -0 does not
// match 0: the SVG would tell them apart.
func sameXYs(a, b plotter.XYs) bool {
	if len(a) != len(b) || (a == nil) != (b == nil) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i].X) != math.Float64bits(b[i].X) || math.Float64bits(a[i].Y) != math.Float64bits(b[i].Y) {
			return false
		}
	}
	return true
}

func checkEnvelope(t *testing.T, name string, xs, ys []float64, lo, hi float64, n int) {
	t.Helper()
	want := envelopeReference(xs, ys, lo, hi, n)
	b := newEnvelopeBuilder(lo, hi, n)
	for i := range xs {
		b.add(xs[i], ys[i])
	}
	if got := b.points(); !sameXYs(got, want) {
		t.Errorf("%s (%d points, n %d): builder gives\n%v\nwant\n%v", name, len(xs), n, got, want)
	}
	if got := envelope(xs, ys, lo, hi, n); !sameXYs(got, want) {
		t.Errorf("%s (%d points, n %d): envelope gives\n%v\nwant\n%v", name, len(xs), n, got, want)
	}
}

func TestEnvelopeBuilderCases(t *testing.T) {
	const n = 10
	// series makes k points: x(i), y(i).
	series := func(k int, x, y func(i int) float64) ([]float64, []float64) {
		xs, ys := make([]float64, k), make([]float64, k)
		for i := range xs {
			xs[i], ys[i] = x(i), y(i)
		}
		return xs, ys
	}
	// even spreads k points over [0, 100].
	even := func(k int) func(int) float64 {
		return func(i int) float64 { return 100 * float64(i) / float64(max(k-1, 1)) }
	}
	at := func(x float64) func(int) float64 { return func(int) float64 { return x } }
	saw := func(i int) float64 { return float64(i % 7) }
	pairs := func(xs, ys []float64) func() ([]float64, []float64) {
		return func() ([]float64, []float64) { return xs, ys }
	}
	gen := func(k int, x, y func(i int) float64) func() ([]float64, []float64) {
		return func() ([]float64, []float64) { return series(k, x, y) }
	}
	negZero := math.Copysign(0, -1)
	for _, tc := range []struct {
		name   string
		points func() ([]float64, []float64)
		lo, hi float64
		n      int
	}{
		{"empty", pairs(nil, nil), 0, 100, n},
		{"one point", pairs([]float64{3}, []float64{5}), 0, 100, n},
		{"one point, n 0", pairs([]float64{3}, []float64{5}), 0, 100, 0},
		{"n-1", gen(n-1, even(n-1), saw), 0, 100, n},
		{"exactly n", gen(n, even(n), saw), 0, 100, n},
		{"n+1", gen(n+1, even(n+1), saw), 0, 100, n},
		{"n+2", gen(n+2, even(n+2), saw), 0, 100, n},
		{"4n", gen(4*n, even(4*n), saw), 0, 100, n},
		{"one column", gen(50, func(i int) float64 { return 40 + float64(i)/100 }, saw), 0, 100, n},
		{"one x", gen(50, at(40), saw), 0, 100, n},
		{"constant y", gen(50, even(50), at(7)), 0, 100, n},
		{"repeated y", gen(60, even(60), func(i int) float64 { return float64(i / 9) }), 0, 100, n},
		{"at lo and hi", pairs(
			[]float64{0, 0, 0, 50, 100, 100, 100, 100, 100, 100, 100, 100},
			[]float64{1, 2, 1, 3, 3, 4, 3, 3, 5, 5, 5, 5}), 0, 100, n},
		{"all at hi", gen(30, at(100), saw), 0, 100, n},
		{"end repeats its column's value", pairs(
			[]float64{0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 97, 99},
			[]float64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}), 0, 100, n},
		{"outside the range", pairs(
			[]float64{-50, -1, 0, 1, 2, 3, 4, 5, 6, 7, 101, 150, 1e9},
			[]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}), 0, 100, n},
		{"unsorted", pairs(
			[]float64{50, 10, 10, 90, 20, 20, 20, 30, 5, 99, 0, 50},
			[]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}), 0, 100, n},
		{"empty range", gen(20, at(3), saw), 3, 3, n},
		{"NaN, infinities and signed zeros", pairs(
			xsOf(series(20, even(20), saw)),
			[]float64{0, negZero, 0, math.NaN(), math.NaN(), 1, math.Inf(1), math.Inf(-1), 2, 2, 0, 0, negZero, 3, 4, 5, 6, 7, 8, math.NaN()}), 0, 100, n},
	} {
		xs, ys := tc.points()
		checkEnvelope(t, tc.name, xs, ys, tc.lo, tc.hi, tc.n)
	}
}

// xsOf is the xs of a series.
func xsOf(xs, _ []float64) []float64 { return xs }

// TestEnvelopeBuilderRandom: series like the charts' (sorted times, a
// staircase of counts with spikes), and some no chart makes.
func TestEnvelopeBuilderRandom(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for iter := 0; iter < 2000; iter++ {
		n := []int{0, 1, 2, 3, 7, 50, maxColumns}[rng.Intn(7)]
		k := rng.Intn(3 * (n + 2))
		if rng.Intn(10) == 0 {
			k = rng.Intn(20000)
		}
		lo := float64(rng.Intn(100)) - 50
		hi := lo + rng.Float64()*1000
		xs, ys := make([]float64, k), make([]float64, k)
		x, y := lo, float64(rng.Intn(20))
		for i := range xs {
			switch rng.Intn(4) {
			case 0: // several attempts at once
			case 1:
				x += rng.ExpFloat64() * (hi - lo) / float64(k+1) * 10
			default:
				x += rng.Float64() * (hi - lo) / float64(k+1)
			}
			switch rng.Intn(6) {
			case 0:
				y++
			case 1:
				y = max(y-1, 0)
			case 2:
				y = float64(rng.Intn(500)) // a spike
			}
			xs[i], ys[i] = x, y
			if iter%5 == 0 { // not sorted
				xs[i] = lo - 10 + rng.Float64()*(hi-lo+20)
			}
		}
		checkEnvelope(t, "random", xs, ys, lo, hi, n)
		if t.Failed() {
			t.Fatalf("iteration %d", iter)
		}
	}
}

// TestChartsReadAttemptsOnce: each attempt is read once by the charts of
// all layers together, whatever the number of layers, and the last few
// once more to find where each layer ends: on a large run every pass
// decodes them all again.
func TestChartsReadAttemptsOnce(t *testing.T) {
	for _, tc := range []struct {
		name string
		doc  *Document
	}{
		{"spike", realisticSpike()},
		{"two layers", twoLayers()},
		{"all failures", allFailures()},
		{"jtl only", jtlOnly()},
	} {
		d := tc.doc
		r := d.Result
		reads := 0
		r.Attempts = r.Attempts.Map(func(*correlate.Attempt) { reads++ })
		sets := buildCharts(d)
		if len(sets) == 0 {
			t.Fatalf("%s: no charts", tc.name)
		}
		if n := r.Attempts.Len(); reads < n || reads > n+16 {
			t.Errorf("%s: %d layers' charts read %d attempts %d times, want %d and a few", tc.name, len(sets), n, reads, n)
		}
	}
}
