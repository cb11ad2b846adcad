package gate

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Op is a comparison operator.
type Op uint8

const (
	Eq Op = iota
	Ne
	Lt
	Le
	Gt
	Ge
)

func (o Op) String() string {
	return [...]string{"==", "!=", "<", "<=", ">", ">="}[o]
}

func (o Op) ordering() bool { return o >= Lt }

// Criterion is one condition that fails the gate when it holds.
type Criterion struct {
	// Text is the criterion as written, from its path to the end of its
	// value.
	Text string
	// Path is the value's path in canonical form (lower case, without the
	// verdict. or layers. prefix).
	Path string
	Op   Op
	// Literal is the right-hand side as written.
	Literal string

	field *field
	layer string // for a layer's field
	key   string // for codes.<key>
	lit   literal
}

// literal is a parsed right-hand side.
type literal struct {
	num    float64
	str    string
	isNum  bool
	quoted bool
	none   bool // the word none: tests that the value does not exist
}

// SyntaxError is a criterion that cannot be read, with where.
type SyntaxError struct {
	Input string // the whole text given (one --fail-on value)
	Pos   int    // byte offset of the problem in Input
	Msg   string
}

// Error gives the column and, on the next lines, the input with a caret
// under the problem: criteria are short, and a caret beats counting.
func (e *SyntaxError) Error() string {
	pos := min(max(e.Pos, 0), len(e.Input))
	col := utf8.RuneCountInString(e.Input[:pos]) + 1
	shown := strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == '\v' {
			return ' '
		}
		return r
	}, e.Input)
	return fmt.Sprintf("column %d: %s\n  %s\n  %s^", col, e.Msg, shown, strings.Repeat(" ", col-1))
}

// Parse reads criteria separated by commas, each checked against the
// summary's paths, so that a typo fails before the analysis runs rather
// than passing forever.
func Parse(input string) ([]Criterion, error) {
	p := parser{in: input}
	if strings.TrimSpace(input) == "" {
		return nil, p.errf(0, "no criterion: want e.g. layer!=none or sip.first_failure.concurrency<200")
	}
	var cs []Criterion
	for {
		c, err := p.criterion()
		if err != nil {
			return nil, err
		}
		cs = append(cs, c)
		if p.i >= len(p.in) {
			return cs, nil
		}
		p.i++ // the comma
	}
}

// MustParse is Parse for criteria fixed in code; it panics on an error.
func MustParse(input string) []Criterion {
	cs, err := Parse(input)
	if err != nil {
		panic(err)
	}
	return cs
}

type parser struct {
	in string
	i  int
}

func (p *parser) errf(pos int, format string, a ...any) error {
	return &SyntaxError{Input: p.in, Pos: pos, Msg: fmt.Sprintf(format, a...)}
}

func (p *parser) spaces() {
	for p.i < len(p.in) && isSpace(p.in[p.i]) {
		p.i++
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// isStop ends a path or a bare word.
func isStop(c byte) bool {
	return isSpace(c) || c == ',' || c == '=' || c == '!' || c == '<' || c == '>' || c == '"' || c == '\''
}

func (p *parser) criterion() (Criterion, error) {
	p.spaces()
	start := p.i
	if p.i >= len(p.in) || p.in[p.i] == ',' {
		return Criterion{}, p.errf(p.i, "empty criterion (two commas, or one at an end)")
	}

	// The path.
	for p.i < len(p.in) && !isStop(p.in[p.i]) {
		p.i++
	}
	if p.i == start {
		return Criterion{}, p.errf(p.i, "want a path (e.g. layer, sip.failure_ratio) before %q", p.in[p.i:p.i+1])
	}
	c := Criterion{}
	if err := c.resolve(p.in[start:p.i]); err != nil {
		return Criterion{}, p.errf(start, "%v", err)
	}

	// The operator.
	p.spaces()
	opPos := p.i
	rest := p.in[p.i:]
	switch {
	case strings.HasPrefix(rest, "=="):
		c.Op, p.i = Eq, p.i+2
	case strings.HasPrefix(rest, "!="):
		c.Op, p.i = Ne, p.i+2
	case strings.HasPrefix(rest, "<="):
		c.Op, p.i = Le, p.i+2
	case strings.HasPrefix(rest, ">="):
		c.Op, p.i = Ge, p.i+2
	case strings.HasPrefix(rest, "<"):
		c.Op, p.i = Lt, p.i+1
	case strings.HasPrefix(rest, ">"):
		c.Op, p.i = Gt, p.i+1
	case strings.HasPrefix(rest, "="):
		return Criterion{}, p.errf(opPos, "= is not an operator: use == to test equality")
	case rest == "" || rest[0] == ',':
		return Criterion{}, p.errf(opPos, "want an operator (== != < <= > >=) and a value after %s", c.Path)
	default:
		return Criterion{}, p.errf(opPos, "want an operator (== != < <= > >=) after %s, not %q", c.Path, firstRune(rest))
	}

	// The value.
	p.spaces()
	valPos := p.i
	if p.i >= len(p.in) || p.in[p.i] == ',' {
		return Criterion{}, p.errf(valPos, "want a value after %s", c.Op)
	}
	if q := p.in[p.i]; q == '"' || q == '\'' {
		s, err := p.quoted(q)
		if err != nil {
			return Criterion{}, err
		}
		c.lit = literal{str: s, quoted: true}
	} else {
		for p.i < len(p.in) && !isStop(p.in[p.i]) {
			p.i++
		}
		if p.i == valPos {
			return Criterion{}, p.errf(valPos, "want a value after %s, not %q", c.Op, firstRune(p.in[p.i:]))
		}
		c.lit = parseWord(p.in[valPos:p.i])
	}
	c.Literal = p.in[valPos:p.i]
	c.Text = p.in[start:p.i]

	// Nothing but spaces before the next comma.
	p.spaces()
	if p.i < len(p.in) && p.in[p.i] != ',' {
		return Criterion{}, p.errf(p.i, "unexpected %q after the value; separate criteria with commas", firstRune(p.in[p.i:]))
	}
	if err := c.check(); err != nil {
		return Criterion{}, p.errf(valPos, "%v", err)
	}
	return c, nil
}

// quoted reads a string in q quotes; a backslash takes the next byte as
// it is, so that either quote can be written inside.
func (p *parser) quoted(q byte) (string, error) {
	open := p.i
	p.i++
	var b strings.Builder
	for p.i < len(p.in) {
		switch ch := p.in[p.i]; {
		case ch == '\\' && p.i+1 < len(p.in):
			b.WriteByte(p.in[p.i+1])
			p.i += 2
		case ch == q:
			p.i++
			return b.String(), nil
		default:
			b.WriteByte(ch)
			p.i++
		}
	}
	return "", p.errf(open, "unterminated string: no closing %c", q)
}

func firstRune(s string) string {
	if s == "" {
		return ""
	}
	_, n := utf8.DecodeRuneInString(s)
	return s[:n]
}

// parseWord tells a number, a percentage and a word apart. Only what
// starts like a number can be one, so that NaN, Inf and the like stay
// words.
func parseWord(w string) literal {
	if strings.EqualFold(w, "none") {
		return literal{str: "none", none: true}
	}
	if c := w[0]; c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9') {
		s, pct := strings.CutSuffix(w, "%")
		if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			if pct {
				return literal{num: f / 100, str: w, isNum: true}
			}
			return literal{num: f, str: w, isNum: true}
		}
	}
	return literal{str: w}
}

