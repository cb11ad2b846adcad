package tcp

import (
	"bytes"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"testing"

	"github.com/ceiling-dev/ceiling/parse/pcap"
)

// Inputs built to hurt: storms, floods, lies. The checks are on what comes
// out and on memory, never on time.

// TestRSTStorm: many connections refused, each reset again and again; and
// a connection that random resets are thrown at.
func TestRSTStorm(t *testing.T) {
	rec := newRecorder()
	rec.quiet = true
	a := NewAssembler(rec, Options{MaxConns: 1000})
	f := newFlow()
	const n = 20000
	for i := range n {
		port := uint16(10000 + i%40000)
		p := f.c("S", uint32(i), 0, "")
		p.SrcPort = port
		for range 5 {
			r := f.s("RA", 0, uint32(i)+1, "")
			r.DstPort = port
		}
		for _, p := range f.pkts {
			a.Packet(p)
		}
		f.pkts = f.pkts[:0]
	}
	// One established connection, and resets with random numbers.
	f.cli = netip.MustParseAddrPort("10.9.9.9:50000")
	handshake(f)
	f.c("PA", isn+1, isnS+1, "hello")
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		f.s("R", rng.Uint32(), 0, "")
		f.c("R", rng.Uint32(), 0, "")
	}
	for _, p := range f.pkts {
		a.Packet(p)
	}
	s := a.Stats()
	if s.Tracked > 1000 {
		t.Errorf("tracking %d connections, bound 1000", s.Tracked)
	}
	a.Finish(f.t)
	rec.check(t)
	var rej int
	for _, c := range rec.conns[:n] {
		if c.State == REJ && c.ResetBy == Server {
			rej++
		}
	}
	if rej != n {
		t.Errorf("%d of %d refused connections are REJ", rej, n)
	}
	last := rec.conns[len(rec.conns)-1]
	if string(rec.streams[last][Client]) != "" && last.Delivered[Client] != 5 {
		t.Errorf("last connection delivered %d bytes", last.Delivered[Client])
	}
	s = a.Stats()
	t.Logf("%d connections, %d packets absorbed after close, %d resets ignored; last connection %v (%s)", s.Conns, s.AfterClose, s.IgnoredRST, last.State, last.Ending)
	if s.AfterClose < n*4-s.Evicted*5 || s.IgnoredRST == 0 {
		t.Errorf("after close %d, ignored resets %d", s.AfterClose, s.IgnoredRST)
	}
}

// synFlood feeds n SYNs from distinct ports, one microsecond apart, to a,
// building each packet in the same struct; from is the first one's index.
func synFlood(a *Assembler, from, n int) {
	p := &pcap.Packet{Transport: pcap.TCP, Flags: pcap.SYN, Window: 65535,
		Src: netip.MustParseAddr("10.1.0.0"), Dst: netip.MustParseAddr("10.0.0.2"), DstPort: 5060}
	for i := from; i < from+n; i++ {
		p.Num = int64(i + 1)
		p.Time = t0 + int64(i)*1000
		b := p.Src.As4()
		b[2], b[3] = byte(i>>24), byte(i>>16)
		p.Src = netip.AddrFrom4(b)
		p.SrcPort = uint16(i)
		p.Seq = uint32(i) * 2654435761
		a.Packet(p)
	}
}

type countHandler struct{ open, close, s0 int }

func (h *countHandler) Open(*Conn)                             { h.open++ }
func (h *countHandler) Established(*Conn)                      {}
func (h *countHandler) Data(*Conn, Side, []byte, int64, int64) {}
func (h *countHandler) Gap(*Conn, Side, int64)                 {}
func (h *countHandler) Close(c *Conn) {
	h.close++
	if c.State == S0 {
		h.s0++
	}
}

