package tcp

import (
	"io"
	"math"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ceiling-dev/ceiling/parse"
	"github.com/ceiling-dev/ceiling/parse/pcap"
)

// runAssembler feeds pkts to a fresh Assembler and returns what the
// handler heard and the final stats. general makes every packet look its
// connection up in the table, as if the packet before it had been of
// another connection: the path the last-connection shortcut skips.
func runAssembler(t *testing.T, pkts []*pcap.Packet, opts Options, general bool) string {
	t.Helper()
	rec := newRecorder()
	a := NewAssembler(rec, opts)
	for _, p := range pkts {
		if general {
			a.last = nil
		}
		a.Packet(p)
	}
	var end int64
	if len(pkts) > 0 {
		end = pkts[len(pkts)-1].Time
	}
	a.Finish(end)
	rec.check(t)
	return rec.log.String() + describeStats(a.Stats())
}

// TestLastConnShortcut: the shortcut for a packet of the same connection
// as the one before it changes nothing, on every capture of the corpus
// and on the hand-made cases (port reuse, closes, lingering and evicted
// connections among them).
func TestLastConnShortcut(t *testing.T) {
	type input struct {
		name string
		pkts []*pcap.Packet
		opts Options
	}
	var ins []input
	for _, c := range cases {
		f := newFlow()
		c.build(f)
		ins = append(ins, input{"case/" + c.name, f.pkts, c.opts})
	}
	// More connections than the table holds, interleaved, and ports
	// reused with a new initial sequence number.
	f := newFlow()
	for i := range 40 {
		f.cli = netip.AddrPortFrom(f.cli.Addr(), uint16(40000+i%13))
		f.c("S", uint32(1000+i), 0, "")
		if i%3 == 0 {
			f.s("SA", 5000, uint32(1001+i), "")
		}
	}
	ins = append(ins, input{"evictions", f.pkts, Options{MaxConns: 7}})
	// More connections forgotten at once than are kept for reuse; the
	// last of them was the last packet's, and its addresses come again.
	f = newFlow()
	for i := range maxFreeConns + 100 {
		f.cli = netip.AddrPortFrom(f.cli.Addr(), uint16(1024+i))
		f.c("S", 1000, 0, "")
		f.s("RA", 0, 1001, "")
	}
	f.wait(10e9)
	f.s("A", 7000, 2000, "late")
	ins = append(ins, input{"forgotten past the free list", f.pkts, Options{}})

	dir := needCorpus(t)
	files, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range files {
		pkts := readTCP(t, filepath.Join(dir, e.Name()))
		if len(pkts) > 0 {
			ins = append(ins, input{"corpus/" + e.Name(), pkts, Options{}})
		}
	}
	for _, in := range ins {
		t.Run(in.name, func(t *testing.T) {
			fast := runAssembler(t, in.pkts, in.opts, false)
			general := runAssembler(t, in.pkts, in.opts, true)
			if fast != general {
				t.Errorf("the shortcut changed what the handler heard:\n--- shortcut\n%s\n--- lookup every packet\n%s", fast, general)
			}
		})
	}
}

// readTCP reads a capture's TCP packets, payloads copied; nil for a file
// that is not a capture.
func readTCP(t *testing.T, path string) []*pcap.Packet {
	in, err := parse.Open(path)
	if err != nil {
		return nil
	}
	defer in.Close()
	if in.Kind != parse.KindPcap && in.Kind != parse.KindPcapng && in.Kind != parse.KindNetmon {
		return nil
	}
	r, err := pcap.NewReader(in, pcap.Options{})
	if err != nil {
		return nil
	}
	var pkts []*pcap.Packet
	for {
		p, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if p.Transport != pcap.TCP {
			continue
		}
		q := *p
		q.Payload = append([]byte(nil), p.Payload...)
		pkts = append(pkts, &q)
	}
	return pkts
}

