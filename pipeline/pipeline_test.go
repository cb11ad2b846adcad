package pipeline

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ceiling-dev/ceiling/correlate"
)

// spikeMeta is what testdata/gen/spike/make.sh recorded about the demo run.
type spikeMeta struct {
	Parameters struct {
		N int `json:"N_max_dialogs"`
	} `json:"parameters"`
	Summary struct {
		InviteTransactions int `json:"invite_transactions"`
		Responses503       int `json:"responses_503"`
		AnsweredCalls      int `json:"answered_calls"`
		JTLRows            int `json:"jtl_rows"`
		FirstConcurrency   int `json:"first_503_concurrency_including_rejected"`
		FirstThreads       int `json:"first_503_allThreads"`
	} `json:"summary"`
	Check struct {
		First503 struct {
			CallID string `json:"call_id"`
		} `json:"first_503"`
	} `json:"check"`
}

func readMeta(t *testing.T) spikeMeta {
	t.Helper()
	b, err := os.ReadFile("../testdata/demo/spike.meta.json")
	if err != nil {
		t.Fatal(err)
	}
	var m spikeMeta
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m.Parameters.N == 0 {
		t.Fatal("spike.meta.json has no N")
	}
	return m
}

// The spike fixture: JMeter against kamailio limited to N dialogs. The
// verdict must name SIP 503 at N (+1, the rejected INVITE itself) within
// 5 %, match at least 99 % of the samples by Call-ID, and agree with what
// tshark counted on the capture (spike.meta.json), for the CSV JTL and the
// XML JTL of the same run alike.
func TestSpikeFixture(t *testing.T) {
	meta := readMeta(t)
	for _, jtlFile := range []string{"spike.jtl", "spike.xml.jtl.gz"} {
		t.Run(jtlFile, func(t *testing.T) {
			doc, err := Run(Config{Paths: []string{
				filepath.Join("../testdata/demo", jtlFile),
				"../testdata/demo/spike.pcapng.gz",
			}})
			if err != nil {
				t.Fatal(err)
			}
			r := doc.Result
			v := r.Verdict
			if !v.Failed || v.Layer != correlate.LayerSIP || v.Status != "503" || v.Kind != correlate.KindCapacity {
				t.Fatalf("verdict %v %s %v", v.Layer, v.Status, v.Kind)
			}
			n := float64(meta.Parameters.N)
			c := float64(v.FirstFailure.Concurrency)
			if c < 0.95*n || c > 1.05*n+1 {
				t.Errorf("first failure at %v dialogs, edge limit %v", c, n)
			}
			if int(v.FirstFailure.Concurrency) != meta.Summary.FirstConcurrency {
				t.Errorf("first failure at %d dialogs, the fixture's own count says %d", v.FirstFailure.Concurrency, meta.Summary.FirstConcurrency)
			}
			if v.FirstFailure.CallID != meta.Check.First503.CallID {
				t.Errorf("first failure Call-ID %s, fixture says %s", v.FirstFailure.CallID, meta.Check.First503.CallID)
			}
			if int(v.FirstFailure.Threads) != meta.Summary.FirstThreads {
				t.Errorf("threads %d, fixture says %d", v.FirstFailure.Threads, meta.Summary.FirstThreads)
			}
			if v.Sustained == nil || float64(v.Sustained.Concurrency) > 1.05*n+1 {
				t.Errorf("sustained %+v", v.Sustained)
			}
			cor := r.Correlation
			if cor.JTLSamples != int64(meta.Summary.JTLRows) {
				t.Errorf("JTL samples %d, fixture rows %d", cor.JTLSamples, meta.Summary.JTLRows)
			}
			if float64(cor.ByCallID) < 0.99*float64(cor.JTLSamples) {
				t.Errorf("matched by Call-ID %d of %d", cor.ByCallID, cor.JTLSamples)
			}
			if cor.OffsetBasis == "" || !strings.Contains(cor.OffsetBasis, "median") {
				t.Errorf("offset basis %q", cor.OffsetBasis)
			}
			if cor.Disagreements != 0 {
				t.Errorf("%d JTL/capture disagreements", cor.Disagreements)
			}
			var sip *correlate.LayerResult
			for _, lr := range r.Layers {
				if lr.Layer == correlate.LayerSIP {
					sip = lr
				}
			}
			if sip.Attempts != int64(meta.Summary.InviteTransactions) || sip.Codes["503"] != int64(meta.Summary.Responses503) || sip.Codes["200"] != int64(meta.Summary.AnsweredCalls) {
				t.Errorf("sip attempts %d codes %v; tshark: %d INVITE transactions, %d 503, %d answered",
					sip.Attempts, sip.Codes, meta.Summary.InviteTransactions, meta.Summary.Responses503, meta.Summary.AnsweredCalls)
			}
			if doc.Skipped() != 0 {
				t.Errorf("skipped %d: %v", doc.Skipped(), doc.Problems)
			}
		})
	}
}

// Without the capture, the verdict comes from the JTL: the same layer and
// status; concurrency counted as samples in flight.
func TestSpikeJTLOnly(t *testing.T) {
	doc, err := Run(Config{Paths: []string{"../testdata/demo/spike.jtl"}})
	if err != nil {
		t.Fatal(err)
	}
	r := doc.Result
	if r.Basis != "jtl" || r.Verdict.Layer != correlate.LayerSIP || r.Verdict.Status != "503" {
		t.Fatalf("basis %s verdict %v %s", r.Basis, r.Verdict.Layer, r.Verdict.Status)
	}
	if len(r.Notes) == 0 {
		t.Error("no note saying the verdict comes from the JTL alone")
	}
}

// Without the JTL, from the capture alone; threads unknown.
func TestSpikeCaptureOnly(t *testing.T) {
	doc, err := Run(Config{Paths: []string{"../testdata/demo/spike.pcapng.gz"}})
	if err != nil {
		t.Fatal(err)
	}
	r := doc.Result
	if r.Basis != "capture" || r.Verdict.Layer != correlate.LayerSIP || r.Verdict.FirstFailure.Threads != -1 {
		t.Fatalf("basis %s verdict %+v", r.Basis, r.Verdict.FirstFailure)
	}
}
