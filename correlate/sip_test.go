package correlate

import (
	"fmt"
	"math"
	"math/rand"
	"net/netip"
	"sort"
	"strings"
	"testing"
	"unsafe"

	"github.com/ceiling-dev/ceiling/parse/capture"
	"github.com/ceiling-dev/ceiling/parse/sip"
)

// TestSIPSweepExact checks the incremental sweep against the rule it
// implements: at each sweep, exactly the transactions last seen more than
// linger+timer B ago are forgotten, and no ended leg older than linger is
// left. Times go backwards now and then, as a capture's may.
func TestSIPSweepExact(t *testing.T) {
	type key struct {
		callID, branch, method string
		cseq                   uint32
	}
	rng := rand.New(rand.NewSource(3))
	tr := newSIPTracker(DefaultTimerB, DefaultTimerF, nil, SpillOptions{})
	model := map[key]int64{} // last seen
	now := t0
	methods := []string{"INVITE", "ACK", "BYE", "CANCEL", "OPTIONS"}
	sweeps := 0
	for i := 0; i < 200000; i++ {
		now += rng.Int63n(2e8)
		at := now
		if rng.Intn(50) == 0 {
			at -= rng.Int63n(3e9)
		}
		id := fmt.Sprint("c", rng.Intn(3000))
		m := &sip.Message{Request: rng.Intn(2) == 0, CallID: id, CSeq: uint32(rng.Intn(3)), RetryAfter: -1}
		m.CSeqMethod = methods[rng.Intn(len(methods))]
		if m.Request {
			m.Method = m.CSeqMethod
		} else {
			m.StatusCode = []int{100, 180, 200, 487, 503}[rng.Intn(5)]
		}
		m.Via.Branch = fmt.Sprint("z9hG4bK", rng.Intn(4))
		if rng.Intn(10) == 0 {
			m.Via.Branch = "old" // no magic cookie: the CSeq tells transactions apart
		}
		src, dst := gen, edge
		if !m.Request {
			src, dst = edge, gen
		}
		before := tr.lastSweep
		tr.add(&capture.Event{Time: at, Src: src, Dst: dst, SIP: m})
		k := key{id, m.Via.Branch, m.CSeqMethod, 0}
		if m.Via.Branch == "old" {
			k.cseq = m.CSeq
		}
		if tr.lastSweep != before {
			// The sweep ran before the message was taken.
			sweeps++
			for mk, seen := range model {
				if tr.lastSweep-seen > linger+tr.timerB {
					delete(model, mk)
				}
			}
		}
		model[k] = at
		if tr.lastSweep != before {
			got := 0
			for c := range tr.calls.all {
				for _, l := range c.legs {
					if l.state == legEnded && tr.lastSweep-l.endedAt > linger {
						t.Fatalf("sweep at %d kept a leg ended at %d", tr.lastSweep, l.endedAt)
					}
				}
				for _, x := range c.txns {
					k := key{c.id, x.branch, x.method, x.cseq}
					if seen, ok := model[k]; !ok || seen != x.lastSeen {
						t.Fatalf("transaction %+v: tracker has last seen %d, the rule %d (%v)", k, x.lastSeen, seen, ok)
					}
					got++
				}
			}
			if got != len(model) {
				t.Fatalf("after the sweep at %d: %d transactions, the rule keeps %d", tr.lastSweep, got, len(model))
			}
		}
	}
	if sweeps < 100 {
		t.Fatalf("only %d sweeps", sweeps)
	}
}

// dialogEvents is one successful call's seven messages, as the parser
// gives them (interned methods, a Call-ID of its own).
func dialogEvents(id string, at int64, src netip.AddrPort) []capture.Event {
	br := "z9hG4bK-" + id
	inv := &sip.Message{Request: true, Method: "INVITE", CSeqMethod: "INVITE", CallID: id, CSeq: 1, Via: sip.Via{Branch: br}, RetryAfter: -1}
	r := func(code int, method, branch string, cseq uint32) *sip.Message {
		return &sip.Message{StatusCode: code, CSeqMethod: method, CallID: id, CSeq: cseq, Via: sip.Via{Branch: branch}, ToTag: "t", RetryAfter: -1}
	}
	q := func(method, branch string, cseq uint32) *sip.Message {
		return &sip.Message{Request: true, Method: method, CSeqMethod: method, CallID: id, CSeq: cseq, Via: sip.Via{Branch: branch}, ToTag: "t", RetryAfter: -1}
	}
	ms := []struct {
		dt       int64
		m        *sip.Message
		fromEdge bool
	}{
		{0, inv, false},
		{5e6, r(100, "INVITE", br, 1), true},
		{20e6, r(200, "INVITE", br, 1), true},
		{21e6, q("ACK", br+"a", 1), false},
		{2e9, q("BYE", br+"b", 2), false},
		{2010e6, r(200, "BYE", br+"b", 2), true},
	}
	evs := make([]capture.Event, len(ms))
	for i, x := range ms {
		s, d := src, edge
		if x.fromEdge {
			s, d = d, s
		}
		evs[i] = capture.Event{Time: at + x.dt, Src: s, Dst: d, SIP: x.m}
	}
	return evs
}

