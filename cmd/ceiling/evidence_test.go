package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runWithExtract is run with the extract command present, whether or not
// root.go adds it yet.
func runWithExtract(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	root := newRoot(&out, &errb)
	if c, _, err := root.Find([]string{"extract"}); err != nil || c == root {
		root.AddCommand(newExtract(&out, &errb))
	}
	root.SetArgs(args)
	err := root.Execute()
	code = ExitOK
	if err != nil {
		code = ExitUsage
		if ee, ok := err.(*exitError); ok {
			code = ee.code
		}
		errb.WriteString(err.Error())
	}
	return code, out.String(), errb.String()
}

func needTshark(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("tshark"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tshark not installed; CI must have it")
		}
		t.Skip("tshark not installed")
	}
}

// comments reads every frame's comments back with tshark.
func comments(t *testing.T, path string) [][]string {
	t.Helper()
	out, err := exec.Command("tshark", "-r", path, "-T", "fields", "-e", "frame.comment", "-E", "occurrence=a", "-E", "aggregator=\x1f").Output()
	if err != nil {
		t.Fatalf("tshark -r %s: %v", path, err)
	}
	var rows [][]string
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if line == "" {
			rows = append(rows, nil)
			continue
		}
		rows = append(rows, strings.Split(line, "\x1f"))
	}
	return rows
}

func TestAnalyzeEvidence(t *testing.T) {
	needTshark(t)
	dir := t.TempDir()
	html, ev := filepath.Join(dir, "report.html"), filepath.Join(dir, "evidence.pcapng")
	code, _, stderr := runCLI(t, "analyze", "--demo", "-o", html, "--evidence", ev)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "wrote "+ev+" (37 packets of 5 attempts)") {
		t.Errorf("stderr: %s", stderr)
	}
	rows := comments(t, ev)
	if len(rows) != 37 {
		t.Fatalf("tshark reads %d frames", len(rows))
	}
	for i, r := range rows {
		if len(r) == 0 || r[0] == "" {
			t.Errorf("frame %d has no comment", i+1)
		}
	}
	b, err := os.ReadFile(html)
	if err != nil {
		t.Fatal(err)
	}
	h := string(b)
	// Three first failures and one answered call, with their titles.
	if n := strings.Count(h, `<svg class="ladder"`); n != 4 {
		t.Errorf("%d ladders in the report, want 4", n)
	}
	for _, want := range []string{`<section id="ladders">`, "first SIP 503 at 101 dialogs, Call-ID f1f18219ad462696-t101-i0001@127.0.0.1", "contrast: answered 200 at 100 dialogs"} {
		if !strings.Contains(h, want) {
			t.Errorf("report lacks %q", want)
		}
	}

	// An HTML report has them by default, without --evidence.
	html2 := filepath.Join(dir, "ladders.html")
	if code, _, stderr := runCLI(t, "analyze", "--demo", "-q", "-o", html2); code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, _ = os.ReadFile(html2)
	if n := strings.Count(string(b), `<svg class="ladder"`); n != 4 {
		t.Errorf("--ladders: %d ladders", n)
	}
	// --ladders=false: no Ladders section (and no second pass).
	html3 := filepath.Join(dir, "plain.html")
	runCLI(t, "analyze", "--demo", "-q", "-o", html3, "--ladders=false")
	b, _ = os.ReadFile(html3)
	if strings.Contains(string(b), `id="ladders"`) {
		t.Error("ladders with --ladders=false")
	}

	if code, _, stderr := runCLI(t, "analyze", "--demo", "--evidence", "-"); code != ExitUsage || !strings.Contains(stderr, "extract -o -") {
		t.Errorf("--evidence -: exit %d, %s", code, stderr)
	}
}

func TestExtractDemo(t *testing.T) {
	needTshark(t)
	dir := t.TempDir()
	ev := filepath.Join(dir, "ev.pcapng")
	code, stdout, stderr := runWithExtract(t, "extract", "--demo", "-o", ev)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	golden(t, "extract-demo.txt", strings.ReplaceAll(stdout, ev, "ev.pcapng"))
	if rows := comments(t, ev); len(rows) != 37 {
		t.Errorf("tshark reads %d frames", len(rows))
	}

	// One dialog by Call-ID: its three packets, nothing else.
	code, stdout, stderr = runWithExtract(t, "extract", "--demo", "--call-id", "f1f18219ad462696-t101-i0001@127.0.0.1", "-o", ev)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rows := comments(t, ev)
	if len(rows) != 3 {
		t.Fatalf("--call-id: %d frames\n%s", len(rows), stdout)
	}
	for _, r := range rows {
		if len(r) != 1 || r[0] != "SIP 503 at 101 dialogs, Call-ID f1f18219ad462696-t101-i0001@127.0.0.1" {
			t.Errorf("comment %q", r)
		}
	}

	// A time window in seconds since the first attempt, failures only.
	code, stdout, stderr = runWithExtract(t, "extract", "--demo", "--from", "0", "--to", "60", "--status", "failed", "--max", "2", "--bare", "--no-comments", "-o", ev)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if n := strings.Count(stdout, "SIP 503 at"); n != 2 {
		t.Errorf("--status failed --max 2 listed %d:\n%s", n, stdout)
	}
	for _, r := range comments(t, ev) {
		if len(r) != 0 {
			t.Errorf("--no-comments: %q", r)
		}
	}

	// To stdout: the pcapng there, the list on stderr.
	code, stdout, stderr = runWithExtract(t, "extract", "--demo", "--max", "1", "-o", "-")
	if code != ExitOK || !strings.HasPrefix(stdout, "\x0a\x0d\x0d\x0a") || !strings.Contains(stderr, "first SIP 503") {
		t.Errorf("-o -: exit %d, stdout %q…, stderr %s", code, stdout[:min(len(stdout), 8)], stderr)
	}
	p := filepath.Join(dir, "stdout.pcapng")
	os.WriteFile(p, []byte(stdout), 0o644)
	if rows := comments(t, p); len(rows) != 3+14 {
		t.Errorf("-o -: %d frames, want the first failure's 3 and one answered call's 14", len(rows))
	}
}

