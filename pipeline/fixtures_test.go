package pipeline

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// fixtureMeta is what testdata/gen/edge/make.sh recorded about a run: the
// configured limit, and the verdict its own checker (python3 + tshark,
// independent of ceiling) computed from the capture.
type fixtureMeta struct {
	Parameters struct {
		Limit int `json:"LIMIT"`
	} `json:"parameters"`
	Expected struct {
		Layer        string `json:"layer"`
		Status       string `json:"status"`
		Kind         string `json:"kind"`
		FirstFailure struct {
			Concurrency int `json:"concurrency"`
		} `json:"first_failure"`
	} `json:"expected_verdict"`
}

// TestEdgeFixtures runs every fixture of testdata/fixtures (real programs:
// nginx, kamailio, iptables, JMeter, tcpdump) with its JTL and its capture,
// and with the capture alone: the verdict's layer, status and kind are the
// expected ones, and the first failure's concurrency is within 5 % of the
// one the fixture's checker counted (the configured limit + 1).
func TestEdgeFixtures(t *testing.T) {
	dirs, _ := filepath.Glob("../testdata/fixtures/*")
	if len(dirs) == 0 {
		t.Fatal("no fixtures")
	}
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, "meta.json"))
		if err != nil {
			continue
		}
		var m fixtureMeta
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		capture, _ := filepath.Glob(filepath.Join(dir, "capture.*"))
		inputs := map[string][]string{
			"jtl+capture": append([]string{filepath.Join(dir, "results.jtl")}, capture...),
			"capture":     capture,
		}
		for name, paths := range inputs {
			t.Run(filepath.Base(dir)+"/"+name, func(t *testing.T) {
				if name == "capture" && m.Expected.Layer == "client" {
					t.Skip("a failure of the load generator itself is in the JTL only")
				}
				doc, err := Run(Config{Paths: paths})
				if err != nil {
					t.Fatal(err)
				}
				v := doc.Result.Verdict
				if v.Layer.String() != m.Expected.Layer || v.Status != m.Expected.Status {
					t.Fatalf("verdict %s %s, want %s %s: %s", v.Layer, v.Status, m.Expected.Layer, m.Expected.Status, v.Text)
				}
				if m.Expected.Kind != "" && v.Kind.String() != m.Expected.Kind {
					t.Errorf("kind %s, want %s", v.Kind, m.Expected.Kind)
				}
				want := float64(m.Expected.FirstFailure.Concurrency)
				got := float64(v.FirstFailure.Concurrency)
				if math.Abs(got-want) > 0.05*want {
					t.Errorf("first failure at %v, the fixture's checker counted %v", got, want)
				}
				if m.Parameters.Limit > 0 && math.Abs(got-float64(m.Parameters.Limit+1)) > 0.05*float64(m.Parameters.Limit+1) {
					t.Errorf("first failure at %v, configured limit %d", got, m.Parameters.Limit)
				}
				if doc.Skipped() != 0 {
					t.Errorf("skipped %d: %v", doc.Skipped(), doc.Problems)
				}
				if name == "jtl+capture" {
					// Every sample is accounted for on the wire: joined to
					// its attempt, linked to the connection under a layer
					// the capture cannot read, or a failure of the load
					// generator that never reached the wire.
					c := doc.Result.Correlation
					var client int64
					for _, lr := range doc.Result.Layers {
						if lr.Layer.String() == "client" {
							client = lr.Attempts
						}
					}
					if got := c.Matched + c.Linked + c.NoSYN + client; got < c.JTLSamples*99/100 {
						t.Errorf("only %d of %d samples accounted for: %+v", got, c.JTLSamples, c)
					}
				}
			})
		}
	}
}
