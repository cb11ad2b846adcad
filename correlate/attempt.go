package correlate

import "net/netip"

// Outcome is how an attempt ended.
type Outcome uint8

const (
	// Pending: no final answer yet and still in time for one.
	Pending Outcome = iota
	// Answered: a 2xx (SIP, HTTP), a 101 (WebSocket), an established
	// connection (TCP).
	Answered
	// Redirected: a 3xx; not a rejection.
	Redirected
	// Rejected: a final answer that refuses the work (>= 400), or a
	// refused connection.
	Rejected
	// Challenged: a 401/407 that the client answered with credentials in a
	// new attempt; not a failure of the edge.
	Challenged
	// Cancelled: the client gave up first (CANCEL and its 487); not a
	// failure of the edge.
	Cancelled
	// TimedOut: no final answer within the layer's timer (SIP timer B).
	TimedOut
	// Unanswered: the capture ended before an answer or the timer: the
	// outcome is unknown, and the attempt is left out of failure ratios.
	Unanswered
)

func (o Outcome) String() string {
	return [...]string{"pending", "answered", "redirected", "rejected", "challenged", "cancelled", "timed out", "unanswered"}[o]
}

// Decided reports whether the outcome counts in failure ratios.
func (o Outcome) Decided() bool {
	return o == Answered || o == Redirected || o == Rejected || o == TimedOut
}

// Match says how an attempt was tied to a JTL sample.
type Match uint8

const (
	Unmatched Match = iota
	ByCallID
	ByTraceID
	ByFlow
	ByTime
)

func (m Match) String() string {
	return [...]string{"unmatched", "call-id", "trace-id", "flow", "time"}[m]
}

// Source says where an attempt was seen.
type Source uint8

const (
	FromCapture Source = 1 << iota
	FromJTL
)

// Attempt is one piece of work offered to the edge at one layer: an
// INVITE dialog, a WebSocket upgrade, a TCP connection, a JTL sample that
// never reached the wire. It is the compact record kept per finished
// attempt: what the report needs, nothing more.
type Attempt struct {
	// The fields are ordered to pack: a run can keep millions of these.

	// Time is when the attempt was made (the first INVITE on the wire),
	// in Unix ns on the capture's clock; for an attempt known only from
	// the JTL, the sample's start moved onto the capture's clock by the
	// estimated offset.
	Time int64
	// Answered is when the final answer came, 0 if none.
	Answered int64
	// Ended is when it stopped counting towards concurrency, 0 if it was
	// still in progress when the input ended.
	Ended int64
	// Last is as far as the capture showed anything of the attempt while
	// the analysis followed it; 0 when unknown (an attempt known only
	// from the JTL; a WebSocket, TLS or HTTP attempt, whose connection's
	// tcp attempt says; a SIP attempt whose client tried again on the same
	// Call-ID). For a SIP attempt it is Ended, or the last message of its
	// dialog that came after that (a retransmitted answer, the ACK of a
	// failure) while the dialog was kept for them (32 s); for a tcp
	// attempt, its connection's last packet. The evidence cut reads up to
	// it.
	Last int64
	// Concurrency is the layer's concurrency at Time at this attempt's
	// edge, counting the attempt itself.
	Concurrency int32
	// Threads is JMeter's allThreads summed over load generators at that
	// moment, -1 when no JTL says.
	Threads int32

	// Status is what the layer said, in DESIGN.md's vocabulary: "200",
	// "503", "timeout", "refused", "ephemeral-ports".
	Status string

	CallID  string
	TraceID string
	Edge    netip.AddrPort // where the attempt went (the address that answered)
	Client  netip.AddrPort

	// File and Packet locate the first packet of the attempt; Packet is 0
	// for an attempt known only from the JTL. File is the index of the
	// input among all the inputs of the run (report.Document.Inputs), for
	// JTL attempts too.
	File   int
	Packet int64

	// Detail holds the particulars kept for failures (and the sample of a
	// matched attempt); nil otherwise, to keep the record small. Read it
	// through Result.Detail: a failure known only from the JTL has its
	// Detail made on demand.
	Detail *Detail

	Retransmits int32 // request retransmissions on the wire
	// lazy numbers (from 1) the failure's Detail among those Result.Detail
	// makes on demand; 0 when Detail is all there is.
	lazy uint32

	Layer Layer
	// Hop is 0 for an attempt at the edge the load generator talks to, 1
	// for the leg the edge itself opened towards a backend (same Call-ID
	// or from the edge's address), and so on.
	Hop     uint8
	Outcome Outcome
	Failed  bool
	Kind    FailureKind
	Source  Source
	Match   Match
}

// Detail is what a report shows about one attempt beyond the numbers.
type Detail struct {
	// SIP response particulars.
	ReasonPhrase string // "Service Unavailable"
	ReasonHeader string // `Q.850;cause=34;text="…"`
	RetryAfter   int    // seconds, -1 when absent
	Warning      string
	Server       string
	// Relayed names the backend whose identical answer the edge passed on,
	// when the capture saw it: the refusal came from behind the edge.
	Relayed netip.AddrPort
	// FinalPacket is the frame number of the final answer.
	FinalPacket int64

	// The matched JTL sample.
	Sample *SampleRef
}

// SampleRef is the part of a JTL sample that a report shows.
type SampleRef struct {
	Start      int64 // Unix ms on the JMeter host's clock
	Elapsed    int64 // ms
	Label      string
	Code       string
	Message    string
	Thread     string
	Host       string
	AllThreads int
	File       int // index among all the inputs, as Attempt.File
	Line       int64
}

// ResponseTime is how long the attempt waited for its final answer, or -1.
func (a *Attempt) ResponseTime() int64 {
	if a.Answered == 0 {
		return -1
	}
	return a.Answered - a.Time
}
