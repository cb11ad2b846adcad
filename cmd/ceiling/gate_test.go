package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ceiling-dev/ceiling/report"
)

// cli runs the CLI in-process, as main does. Should root.go not list the
// compare command, it is added here (the same command) and the exit code
// mapped as run maps it, so that these tests hold either way.
func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	root := newRoot(&out, &errb)
	if c, _, err := root.Find([]string{"compare"}); err == nil && c != root {
		code = run(args, &out, &errb)
		return code, out.String(), errb.String()
	}
	root.AddCommand(newCompare(&out, &errb))
	root.SetArgs(args)
	err := root.Execute()
	var ee *exitError
	switch {
	case err == nil:
		code = ExitOK
	case errors.As(err, &ee):
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintf(&errb, "ceiling: %v\n", ee.err)
		}
		code = ee.code
	default:
		fmt.Fprintf(&errb, "ceiling: %v\nRun 'ceiling --help' for usage.\n", err)
		code = ExitUsage
	}
	return code, out.String(), errb.String()
}

// The demo (SIP 503 from 101 dialogs) through --fail-on: criteria
// describe failures, so the job fails when one holds.
func TestFailOnDemo(t *testing.T) {
	cases := []struct {
		criteria []string
		code     int
		stderr   []string // lines expected
		absent   []string // text that must not show
	}{
		{[]string{"sip.first_failure.concurrency<200"}, ExitFailed,
			[]string{"FAIL sip.first_failure.concurrency<200: 101 (first SIP 503 at 101 dialogs)", "ceiling: --fail-on: 1 of 1 criteria failed"}, nil},
		{[]string{"sip.first_failure.concurrency<100"}, ExitOK, nil, []string{"FAIL", "PASS"}},
		// layer is sip: layer!=none and layer!=websocket hold (fail),
		// layer==none and layer==websocket do not (pass).
		{[]string{"layer!=none"}, ExitFailed, []string{"FAIL layer!=none: sip (first SIP 503 at 101 dialogs)"}, nil},
		{[]string{"layer!=websocket"}, ExitFailed, []string{"FAIL layer!=websocket: sip (first SIP 503 at 101 dialogs)"}, nil},
		{[]string{"layer==none"}, ExitOK, nil, []string{"FAIL"}},
		{[]string{"layer==websocket"}, ExitOK, nil, []string{"FAIL"}},
		{[]string{"sip.failure_ratio>1%"}, ExitFailed, []string{"FAIL sip.failure_ratio>1%: 74.27% (1,146 of 1,543 SIP attempts failed)"}, nil},
		{[]string{"sip.failure_ratio>0.9"}, ExitOK, nil, []string{"FAIL"}},
		// A layer with no attempts: its status does not exist.
		{[]string{"websocket.status==429"}, ExitOK, nil, []string{"FAIL"}},
		{[]string{"websocket.attempts<1"}, ExitFailed, []string{"FAIL websocket.attempts<1: 0 (no WebSocket attempts)"}, nil},
		// Several criteria: comma-separated and repeated; each failing one
		// on its own line.
		{[]string{"layer==none, sip.failure_ratio>50%", "kind==capacity", "--verbose"}, ExitFailed, []string{
			"PASS layer==none: sip (first SIP 503 at 101 dialogs)",
			"FAIL sip.failure_ratio>50%: 74.27% (1,146 of 1,543 SIP attempts failed)",
			"FAIL kind==capacity: capacity (first SIP 503 at 101 dialogs)",
			"ceiling: --fail-on: 2 of 3 criteria failed"}, nil},
		{[]string{"layer==none", "correlation.matched_ratio<100%", "--verbose"}, ExitOK, []string{
			"PASS layer==none: sip (first SIP 503 at 101 dialogs)",
			"PASS correlation.matched_ratio<100%: 100% (1,543 of 1,543 JTL samples matched)",
			"ceiling: --fail-on: all 2 criteria passed"}, nil},
		{[]string{"layer!=none", "--quiet"}, ExitFailed, []string{"FAIL layer!=none: sip (first SIP 503 at 101 dialogs)"}, []string{"criteria failed"}},
	}
	for _, c := range cases {
		args := []string{"analyze", "--demo"}
		for _, a := range c.criteria {
			if strings.HasPrefix(a, "--") {
				args = append(args, a)
			} else {
				args = append(args, "--fail-on", a)
			}
		}
		code, stdout, stderr := cli(t, args...)
		if code != c.code {
			t.Errorf("%v: exit %d, want %d\n%s", c.criteria, code, c.code, stderr)
		}
		lines := strings.Split(stderr, "\n")
		for _, want := range c.stderr {
			found := false
			for _, l := range lines {
				found = found || l == want
			}
			if !found {
				t.Errorf("%v: stderr lacks the line %q:\n%s", c.criteria, want, stderr)
			}
		}
		for _, no := range c.absent {
			if strings.Contains(stderr, no) {
				t.Errorf("%v: stderr has %q:\n%s", c.criteria, no, stderr)
			}
		}
		// The gate does not change what analyze prints.
		if !strings.Contains(c.criteria[len(c.criteria)-1], "quiet") && !strings.HasPrefix(stdout, "verdict: sip 503") {
			t.Errorf("%v: stdout %q", c.criteria, stdout)
		}
	}
}

