package tcp

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ceiling-dev/ceiling/parse"
)

// Hand-made packet sequences, one per state and per reassembly case. Each
// writes a transcript of the Handler calls, the Stats and the problems to
// testdata/golden/<name>.golden; the assertions in want hold the points
// that matter so that a careless -update cannot bless a regression.

const isn, isnS = uint32(1000), uint32(5000)

// handshake adds SYN, SYN-ACK, ACK with the usual numbers.
func handshake(f *flow) {
	f.c("S", isn, 0, "")
	f.s("SA", isnS, isn+1, "")
	f.c("A", isn+1, isnS+1, "")
}

type want struct {
	states   []State // per connection, in the order opened
	client   []string
	server   []string
	problems int
}

var cases = []struct {
	name  string
	opts  Options
	build func(f *flow)
	// finish is when Finish is called, after the last packet.
	finish int64
	want   want
}{
	{name: "sf", build: func(f *flow) {
		handshake(f)
		f.c("PA", isn+1, isnS+1, "INVITE")
		f.s("PA", isnS+1, isn+7, "200 OK")
		f.c("FA", isn+7, isnS+7, "")
		f.s("FA", isnS+7, isn+8, "")
		f.c("A", isn+8, isnS+8, "")
	}, want: want{states: []State{SF}, client: []string{"INVITE"}, server: []string{"200 OK"}}},
	{name: "s0", build: func(f *flow) {
		f.c("S", isn, 0, "")
	}, finish: 1e9, want: want{states: []State{S0}}},
	{name: "s0_timeout", build: func(f *flow) {
		f.c("S", isn, 0, "")
		f.wait(1e9)
		f.c("S", isn, 0, "")
		f.wait(2e9)
		f.c("S", isn, 0, "")
		f.wait(20e9)
		// Another connection's packet moves the clock on.
		p := f.c("S", 77, 0, "")
		p.SrcPort++
	}, want: want{states: []State{S0, S0}}},
	{name: "rej", build: func(f *flow) {
		f.c("S", isn, 0, "")
		f.s("RA", 0, isn+1, "")
	}, want: want{states: []State{REJ}}},
	{name: "rej_after_syn_retransmits", build: func(f *flow) {
		f.c("S", isn, 0, "")
		f.wait(1e9)
		f.c("S", isn, 0, "")
		f.s("RA", 0, isn+1, "")
	}, want: want{states: []State{REJ}}},
	{name: "rsto", build: func(f *flow) {
		handshake(f)
		f.c("PA", isn+1, isnS+1, "hello")
		f.c("RA", isn+6, isnS+1, "")
	}, want: want{states: []State{RSTO}, client: []string{"hello"}}},
	{name: "rstr", build: func(f *flow) {
		handshake(f)
		f.c("PA", isn+1, isnS+1, "hello")
		f.s("R", isnS+1, 0, "")
	}, want: want{states: []State{RSTR}, client: []string{"hello"}}},
	{name: "rstos0", build: func(f *flow) {
		f.c("S", isn, 0, "")
		f.c("R", isn+1, 0, "")
	}, want: want{states: []State{RSTOS0}}},
	{name: "rstrh_lone_rst", build: func(f *flow) {
		f.s("RA", isnS, isn, "")
	}, want: want{states: []State{RSTRH}}},
	{name: "sh", build: func(f *flow) {
		f.c("S", isn, 0, "")
		f.c("F", isn+1, 0, "")
	}, want: want{states: []State{SH}}},
	{name: "shr", build: func(f *flow) {
		f.s("SA", isnS, isn+1, "")
		f.s("FA", isnS+1, isn+1, "")
	}, want: want{states: []State{SHR}}},
	{name: "s1", build: func(f *flow) {
		handshake(f)
		f.c("PA", isn+1, isnS+1, "REGISTER")
	}, want: want{states: []State{S1}, client: []string{"REGISTER"}}},
	{name: "s2_half_closed", build: func(f *flow) {
		handshake(f)
		f.c("FA", isn+1, isnS+1, "")
		f.s("A", isnS+1, isn+2, "")
		f.s("PA", isnS+1, isn+2, "still talking")
	}, want: want{states: []State{S2}, server: []string{"still talking"}}},
	{name: "s3", build: func(f *flow) {
		handshake(f)
		f.s("FA", isnS+1, isn+1, "")
	}, want: want{states: []State{S3}}},
	{name: "midstream", build: func(f *flow) {
		f.s("PA", 70000, 90000, "tail of a response")
		f.c("PA", 90000, 70018, "next request")
		f.s("A", 70018, 90012, "")
	}, want: want{states: []State{S1}, client: []string{"next request"}, server: []string{"tail of a response"}}},
	{name: "midstream_same_port", build: func(f *flow) {
		f.cli = netip.MustParseAddrPort("10.0.0.1:5060")
		f.srv = netip.MustParseAddrPort("10.0.0.2:5060")
		f.s("PA", 70000, 90000, "OPTIONS")
	}, want: want{states: []State{OTH}, client: []string{"OPTIONS"}}},
	{name: "midstream_sf", build: func(f *flow) {
		f.c("PA", 90000, 70000, "BYE")
		f.s("PA", 70000, 90003, "200")
		f.c("FA", 90003, 70003, "")
		f.s("FA", 70003, 90004, "")
	}, want: want{states: []State{SF}, client: []string{"BYE"}, server: []string{"200"}}},
	{name: "midstream_keepalive_first", build: func(f *flow) {
		f.s("A", 70000, 90000, "")
		f.c("A", 89999, 70000, "\x00")
		f.c("PA", 90000, 70000, "data")
	}, want: want{states: []State{S1}, client: []string{"data"}}},
	{name: "synack_only", build: func(f *flow) {
		f.c("S", isn, 0, "")
		f.s("SA", isnS, isn+1, "")
	}, want: want{states: []State{OTH}}},
	{name: "synack_missing", build: func(f *flow) {
		f.c("S", isn, 0, "")
		f.c("PA", isn+1, isnS+1, "abc")
		f.s("PA", isnS+1, isn+4, "def")
	}, want: want{states: []State{S1}, client: []string{"abc"}, server: []string{"def"}}},
	{name: "bad_synack", build: func(f *flow) {
		f.c("S", isn, 0, "")
		f.s("SA", isnS, 12345, "")
	}, want: want{states: []State{S0}}},
	{name: "out_of_order", build: func(f *flow) {
		handshake(f)
		f.c("PA", isn+7, isnS+1, "ghi")
		f.c("PA", isn+4, isnS+1, "def")
		f.c("PA", isn+1, isnS+1, "abc")
		f.c("PA", isn+10, isnS+1, "jkl")
	}, want: want{states: []State{S1}, client: []string{"abcdefghijkl"}}},
	{name: "retransmission", build: func(f *flow) {
		handshake(f)
		f.c("PA", isn+1, isnS+1, "abc")
		f.c("PA", isn+1, isnS+1, "abc")
		f.c("PA", isn+4, isnS+1, "def")
		f.c("PA", isn+1, isnS+1, "abcdef")
	}, want: want{states: []State{S1}, client: []string{"abcdef"}}},
	{name: "overlap_conflict_delivered", build: func(f *flow) {
		handshake(f)
		f.c("PA", isn+1, isnS+1, "0123456789")
		f.c("PA", isn+6, isnS+1, "XXXXXabcde")
		f.c("PA", isn+1, isnS+1, "0123456789")
	}, want: want{states: []State{S1}, client: []string{"0123456789abcde"}}},
	{name: "overlap_conflict_held", build: func(f *flow) {
		handshake(f)
		f.c("PA", isn+11, isnS+1, "ABCDEFGHIJ")
		f.c("PA", isn+16, isnS+1, "xxxxxKLMNO")
		f.c("PA", isn+1, isnS+1, "0123456789ABCyy")
	}, want: want{states: []State{S1}, client: []string{"0123456789ABCDEFGHIJKLMNO"}}},
	{name: "overlap_history_acked", build: func(f *flow) {
		// Once acknowledged, data is not kept: a changed retransmission of
		// it is counted as a retransmission, not as a conflict.
		handshake(f)
		f.c("PA", isn+1, isnS+1, "0123456789")
		f.s("A", isnS+1, isn+11, "")
		f.c("PA", isn+1, isnS+1, "XXXXXXXXXX")
	}, want: want{states: []State{S1}, client: []string{"0123456789"}}},
	{name: "gap_by_ack", build: func(f *flow) {
		handshake(f)
		f.c("PA", isn+1, isnS+1, "abc")
		// "def" was lost by the capture.
		f.c("PA", isn+7, isnS+1, "ghi")
		f.s("A", isnS+1, isn+10, "")
		f.c("PA", isn+10, isnS+1, "jkl")
	}, want: want{states: []State{S1}, client: []string{"abc[gap 3]ghijkl"}}},
	{name: "gap_ack_before_data", build: func(f *flow) {
		handshake(f)
		f.c("PA", isn+1, isnS+1, "abc")
		// "def" was lost; the ACK alone does not declare it (the data may
		// just be late in the capture); the next segment past it does.
		f.s("A", isnS+1, isn+7, "")
		f.c("PA", isn+7, isnS+1, "ghi")
	}, want: want{states: []State{S1}, client: []string{"abc[gap 3]ghi"}}},
	{name: "gap_ack_then_late_data", build: func(f *flow) {
		handshake(f)
		f.s("A", isnS+1, isn+4, "")
		f.c("PA", isn+1, isnS+1, "abc")
	}, want: want{states: []State{S1}, client: []string{"abc"}}},
	{name: "gap_at_close", build: func(f *flow) {
		handshake(f)
		f.c("PA", isn+4, isnS+1, "def")
		f.c("FA", isn+7, isnS+1, "")
		f.s("FA", isnS+1, isn+8, "")
	}, want: want{states: []State{SF}, client: []string{"[gap 3]def"}}},
	{name: "fin_hole_linger", build: func(f *flow) {
		handshake(f)
		f.c("PA", isn+4, isnS+1, "def")
		f.c("FA", isn+7, isnS+1, "")
		f.s("FA", isnS+1, isn+1, "")
		f.wait(10e9)
		p := f.c("S", 77, 0, "")
		p.SrcPort++
	}, want: want{states: []State{SF, S0}, client: []string{"[gap 3]def", ""}}},
	{name: "buffer_bound", opts: Options{MaxBuffered: 8}, build: func(f *flow) {
		handshake(f)
		f.c("PA", isn+4, isnS+1, "def")
		f.c("PA", isn+7, isnS+1, "ghi")
		f.c("PA", isn+10, isnS+1, "jkl")
		f.c("PA", isn+13, isnS+1, "mno")
	}, want: want{states: []State{S1}, client: []string{"[gap 3]defghijklmno"}}},
	{name: "wraparound", build: func(f *flow) {
		i := uint32(0xfffffff8)
		f.c("S", i, 0, "")
		f.s("SA", isnS, i+1, "")
		f.c("A", i+1, isnS+1, "")
		f.c("PA", i+1, isnS+1, "0123456789")
		f.c("PA", i+17, isnS+1, "GHIJ")
		f.c("PA", i+11, isnS+1, "ABCDEF")
		f.s("A", isnS+1, i+21, "")
		f.c("FA", i+21, isnS+1, "")
		f.s("FA", isnS+1, i+22, "")
	}, want: want{states: []State{SF}, client: []string{"0123456789ABCDEFGHIJ"}}},
	{name: "seq_jump_1gb", build: func(f *flow) {
		handshake(f)
		f.c("PA", isn+1, isnS+1, "abc")
		f.c("PA", isn+4+1<<30, isnS+1, "far")
		f.s("A", isnS+1, isn+7+1<<30, "")
		f.c("PA", isn+7+1<<30, isnS+1, "on")
	}, want: want{states: []State{S1}, client: []string{"abc[gap 1073741824]faron"}}},
	{name: "port_reuse", build: func(f *flow) {
		handshake(f)
		f.c("FA", isn+1, isnS+1, "")
		f.s("FA", isnS+1, isn+2, "")
		f.c("A", isn+2, isnS+2, "")
		f.c("S", isn, 0, "") // a late copy of the old SYN: absorbed
		f.c("S", 90000, 0, "")
		f.s("SA", 7000, 90001, "")
		f.c("A", 90001, 7001, "")
		f.c("PA", 90001, 7001, "second")
		f.c("S", 123456, 0, "") // reused again, the second never closed
		f.s("RA", 0, 123457, "")
	}, want: want{states: []State{SF, S1, REJ}, client: []string{"", "second", ""}}},
	{name: "keepalive", build: func(f *flow) {
		handshake(f)
		f.c("PA", isn+1, isnS+1, "abc")
		f.s("A", isnS+1, isn+4, "")
		f.c("A", isn+3, isnS+1, "c")
		f.c("A", isn+3, isnS+1, "")
		f.c("PA", isn+4, isnS+1, "def")
	}, want: want{states: []State{S1}, client: []string{"abcdef"}}},
	{name: "zero_window_probe", build: func(f *flow) {
		handshake(f)
		f.c("PA", isn+1, isnS+1, "abc")
		p := f.s("A", isnS+1, isn+4, "")
		p.Window = 0
		f.c("A", isn+4, isnS+1, "d")
		f.c("A", isn+4, isnS+1, "d")
		f.s("A", isnS+1, isn+4, "")
		f.c("PA", isn+4, isnS+1, "def")
	}, want: want{states: []State{S1}, client: []string{"abcdef"}}},
	{name: "zero_window_probe_taken", build: func(f *flow) {
		handshake(f)
		f.c("PA", isn+1, isnS+1, "abc")
		p := f.s("A", isnS+1, isn+4, "")
		p.Window = 0
		f.c("A", isn+4, isnS+1, "d")
		f.s("A", isnS+1, isn+5, "")
		f.c("PA", isn+5, isnS+1, "ef")
	}, want: want{states: []State{S1}, client: []string{"abcdef"}}},
	{name: "rst_out_of_window", build: func(f *flow) {
		handshake(f)
		f.c("PA", isn+1, isnS+1, "abc")
		f.s("R", isnS+1+1<<28, 0, "")
		f.s("R", isnS+1, 0, "")
		f.s("R", isnS+1, 0, "")
		f.c("PA", isn+4, isnS+1, "late")
	}, want: want{states: []State{RSTR}, client: []string{"abc"}}},
	{name: "snap_cut", build: func(f *flow) {
		handshake(f)
		p := f.c("PA", isn+1, isnS+1, "INVITE sip:")
		p.PayloadLen = 100
		f.c("PA", isn+101, isnS+1, "next")
	}, want: want{states: []State{S1}, client: []string{"INVITE sip:[gap 89]next"}, problems: 1}},
	{name: "snap_cut_held", build: func(f *flow) {
		handshake(f)
		p := f.c("PA", isn+4, isnS+1, "def")
		p.PayloadLen = 10
		f.c("PA", isn+1, isnS+1, "abc")
		f.c("PA", isn+14, isnS+1, "xyz")
	}, want: want{states: []State{S1}, client: []string{"abcdef[gap 7]xyz"}, problems: 1}},
	{name: "idle_timeout", opts: Options{IdleTimeout: time.Minute}, build: func(f *flow) {
		handshake(f)
		f.wait(int64(2 * time.Minute))
		f.c("PA", isn+1, isnS+1, "back")
	}, want: want{states: []State{S1, OTH}, client: []string{"", "back"}}},
	{name: "data_after_fin", build: func(f *flow) {
		handshake(f)
		f.c("FPA", isn+1, isnS+1, "ab")
		f.c("PA", isn+3, isnS+1, "cd")
	}, want: want{states: []State{S2}, client: []string{"ab"}, problems: 1}},
	{name: "bad_flags", build: func(f *flow) {
		f.c("SF", isn, 0, "")
		f.c("SR", isn, 0, "")
		handshake(f)
	}, want: want{states: []State{S1}, problems: 2}},
	{name: "syn_with_data", build: func(f *flow) {
		f.c("S", isn, 0, "early")
		f.s("SA", isnS, isn+6, "")
		f.c("A", isn+6, isnS+1, "")
	}, want: want{states: []State{S1}, client: []string{"early"}}},
	{name: "synack_before_syn", build: func(f *flow) {
		f.s("SA", isnS, isn+1, "")
		f.c("S", isn, 0, "")
		f.c("A", isn+1, isnS+1, "")
		f.c("PA", isn+1, isnS+1, "x")
	}, want: want{states: []State{S1}, client: []string{"x"}}},
	{name: "eviction", opts: Options{MaxConns: 2}, build: func(f *flow) {
		for i := range 3 {
			p := f.c("S", isn, 0, "")
			p.SrcPort += uint16(i)
		}
	}, want: want{states: []State{S0, S0, S0}}},
	{name: "half_closed_then_rst", build: func(f *flow) {
		handshake(f)
		f.c("FA", isn+1, isnS+1, "")
		f.s("RA", isnS+1, isn+2, "")
	}, want: want{states: []State{RSTR}}},
	{name: "rst_after_both_fins", build: func(f *flow) {
		handshake(f)
		f.c("PA", isn+4, isnS+1, "late") // a hole before it keeps the connection open
		f.c("FA", isn+8, isnS+1, "")
		f.s("FA", isnS+1, isn+1, "")
		f.s("R", isnS+2, 0, "")
	}, want: want{states: []State{SF}, client: []string{"[gap 3]late"}}},
}

