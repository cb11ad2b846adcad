package correlate

import (
	"container/heap"
	"fmt"
	"math/rand"
	"net/netip"
	"sort"
	"time"

	"github.com/ceiling-dev/ceiling/parse/capture"
	"github.com/ceiling-dev/ceiling/parse/jtl"
)

// Options tune the analysis.
type Options struct {
	// TimerB is how long an INVITE may wait for a final answer before it
	// counts as timed out; zero means 32 s (RFC 3261 with T1 = 500 ms).
	TimerB time.Duration
	// TimerF is the same for a BYE.
	TimerF time.Duration
	// ClockOffset, when set, is the capture clock minus the JMeter clock,
	// used instead of the estimate.
	ClockOffset *time.Duration
	// Edges, when given, are the edge addresses; otherwise the edge is
	// whatever the load generator's INVITEs went to.
	Edges []netip.AddrPort
	// TimeMatchWindow is how far apart a sample and an attempt without a
	// shared ID may be and still be matched by time and order; zero means
	// 1 s.
	TimeMatchWindow time.Duration
}

// Analyzer folds events and samples into a Result. Feed it every capture
// event in time order (AddEvent), then EndCapture, then every JTL sample
// in start order (AddSample), then call Finish. Either side may be empty.
type Analyzer struct {
	opts Options
	sip  *sipTracker

	captureEvents int64
	captureEnd    int64
	captureClosed bool

	// The join: Call-ID → hop-0 SIP attempt.
	callIndex map[string]int32

	jtlAttempts []Attempt // Time on the JMeter clock until Finish
	inflight    map[Layer]*endHeap

	threads *threadBook
	// The samples that give attempts their thread counts once the book is
	// complete: matched capture attempts by index, JTL attempts in order.
	sipRefs   map[int32]threadRef
	jtlRefs   []threadRef
	breachRef threadRef

	offsets     []int64
	offsetsSeen int64
	rng         *rand.Rand

	noID []pendingSample // SIP samples without a Call-ID, for time matching

	corr     Correlation
	breaches Breaches
}

type pendingSample struct {
	start  int64 // ms, JMeter clock
	tref   threadRef
	ref    SampleRef
	failed bool
}

// New makes an Analyzer.
func New(opts Options) *Analyzer {
	if opts.TimerB == 0 {
		opts.TimerB = DefaultTimerB
	}
	if opts.TimerF == 0 {
		opts.TimerF = DefaultTimerF
	}
	if opts.TimeMatchWindow == 0 {
		opts.TimeMatchWindow = time.Second
	}
	return &Analyzer{
		opts:     opts,
		sip:      newSIPTracker(int64(opts.TimerB), int64(opts.TimerF), opts.Edges),
		inflight: make(map[Layer]*endHeap),
		threads:  newThreadBook(),
		sipRefs:  make(map[int32]threadRef),
		rng:      rand.New(rand.NewSource(1)),
		breaches: Breaches{ByLabel: map[string]int64{}, Messages: map[string]int64{}},
	}
}

// AddEvent takes one capture event; events must come in time order.
func (a *Analyzer) AddEvent(ev *capture.Event) {
	a.captureEvents++
	if ev.Time > a.captureEnd {
		a.captureEnd = ev.Time
	}
	if ev.SIP != nil {
		a.sip.add(ev)
	}
}

// EndCapture closes the capture side: end is the time of the capture's
// last packet (Unix ns), which decides which unanswered attempts timed out.
func (a *Analyzer) EndCapture(end int64) {
	if end < a.captureEnd {
		end = a.captureEnd
	}
	a.captureEnd = end
	a.sip.finish(end)
	a.captureClosed = true
	a.callIndex = make(map[string]int32)
	for i := range a.sip.attempts {
		at := &a.sip.attempts[i]
		if at.Hop == 0 && at.Outcome != Challenged {
			a.callIndex[at.CallID] = int32(i)
		}
	}
}