// A criterion that cannot be read is a usage error, found before the
// analysis runs: the message names the column, and nothing was analysed.
func TestFailOnUsageErrors(t *testing.T) {
	cases := []struct{ criterion, want string }{
		{"sip.failure_ratio>>1%", "--fail-on: column 19: want a value after >"},
		{"spi.first_failure.concurrency<200", `unknown layer "spi": did you mean sip?`},
		{"sip.first_failur.concurrency<200", "did you mean sip.first_failure.concurrency?"},
		{"nonsense>1", `unknown path "nonsense"`},
		{"layer=sip", "use == to test equality"},
		{"sip.failure_ratio>1", "write 1% for a percentage"},
		{"", "no criterion"},
	}
	for _, c := range cases {
		dir := t.TempDir()
		js := filepath.Join(dir, "s.json")
		code, stdout, stderr := cli(t, "analyze", "--demo", "--json", js, "--fail-on", c.criterion)
		if code != ExitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", c.criterion, code, stderr, ExitUsage, c.want)
		}
		if stdout != "" {
			t.Errorf("%q: analysed anyway: %q", c.criterion, stdout)
		}
		if _, err := os.Stat(js); err == nil {
			t.Errorf("%q: wrote the summary anyway", c.criterion)
		}
	}
}

type junitDoc struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Suites   []struct {
		Name      string `xml:"name,attr"`
		Tests     int    `xml:"tests,attr"`
		Failures  int    `xml:"failures,attr"`
		Time      string `xml:"time,attr"`
		Timestamp string `xml:"timestamp,attr"`
		Props     []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"properties>property"`
		Cases []struct {
			Name      string `xml:"name,attr"`
			Classname string `xml:"classname,attr"`
			Time      string `xml:"time,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func readJUnit(t *testing.T, path string) (junitDoc, []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d junitDoc
	if err := xml.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s is not XML: %v", path, err)
	}
	if len(d.Suites) != 1 {
		t.Fatalf("%d suites", len(d.Suites))
	}
	return d, b
}

