package gate

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/ceiling-dev/ceiling/report"
)

// CompareSchema names the JSON that ceiling compare --json writes.
const CompareSchema = "ceiling.compare/v1"

// Comparison is what changed between two runs' summaries, and whether it
// is a regression. Its JSON form is for machines; field names are a
// contract, as the summary's are.
type Comparison struct {
	Schema string `json:"schema"`
	// Old and New name the summaries compared (the paths given).
	Old string `json:"old"`
	New string `json:"new"`
	// Tolerance is how far (a ratio) a first failure may fall before it
	// counts as a regression.
	Tolerance float64 `json:"tolerance"`
	// Regression: NEW is worse than OLD; Regressions say why, one
	// sentence each.
	Regression  bool          `json:"regression"`
	Regressions []string      `json:"regressions"`
	Verdict     VerdictChange `json:"verdict"`
	// Layers has an entry per layer that had attempts in either run,
	// lowest first.
	Layers []LayerChange `json:"layers"`
}

// VerdictChange compares the two verdicts.
type VerdictChange struct {
	Old VerdictSide `json:"old"`
	New VerdictSide `json:"new"`
	// Moved is NEW's first failure concurrency minus OLD's, when both
	// failed (across layers, the units differ: Text says so).
	Moved *int32 `json:"moved,omitempty"`
	// LayerChanged: both failed, at different layers.
	LayerChanged bool `json:"layer_changed"`
	// Text is the verdict line.
	Text string `json:"text"`
}

// VerdictSide is one run's verdict, in brief.
type VerdictSide struct {
	Failed       bool   `json:"failed"`
	Layer        string `json:"layer"`
	Status       string `json:"status,omitempty"`
	Kind         string `json:"kind,omitempty"`
	FirstFailure *int32 `json:"first_failure_concurrency"`
	Sustained    *int32 `json:"sustained_concurrency"`
}

// LayerChange compares one layer.
type LayerChange struct {
	Layer string `json:"layer"`
	// Old and New are null when the layer had no attempts in that run.
	Old         *LayerSide `json:"old"`
	New         *LayerSide `json:"new"`
	Regressions []string   `json:"regressions,omitempty"`
}

// LayerSide is one run's account of a layer, in brief.
type LayerSide struct {
	Attempts       int64   `json:"attempts"`
	Failures       int64   `json:"failures"`
	FailureRatio   float64 `json:"failure_ratio"`
	FirstFailure   *int32  `json:"first_failure_concurrency"`
	Status         string  `json:"status,omitempty"`
	Sustained      *int32  `json:"sustained_concurrency"`
	MaxConcurrency int32   `json:"max_concurrency"`
}

// Compare tells what changed from before (OLD) to after (NEW). It is a
// regression when, in NEW:
//   - a layer failed that had not failed in OLD (or had no attempts);
//   - a layer's first failure came at a concurrency lower than OLD's by
//     more than tolerance (a ratio: 0.05 lets 100 fall to 95);
//   - the failing layer (the verdict's) is a lower one than OLD's
//     (websocket instead of sip): the limit moved down the stack.
//
// Anything else is not worse: a failure gone, a ceiling that moved up, a
// higher layer failing first.
func Compare(before, after *report.Summary, tolerance float64) *Comparison {
	c := &Comparison{Schema: CompareSchema, Tolerance: tolerance, Regressions: []string{}, Layers: []LayerChange{}}
	for _, name := range layerNames {
		o, inOld := before.Layers[name]
		n, inNew := after.Layers[name]
		if !inOld && !inNew {
			continue
		}
		lc := LayerChange{Layer: name}
		if inOld {
			lc.Old = layerSide(&o)
		}
		if inNew {
			lc.New = layerSide(&n)
		}
		lc.Regressions = layerRegressions(name, lc.Old, lc.New, tolerance)
		c.Regressions = append(c.Regressions, lc.Regressions...)
		c.Layers = append(c.Layers, lc)
	}
	c.Verdict = verdictChange(before, after)
	if v := c.Verdict; v.LayerChanged && layerRank(v.New.Layer) < layerRank(v.Old.Layer) {
		c.Regressions = append(c.Regressions, fmt.Sprintf("the failing layer changed from %s to %s, a lower layer", v.Old.Layer, v.New.Layer))
	}
	c.Regression = len(c.Regressions) > 0
	return c
}

