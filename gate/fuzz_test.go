package gate

import (
	"errors"
	"strings"
	"testing"

	"github.com/ceiling-dev/ceiling/report"
)

// FuzzParse: whatever is typed after --fail-on, Parse returns criteria or
// a SyntaxError with a position inside the input, never panics, and the
// criteria it returns evaluate without panicking and read back the same.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"layer!=none", "sip.first_failure.concurrency<200", "sip.failure_ratio>1%", "websocket.status==429",
		"layer==none, layer!=websocket", `tls.status=="a,b\"c"`, "client.codes.java.net.X>0", "sip.failure_ratio>>1%",
		"correlation.matched_ratio<99.5%", "first_failure.threads==none", "layer<websocket", ",,", "'", "x==1e309",
		"sip.attempts>-0x1p3", "status>=NaN", "é==1", "layers.sip.codes.503>=0",
	} {
		f.Add(s)
	}
	summaries := []*report.Summary{sipSummary(), passSummary(), wsSummary(), {}}
	f.Fuzz(func(t *testing.T, in string) {
		cs, err := Parse(in)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("%q: %T %v", in, err, err)
			}
			if se.Pos < 0 || se.Pos > len(in) {
				t.Fatalf("%q: position %d outside", in, se.Pos)
			}
			_ = err.Error()
			return
		}
		var texts []string
		for _, c := range cs {
			for _, s := range summaries {
				o := c.Evaluate(s)
				_ = o.String()
			}
			texts = append(texts, c.Text)
		}
		again, err := Parse(strings.Join(texts, ","))
		if err != nil || len(again) != len(cs) {
			t.Fatalf("%q: texts %q read back as %v, %v", in, texts, again, err)
		}
		for i := range cs {
			if again[i].Path != cs[i].Path || again[i].Op != cs[i].Op || again[i].lit != cs[i].lit {
				t.Fatalf("%q: %+v read back as %+v", in, cs[i], again[i])
			}
		}
	})
}