// TestMillionHalfOpen: a million SYNs never answered, within one second
// of capture time (so no SYN times out): memory stays bounded by MaxConns,
// and every one is opened and closed as S0.
func TestMillionHalfOpen(t *testing.T) {
	n := 1_000_000
	if testing.Short() {
		n = 100_000
	}
	const maxConns = 1 << 14
	h := &countHandler{}
	a := NewAssembler(h, Options{MaxConns: maxConns})
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	synFlood(a, 0, n)
	runtime.GC()
	runtime.ReadMemStats(&after)
	s := a.Stats()
	if s.Tracked > maxConns || s.Open > maxConns {
		t.Errorf("tracking %d, open %d, bound %d", s.Tracked, s.Open, maxConns)
	}
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	perConn := grown / maxConns
	t.Logf("%d SYNs: heap grew %d KiB for %d connections tracked (%d bytes each); %d evicted", n, grown>>10, s.Tracked, perConn, s.Evicted)
	if perConn > 2048 {
		t.Errorf("heap grew %d bytes per connection tracked", perConn)
	}
	a.Finish(t0 + int64(n)*1000)
	if h.open != n || h.close != n || h.s0 != n {
		t.Errorf("opened %d, closed %d, S0 %d, of %d", h.open, h.close, h.s0, n)
	}
	runtime.KeepAlive(a)
}

// TestFirstCopyWins throws a stream at the Assembler in random, overlapping
// pieces, later copies of a byte often changed, across the sequence number
// wrap: what comes out must be, byte for byte, the first copy of each byte.
func TestFirstCopyWins(t *testing.T) {
	for seed := range uint64(50) {
		rng := rand.New(rand.NewPCG(seed, 7))
		const size = 5000
		isn := uint32(0xffffffff - rng.IntN(3000))
		first := make([]byte, size)
		seen := make([]bool, size)
		f := newFlow()
		f.c("S", isn, 0, "")
		f.s("SA", isnS, isn+1, "")
		f.c("A", isn+1, isnS+1, "")
		for covered := 0; covered < size; {
			off := rng.IntN(size)
			n := 1 + rng.IntN(300)
			if off+n > size {
				n = size - off
			}
			data := make([]byte, n)
			for i := range data {
				data[i] = byte(off + i)
				if rng.IntN(3) == 0 {
					data[i] = byte(rng.Uint32())
				}
				if !seen[off+i] {
					seen[off+i] = true
					first[off+i] = data[i]
					covered++
				}
			}
			f.c("PA", isn+1+uint32(off), isnS+1, string(data))
		}
		rec := newRecorder()
		rec.keep, rec.marks = true, true
		a := NewAssembler(rec, Options{})
		for _, p := range f.pkts {
			a.Packet(p)
		}
		a.Finish(f.t)
		rec.check(t)
		c := rec.conns[0]
		if got := rec.streams[c][Client]; !bytes.Equal(got, first) {
			t.Fatalf("seed %d: stream of %d bytes differs from the first copies (%d bytes); gaps %d", seed, len(got), size, c.GapBytes[Client])
		}
		if c.OverlapConflicts[Client] == 0 {
			t.Errorf("seed %d: no conflict counted", seed)
		}
	}
}

// TestSteadyStateAllocs: an established connection exchanging data and
// ACKs, in order and with a hole now and then, allocates nothing per
// packet once warm.
func TestSteadyStateAllocs(t *testing.T) {
	a := NewAssembler(nopHandler{}, Options{})
	f := newFlow()
	handshake(f)
	for _, p := range f.pkts {
		a.Packet(p)
	}
	payload := bytes.Repeat([]byte("x"), 1400)
	data := &pcap.Packet{Transport: pcap.TCP, Flags: pcap.ACK | pcap.PSH, Window: 65535,
		Src: f.cli.Addr(), SrcPort: f.cli.Port(), Dst: f.srv.Addr(), DstPort: f.srv.Port(), Payload: payload, PayloadLen: len(payload)}
	ack := &pcap.Packet{Transport: pcap.TCP, Flags: pcap.ACK, Window: 65535,
		Src: f.srv.Addr(), SrcPort: f.srv.Port(), Dst: f.cli.Addr(), DstPort: f.cli.Port(), Seq: isnS + 1}
	seq, now := isn+1, f.t
	round := func() {
		// Two segments in reverse order, then an ACK for both.
		for _, k := range []uint32{1, 0} {
			data.Seq, data.Time = seq+k*1400, now
			a.Packet(data)
		}
		seq += 2800
		ack.Ack, ack.Time = seq, now
		a.Packet(ack)
		now += 1e6
	}
	for range 100 {
		round()
	}
	if n := testing.AllocsPerRun(1000, round); n != 0 {
		t.Errorf("%v allocations per round of 3 packets", n)
	}
}