// BenchmarkSIPTracker feeds the tracker calls of six messages each, 500
// new calls a second of capture time with two seconds of talk, so that
// sweeps and timers run as in a load test. One op is one call.
func BenchmarkSIPTracker(b *testing.B) {
	const calls = 1 << 14
	var evs []capture.Event
	for i := 0; i < calls; i++ {
		src := netip.AddrPortFrom(gen.Addr(), uint16(10000+i%50000))
		evs = append(evs, dialogEvents(fmt.Sprintf("%08d@bench", i), t0+int64(i)*2e6, src)...)
	}
	// In capture order.
	sortByTime(evs)
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += calls {
		tr := newSIPTracker(DefaultTimerB, DefaultTimerF, nil, SpillOptions{})
		for i := range evs {
			tr.add(&evs[i])
		}
		tr.finish(evs[len(evs)-1].Time)
	}
}

func sortByTime(evs []capture.Event) {
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Time < evs[j].Time })
}

// TestDialogsPerEdgeAddress: an edge's dialog limit is the proxy's, not a
// port's, so INVITEs over UDP/TCP on 5060 and over WebSocket on 8080 of
// one address count together; a backend on the same host (hop 1) counts
// apart; edges named with --edge count each on its own.
func TestDialogsPerEdgeAddress(t *testing.T) {
	ws := netip.AddrPortFrom(edge.Addr(), 8080)
	other := netip.MustParseAddrPort("10.0.0.2:40000")
	sameHostBackend := netip.AddrPortFrom(edge.Addr(), 5070)
	invite := func(tr *sipTracker, id string, at int64, src, dst netip.AddrPort) int32 {
		tr.add(&capture.Event{Time: at, Src: src, Dst: dst, SIP: &sip.Message{
			Request: true, Method: "INVITE", CSeqMethod: "INVITE", CallID: id, CSeq: 1,
			Via: sip.Via{Branch: fmt.Sprint("z9hG4bK-", id, dst.Port())}, RetryAfter: -1}})
		return tr.attempts.Read(tr.attempts.Len() - 1).Concurrency
	}
	tr := newSIPTracker(DefaultTimerB, DefaultTimerF, nil, SpillOptions{})
	got := []int32{
		invite(tr, "a", t0, gen, edge),
		invite(tr, "b", t0+1e6, other, ws),
		invite(tr, "c", t0+2e6, gen, edge),
		// The edge passes call a on to a backend on its own host.
		invite(tr, "a", t0+3e6, edge, sameHostBackend),
		invite(tr, "d", t0+4e6, other, ws),
	}
	want := []int32{1, 2, 3, 1, 4}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("concurrency %v, want %v", got, want)
	}
	if h := tr.attempts.Read(3).Hop; h != 1 {
		t.Errorf("the edge's own INVITE is hop %d, want 1", h)
	}

	tr = newSIPTracker(DefaultTimerB, DefaultTimerF, []netip.AddrPort{edge, ws}, SpillOptions{})
	got = []int32{
		invite(tr, "a", t0, gen, edge),
		invite(tr, "b", t0+1e6, other, ws),
		invite(tr, "c", t0+2e6, gen, edge),
	}
	if want := []int32{1, 1, 2}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("with --edge: concurrency %v, want %v", got, want)
	}
}

// TestCallKeep: the branches a call keeps in its own memory read as they
// were given, after the source changes and after later ones are kept,
// including those past its room (cloned).
func TestCallKeep(t *testing.T) {
	c := new(call)
	var got, want []string
	for _, n := range []int{23, 0, 23, 40, 23, 30, 1, 80} {
		src := []byte(strings.Repeat(string(rune('a'+len(want)%26)), n))
		want = append(want, string(src))
		// As a branch is: a view of a buffer used again after.
		view := ""
		if n > 0 {
			view = unsafe.String(&src[0], n)
		}
		got = append(got, c.keep(view))
		for i := range src {
			src[i] = '!'
		}
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("branch %d: %q, want %q", i, got[i], want[i])
		}
	}
	if used := int(c.text[0]); used == 0 || used > len(c.text)-1 {
		t.Errorf("%d bytes used of %d", used, len(c.text)-1)
	}
}