func layerSide(l *report.SummaryLayer) *LayerSide {
	s := &LayerSide{Attempts: l.Attempts, Failures: l.Failures, FailureRatio: l.FailureRatio, MaxConcurrency: l.MaxConcurrency}
	if ff := l.FirstFailure; ff != nil {
		s.FirstFailure, s.Status = ptr(ff.Concurrency), ff.Status
	}
	if st := l.Sustained; st != nil {
		s.Sustained = ptr(st.Concurrency)
	}
	return s
}

func ptr(n int32) *int32 { return &n }

func layerRegressions(name string, o, n *LayerSide, tolerance float64) []string {
	var rs []string
	if n == nil || n.Failures == 0 {
		return nil
	}
	if o == nil {
		return append(rs, fmt.Sprintf("%s: failures appeared (%s of %s attempts) where OLD had no %s attempts", name, report.Thousands(n.Failures), report.Thousands(n.Attempts), report.LayerTitle(name)))
	}
	if o.Failures == 0 {
		return append(rs, fmt.Sprintf("%s: failures appeared (%s of %s attempts) where OLD had none in %s", name, report.Thousands(n.Failures), report.Thousands(n.Attempts), report.Thousands(o.Attempts)))
	}
	if o.FirstFailure != nil && n.FirstFailure != nil && *o.FirstFailure > 0 {
		drop := float64(*o.FirstFailure-*n.FirstFailure) / float64(*o.FirstFailure)
		// A hair above the tolerance, so that a drop of exactly 5% passes
		// a 5% tolerance whatever the floats make of it.
		if drop > tolerance+1e-9 {
			rs = append(rs, fmt.Sprintf("%s: the first failure fell from %d to %d %s (-%s, more than the %s tolerance)",
				name, *o.FirstFailure, *n.FirstFailure, report.LayerUnit(name), Percent(roundTo(drop, 4)), Percent(tolerance)))
		}
	}
	return rs
}

func roundTo(f float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(f*p) / p
}

func verdictSide(s *report.Summary) VerdictSide {
	v := s.Verdict
	vs := VerdictSide{Failed: v.Failed, Layer: v.Layer, Status: v.Status, Kind: v.Kind}
	if vs.Layer == "" {
		vs.Layer = "none"
	}
	if v.Failed && v.FirstFailure != nil {
		vs.FirstFailure = ptr(v.FirstFailure.Concurrency)
	}
	if v.Failed && v.Sustained != nil {
		vs.Sustained = ptr(v.Sustained.Concurrency)
	}
	return vs
}