// JUnit on the demo: one case for the SIP layer, one per criterion,
// parsed back with encoding/xml; the file is pinned.
func TestJUnitDemo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "junit.xml")
	code, _, stderr := cli(t, "analyze", "--demo", "-q", "--junit", path,
		"--fail-on", "layer!=none,sip.first_failure.concurrency<200", "--fail-on", "websocket.status==429")
	if code != ExitFailed {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	d, raw := readJUnit(t, path)
	s := d.Suites[0]
	if d.Tests != 4 || d.Failures != 3 || s.Tests != 4 || s.Failures != 3 {
		t.Errorf("tests %d/%d failures %d/%d, want 4 and 3", d.Tests, s.Tests, d.Failures, s.Failures)
	}
	var names []string
	for _, c := range s.Cases {
		names = append(names, c.Classname+" "+c.Name+" "+fmt.Sprint(c.Failure != nil))
	}
	want := []string{"ceiling.layer sip true", "ceiling.fail-on layer!=none true",
		"ceiling.fail-on sip.first_failure.concurrency<200 true", "ceiling.fail-on websocket.status==429 false"}
	if strings.Join(names, "|") != strings.Join(want, "|") {
		t.Errorf("cases %q, want %q", names, want)
	}
	if f := s.Cases[0].Failure; f == nil || f.Message != "SIP 503 at 101 dialogs: 1,146 of 1,543 attempts failed" || !strings.Contains(f.Text, "Call-ID f1f18219ad462696-t101-i0001@127.0.0.1") {
		t.Errorf("sip failure %+v", f)
	}
	if s.Time != "49.921" || s.Timestamp != "2026-11-26T06:11:56" || s.Cases[0].Time != "49.921" {
		t.Errorf("times: suite %s at %s, sip %s", s.Time, s.Timestamp, s.Cases[0].Time)
	}
	golden(t, "gate/junit-demo.xml", string(raw))

	// Without --fail-on: the layers alone, and the exit code is untouched.
	code, _, stderr = cli(t, "analyze", "--demo", "-q", "--junit", path)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if d, _ := readJUnit(t, path); d.Tests != 1 || d.Failures != 1 {
		t.Errorf("tests %d failures %d", d.Tests, d.Failures)
	}
}

// JUnit on a fixture with three layers: TCP passed, WebSocket and SIP
// failed; cases lowest layer first.
func TestJUnitFixture(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "junit.xml")
	fx := "../../testdata/fixtures/mixed-ws-first/"
	code, _, stderr := cli(t, "analyze", fx+"results.jtl", fx+"capture.pcapng.gz", "-q", "--junit", path, "--fail-on", "sip.first_failure.concurrency<20")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	d, _ := readJUnit(t, path)
	var names []string
	for _, c := range d.Suites[0].Cases {
		names = append(names, c.Name+" "+fmt.Sprint(c.Failure != nil))
	}
	want := "tcp false|websocket true|sip true|sip.first_failure.concurrency<20 false"
	if strings.Join(names, "|") != want || d.Tests != 4 || d.Failures != 2 {
		t.Errorf("cases %q (%d tests, %d failures), want %q", names, d.Tests, d.Failures, want)
	}
}

// A JUnit file that cannot be written is an output error.
func TestJUnitUnwritable(t *testing.T) {
	code, _, stderr := cli(t, "analyze", "--demo", "-q", "--junit", filepath.Join(t.TempDir(), "no", "such", "dir", "j.xml"))
	if code != ExitOutput || stderr == "" {
		t.Errorf("exit %d %q", code, stderr)
	}
}

// fixtureSummaries analyses fixtures into JSON summaries once per test.
func fixtureSummary(t *testing.T, dir, name string) string {
	t.Helper()
	out := filepath.Join(dir, name+".json")
	if _, err := os.Stat(out); err == nil {
		return out
	}
	var args []string
	if name == "demo" {
		args = []string{"analyze", "--demo", "-q", "--json", out}
	} else {
		fx := filepath.Join("..", "..", "testdata", "fixtures", name)
		args = []string{"analyze", filepath.Join(fx, "results.jtl"), filepath.Join(fx, "capture.pcapng.gz"), "-q", "--json", out}
	}
	if code, _, stderr := cli(t, args...); code != ExitOK {
		t.Fatalf("%s: exit %d: %s", name, code, stderr)
	}
	return out
}