// TestCallIDOutlivesMessage: the parser's Call-ID points into the
// message's buffer, which the capture reader writes over once the event
// is handed back. The call must keep a copy: each message here has its
// Call-ID in a buffer overwritten after add, and the dialogs must still
// be followed to their end, under their own Call-IDs.
func TestCallIDOutlivesMessage(t *testing.T) {
	ids := []string{"a", "3c26b5f0a7e14c1d9b0e8f7a6d5c4b3a@10.20.30.40", strings.Repeat("long-", 40) + "@h"}
	tr := newSIPTracker(DefaultTimerB, DefaultTimerF, nil, SpillOptions{})
	var ends []int64
	for k, id := range ids {
		evs := dialogEvents(id, t0+int64(k)*1e9, netip.AddrPortFrom(gen.Addr(), uint16(5000+k)))
		for i := range evs {
			buf := []byte(id)
			evs[i].SIP.CallID = unsafe.String(&buf[0], len(buf))
			tr.add(&evs[i])
			for j := range buf {
				buf[j] = '#'
			}
		}
		ends = append(ends, evs[len(evs)-1].Time)
	}
	if n := tr.attempts.Len(); n != len(ids) {
		t.Fatalf("%d attempts, want %d", n, len(ids))
	}
	for i, id := range ids {
		a := tr.attempts.Read(i)
		tr.attempts.Settle()
		if a.CallID != id || a.Ended != ends[i] {
			t.Errorf("attempt %d: Call-ID %q ended %d, want %q ended %d", i, a.CallID, a.Ended, id, ends[i])
		}
	}
}

// TestSIPTimersSkip holds advance's skip of the timer queues (nextTimer)
// to looking at them on every event: the same attempts come out, with
// INVITEs left unanswered (timer B), BYEs unanswered (timer F), and times
// that go backwards now and then.
func TestSIPTimersSkip(t *testing.T) {
	got := sipTrace(DefaultTimerF/2, func(tr *sipTracker) { tr.nextTimer = math.MinInt64 }, nil)
	want := sipTrace(DefaultTimerF/2, nil, nil)
	if got != want {
		t.Fatal("the attempts differ when advance skips the timer queues")
	}
	if n := strings.Count(got, "timeout"); n == 0 {
		t.Fatal("no INVITE timed out: the test does not reach the timers")
	}
}

// TestSIPRecycle: calls taken back once forgotten (sipTracker.recycle),
// their text poisoned, give the attempts and counts that new calls give.
// The Call-IDs come back long after they were forgotten, and timer F,
// longer here than a call is remembered after its last message, still
// fires for calls forgotten: a recycled call's first leg must not take
// it for its own.
func TestSIPRecycle(t *testing.T) {
	recycled := 0
	timerF := int64(2 * (linger + DefaultTimerB))
	got := sipTrace(timerF, func(tr *sipTracker) { tr.poison = true }, func(tr *sipTracker) {
		recycled = max(recycled, len(tr.free))
	})
	want := sipTrace(timerF, func(tr *sipTracker) { tr.noRecycle = true }, nil)
	if got != want {
		t.Fatal("the attempts differ when calls are recycled")
	}
	if recycled == 0 {
		t.Fatal("no call was recycled: the test does not reach recycle")
	}

	// Call a's timer F (stale: its BYE was answered) is still queued when
	// b takes a's call over, and comes due between b's BYE and its answer:
	// b's leg must wait for the answer.
	tr := newSIPTracker(DefaultTimerB, timerF, nil, SpillOptions{})
	a := dialogEvents("a", t0, gen)
	for i := range a {
		tr.add(&a[i])
	}
	was := tr.calls.get("a", tr.calls.hash("a"))
	staleF := a[4].Time + timerF
	b := dialogEvents("b", staleF-2e9-5e6, gen)
	for i := range b {
		tr.add(&b[i])
	}
	if tr.calls.get("b", tr.calls.hash("b")) != was {
		t.Fatal("b did not take a's call over: the test does not reach recycle")
	}
	if bye, end := b[4].Time, b[5].Time; bye >= staleF || end <= staleF {
		t.Fatalf("a's timer F at %d is not between b's BYE at %d and its answer at %d", staleF, bye, end)
	}
	if got := tr.attempts.Read(1).Ended; got != b[5].Time {
		t.Errorf("b ended at %d, want %d (its BYE's answer)", got, b[5].Time)
	}
}