func TestExtractFixture(t *testing.T) {
	needTshark(t)
	dir := "../../testdata/fixtures/tcp-refused"
	ev := filepath.Join(t.TempDir(), "refused.pcapng")
	code, stdout, stderr := runWithExtract(t, "extract", filepath.Join(dir, "results.jtl"), filepath.Join(dir, "capture.pcapng.gz"),
		"--layer", "tcp", "--status", "refused", "--max", "4", "-o", ev)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if n := strings.Count(stdout, "2 packets    refused: SYN answered by RST at"); n != 4 {
		t.Errorf("listed:\n%s", stdout)
	}
	rows := comments(t, ev)
	if len(rows) != 8 {
		t.Fatalf("%d frames, want a SYN and a RST for each of 4 refusals", len(rows))
	}
	for _, r := range rows {
		if len(r) != 1 || !strings.HasPrefix(r[0], "refused: SYN answered by RST at ") {
			t.Errorf("comment %q", r)
		}
	}
}

func TestExtractUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"extract", "--demo", "--layer", "udp"}, ExitUsage, "--layer"},
		{[]string{"extract", "--demo", "--from", "yesterday"}, ExitUsage, "--from"},
		{[]string{"extract", "--demo", "--to", "-3"}, ExitUsage, "--to"},
		{[]string{"extract", "--demo", "--max", "-1"}, ExitUsage, "--max"},
		{[]string{"extract"}, ExitUsage, "no input files"},
		{[]string{"extract", "no-such-file.pcap"}, ExitBadInput, "no-such-file.pcap"},
	} {
		code, _, stderr := runWithExtract(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.msg) {
			t.Errorf("%v: exit %d, %q", c.args, code, stderr)
		}
	}
	code, out, _ := runWithExtract(t, "extract", "--help")
	if code != ExitOK {
		t.Fatal(code)
	}
	for _, want := range []string{"--call-id", "--trace-id", "--layer", "--status", "--from", "--to", "--max", "--edge", "--demo", "Examples:"} {
		if !strings.Contains(out, want) {
			t.Errorf("extract --help lacks %q", want)
		}
	}
}

// TestAnalyzeEvidenceInOrder: the evidence is cut beside the HTML
// report's charts, yet what analyze prints and writes comes as when it was
// cut first: its message before the report's, and when it fails, its
// error alone, with no summary on stdout and no report written.
func TestAnalyzeEvidenceInOrder(t *testing.T) {
	for _, tc := range []struct {
		name     string
		evidence string // under the test's folder
		code     int
		stderr   []string // in this order
		reports  bool     // the summary, the JSON and the HTML written
	}{
		{"written", "evidence.pcapng", ExitOK, []string{"ceiling: wrote {dir}/evidence.pcapng (37 packets of 5 attempts)", "ceiling: wrote {dir}/report.html"}, true},
		{"no folder", "missing/evidence.pcapng", ExitOutput, []string{"evidence: open {dir}/missing/.evidence.pcapng."}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			html, js := filepath.Join(dir, "report.html"), filepath.Join(dir, "summary.json")
			code, stdout, stderr := runCLI(t, "analyze", "--demo", "-o", html, "--json", js, "--evidence", filepath.Join(dir, tc.evidence))
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, stderr)
			}
			at := 0
			for _, want := range tc.stderr {
				want = strings.ReplaceAll(want, "{dir}", dir)
				k := strings.Index(stderr[at:], want)
				if k < 0 {
					t.Fatalf("stderr lacks %q after byte %d:\n%s", want, at, stderr)
				}
				at += k + len(want)
			}
			if got := strings.Contains(stdout, "verdict: sip 503"); got != tc.reports {
				t.Errorf("summary on stdout: %v, want %v:\n%s", got, tc.reports, stdout)
			}
			for _, p := range []string{html, js} {
				if _, err := os.Stat(p); (err == nil) != tc.reports {
					t.Errorf("%s written: %v, want %v", p, err == nil, tc.reports)
				}
			}
		})
	}
}
