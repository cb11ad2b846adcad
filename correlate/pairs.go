package correlate

import (
	"math"
	"sort"
	"strings"

	"github.com/ceiling-dev/ceiling/internal/spill"
	"github.com/ceiling-dev/ceiling/parse/jtl"
)

// matchByTime pairs the samples that share no ID with an attempt on the
// wire with unmatched attempts of their layer, in order, within the
// window: by time and order for SIP, by flow (connection time) for the
// others; weaker matches, counted apart. A connect error that finds no
// SYN on the wire was never tried on the network: the load generator
// failed (ports, no route), whatever the exception says.
func (a *Analyzer) matchByTime(off int64) {
	for _, group := range groupPairs(a.pendingLayers(), a.pairTarget) {
		// Each sample is settled as it is paired: pairing reads only
		// attempts later than any it has settled, and a sample's join
		// files a match for its own attempt alone.
		a.pairs(group, off, func(l Layer, p *pendingSample, f *freeAttempt) {
			how := ByFlow
			if l == LayerSIP {
				how = ByTime
			}
			if f != nil {
				if p.linkOnly {
					a.link(f.i, p.tref)
					return
				}
				head := Attempt{Failed: f.failed, Layer: f.layer, Status: f.status}
				a.joinLater(a.sipRefAt(f.i), &head, how, p.class, p.sample, p.tref)
				if how == ByFlow {
					a.corr.ByFlow++
				} else {
					a.corr.ByTime++
				}
				return
			}
			if noSYN(l, p.class) {
				// No connection attempt on the wire for this connect
				// error: the load generator never sent a SYN.
				a.corr.NoSYN++
				c := p.class
				c.layer, c.status = LayerClient, "no-syn:"+p.class.status
				if strings.Contains(strings.ToLower(p.sample.Message), "cannot assign requested address") ||
					strings.Contains(p.sample.Code, "BindException") {
					c.status = "ephemeral-ports"
				}
				s := jtl.Sample{Start: p.start, Elapsed: p.sample.Elapsed, Code: p.sample.Code, Message: p.sample.Message, Label: p.sample.Label}
				a.jtlAttempt(&s, c, p.sample, p.tref)
				return
			}
			if !p.linkOnly {
				a.corr.UnmatchedJTL++
			}
		})
	}
	// The pairers are done with the heads EndCapture noted.
	a.free = nil
}

// noSYN says whether a sample of layer l that found no attempt on the wire
// is the load generator's own failure.
func noSYN(l Layer, c sampleClass) bool {
	return c.failed && (l == LayerTCP || l == LayerTLS) && c.status != "reset"
}

// pairTarget is the layer on the wire whose attempts layer l's samples
// are paired with: a TLS sample goes to the connection under it when the
// capture saw no handshakes.
func (a *Analyzer) pairTarget(l Layer) Layer {
	if l == LayerTLS && !a.covered[LayerTLS] {
		return LayerTCP
	}
	return l
}

// groupPairs is pairGroups; tests pair each layer on its own, to compare.
var groupPairs = pairGroups

// pairGroups splits the layers (in order) into groups that matchByTime
// pairs in one pass over the wire, each layer's samples taken in turn by
// start: a pass reads (and on a spilled log decodes) every attempt, and
// the layers' windows move through the log together. Layers may share a
// pass when what one pairs cannot change what another does: no two of a
// group pair with the same attempts. And at most one of a group makes
// failures of the load generator's own, so that these are filed in the
// order pairing layer by layer filed them (the JTL's count of what was in
// flight when each was made depends on it).
func pairGroups(layers []Layer, target func(Layer) Layer) [][]Layer {
	var groups [][]Layer
	var cur []Layer
	for _, l := range layers {
		fits := true
		for _, g := range cur {
			if target(g) == target(l) || (mayNoSYN(g) && mayNoSYN(l)) {
				fits = false
			}
		}
		if !fits {
			groups = append(groups, cur)
			cur = nil
		}
		cur = append(cur, l)
	}
	if len(cur) > 0 {
		groups = append(groups, cur)
	}
	return groups
}

