package correlate

import (
	"container/heap"
	"net/netip"
	"strconv"
	"strings"

	"github.com/ceiling-dev/ceiling/parse/capture"
	"github.com/ceiling-dev/ceiling/parse/sip"
)

// Default SIP timers (RFC 3261 with T1 = 500 ms).
const (
	DefaultTimerB = 32e9 // an INVITE with no final answer times out
	DefaultTimerF = 32e9 // a BYE with no answer times out
	// linger keeps a finished dialog findable for late retransmissions and
	// for a client that retries with the same Call-ID (after a 401/407).
	linger = 32e9
)

type legState uint8

const (
	legInviting legState = iota
	legEstablished
	legTerminating
	legEnded
)

// leg is one hop of a dialog: the INVITE from client to edge and what
// follows between the same two parties. A proxy in the capture makes two
// legs with one Call-ID.
type leg struct {
	callID string
	client netip.AddrPort
	edge   netip.AddrPort
	hop    uint8

	state   legState
	active  bool // counted in its edge's concurrency
	attempt int  // index in sipTracker.attempts of the current attempt
	branch  string
	cseq    uint32
	gen     uint32 // bumps on every state change, to drop stale timers
	endedAt int64
}

type timer struct {
	at  int64
	leg *leg
	gen uint32
}

type timerHeap []timer

