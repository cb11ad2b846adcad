package jtl

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// A dateFormat parses timestamps written with a Java SimpleDateFormat
// pattern (jmeter.save.saveservice.timestamp_format). JMeter parses them
// strictly (setLenient(false)), so this does too: every field must be in
// range and the whole value must be used.
//
// Go's time.Parse is not used because a Java pattern does not translate to
// a Go layout safely: literal text such as 'at 1' would turn into layout
// tokens, and Java's S is a count of milliseconds, not a fraction.
type dateFormat struct {
	pattern string
	ops     []dateOp
	loc     *time.Location
	// hasMillis tells whether the pattern resolves milliseconds. Without it
	// (yyyy/MM/dd HH:mm:ss, the DEFRA file in the corpus), times are
	// truncated to the second and comparisons need a second of slack.
	hasMillis bool
	// now is the reference for two-digit years; a test can pin it.
	now time.Time
}

type dateOpKind uint8

const (
	opLiteral dateOpKind = iota
	opYear
	opYear2
	opMonth
	opMonthName
	opDay
	opHour24 // H
	opHour12 // h
	opMinute
	opSecond
	opMillis
	opAmPm
	opZoneRFC822 // Z
	opZoneISO    // X
	opZoneGeneral
	opDayName // E: checked for shape, then ignored
)

type dateOp struct {
	kind  dateOpKind
	count int    // pattern letters repeated
	lit   string // opLiteral
}

var errPattern = errors.New("bad timestamp pattern")