// AddSample takes one JTL sample; samples must come in start order.
func (a *Analyzer) AddSample(s *jtl.Sample) {
	if !a.captureClosed {
		a.EndCapture(a.captureEnd)
	}
	tref := a.threads.observe(s.Host, s.End(), s.AllThreads)
	if !s.Counts() {
		return
	}
	a.corr.JTLSamples++
	c := classify(s)
	ref := SampleRef{
		Start: s.Start, Elapsed: s.Elapsed, Label: s.Label, Code: s.Code, Message: s.Message,
		Thread: s.Thread, Host: s.Host, AllThreads: s.AllThreads, File: s.File, Line: s.Line,
	}
	if c.breach {
		a.breach(s, c, tref)
	}
	if c.layer == LayerSIP && len(a.callIndex) > 0 {
		a.joinSIP(s, c, ref, tref)
		return
	}
	a.jtlAttempt(s, c, ref, tref)
}

func (a *Analyzer) breach(s *jtl.Sample, c sampleClass, tref threadRef) {
	a.breaches.Count++
	a.breaches.ByLabel[s.Label]++
	msg := s.FailureMessage
	if msg == "" {
		msg = s.Message
	}
	if len(a.breaches.Messages) < 50 || a.breaches.Messages[msg] > 0 {
		a.breaches.Messages[msg]++
	}
	if a.breaches.First == nil {
		a.breachRef = tref
		a.breaches.First = &Breakpoint{Time: s.Start * 1e6, Threads: -1, CallID: s.CallID, TraceID: s.TraceID, Status: c.status, Attempt: -1,
			Method: "the earliest sample JMeter marked failed while the edge answered " + c.status}
	}
}

// joinSIP ties a SIP sample to the dialog the capture saw.
func (a *Analyzer) joinSIP(s *jtl.Sample, c sampleClass, ref SampleRef, tref threadRef) {
	if s.CallID == "" {
		a.noID = append(a.noID, pendingSample{start: s.Start, tref: tref, ref: ref, failed: c.failed})
		return
	}
	i, ok := a.callIndex[s.CallID]
	if !ok {
		a.corr.CallIDNotInCapture++
		a.corr.UnmatchedJTL++
		return
	}
	at := &a.sip.attempts[i]
	if at.Match != Unmatched {
		// A second sample with the same Call-ID (a sampler that writes
		// one row per request of the call): the first one joined.
		return
	}
	at.Match = ByCallID
	at.Source |= FromJTL
	a.sipRefs[i] = tref
	a.corr.Matched++
	a.corr.ByCallID++
	a.addOffset(at.Time - s.Start*1e6)
	if c.failed != at.Failed || (c.failed && c.status != at.Status) {
		a.corr.Disagreements++
	}
	if at.Failed {
		if at.Detail == nil {
			at.Detail = &Detail{RetryAfter: -1}
		}
		r := ref
		at.Detail.Sample = &r
	}
}

// addOffset keeps a uniform sample of at most 1<<20 offsets, enough for a
// median to the millisecond without growing with the input.
func (a *Analyzer) addOffset(d int64) {
	a.offsetsSeen++
	const max = 1 << 20
	if len(a.offsets) < max {
		a.offsets = append(a.offsets, d)
		return
	}
	if j := a.rng.Int63n(a.offsetsSeen); j < max {
		a.offsets[j] = d
	}
}

