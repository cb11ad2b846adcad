package correlate

import (
	"fmt"
	"math"
	"math/rand"
	"net/netip"
	"slices"
	"sort"
	"time"
	"unsafe"

	"github.com/ceiling-dev/ceiling/internal/spill"
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
	// Spill says where the attempts go beyond what is kept in memory.
	Spill SpillOptions
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
	// wireSorted is how many of the capture's attempts EndCapture found
	// in time order, all of them; -1 when they were not.
	wireSorted int

	conn *connTracker

	// The joins: Call-ID → hop-0 SIP attempt; trace ID → hop-0 attempts.
	callIndex  *idIndex
	traceIndex *idIndex
	traceIDs   []int32 // traceIndex.all's, reused
	// window reads the attempts the joins find.
	window *idWindow
	// free is what the pairers read of the attempts, when EndCapture
	// noted it (nil: they read the log).
	free *freeHeads
	// touched keeps AddSamples' reads from being thrown away; hashes are
	// the look-ups it made, hashed that of the sample being added.
	touched uint64
	hashes  []idMemo
	hashed  idMemo
	// callHashes are AddEvents' hashes of its events' Call-IDs.
	callHashes []uint64
	// covered says which layers the capture saw hop-0 attempts of: their
	// samples are joined to the wire, not counted again.
	covered [numLayers]bool
	// sampled counts the samples per layer, for the unmatched count.
	sampled [numLayers]int64
	classes classMemo

	// jtl holds the attempts known only from the JTL, compact until
	// Finish; inflight the ends of each layer's samples in flight.
	jtl      jtlBook
	details  *detailStore // the JTL failures' Details, for the Result
	inflight [numLayers]inflight

	threads *threadBook
	// The samples that give matched capture attempts their thread counts
	// once the book is complete, and the matches matchByTime makes, by
	// index in sip.attempts (host noRef: none); made at the first match.
	sipRefs   *refBook
	breachRef threadRef

	offsets     []int64
	offsetsSeen int64
	rng         *rand.Rand

	// Samples with no shared ID of a layer the capture covers, matched by
	// time and order (SIP) or by flow (the others) once the clock offset
	// is known.
	noID map[Layer]*spill.Log[pendingSample]

	corr     Correlation
	breaches Breaches
	// seen says, once the attempts are merged, whether any is the load
	// generator's own failure and any a TCP connection on the wire.
	seen struct{ client, tcp bool }
}

type pendingSample struct {
	start   int64 // ms, JMeter clock
	connect int64 // ms the sample spent connecting (a connect error's whole elapsed)
	class   sampleClass
	sample  SampleRef
	tref    threadRef
	// linkOnly: the sample is already an attempt of its own layer; a
	// match only ties it to the connection under it.
	linkOnly bool
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
	an := &Analyzer{
		opts:     opts,
		sip:      newSIPTracker(int64(opts.TimerB), int64(opts.TimerF), opts.Edges, opts.Spill),
		threads:  newThreadBook(),
		rng:      rand.New(rand.NewSource(1)),
		breaches: Breaches{ByLabel: map[string]int64{}, Messages: map[string]int64{}},
		noID:     map[Layer]*spill.Log[pendingSample]{},
	}
	an.conn = newConnTracker(an.sip.attempts, opts.Edges)
	an.jtl.spill = opts.Spill
	return an
}

// AddEvent takes one capture event; events must come in time order.
// Nothing of ev may be kept once it returns: the pipeline hands the
// event's memory back to the capture reader, which writes the next
// datagrams and Messages over it (capture.Source.Recycle). A string kept
// from an event is cloned, the Call-ID too (once per call), except methods
// (constants or copies); the pipeline's tests poison what comes back
// (capture.PoisonEnv) to catch one that is not.
func (a *Analyzer) AddEvent(ev *capture.Event) {
	// Between events no attempt is held by pointer: the log may write
	// the pages least used to its file.
	a.sip.attempts.Settle()
	a.captureEvents++
	if ev.Time > a.captureEnd {
		a.captureEnd = ev.Time
	}
	switch ev.Kind {
	case capture.KindSIP:
		a.sip.add(ev)
	default:
		a.sip.advance(ev.Time)
		a.conn.add(ev)
	}
}