func mayNoSYN(l Layer) bool { return l == LayerTCP || l == LayerTLS }

// freeAttempt is an attempt on the wire a sample may still be paired
// with.
type freeAttempt struct {
	i    int
	time int64
	// status is the attempt's when it failed, all a join reads of it
	// (joined); a success's may be "".
	status string
	layer  Layer
	failed bool
	used   bool
}

// freeHeads holds what the pairers read of the attempts on the wire they
// may pair: noted by EndCapture's pass, which reads every attempt anyway,
// for a run of up to memRefs attempts (16 bytes each), so that the
// pairers need not read the log again: on a spilled log, a pass that
// decoded every page's heads (1.5% of 1 GB of signalling's instructions).
// Beyond memRefs, they read the log, and memory stays bounded.
type freeHeads struct {
	// byLayer holds each layer's heads apart: a pairer reads its own.
	byLayer  [numLayers]headList
	statuses []string
	number   map[string]uint16 // the statuses' numbers
	// last is the status each layer's last failure had: most have the
	// status of the one before.
	last [numLayers]struct {
		status string
		n      uint16
		set    bool
	}
}

type freeHead struct {
	time int64
	i    int32
	// status is the attempt's, in statuses, for a failure: the only
	// attempts whose status a join reads (joined).
	status uint16
	failed bool
}

// newFreeHeads makes the heads of n attempts, nil beyond memRefs. Options
// that size the logs' pages (tests) leave the pairers to read the log.
func newFreeHeads(n int, o SpillOptions) *freeHeads {
	if o.PageItems != 0 || n > memRefs {
		return nil
	}
	return &freeHeads{number: map[string]uint16{}}
}

// note keeps attempt i's head when a pairer may pair it (mayPair, of its
// layer); false when its status is one too many to number, and the heads
// are to be let go.
func (f *freeHeads) note(i int, at *Attempt) bool {
	if !mayPair(at, at.Layer) {
		return true
	}
	h := freeHead{time: at.Time, i: int32(i), failed: at.Failed}
	if at.Failed {
		last := &f.last[at.Layer]
		if !last.set || at.Status != last.status {
			n, ok := f.number[at.Status]
			if !ok {
				if len(f.statuses) > math.MaxUint16 {
					return false
				}
				n = uint16(len(f.statuses))
				f.statuses = append(f.statuses, at.Status)
				f.number[at.Status] = n
			}
			last.status, last.n, last.set = at.Status, n, true
		}
		h.status = last.n
	}
	f.byLayer[at.Layer].add(h)
	return true
}

// headList is a layer's heads in chunks of headChunk: one slice grown by
// doubling copied them and asked for twice their memory, fresh pages the
// kernel faults in (1% of 1 GB of signalling's CPU time).
type headList struct {
	chunks [][]freeHead
	n      int
}

// headChunk is how many heads a chunk holds: 32 KiB, the largest the
// runtime allocates from its size classes.
const headChunk = 2048

func (l *headList) add(h freeHead) {
	if l.n%headChunk == 0 {
		l.chunks = append(l.chunks, make([]freeHead, headChunk))
	}
	l.chunks[l.n/headChunk][l.n%headChunk] = h
	l.n++
}

// at is head k (0 ≤ k < n).
func (l *headList) at(k int) *freeHead { return &l.chunks[k/headChunk][k%headChunk] }

// mayPair says whether at may be paired with a sample whose attempts are
// of layer target, as far as its head tells: refs may say it is taken.
func mayPair(at *Attempt, target Layer) bool {
	return at.Hop == 0 && at.Layer == target && at.Match == Unmatched && at.Outcome != Challenged
}