// jtlAttempt records a sample as an attempt of its own: its layer is not
// in the capture, or there is no capture.
func (a *Analyzer) jtlAttempt(s *jtl.Sample, c sampleClass, ref SampleRef, tref threadRef) {
	h := a.inflight[c.layer]
	if h == nil {
		h = &endHeap{}
		a.inflight[c.layer] = h
	}
	for len(*h) > 0 && (*h)[0] <= s.Start {
		heap.Pop(h)
	}
	heap.Push(h, s.End())
	at := Attempt{
		Layer:       c.layer,
		Time:        s.Start * 1e6,
		Answered:    s.End() * 1e6,
		Ended:       s.End() * 1e6,
		Concurrency: int32(len(*h)),
		Threads:     -1,
		Status:      c.status,
		Failed:      c.failed,
		CallID:      s.CallID,
		TraceID:     s.TraceID,
		Source:      FromJTL,
		File:        s.File,
	}
	if s.Latency > 0 && s.Latency <= s.Elapsed {
		at.Answered = (s.Start + s.Latency) * 1e6
	}
	switch {
	case c.failed && c.status == "timeout":
		at.Outcome = TimedOut
	case c.failed:
		at.Outcome = Rejected
	default:
		at.Outcome = Answered
	}
	if c.failed {
		at.Kind = kindOf(c.layer, c.status)
		r := ref
		at.Detail = &Detail{RetryAfter: -1, ReasonPhrase: s.Message, Sample: &r}
	}
	a.jtlAttempts = append(a.jtlAttempts, at)
	a.jtlRefs = append(a.jtlRefs, tref)
}

type endHeap []int64