func (h timerHeap) Len() int            { return len(h) }
func (h timerHeap) Less(i, j int) bool  { return h[i].at < h[j].at }
func (h timerHeap) Swap(i, j int)       { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x interface{}) { *h = append(*h, x.(timer)) }
func (h *timerHeap) Pop() interface{} {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// txnKey identifies a SIP transaction as RFC 3261 17.1.3 matches one: the
// top Via branch and the CSeq method (and the Call-ID, which makes clashing
// branches from broken clients harmless). Pre-3261 peers without a magic
// cookie branch fall back to the CSeq number.
type txnKey struct {
	callID string
	branch string
	method string
	cseq   uint32
}

type txn struct {
	requests int   // copies of the request seen
	finals   int   // copies of a final response seen
	final    int   // the first final status code
	lastSeen int64 // for expiry
}

// SIPStats counts SIP messages the way tshark does (every message on the
// wire, retransmissions included) plus what the transaction layer found.
type SIPStats struct {
	Requests        map[string]int64 // per method
	Responses       map[int]int64    // per status code
	Retransmissions int64            // requests and final responses seen again in their transaction
	InDialog        int64            // re-INVITEs and other in-dialog INVITEs (not attempts)
	Orphans         int64            // responses and in-dialog requests with no dialog seen
}

// sipTracker follows dialogs from capture events in time order and emits
// one Attempt per initial INVITE (per leg).
type sipTracker struct {
	timerB, timerF int64

	legs   map[string][]*leg // by Call-ID
	txns   map[txnKey]*txn
	timers timerHeap
	active map[netip.AddrPort]int32 // dialogs in progress per edge
	edges  map[netip.AddrPort]bool  // addresses that received a hop-0 INVITE
	// edgeFilter, when set, names the edges; INVITEs elsewhere are
	// backend legs.
	edgeFilter map[netip.AddrPort]bool

	attempts  []Attempt
	stats     SIPStats
	now       int64
	lastSweep int64
}

func newSIPTracker(timerB, timerF int64, edgeFilter []netip.AddrPort) *sipTracker {
	t := &sipTracker{
		timerB: timerB, timerF: timerF,
		legs:   make(map[string][]*leg),
		txns:   make(map[txnKey]*txn),
		active: make(map[netip.AddrPort]int32),
		edges:  make(map[netip.AddrPort]bool),
		stats: SIPStats{
			Requests:  make(map[string]int64),
			Responses: make(map[int]int64),
		},
	}
	if len(edgeFilter) > 0 {
		t.edgeFilter = make(map[netip.AddrPort]bool)
		for _, e := range edgeFilter {
			t.edgeFilter[e] = true
		}
	}
	return t
}

// advance fires the timers due by time now.
func (t *sipTracker) advance(now int64) {
	if now > t.now {
		t.now = now
	}
	for len(t.timers) > 0 && t.timers[0].at <= now {
		tm := heap.Pop(&t.timers).(timer)
		l := tm.leg
		if tm.gen != l.gen {
			continue
		}
		a := &t.attempts[l.attempt]
		switch l.state {
		case legInviting:
			if a.Outcome != Cancelled {
				a.Outcome = TimedOut
				a.Status = "timeout"
				a.Failed = true
				a.Kind = kindOf(LayerSIP, a.Status)
			}
			t.end(l, tm.at)
		case legTerminating:
			t.end(l, tm.at)
		}
	}
	if now-t.lastSweep > 10e9 {
		t.sweep(now)
		t.lastSweep = now
	}
}

// sweep forgets dialogs and transactions that finished long enough ago
// that nothing on the wire can refer to them any more.
func (t *sipTracker) sweep(now int64) {
	for id, ls := range t.legs {
		keep := ls[:0]
		for _, l := range ls {
			if l.state == legEnded && now-l.endedAt > linger {
				continue
			}
			keep = append(keep, l)
		}
		if len(keep) == 0 {
			delete(t.legs, id)
		} else {
			t.legs[id] = keep
		}
	}
	for k, x := range t.txns {
		if now-x.lastSeen > linger+t.timerB {
			delete(t.txns, k)
		}
	}
}

func (t *sipTracker) end(l *leg, at int64) {
	if l.active {
		t.active[l.edge]--
		l.active = false
	}
	l.state = legEnded
	l.endedAt = at
	l.gen++
	t.attempts[l.attempt].Ended = at
}

func (t *sipTracker) arm(l *leg, at int64) {
	l.gen++
	heap.Push(&t.timers, timer{at: at, leg: l, gen: l.gen})
}

func (t *sipTracker) add(ev *capture.Event) {
	m := ev.SIP
	t.advance(ev.Time)
	if m.Request {
		t.stats.Requests[m.Method]++
	} else {
		t.stats.Responses[m.StatusCode]++
	}
	if m.CallID == "" {
		// Malformed (reported by the capture stage): counted, not followed.
		t.stats.Orphans++
		return
	}
	key := txnKey{callID: m.CallID, branch: m.Via.Branch, method: m.CSeqMethod}
	if len(key.branch) < 7 || key.branch[:7] != "z9hG4bK" {
		key.cseq = m.CSeq
	}
	x := t.txns[key]
	if x == nil {
		// The parser's strings point into a copy of the whole header
		// section; a key kept for the transaction's life must not hold
		// that alive.
		key.branch = strings.Clone(key.branch)
		x = &txn{}
		t.txns[key] = x
	}
	x.lastSeen = ev.Time
	if m.Request {
		x.requests++
		if x.requests > 1 {
			t.stats.Retransmissions++
			if m.Method == "INVITE" {
				if l := t.findLeg(m.CallID, ev.Src, ev.Dst); l != nil && l.branch == m.Via.Branch {
					t.attempts[l.attempt].Retransmits++
				}
			}
			return
		}
		t.request(ev, m)
		return
	}
	if m.StatusCode >= 200 {
		x.finals++
		if x.finals > 1 {
			t.stats.Retransmissions++
			return
		}
		x.final = m.StatusCode
	}
	t.response(ev, m)
}

// findLeg finds the leg a message between src and dst belongs to: the
// leg between exactly these two parties, else the one whose edge is one of
// them (a BYE from the edge may go to a Contact port that is not the port
// the INVITE came from).
func (t *sipTracker) findLeg(callID string, src, dst netip.AddrPort) *leg {
	var byEdge *leg
	for _, l := range t.legs[callID] {
		if (l.client == src && l.edge == dst) || (l.client == dst && l.edge == src) {
			return l
		}
		if byEdge == nil && (l.edge == src || l.edge == dst) {
			byEdge = l
		}
	}
	return byEdge
}

func (t *sipTracker) request(ev *capture.Event, m *sip.Message) {
	switch m.Method {
	case "INVITE":
		if m.ToTag != "" {
			t.stats.InDialog++
			return
		}
		t.invite(ev, m)
	case "BYE":
		l := t.findLeg(m.CallID, ev.Src, ev.Dst)
		if l == nil {
			t.stats.Orphans++
			return
		}
		if l.state == legEstablished || l.state == legInviting {
			l.state = legTerminating
			t.arm(l, ev.Time+t.timerF)
		}
	case "CANCEL":
		l := t.findLeg(m.CallID, ev.Src, ev.Dst)
		if l == nil {
			t.stats.Orphans++
			return
		}
		if l.state == legInviting {
			t.attempts[l.attempt].Outcome = Cancelled
		}
	}
}

func (t *sipTracker) invite(ev *capture.Event, m *sip.Message) {
	l := t.findLeg(m.CallID, ev.Src, ev.Dst)
	if l != nil && l.client == ev.Src && l.edge == ev.Dst {
		if l.state != legEnded {
			// A new initial INVITE while the old one is in progress (a
			// new branch, same parties): a client-side retransmission bug
			// or a fork; it is the same attempt.
			t.attempts[l.attempt].Retransmits++
			return
		}
		// The same client tries again with the same Call-ID: after a
		// 401/407 that is the same call carrying credentials.
		prev := &t.attempts[l.attempt]
		if prev.Status == "401" || prev.Status == "407" {
			prev.Outcome = Challenged
			prev.Failed = false
			prev.Kind = KindNone
		}
	} else {
		l = &leg{callID: m.CallID, client: ev.Src, edge: ev.Dst, hop: t.hopOf(m.CallID, ev.Src, ev.Dst)}
		t.legs[m.CallID] = append(t.legs[m.CallID], l)
		if l.hop == 0 {
			t.edges[ev.Dst] = true
		}
	}
	l.state = legInviting
	l.branch = strings.Clone(m.Via.Branch)
	l.cseq = m.CSeq
	l.active = true
	t.active[l.edge]++
	t.attempts = append(t.attempts, Attempt{
		Layer:       LayerSIP,
		Hop:         l.hop,
		Time:        ev.Time,
		Concurrency: t.active[l.edge],
		Threads:     -1,
		Outcome:     Pending,
		CallID:      m.CallID,
		Edge:        ev.Dst,
		Client:      ev.Src,
		Source:      FromCapture,
		File:        ev.File,
		Packet:      ev.Packet,
	})
	l.attempt = len(t.attempts) - 1
	t.arm(l, ev.Time+t.timerB)
}

// hopOf tells an INVITE the load generator sent to the edge (hop 0) from
// one the edge sent on to a backend: the latter comes from an address that
// already received INVITEs, or carries the Call-ID of a dialog in progress
// from another client.
func (t *sipTracker) hopOf(callID string, src, dst netip.AddrPort) uint8 {
	if t.edgeFilter != nil {
		if t.edgeFilter[dst] {
			return 0
		}
		return 1
	}
	for _, l := range t.legs[callID] {
		if l.edge == src || (l.client != src && l.edge.Addr() == src.Addr() && l.client.Addr() != src.Addr()) {
			return l.hop + 1
		}
	}
	if t.edges[src] {
		return 1
	}
	return 0
}

func (t *sipTracker) response(ev *capture.Event, m *sip.Message) {
	l := t.findLeg(m.CallID, ev.Dst, ev.Src)
	if l == nil {
		t.stats.Orphans++
		return
	}
	code := m.StatusCode
	switch m.CSeqMethod {
	case "INVITE":
		if m.CSeq != l.cseq || code < 200 {
			return
		}
		a := &t.attempts[l.attempt]
		if l.state == legEnded && a.Outcome == Cancelled && a.Answered == 0 {
			// The 487 after the 200 to CANCEL already ended the dialog.
			a.Answered = ev.Time
			a.Status = strconv.Itoa(code)
			return
		}
		if l.state != legInviting {
			return
		}
		a.Answered = ev.Time
		a.Status = strconv.Itoa(code)
		switch {
		case code < 300:
			a.Outcome = Answered
			l.state = legEstablished
			l.gen++ // drop timer B
		case code < 400:
			a.Outcome = Redirected
			t.end(l, ev.Time)
		case code == 487 && a.Outcome == Cancelled:
			t.end(l, ev.Time)
		default:
			a.Outcome = Rejected
			a.Failed = true
			a.Kind = kindOf(LayerSIP, a.Status)
			a.Detail = &Detail{
				ReasonPhrase: strings.Clone(m.Reason),
				ReasonHeader: strings.Clone(m.ReasonHeader),
				RetryAfter:   m.RetryAfter,
				Warning:      strings.Clone(m.Warning),
				Server:       strings.Clone(m.Server),
				FinalPacket:  ev.Packet,
			}
			t.noteRelay(l, a)
			t.end(l, ev.Time)
		}
	case "BYE":
		if code >= 200 && l.state == legTerminating {
			t.end(l, ev.Time)
		}
	case "CANCEL":
		if code >= 200 && code < 300 && l.state == legInviting {
			t.attempts[l.attempt].Outcome = Cancelled
			t.end(l, ev.Time)
		}
	}
}

// noteRelay records that a hop-0 rejection repeats what a backend said
// first: the edge passed on the backend's refusal.
func (t *sipTracker) noteRelay(l *leg, a *Attempt) {
	if l.hop != 0 {
		return
	}
	for _, other := range t.legs[l.callID] {
		if other.hop == 0 || other == l {
			continue
		}
		b := &t.attempts[other.attempt]
		if b.Status == a.Status && b.Answered != 0 && b.Answered <= a.Answered {
			a.Detail.Relayed = other.edge
		}
	}
}

// finish closes the books at the end of the capture: dialogs whose timer
// would have fired have timed out; the rest are unanswered or still up.
func (t *sipTracker) finish(end int64) {
	t.advance(end)
	for i := range t.attempts {
		a := &t.attempts[i]
		if a.Outcome == Pending {
			a.Outcome = Unanswered
			a.Status = "unanswered"
		}
		if a.Outcome == Rejected && (a.Status == "401" || a.Status == "407") {
			// A challenge nobody answered in the capture: the client gave
			// up on authentication; that is a failure, but an error of
			// configuration rather than a refusal of work.
			a.Kind = KindError
		}
	}
}