func TestCases(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFlow()
			tc.build(f)
			rec := newRecorder()
			rec.keep, rec.marks = true, true
			probs := &parse.Problems{}
			opts := tc.opts
			opts.Problems, opts.FileName, opts.File = probs, "hand.pcap", 3
			a := NewAssembler(rec, opts)
			for _, p := range f.pkts {
				fmt.Fprintf(&rec.log, "> %d %s %v > %v seq=%d ack=%d win=%d len=%d\n", p.Num, flagString(p.Flags), p.SrcAddrPort(), p.DstAddrPort(), p.Seq, p.Ack, p.Window, p.PayloadLen)
				a.Packet(p)
			}
			end := f.t + tc.finish
			fmt.Fprintf(&rec.log, "finish %d\n", end)
			a.Finish(end)
			rec.log.WriteString(describeStats(a.Stats()))
			for _, p := range probs.First {
				fmt.Fprintf(&rec.log, "problem %s\n", p.Error())
			}
			rec.check(t)
			golden(t, filepath.Join("cases", tc.name), rec.log.String())

			if len(rec.conns) != len(tc.want.states) {
				t.Fatalf("%d connections, want %d", len(rec.conns), len(tc.want.states))
			}
			for i, c := range rec.conns {
				if c.State != tc.want.states[i] {
					t.Errorf("connection %d: state %v, want %v", c.ID, c.State, tc.want.states[i])
				}
				if c.File != 3 {
					t.Errorf("connection %d: File %d", c.ID, c.File)
				}
				for s, w := range [2][]string{tc.want.client, tc.want.server} {
					if w == nil {
						continue
					}
					if got := string(rec.streams[c][s]); got != w[i] {
						t.Errorf("connection %d %v stream %q, want %q", c.ID, Side(s), got, w[i])
					}
				}
			}
			if probs.Count != int64(tc.want.problems) {
				t.Errorf("%d problems, want %d: %v", probs.Count, tc.want.problems, probs.First)
			}
			if s := a.Stats(); s.Open != 0 || s.Held != 0 || s.Tracked != 0 {
				t.Errorf("after Finish: open %d, held %d, tracked %d", s.Open, s.Held, s.Tracked)
			}
			if a.timers.n != 0 || len(a.timers.gen) != 0 {
				t.Errorf("after Finish: %d timers, %d slots", a.timers.n, len(a.timers.gen))
			}
		})
	}
}

func flagString(f uint8) string {
	var b strings.Builder
	for i, n := range []string{"F", "S", "R", "P", "A", "U", "E", "C"} {
		if f&(1<<i) != 0 {
			b.WriteString(n)
		}
	}
	if b.Len() == 0 {
		return "-"
	}
	return b.String()
}