// TestTimers holds the timers to a model under random deadlines, some
// the clock plus a queue's delay and some not, connections forgotten and
// the clock moving: what comes first is always the live deadline due
// first in (deadline, ID) order, stale entries never come out, and the
// entries held stay bounded by the connections.
func TestTimers(t *testing.T) {
	delays := [nQueues]int64{queueIdle: 1000, queueOpening: 30, queueLinger: 50}
	for _, tc := range []struct {
		name   string
		ops    int
		spread int64 // how far off the queues' delays the others fall
		step   int64 // how far the clock moves at most
	}{
		{"empty", 0, 10, 10},
		{"few", 20, 100, 10},
		{"ties", 3000, 3, 1},
		{"spread", 5000, 1 << 20, 50},
		{"still clock", 3000, 100, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(tc.ops), uint64(tc.spread)))
			tm := newTimers()
			want := map[*conn]int64{} // the live deadlines
			var open []*conn
			var now int64
			var id uint64
			check := func() {
				t.Helper()
				if tm.n > 2*len(open)+compactSlack {
					t.Fatalf("%d entries held for %d connections", tm.n, len(open))
				}
			}
			// fire takes what is due by until, checking it against want.
			fire := func(until int64) {
				t.Helper()
				for {
					e, src := tm.first()
					if e == nil {
						if len(want) > 0 {
							t.Fatalf("nothing first, %d live", len(want))
						}
						return
					}
					var best *conn
					for c, d := range want {
						if best == nil || d < want[best] || d == want[best] && c.id < best.id {
							best = c
						}
					}
					if e.c != best || e.deadline != want[best] || e.id != best.id {
						t.Fatalf("first: %d at %d; want %d at %d", e.id, e.deadline, best.id, want[best])
					}
					if tm.next > e.deadline {
						t.Fatalf("next %d, after the first deadline %d", tm.next, e.deadline)
					}
					if e.deadline > until {
						return
					}
					tm.take(src)
					delete(want, best)
				}
			}
			for range tc.ops {
				switch r := rng.IntN(10); {
				case r < 2 || len(open) == 0:
					id++
					c := &conn{connHead: connHead{Conn: &Conn{ID: id}, slot: tm.newSlot()}, connTimes: connTimes{id: id}}
					open = append(open, c)
				case r < 7:
					c := open[rng.IntN(len(open))]
					q := rng.IntN(nQueues + 1)
					d := now + rng.Int64N(tc.spread)
					if q < nQueues {
						d = now + delays[q]
					} else {
						q = -1
					}
					tm.add(c, d, q)
					want[c] = d
				case r < 8:
					i := rng.IntN(len(open))
					c := open[i]
					open = slices.Delete(open, i, i+1)
					tm.freeSlot(c.slot)
					delete(want, c)
				default:
					now += rng.Int64N(tc.step + 1)
					fire(now)
				}
				check()
			}
			fire(math.MaxInt64)
			if len(want) != 0 {
				t.Fatalf("%d live deadlines never came out", len(want))
			}
		})
	}
}

// liveTimers lists the timers' live entries.
func liveTimers(tm *timers) []timer {
	var out []timer
	for i := range tm.queues {
		q := &tm.queues[i]
		for _, e := range q.e[q.head:] {
			if tm.live(&e) {
				out = append(out, e)
			}
		}
	}
	for _, e := range tm.heap {
		if tm.live(&e) {
			out = append(out, e)
		}
	}
	return out
}

// TestTimerMovesWithItsKind: a connection's timer is moved to its real
// deadline as soon as the deadline changes kind (opening, idle,
// finishing, lingering), later or not; within a kind, a deadline that
// only moved later (an idle connection's, on each packet) is left stale.
func TestTimerMovesWithItsKind(t *testing.T) {
	type want struct {
		due   due
		stale bool // the timer's deadline is earlier than the real one
	}
	// handshake opens the connection: the client's ISN is 1000, the server's 5000.
	handshake := func(f *flow) {
		f.c("S", 1000, 0, "")
		f.s("SA", 5000, 1001, "")
		f.c("A", 1001, 5001, "")
	}
	cases := []struct {
		name  string
		build func(f *flow)
		want  want
	}{
		{"syn", func(f *flow) { f.c("S", 1000, 0, "") }, want{dueOpening, false}},
		{"syn-ack", func(f *flow) {
			f.c("S", 1000, 0, "")
			f.s("SA", 5000, 1001, "")
		}, want{dueIdle, false}},
		{"data after the handshake", func(f *flow) {
			handshake(f)
			f.c("PA", 1001, 5001, "INVITE")
		}, want{dueIdle, true}},
		{"refused", func(f *flow) {
			f.c("S", 1000, 0, "")
			f.s("RA", 0, 1001, "")
		}, want{dueLinger, false}},
		{"both fins, data missing", func(f *flow) {
			handshake(f)
			f.c("FA", 1005, 5001, "")
			f.s("FA", 5001, 1001, "")
		}, want{dueFinishing, false}},
		{"closed by fins", func(f *flow) {
			handshake(f)
			f.c("FA", 1001, 5001, "")
			f.s("FA", 5001, 1002, "")
		}, want{dueLinger, false}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFlow()
			tc.build(f)
			a := NewAssembler(nopHandler{}, Options{})
			for _, p := range f.pkts {
				a.Packet(p)
			}
			live := liveTimers(&a.timers)
			if len(live) != 1 {
				t.Fatalf("%d timers, want 1", len(live))
			}
			c := live[0].c
			d, k := a.deadlineOf(c)
			if k != tc.want.due || c.due != k {
				t.Errorf("deadline of kind %d, timer of kind %d; want %d", k, c.due, tc.want.due)
			}
			if got := c.deadline < d; got != tc.want.stale || c.deadline > d {
				t.Errorf("timer at %d, the real deadline %d: want stale %v", c.deadline, d, tc.want.stale)
			}
		})
	}
}