// compare on summaries of real runs: the table is pinned, the exit code
// says whether NEW is worse.
func TestCompareFixtures(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		old, new string
		args     []string
		code     int
	}{
		{"ws-limit-conn", "mixed-ws-first", nil, ExitRegression},
		{"mixed-ws-first", "ws-limit-conn", nil, ExitOK},
		{"demo", "demo", nil, ExitOK},
		{"sip-tcp-limit", "tcp-refused", nil, ExitRegression},
		{"ws-limit-conn", "ws-rate-limit", nil, ExitRegression},
		{"ws-limit-conn", "ws-rate-limit", []string{"--tolerance", "50%"}, ExitOK},
	}
	for _, c := range cases {
		args := append([]string{"compare", fixtureSummary(t, dir, c.old), fixtureSummary(t, dir, c.new)}, c.args...)
		code, stdout, stderr := cli(t, args...)
		if code != c.code || stderr != "" {
			t.Errorf("%s → %s %v: exit %d, want %d; stderr %q", c.old, c.new, c.args, code, c.code, stderr)
		}
		suffix := strings.NewReplacer("--", "-", "%", "pct").Replace(strings.Join(c.args, "-"))
		golden(t, fmt.Sprintf("gate/compare-%s-%s%s.txt", c.old, c.new, suffix), stdout)
	}
}

// compare --json: the same comparison for machines; with -, nothing else
// on stdout.
func TestCompareJSON(t *testing.T) {
	dir := t.TempDir()
	old, new := fixtureSummary(t, dir, "ws-limit-conn"), fixtureSummary(t, dir, "mixed-ws-first")
	code, stdout, _ := cli(t, "compare", "--json", "-", old, new)
	if code != ExitRegression {
		t.Fatalf("exit %d", code)
	}
	var c struct {
		Schema      string
		Old, New    string
		Tolerance   float64
		Regression  bool
		Regressions []string
		Verdict     struct {
			Old, New struct {
				Layer        string
				FirstFailure *int32 `json:"first_failure_concurrency"`
			}
			Moved        *int32
			LayerChanged bool `json:"layer_changed"`
			Text         string
		}
		Layers []struct {
			Layer    string
			Old, New *struct{ Attempts, Failures int64 }
		}
	}
	if err := json.Unmarshal([]byte(stdout), &c); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if c.Schema != "ceiling.compare/v1" || c.Old != old || c.New != new || c.Tolerance != 0.05 || !c.Regression || len(c.Regressions) != 2 {
		t.Errorf("%+v", c)
	}
	if c.Verdict.Old.Layer != "websocket" || *c.Verdict.Old.FirstFailure != 21 || *c.Verdict.New.FirstFailure != 11 || *c.Verdict.Moved != -10 || c.Verdict.LayerChanged {
		t.Errorf("verdict %+v", c.Verdict)
	}
	if len(c.Layers) != 3 || c.Layers[2].Layer != "sip" || c.Layers[2].Old != nil || c.Layers[2].New.Failures != 115 {
		t.Errorf("layers %+v", c.Layers)
	}
	// To a file, beside the table.
	path := filepath.Join(dir, "cmp.json")
	code, stdout, _ = cli(t, "compare", "--json", path, old, new)
	if b, err := os.ReadFile(path); code != ExitRegression || err != nil || !json.Valid(b) || !strings.Contains(stdout, "result: regression") {
		t.Errorf("exit %d, %v, %q", code, err, stdout)
	}
}