// AddEvents is AddEvent for each event in turn, the memory the SIP
// tracker will read for them read first (sipTracker.readAhead), and each
// Call-ID hashed once.
func (a *Analyzer) AddEvents(evs []capture.Event) {
	a.callHashes = slices.Grow(a.callHashes[:0], len(evs))[:len(evs)]
	a.sip.readAhead(evs, a.callHashes)
	for i := range evs {
		a.sip.hashed = a.callHashes[i]
		a.AddEvent(&evs[i])
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
	backend := a.conn.backends()
	a.captureClosed = true
	log := a.sip.attempts
	a.window = newIDWindow(log)
	a.callIndex = newIDIndex(func(i int32) string { return a.window.at(int(i)).CallID })
	a.traceIndex = newIDIndex(func(i int32) string { return a.window.at(int(i)).TraceID })
	// One pass settles what the capture's end left waiting, relabels the
	// connections to backends, notes whether the attempts are in time
	// order (for Finish's merge) and what the pairers read of them
	// (freeHeads), and indexes them: each pass decodes a spilled log's
	// every page.
	a.wireSorted = log.Len()
	last := int64(math.MinInt64)
	// The pass reads the attempts less their Details, which it has no use
	// for, and takes whole only those it changes: most of a spilled log's
	// pages are read and not decoded. Its IDs are good until the next
	// attempt (Part.Alias): the index keeps only their hashes.
	a.free = newFreeHeads(log.Len(), a.opts.Spill)
	codec := log.Codec().(*attemptCodec)
	heads := log.PartsFrom(0, spill.Part[Attempt]{Decode: codec.DecodeIDs, Trim: trimIDs, Alias: true})
	for {
		i, at, ok := heads.Next()
		if !ok {
			break
		}
		log.Settle()
		if mustClose(at) {
			at = closeAttempt(log, i)
		}
		if at.Time < last {
			a.wireSorted = -1
		}
		last = at.Time
		if backend != nil && connLayer(at.Layer) && backend[at.Edge] {
			log.At(i).Hop = 1
			at.Hop = 1
		}
		if a.free != nil && !a.free.note(i, at) {
			a.free = nil
		}
		if at.Hop != 0 || at.Outcome == Challenged {
			continue
		}
		a.covered[at.Layer] = true
		if at.Layer == LayerSIP {
			a.callIndex.put(at.CallID, int32(i))
		}
		if at.TraceID != "" {
			a.traceIndex.put(at.TraceID, int32(i))
		}
	}
}

// AddSample takes one JTL sample; samples must come in start order.
func (a *Analyzer) AddSample(s *jtl.Sample) {
	if !a.captureClosed {
		a.EndCapture(a.captureEnd)
	}
	a.sip.attempts.Settle()
	tref := a.threads.observe(s.Host, s.End(), s.AllThreads)
	if !s.Counts() {
		return
	}
	a.corr.JTLSamples++
	c, secure := a.classes.classify(s)
	ref := SampleRef{
		Start: s.Start, Elapsed: s.Elapsed, Label: s.Label, Code: s.Code, Message: s.Message,
		Thread: s.Thread, Host: s.Host, AllThreads: s.AllThreads, File: s.File, Line: s.Line,
	}
	if c.breach {
		a.breach(s, c, tref)
	}
	a.sampled[c.layer]++
	switch {
	case s.CallID != "" && a.callIndex.len() > 0:
		a.joinSIP(s, c, ref, tref)
	case s.TraceID != "" && a.traceIndex.len() > 0 && a.joinTrace(s, c, ref, tref):
	case a.coveredBy(c.layer):
		a.pend(c.layer, pendingSample{start: s.Start, connect: connectTime(s, c), class: c, sample: ref, tref: tref})
	default:
		a.jtlAttempt(s, c, ref, tref)
		if l := a.visibleBelow(secure, c.layer); l != LayerNone {
			// The capture cannot see this sample's own layer (HTTP inside
			// TLS, say) but sees the connection under it: link the two,
			// so the connection gets its load and the sample its place
			// on the wire. The sample stays an attempt of its own layer.
			lc := c
			lc.layer = l
			a.pend(l, pendingSample{start: s.Start, connect: s.Connect, class: lc, sample: ref, tref: tref, linkOnly: true})
		}
	}
}

// AddSamples is AddSample for each sample in turn, what their joins will
// read read first (readAheadSamples), and each ID hashed and looked up in
// its index once.
func (a *Analyzer) AddSamples(samples []jtl.Sample) {
	if !a.captureClosed {
		a.EndCapture(a.captureEnd)
	}
	a.readAheadSamples(samples)
	// The joins' lookups read the ID indexes where the IDs' hashes fall,
	// all over them (8 bytes a call, 2.4 MB for 300 k calls): first the
	// bucket's start, then its keys; and a failure's join reads the
	// cache of the failures' strings where theirs fall. Read one sample
	// at a time, each read waits for the memory, one after the other.
	// Read ahead for the whole batch, in passes where no read waits for
	// another, the misses overlap, and the joins find what they read in
	// the CPU's caches. The lookups themselves were made ahead: the
	// joins confirm them (idRun, by the ID the sample is joined by, in
	// AddSample's order; a lookup of another ID or index makes its own).
	//
	// The read-ahead keeps nothing that AddSample changes: the indexes
	// are built first, and the cache's sets are only read, for what is
	// in them now.
	//
	// (AddSample's call keeps its place in this function, counted in
	// lines from the top, where the profile cmd/ceiling/default.pgo
	// marks it hot: moved, it is no longer inlined.)
	for i := range samples {
		a.hashed = a.hashes[i]
		a.AddSample(&samples[i])
	}
	a.hashed = idMemo{}
	clear(a.hashes) // they hold the samples' IDs
}

// idRun is where the keys of id's hash lie in index x: AddSamples' look-up
// when it made it.
func (a *Analyzer) idRun(x *idIndex, id string) keyRun {
	if a.hashed.x != x || a.hashed.id != id {
		return x.find(id)
	}
	return a.hashed.run
}

// visibleBelow names the layer under l that the capture saw for a sample
// whose own layer it did not: TLS for https:// and wss:// (secure), else
// TCP.
func (a *Analyzer) visibleBelow(secure bool, l Layer) Layer {
	if l != LayerHTTP && l != LayerWebSocket {
		return LayerNone
	}
	if a.covered[LayerTLS] && secure {
		return LayerTLS
	}
	if a.covered[LayerTCP] {
		return LayerTCP
	}
	return LayerNone
}

// coveredBy reports whether the capture saw the layer a sample failed or
// succeeded at, so that the sample is the same work as an attempt there.
// A connect error is a tcp sample: the capture covers it when it saw TCP
// connections at all.
func (a *Analyzer) coveredBy(l Layer) bool {
	switch l {
	case LayerClient:
		return false
	case LayerTCP, LayerTLS:
		return a.covered[LayerTCP]
	}
	return a.covered[l]
}

// connectTime is how long a sample spent connecting: its Connect column,
// or for a connect error the whole sample.
func connectTime(s *jtl.Sample, c sampleClass) int64 {
	if c.failed && (c.layer == LayerTCP || c.layer == LayerTLS) {
		return s.Elapsed
	}
	return s.Connect
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
	i, ok := a.callIndex.lastIn(s.CallID, a.idRun(a.callIndex, s.CallID))
	if !ok {
		a.corr.CallIDNotInCapture++
		a.corr.UnmatchedJTL++
		return
	}
	// Read and, for a first match, written in one look-up.
	r := a.sipRefAt(int(i))
	if r.match != Unmatched {
		// A second sample with the same Call-ID (a sampler that writes
		// one row per request of the call): the first one joined.
		return
	}
	a.join(int(i), r, ByCallID, s.Start, c, ref, tref)
	a.corr.ByCallID++
}

// joinTrace ties a sample to the attempt on the wire that carried its
// trace ID, preferring one of the sample's own layer. It reports whether
// it found one.
func (a *Analyzer) joinTrace(s *jtl.Sample, c sampleClass, ref SampleRef, tref threadRef) bool {
	a.traceIDs = a.traceIndex.allIn(a.traceIDs[:0], s.TraceID, a.idRun(a.traceIndex, s.TraceID))
	ids := a.traceIDs
	best := -1
	bestLayer := Layer(0)
	for _, i := range ids {
		if a.sipRef(int(i)).match != Unmatched {
			continue
		}
		at := a.window.at(int(i))
		if best < 0 || (at.Layer == c.layer && bestLayer != c.layer) {
			best, bestLayer = int(i), at.Layer
		}
	}
	if best < 0 {
		return false
	}
	a.join(best, a.sipRefAt(best), ByTraceID, s.Start, c, ref, tref)
	a.corr.ByTraceID++
	return true
}

// join records that sample and attempt i, whose sipRef is r (sipRefAt),
// are the same work. As joinLater does, it leaves the match to be written
// at Finish's merge: the pages of the attempts stay clean, so the log
// need not write them out again.
func (a *Analyzer) join(i int, r *sipRef, how Match, start int64, c sampleClass, ref SampleRef, tref threadRef) {
	at := a.window.at(i)
	if how == ByCallID || how == ByTraceID {
		a.addOffset(at.Time - start*1e6)
	}
	a.joinLater(r, at, how, c, ref, tref)
}

// joinLater is join for matchByTime, given the attempt's head and its
// sipRef (sipRefAt): what the match writes on the attempt waits in
// sipRefs for Finish's merge, which reads the attempt whole anyway,
// rather than bring its page into memory (the pairers read only heads)
// and write the page out again.
func (a *Analyzer) joinLater(r *sipRef, head *Attempt, how Match, c sampleClass, ref SampleRef, tref threadRef) {
	*r = sipRef{tref: tref, match: how, lazy: a.joined(head, c, ref)}
}

// joined counts a match of a sample with at and returns the number of the
// sample's Detail, kept when at failed (0: none).
func (a *Analyzer) joined(at *Attempt, c sampleClass, ref SampleRef) uint32 {
	a.corr.Matched++
	if c.failed != at.Failed || (c.failed && c.layer == at.Layer && c.status != at.Status) {
		a.corr.Disagreements++
	}
	if !at.Failed {
		return 0
	}
	// The sample is shown with the failure (Result.Detail): kept as a
	// record of numbers and string references, not a SampleRef.
	return a.detailStore().add(lazyDetail{
		start: ref.Start, elapsed: ref.Elapsed, line: ref.Line, all: int64(ref.AllThreads),
		file: int32(ref.File), shape: a.jtl.shapeOf(&ref), sampleOnly: true,
	})
}

// detailStore is the store of the Details and samples made on demand.
func (a *Analyzer) detailStore() *detailStore {
	if a.details == nil {
		a.details = newDetailStore(a.opts.Spill)
	}
	return a.details
}

// sipRefAt is where the sample that matched capture attempt i is filed,
// to be read and written, good until the next sipRef or sipRefAt (which
// settle the log).
func (a *Analyzer) sipRefAt(i int) *sipRef {
	if a.sipRefs == nil {
		a.sipRefs = newRefBook(a.sip.attempts.Len(), a.opts.Spill)
	}
	return a.sipRefs.at(i)
}

func (a *Analyzer) sipRef(i int) sipRef {
	if a.sipRefs == nil {
		return sipRef{tref: threadRef{host: noRef}}
	}
	return a.sipRefs.read(i)
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
	// The samples of its layer in flight when it started: the attempt's
	// concurrency as the load generator saw it. (Five lines, as the heap's
	// code before them: cmd/ceiling/default.pgo names the calls below by
	// their offset in the function.)
	conc := a.inflight[c.layer].enter(s.Start, s.End())
	b := &a.jtl
	rec := jtlRecord{
		start:    s.Start,
		end:      s.End(),
		answered: s.End(),
		// The IDs as the JTL reader made them: a row's own copy, or a
		// slice of a block of its column's unique values that is never
		// written again (parse/jtl's interner.unique), so a record holds
		// no more than its neighbours do. A copy here was 15% of the bytes
		// allocated on a JTL alone; the record is written to the file,
		// and let go, a few pages later.
		callID:  s.CallID,
		traceID: s.TraceID,
		file:    int64(s.File),
		conc:    conc,
		tHost:   tref.host,
		own:     tref.own,
		status:  b.statusIndex(c.status),
		layer:   c.layer,
		failed:  c.failed,
	}
	if s.Latency > 0 && s.Latency <= s.Elapsed {
		rec.answered = s.Start + s.Latency
	}
	switch {
	case c.failed && c.status == "timeout":
		rec.outcome = TimedOut
	case c.failed:
		rec.outcome = Rejected
	default:
		rec.outcome = Answered
	}
	if c.failed {
		rec.kind = kindOf(c.layer, c.status)
		// The sample, for the Detail that Finish makes. Its start,
		// elapsed time and message are the attempt's (the Detail's reason
		// phrase is the message); its file differs from the attempt's only
		// for the client failures matchByTime makes, which are few.
		rec.all, rec.line = int64(ref.AllThreads), ref.Line
		rec.shape = b.shapeOf(&ref)
	}
	b.add(&rec, ref.File)
}

// textRef names a string in a textStore: 0 is "", bit 63 an index into
// its long strings, otherwise the block (19 bits), the offset in it (20)
// and the length (24).
type textRef uint64

const (
	textBlock = 1 << 20
	textLong  = 1 << 63
)

// textStore keeps strings in large blocks of bytes, which hold no
// pointers, and hands out references that hold none either. The strings
// Finish makes from them point into the blocks: the bytes are written
// once and never changed.
type textStore struct {
	blocks [][]byte
	long   []string
	// Repeated values (labels, codes, messages, thread names) are stored
	// once: the JTL reader interns them, so a cache keyed by where a
	// string's bytes lie usually finds one without hashing them, and a
	// map by value, bounded, finds the others. The cache holds the strings
	// it names, so an address cannot be reused for other bytes while
	// there.
	cache [1024]struct {
		s   string
		ref textRef
	}
	index map[string]textRef
}

// put stores s once per distinct value (up to a bound).
func (t *textStore) put(s string) textRef {
	if s == "" {
		return 0
	}
	e := &t.cache[(uintptr(unsafe.Pointer(unsafe.StringData(s)))>>4^uintptr(len(s)))%uintptr(len(t.cache))]
	if len(e.s) == len(s) && unsafe.StringData(e.s) == unsafe.StringData(s) {
		return e.ref
	}
	r, ok := t.index[s]
	if !ok {
		r = t.unique(s)
		if t.index == nil {
			t.index = map[string]textRef{}
		}
		if len(t.index) < 1<<16 {
			t.index[s] = r
		}
	}
	e.s, e.ref = s, r
	return r
}

// unique stores s as it is, past the bound of put's index.
func (t *textStore) unique(s string) textRef {
	n := len(s)
	if n == 0 {
		return 0
	}
	if n >= textBlock/4 {
		t.long = append(t.long, s)
		return textLong | textRef(len(t.long)-1)
	}
	k := len(t.blocks) - 1
	if k < 0 || cap(t.blocks[k])-len(t.blocks[k]) < n {
		t.blocks = append(t.blocks, make([]byte, 0, textBlock))
		k++
	}
	off := len(t.blocks[k])
	t.blocks[k] = append(t.blocks[k], s...)
	return textRef(k)<<44 | textRef(off)<<24 | textRef(n)
}

func (t *textStore) get(r textRef) string {
	switch {
	case r == 0:
		return ""
	case r&textLong != 0:
		return t.long[r&^textLong]
	}
	b := t.blocks[r>>44]
	return unsafe.String(&b[r>>24&(1<<20-1)], int(r&(1<<24-1)))
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// spilled is what Finish asks of the logs the gathering used.
type spilled interface {
	MostResident() int
	Err() error
	Close() error
}

// Finish completes the analysis.
func (a *Analyzer) Finish() *Result {
	if !a.captureClosed {
		a.EndCapture(a.captureEnd)
	}
	// The joins are done: their pages of attempts go before the merge
	// needs the memory.
	a.window = nil
	r := &Result{SIP: a.sip.stats, Conn: a.conn.stats, Breaches: a.breaches}
	a.settleOffset(r)
	off := a.corr.ClockOffset
	a.matchByTime(off)

	a.threads.finish()
	// The book's strings as they are now, its last: the samples matched
	// above and the failures below point into them.
	d := a.detailStore()
	d.text, d.shapes = a.jtl.text, a.jtl.shapes
	r.details = d
	var acc *layerAcc
	r.Attempts, r.Start, r.End, acc = a.attempts(off)
	// The logs the gathering used are done with: their first error is
	// the result's, and the most pages any held at once is reported.
	logs := []spilled{a.sip.attempts}
	if a.sipRefs != nil {
		logs = append(logs, a.sipRefs)
	}
	logs = append(logs, a.jtl.logs()...)
	for _, l := range a.pendingLayers() {
		logs = append(logs, a.noID[l])
	}
	for _, l := range logs {
		r.Attempts.gathering = max(r.Attempts.gathering, l.MostResident())
		if err := l.Err(); err != nil && r.Attempts.err == nil {
			r.Attempts.err = err
		}
		l.Close()
	}
	if a.details != nil {
		// Read by the reports from now on; it settles itself.
		r.Attempts.gathering = max(r.Attempts.gathering, a.details.recs.MostResident())
	}
	a.jtl = jtlBook{}
	if a.seen.client {
		clientConcurrency(r.Attempts.log, a.seen.tcp)
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
	if a.seen.client {
		// clientConcurrency changed attempts the merge had counted.
		r.Layers = layerResults(r.Attempts)
	} else {
		r.Layers = acc.results(r.Attempts)
	}
	r.Verdict = verdict(r)
	r.Notes = a.notes(r)
	return r
}

// attempts puts the capture's attempts and the JTL's together in time
// order, the JTL's moved onto the capture clock by off, into a log of
// their own: a stable sort of the two, the capture's first. Each side is
// sorted on its own (both nearly always are already) and the two merged.
// On the way, each capture attempt gets the load JMeter offered when it
// was made, and those no sample claimed are counted; start and end bound
// them in time.
//
// It counts the layers' accounts (layerAcc) as it writes the attempts;
// they hold unless clientConcurrency changes some after.
func (a *Analyzer) attempts(off int64) (all *Attempts, start, end int64, acc *layerAcc) {
	wire := a.sip.attempts
	var wireOrder []int32
	if a.wireSorted != wire.Len() {
		wireOrder = sortedOrder(wire.Len(), func(i int) int64 {
			wire.Settle()
			return wire.Peek(i).Time
		})
	}
	out := copyingLog(wire, a.opts.Spill)
	// A run whose attempts all fit in the log's memory keeps them there
	// as records (Append), read as they are by the report's dozen
	// passes; kept encoded (Write), each pass decoded them again: 4.7%
	// more instructions for a 100 MB capture. Records kept must not
	// point into buffers read over, so such a run reads both sides
	// page by page into the logs' own memory (Peek).
	small := wire.Len()+a.jtl.len() <= out.PageItems()*out.Resident()
	book := a.jtl.reader(!small)
	haveThreads := !a.threads.empty()
	bound := func(at *Attempt) {
		if out.Len() == 0 {
			start, end = at.Time, at.Time
		}
		a.seen.client = a.seen.client || at.Layer == LayerClient
		a.seen.tcp = a.seen.tcp || (at.Layer == LayerTCP && at.Hop == 0)
		// In time order: the last attempt's time is the latest start.
		end = max(end, at.Time, at.Ended)
	}
	acc = newLayerAcc()
	// In time order already (nearly always), the wire's attempts are read
	// front to back a page at a time into one buffer, as the JTL book's
	// are, and copied into the merged log as they come (wireCopy).
	// Reading the pages into the log's memory made each page's bytes anew.
	var (
		seq  *spill.HeadReader[Attempt]
		next *Attempt // seq's, nil once taken
		wc   wireCopy
	)
	if wireOrder == nil && !small {
		wc.codec, wc.acc = wire.Codec().(*attemptCodec), acc
		seq = wire.PartsFrom(0, spill.Part[Attempt]{Decode: wc.decode, Trim: func(*Attempt) {}, Alias: true})
	}
	wireAt := func(i int) *Attempt {
		if seq == nil {
			return wire.Peek(i)
		}
		if next == nil {
			next = wc.next(seq)
		}
		return next
	}
	var at Attempt
	for w := 0; ; {
		book.settle()
		wire.Settle()
		if small {
			out.Settle()
		}
		i := -1
		if w < wire.Len() {
			i = w
			if wireOrder != nil {
				i = int(wireOrder[w])
			}
		}
		if rec, file := book.head(); rec != nil && (i < 0 || rec.start*1e6+off < wireAt(i).Time) {
			a.jtlAttempt1(&at, rec, file, off)
			book.take()
		} else if i >= 0 {
			at, wc.taken = *wireAt(i), wc.raw
			next = nil
			w++
			ref := a.sipRef(i)
			if ref.match != Unmatched {
				// A match matchByTime left to be written here (joinLater).
				at.Match = ref.match
				at.Source |= FromJTL
				if ref.lazy != 0 {
					at.lazy = ref.lazy
				}
			}
			if at.Hop == 0 && at.Match == Unmatched && at.Outcome != Challenged && a.sampled[at.Layer] > 0 {
				a.corr.UnmatchedCapture++
			}
			if haveThreads {
				if ref.tref.host != noRef {
					at.Threads = a.threads.resolve(ref.tref)
				} else {
					at.Threads = a.threads.at(floorDiv(at.Time-off, 1e6), -1)
				}
			}
		} else {
			break
		}
		bound(&at)
		acc.add(out.Len(), &at, nil)
		if small {
			out.Append(at)
		} else {
			// Encoded at once rather than held until its page leaves
			// memory: the log is written front to back and read only
			// after.
			wc.write(out, &at)
		}
	}
	out.Settle()
	return &Attempts{log: out}, start, end, acc
}

// sortedOrder is the order that sorts n items by time, stably; nil when
// they are in order already.
func sortedOrder(n int, time func(int) int64) []int32 {
	var times []int64
	for i := 1; i < n; i++ {
		if time(i) < time(i-1) {
			times = make([]int64, n)
			break
		}
	}
	if times == nil {
		return nil
	}
	order := make([]int32, n)
	for i := range order {
		order[i] = int32(i)
		times[i] = time(i)
	}
	sort.SliceStable(order, func(x, y int) bool { return times[order[x]] < times[order[y]] })
	return order
}

// jtlAttempt1 writes out the attempt a JTL record stands for; file is
// that of its failure's sample.
func (a *Analyzer) jtlAttempt1(at *Attempt, rec *jtlRecord, file int, off int64) {
	*at = Attempt{
		Layer:       rec.layer,
		Time:        rec.start*1e6 + off,
		Answered:    rec.answered*1e6 + off,
		Ended:       rec.end*1e6 + off,
		Concurrency: rec.conc,
		Threads:     a.threads.resolve(threadRef{host: rec.tHost, own: rec.own, endMs: rec.end}),
		Outcome:     rec.outcome,
		Status:      a.jtl.statuses[rec.status],
		Failed:      rec.failed,
		Kind:        rec.kind,
		CallID:      rec.callID,
		TraceID:     rec.traceID,
		Source:      FromJTL,
		File:        int(rec.file),
	}
	if rec.failed {
		at.lazy = a.details.add(lazyDetail{start: rec.start, elapsed: rec.end - rec.start, line: rec.line, all: rec.all, file: int32(file), shape: rec.shape})
	}
}

// settleOffset fixes the clock offset: forced, or the median of the
// Call-ID matches.
func (a *Analyzer) settleOffset(r *Result) {
	switch {
	case a.opts.ClockOffset != nil:
		a.corr.ClockOffset = int64(*a.opts.ClockOffset)
		a.corr.OffsetBasis = "given with --clock-offset"
	case len(a.offsets) > 0:
		n := len(a.offsets)
		selectAt(a.offsets, n/4, n/2, n*3/4)
		a.corr.ClockOffset = a.offsets[n/2]
		a.corr.OffsetSpread = a.offsets[n*3/4] - a.offsets[n/4]
		a.corr.OffsetBasis = fmt.Sprintf("median of %s matches by Call-ID or trace ID", thousands(a.offsetsSeen))
	case len(a.noID) > 0:
		// No shared IDs. The capture was often taken on the load
		// generator, or on a host in step with it: try no offset; and
		// lining the first sample up with the first attempt of its layer
		// on the wire, which is right when both saw the start of the test.
		// Keep whichever matches more samples.
		var first *pendingSample
		for _, l := range a.pendingLayers() {
			if ps := a.noID[l]; ps.Len() > 0 && (first == nil || ps.Read(0).start < first.start) {
				p := ps.Read(0)
				first = &p
			}
		}
		best, bestN, basis := int64(0), a.matchesAt(0), "none found: no shared IDs, and the samples match the wire best with the clocks taken as equal"
		for i := range a.sip.attempts.Len() {
			a.sip.attempts.Settle()
			at := a.sip.attempts.Read(i)
			if first != nil && at.Hop == 0 && at.Layer == first.class.layer {
				if off := at.Time - first.start*1e6; a.matchesAt(off) > bestN {
					best, basis = off, "first attempt on the wire lined up with the first sample (no shared IDs)"
				}
				break
			}
		}
		a.corr.ClockOffset, a.corr.OffsetBasis = best, basis
	default:
		a.corr.OffsetBasis = "none: nothing to match"
	}
}

// link ties a sample already counted at its own layer to the connection
// under it: the connection is no longer unclaimed, and has its load. As
// joinLater, it leaves the match to be written at Finish's merge.
func (a *Analyzer) link(i int, tref threadRef) {
	*a.sipRefAt(i) = sipRef{tref: tref, match: ByFlow}
	a.corr.Linked++
}

func (a *Analyzer) pendingLayers() []Layer {
	layers := make([]Layer, 0, len(a.noID))
	for l := range a.noID {
		layers = append(layers, l)
	}
	sort.Slice(layers, func(i, j int) bool { return layers[i] < layers[j] })
	return layers
}

// pend keeps a sample that shares no ID with the wire for matchByTime.
func (a *Analyzer) pend(l Layer, p pendingSample) {
	q := a.noID[l]
	if q == nil {
		q = spill.New[pendingSample](newPendingCodec(), a.opts.Spill.log(1<<12, 4))
		a.noID[l] = q
	}
	q.Settle()
	q.Append(p)
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

// clientConcurrency counts, for each failure of the load generator itself,
// what it held at that moment: the TCP connections open on the wire
// (hop 0), or without a capture of them, the samples in flight at any
// layer; plus the failed attempt. Running out of ephemeral ports is a
// ceiling on exactly that. Finish calls it only when there are such
// failures; tcpSeen says the wire had hop-0 TCP connections.
func clientConcurrency(all *attemptLog, tcpSeen bool) {
	var starts, ends []int64
	for i := range all.Len() {
		a := all.Read(i)
		all.Settle()
		if a.Hop != 0 || a.Layer == LayerClient || (tcpSeen && a.Layer != LayerTCP) {
			continue
		}
		starts = append(starts, a.Time)
		if a.Ended != 0 {
			ends = append(ends, a.Ended)
		}
	}
	if len(starts) == 0 {
		return
	}
	sort.Slice(starts, func(i, j int) bool { return starts[i] < starts[j] })
	sort.Slice(ends, func(i, j int) bool { return ends[i] < ends[j] })
	for i := range all.Len() {
		all.Settle()
		if all.Read(i).Layer != LayerClient {
			continue
		}
		a := all.At(i)
		opened := sort.Search(len(starts), func(k int) bool { return starts[k] > a.Time })
		closed := sort.Search(len(ends), func(k int) bool { return ends[k] > a.Time })
		a.Concurrency = int32(opened-closed) + 1
	}
}
