package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestRedactedBundle: a redacted bundle holds none of the original phone
// numbers, SIP user names or client addresses in any of its files, the
// pcapng as tshark decodes it included; and its evidence still gives the
// verdict the unredacted evidence gives.
func TestRedactedBundle(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tshark is not installed; .ci/run installs it")
		}
		t.Skip("tshark not installed")
	}
	for _, name := range []string{"goffinet_private-test-sip.pcapng", "sngrep_aaa.pcap"} {
		t.Run(name, func(t *testing.T) {
			src := filepath.Join("../../../shared/corpus/pcap", name)
			if _, err := os.Stat(src); err != nil {
				if os.Getenv("CI") != "" {
					t.Fatal(err)
				}
				t.Skip(err)
			}
			dir := t.TempDir()
			plain, red := filepath.Join(dir, "plain.zip"), filepath.Join(dir, "red.zip")
			if code, _, stderr := runCLI(t, "analyze", src, "-q", "--bundle", plain); code != ExitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if code, _, stderr := runCLI(t, "analyze", src, "-q", "--bundle", red, "--redact"); code != ExitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}

			// What must not survive: SIP users (names and numbers) and every
			// address but the edges', as tshark reads them off the original.
			var summary struct {
				Layers map[string]struct {
					Edges []string `json:"edges"`
				} `json:"layers"`
			}
			json.Unmarshal(readZip(t, plain)["summary.json"], &summary)
			edges := map[string]bool{}
			for _, l := range summary.Layers {
				for _, e := range l.Edges {
					edges[e[:strings.LastIndex(e, ":")]] = true
				}
			}
			out, err := exec.Command(tshark, "-r", src, "-Y", "sip", "-T", "fields", "-E", "separator=\n",
				"-e", "sip.from.user", "-e", "sip.to.user", "-e", "sip.r-uri.user", "-e", "ip.src", "-e", "ip.dst").Output()
			if err != nil {
				t.Fatal(err)
			}
			secret := map[string]bool{}
			for _, v := range strings.Split(string(out), "\n") {
				v = strings.TrimSpace(v)
				switch {
				case v == "" || edges[v]:
				case regexp.MustCompile(`^\d+\.\d+\.\d+\.\d+$`).MatchString(v):
					if !strings.HasPrefix(v, "127.") {
						secret[v] = true
					}
				case len(v) >= 6 || regexp.MustCompile(`[a-zA-Z]`).MatchString(v) && len(v) >= 4:
					secret[v] = true
				}
			}
			if len(secret) == 0 {
				t.Fatal("nothing to look for")
			}
			files := readZip(t, red)
			ev := filepath.Join(dir, "red.pcapng")
			writeFile(t, ev, files["evidence.pcapng"])
			dissected, err := exec.Command(tshark, "-r", ev, "-V").Output()
			if err != nil {
				t.Fatal(err)
			}
			files["tshark -V evidence.pcapng"] = dissected
			for s := range secret {
				// Whole tokens: 172.16.98.1 must not be found inside the
				// edge's 172.16.98.102.
				re := regexp.MustCompile(`(^|[^0-9A-Za-z.])` + regexp.QuoteMeta(s) + `($|[^0-9A-Za-z])`)
				for f, b := range files {
					if re.Match(b) {
						t.Errorf("%q is still in %s", s, f)
					}
				}
			}

			// The evidence, redacted or not, tells the same story.
			pev := filepath.Join(dir, "plain.pcapng")
			writeFile(t, pev, readZip(t, plain)["evidence.pcapng"])
			verdict := func(p string) string {
				_, out, _ := runCLI(t, "analyze", p, "--json", "-", "-q")
				var s struct {
					Verdict struct {
						Layer, Status string
						First         struct{ Concurrency int } `json:"first_failure"`
					}
				}
				json.Unmarshal([]byte(out), &s)
				return s.Verdict.Layer + " " + s.Verdict.Status
			}
			if a, b := verdict(pev), verdict(ev); a != b || a == " " {
				t.Errorf("verdict on the evidence %q, redacted %q", a, b)
			}
		})
	}
}
