package report

import (
	"fmt"
	"html"
	"html/template"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Ladder is the message ladder of one attempt, as sngrep's flow view shows
// a call: who sent what to whom, and when. report/evidence builds ladders
// from the capture; the HTML report draws them as inline SVG.
type Ladder struct {
	// Title says what the attempt shows, in the words of its evidence
	// comment ("first SIP 503 at 101 dialogs, Call-ID …").
	Title string
	// Attempt is the attempt's index in Result.Attempts.
	Attempt int
	// Failed is set for an attempt the edge refused, so that the report can
	// tell failures from the contrast.
	Failed  bool
	Columns []LadderColumn
	// Steps are in time order.
	Steps []LadderStep
	// Omitted counts the messages left out past the ladder's bound.
	Omitted int
	// Note says what the ladder could not show ("known only from the JTL:
	// nothing on the wire"), "" when nothing needs saying.
	Note string
}

// LadderColumn is one party: the load generator, the edge, a backend.
type LadderColumn struct {
	Role string // "load generator", "edge", "backend"
	// Addrs are the endpoints seen in that role, first seen first.
	Addrs []string
}

// LadderStep is one message: a SIP request or response, a TCP SYN, SYN-ACK,
// FIN or RST, an HTTP request or response head, a WebSocket close, a TLS
// handshake message or alert.
type LadderStep struct {
	Time     int64 // Unix ns, the capture's clock
	From, To int   // indexes into Columns
	Label    string
	// Frame is the packet's frame number in its capture (the completing
	// frame of a datagram rebuilt from IP fragments).
	Frame int64
	// Bad marks a refusal: a final answer of 400 or more, a reset, a fatal
	// alert. It is drawn in red.
	Bad bool
}

// Layout of a ladder drawing, in SVG user units (CSS pixels at scale 1).
const (
	ladderTimeW   = 150 // the time column on the left
	ladderColW    = 230 // one party
	ladderHeadH   = 46  // the parties' boxes
	ladderRowH    = 28  // one message
	ladderPad     = 10
	ladderMaxText = 48 // runes of a label before it is cut with "…"
)

// LadderSVG draws a ladder as an inline SVG element: a column per party
// with its lifeline, an arrow per message with its label, and on the left
// each message's time since the first one and the delta from the previous
// one, in ms. The output depends only on the ladder (no clock, no map
// order), every text from the wire is escaped, and nothing refers outside
// the element (no ids, no links, no fonts to fetch), so that several
// ladders sit in one page without clashing.
func LadderSVG(l *Ladder) template.HTML {
	cols := max(len(l.Columns), 1)
	rows := len(l.Steps)
	if l.Omitted > 0 {
		rows++
	}
	w := ladderTimeW + cols*ladderColW
	h := ladderHeadH + 2*ladderPad + max(rows, 1)*ladderRowH + ladderPad
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="ladder" viewBox="0 0 %d %d" width="%d" height="%d" style="max-width:100%%;height:auto;font-family:-apple-system,'Segoe UI',Roboto,Arial,'Liberation Sans',sans-serif;font-size:12px" role="img" aria-label="%s">`,
		w, h, w, h, svgText("message ladder: "+l.Title))
	fmt.Fprintf(&b, `<rect x="0" y="0" width="%d" height="%d" fill="#fff"/>`, w, h)
	cx := func(i int) int { return ladderTimeW + i*ladderColW + ladderColW/2 }
	top := ladderPad + ladderHeadH
	bottom := h - ladderPad

	// Parties, and their lifelines.
	for i, c := range l.Columns {
		x := cx(i)
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" rx="4" fill="#f5f7f9" stroke="#b9c0c8"/>`,
			x-ladderColW/2+12, ladderPad, ladderColW-24, ladderHeadH)
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" font-weight="bold">%s</text>`, x, ladderPad+17, svgText(c.Role))
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" font-size="10.5" fill="#5f6770" font-family="ui-monospace,Menlo,Consolas,'Liberation Mono',monospace">%s</text>`,
			x, ladderPad+34, svgText(addrLine(c.Addrs)))
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#b9c0c8" stroke-dasharray="4 3"/>`, x, top, x, bottom)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="10.5" fill="#5f6770">ms since first · Δ ms</text>`, ladderPad, ladderPad+17)

	var first, prev int64
	for i, s := range l.Steps {
		y := top + ladderPad + (i+1)*ladderRowH - 8
		if i == 0 {
			first, prev = s.Time, s.Time
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-family="ui-monospace,Menlo,Consolas,'Liberation Mono',monospace" font-size="11">%s</text>`,
			ladderPad, y+4, svgText(ladderMS(s.Time-first)))
		if i > 0 {
			d := ladderMS(s.Time - prev)
			if s.Time >= prev {
				d = "+" + d
			}
			fmt.Fprintf(&b, `<text x="%d" y="%d" font-family="ui-monospace,Menlo,Consolas,'Liberation Mono',monospace" font-size="10.5" fill="#5f6770">%s</text>`,
				ladderPad+78, y+4, svgText(d))
		}
		prev = s.Time
		color := "#1f2328"
		if s.Bad {
			color = "#c62828"
		}
		from, to := clampCol(s.From, cols), clampCol(s.To, cols)
		x1, x2 := cx(from), cx(to)
		title := fmt.Sprintf("frame %d: %s", s.Frame, s.Label)
		fmt.Fprintf(&b, `<g><title>%s</title>`, svgText(title))
		if from == to {
			// A message within one party (two addresses of the same
			// edge): a small loop on its lifeline.
			fmt.Fprintf(&b, `<path d="M%d %d h24 v8 h-24" fill="none" stroke="%s" stroke-width="1.4"/>`, x1, y-4, color)
			fmt.Fprintf(&b, `<polygon points="%s" fill="%s"/>`, arrowHead(x1, y+4, -1), color)
			fmt.Fprintf(&b, `<text x="%d" y="%d" fill="%s">%s</text>`, x1+30, y+4, color, svgText(ladderCut(s.Label, ladderMaxText)))
		} else {
			dir := 1
			if x2 < x1 {
				dir = -1
			}
			fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="1.4"/>`, x1, y, x2-dir*7, y, color)
			fmt.Fprintf(&b, `<polygon points="%s" fill="%s"/>`, arrowHead(x2, y, dir), color)
			weight := ""
			if s.Bad {
				weight = ` font-weight="bold"`
			}
			fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" fill="%s"%s>%s</text>`, (x1+x2)/2, y-5, color, weight, svgText(ladderCut(s.Label, ladderMaxText)))
		}
		b.WriteString(`</g>`)
	}
	switch {
	case l.Omitted > 0:
		y := top + ladderPad + rows*ladderRowH - 8
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#5f6770">… %d more %s not drawn</text>`, ladderTimeW+12, y, l.Omitted, ladderPlural(l.Omitted))
	case len(l.Steps) == 0:
		why := l.Note
		if why == "" {
			why = "no packet of this attempt was found in the capture"
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#5f6770">%s</text>`, ladderTimeW+12, top+ladderPad+ladderRowH-8, svgText(why))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// addrLine lists a party's endpoints in the room its box has: as many as
// fit whole, then how many more.
func addrLine(addrs []string) string {
	const room = 30 // monospace characters across a party's box
	line := ""
	for i, a := range addrs {
		next := a
		if i > 0 {
			next = line + ", " + a
		}
		rest := ""
		if i+1 < len(addrs) {
			rest = fmt.Sprintf(" +%d", len(addrs)-i-1)
		}
		if i > 0 && utf8.RuneCountInString(next+rest) > room {
			return line + fmt.Sprintf(" +%d", len(addrs)-i)
		}
		line = next
	}
	return ladderCut(line, room+6)
}

func clampCol(i, n int) int {
	if i < 0 {
		return 0
	}
	if i >= n {
		return n - 1
	}
	return i
}

// arrowHead is the triangle at x, y pointing right (dir 1) or left (-1).
func arrowHead(x, y, dir int) string {
	return fmt.Sprintf("%d,%d %d,%d %d,%d", x, y, x-dir*8, y-4, x-dir*8, y+4)
}

// ladderMS formats a duration in ns as ms with three decimals, the resolution a
// ladder needs (a SYN answered by a RST on loopback takes a few µs).
func ladderMS(ns int64) string {
	neg := ns < 0
	if neg {
		ns = -ns
	}
	s := strconv.FormatInt(ns/1e6, 10) + "." + fmt.Sprintf("%03d", ns%1e6/1e3)
	if neg {
		s = "-" + s
	}
	return s
}

// ladderCut shortens s to n runes, marking the cut.
func ladderCut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// svgText escapes text for SVG inside HTML: element content and attribute
// values alike. Bytes that are not UTF-8 would make the document invalid,
// so they become U+FFFD first.
func svgText(s string) string {
	return html.EscapeString(strings.ToValidUTF8(s, "\uFFFD"))
}

func ladderPlural(n int) string {
	if n == 1 {
		return "message"
	}
	return "messages"
}
