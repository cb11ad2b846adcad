package correlate

import (
	"math"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"unsafe"

	"github.com/ceiling-dev/ceiling/internal/nearorder"
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
	// sweepEvery is how much capture time passes between two expiries of
	// finished dialogs and transactions. What a sweep forgets decides
	// whether a late message still finds its transaction, so the sweeps
	// happen at the same instants however they are implemented.
	sweepEvery = 10e9
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
	call   *call
	site   *edgeSite // of edge
	pool   *dialogPool
	client netip.AddrPort
	edge   netip.AddrPort
	branch string
	cseq   uint32
	gen    uint32 // bumps on every state change, to drop stale timers
	// attempt is the index in sipTracker.attempts of the current attempt.
	attempt int32
	hop     uint8
	state   legState
	active  bool // counted in its edge's concurrency
	endedAt int64
}

// txn is a SIP transaction as RFC 3261 17.1.3 matches one: the top Via
// branch and the CSeq method, within its Call-ID (which makes clashing
// branches from broken clients harmless). Pre-3261 peers without a magic
// cookie branch fall back to the CSeq number (cseq is 0 otherwise).
type txn struct {
	branch   string
	method   string
	cseq     uint32
	requests int32 // copies of the request seen
	finals   int32 // copies of a final response seen
	lastSeen int64 // for expiry
}

// call is what the tracker keeps per Call-ID: its legs and transactions.
// One map lookup per message finds both, and a call of one leg and a few
// transactions (INVITE, ACK, BYE) fits in the one allocation.
type call struct {
	id   string
	hash uint64 // its Call-ID's in the tracker's callTable
	legs []*leg
	txns []txn
	// due is when the earliest of its ended legs and transactions may be
	// forgotten: the time of its live entry in sipTracker.due,
	// noExpiry when it has none.
	due    int64
	leg0   leg
	legBuf [1]*leg
	txnBuf [3]txn
	// text holds the copies of the call's branches (keep) after its
	// first byte, the count of bytes used: a branch costs no allocation
	// of its own. Its size rounds the call up to a size class (480).
	text [95]byte
	// ended says that a leg has ended, so that a message may be late
	// for it (late): most messages of a call come before any does.
	ended bool
}

// keep returns a copy of s that holds nothing else alive: in the call's
// own memory while there is room, which lives as long as anything that
// points to it (a leg, a transaction) does.
func (c *call) keep(s string) string {
	used, n := int(c.text[0]), len(s)
	if n == 0 || 1+used+n > len(c.text) {
		return strings.Clone(s)
	}
	b := c.text[1+used : 1+used+n]
	copy(b, s)
	c.text[0] = byte(used + n)
	return unsafe.String(&b[0], n)
}

// touch reads a byte of each cache line of c up to the first of its
// text (where keep writes), and returns their sum: a message, a timer or
// a sweep reads most of them, and by then the call has usually left the
// caches (see sipTracker.readAhead). The call is not aligned to the
// lines: a byte every 64 and the last one reach each line it spans
// (TestCallTouch: the text starts within 6 lines).
func (c *call) touch() uint64 {
	b := (*[6 * 64]byte)(unsafe.Pointer(c))
	return uint64(b[0]) + uint64(b[64]) + uint64(b[128]) + uint64(b[192]) + uint64(b[256]) + uint64(b[320]) + uint64(c.text[0])
}

const noExpiry = math.MaxInt64

// edgeSite is what the tracker keeps per address that INVITEs went to.
type edgeSite struct {
	invited bool // it received a hop-0 INVITE: it is an edge
	// pools are the dialog counts this address's legs go into, by hop
	// (0 and 1; deeper hops are looked up each time).
	pools [2]*dialogPool
}

// dialogPool counts the dialogs in progress at one edge. A SIP edge's
// dialog limit is the proxy's, whatever port or transport the INVITE came
// in on (UDP and TCP on 5060, TLS on 5061, WebSocket on 8080 all draw on
// it), so the pool is the edge's address, not its address and port; the
// hop keeps an edge apart from a backend on the same host (everything on
// 127.0.0.1). Edges named with --edge are pools of their own.
type dialogPool struct {
	active int32
}

