package gate

import (
	"strings"
	"testing"

	"github.com/ceiling-dev/ceiling/report"
)

// layerRun is one layer of a hand-made summary; ff 0 means it never
// failed.
type layerRun struct {
	name               string
	attempts, failures int64
	ff                 int32
	status             string
}

// summaryOf makes a summary whose verdict is its first layer that failed.
func summaryOf(layers ...layerRun) *report.Summary {
	s := &report.Summary{Schema: report.SchemaV1, Layers: map[string]report.SummaryLayer{}, Verdict: report.SummaryVerdict{Layer: "none"}}
	for _, l := range layers {
		sl := report.SummaryLayer{Attempts: l.attempts, Failures: l.failures, MaxConcurrency: max(l.ff, 10)}
		if l.attempts > 0 {
			sl.FailureRatio = float64(l.failures) / float64(l.attempts)
		}
		if l.ff > 0 {
			p := &report.SummaryPoint{Concurrency: l.ff, Status: l.status}
			sl.FirstFailure, sl.Sustained = p, p
			if !s.Verdict.Failed {
				s.Verdict = report.SummaryVerdict{Failed: true, Layer: l.name, Status: l.status, Kind: "capacity", FirstFailure: p, Sustained: p}
			}
		}
		s.Layers[l.name] = sl
	}
	return s
}

func TestCompare(t *testing.T) {
	sip100 := summaryOf(layerRun{"sip", 1000, 500, 100, "503"}, layerRun{"tcp", 1000, 0, 0, ""})
	cases := []struct {
		name       string
		old, new   *report.Summary
		tolerance  float64
		regression bool
		verdict    string
		reasons    []string
	}{
		{"same", sip100, sip100, 0.05, false, "the ceiling did not move: SIP 503 at 100 dialogs", nil},
		{"within tolerance", sip100, summaryOf(layerRun{"sip", 1000, 520, 95, "503"}), 0.05, false,
			"the ceiling moved down by 5: SIP 503 at 100 → 95 dialogs", nil},
		{"beyond tolerance", sip100, summaryOf(layerRun{"sip", 1000, 520, 94, "503"}), 0.05, true,
			"moved down by 6", []string{"sip: the first failure fell from 100 to 94 dialogs (-6%, more than the 5% tolerance)"}},
		{"no tolerance", sip100, summaryOf(layerRun{"sip", 1000, 520, 99, "503"}), 0, true,
			"moved down by 1", []string{"sip: the first failure fell from 100 to 99 dialogs (-1%, more than the 0% tolerance)"}},
		{"up", sip100, summaryOf(layerRun{"sip", 1000, 300, 120, "503"}), 0.05, false,
			"the ceiling moved up by 20: SIP 503 at 100 → 120 dialogs", nil},
		{"status changed", sip100, summaryOf(layerRun{"sip", 1000, 300, 100, "480"}), 0.05, false,
			"the ceiling did not move: SIP 503 at 100 dialogs → SIP 480 at 100 dialogs; the status changed from 503 to 480", nil},
		{"failure appeared", summaryOf(layerRun{"sip", 1000, 0, 0, ""}), sip100, 0.05, true,
			"a failure appeared: SIP 503 at 100 dialogs (OLD: no layer refused work)",
			[]string{"sip: failures appeared (500 of 1,000 attempts) where OLD had none in 1,000"}},
		{"failure gone", sip100, summaryOf(layerRun{"sip", 1000, 0, 0, ""}), 0.05, false,
			"the failure is gone: no layer refused work (OLD: SIP 503 at 100 dialogs)", nil},
		{"lower layer", sip100, summaryOf(layerRun{"tcp", 1000, 10, 150, "refused"}, layerRun{"sip", 990, 400, 100, "503"}), 0.05, true,
			"the ceiling moved up by 50: SIP 503 at 100 dialogs → TCP refused at 150 connections (counted in different units); the layer changed from sip to tcp (lower)",
			[]string{"tcp: failures appeared (10 of 1,000 attempts) where OLD had none in 1,000", "the failing layer changed from sip to tcp, a lower layer"}},
		{"higher layer", summaryOf(layerRun{"websocket", 300, 200, 20, "503"}, layerRun{"sip", 300, 100, 40, "503"}),
			summaryOf(layerRun{"sip", 300, 100, 40, "503"}, layerRun{"websocket", 300, 0, 0, ""}), 0.05, false,
			"the ceiling moved up by 20: WebSocket 503 at 20 connections → SIP 503 at 40 dialogs (counted in different units); the layer changed from websocket to sip (higher)", nil},
		{"new layer without failures", sip100, summaryOf(layerRun{"sip", 1000, 500, 100, "503"}, layerRun{"tcp", 1000, 0, 0, ""}, layerRun{"http", 5, 0, 0, ""}), 0.05, false, "did not move", nil},
		{"new layer failing", sip100, summaryOf(layerRun{"sip", 1000, 500, 100, "503"}, layerRun{"http", 5, 1, 300, "500"}), 0.05, true, "did not move",
			[]string{"http: failures appeared (1 of 5 attempts) where OLD had no HTTP attempts"}},
		{"layer gone", sip100, summaryOf(layerRun{"sip", 1000, 500, 100, "503"}), 0.05, false, "did not move", nil},
		{"nothing failed", summaryOf(layerRun{"sip", 10, 0, 0, ""}), summaryOf(layerRun{"sip", 10, 0, 0, ""}), 0.05, false, "no layer refused work, in OLD or in NEW", nil},
		{"empty", summaryOf(), summaryOf(), 0.05, false, "no layer refused work", nil},
	}
	for _, c := range cases {
		got := Compare(c.old, c.new, c.tolerance)
		if got.Regression != c.regression || !strings.Contains(got.Verdict.Text, c.verdict) || strings.Join(got.Regressions, "|") != strings.Join(c.reasons, "|") {
			t.Errorf("%s: regression %v, verdict %q, reasons %q\nwant %v, %q, %q", c.name, got.Regression, got.Verdict.Text, got.Regressions, c.regression, c.verdict, c.reasons)
		}
		var b strings.Builder
		if err := got.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		if want := map[bool]string{true: "result: regression\n", false: "result: not worse\n"}[c.regression]; !strings.HasSuffix(b.String(), want) {
			t.Errorf("%s: text ends %q", c.name, b.String())
		}
	}
}

// A table row per layer, lowest first; a layer missing from a run is —.
func TestCompareTable(t *testing.T) {
	old := summaryOf(layerRun{"sip", 1543, 1146, 101, "503"})
	new := summaryOf(layerRun{"tcp", 300, 0, 0, ""}, layerRun{"websocket", 300, 210, 21, "503"}, layerRun{"sip", 90, 0, 0, ""})
	var b strings.Builder
	Compare(old, new, 0.05).WriteText(&b)
	want := `layer      attempts    failures   failure ratio  first failure      sustained
tcp        — → 300     — → 0      — → 0%         — → none           — → none
websocket  — → 300     — → 210    — → 70%        — → 503 at 21      — → 21
sip        1,543 → 90  1,146 → 0  74.27% → 0%    503 at 101 → none  101 → none

verdict: the ceiling moved down by 80: SIP 503 at 101 dialogs → WebSocket 503 at 21 connections (counted in different units); the layer changed from sip to websocket (lower)
regression: websocket: failures appeared (210 of 300 attempts) where OLD had no WebSocket attempts
regression: the failing layer changed from sip to websocket, a lower layer
result: regression
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
