package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/ceiling -update)", err)
	}
	if string(want) != got {
		os.WriteFile(path+".got", []byte(got), 0o644)
		t.Errorf("%s differs; got written to %s.got", path, path)
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := runCLI(t, "version")
	if code != ExitOK || !strings.HasPrefix(out, "ceiling ") {
		t.Fatalf("%d %q", code, out)
	}
}

func TestHelp(t *testing.T) {
	code, out, _ := runCLI(t, "analyze", "--help")
	if code != ExitOK {
		t.Fatal(code)
	}
	for _, want := range []string{"--demo", "--json", "--png", "--clock-offset", "Examples:"} {
		if !strings.Contains(out, want) {
			t.Errorf("analyze --help lacks %q", want)
		}
	}
	_, out, _ = runCLI(t, "--help")
	if !strings.Contains(out, "ceiling analyze --demo -o report.html") {
		t.Error("root help does not show the first command to run")
	}
}

func TestUsageErrors(t *testing.T) {
	cases := [][]string{
		{"analyze"},
		{"analyze", "--no-such-flag", "x"},
		{"analyze", "--ts", "middle", "x.jtl"},
		{"analyze", "--edge", "not-an-address", "x.jtl"},
		{"analyze", "--clock-offset", "soon", "x.jtl"},
		{"frobnicate"},
	}
	for _, args := range cases {
		code, _, stderr := runCLI(t, args...)
		if code != ExitUsage {
			t.Errorf("%v: exit %d, want %d (stderr %q)", args, code, ExitUsage, stderr)
		}
		if stderr == "" {
			t.Errorf("%v: no message", args)
		}
	}
}

func TestBadInputFiles(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.jtl")
	os.WriteFile(empty, nil, 0o644)
	binary := filepath.Join(dir, "random.bin")
	os.WriteFile(binary, []byte{0, 1, 2, 3, 0xff, 0xfe, 9, 9, 9}, 0o644)
	cases := []struct{ path, want string }{
		{filepath.Join(dir, "missing.pcap"), "missing.pcap"},
		{empty, "empty.jtl: empty file"},
		{binary, "random.bin: not a JMeter JTL"},
		{dir, "is a directory"},
	}
	for _, c := range cases {
		code, _, stderr := runCLI(t, "analyze", c.path)
		if code != ExitBadInput || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: exit %d stderr %q; want %d and %q", c.path, code, stderr, ExitBadInput, c.want)
		}
	}
}

// The demo runs from the binary alone, and its text summary and JSON are
// pinned.
func TestDemo(t *testing.T) {
	dir := t.TempDir()
	js := filepath.Join(dir, "summary.json")
	html := filepath.Join(dir, "report.html")
	png := filepath.Join(dir, "charts")
	code, out, stderr := runCLI(t, "analyze", "--demo", "--json", js, "-o", html, "--png", png)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	golden(t, "demo.txt", out)
	var s map[string]interface{}
	b, _ := os.ReadFile(js)
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if s["schema"] != "ceiling.summary/v1" {
		t.Errorf("schema %v", s["schema"])
	}
	v := s["verdict"].(map[string]interface{})
	if v["layer"] != "sip" || v["status"] != "503" || v["kind"] != "capacity" || v["failed"] != true {
		t.Errorf("verdict %v", v)
	}
	ff := v["first_failure"].(map[string]interface{})
	for _, k := range []string{"time", "concurrency", "threads", "call_id", "trace_id"} {
		if _, ok := ff[k]; !ok {
			t.Errorf("first_failure lacks %q", k)
		}
	}
	for _, k := range []string{"inputs", "layers", "correlation"} {
		if _, ok := s[k]; !ok {
			t.Errorf("summary lacks %q", k)
		}
	}
	corr := s["correlation"].(map[string]interface{})
	for _, k := range []string{"jtl_samples", "matched", "by_call_id", "by_trace_id", "by_flow", "clock_offset_ms"} {
		if _, ok := corr[k]; !ok {
			t.Errorf("correlation lacks %q", k)
		}
	}
	if st, err := os.Stat(html); err != nil || st.Size() < 10000 {
		t.Errorf("html report: %v", err)
	}
	pngs, _ := filepath.Glob(filepath.Join(png, "*.png"))
	if len(pngs) < 4 {
		t.Errorf("png charts: %v", pngs)
	}
}

// Damaged records are skipped, named with file and position, counted, and
// the run still succeeds with the same verdict.
func TestDamagedInputsAreSkipped(t *testing.T) {
	dir := t.TempDir()
	jtl, _ := os.ReadFile("../../testdata/demo/spike.jtl")
	lines := strings.SplitAfter(string(jtl), "\n")
	lines = append(lines[:10], append([]string{"this is not a sample\n"}, lines[10:]...)...)
	badJTL := filepath.Join(dir, "bad.jtl")
	os.WriteFile(badJTL, []byte(strings.Join(lines, "")), 0o644)

	f, _ := os.Open("../../testdata/demo/spike.pcapng.gz")
	zr, _ := gzip.NewReader(f)
	pcap, _ := io.ReadAll(zr)
	f.Close()
	cut := filepath.Join(dir, "cut.pcapng")
	os.WriteFile(cut, pcap[:len(pcap)-1000], 0o644)

	js := filepath.Join(dir, "s.json")
	code, out, stderr := runCLI(t, "analyze", badJTL, cut, "--json", js)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "bad.jtl:11") {
		t.Errorf("stderr does not name the bad line: %q", stderr)
	}
	if !strings.Contains(stderr, "cut.pcapng") {
		t.Errorf("stderr does not name the truncated capture: %q", stderr)
	}
	if !strings.Contains(out, "verdict: sip 503") || !strings.Contains(out, "skipped: 2") {
		t.Errorf("summary: %s", out)
	}
	var s struct {
		Inputs []struct {
			Path      string
			Skipped   int64
			Truncated bool
		}
	}
	b, _ := os.ReadFile(js)
	json.Unmarshal(b, &s)
	if len(s.Inputs) != 2 || s.Inputs[0].Skipped != 1 || s.Inputs[1].Skipped != 1 || !s.Inputs[1].Truncated {
		t.Errorf("inputs %+v", s.Inputs)
	}
}

// A header-less JTL whose first column is a label is only recognisable
// once its columns are named.
func TestHeaderlessWithColumns(t *testing.T) {
	path := "../../testdata/jtl/jmeter_Bug52968.csv"
	if code, _, stderr := runCLI(t, "analyze", path); code != ExitBadInput || !strings.Contains(stderr, "not a JMeter JTL") {
		t.Errorf("without columns: exit %d %q", code, stderr)
	}
	code, out, stderr := runCLI(t, "analyze", path, "--jtl-columns", "label,responseCode,responseMessage,threadName,dataType,success,grpThreads,allThreads,SampleCount,ErrorCount")
	if code != ExitOK || !strings.Contains(out, "60 samples") {
		t.Errorf("with columns: exit %d\n%s\n%s", code, out, stderr)
	}
}
