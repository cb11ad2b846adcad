package report

import (
	"encoding/json"
	"io"
	"sort"
	"time"

	"github.com/ceiling-dev/ceiling/correlate"
)

// SchemaV1 names the JSON summary's schema.
const SchemaV1 = "ceiling.summary/v1"

// Summary is the JSON summary, DESIGN.md's schema v1. Field names are a
// contract with CI jobs: add, never rename.
type Summary struct {
	Schema      string                  `json:"schema"`
	Tool        string                  `json:"tool,omitempty"`
	Basis       string                  `json:"basis"`
	Inputs      []SummaryInput          `json:"inputs"`
	Verdict     SummaryVerdict          `json:"verdict"`
	Layers      map[string]SummaryLayer `json:"layers"`
	Correlation SummaryCorrelation      `json:"correlation"`
	Breaches    *SummaryBreaches        `json:"assertion_breaches,omitempty"`
	Notes       []string                `json:"notes,omitempty"`
}

type SummaryInput struct {
	Path      string           `json:"path"`
	Kind      string           `json:"kind"`
	Records   int64            `json:"records"`
	Skipped   int64            `json:"skipped"`
	Truncated bool             `json:"truncated,omitempty"`
	SkippedBy map[string]int64 `json:"skipped_by,omitempty"`
}

type SummaryVerdict struct {
	Failed       bool          `json:"failed"`
	Layer        string        `json:"layer"`
	Status       string        `json:"status"`
	Kind         string        `json:"kind"`
	FirstFailure *SummaryPoint `json:"first_failure"`
	Sustained    *SummaryPoint `json:"sustained"`
	Text         string        `json:"text"`
}

// SummaryPoint is a breakpoint. Threads is a pointer so that "unknown"
// (no JTL) is null rather than a misleading 0.
type SummaryPoint struct {
	Time        string `json:"time,omitempty"`
	Concurrency int32  `json:"concurrency"`
	Threads     *int32 `json:"threads,omitempty"`
	CallID      string `json:"call_id"`
	TraceID     string `json:"trace_id"`
	Edge        string `json:"edge,omitempty"`
	Status      string `json:"status,omitempty"`
	Method      string `json:"method,omitempty"`
}

type SummaryLayer struct {
	Basis          string           `json:"basis"`
	Attempts       int64            `json:"attempts"`
	Failures       int64            `json:"failures"`
	FailureRatio   float64          `json:"failure_ratio"`
	Codes          map[string]int64 `json:"codes"`
	FirstFailure   *SummaryPoint    `json:"first_failure"`
	Sustained      *SummaryPoint    `json:"sustained"`
	MaxConcurrency int32            `json:"max_concurrency"`
	Edges          []string         `json:"edges,omitempty"`
}

type SummaryCorrelation struct {
	JTLSamples         int64   `json:"jtl_samples"`
	Matched            int64   `json:"matched"`
	ByCallID           int64   `json:"by_call_id"`
	ByTraceID          int64   `json:"by_trace_id"`
	ByFlow             int64   `json:"by_flow"`
	ByTime             int64   `json:"by_time"`
	UnmatchedJTL       int64   `json:"unmatched_jtl"`
	UnmatchedCapture   int64   `json:"unmatched_capture"`
	CallIDNotInCapture int64   `json:"call_id_not_in_capture"`
	Disagreements      int64   `json:"disagreements"`
	ClockOffsetMS      float64 `json:"clock_offset_ms"`
	ClockOffsetBasis   string  `json:"clock_offset_basis"`
}

type SummaryBreaches struct {
	Count int64         `json:"count"`
	First *SummaryPoint `json:"first"`
}

// NewSummary builds the JSON summary of a document.
func NewSummary(d *Document) *Summary {
	r := d.Result
	s := &Summary{
		Schema: SchemaV1,
		Tool:   d.Tool,
		Basis:  r.Basis,
		Inputs: []SummaryInput{},
		Layers: map[string]SummaryLayer{},
		Notes:  r.Notes,
	}
	for _, in := range d.Inputs {
		s.Inputs = append(s.Inputs, SummaryInput{Path: in.Path, Kind: in.Kind, Records: in.Records, Skipped: in.Skipped, Truncated: in.Truncated, SkippedBy: in.SkippedBy})
	}
	v := r.Verdict
	s.Verdict = SummaryVerdict{
		Failed: v.Failed, Layer: v.Layer.String(), Status: v.Status, Kind: v.Kind.String(),
		FirstFailure: point(v.FirstFailure), Sustained: point(v.Sustained), Text: v.Text,
	}
	for _, lr := range r.Layers {
		sl := SummaryLayer{
			Basis: lr.Basis, Attempts: lr.Attempts, Failures: lr.Failures, FailureRatio: round4(lr.FailureRatio()),
			Codes: lr.Codes, FirstFailure: point(lr.FirstFailure), Sustained: point(lr.Sustained),
			MaxConcurrency: lr.MaxConcurrency,
		}
		for _, e := range lr.Edges {
			sl.Edges = append(sl.Edges, e.Edge.String())
		}
		s.Layers[lr.Layer.String()] = sl
	}
	c := r.Correlation
	s.Correlation = SummaryCorrelation{
		JTLSamples: c.JTLSamples, Matched: c.Matched, ByCallID: c.ByCallID, ByTraceID: c.ByTraceID,
		ByFlow: c.ByFlow, ByTime: c.ByTime, UnmatchedJTL: c.UnmatchedJTL, UnmatchedCapture: c.UnmatchedCapture,
		CallIDNotInCapture: c.CallIDNotInCapture, Disagreements: c.Disagreements,
		ClockOffsetMS: float64(c.ClockOffset/1000) / 1000, ClockOffsetBasis: c.OffsetBasis,
	}
	if r.Breaches.Count > 0 {
		s.Breaches = &SummaryBreaches{Count: r.Breaches.Count, First: point(r.Breaches.First)}
	}
	return s
}

func point(b *correlate.Breakpoint) *SummaryPoint {
	if b == nil {
		return nil
	}
	p := &SummaryPoint{Concurrency: b.Concurrency, CallID: b.CallID, TraceID: b.TraceID, Status: b.Status, Method: b.Method}
	if b.Time != 0 {
		p.Time = FormatTimeJSON(b.Time)
	}
	if b.Threads >= 0 {
		t := b.Threads
		p.Threads = &t
	}
	if b.Edge.IsValid() {
		p.Edge = b.Edge.String()
	}
	return p
}

// FormatTimeJSON writes a Unix ns time as RFC 3339 UTC with milliseconds,
// as the schema's examples do.
func FormatTimeJSON(ns int64) string {
	return time.Unix(0, ns).UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

func round4(f float64) float64 {
	return float64(int64(f*10000+0.5)) / 10000
}

// WriteJSON writes the summary, indented, keys in a stable order.
func WriteJSON(w io.Writer, d *Document) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(NewSummary(d))
}

// sortedKeys returns m's keys in order (numeric codes sort as strings of
// equal length do).
func sortedKeys(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