// compileDateFormat turns a SimpleDateFormat pattern into parse steps. It
// knows the letters JMeter users put in timestamp_format; any other letter
// is an error, so that a pattern is never half understood.
func compileDateFormat(pattern string, loc *time.Location) (*dateFormat, error) {
	if loc == nil {
		loc = time.Local
	}
	f := &dateFormat{pattern: pattern, loc: loc, now: time.Now()}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			f.ops = append(f.ops, dateOp{kind: opLiteral, lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(pattern); {
		c := pattern[i]
		if c == '\'' {
			// 'text' is literal; '' is one quote, inside or outside.
			if i+1 < len(pattern) && pattern[i+1] == '\'' {
				lit.WriteByte('\'')
				i += 2
				continue
			}
			j := i + 1
			for {
				if j >= len(pattern) {
					return nil, fmt.Errorf("%w %q: unterminated quote", errPattern, pattern)
				}
				if pattern[j] == '\'' {
					if j+1 < len(pattern) && pattern[j+1] == '\'' {
						lit.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				lit.WriteByte(pattern[j])
				j++
			}
			i = j + 1
			continue
		}
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			lit.WriteByte(c)
			i++
			continue
		}
		n := 1
		for i+n < len(pattern) && pattern[i+n] == c {
			n++
		}
		var op dateOp
		op.count = n
		switch c {
		case 'y':
			op.kind = opYear
			if n == 2 {
				op.kind = opYear2
			}
		case 'M':
			op.kind = opMonth
			if n >= 3 {
				op.kind = opMonthName
			}
		case 'd':
			op.kind = opDay
		case 'H':
			op.kind = opHour24
		case 'h':
			op.kind = opHour12
		case 'm':
			op.kind = opMinute
		case 's':
			op.kind = opSecond
		case 'S':
			op.kind = opMillis
			f.hasMillis = true
		case 'a':
			op.kind = opAmPm
		case 'Z':
			op.kind = opZoneRFC822
		case 'X':
			op.kind = opZoneISO
		case 'z':
			op.kind = opZoneGeneral
		case 'E':
			op.kind = opDayName
		default:
			return nil, fmt.Errorf("%w %q: pattern letter %q is not supported", errPattern, pattern, c)
		}
		flush()
		f.ops = append(f.ops, op)
		i += n
	}
	flush()
	return f, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// numericOp reports whether an op reads digits, which matters when two
// numeric fields abut ("yyyyMMdd"): then each takes exactly its width.
func numericOp(k dateOpKind) bool {
	switch k {
	case opYear, opYear2, opMonth, opDay, opHour24, opHour12, opMinute, opSecond, opMillis:
		return true
	}
	return false
}

var monthNames = [...]string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}
var monthLong = [...]string{"january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"}
var dayNames = [...]string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
var dayShort = [...]string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// zoneAbbrev holds the abbreviations a JVM prints for z in the zones load
// tests commonly run in. An abbreviation is ambiguous in general (IST), so
// this is a fixed list rather than a guess.
var zoneAbbrev = map[string]int{
	"UTC": 0, "GMT": 0, "UT": 0, "Z": 0,
	"WET": 0, "WEST": 3600, "BST": 3600, "CET": 3600, "CEST": 7200, "EET": 7200, "EEST": 10800, "MSK": 10800,
	"EST": -5 * 3600, "EDT": -4 * 3600, "CST": -6 * 3600, "CDT": -5 * 3600,
	"MST": -7 * 3600, "MDT": -6 * 3600, "PST": -8 * 3600, "PDT": -7 * 3600,
	"IST": 5*3600 + 1800, "JST": 9 * 3600, "KST": 9 * 3600, "HKT": 8 * 3600, "SGT": 8 * 3600,
	"AEST": 10 * 3600, "AEDT": 11 * 3600, "NZST": 12 * 3600, "NZDT": 13 * 3600, "BRT": -3 * 3600,
}

// parse returns Unix milliseconds for value, or false when value does not
// match the pattern exactly.
func (f *dateFormat) parse(v []byte) (int64, bool) {
	year, month, day := 1970, 1, 1
	hour, minute, sec, ms := 0, 0, 0, 0
	pm, hasAmPm, hour12 := false, false, false
	zoneSet, zoneOff := false, 0
	p := 0
	for i, op := range f.ops {
		if op.kind == opLiteral {
			if len(v)-p < len(op.lit) || string(v[p:p+len(op.lit)]) != op.lit {
				return 0, false
			}
			p += len(op.lit)
			continue
		}
		if numericOp(op.kind) {
			max := 9
			if i+1 < len(f.ops) && numericOp(f.ops[i+1].kind) {
				max = op.count
			}
			n, w := 0, 0
			for p+w < len(v) && w < max && isDigit(v[p+w]) {
				n = n*10 + int(v[p+w]-'0')
				w++
			}
			if w == 0 {
				return 0, false
			}
			switch op.kind {
			case opYear:
				year = n
				if op.count <= 2 && w <= 2 {
					year = f.century(n)
				}
			case opYear2:
				// SimpleDateFormat takes a two-digit year within 80 years
				// before and 20 after now; more digits are literal.
				year = n
				if w <= 2 {
					year = f.century(n)
				}
			case opMonth:
				month = n
			case opDay:
				day = n
			case opHour24:
				hour = n
			case opHour12:
				hour, hour12 = n, true
			case opMinute:
				minute = n
			case opSecond:
				sec = n
			case opMillis:
				ms = n
			}
			p += w
			continue
		}
		switch op.kind {
		case opMonthName:
			m, w := matchName(v[p:], monthLong[:], monthNames[:])
			if m < 0 {
				return 0, false
			}
			month, p = m+1, p+w
		case opDayName:
			d, w := matchName(v[p:], dayNames[:], dayShort[:])
			if d < 0 {
				return 0, false
			}
			p += w
		case opAmPm:
			if len(v)-p < 2 {
				return 0, false
			}
			switch strings.ToUpper(string(v[p : p+2])) {
			case "AM":
			case "PM":
				pm = true
			default:
				return 0, false
			}
			hasAmPm = true
			p += 2
		case opZoneRFC822, opZoneISO, opZoneGeneral:
			off, w, ok := parseZone(v[p:], op.kind)
			if !ok {
				return 0, false
			}
			zoneSet, zoneOff, p = true, off, p+w
		}
	}
	if p != len(v) {
		return 0, false
	}
	if hour12 {
		// h is 1..12; 12 AM is midnight.
		if hour < 1 || hour > 12 {
			return 0, false
		}
		if hour == 12 {
			hour = 0
		}
		if pm {
			hour += 12
		}
	} else if hasAmPm && pm && hour < 12 {
		hour += 12
	}
	if year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) ||
		hour > 23 || minute > 59 || sec > 59 || ms > 999 {
		return 0, false
	}
	loc := f.loc
	if zoneSet {
		loc = time.FixedZone("", zoneOff)
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, ms*int(time.Millisecond), loc)
	return t.UnixMilli(), true
}

func (f *dateFormat) century(yy int) int {
	ref := f.now.Year()
	y := ref/100*100 + yy
	if y > ref+20 {
		y -= 100
	} else if y <= ref-80 {
		y += 100
	}
	return y
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// matchName matches a month or day name, long form first, case-insensitive.
func matchName(v []byte, long, short []string) (int, int) {
	for _, names := range [][]string{long, short} {
		for i, n := range names {
			if len(v) >= len(n) && strings.EqualFold(string(v[:len(n)]), n) {
				return i, len(n)
			}
		}
	}
	return -1, 0
}

// parseZone reads a zone for Z (-0800), X (Z, -08, -0800, -08:00) or z
// (PST, GMT-08:00, UTC). Java accepts every one of these forms for every
// letter when parsing, so this does too.
func parseZone(v []byte, kind dateOpKind) (off, width int, ok bool) {
	if len(v) == 0 {
		return 0, 0, false
	}
	if v[0] == 'Z' && (len(v) == 1 || !(v[1] >= 'A' && v[1] <= 'Z')) {
		return 0, 1, true
	}
	if v[0] == '+' || v[0] == '-' {
		return parseOffset(v)
	}
	if len(v) >= 3 && string(v[:3]) == "GMT" && len(v) > 3 && (v[3] == '+' || v[3] == '-') {
		o, w, ok := parseOffset(v[3:])
		return o, w + 3, ok
	}
	w := 0
	for w < len(v) && v[w] >= 'A' && v[w] <= 'Z' {
		w++
	}
	if o, found := zoneAbbrev[string(v[:w])]; found && w > 0 {
		return o, w, true
	}
	return 0, 0, false
}

func parseOffset(v []byte) (off, width int, ok bool) {
	sign := 1
	if v[0] == '-' {
		sign = -1
	}
	p := 1
	digits := func(n int) (int, bool) {
		if len(v)-p < n {
			return 0, false
		}
		x := 0
		for i := 0; i < n; i++ {
			if !isDigit(v[p+i]) {
				return 0, false
			}
			x = x*10 + int(v[p+i]-'0')
		}
		p += n
		return x, true
	}
	h, ok := digits(2)
	if !ok {
		return 0, 0, false
	}
	m := 0
	if p < len(v) && v[p] == ':' {
		p++
		if m, ok = digits(2); !ok {
			return 0, 0, false
		}
	} else if len(v)-p >= 2 && isDigit(v[p]) && isDigit(v[p+1]) {
		m, _ = digits(2)
	}
	if h > 23 || m > 59 {
		return 0, 0, false
	}
	return sign * (h*3600 + m*60), p, true
}

// fallbackFormats are the patterns JMeter's CSVSaveService tries, in its
// order, when a timeStamp is not a number and no format was configured.
var fallbackFormats = []string{
	"yyyy/MM/dd HH:mm:ss.SSS",
	"yyyy/MM/dd HH:mm:ss",
	"yyyy-MM-dd HH:mm:ss.SSS",
	"yyyy-MM-dd HH:mm:ss",
	"MM/dd/yy HH:mm:ss",
}