type poolKey struct {
	addr netip.AddrPort // the address with port 0, or the named edge
	hop  uint8
}

// expiry is a call's entry in the queue of calls to look at in a sweep.
type expiry struct {
	at int64
	c  *call
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

	calls callTable
	// free holds calls forgotten, for new Call-IDs (recycle); noRecycle
	// (tests) and poison (capture.PoisonEnv) are for checking that nothing
	// keeps one.
	free      []*call
	noRecycle bool
	poison    bool
	// timers are timer B and timer F: each is pushed in capture order
	// with a fixed delay, so a queue keeps them in time order.
	timersB, timersF nearorder.Queue[timer]
	// nextTimer is at or before the earliest of them (noExpiry: none), so
	// that an event before it need not look at the queues.
	nextTimer int64
	// due holds the calls' due times for the sweeps.
	due dueWheel
	// sites are the addresses INVITEs went to, each looked up once per
	// leg: the leg keeps its site.
	sites map[netip.AddrPort]*edgeSite
	pools map[poolKey]*dialogPool
	// edgeFilter, when set, names the edges; INVITEs elsewhere are
	// backend legs.
	edgeFilter map[netip.AddrPort]bool

	attempts  *attemptLog
	details   detailBook
	words     wordBook
	stats     SIPStats
	now       int64
	lastSweep int64

	// Message counts by method and code, folded into stats.Requests and
	// stats.Responses by finish: an array index costs less than a map
	// update per message.
	methodCounts [len(countedMethods)]int64
	codeCounts   [1000]int64

	// touched keeps readAhead's reads from being thrown away; hashed is
	// its hash of the Call-ID of the message about to be added (0: none),
	// which add takes (callHash).
	touched uint64
	hashed  uint64
}

// at is the attempt a leg or a call points to, good until the next
// Settle of the log (the Analyzer settles it between events).
func (t *sipTracker) at(i int32) *Attempt { return t.attempts.At(int(i)) }

// countedMethods are the methods counted in sipTracker.methodCounts; any
// other goes straight to the map.
var countedMethods = [...]string{"INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER"}

func methodIndex(m string) int {
	switch m {
	case "INVITE":
		return 0
	case "ACK":
		return 1
	case "BYE":
		return 2
	case "CANCEL":
		return 3
	case "OPTIONS":
		return 4
	case "REGISTER":
		return 5
	}
	return -1
}

// statusText holds the status codes as text, so that an attempt's Status
// costs no allocation.
var statusText = func() (t [1000]string) {
	for c := range t {
		t[c] = strconv.Itoa(c)
	}
	return t
}()

func statusString(code int) string {
	if code >= 0 && code < len(statusText) {
		return statusText[code]
	}
	return strconv.Itoa(code)
}

