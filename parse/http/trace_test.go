package http

import "testing"

// TestTraceNamesEnds checks the last-byte filter of traceNames against
// the names matched without it: it may only turn down names that the
// full comparison turns down too.
func TestTraceNamesEnds(t *testing.T) {
	names := []string{"x-trace-id", "X-TRACE-ID", "X-Trace-Id-", "x_trace_id__", "X-B3-TraceId", "X-B3-TRACEID",
		"traceparent", "TRACEPARENT", "X-Correlation-ID", "ININ-Correlation-Id", "X-Parent_Span", "x-span-",
		"Host", "User-Agent", "Origin", "-", "_", "d", "D", "x-my-id", "X-MY-ID", "x-my-\u0130d", "é-id", "X-Idé"}
	for _, c := range []struct {
		name    string
		headers []string
		filter  bool // whether the filter is built
	}{
		{"defaults", nil, true},
		{"custom", []string{"X-My-Id", "*-span"}, true},
		{"upper last byte", []string{"X-ID", "*SPAN"}, true},
		{"empty suffix", []string{"*"}, false},
		{"non-ASCII exact name", []string{"x-my-\u0130d"}, false},
		{"non-ASCII suffix", []string{"*-idé"}, true},
		{"none", []string{}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			tn := newTraceNames(c.headers)
			if tn.filter != c.filter {
				t.Fatalf("filter built: %v, want %v", tn.filter, c.filter)
			}
			full := *tn
			full.filter = false
			for _, n := range names {
				if got, want := tn.match(n), full.match(n); got != want {
					t.Errorf("match(%q) = %v, want %v", n, got, want)
				}
			}
		})
	}
}
