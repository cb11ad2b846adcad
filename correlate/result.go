package correlate

import "net/netip"

// Result is everything the report needs.
type Result struct {
	// Basis says where the verdict came from: "capture+jtl", "capture",
	// "jtl", or "none" when there were no attempts at all.
	Basis   string
	Verdict Verdict
	// Layers has an entry per layer that had attempts, lowest first.
	Layers      []*LayerResult
	Correlation Correlation
	SIP         SIPStats
	Conn        ConnStats
	Breaches    Breaches
	// Attempts is every attempt, in time order; hop-0 attempts are the
	// ones counted in Layers. It may be partly on disk: Close lets go.
	Attempts *Attempts
	// details makes the Details of JTL failures on demand (Detail).
	details *detailStore
	// Threads is JMeter's total active threads over time, one point per
	// second of the JTL, on the capture's clock.
	Threads []Point
	// Start and End bound the attempts in time (Unix ns).
	Start, End int64
	// Notes are sentences the report shows as they are: what could not be
	// done and why.
	Notes []string
}

// Point is a time and a value.
type Point struct {
	Time  int64
	Value int32
}

// Verdict answers the question ceiling exists for.
type Verdict struct {
	Failed bool
	Layer  Layer
	Status string
	Kind   FailureKind
	// FirstFailure is the earliest rejection at the failing layer.
	FirstFailure *Breakpoint
	// Sustained is where most attempts began to fail for good.
	Sustained *Breakpoint
	Text      string
}

// Breakpoint is a point on the load curve where the edge's behaviour
// changed, with the attempt that shows it.
type Breakpoint struct {
	Time        int64 // Unix ns
	Concurrency int32
	Threads     int32 // -1 when unknown
	CallID      string
	TraceID     string
	Edge        netip.AddrPort
	Status      string
	// Attempt is the index in Result.Attempts of the attempt that marks
	// the breakpoint.
	Attempt int
	// AtOrAbove counts the decided attempts at this concurrency and above,
	// and how many of them failed (for the sustained breakpoint).
	AtOrAbove, FailedAtOrAbove int64
	// Method says how the breakpoint was computed, in a sentence.
	Method string
}

// LayerResult is one layer's account.
type LayerResult struct {
	Layer Layer
	// Basis: "capture" or "jtl".
	Basis    string
	Attempts int64 // hop-0 attempts
	Decided  int64 // attempts with a known outcome
	Failures int64
	// Codes counts final statuses ("200", "503", "timeout") per attempt.
	Codes map[string]int64
	// Outcomes counts attempts per outcome.
	Outcomes map[string]int64

	FirstFailure *Breakpoint
	Sustained    *Breakpoint
	// Levels is the load curve: decided attempts and failures per
	// concurrency level, ascending.
	Levels []Level
	// MaxConcurrency is the highest concurrency any attempt saw.
	MaxConcurrency int32
	// Edges lists the addresses that received this layer's attempts.
	Edges []EdgeCount
	// Backend counts attempts the edge itself made to backends (hop > 0).
	Backend int64
}

// FailureRatio is failures over decided attempts.
func (l *LayerResult) FailureRatio() float64 {
	if l.Decided == 0 {
		return 0
	}
	return float64(l.Failures) / float64(l.Decided)
}

// Level is the load curve at one concurrency.
type Level struct {
	Concurrency int32
	Attempts    int64
	Failures    int64
	// ResponseTime percentiles in ns (-1 when there were no answers).
	P50, P90, P99 int64
}

// EdgeCount is one edge address and its attempts.
type EdgeCount struct {
	Edge     netip.AddrPort
	Attempts int64
	Failures int64
}

// Correlation says how well the JTL and the capture were tied together.
type Correlation struct {
	JTLSamples int64 // samples that count (not sub-results nor transaction parents)
	Matched    int64
	ByCallID   int64
	ByTraceID  int64
	ByFlow     int64
	ByTime     int64
	// UnmatchedJTL are samples of a layer the capture covers that found no
	// attempt on the wire; UnmatchedCapture are hop-0 attempts on the
	// wire that no sample claims.
	UnmatchedJTL     int64
	UnmatchedCapture int64
	// CallIDNotInCapture counts samples whose Call-ID the capture never saw.
	CallIDNotInCapture int64
	// Linked counts samples of a layer the capture could not read (HTTP
	// inside TLS) tied to the connection under them, by time.
	Linked int64
	// NoSYN counts connect errors in the JTL for which the capture holds
	// no connection attempt: the load generator failed before the wire.
	NoSYN int64
	// Disagreements counts matched pairs where the JTL's code and the
	// capture's differ.
	Disagreements int64
	// ClockOffset is capture clock minus JMeter clock, ns.
	ClockOffset int64
	// OffsetBasis explains ClockOffset: "median of 1195 Call-ID matches",
	// "given with --clock-offset", "none".
	OffsetBasis string
	// OffsetSpread is the interquartile range of the matched pairs'
	// offsets, ns: how much to trust ClockOffset.
	OffsetSpread int64
}

// Breaches are samples JMeter marked failed although the edge said yes.
type Breaches struct {
	Count int64
	// First is the earliest, with the load at that moment.
	First *Breakpoint
	// ByLabel counts per sample label.
	ByLabel map[string]int64
	// Messages counts per failure message (the assertion's words).
	Messages map[string]int64
}