func newSIPTracker(timerB, timerF int64, edgeFilter []netip.AddrPort, spill SpillOptions) *sipTracker {
	t := &sipTracker{
		timerB: timerB, timerF: timerF,
		attempts:  newAttemptLog(spill),
		calls:     newCallTable(),
		sites:     make(map[netip.AddrPort]*edgeSite),
		timersB:   nearorder.Queue[timer]{Less: byTime[timer]},
		timersF:   nearorder.Queue[timer]{Less: byTime[timer]},
		nextTimer: noExpiry,
		pools:     make(map[poolKey]*dialogPool),
		poison:    os.Getenv(capture.PoisonEnv) != "",
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

// advance fires the timers due by time now, and sweeps when one is due.
// Small enough to be inlined where each event calls it: an event seldom
// has either to do.
func (t *sipTracker) advance(now int64) {
	t.now = max(t.now, now)
	if now >= t.nextTimer || now-t.lastSweep > sweepEvery {
		t.catchUp(now)
	}
}

// catchUp is advance when a timer or a sweep may be due.
func (t *sipTracker) catchUp(now int64) {
	if now >= t.nextTimer {
		t.fireDue(now)
	}
	if now-t.lastSweep > sweepEvery {
		t.sweep(now)
		t.lastSweep = now
	}
}

// fireDue fires the timers due by now, and notes when the next is.
func (t *sipTracker) fireDue(now int64) {
	for {
		// Two timers due at the same instant touch different legs, so
		// which of the queues goes first does not matter.
		q := &t.timersB
		if tb := t.timersB.Min(); tb == nil || tb.at > now {
			q = nil
		}
		if tf := t.timersF.Min(); tf != nil && tf.at <= now {
			if q == nil || tf.at < t.timersB.Min().at {
				q = &t.timersF
			}
		}
		if q == nil {
			break
		}
		t.fire(q.Pop())
	}
	t.nextTimer = noExpiry
	if tb := t.timersB.Min(); tb != nil {
		t.nextTimer = tb.at
	}
	if tf := t.timersF.Min(); tf != nil && tf.at < t.nextTimer {
		t.nextTimer = tf.at
	}
}

func (t *sipTracker) fire(tm timer) {
	l := tm.leg
	if tm.gen != l.gen {
		return
	}
	a := t.at(l.attempt)
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

// sweep forgets dialogs and transactions that finished long enough ago
// that nothing on the wire can refer to them any more. Only the calls
// whose due time has passed are looked at.
func (t *sipTracker) sweep(now int64) {
	t.due.take(now, func(x expiry) {
		if x.c.due != x.at {
			return // superseded by an earlier due time
		}
		t.expire(x.c, now)
	}, &t.calls)
}

// expire forgets what of c has expired by now and queues c again for the
// rest.
func (t *sipTracker) expire(c *call, now int64) {
	due := int64(noExpiry)
	legs := c.legs[:0]
	for _, l := range c.legs {
		if l.state == legEnded {
			if now-l.endedAt > linger {
				continue
			}
			if l.endedAt+linger < due {
				due = l.endedAt + linger
			}
		}
		legs = append(legs, l)
	}
	clear(c.legs[len(legs):])
	c.legs = legs
	// The transactions kept move down over those forgotten: most stay
	// where they are, and a copy of one (56 bytes, with the collector's
	// barriers) onto itself cost more than the test.
	k := 0
	for i := range c.txns {
		x := &c.txns[i]
		if now-x.lastSeen > linger+t.timerB {
			continue
		}
		if x.lastSeen+linger+t.timerB < due {
			due = x.lastSeen + linger + t.timerB
		}
		if k != i {
			c.txns[k] = *x
		}
		k++
	}
	clear(c.txns[k:])
	c.txns = c.txns[:k]
	if len(c.legs) == 0 && len(c.txns) == 0 {
		t.calls.remove(c)
		c.due = noExpiry
		t.recycle(c)
		return
	}
	c.due = noExpiry
	t.expireAt(c, due)
}

// newCall is a call with no legs or transactions yet: one forgotten,
// or a new one.
func (t *sipTracker) newCall(id string) *call {
	var c *call
	if k := len(t.free); k > 0 {
		c = t.free[k-1]
		t.free = t.free[:k-1]
	} else {
		c = new(call)
	}
	// The Call-ID points into the message's buffer, which the capture
	// reader writes over once the event is handed back; the call, and its
	// attempts after it, keep it (see sip.Message).
	c.id, c.due, c.ended = strings.Clone(id), noExpiry, false
	c.legs, c.txns = c.legBuf[:0], c.txnBuf[:0]
	return c
}

// recycle takes back a call expire has forgotten: a call of its own
// (480 bytes) for each of a run's hundreds of thousands of Call-IDs was
// the tracker's largest allocation. Nothing outside the tracker points
// to a call, and inside only its legs (leg.call), timers (timer.leg,
// &c.leg0 among them) and due times (expiry.c) do. The legs are gone
// with the call. A due time still queued for it finds c.due changed, or
// at worst has expire look early at what the call is now, which
// forgets only what has expired (see sweep). A timer still queued for
// leg0 is told apart by its generation, which goes on counting (invite
// keeps it). The branches kept in c.text are the legs' and
// transactions' alone, and went with them.
func (t *sipTracker) recycle(c *call) {
	if t.noRecycle {
		return
	}
	gen := c.leg0.gen
	clear(c.legBuf[:])
	clear(c.txnBuf[:])
	c.leg0 = leg{gen: gen}
	c.id, c.legs, c.txns = "", nil, nil
	if t.poison {
		// A branch kept past its call reads as garbage (capture.PoisonEnv).
		for i := range c.text {
			c.text[i] = 0xa5
		}
	}
	c.text[0] = 0
	t.free = append(t.free, c)
}

// expireAt makes sure c is looked at by the first sweep after at.
func (t *sipTracker) expireAt(c *call, at int64) {
	if at < c.due {
		c.due = at
		t.due.push(expiry{at, c})
	}
}

func (t *sipTracker) end(l *leg, at int64) {
	if l.active {
		l.pool.active--
		l.active = false
	}
	l.state = legEnded
	l.endedAt = at
	l.gen++
	a := t.at(l.attempt)
	a.Ended, a.Last = at, max(a.Last, at)
	l.call.ended = true
	t.expireAt(l.call, at+linger)
}

// late moves on the Last of c's ended legs' attempts to a message that
// came after their end (a retransmitted answer, the ACK of a failure, the
// answer to a BYE): the evidence is cut up to there.
func (t *sipTracker) late(c *call, at int64) {
	if c.ended {
		t.lateLegs(c, at)
	}
}

// lateLegs is late for a call with a leg ended.
func (t *sipTracker) lateLegs(c *call, at int64) {
	for _, l := range c.legs {
		if l.state == legEnded {
			if a := t.at(l.attempt); a.Last < at {
				a.Last = at
			}
		}
	}
}

func (t *sipTracker) arm(q *nearorder.Queue[timer], l *leg, at int64) {
	l.gen++
	q.Push(timer{at: at, leg: l, gen: l.gen})
	t.nextTimer = min(t.nextTimer, at)
}

// readAhead reads the memory that the events of evs will have the tracker
// read, in a loop where no read waits for another, so that the misses
// of the caches overlap rather than come one after the other, and
// returns the hashes of their Call-IDs in t.calls (0: none) in hashes,
// for add (callHash). A SIP message reads its call's slot and the call, last
// read one message of the call ago, seconds of traffic before, or a call
// forgotten at the last sweep for a new Call-ID; a timer fires on a leg
// (a call's), armed 32 s before; and the message itself was parsed a
// reorder window ago. Only what the first read of each finds is read
// ahead: a call made or moved by an earlier event of evs is read in its
// turn.
func (t *sipTracker) readAhead(evs []capture.Event, hashes []uint64) {
	var sum uint64
	fresh := len(t.free) // newCall takes the last first
	for i := range evs {
		ev := &evs[i]
		hashes[i] = 0
		if ev.Kind != capture.KindSIP || ev.SIP.CallID == "" {
			continue
		}
		m := ev.SIP
		h := t.calls.hash(m.CallID)
		hashes[i] = h
		found, read := t.calls.touch(h)
		sum += read + readMessage(m)
		if !found && fresh > 0 {
			fresh--
			sum += t.free[fresh].touch()
		}
	}
	if n := len(evs); n > 0 {
		sum += t.readTimers(evs[n-1].Time)
	}
	t.touched += sum
}

// callHash is the hash in t.calls of id, the Call-ID of the message being
// added: readAhead's when it made it (t.hashed, taken once).
func (t *sipTracker) callHash(id string) uint64 {
	h := t.hashed
	t.hashed = 0
	if h == 0 {
		h = t.calls.hash(id)
	}
	return h
}

// readMessage reads the parts of m that the tracker reads past its
// Call-ID, and returns what it read: see readAhead.
func readMessage(m *sip.Message) uint64 {
	sum := uint64(m.CSeq) + firstByte(m.Via.Branch)
	if !m.Request && m.StatusCode >= 300 {
		// A failure's Detail keeps these (wordBook).
		sum += firstByte(m.ReasonHeader) + firstByte(m.Warning) + firstByte(m.Server)
	}
	return sum
}

func firstByte(s string) uint64 {
	if s == "" {
		return 0
	}
	return uint64(s[0])
}

// readTimers reads the legs of the timers due by last, which fire before
// the events up to it are taken (the queues hold them in time order, but
// for the few armed late; so are the events, but for a few), and returns
// what it read: see readAhead.
func (t *sipTracker) readTimers(last int64) uint64 {
	var sum uint64
	for _, q := range []*nearorder.Queue[timer]{&t.timersB, &t.timersF} {
		for k := 0; ; k++ {
			tm := q.InOrder(k)
			if tm == nil || tm.at > last {
				break
			}
			sum += uint64(tm.leg.gen)
		}
	}
	return sum
}

func (t *sipTracker) add(ev *capture.Event) {
	m := ev.SIP
	t.advance(ev.Time)
	if m.Request {
		if i := methodIndex(m.Method); i >= 0 {
			t.methodCounts[i]++
		} else {
			t.stats.Requests[m.Method]++
		}
	} else if m.StatusCode >= 0 && m.StatusCode < len(t.codeCounts) {
		t.codeCounts[m.StatusCode]++
	} else {
		t.stats.Responses[m.StatusCode]++
	}
	if m.CallID == "" {
		// Malformed (reported by the capture stage): counted, not followed.
		t.stats.Orphans++
		return
	}
	h := t.callHash(m.CallID)
	c := t.calls.get(m.CallID, h)
	if c == nil {
		c = t.newCall(m.CallID)
		c.hash = h
		t.calls.put(c)
	}
	x := c.txn(m)
	x.lastSeen = ev.Time
	t.expireAt(c, ev.Time+linger+t.timerB)
	t.late(c, ev.Time)
	if m.Request {
		x.requests++
		if x.requests > 1 {
			t.stats.Retransmissions++
			if m.Method == "INVITE" {
				if l := c.findLeg(ev.Src, ev.Dst); l != nil && l.branch == m.Via.Branch {
					t.at(l.attempt).Retransmits++
				}
			}
			return
		}
		t.request(ev, m, c)
		return
	}
	if m.StatusCode >= 200 {
		x.finals++
		if x.finals > 1 {
			t.stats.Retransmissions++
			return
		}
	}
	t.response(ev, m, c)
}

// txn finds the transaction m belongs to, or starts it.
func (c *call) txn(m *sip.Message) *txn {
	branch, method := m.Via.Branch, m.CSeqMethod
	var cseq uint32
	if len(branch) < 7 || branch[:7] != "z9hG4bK" {
		cseq = m.CSeq
	}
	var shared string // a copy of branch the call keeps already
	// Newest first: a response or an ACK mostly belongs to the
	// transaction started last (a BYE's 200 after the INVITE's and the
	// ACK's), so that most look-ups stop at the first one.
	for i := len(c.txns) - 1; i >= 0; i-- {
		x := &c.txns[i]
		if sameBranch(x.branch, branch) {
			if x.method == method && x.cseq == cseq {
				return x
			}
			shared = x.branch
		}
	}
	// The parser's strings point into a copy of the whole header section;
	// what is kept for the transaction's life must not hold that alive. A
	// CANCEL and the ACK of a failed INVITE share the INVITE's branch.
	if shared == "" {
		shared = c.keep(branch)
	}
	c.txns = append(c.txns, txn{branch: shared, method: keepMethod(method), cseq: cseq})
	return &c.txns[len(c.txns)-1]
}

// sameBranch is a == b, their last bytes compared first: a call's
// branches are mostly as long as each other and end in random
// characters, so that most comparisons stop at one byte rather than call
// the comparison of all of them.
func sameBranch(a, b string) bool {
	n := len(a)
	return n == len(b) && (n == 0 || a[n-1] == b[n-1]) && a == b
}

// keepMethod returns the method as a string that holds nothing else alive.
func keepMethod(m string) string {
	if i := methodIndex(m); i >= 0 {
		return countedMethods[i]
	}
	return strings.Clone(m)
}

// findLeg finds the leg a message between src and dst belongs to: the
// leg between exactly these two parties, else the one whose edge is one of
// them (a BYE from the edge may go to a Contact port that is not the port
// the INVITE came from).
func (c *call) findLeg(src, dst netip.AddrPort) *leg {
	var byEdge *leg
	for _, l := range c.legs {
		if (l.client == src && l.edge == dst) || (l.client == dst && l.edge == src) {
			return l
		}
		if byEdge == nil && (l.edge == src || l.edge == dst) {
			byEdge = l
		}
	}
	return byEdge
}

func (t *sipTracker) request(ev *capture.Event, m *sip.Message, c *call) {
	switch m.Method {
	case "INVITE":
		if m.ToTag != "" {
			t.stats.InDialog++
			return
		}
		t.invite(ev, m, c)
	case "BYE":
		l := c.findLeg(ev.Src, ev.Dst)
		if l == nil {
			t.stats.Orphans++
			return
		}
		if l.state == legEstablished || l.state == legInviting {
			l.state = legTerminating
			t.arm(&t.timersF, l, ev.Time+t.timerF)
		}
	case "CANCEL":
		l := c.findLeg(ev.Src, ev.Dst)
		if l == nil {
			t.stats.Orphans++
			return
		}
		if l.state == legInviting {
			t.at(l.attempt).Outcome = Cancelled
		}
	}
}

func (t *sipTracker) invite(ev *capture.Event, m *sip.Message, c *call) {
	l := c.findLeg(ev.Src, ev.Dst)
	if l != nil && l.client == ev.Src && l.edge == ev.Dst {
		if l.state != legEnded {
			// A new initial INVITE while the old one is in progress (a
			// new branch, same parties): a client-side retransmission bug
			// or a fork; it is the same attempt.
			t.at(l.attempt).Retransmits++
			return
		}
		// The same client tries again with the same Call-ID: after a
		// 401/407 that is the same call carrying credentials. What comes
		// of the new try no longer moves the old one's Last, yet carries
		// its Call-ID, which is how the evidence finds its messages: the
		// old one's Last is unknown from now on.
		prev := t.at(l.attempt)
		prev.Last = 0
		if prev.Status == "401" || prev.Status == "407" {
			prev.Outcome = Challenged
			prev.Failed = false
			prev.Kind = KindNone
		}
	} else {
		hop := t.hopOf(c, ev.Src, ev.Dst)
		if len(c.legs) == 0 && c.leg0.call == nil {
			l = &c.leg0
		} else {
			l = new(leg)
		}
		site := t.sites[ev.Dst]
		if site == nil {
			site = new(edgeSite)
			t.sites[ev.Dst] = site
		}
		// The generation goes on from the leg's last life (recycle).
		*l = leg{call: c, site: site, pool: t.pool(site, ev.Dst, hop), client: ev.Src, edge: ev.Dst, hop: hop, gen: l.gen}
		c.legs = append(c.legs, l)
		if l.hop == 0 {
			site.invited = true
		}
	}
	l.state = legInviting
	l.branch = c.txn(m).branch // the transaction's copy
	l.cseq = m.CSeq
	l.active = true
	l.pool.active++
	i := t.attempts.Append(Attempt{
		Layer:       LayerSIP,
		Hop:         l.hop,
		Time:        ev.Time,
		Concurrency: l.pool.active,
		Threads:     -1,
		Outcome:     Pending,
		CallID:      c.id,
		Edge:        ev.Dst,
		Client:      ev.Src,
		Source:      FromCapture,
		File:        ev.File,
		Packet:      ev.Packet,
	})
	l.attempt = int32(i)
	t.arm(&t.timersB, l, ev.Time+t.timerB)
}

// pool finds the dialog count a leg to dst at hop draws on.
func (t *sipTracker) pool(site *edgeSite, dst netip.AddrPort, hop uint8) *dialogPool {
	if hop < uint8(len(site.pools)) && site.pools[hop] != nil {
		return site.pools[hop]
	}
	k := poolKey{addr: netip.AddrPortFrom(dst.Addr(), 0), hop: hop}
	if t.edgeFilter[dst] {
		k.addr = dst
	}
	p := t.pools[k]
	if p == nil {
		p = new(dialogPool)
		t.pools[k] = p
	}
	if hop < uint8(len(site.pools)) {
		site.pools[hop] = p
	}
	return p
}

// hopOf tells an INVITE the load generator sent to the edge (hop 0) from
// one the edge sent on to a backend: the latter comes from an address that
// already received INVITEs, or carries the Call-ID of a dialog in progress
// from another client.
func (t *sipTracker) hopOf(c *call, src, dst netip.AddrPort) uint8 {
	if t.edgeFilter != nil {
		if t.edgeFilter[dst] {
			return 0
		}
		return 1
	}
	for _, l := range c.legs {
		if l.edge == src || (l.client != src && l.edge.Addr() == src.Addr() && l.client.Addr() != src.Addr()) {
			return l.hop + 1
		}
	}
	if s := t.sites[src]; s != nil && s.invited {
		return 1
	}
	return 0
}

func (t *sipTracker) response(ev *capture.Event, m *sip.Message, c *call) {
	l := c.findLeg(ev.Dst, ev.Src)
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
		a := t.at(l.attempt)
		if l.state == legEnded && a.Outcome == Cancelled && a.Answered == 0 {
			// The 487 after the 200 to CANCEL already ended the dialog.
			a.Answered = ev.Time
			a.Status = statusString(code)
			return
		}
		if l.state != legInviting {
			return
		}
		a.Answered = ev.Time
		a.Status = statusString(code)
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
			d := t.details.next()
			d.ReasonPhrase, d.ReasonHeader = t.words.get(m.Reason), t.words.get(m.ReasonHeader)
			d.RetryAfter, d.FinalPacket = m.RetryAfter, ev.Packet
			d.Warning, d.Server = t.words.get(m.Warning), t.words.get(m.Server)
			a.Detail = d
			t.noteRelay(l, a)
			t.end(l, ev.Time)
		}
	case "BYE":
		if code >= 200 && l.state == legTerminating {
			t.end(l, ev.Time)
		}
	case "CANCEL":
		if code >= 200 && code < 300 && l.state == legInviting {
			t.at(l.attempt).Outcome = Cancelled
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
	for _, other := range l.call.legs {
		if other.hop == 0 || other == l {
			continue
		}
		b := t.at(other.attempt)
		if b.Status == a.Status && b.Answered != 0 && b.Answered <= a.Answered {
			a.Detail.Relayed = other.edge
		}
	}
}

// finish closes the books at the end of the capture: dialogs whose timer
// would have fired have timed out; the rest are unanswered (closeAttempt)
// or still up.
func (t *sipTracker) finish(end int64) {
	t.advance(end)
	for i, n := range t.methodCounts {
		if n > 0 {
			t.stats.Requests[countedMethods[i]] += n
		}
	}
	t.methodCounts = [len(countedMethods)]int64{}
	for code, n := range t.codeCounts {
		if n > 0 {
			t.stats.Responses[code] += n
		}
	}
	t.codeCounts = [1000]int64{}
}

// closeAttempt settles attempt i of log as the capture's end leaves it,
// once finish has run: what was still waiting is unanswered. The Analyzer
// does it in its one pass over the attempts at the capture's end. It
// returns the attempt, written to only where something changes: a page
// written to is encoded again when it leaves memory.
func closeAttempt(log *attemptLog, i int) *Attempt {
	if p := log.Peek(i); !mustClose(p) {
		return p
	}
	a := log.At(i)
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
	return a
}

// mustClose says whether closeAttempt changes a: its head tells.
func mustClose(a *Attempt) bool {
	return a.Outcome == Pending || (a.Outcome == Rejected && (a.Status == "401" || a.Status == "407"))
}

type timer struct {
	at  int64
	leg *leg
	gen uint32
}

func (tm timer) time() int64 { return tm.at }

// byTime orders timers and due times: pushed in capture order with a
// fixed delay, they come nearly in order (nearorder's case).
func byTime[T interface{ time() int64 }](a, b *T) bool { return (*a).time() < (*b).time() }
