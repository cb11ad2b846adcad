package main

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func readZip(t *testing.T, path string) map[string][]byte {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		out[f.Name] = b
	}
	return out
}

// The support bundle of the demo: every member, a README that names the
// inputs with their SHA-256 and the clock offset, a CSV of every failure,
// and an evidence pcapng that tshark reads.
func TestBundleDemo(t *testing.T) {
	dir := t.TempDir()
	zipPath := filepath.Join(dir, "evidence.zip")
	code, _, stderr := runCLI(t, "analyze", "--demo", "-q", "--bundle", zipPath)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	files := readZip(t, zipPath)
	for _, name := range []string{"report.html", "summary.json", "failures.csv", "evidence.pcapng", "README.txt"} {
		if len(files[name]) == 0 {
			t.Errorf("bundle lacks %s", name)
		}
	}
	readme := string(files["README.txt"])
	for _, want := range []string{"demo/spike.jtl", "demo/spike.pcapng.gz", "SHA-256", "Clock offset used", "ceiling analyze --demo"} {
		if !strings.Contains(readme, want) {
			t.Errorf("README.txt lacks %q:\n%s", want, readme)
		}
	}
	rows, err := csv.NewReader(bytes.NewReader(files["failures.csv"])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+1146 || rows[1][1] != "sip" || rows[1][2] != "503" || !strings.Contains(rows[1][6], "t101-i0001") {
		t.Errorf("failures.csv: %d rows, first %v", len(rows), rows[1])
	}
	if !strings.Contains(string(files["report.html"]), `id="ladders"`) {
		t.Error("the bundle's report has no ladders")
	}
	if tshark, err := exec.LookPath("tshark"); err == nil {
		ev := filepath.Join(dir, "ev.pcapng")
		writeFile(t, ev, files["evidence.pcapng"])
		out, err := exec.Command(tshark, "-r", ev, "-Y", "sip.Status-Code == 503").Output()
		if err != nil || strings.Count(string(out), "\n") < 3 {
			t.Errorf("tshark on the bundle's evidence: %v\n%s", err, out)
		}
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
