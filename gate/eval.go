package gate

import (
	"math"
	"strconv"
	"strings"

	"github.com/ceiling-dev/ceiling/report"
)

// Outcome is what one criterion made of a summary.
type Outcome struct {
	Criterion Criterion
	// Failed: the criterion held, so the gate fails.
	Failed bool
	// Value is what the summary said, as the criterion reads it ("101",
	// "74.27%", "sip"), or "none" when the value does not exist.
	Value string
	// Context says what the value stands for: "first SIP 503 at 101
	// dialogs"; it may be empty.
	Context string
}

// String is the line CI logs show: FAIL or PASS, the criterion, the
// value, and its context.
func (o Outcome) String() string {
	verb := "PASS"
	if o.Failed {
		verb = "FAIL"
	}
	return verb + " " + o.Criterion.Text + ": " + o.Message()
}

// Message is the value and its context, without the criterion.
func (o Outcome) Message() string {
	if o.Context == "" {
		return o.Value
	}
	return o.Value + " (" + o.Context + ")"
}

// Evaluate judges each criterion against the summary, in order.
func Evaluate(s *report.Summary, cs []Criterion) []Outcome {
	out := make([]Outcome, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.Evaluate(s))
	}
	return out
}

// Failures counts the outcomes that failed.
func Failures(outs []Outcome) int {
	n := 0
	for _, o := range outs {
		if o.Failed {
			n++
		}
	}
	return n
}

// Evaluate judges one criterion. A criterion that did not come from
// Parse (the zero Criterion) never holds.
func (c Criterion) Evaluate(s *report.Summary) Outcome {
	o := Outcome{Criterion: c, Value: "none"}
	if c.field == nil || s == nil {
		return o
	}
	v, ok := c.field.get(s, &c)
	if ok {
		o.Value = c.format(v)
	}
	o.Failed = c.holds(v, ok)
	o.Context = c.field.why(s, &c)
	return o
}

// holds applies the operator. A value that does not exist equals only
// none (see the package doc).
func (c *Criterion) holds(v value, present bool) bool {
	l := c.lit
	if l.none {
		switch c.Op {
		case Eq:
			return !present
		case Ne:
			return present
		}
		return false
	}
	if !present {
		return false
	}
	switch c.field.kind {
	case kindNumber, kindRatio:
		return c.Op.apply(compareNumbers(v.num, l.num))
	case kindStatus:
		vn, verr := strconv.ParseFloat(v.str, 64)
		numeric := verr == nil && l.isNum && !math.IsNaN(vn)
		if c.Op.ordering() {
			if !numeric {
				return false
			}
			return c.Op.apply(compareNumbers(vn, l.num))
		}
		eq := v.str == l.str || (numeric && compareNumbers(vn, l.num) == 0)
		return c.Op.apply(boolCmp(eq))
	case kindLayer:
		if c.Op.ordering() {
			a, b := layerRank(v.str), layerRank(l.str)
			if a < 0 || b < 0 || a >= len(layerNames) || b >= len(layerNames) {
				return false // none has no place among the layers
			}
			return c.Op.apply(a - b)
		}
		return c.Op.apply(boolCmp(v.str == l.str))
	case kindKind, kindBool:
		if c.Op.ordering() {
			return false
		}
		return c.Op.apply(boolCmp(v.str == l.str))
	}
	return false
}

// boolCmp turns equality into a comparison result for == and !=.
func boolCmp(eq bool) int {
	if eq {
		return 0
	}
	return 1
}

// compareNumbers compares with a relative tolerance, so that 74.27% and
// the summary's 0.7427 (rounded to 4 places) are equal although their
// floats differ in the last bit.
func compareNumbers(a, b float64) int {
	scale := math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
	switch {
	case math.Abs(a-b) <= 1e-9*scale:
		return 0
	case a < b:
		return -1
	}
	return 1
}

func (o Op) apply(cmp int) bool {
	switch o {
	case Eq:
		return cmp == 0
	case Ne:
		return cmp != 0
	case Lt:
		return cmp < 0
	case Le:
		return cmp <= 0
	case Gt:
		return cmp > 0
	case Ge:
		return cmp >= 0
	}
	return false
}

// format writes a value as a criterion would: ratios as percentages.
func (c *Criterion) format(v value) string {
	if !v.isNum {
		return v.str
	}
	if c.field.kind == kindRatio {
		return Percent(v.num)
	}
	return strconv.FormatFloat(v.num, 'f', -1, 64)
}

// Percent writes a ratio as a percentage with at most two decimals:
// 0.7427 is "74.27%", 0.7 is "70%".
func Percent(r float64) string {
	s := strconv.FormatFloat(100*r, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s + "%"
}