// pairer finds, for each pending sample of a layer in order, the attempt
// on the wire it is given the clock offset: the first free attempt of the
// layer within the window, preferring one that failed or succeeded as the
// sample did. The free attempts are read from the log as the windows
// reach them and kept only while a window may still take them, so a run
// of millions holds a few seconds' worth.
type pairer struct {
	// wire reads the attempts' heads alone: all a pairing looks at. Or,
	// when EndCapture noted them, free holds them, next is the one to
	// read.
	wire *spill.HeadReader[Attempt]
	free *freeHeads
	next int
	// refs holds the matches made by the pairers of the groups before this
	// one's, left to be written on the attempts at Finish's merge
	// (joinLater); nil when there are none. Those of its own group are of
	// other layers.
	refs    *refBook
	target  Layer
	win     int64
	off     int64
	window  []freeAttempt
	store   []freeAttempt // the array window lies in, from its start
	ahead   bool          // the log has more after window
	pending *spill.Log[pendingSample]
	k       int // the next pending sample
	// sorted says the wire's attempts are in time order (EndCapture), and
	// so the window's: pair then finds the first of a sample's kind in
	// the window by byKind, rather than look at each before it (a failed
	// connect went past a second's worth of successes, 1% of a signalling
	// run's instructions). byKind holds the window's attempts that
	// succeeded and those that failed, by seq, the attempts put in the
	// window so far.
	sorted bool
	byKind [2]seqQueue
	seq    int
}

// seqQueue is a queue of the window's attempts, by seq.
type seqQueue struct {
	seqs []int
	head int
}

func (q *seqQueue) push(seq int) {
	if q.head == len(q.seqs) {
		q.seqs, q.head = q.seqs[:0], 0
	} else if len(q.seqs) == cap(q.seqs) && q.head >= len(q.seqs)/2 {
		q.seqs, q.head = append(q.seqs[:0], q.seqs[q.head:]...), 0
	}
	q.seqs = append(q.seqs, seq)
}

func kind(failed bool) int {
	if failed {
		return 1
	}
	return 0
}

func (a *Analyzer) newPairer(l Layer, off int64) *pairer {
	p := &pairer{refs: a.sipRefs, target: a.pairTarget(l), win: int64(a.opts.TimeMatchWindow),
		off: off, ahead: true, pending: a.noID[l], sorted: a.wireSorted == a.sip.attempts.Len()}
	if p.free = a.free; p.free == nil {
		p.wire = a.sip.attempts.HeadsFrom(0)
	}
	return p
}

// read takes the next free attempt from the log.
func (p *pairer) read() (freeAttempt, bool) {
	if p.free != nil {
		return p.readFree()
	}
	for {
		i, at, ok := p.wire.Next()
		if !ok {
			return freeAttempt{}, false
		}
		if !mayPair(at, p.target) {
			continue
		}
		if p.refs != nil {
			if p.refs.read(i).match != Unmatched {
				continue
			}
		}
		return freeAttempt{i: i, time: at.Time, status: at.Status, layer: at.Layer, failed: at.Failed}, true
	}
}

// readFree is read from the heads EndCapture noted.
func (p *pairer) readFree() (freeAttempt, bool) {
	heads := &p.free.byLayer[p.target]
	for p.next < heads.n {
		h := heads.at(p.next)
		p.next++
		if p.refs != nil && p.refs.read(int(h.i)).match != Unmatched {
			continue
		}
		f := freeAttempt{i: int(h.i), time: h.time, layer: p.target, failed: h.failed}
		if h.failed {
			f.status = p.free.statuses[h.status]
		}
		return f, true
	}
	return freeAttempt{}, false
}

// more adds the next free attempt to the window.
func (p *pairer) more() bool {
	if !p.ahead {
		return false
	}
	f, ok := p.read()
	if !ok {
		p.ahead = false
		return false
	}
	if len(p.window) == cap(p.window) {
		// The window creeps along its array as pair takes from its front:
		// slide it back to the start while that leaves half the array
		// free, else move it to one twice its size.
		if len(p.window) <= cap(p.store)/2 {
			p.window = append(p.store[:0], p.window...)
		} else {
			p.window = append(make([]freeAttempt, 0, 2*len(p.window)+16), p.window...)
			p.store = p.window[:0]
		}
	}
	p.window = append(p.window, f)
	if p.sorted {
		p.byKind[kind(f.failed)].push(p.seq)
	}
	p.seq++
	return true
}

