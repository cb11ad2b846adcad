package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// --embed-secrets: the evidence of a SIP-over-TLS run carries the secrets
// of its own connections, and only theirs, so that tshark reads the SIP
// inside without being given the key log; --redact never lets them in.
func TestEmbedSecrets(t *testing.T) {
	needTshark(t)
	d := "../../testdata/fixtures-tls/sip-tls-limit-13-aes128"
	ev := filepath.Join(t.TempDir(), "ev.pcapng")
	code, _, stderr := runCLI(t, "extract", filepath.Join(d, "capture.pcapng.gz"), filepath.Join(d, "results.jtl"),
		"--keylog", filepath.Join(d, "keylog.txt"), "--embed-secrets", "-o", ev, "-q")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	out, err := exec.Command("tshark", "-r", ev, "-Y", "sip.Status-Code == 503", "-T", "fields", "-e", "sip.Call-ID").Output()
	if err != nil || strings.Count(string(out), "\n") < 3 {
		t.Fatalf("tshark sees %q in the evidence (%v): the secrets block did not open it", out, err)
	}
	// Every secret in the block belongs to a connection in the file.
	randoms, err := exec.Command("tshark", "-r", ev, "-Y", "tls.handshake.type == 1", "-T", "fields", "-e", "tls.handshake.random").Output()
	if err != nil {
		t.Fatal(err)
	}
	in := map[string]bool{}
	for _, r := range strings.Fields(string(randoms)) {
		in[strings.ReplaceAll(r, ":", "")] = true
	}
	dump, err := os.ReadFile(ev)
	if err != nil {
		t.Fatal(err)
	}
	all, _ := os.ReadFile(filepath.Join(d, "keylog.txt"))
	kept, left := 0, 0
	for _, line := range strings.Split(string(all), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		if strings.Contains(string(dump), line) {
			kept++
			if !in[f[1]] {
				t.Errorf("the block holds the secrets of a connection not in the file: %s", f[1])
			}
		} else {
			left++
		}
	}
	if kept == 0 || left == 0 {
		t.Errorf("%d key log lines in the file, %d left out: want some of each", kept, left)
	}

	red := filepath.Join(t.TempDir(), "red.zip")
	code, _, stderr = runCLI(t, "analyze", filepath.Join(d, "capture.pcapng.gz"), "--keylog", filepath.Join(d, "keylog.txt"),
		"--embed-secrets", "--redact", "--bundle", red, "-q")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if b := readZip(t, red)["evidence.pcapng"]; strings.Contains(string(b), "TRAFFIC_SECRET") {
		t.Error("a redacted bundle's evidence carries TLS secrets")
	}
}