// compare on hand-made summaries: the tolerance's edge, and a summary
// with fields a later v1 may add.
func TestCompareHandMade(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, ff int32, extra string) string {
		s := report.Summary{Schema: report.SchemaV1, Verdict: report.SummaryVerdict{Layer: "none"}, Layers: map[string]report.SummaryLayer{}}
		p := &report.SummaryPoint{Concurrency: ff, Status: "503"}
		s.Verdict = report.SummaryVerdict{Failed: true, Layer: "sip", Status: "503", Kind: "capacity", FirstFailure: p, Sustained: p}
		s.Layers["sip"] = report.SummaryLayer{Attempts: 1000, Failures: 400, FailureRatio: 0.4, FirstFailure: p, Sustained: p, MaxConcurrency: ff + 2}
		b, _ := json.Marshal(s)
		if extra != "" {
			b = append(b[:len(b)-1], []byte(","+extra+"}")...)
		}
		path := filepath.Join(dir, name)
		os.WriteFile(path, b, 0o644)
		return path
	}
	base := write("base.json", 200, `"added_later": {"x": 1}`)
	cases := []struct {
		ff   int32
		args []string
		code int
		want string
	}{
		{200, nil, ExitOK, "the ceiling did not move: SIP 503 at 200 dialogs"},
		{190, nil, ExitOK, "the ceiling moved down by 10: SIP 503 at 200 → 190 dialogs"},
		{189, nil, ExitRegression, "regression: sip: the first failure fell from 200 to 189 dialogs (-5.5%, more than the 5% tolerance)"},
		{189, []string{"--tolerance", "0.06"}, ExitOK, "result: not worse"},
		{199, []string{"--tolerance", "0%"}, ExitRegression, "(-0.5%, more than the 0% tolerance)"},
		{250, nil, ExitOK, "the ceiling moved up by 50"},
	}
	for _, c := range cases {
		code, stdout, stderr := cli(t, append([]string{"compare", base, write(fmt.Sprintf("new-%d.json", c.ff), c.ff, "")}, c.args...)...)
		if code != c.code || !strings.Contains(stdout, c.want) {
			t.Errorf("200 → %d %v: exit %d, want %d and %q:\n%s%s", c.ff, c.args, code, c.code, c.want, stdout, stderr)
		}
	}
}

func TestCompareErrors(t *testing.T) {
	dir := t.TempDir()
	good := fixtureSummary(t, dir, "demo")
	notJSON := filepath.Join(dir, "report.html")
	os.WriteFile(notJSON, []byte("<html>"), 0o644)
	other := filepath.Join(dir, "other.json")
	os.WriteFile(other, []byte(`{"schema": "ceiling.summary/v2"}`), 0o644)
	noSchema := filepath.Join(dir, "meta.json")
	os.WriteFile(noSchema, []byte(`{"fixture": "x"}`), 0o644)
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{good}, ExitUsage, "accepts 2 arg(s)"},
		{[]string{good, good, good}, ExitUsage, "accepts 2 arg(s)"},
		{[]string{good, good, "--tolerance", "5"}, ExitUsage, "--tolerance: \"5\": write 5% for a percentage"},
		{[]string{good, good, "--tolerance", "lots"}, ExitUsage, "--tolerance"},
		{[]string{good, filepath.Join(dir, "missing.json")}, ExitBadInput, "missing.json"},
		{[]string{notJSON, good}, ExitBadInput, "report.html: not a ceiling JSON summary"},
		{[]string{good, other}, ExitBadInput, `other.json: schema "ceiling.summary/v2", want "ceiling.summary/v1"`},
		{[]string{good, noSchema}, ExitBadInput, `meta.json: not a ceiling JSON summary: no "schema" field`},
	}
	for _, c := range cases {
		code, _, stderr := cli(t, append([]string{"compare"}, c.args...)...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, stderr, c.code, c.want)
		}
	}
}

// README's exit code table lists every code exit.go defines, with the
// meaning its comment gives.
func TestExitCodesDocumented(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for code, words := range map[int]string{
		ExitOK: "the analysis ran", ExitFailed: "`--fail-on` criterion", ExitUsage: "usage error",
		ExitBadInput: "could not be read", ExitOutput: "could not be written", ExitRegression: "regression",
	} {
		row := regexp.MustCompile(fmt.Sprintf(`(?m)^\| %d \| .*%s`, code, regexp.QuoteMeta(words)))
		if !row.Match(readme) {
			t.Errorf("README's exit code table lacks %d (%s)", code, words)
		}
	}
}
