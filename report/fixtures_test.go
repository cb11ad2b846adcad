package report

import (
	"container/heap"
	"fmt"
	"math/rand"
	"net/netip"
	"sort"
	"time"

	"github.com/ceiling-dev/ceiling/correlate"
	"github.com/ceiling-dev/ceiling/parse"
)

// The documents the tests render, built by hand so that the report is
// tested apart from the analysis.

var (
	testStartTime = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	testGenerated = time.Date(2026, 11, 25, 11, 30, 0, 0, time.UTC)
	testEdge      = netip.MustParseAddrPort("203.0.113.10:5060")
	testClient    = netip.MustParseAddr("198.51.100.7")
	testBackend   = netip.MustParseAddrPort("10.20.0.4:5060")
)

// clockOffset is the capture clock minus the JMeter clock in the fixtures.
const clockOffset = 3_500_000 // 3.5 ms

// spikeOptions shape a simulated SIP spike test.
type spikeOptions struct {
	threads  int           // JMeter threads at the top of the ramp
	rampRate float64       // threads started per second
	duration time.Duration // how long the test runs
	capacity int32         // the edge's dialog limit (0: none)
	hold     time.Duration // how long an accepted call lasts
	retry    time.Duration // how long a refused thread waits
	jtl      bool          // whether a JTL was read
	scale    int           // how many attempts one simulated attempt becomes (benchmark)
	seed     int64
}

// spikeDocument simulates JMeter threads calling a SIP edge that refuses
// dialogs beyond its capacity with 503, and builds the Document the
// analysis would have made of it.
func spikeDocument(o spikeOptions) *Document {
	rng := rand.New(rand.NewSource(o.seed))
	start := testStartTime.UnixNano()
	end := start + int64(o.duration)
	active := &int64Heap{} // end times of dialogs in progress
	// calls holds each thread's next call, earliest first.
	calls := &callHeap{}
	for i := 0; i < o.threads; i++ {
		heap.Push(calls, threadCall{start + int64(float64(i)/o.rampRate*1e9) + int64(rng.Intn(200))*1e6, i})
	}
	threadsAt := func(t int64) int32 {
		n := int32(float64(t-start)/1e9*o.rampRate) + 1
		if n > int32(o.threads) {
			n = int32(o.threads)
		}
		return n
	}
	var attempts []correlate.Attempt
	for {
		c := heap.Pop(calls).(threadCall)
		t, ti := c.time, c.thread
		if t >= end {
			break
		}
		for active.Len() > 0 && (*active)[0] <= t {
			heap.Pop(active)
		}
		conc := int32(active.Len()) + 1
		rt := int64(60+rng.Intn(40)) * 1e6
		if conc > 80 {
			// The edge slows as it fills.
			rt += int64(conc-80) * int64(4+rng.Intn(6)) * 1e6
		}
		seq := len(attempts)
		a := correlate.Attempt{
			Layer: correlate.LayerSIP, Time: t, Answered: t + rt, Concurrency: conc, Threads: -1,
			CallID: fmt.Sprintf("%08x-4c1e-%04x@198.51.100.7", 0x5eed0000+seq, seq%0xffff),
			Edge:   testEdge, Client: netip.AddrPortFrom(testClient, uint16(40000+ti)),
			Source: correlate.FromCapture, File: 1, Packet: int64(1 + seq*7),
		}
		if o.jtl {
			a.Threads = threadsAt(t)
			a.Source |= correlate.FromJTL
			a.Match = correlate.ByCallID
		}
		if o.capacity < 0 || (o.capacity > 0 && conc > o.capacity) {
			a.Answered = t + int64(2+rng.Intn(3))*1e6
			a.Ended = a.Answered
			a.Outcome, a.Status, a.Failed, a.Kind = correlate.Rejected, "503", true, correlate.KindCapacity
			a.Detail = &correlate.Detail{
				ReasonPhrase: "Service Unavailable",
				ReasonHeader: `Q.850;cause=34;text="No circuit/channel available"`,
				RetryAfter:   5,
				Warning:      `399 sbc-edge-1 "Session limit 100 reached"`,
				Server:       "edge-sbc/4.2",
				FinalPacket:  a.Packet + 2,
			}
			if seq%5 == 0 {
				// Some refusals the edge only passed on from the media
				// server behind it.
				a.Detail.Relayed = testBackend
			}
			if o.jtl {
				a.Detail.Sample = sampleRef(ti, a, seq)
			}
			heap.Push(calls, threadCall{t + int64(o.retry), ti})
		} else {
			a.Ended = t + int64(o.hold) + int64(rng.Intn(2000))*1e6
			heap.Push(active, a.Ended)
			a.Outcome, a.Status = correlate.Answered, "200"
			heap.Push(calls, threadCall{a.Ended + int64(200+rng.Intn(800))*1e6, ti})
		}
		for k := 0; k < max(o.scale, 1); k++ {
			b := a
			b.Time += int64(k) * 1000 // keep time order, make each distinct
			attempts = append(attempts, b)
		}
	}
	sort.SliceStable(attempts, func(i, j int) bool { return attempts[i].Time < attempts[j].Time })

	r := &correlate.Result{Basis: "capture"}
	if o.jtl {
		r.Basis = "capture+jtl"
		for t := start; t < end; t += 1e9 {
			r.Threads = append(r.Threads, correlate.Point{Time: t, Value: threadsAt(t)})
		}
	}
	if len(attempts) > 0 {
		r.Start, r.End = attempts[0].Time, attempts[len(attempts)-1].Time
	}
	fillResult(r, attempts)
	d := &Document{
		Tool:      "ceiling v0.1.0",
		Generated: testGenerated,
		Command:   []string{"ceiling", "analyze", "--html", "report.html", "capture/edge 1.pcapng", "results.jtl"},
		Result:    r,
	}
	d.Inputs = append(d.Inputs, Input{Path: "capture/edge 1.pcapng", Kind: "pcapng", Size: 48_213_904, Records: int64(len(attempts)) * 9, Detail: fmt.Sprintf("%s SIP messages", Thousands(int64(len(attempts))*6))})
	if o.jtl {
		d.Inputs = append(d.Inputs, Input{Path: "results.jtl", Kind: "jtl-csv", Size: 191_220, Records: int64(len(attempts)) + 2, Skipped: 2,
			Detail: "header: 17 columns, delimiter ','", SkippedBy: map[string]int64{"bad timestamp": 2}})
		d.Problems = []parse.Problem{
			{File: "results.jtl", Line: 318, Offset: 40_112, Reason: `bad timestamp "2026-11-25 10:00:3"`},
			{File: "results.jtl", Line: 912, Offset: 118_090, Reason: "17 columns expected, 9 found"},
		}
	}
	return d
}