// pair finds s's attempt and takes it.
func (p *pairer) pair(s *pendingSample) (freeAttempt, bool) {
	lo := s.start*1e6 + p.off - p.win
	hi := s.start*1e6 + p.off + s.connect*1e6 + p.win
	for {
		if len(p.window) == 0 && !p.more() {
			break
		}
		if !p.window[0].used && p.window[0].time >= lo {
			break
		}
		p.window = p.window[1:]
	}
	var first int
	if p.sorted {
		first = p.firstSorted(s.class.failed, hi)
	} else {
		first = p.firstScanned(s.class.failed, hi)
	}
	var f freeAttempt
	if first >= 0 {
		p.window[first].used = true
		f = p.window[first]
	}
	if len(p.window) == 0 {
		p.window = p.store[:0]
	}
	return f, first >= 0
}

// firstScanned is pair's choice, from the window's first attempt, free:
// the first free that failed or succeeded as the sample did (failed)
// before the first later than hi, else the first free before it; -1 for
// none.
func (p *pairer) firstScanned(failed bool, hi int64) int {
	first := -1
	for q := 0; ; q++ {
		if q == len(p.window) && !p.more() {
			break
		}
		if p.window[q].time > hi {
			break
		}
		if p.window[q].used {
			continue
		}
		if first < 0 {
			first = q
		}
		if p.window[q].failed == failed {
			return q
		}
	}
	return first
}

// firstSorted is firstScanned in a window in time order: the window's end
// found by halves, and the first free of each kind the head of its queue.
func (p *pairer) firstSorted(failed bool, hi int64) int {
	for (len(p.window) == 0 || p.window[len(p.window)-1].time <= hi) && p.more() {
	}
	end := sort.Search(len(p.window), func(q int) bool { return p.window[q].time > hi })
	if end == 0 {
		return -1
	}
	// The queue's first that is still in the window and free; after
	// pair's trimming, the window's first is free.
	k := &p.byKind[kind(failed)]
	base := p.seq - len(p.window)
	for ; k.head < len(k.seqs); k.head++ {
		if q := k.seqs[k.head] - base; q >= 0 && !p.window[q].used {
			if q < end {
				return q
			}
			break
		}
	}
	return 0
}

// pairs hands match, for each pending sample of the layers, the attempt
// on the wire it is (nil for none): each layer's samples in order, the
// layers' taken in turn by start (the first layer's first at the same
// start). match writes nothing on the wire: the pairers read it as it
// was when they began, and what match filed (sipRefs) when their group
// did.
func (a *Analyzer) pairs(layers []Layer, off int64, match func(l Layer, p *pendingSample, f *freeAttempt)) {
	var (
		f freeAttempt
		s pendingSample // one for the run: match is given its address
	)
	ps := make([]*pairer, len(layers))
	for j, l := range layers {
		ps[j] = a.newPairer(l, off)
	}
	for {
		best := -1
		var start int64
		for j, p := range ps {
			if p.k == p.pending.Len() {
				continue
			}
			p.pending.Settle()
			if s := p.pending.Peek(p.k).start; best < 0 || s < start {
				best, start = j, s
			}
		}
		if best < 0 {
			return
		}
		p := ps[best]
		p.pending.Settle()
		s = p.pending.Read(p.k)
		p.k++
		var ok bool
		if f, ok = p.pair(&s); ok {
			match(layers[best], &s, &f)
		} else {
			match(layers[best], &s, nil)
		}
	}
}

// matchesAt counts the pending samples that find an attempt at offset off.
func (a *Analyzer) matchesAt(off int64) int {
	n := 0
	// Counting changes nothing: every layer can be paired in one pass.
	a.pairs(a.pendingLayers(), off, func(_ Layer, _ *pendingSample, f *freeAttempt) {
		if f != nil {
			n++
		}
	})
	return n
}