func (h endHeap) Len() int            { return len(h) }
func (h endHeap) Less(i, j int) bool  { return h[i] < h[j] }
func (h endHeap) Swap(i, j int)       { h[i], h[j] = h[j], h[i] }
func (h *endHeap) Push(x interface{}) { *h = append(*h, x.(int64)) }
func (h *endHeap) Pop() interface{} {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// Finish completes the analysis.
func (a *Analyzer) Finish() *Result {
	if !a.captureClosed {
		a.EndCapture(a.captureEnd)
	}
	r := &Result{SIP: a.sip.stats, Breaches: a.breaches}
	a.settleOffset(r)
	off := a.corr.ClockOffset
	a.matchByTime(off)

	// Attempts the capture saw that no sample claimed, and the load
	// JMeter offered when each attempt was made.
	a.threads.finish()
	haveThreads := !a.threads.empty()
	sipSamples := a.anySIPSamples()
	for i := range a.sip.attempts {
		at := &a.sip.attempts[i]
		if at.Hop == 0 && at.Match == Unmatched && at.Outcome != Challenged && sipSamples {
			a.corr.UnmatchedCapture++
		}
		if !haveThreads {
			continue
		}
		if ref, ok := a.sipRefs[int32(i)]; ok {
			at.Threads = a.threads.resolve(ref)
		} else {
			at.Threads = a.threads.at(floorDiv(at.Time-off, 1e6), -1)
		}
	}
	for i := range a.jtlAttempts {
		at := &a.jtlAttempts[i]
		at.Threads = a.threads.resolve(a.jtlRefs[i])
		at.Time += off
		at.Answered += off
		at.Ended += off
	}
	r.Attempts = make([]Attempt, 0, len(a.sip.attempts)+len(a.jtlAttempts))
	r.Attempts = append(r.Attempts, a.sip.attempts...)
	r.Attempts = append(r.Attempts, a.jtlAttempts...)
	sort.SliceStable(r.Attempts, func(i, j int) bool { return r.Attempts[i].Time < r.Attempts[j].Time })
	if n := len(r.Attempts); n > 0 {
		r.Start, r.End = r.Attempts[0].Time, r.Attempts[n-1].Time
		for i := range r.Attempts {
			if e := r.Attempts[i].Ended; e > r.End {
				r.End = e
			}
		}
	}
	for _, p := range a.threads.series() {
		r.Threads = append(r.Threads, Point{Time: p.Time + off, Value: p.Value})
	}
	if r.Breaches.First != nil {
		r.Breaches.First.Time += off
		r.Breaches.First.Threads = a.threads.resolve(a.breachRef)
	}

	hasCapture := a.captureEvents > 0
	switch {
	case hasCapture && a.corr.JTLSamples > 0:
		r.Basis = "capture+jtl"
	case hasCapture:
		r.Basis = "capture"
	case a.corr.JTLSamples > 0:
		r.Basis = "jtl"
	default:
		r.Basis = "none"
	}
	r.Correlation = a.corr
	r.Layers = layerResults(r.Attempts)
	r.Verdict = verdict(r)
	r.Notes = a.notes(r)
	return r
}

func (a *Analyzer) anySIPSamples() bool {
	return a.corr.ByCallID+a.corr.CallIDNotInCapture+int64(len(a.noID)) > 0
}

// settleOffset fixes the clock offset: forced, or the median of the
// Call-ID matches.
func (a *Analyzer) settleOffset(r *Result) {
	switch {
	case a.opts.ClockOffset != nil:
		a.corr.ClockOffset = int64(*a.opts.ClockOffset)
		a.corr.OffsetBasis = "given with --clock-offset"
	case len(a.offsets) > 0:
		sort.Slice(a.offsets, func(i, j int) bool { return a.offsets[i] < a.offsets[j] })
		n := len(a.offsets)
		a.corr.ClockOffset = a.offsets[n/2]
		a.corr.OffsetSpread = a.offsets[n*3/4] - a.offsets[n/4]
		a.corr.OffsetBasis = fmt.Sprintf("median of %s Call-ID matches", thousands(a.offsetsSeen))
	case len(a.noID) > 0:
		// No shared IDs: line the first SIP sample up with the first
		// INVITE on the wire, which is right when both saw the start of
		// the test.
		for i := range a.sip.attempts {
			if a.sip.attempts[i].Hop == 0 {
				a.corr.ClockOffset = a.sip.attempts[i].Time - a.noID[0].start*1e6
				a.corr.OffsetBasis = "first INVITE on the wire lined up with the first SIP sample (no shared IDs)"
				break
			}
		}
	default:
		a.corr.OffsetBasis = "none: nothing to match"
	}
}

// matchByTime pairs SIP samples without a Call-ID with unmatched attempts
// on the wire, in order, within the window: a weaker match, counted apart.
func (a *Analyzer) matchByTime(off int64) {
	if len(a.noID) == 0 {
		return
	}
	win := int64(a.opts.TimeMatchWindow)
	var free []int
	for i := range a.sip.attempts {
		at := &a.sip.attempts[i]
		if at.Hop == 0 && at.Match == Unmatched && at.Outcome != Challenged {
			free = append(free, i)
		}
	}
	j := 0
	for _, p := range a.noID {
		t := p.start*1e6 + off
		for j < len(free) && a.sip.attempts[free[j]].Time < t-win {
			j++
		}
		if j >= len(free) || a.sip.attempts[free[j]].Time > t+win {
			a.corr.UnmatchedJTL++
			continue
		}
		at := &a.sip.attempts[free[j]]
		j++
		at.Match = ByTime
		at.Source |= FromJTL
		a.sipRefs[int32(free[j-1])] = p.tref
		a.corr.Matched++
		a.corr.ByTime++
		if at.Failed {
			if at.Detail == nil {
				at.Detail = &Detail{RetryAfter: -1}
			}
			r := p.ref
			at.Detail.Sample = &r
		}
	}
}

func (a *Analyzer) notes(r *Result) []string {
	var out []string
	switch r.Basis {
	case "jtl":
		out = append(out, "No capture: every layer's account comes from the JTL alone; concurrency is counted as samples in flight, not as the edge saw it.")
	case "capture":
		out = append(out, "No JTL: the verdict comes from the capture alone; JMeter's thread counts are unknown.")
	}
	if c := r.Correlation; c.CallIDNotInCapture > 0 {
		out = append(out, fmt.Sprintf("%d JTL samples carry a Call-ID the capture never saw (captured on another host or interface, or the capture started late or stopped early).", c.CallIDNotInCapture))
	}
	return out
}
