package pipeline

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ceiling-dev/ceiling/correlate"
)

type tlsMeta struct {
	Check struct {
		TLS struct {
			Connections int `json:"connections"`
		} `json:"tls"`
	} `json:"check"`
	Decrypted struct {
		SIP struct {
			Requests  map[string]int64 `json:"requests"`
			Responses map[string]int64 `json:"responses"`
		} `json:"sip"`
		HTTP struct {
			Requests  map[string]int64 `json:"requests"`
			Responses map[string]int64 `json:"responses"`
		} `json:"http"`
	} `json:"tshark_decrypted_counts"`
	Expected struct {
		Layer        string `json:"layer"`
		Status       string `json:"status"`
		FirstFailure struct {
			Concurrency int32 `json:"concurrency"`
		} `json:"first_failure"`
	} `json:"expected_verdict"`
	Twin struct {
		Meta string `json:"meta"`
	} `json:"plaintext_twin"`
}

// TestTLSFixtures: SIP over TLS and WSS runs against real TLS edges
// (kamailio's tls module, nginx), TLS 1.2 and 1.3, each AEAD. With the key
// log the verdict is the one the fixture's checker found in tshark's
// decryption (and the plaintext twin's: same layer, status,
// concurrency), and the decrypted SIP and HTTP counts are tshark's.
// Without it the report says what it could not see, and still gives the
// TCP and TLS facts. With a wrong key log nothing is opened and every
// connection is reported; with half of it, half are read.
func TestTLSFixtures(t *testing.T) {
	dirs, _ := filepath.Glob("../testdata/fixtures-tls/*")
	if len(dirs) == 0 {
		t.Fatal("no TLS fixtures")
	}
	for _, dir := range dirs {
		var m tlsMeta
		b, err := os.ReadFile(filepath.Join(dir, "meta.json"))
		if err != nil {
			continue
		}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		capture := filepath.Join(dir, "capture.pcapng.gz")
		jtl := filepath.Join(dir, "results.jtl")
		keylog := filepath.Join(dir, "keylog.txt")
		name := filepath.Base(dir)
		t.Run(name+"/keylog", func(t *testing.T) {
			doc, err := Run(Config{Paths: []string{jtl, capture}, KeyLogs: []string{keylog}})
			if err != nil {
				t.Fatal(err)
			}
			checkVerdict(t, doc.Result, m.Expected.Layer, m.Expected.Status, m.Expected.FirstFailure.Concurrency)
			r := doc.Result
			for method, n := range m.Decrypted.SIP.Requests {
				if r.SIP.Requests[method] != n {
					t.Errorf("SIP %s: ceiling %d, tshark decrypted %d", method, r.SIP.Requests[method], n)
				}
			}
			for code, n := range m.Decrypted.SIP.Responses {
				c, _ := strconv.Atoi(code)
				if r.SIP.Responses[c] != n {
					t.Errorf("SIP %s: ceiling %d, tshark decrypted %d", code, r.SIP.Responses[c], n)
				}
			}
			if len(m.Decrypted.HTTP.Responses) > 0 {
				ws := layerOf(r, correlate.LayerWebSocket)
				if ws == nil {
					t.Fatal("no WebSocket layer")
				}
				for code, n := range m.Decrypted.HTTP.Responses {
					if ws.Codes[code] != n {
						t.Errorf("upgrades answered %s: ceiling %d, tshark decrypted %d", code, ws.Codes[code], n)
					}
				}
			}
			for _, n := range r.Notes {
				if strings.Contains(n, "could not be read") {
					t.Errorf("with the key log: %s", n)
				}
			}
			if m.Twin.Meta != "" {
				var twin fixtureMeta
				tb, err := os.ReadFile(filepath.Join("..", m.Twin.Meta))
				if err != nil {
					t.Fatal(err)
				}
				json.Unmarshal(tb, &twin)
				if r.Verdict.Layer.String() != twin.Expected.Layer || r.Verdict.Status != twin.Expected.Status || int(r.Verdict.FirstFailure.Concurrency) != twin.Expected.FirstFailure.Concurrency {
					t.Errorf("decrypted verdict %s %s %d, the plaintext twin's %s %s %d", r.Verdict.Layer, r.Verdict.Status, r.Verdict.FirstFailure.Concurrency,
						twin.Expected.Layer, twin.Expected.Status, twin.Expected.FirstFailure.Concurrency)
				}
			}
		})
		t.Run(name+"/no-keylog", func(t *testing.T) {
			doc, err := Run(Config{Paths: []string{jtl, capture}})
			if err != nil {
				t.Fatal(err)
			}
			r := doc.Result
			if !noted(r, "could not be read: no key log given") {
				t.Errorf("notes %q", r.Notes)
			}
			if tl := layerOf(r, correlate.LayerTLS); tl == nil || tl.Attempts != int64(m.Check.TLS.Connections) || m.Check.TLS.Connections == 0 {
				t.Errorf("TLS layer has %d handshakes, tshark %d", tl.Attempts, m.Check.TLS.Connections)
			}
			// The JTL alone still names the layer and status.
			if r.Verdict.Layer.String() != m.Expected.Layer || r.Verdict.Status != m.Expected.Status {
				t.Errorf("verdict %s %s", r.Verdict.Layer, r.Verdict.Status)
			}
		})
		t.Run(name+"/wrong-keylog", func(t *testing.T) {
			wrong := rewriteKeylog(t, keylog, func(i int, fields []string) []string {
				fields[2] = strings.Repeat("ab", len(fields[2])/2)
				return fields
			})
			doc, err := Run(Config{Paths: []string{capture}, KeyLogs: []string{wrong}})
			if err != nil {
				t.Fatal(err)
			}
			r := doc.Result
			if len(r.SIP.Requests) != 0 || !noted(r, "do not decrypt them") {
				t.Errorf("SIP %v, notes %q", r.SIP.Requests, r.Notes)
			}
		})
		t.Run(name+"/half-keylog", func(t *testing.T) {
			kept := map[string]bool{}
			half := rewriteKeylog(t, keylog, func(i int, fields []string) []string {
				if _, ok := kept[fields[1]]; !ok {
					kept[fields[1]] = len(kept)%2 == 0
				}
				if !kept[fields[1]] {
					return nil
				}
				return fields
			})
			doc, err := Run(Config{Paths: []string{capture}, KeyLogs: []string{half}})
			if err != nil {
				t.Fatal(err)
			}
			if !noted(doc.Result, "the key log has no secrets for them") {
				t.Errorf("notes %q", doc.Result.Notes)
			}
		})
	}
	// The same run with its key log inside the pcapng, as a Decryption
	// Secrets Block: read without being asked.
	dsb, _ := filepath.Glob("../testdata/fixtures-tls/*/capture-dsb.pcapng.gz")
	for _, c := range dsb {
		dir := filepath.Dir(c)
		var m tlsMeta
		b, _ := os.ReadFile(filepath.Join(dir, "meta.json"))
		json.Unmarshal(b, &m)
		t.Run(filepath.Base(dir)+"/secrets-block", func(t *testing.T) {
			doc, err := Run(Config{Paths: []string{filepath.Join(dir, "results.jtl"), c}})
			if err != nil {
				t.Fatal(err)
			}
			checkVerdict(t, doc.Result, m.Expected.Layer, m.Expected.Status, m.Expected.FirstFailure.Concurrency)
			if doc.Result.Basis != "capture+jtl" || noted(doc.Result, "could not be read") {
				t.Errorf("basis %s notes %q", doc.Result.Basis, doc.Result.Notes)
			}
		})
	}
}