func verdictChange(before, after *report.Summary) VerdictChange {
	vc := VerdictChange{Old: verdictSide(before), New: verdictSide(after)}
	o, n := vc.Old, vc.New
	oPhrase := report.FailurePhrase(o.Layer, before.Verdict.FirstFailure)
	nPhrase := report.FailurePhrase(n.Layer, after.Verdict.FirstFailure)
	switch {
	case !o.Failed && !n.Failed:
		vc.Text = "no layer refused work, in OLD or in NEW"
	case !o.Failed:
		vc.Text = "a failure appeared: " + nPhrase + " (OLD: no layer refused work)"
	case !n.Failed:
		vc.Text = "the failure is gone: no layer refused work (OLD: " + oPhrase + ")"
	case o.FirstFailure == nil || n.FirstFailure == nil:
		vc.Text = oPhrase + " → " + nPhrase
		vc.LayerChanged = o.Layer != n.Layer
	default:
		d := *n.FirstFailure - *o.FirstFailure
		vc.Moved = ptr(d)
		vc.LayerChanged = o.Layer != n.Layer
		move := "did not move"
		switch {
		case d > 0:
			move = fmt.Sprintf("moved up by %d", d)
		case d < 0:
			move = fmt.Sprintf("moved down by %d", -d)
		}
		if vc.LayerChanged {
			vc.Text = fmt.Sprintf("the ceiling %s: %s → %s", move, oPhrase, nPhrase)
			if report.LayerUnit(o.Layer) != report.LayerUnit(n.Layer) {
				vc.Text += " (counted in different units)"
			}
		} else if o.Status != n.Status {
			vc.Text = fmt.Sprintf("the ceiling %s: %s → %s", move, oPhrase, nPhrase)
		} else if d == 0 {
			vc.Text = fmt.Sprintf("the ceiling did not move: %s", nPhrase)
		} else {
			vc.Text = fmt.Sprintf("the ceiling %s: %s %s at %d → %d %s", move, report.LayerTitle(n.Layer), n.Status, *o.FirstFailure, *n.FirstFailure, report.LayerUnit(n.Layer))
		}
	}
	if vc.LayerChanged {
		dir := "higher"
		if layerRank(n.Layer) < layerRank(o.Layer) {
			dir = "lower"
		}
		vc.Text += fmt.Sprintf("; the layer changed from %s to %s (%s)", o.Layer, n.Layer, dir)
	} else if o.Failed && n.Failed && o.Status != n.Status {
		vc.Text += fmt.Sprintf("; the status changed from %s to %s", o.Status, n.Status)
	}
	return vc
}

// WriteText writes the comparison as one table (a row per layer, each
// cell OLD → NEW), the verdict line, the regressions, and the result.
func (c *Comparison) WriteText(w io.Writer) error {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "layer\tattempts\tfailures\tfailure ratio\tfirst failure\tsustained")
	for _, l := range c.Layers {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", l.Layer,
			arrow(l.Old, l.New, func(s *LayerSide) string { return report.Thousands(s.Attempts) }),
			arrow(l.Old, l.New, func(s *LayerSide) string { return report.Thousands(s.Failures) }),
			arrow(l.Old, l.New, func(s *LayerSide) string { return Percent(s.FailureRatio) }),
			arrow(l.Old, l.New, func(s *LayerSide) string {
				if s.FirstFailure == nil {
					return "none"
				}
				return s.Status + " at " + strconv.Itoa(int(*s.FirstFailure))
			}),
			arrow(l.Old, l.New, func(s *LayerSide) string {
				if s.Sustained == nil {
					return "none"
				}
				return strconv.Itoa(int(*s.Sustained))
			}))
	}
	if len(c.Layers) == 0 {
		fmt.Fprintln(tw, "(no attempts in either)\t\t\t\t\t")
	}
	tw.Flush()
	fmt.Fprintf(&b, "\nverdict: %s\n", c.Verdict.Text)
	for _, r := range c.Regressions {
		fmt.Fprintf(&b, "regression: %s\n", r)
	}
	if c.Regression {
		b.WriteString("result: regression\n")
	} else {
		b.WriteString("result: not worse\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// arrow writes a cell: OLD → NEW, with — for a run without the layer.
func arrow(o, n *LayerSide, f func(*LayerSide) string) string {
	side := func(s *LayerSide) string {
		if s == nil {
			return "—"
		}
		return f(s)
	}
	return side(o) + " → " + side(n)
}

// ParseRatio reads a ratio written as a percentage (5%) or a fraction
// (0.05), as --tolerance takes it. A bare number of 1 or more is refused:
// 5 would be 500%, surely meant as 5%.
func ParseRatio(s string) (float64, error) {
	t := strings.TrimSpace(s)
	v, pct := strings.CutSuffix(t, "%")
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || t == "" {
		return 0, fmt.Errorf("%q is not a ratio: want a percentage (5%%) or a fraction (0.05)", s)
	}
	if pct {
		f /= 100
	} else if f >= 1 {
		return 0, fmt.Errorf("%q: write %s%% for a percentage, or a fraction below 1 (0.05)", s, v)
	}
	if f < 0 || f > 1 {
		return 0, fmt.Errorf("%q: a ratio is between 0%% and 100%%", s)
	}
	return f, nil
}