type threadCall struct {
	time   int64
	thread int
}

type callHeap []threadCall

func (h callHeap) Len() int { return len(h) }
func (h callHeap) Less(i, j int) bool {
	if h[i].time != h[j].time {
		return h[i].time < h[j].time
	}
	return h[i].thread < h[j].thread
}
func (h callHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *callHeap) Push(x any)   { *h = append(*h, x.(threadCall)) }
func (h *callHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

type int64Heap []int64

func (h int64Heap) Len() int           { return len(h) }
func (h int64Heap) Less(i, j int) bool { return h[i] < h[j] }
func (h int64Heap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *int64Heap) Push(x any)        { *h = append(*h, x.(int64)) }
func (h *int64Heap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func sampleRef(thread int, a correlate.Attempt, seq int) *correlate.SampleRef {
	return &correlate.SampleRef{
		Start:      (a.Time - clockOffset) / 1e6,
		Elapsed:    (a.Answered - a.Time) / 1e6,
		Label:      "INVITE trunk-edge",
		Code:       "503",
		Message:    "Service Unavailable",
		Thread:     fmt.Sprintf("SIP spike 1-%d", thread+1),
		Host:       "jmeter-01",
		AllThreads: int(a.Threads),
		File:       1,
		Line:       int64(seq + 2),
	}
}

// attemptList copies r's attempts into a slice a fixture can change and
// then give back to r (fillResult, correlate.AttemptsOf).
func attemptList(r *correlate.Result) []correlate.Attempt {
	var list []correlate.Attempt
	for _, a := range r.Attempts.All() {
		list = append(list, a)
	}
	return list
}

// fillResult makes attempts r's and computes what the analysis would:
// layers, levels, breakpoints, verdict, correlation. It takes the slice,
// not r.Attempts, to point into it.
func fillResult(r *correlate.Result, attempts []correlate.Attempt) {
	r.Attempts = nil
	if attempts != nil {
		r.Attempts = correlate.AttemptsOf(attempts)
	}
	byLayer := map[correlate.Layer][]*correlate.Attempt{}
	for i := range attempts {
		a := &attempts[i]
		if a.Hop == 0 {
			byLayer[a.Layer] = append(byLayer[a.Layer], a)
		}
	}
	for _, l := range correlate.Layers {
		as := byLayer[l]
		if len(as) == 0 {
			continue
		}
		r.Layers = append(r.Layers, layerResult(attempts, l, as))
	}
	r.Verdict.Text = "No layer refused work: every attempt at the edge was answered."
	if len(attempts) == 0 {
		r.Verdict.Text = "No attempts were found in the inputs."
	}
	// The failing layer is the one whose first failure came first.
	for _, lr := range r.Layers {
		ff := lr.FirstFailure
		if ff == nil || (r.Verdict.Failed && ff.Time >= r.Verdict.FirstFailure.Time) {
			continue
		}
		a := &attempts[ff.Attempt]
		r.Verdict = correlate.Verdict{Failed: true, Layer: lr.Layer, Status: a.Status, Kind: a.Kind, FirstFailure: ff, Sustained: lr.Sustained}
	}
	if v := &r.Verdict; v.Failed {
		v.Text = fmt.Sprintf("The edge began answering %s at %d %s", v.Status, v.FirstFailure.Concurrency, v.Layer.Unit())
		if v.FirstFailure.Threads >= 0 {
			v.Text += fmt.Sprintf(" (%d JMeter threads)", v.FirstFailure.Threads)
		}
		if v.Sustained != nil {
			v.Text += fmt.Sprintf(", and refused most dialogs from %d on", v.Sustained.Concurrency)
		}
		v.Text += fmt.Sprintf(". The %s layer failed first.", v.Layer)
	}
	if len(r.Threads) > 0 {
		n := int64(0)
		for _, a := range attempts {
			if a.Match != correlate.Unmatched {
				n++
			}
		}
		r.Correlation = correlate.Correlation{JTLSamples: n + 3, Matched: n, ByCallID: n, UnmatchedJTL: 3, CallIDNotInCapture: 3,
			ClockOffset: clockOffset, OffsetBasis: fmt.Sprintf("median of %s Call-ID matches", Thousands(n)), OffsetSpread: 420_000}
		// JMeter's Duration Assertion fails answers slower than 200 ms:
		// breaches, not rejections.
		for i := range attempts {
			a := &attempts[i]
			if a.Failed || a.Answered-a.Time <= 200e6 {
				continue
			}
			if r.Breaches.Count == 0 {
				r.Breaches = correlate.Breaches{ByLabel: map[string]int64{}, Messages: map[string]int64{},
					First: &correlate.Breakpoint{Time: a.Time, Concurrency: a.Concurrency, Threads: a.Threads, CallID: a.CallID, Attempt: i,
						Method: "the earliest sample JMeter marked failed while the edge answered 200"}}
			}
			r.Breaches.Count++
			r.Breaches.ByLabel["INVITE trunk-edge"]++
			r.Breaches.Messages["The operation lasted too long: It took more than 200 milliseconds."]++
		}
	}
	r.Notes = append(r.Notes, "SIP over TCP and TLS was not analysed: the capture held only UDP signalling.")
}

func layerResult(attempts []correlate.Attempt, l correlate.Layer, as []*correlate.Attempt) *correlate.LayerResult {
	lr := &correlate.LayerResult{Layer: l, Basis: "capture", Codes: map[string]int64{}, Outcomes: map[string]int64{}}
	if as[0].Source&correlate.FromCapture == 0 {
		lr.Basis = "jtl"
	}
	levels := map[int32]*correlate.Level{}
	rts := map[int32][]int64{}
	edges := map[netip.AddrPort]*correlate.EdgeCount{}
	index := func(a *correlate.Attempt) int {
		for i := range attempts {
			if &attempts[i] == a {
				return i
			}
		}
		return -1
	}
	for _, a := range as {
		lr.Attempts++
		lr.Codes[a.Status]++
		lr.Outcomes[a.Outcome.String()]++
		if a.Concurrency > lr.MaxConcurrency {
			lr.MaxConcurrency = a.Concurrency
		}
		e := edges[a.Edge]
		if e == nil {
			e = &correlate.EdgeCount{Edge: a.Edge}
			edges[a.Edge] = e
		}
		e.Attempts++
		if !a.Outcome.Decided() {
			continue
		}
		lr.Decided++
		lv := levels[a.Concurrency]
		if lv == nil {
			lv = &correlate.Level{Concurrency: a.Concurrency}
			levels[a.Concurrency] = lv
		}
		lv.Attempts++
		if rt := a.ResponseTime(); rt >= 0 {
			rts[a.Concurrency] = append(rts[a.Concurrency], rt)
		}
		if a.Failed {
			lr.Failures++
			lv.Failures++
			e.Failures++
			if lr.FirstFailure == nil {
				lr.FirstFailure = &correlate.Breakpoint{Time: a.Time, Concurrency: a.Concurrency, Threads: a.Threads, CallID: a.CallID, Edge: a.Edge, Status: a.Status, Attempt: index(a),
					Method: "the earliest attempt that failed, with the " + l.Unit() + " at its edge when it was made, itself included"}
			}
		}
	}
	for _, lv := range levels {
		lv.P50, lv.P90, lv.P99 = -1, -1, -1
		if v := rts[lv.Concurrency]; len(v) > 0 {
			sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
			q := func(p float64) int64 { return v[int(p*float64(len(v)-1))] }
			lv.P50, lv.P90, lv.P99 = q(0.5), q(0.9), q(0.99)
		}
		lr.Levels = append(lr.Levels, *lv)
	}
	sort.Slice(lr.Levels, func(i, j int) bool { return lr.Levels[i].Concurrency < lr.Levels[j].Concurrency })
	// Sustained: the lowest level from which every level up has a majority
	// of failures.
	for i := len(lr.Levels) - 1; i >= 0; i-- {
		lv := lr.Levels[i]
		if 2*lv.Failures <= lv.Attempts {
			break
		}
		var at, failed int64
		for _, u := range lr.Levels[i:] {
			at += u.Attempts
			failed += u.Failures
		}
		lr.Sustained = &correlate.Breakpoint{Concurrency: lv.Concurrency, AtOrAbove: at, FailedAtOrAbove: failed, Threads: -1,
			Method: fmt.Sprintf("the lowest concurrency from which, at every level up to the highest seen, more than half of the attempts failed (%d of %d attempts at %d or more failed)", failed, at, lv.Concurrency)}
	}
	if s := lr.Sustained; s != nil {
		for _, a := range as {
			if a.Failed && a.Concurrency >= s.Concurrency {
				s.Time, s.CallID, s.Edge, s.Threads, s.Status, s.Attempt = a.Time, a.CallID, a.Edge, a.Threads, a.Status, index(a)
				break
			}
		}
	}
	for _, e := range edges {
		lr.Edges = append(lr.Edges, *e)
	}
	sort.Slice(lr.Edges, func(i, j int) bool {
		if lr.Edges[i].Attempts != lr.Edges[j].Attempts {
			return lr.Edges[i].Attempts > lr.Edges[j].Attempts
		}
		return lr.Edges[i].Edge.String() < lr.Edges[j].Edge.String()
	})
	return lr
}

// The cases the tests render.

var spikeTest = spikeOptions{threads: 130, rampRate: 2, duration: 100 * time.Second, capacity: 100, hold: 25 * time.Second, retry: 4 * time.Second, jtl: true, seed: 1}

func realisticSpike() *Document {
	return spikeDocument(spikeTest)
}

func emptyDocument() *Document {
	r := &correlate.Result{Basis: "none"}
	fillResult(r, nil)
	r.Notes = []string{"The capture held no SIP, WebSocket or TCP traffic to any edge."}
	return &Document{Tool: "ceiling v0.1.0", Generated: testGenerated, Command: []string{"ceiling", "analyze", "empty.pcap"}, Result: r,
		Inputs: []Input{{Path: "empty.pcap", Kind: "pcap", Size: 24, Detail: "no packets"}}}
}

func oneAttempt() *Document {
	return spikeDocument(spikeOptions{threads: 1, rampRate: 1, duration: 2 * time.Second, capacity: 100, hold: 5 * time.Second, retry: time.Second, jtl: true, seed: 2})
}

func noFailures() *Document {
	return spikeDocument(spikeOptions{threads: 40, rampRate: 2, duration: 60 * time.Second, capacity: 100, hold: 10 * time.Second, retry: time.Second, jtl: true, seed: 3})
}

func noJTL() *Document {
	return spikeDocument(spikeOptions{threads: 130, rampRate: 2, duration: 90 * time.Second, capacity: 100, hold: 25 * time.Second, retry: 5 * time.Second, seed: 4})
}

// jtlOnly is the spike as the JTL alone tells it: no capture, no edge
// addresses, concurrency as samples in flight.
func jtlOnly() *Document {
	d := realisticSpike()
	r := d.Result
	attempts := attemptList(r)
	for i := range attempts {
		a := &attempts[i]
		a.Source, a.Match, a.Edge, a.Client, a.Packet = correlate.FromJTL, correlate.Unmatched, netip.AddrPort{}, netip.AddrPort{}, 0
		if a.Detail != nil {
			// The JTL knows neither headers nor backends.
			a.Detail = &correlate.Detail{ReasonPhrase: a.Detail.ReasonPhrase, RetryAfter: -1, Sample: a.Detail.Sample}
			a.Detail.Sample.File = 0 // the JTL is now the only input
		}
	}
	r.Layers, r.Verdict, r.Breaches = nil, correlate.Verdict{}, correlate.Breaches{}
	r.Basis = "jtl"
	fillResult(r, attempts)
	n := int64(len(attempts))
	r.Correlation = correlate.Correlation{JTLSamples: n, OffsetBasis: "none"}
	r.Notes = []string{"No capture: every layer's account comes from the JTL alone; concurrency is counted as samples in flight, not as the edge saw it."}
	d.Inputs = d.Inputs[1:]
	d.Command = []string{"ceiling", "analyze", "results.jtl"}
	return d
}

func allFailures() *Document {
	// An edge whose trunk is down: every INVITE refused at once, so no
	// dialog ever holds a slot.
	return spikeDocument(spikeOptions{threads: 20, rampRate: 4, duration: 20 * time.Second, capacity: -1, hold: time.Second, retry: time.Second, jtl: true, seed: 5})
}

// twoLayers has WebSocket upgrades throttled with 429 beside the SIP
// spike: two chart sets, the failing layer first.
func twoLayers() *Document {
	d := realisticSpike()
	r := d.Result
	ws := netip.MustParseAddrPort("203.0.113.20:443")
	attempts := attemptList(r)
	n := len(attempts)
	for i := 0; i < n; i += 3 {
		a := attempts[i]
		b := correlate.Attempt{Layer: correlate.LayerWebSocket, Time: a.Time - 40e6, Answered: a.Time - 10e6, Ended: a.Ended,
			Concurrency: a.Concurrency/3 + 1, Threads: a.Threads, TraceID: fmt.Sprintf("trace-%06d", i), Edge: ws,
			Source: correlate.FromCapture, Outcome: correlate.Answered, Status: "101", File: 1, Packet: a.Packet - 3}
		if b.Concurrency > 28 {
			b.Outcome, b.Status, b.Failed, b.Kind = correlate.Rejected, "429", true, correlate.KindRateLimit
			b.Detail = &correlate.Detail{ReasonPhrase: "Too Many Requests", RetryAfter: 1}
		}
		attempts = append(attempts, b)
	}
	sort.SliceStable(attempts, func(i, j int) bool { return attempts[i].Time < attempts[j].Time })
	r.Start, r.End = attempts[0].Time, attempts[len(attempts)-1].Time
	r.Layers, r.Verdict = nil, correlate.Verdict{}
	fillResult(r, attempts)
	r.Notes = r.Notes[:1]
	return d
}