func checkVerdict(t *testing.T, r *correlate.Result, layer, status string, conc int32) {
	t.Helper()
	v := r.Verdict
	if v.Layer.String() != layer || v.Status != status || v.FirstFailure == nil || v.FirstFailure.Concurrency != conc {
		t.Fatalf("verdict %s %s %+v, want %s %s at %d", v.Layer, v.Status, v.FirstFailure, layer, status, conc)
	}
	if lr := layerOf(r, v.Layer); lr.Basis != "capture" {
		t.Errorf("the %s layer's account comes from the %s, not the capture", v.Layer, lr.Basis)
	}
}

func layerOf(r *correlate.Result, l correlate.Layer) *correlate.LayerResult {
	for _, lr := range r.Layers {
		if lr.Layer == l {
			return lr
		}
	}
	return nil
}

func noted(r *correlate.Result, s string) bool {
	for _, n := range r.Notes {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// rewriteKeylog writes a changed copy of a key log: edit gets each line's
// fields (label, client random, secret) and returns them changed, or nil
// to drop the line.
func rewriteKeylog(t *testing.T, path string, edit func(int, []string) []string) string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := filepath.Join(t.TempDir(), "keylog.txt")
	var lines []string
	sc := bufio.NewScanner(f)
	for i := 0; sc.Scan(); i++ {
		fields := strings.Fields(sc.Text())
		if len(fields) != 3 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		if e := edit(i, fields); e != nil {
			lines = append(lines, strings.Join(e, " "))
		}
	}
	if err := os.WriteFile(out, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// The public SIP-over-TLS capture (TLS 1.3 draft 21, no key anywhere) is
// reported as TLS that could not be read, cleanly: the TCP and TLS facts,
// nothing skipped.
func TestUnreadableTLSCorpus(t *testing.T) {
	path := "../../shared/corpus/pcap/wsample_sip-tls-1.3-and-rtcp_sip.pcap"
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	doc, err := Run(Config{Paths: []string{path}})
	if err != nil {
		t.Fatal(err)
	}
	r := doc.Result
	if !noted(r, "TLS to port 5061 (SIP over TLS): 1 connection could not be read: no key log given") {
		t.Errorf("notes %q", r.Notes)
	}
	if tl := layerOf(r, correlate.LayerTLS); tl == nil || tl.Attempts != 2 || tl.Failures != 0 {
		t.Errorf("tls layer %+v", tl)
	}
	if doc.Skipped() != 0 || r.Verdict.Failed {
		t.Errorf("skipped %d, verdict %+v", doc.Skipped(), r.Verdict)
	}
}
