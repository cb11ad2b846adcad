package redact

import (
	"strings"
	"testing"
	"time"
)

// TestAdversarial: text built to make a scanner quadratic costs about
// what plain text of its size does (a run that restarts a rule at every
// byte is the usual way to get there).
func TestAdversarial(t *testing.T) {
	const n = 1 << 16
	for _, unit := range []string{
		"a.", "1.", "a:", "1:", ":", "sip:", "http://x/", "+1 ", "+1-", "<", `"`, ",", "a@", "1@", "00:", "tel:",
		"From: ", "From: \"", "sip:a@", "fe80::", "?a=", "&", "%", "From: <sip:", "Authorization: Digest ", "username=",
	} {
		in := strings.Repeat(unit, n/len(unit))
		start := time.Now()
		r := testRedactor(Options{})
		out := r.String(in)
		sc := scanner{r: r, fixed: true, final: false}
		fixed := sc.run(nil, []byte(in))
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%q × %d: %v", unit, n/len(unit), d)
		}
		if len(fixed) != len(in) {
			t.Errorf("%q: fixed mode changed the length", unit)
		}
		_ = out
	}
}