// TestEvictsWhatIsDueFirst: with the table full, a new connection makes
// room by the timer due first, a lingering closed connection's (simply
// forgotten) or an open one's (evicted), whichever it is.
func TestEvictsWhatIsDueFirst(t *testing.T) {
	refused := func(f *flow, port uint16) {
		f.cli = netip.AddrPortFrom(f.cli.Addr(), port)
		f.c("S", 1000, 0, "")
		f.s("RA", 0, 1001, "")
	}
	up := func(f *flow, port uint16) {
		f.cli = netip.AddrPortFrom(f.cli.Addr(), port)
		f.c("S", 1000, 0, "")
		f.s("SA", 5000, 1001, "")
	}
	opening := func(f *flow, port uint16) {
		f.cli = netip.AddrPortFrom(f.cli.Addr(), port)
		f.c("S", 1000, 0, "")
	}
	// An idle timeout of 10 s: the connection up, then busy 4 s later, is
	// due 14 s in, its timer still at 10 s; the one refused at 6 s lingers
	// until 11 s. The stale timer must not decide.
	staleFirst := func(f *flow, port uint16) {
		up(f, port)
		f.wait(4e9)
		f.c("A", 1001, 5001, "")
		f.wait(2e9)
	}
	for _, tc := range []struct {
		name        string
		first, then func(f *flow, port uint16)
		idle        time.Duration
		evicted     int64 // open connections evicted
	}{
		// Linger (5 s) comes before the idle timeout (5 min).
		{"lingering first", refused, up, 0, 0},
		// The SYN's timeout (3 s) comes before the linger.
		{"open first", opening, refused, 0, 1},
		{"open first, its timer stale", staleFirst, refused, 10 * time.Second, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFlow()
			tc.first(f, 40001)
			tc.then(f, 40002)
			opening(f, 40003)
			a := NewAssembler(nopHandler{}, Options{MaxConns: 2, IdleTimeout: tc.idle})
			for _, p := range f.pkts {
				a.Packet(p)
			}
			if s := a.Stats(); s.Evicted != tc.evicted || s.Tracked != 2 {
				t.Errorf("%d evicted, %d tracked; want %d and 2", s.Evicted, s.Tracked, tc.evicted)
			}
		})
	}
}

// TestStateKeptCurrent: a connection's State is what state() makes of it
// after every packet, though segment only recomputes it when something it
// reads can have moved.
func TestStateKeptCurrent(t *testing.T) {
	type input struct {
		name  string
		build func(f *flow)
		opts  Options
	}
	ins := []input{
		// The server's first byte comes after its bare ACK: answered at last.
		{name: "server_data_after_bare_ack", build: func(f *flow) {
			f.c("S", isn, 0, "")
			f.s("A", isnS, isn+1, "")
			f.s("PA", isnS, isn+1, "100 Trying")
		}},
		// The SYN-ACK comes after the server's bare ACK: answered at last.
		{name: "synack_after_bare_ack", build: func(f *flow) {
			f.c("S", isn, 0, "")
			f.s("A", isnS+1, isn+1, "")
			f.s("SA", isnS, isn+1, "")
		}},
		{name: "client_data_then_server_midstream", build: func(f *flow) {
			f.c("PA", isn, isnS, "INVITE")
			f.c("PA", isn+6, isnS, "BYE")
			f.s("A", isnS, isn+9, "")
			f.s("PA", isnS, isn+9, "200 OK")
		}},
	}
	for _, c := range cases {
		ins = append(ins, input{"case/" + c.name, c.build, c.opts})
	}
	for _, in := range ins {
		t.Run(in.name, func(t *testing.T) {
			f := newFlow()
			in.build(f)
			a := NewAssembler(nopHandler{}, in.opts)
			for _, p := range f.pkts {
				a.Packet(p)
				if c := a.last; c != nil && !c.dead && c.State != c.state() {
					t.Fatalf("packet %d: State %v, state() %v", p.Num, c.State, c.state())
				}
			}
		})
	}
}