// sipTrace feeds a tracker random traffic: INVITEs left unanswered (timer
// B), BYEs unanswered (timer F), times that go backwards now and then,
// Call-IDs used again long after. It prints the attempts and the counts.
// before is called before each message, after after it.
func sipTrace(timerF int64, before, after func(*sipTracker)) string {
	rng := rand.New(rand.NewSource(5))
	tr := newSIPTracker(DefaultTimerB, timerF, nil, SpillOptions{})
	now := t0
	for i := 0; i < 50000; i++ {
		now += rng.Int63n(5e8)
		at := now
		if rng.Intn(30) == 0 {
			at -= rng.Int63n(3e9)
		}
		id := fmt.Sprint("c", rng.Intn(2000))
		m := &sip.Message{Request: rng.Intn(2) == 0, CallID: id, CSeq: uint32(1 + rng.Intn(2)), RetryAfter: -1}
		m.CSeqMethod = []string{"INVITE", "INVITE", "ACK", "BYE", "CANCEL"}[rng.Intn(5)]
		if m.Request {
			m.Method = m.CSeqMethod
		} else {
			m.StatusCode = []int{100, 200, 200, 487, 503}[rng.Intn(5)]
		}
		m.Via.Branch = fmt.Sprint("z9hG4bK", rng.Intn(1000))
		if rng.Intn(20) == 0 {
			m.Via.Branch = fmt.Sprint("old", rng.Intn(1000)) // no magic cookie
		}
		src, dst := gen, edge
		if !m.Request {
			src, dst = edge, gen
		}
		if before != nil {
			before(tr)
		}
		tr.add(&capture.Event{Time: at, Src: src, Dst: dst, SIP: m})
		if after != nil {
			after(tr)
		}
	}
	tr.finish(now)
	var b strings.Builder
	for i := range tr.attempts.Len() {
		a := tr.attempts.Read(i)
		tr.attempts.Settle()
		fmt.Fprintln(&b, a.CallID, a.Time, a.Outcome, a.Status, a.Answered, a.Ended, a.Retransmits, a.Concurrency)
	}
	fmt.Fprintln(&b, tr.stats)
	return b.String()
}

// TestSIPLast: an attempt's Last is its end, then the messages of its
// dialog that come after it while the dialog is kept (the answer to a
// BYE sent again, the ACK of a failure), and unknown (0) once the same
// client tries again on the same Call-ID, whose messages the evidence
// finds by it.
func TestSIPLast(t *testing.T) {
	tr := newSIPTracker(DefaultTimerB, DefaultTimerF, nil, SpillOptions{})
	evs := dialogEvents("a", t0, gen)
	bye200 := evs[len(evs)-1]
	for i := range evs {
		tr.add(&evs[i])
	}
	a := tr.attempts.Read(0)
	if a.Ended == 0 || a.Last != a.Ended {
		t.Fatalf("after the dialog: Ended %d, Last %d; want Last = Ended", a.Ended-t0, a.Last-t0)
	}
	ended := a.Ended
	again := bye200
	again.Time = ended + 3e9 // the 200 to the BYE, sent again
	tr.add(&again)
	if a := tr.attempts.Read(0); a.Last != ended+3e9 || a.Ended != ended {
		t.Errorf("after a late 200: Ended %d, Last %d; want Last %d", a.Ended-t0, a.Last-t0, ended+3e9-t0)
	}
	// Past linger the leg is forgotten: a message then is not the
	// attempt's.
	again.Time = ended + linger + 5e9
	tr.add(&again)
	if a := tr.attempts.Read(0); a.Last != ended+3e9 {
		t.Errorf("after the leg was forgotten: Last %d, want %d", a.Last-t0, ended+3e9-t0)
	}

	// A failure, its ACK, then a new try on the same Call-ID.
	tr = newSIPTracker(DefaultTimerB, DefaultTimerF, nil, SpillOptions{})
	br := "z9hG4bK-b1"
	tr.add(&capture.Event{Time: t0, Src: gen, Dst: edge, SIP: &sip.Message{Request: true, Method: "INVITE", CSeqMethod: "INVITE", CallID: "b", CSeq: 1, Via: sip.Via{Branch: br}, RetryAfter: -1}})
	tr.add(&capture.Event{Time: t0 + 1e6, Src: edge, Dst: gen, SIP: &sip.Message{StatusCode: 503, CSeqMethod: "INVITE", CallID: "b", CSeq: 1, Via: sip.Via{Branch: br}, ToTag: "t", RetryAfter: -1}})
	tr.add(&capture.Event{Time: t0 + 2e6, Src: gen, Dst: edge, SIP: &sip.Message{Request: true, Method: "ACK", CSeqMethod: "ACK", CallID: "b", CSeq: 1, Via: sip.Via{Branch: br}, ToTag: "t", RetryAfter: -1}})
	if a := tr.attempts.Read(0); a.Ended != t0+1e6 || a.Last != t0+2e6 {
		t.Errorf("503 then ACK: Ended %d, Last %d; want 1e6 and 2e6", a.Ended-t0, a.Last-t0)
	}
	tr.add(&capture.Event{Time: t0 + 5e9, Src: gen, Dst: edge, SIP: &sip.Message{Request: true, Method: "INVITE", CSeqMethod: "INVITE", CallID: "b", CSeq: 2, Via: sip.Via{Branch: "z9hG4bK-b2"}, RetryAfter: -1}})
	if n := tr.attempts.Len(); n != 2 {
		t.Fatalf("%d attempts after the new try, want 2", n)
	}
	if a := tr.attempts.Read(0); a.Last != 0 {
		t.Errorf("the first try's Last is %d after a new try on its Call-ID, want 0 (unknown)", a.Last-t0)
	}
}

