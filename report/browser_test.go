package report_test

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ceiling-dev/ceiling/pipeline"
	"github.com/ceiling-dev/ceiling/report"
)

var screenshot = flag.String("screenshot", "", "also write a screenshot of the demo report to this PNG (docs/report.png for the README)")

// chromium finds Debian's chromium; CI installs it (.ci/run), elsewhere the
// test skips without it.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed; .ci/run installs it")
	}
	t.Skip("chromium not installed")
	return ""
}

// headless runs chromium on a local file with the flags that keep it off
// the network, and returns its stdout and stderr.
func headless(t *testing.T, bin string, args ...string) (string, string) {
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-extensions", "--enable-logging=stderr", "--v=0",
		"--user-data-dir=" + t.TempDir()}
	cmd := exec.Command(bin, append(base, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("chromium: %v\n%s", err, errb.String())
		}
	case <-time.After(90 * time.Second):
		cmd.Process.Kill()
		t.Fatal("chromium did not finish in 90 s")
	}
	return out.String(), errb.String()
}

// TestReportInBrowser renders the demo's HTML report in a real browser:
// no console errors, and the verdict, every chart and the tables are in
// the rendered page.
func TestReportInBrowser(t *testing.T) {
	bin := chromium(t)
	doc, err := pipeline.Run(pipeline.Config{Paths: []string{"../testdata/demo/spike.jtl", "../testdata/demo/spike.pcapng.gz"}, Tool: "ceiling test"})
	if err != nil {
		t.Fatal(err)
	}
	var html bytes.Buffer
	if err := report.WriteHTML(&html, doc); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	if err := os.WriteFile(page, html.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	url := "file://" + page
	dom, logs := headless(t, bin, "--dump-dom", url)
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, "CONSOLE") && (strings.Contains(line, "ERROR") || strings.Contains(strings.ToLower(line), "uncaught")) {
			t.Errorf("console error: %s", line)
		}
		if strings.Contains(line, "Failed to load resource") {
			t.Errorf("the report tried to load something: %s", line)
		}
	}
	checks := []struct {
		what string
		re   string
		min  int
	}{
		{"the verdict section", `id="verdict"`, 1},
		{"the verdict sentence", regexp.QuoteMeta("began answering INVITE with SIP 503"), 1},
		{"charts rendered as SVG", `<svg`, 4},
		{"the layers table", `id="layers"`, 1},
		{"the first failures table", `<table class="failures"`, 1},
		{"a Call-ID in the failures table", `t101-i0001@127\.0\.0\.1`, 1},
		{"the correlation section", `id="correlation"`, 1},
		{"the inputs section", `id="inputs"`, 1},
	}
	for _, c := range checks {
		if n := len(regexp.MustCompile(c.re).FindAllStringIndex(dom, -1)); n < c.min {
			t.Errorf("%s: %d found in the rendered page, want at least %d", c.what, n, c.min)
		}
	}
	shot := filepath.Join(dir, "shot.png")
	if *screenshot != "" {
		shot = *screenshot
	}
	headless(t, bin, "--screenshot="+shot, "--window-size=1280,2400", "--hide-scrollbars", url)
	st, err := os.Stat(shot)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if st.Size() < 20000 {
		t.Errorf("screenshot of %d bytes: the page did not paint", st.Size())
	}
}
