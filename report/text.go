package report

import (
	"fmt"
	"io"
	"strings"
)

// WriteText writes the few lines a person reads first.
func WriteText(w io.Writer, d *Document) error {
	r := d.Result
	v := r.Verdict
	var b strings.Builder
	if v.Failed {
		fmt.Fprintf(&b, "verdict: %s %s (%s) at %d %s\n", v.Layer, v.Status, v.Kind, v.FirstFailure.Concurrency, v.Layer.Unit())
	} else {
		b.WriteString("verdict: no layer refused work\n")
	}
	fmt.Fprintf(&b, "  %s\n", v.Text)
	if ff := v.FirstFailure; ff != nil {
		fmt.Fprintf(&b, "  first failure: %s, %d %s", FormatTime(ff.Time), ff.Concurrency, v.Layer.Unit())
		if ff.Threads >= 0 {
			fmt.Fprintf(&b, ", %d JMeter threads", ff.Threads)
		}
		if ff.CallID != "" {
			fmt.Fprintf(&b, ", Call-ID %s", ff.CallID)
		}
		b.WriteString("\n")
	}
	if s := v.Sustained; s != nil {
		fmt.Fprintf(&b, "  sustained:     from %d %s (%s of %s attempts at or above failed)\n", s.Concurrency, v.Layer.Unit(), Thousands(s.FailedAtOrAbove), Thousands(s.AtOrAbove))
	}
	for _, lr := range r.Layers {
		fmt.Fprintf(&b, "  %s (%s): %s attempts, %s failed (%.1f%%)", lr.Layer, lr.Basis, Thousands(lr.Attempts), Thousands(lr.Failures), 100*lr.FailureRatio())
		if len(lr.Codes) > 0 {
			var parts []string
			for _, k := range sortedKeys(lr.Codes) {
				parts = append(parts, fmt.Sprintf("%s ×%s", k, Thousands(lr.Codes[k])))
			}
			fmt.Fprintf(&b, ": %s", strings.Join(parts, ", "))
		}
		b.WriteString("\n")
	}
	if c := r.Correlation; c.JTLSamples > 0 && strings.Contains(r.Basis, "capture") {
		var ways []string
		for _, w := range []struct {
			n    int64
			what string
		}{{c.ByCallID, "by Call-ID"}, {c.ByTraceID, "by trace ID"}, {c.ByFlow, "by connection and time"}, {c.ByTime, "by time and order"}} {
			if w.n > 0 {
				ways = append(ways, Thousands(w.n)+" "+w.what)
			}
		}
		if len(ways) == 0 {
			ways = append(ways, "none")
		}
		fmt.Fprintf(&b, "  correlation: %s of %s JTL samples matched (%s)", Thousands(c.Matched), Thousands(c.JTLSamples), strings.Join(ways, ", "))
		if c.NoSYN > 0 {
			fmt.Fprintf(&b, "; %s connect errors with no SYN on the wire", Thousands(c.NoSYN))
		}
		fmt.Fprintf(&b, "; clock offset %s (%s)\n", FormatOffset(c.ClockOffset), c.OffsetBasis)
	}
	if r.Breaches.Count > 0 {
		fmt.Fprintf(&b, "  assertion breaches (not rejections): %s samples", Thousands(r.Breaches.Count))
		if f := r.Breaches.First; f != nil && f.Threads >= 0 {
			fmt.Fprintf(&b, ", the first at %d JMeter threads", f.Threads)
		}
		b.WriteString("\n")
	}
	var ins []string
	for _, in := range d.Inputs {
		unit := "samples"
		if in.Kind == "pcap" || in.Kind == "pcapng" {
			unit = "packets"
		}
		s := fmt.Sprintf("%s (%s, %s %s, %s skipped", in.Path, in.Kind, Thousands(in.Records), unit, Thousands(in.Skipped))
		if in.Truncated {
			s += ", truncated"
		}
		ins = append(ins, s+")")
	}
	if len(ins) > 0 {
		fmt.Fprintf(&b, "  inputs: %s\n", strings.Join(ins, "; "))
	}
	if n := d.Skipped(); n > 0 {
		fmt.Fprintf(&b, "  skipped: %s", Thousands(n))
		if len(d.Problems) > 0 {
			fmt.Fprintf(&b, " (first: %s)", d.Problems[0].Error())
		}
		b.WriteString("\n")
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "  note: %s\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// FormatTime writes a Unix ns time for people.
func FormatTime(ns int64) string {
	return FormatTimeJSON(ns)[:23] + "Z"
}

// FormatOffset writes a clock offset in ms with a sign.
func FormatOffset(ns int64) string {
	return fmt.Sprintf("%+.1f ms", float64(ns)/1e6)
}

// Thousands writes n with thousands separators.
func Thousands(n int64) string {
	if n < 0 {
		return "-" + Thousands(-n)
	}
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