// TestSameBranch: sameBranch is ==, whichever byte two branches differ
// at.
func TestSameBranch(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		{"", ""}, {"", "z"}, {"z9hG4bK1", "z9hG4bK1"}, {"z9hG4bK1", "z9hG4bK2"},
		{"z9hG4bKa1", "z9hG4bKb1"}, {"y9hG4bK1", "z9hG4bK1"}, {"z9hG4bK1", "z9hG4bK11"},
	} {
		if got, want := sameBranch(tc.a, tc.b), tc.a == tc.b; got != want {
			t.Errorf("sameBranch(%q, %q) = %v, want %v", tc.a, tc.b, got, want)
		}
	}
}

// TestCallTxn checks that a message finds the transaction it belongs to
// wherever it lies among the call's (the look-up goes newest first), that
// a new transaction starts only when none matches, and that one sharing
// a branch shares the call's copy of it.
func TestCallTxn(t *testing.T) {
	msg := func(branch, method string, cseq uint32) *sip.Message {
		m := &sip.Message{CSeq: cseq, CSeqMethod: method}
		m.Via.Branch = branch
		return m
	}
	setup := []*sip.Message{
		msg("z9hG4bKinv", "INVITE", 1), msg("z9hG4bKack", "ACK", 1),
		msg("z9hG4bKbye", "BYE", 2), msg("old", "INFO", 3), msg("old", "INFO", 4),
	}
	for _, tc := range []struct {
		name string
		m    *sip.Message
		want int // index among the call's transactions; len(setup): new
	}{
		{"first", msg("z9hG4bKinv", "INVITE", 1), 0},
		{"middle", msg("z9hG4bKack", "ACK", 1), 1},
		{"last RFC 3261", msg("z9hG4bKbye", "BYE", 2), 2},
		{"by CSeq", msg("old", "INFO", 3), 3},
		{"newest", msg("old", "INFO", 4), 4},
		{"RFC 3261 branch ignores CSeq", msg("z9hG4bKinv", "INVITE", 9), 0},
		{"other method, same branch", msg("z9hG4bKinv", "CANCEL", 1), len(setup)},
		{"other CSeq, old branch", msg("old", "INFO", 5), len(setup)},
		{"other branch", msg("z9hG4bKnew", "BYE", 2), len(setup)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := newSIPTracker(DefaultTimerB, DefaultTimerF, nil, SpillOptions{})
			c := tr.newCall("id")
			for _, m := range setup {
				c.txn(m)
			}
			if len(c.txns) != len(setup) {
				t.Fatalf("setup made %d transactions, want %d", len(c.txns), len(setup))
			}
			x := c.txn(tc.m)
			got := int((uintptr(unsafe.Pointer(x)) - uintptr(unsafe.Pointer(&c.txns[0]))) / unsafe.Sizeof(*x))
			if got != tc.want || len(c.txns) != max(len(setup), tc.want+1) {
				t.Fatalf("transaction %d of %d, want %d", got, len(c.txns), tc.want)
			}
			if x.branch != tc.m.Via.Branch || x.method != tc.m.CSeqMethod {
				t.Errorf("transaction %q %q, want %q %q", x.branch, x.method, tc.m.Via.Branch, tc.m.CSeqMethod)
			}
			for _, y := range c.txns[:len(setup)] {
				if y.branch == x.branch && unsafe.StringData(y.branch) != unsafe.StringData(x.branch) {
					t.Errorf("branch %q kept twice", x.branch)
				}
			}
		})
	}
}
