package gate

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ceiling-dev/ceiling/report"
)

func i32(n int32) *int32 { return &n }

// sipSummary is the demo's shape: SIP refused from 101 dialogs.
func sipSummary() *report.Summary {
	ff := &report.SummaryPoint{Concurrency: 101, Threads: i32(101), Status: "503", CallID: "c1"}
	st := &report.SummaryPoint{Concurrency: 101, Threads: i32(101), Status: "503"}
	return &report.Summary{
		Schema: report.SchemaV1,
		Basis:  "capture+jtl",
		Inputs: []report.SummaryInput{{Path: "a.jtl", Kind: "jtl-csv", Records: 1543, Skipped: 2}, {Path: "b.pcapng", Kind: "pcapng", Records: 9000}},
		Verdict: report.SummaryVerdict{Failed: true, Layer: "sip", Status: "503", Kind: "capacity",
			FirstFailure: ff, Sustained: st},
		Layers: map[string]report.SummaryLayer{
			"sip": {Attempts: 1543, Failures: 1146, FailureRatio: 0.7427, Codes: map[string]int64{"200": 397, "503": 1146},
				FirstFailure: ff, Sustained: st, MaxConcurrency: 103},
			"tcp": {Attempts: 10, Codes: map[string]int64{"established": 10}, MaxConcurrency: 4},
		},
		Correlation: report.SummaryCorrelation{JTLSamples: 1543, Matched: 1500, ClockOffsetMS: 0.5},
	}
}

// passSummary is a run where nothing failed, from a capture alone.
func passSummary() *report.Summary {
	return &report.Summary{
		Schema:  report.SchemaV1,
		Basis:   "capture",
		Verdict: report.SummaryVerdict{Layer: "none", Text: "No layer refused work."},
		Layers: map[string]report.SummaryLayer{
			"websocket": {Attempts: 40, Codes: map[string]int64{"101": 40}, MaxConcurrency: 40},
		},
	}
}

// wsSummary: WebSocket upgrades rate-limited, without a JTL (no threads).
func wsSummary() *report.Summary {
	ff := &report.SummaryPoint{Concurrency: 13, Status: "429"}
	return &report.Summary{
		Schema:  report.SchemaV1,
		Basis:   "capture",
		Verdict: report.SummaryVerdict{Failed: true, Layer: "websocket", Status: "429", Kind: "rate_limit", FirstFailure: ff},
		Layers: map[string]report.SummaryLayer{
			"websocket": {Attempts: 443, Failures: 107, FailureRatio: 0.2415, Codes: map[string]int64{"101": 336, "429": 107}, FirstFailure: ff, MaxConcurrency: 25},
			"tls":       {Attempts: 443, Failures: 1, FailureRatio: 0.0023, Codes: map[string]int64{"ok": 442, "alert:handshake_failure": 1}, FirstFailure: &report.SummaryPoint{Concurrency: 30, Status: "alert:handshake_failure"}, MaxConcurrency: 30},
		},
		Breaches: &report.SummaryBreaches{Count: 7},
	}
}