// isPercent tells a literal written with % (kept in str as written).
func (l literal) isPercent() bool { return l.isNum && strings.HasSuffix(l.str, "%") }

// check tells whether the literal and the operator fit the path's value.
func (c *Criterion) check() error {
	l := c.lit
	f := c.field
	if l.none && f.kind == kindLayer {
		// layer is never missing: none is its value when nothing failed.
		c.lit.none = false
		if c.Op.ordering() {
			return fmt.Errorf("none has no order among the layers: use layer==none or layer!=none")
		}
		return nil
	}
	if l.none {
		if !f.absentable {
			return fmt.Errorf("%s always has a value: none never matches it", c.Path)
		}
		if c.Op.ordering() {
			return fmt.Errorf("none has no order: use %s==none or %s!=none", c.Path, c.Path)
		}
		return nil
	}
	switch f.kind {
	case kindNumber:
		if !l.isNum || l.quoted {
			return fmt.Errorf("%s is a number: want a number, not %q", c.Path, c.Literal)
		}
		if l.isPercent() {
			return fmt.Errorf("%s is not a ratio: a percentage compares only with a ratio (failure_ratio, matched_ratio)", c.Path)
		}
	case kindRatio:
		if !l.isNum || l.quoted {
			return fmt.Errorf("%s is a ratio: want a percentage (1%%) or a fraction (0.01), not %q", c.Path, c.Literal)
		}
		if !l.isPercent() && l.num >= 1 {
			// A ratio never exceeds 1: failure_ratio>1 could never hold,
			// and failure_ratio>=1 reads as "at least 1%" as easily as
			// "all of them". A percentage says which.
			return fmt.Errorf("%s is a ratio from 0 to 1: write %s%% for a percentage, 100%% for all, or a fraction below 1 (0.01)", c.Path, c.Literal)
		}
	case kindStatus:
		if c.Op.ordering() && (!l.isNum || l.isPercent()) {
			return fmt.Errorf("a status orders only as a number (e.g. %s>=500), not %q", c.Path, c.Literal)
		}
	case kindLayer:
		name := strings.ToLower(l.str)
		if l.isNum || layerRank(name) < 0 {
			return fmt.Errorf("unknown layer %q: want one of %s, or none", c.Literal, strings.Join(layerNames, ", "))
		}
		c.lit.str = name
	case kindKind:
		name := strings.ToLower(l.str)
		if !isFailureKind(name) {
			return fmt.Errorf("unknown kind %q: want capacity, rate_limit or error, or none", c.Literal)
		}
		if c.Op.ordering() {
			return fmt.Errorf("a kind has no order: use == or !=")
		}
		c.lit.str = name
	case kindBool:
		name := strings.ToLower(l.str)
		if name != "true" && name != "false" {
			return fmt.Errorf("%s is true or false, not %q", c.Path, c.Literal)
		}
		if c.Op.ordering() {
			return fmt.Errorf("true and false have no order: use == or !=")
		}
		c.lit.str = name
	}
	return nil
}