func TestParse(t *testing.T) {
	cases := []struct {
		in   string
		want []string // Path Op Literal of each criterion
	}{
		{"layer!=none", []string{"layer != none"}},
		{"sip.first_failure.concurrency<200", []string{"sip.first_failure.concurrency < 200"}},
		{"sip.failure_ratio>1%", []string{"sip.failure_ratio > 1%"}},
		{"sip.failure_ratio>0.01", []string{"sip.failure_ratio > 0.01"}},
		{"websocket.status==429", []string{"websocket.status == 429"}},
		{" layer == sip , kind!=capacity,failed==true ", []string{"layer == sip", "kind != capacity", "failed == true"}},
		{"verdict.first_failure.concurrency<=50", []string{"first_failure.concurrency <= 50"}},
		{"Layers.SIP.Attempts>=1", []string{"sip.attempts >= 1"}},
		{"tls.status=='alert:handshake_failure'", []string{"tls.status == 'alert:handshake_failure'"}},
		{`tls.status=="a,b"`, []string{`tls.status == "a,b"`}},
		{"tls.status==alert:handshake_failure", []string{"tls.status == alert:handshake_failure"}},
		{"client.codes.java.net.UnknownHostException>0", []string{"client.codes.java.net.UnknownHostException > 0"}},
		{"correlation.matched_ratio<99.5%", []string{"correlation.matched_ratio < 99.5%"}},
		{"correlation.clock_offset_ms>-3.5", []string{"correlation.clock_offset_ms > -3.5"}},
		{"skipped>0,breaches>0,assertion_breaches.count>0", []string{"skipped > 0", "breaches > 0", "assertion_breaches.count > 0"}},
		{"sip.first_failure.threads==none", []string{"sip.first_failure.threads == none"}},
		{"layer<websocket", []string{"layer < websocket"}},
		{"websocket.status>=500", []string{"websocket.status >= 500"}},
		{"sip.failure_ratio>=100%", []string{"sip.failure_ratio >= 100%"}},
	}
	for _, c := range cases {
		cs, err := Parse(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		var got []string
		for _, cr := range cs {
			got = append(got, cr.Path+" "+cr.Op.String()+" "+cr.Literal)
		}
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("%q: got %q, want %q", c.in, got, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		in   string
		col  int
		want string
	}{
		{"", 1, "no criterion"},
		{"   ", 1, "no criterion"},
		{"layer", 6, "want an operator"},
		{"layer!=", 8, "want a value"},
		{"layer!=none,", 13, "empty criterion"},
		{"layer!=none,,sip.attempts>0", 13, "empty criterion"},
		{",layer!=none", 1, "empty criterion"},
		{"sip.failure_ratio>>1%", 19, `want a value after >, not ">"`},
		{"layer=sip", 6, "use =="},
		{"layer=>sip", 6, "use =="},
		{"layer~sip", 1, "unknown path"},
		{"spi.attempts>0", 1, "did you mean sip?"},
		{"layers.udp.attempts>0", 1, `unknown layer "udp"`},
		{"sip.first_failur.concurrency<3", 1, "did you mean sip.first_failure.concurrency?"},
		{"sip", 1, "sip is a layer"},
		{"sip.nothing>3", 1, "a layer's values are"},
		{"verdict.attempts>3", 1, "the verdict's values are"},
		{"zzzzzzzzzzzz>1", 1, "unknown path"},
		{"none.attempts>1", 1, `unknown layer "none"`},
		{"sip.attempts>lots", 14, "want a number"},
		{`sip.attempts>"5"`, 14, "want a number"},
		{"sip.attempts>1%", 14, "not a ratio"},
		{"sip.failure_ratio>1", 19, "write 1% for a percentage"},
		{"sip.failure_ratio>=1", 20, "100% for all"},
		{"sip.failure_ratio>high", 19, "is a ratio"},
		{"sip.attempts==none", 15, "always has a value"},
		{"sip.first_failure.concurrency<none", 31, "none has no order"},
		{"layer<none", 7, "none has no order"},
		{"layer==spi", 8, "unknown layer"},
		{"layer==7", 8, "unknown layer"},
		{"kind==full", 7, "unknown kind"},
		{"kind>capacity", 6, "no order"},
		{"failed==yes", 9, "true or false"},
		{"failed>true", 8, "no order"},
		{"status>=timeout", 9, "orders only as a number"},
		{"sip.status==503 extra", 17, "separate criteria with commas"},
		{"sip.status=='open", 13, "unterminated string"},
		{`layer=="sip`, 8, "unterminated string"},
		{"layer==sip'x'", 11, "unexpected"},
		{"layer==sip ==", 12, "unexpected \"=\""},
		{"sip.status==5€3 4", 17, "unexpected"},
		{"é==1", 1, "unknown path"},
		{"layer!=none,layer!", 18, "want an operator"},
	}
	for _, c := range cases {
		_, err := Parse(c.in)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%q: error %v, want a SyntaxError", c.in, err)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, c.want) {
			t.Errorf("%q: %q lacks %q", c.in, msg, c.want)
		}
		// The caret line is two spaces, one per column before, and ^.
		if col := strings.Count(strings.SplitN(msg, "\n", 3)[2], " ") - 1; !strings.HasPrefix(msg, fmt.Sprintf("column %d: ", c.col)) || col != c.col {
			t.Errorf("%q: %q: caret at column %d, want %d", c.in, msg, col, c.col)
		}
	}
}

// The error shows the input with a caret under the problem.
func TestSyntaxErrorCaret(t *testing.T) {
	_, err := Parse("sip.failure_ratio>>1%")
	want := "column 19: want a value after >, not \">\"\n  sip.failure_ratio>>1%\n                    ^"
	if err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
}

func TestEvaluate(t *testing.T) {
	sip, pass, ws := sipSummary(), passSummary(), wsSummary()
	cases := []struct {
		s       *report.Summary
		in      string
		failed  bool
		value   string
		context string
	}{
		// The examples.
		{sip, "layer!=none", true, "sip", "first SIP 503 at 101 dialogs"},
		{sip, "sip.first_failure.concurrency<200", true, "101", "first SIP 503 at 101 dialogs"},
		{sip, "sip.failure_ratio>1%", true, "74.27%", "1,146 of 1,543 SIP attempts failed"},
		{sip, "sip.failure_ratio>0.01", true, "74.27%", ""},
		{sip, "websocket.status==429", false, "none", "no WebSocket attempts"},
		{ws, "websocket.status==429", true, "429", "first WebSocket 429 at 13 connections"},
		// Layers and the verdict.
		{sip, "layer==none", false, "sip", ""},
		{sip, "layer==sip", true, "sip", ""},
		{sip, "layer!=websocket", true, "sip", ""},
		{sip, "layer==websocket", false, "sip", ""},
		{pass, "layer!=none", false, "none", "no layer refused work"},
		{pass, "layer==none", true, "none", ""},
		{sip, "layer<websocket", false, "sip", ""},
		{ws, "layer<sip", true, "websocket", ""},
		{pass, "layer<sip", false, "none", ""},
		{sip, "status==503", true, "503", ""},
		{sip, "status==503.0", true, "503", ""},
		{sip, "status>=500", true, "503", ""},
		{sip, "kind==capacity", true, "capacity", ""},
		{ws, "kind==rate_limit", true, "rate_limit", ""},
		{pass, "kind!=capacity", false, "none", ""},
		{pass, "status!=503", false, "none", ""},
		{pass, "status==none", true, "none", ""},
		{sip, "failed==true", true, "true", ""},
		{pass, "verdict.failed==false", true, "false", ""},
		{sip, "first_failure.threads>100", true, "101", ""},
		{ws, "first_failure.threads>100", false, "none", ""},
		{ws, "first_failure.threads==none", true, "none", ""},
		{pass, "first_failure.concurrency<200", false, "none", "no layer refused work"},
		{sip, "sustained.concurrency<=101", true, "101", "most SIP attempts failed from 101 dialogs up"},
		{ws, "sustained.concurrency<100", false, "none", "no sustained breakpoint"},
		// A layer that never failed, or had no attempts.
		{sip, "tcp.first_failure.concurrency<200", false, "none", "TCP never failed in 10 attempts, up to 4 connections"},
		{sip, "tcp.status!=refused", false, "none", ""},
		{sip, "tcp.status==none", true, "none", ""},
		{sip, "tcp.failures>0", false, "0", "0 of 10 TCP attempts failed"},
		{sip, "http.attempts<1", true, "0", "no HTTP attempts"},
		{sip, "http.failure_ratio>0%", false, "0%", ""},
		{sip, "http.max_concurrency==0", true, "0", ""},
		{sip, "http.codes.200==0", true, "0", "no HTTP attempts"},
		// Layer values.
		{sip, "sip.attempts>=1543", true, "1543", ""},
		{sip, "sip.attempts>1543", false, "1543", ""},
		{sip, "sip.failure_ratio==74.27%", true, "74.27%", ""},
		{sip, "sip.failure_ratio>=0.7427", true, "74.27%", ""},
		{sip, "sip.failure_ratio>74.27%", false, "74.27%", ""},
		{sip, "sip.max_concurrency>100", true, "103", ""},
		{sip, "sip.codes.503>1000", true, "1146", "SIP codes: 200 ×397, 503 ×1,146"},
		{sip, "sip.codes.486>0", false, "0", ""},
		{sip, "layers.sip.sustained.threads<=101", true, "101", ""},
		{ws, "tls.status==alert:handshake_failure", true, "alert:handshake_failure", ""},
		{ws, "tls.status>=500", false, "alert:handshake_failure", ""},
		{ws, "tls.codes.alert:handshake_failure>0", true, "1", ""},
		// The run.
		{sip, "skipped>0", true, "2", "a.jtl: 2"},
		{pass, "skipped>0", false, "0", "nothing skipped"},
		{sip, "correlation.matched_ratio<99%", true, "97.21%", "1,500 of 1,543 JTL samples matched"},
		{ws, "correlation.matched_ratio<99%", false, "none", "no JTL samples"},
		{sip, "correlation.unmatched_jtl>0", false, "0", ""},
		{sip, "correlation.clock_offset_ms>0.4", true, "0.5", ""},
		{ws, "breaches>0", true, "7", ""},
		{sip, "breaches>0", false, "0", ""},
	}
	for _, c := range cases {
		cs, err := Parse(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		o := cs[0].Evaluate(c.s)
		if o.Failed != c.failed || o.Value != c.value || !strings.Contains(o.Context, c.context) {
			t.Errorf("%q: %v, want failed=%v value %q context %q", c.in, o, c.failed, c.value, c.context)
		}
	}
}

func TestOutcomeLine(t *testing.T) {
	outs := Evaluate(sipSummary(), MustParse("sip.first_failure.concurrency<200, correlation.unmatched_jtl>0"))
	if got, want := outs[0].String(), "FAIL sip.first_failure.concurrency<200: 101 (first SIP 503 at 101 dialogs)"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if got, want := outs[1].String(), "PASS correlation.unmatched_jtl>0: 0"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if Failures(outs) != 1 {
		t.Error(Failures(outs))
	}
	// The zero Criterion and a nil summary never hold, and do not panic.
	if (Criterion{}).Evaluate(sipSummary()).Failed || MustParse("layer!=none")[0].Evaluate(nil).Failed {
		t.Error("held")
	}
}

func TestParseRatio(t *testing.T) {
	for in, want := range map[string]float64{"5%": 0.05, "0.05": 0.05, " 10 % ": 0.1, "0": 0, "0%": 0, "100%": 1, "0.5%": 0.005} {
		if got, err := ParseRatio(in); err != nil || compareNumbers(got, want) != 0 {
			t.Errorf("%q: %v %v, want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "%", "5", "1", "-1%", "150%", "NaN", "inf", "five"} {
		if _, err := ParseRatio(in); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

func TestReadSummary(t *testing.T) {
	cases := []struct{ in, want string }{
		{``, "empty file"},
		{`not json`, "not a ceiling JSON summary"},
		{`{"verdict": {}}`, `no "schema" field`},
		{`{"schema": "ceiling.summary/v2"}`, `schema "ceiling.summary/v2"`},
		{`[1, 2]`, "not a ceiling JSON summary"},
	}
	for _, c := range cases {
		if _, err := ReadSummary(strings.NewReader(c.in)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.in, err, c.want)
		}
	}
	s, err := ReadSummary(strings.NewReader(`{"schema": "ceiling.summary/v1", "verdict": {"layer": "none"}, "future_field": 1}`))
	if err != nil || s.Layers == nil {
		t.Fatalf("%v %v", s, err)
	}
}
