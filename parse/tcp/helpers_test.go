package tcp

import (
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ceiling-dev/ceiling/parse/pcap"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// recorder is a Handler that writes down every call, keeps each
// connection's streams, and checks the Handler contract as it goes: one
// Open then one Close per connection, Data and Gap only in between, at
// most one Established, no more bytes delivered than were sent.
type recorder struct {
	log     strings.Builder
	quiet   bool // count and check only, do not log (big inputs)
	keep    bool // keep the reassembled streams
	marks   bool // and mark the gaps in them
	errs    []string
	conns   []*Conn
	streams map[*Conn]*[2][]byte
	gaps    map[*Conn]*[2]int64
	opened  map[*Conn]bool
	closed  map[*Conn]bool
	est     map[*Conn]bool
	open    int
}

func newRecorder() *recorder {
	return &recorder{
		streams: map[*Conn]*[2][]byte{},
		gaps:    map[*Conn]*[2]int64{},
		opened:  map[*Conn]bool{},
		closed:  map[*Conn]bool{},
		est:     map[*Conn]bool{},
	}
}

func (r *recorder) errorf(format string, args ...any) {
	if len(r.errs) < 20 {
		r.errs = append(r.errs, fmt.Sprintf(format, args...))
	}
}

func (r *recorder) live(c *Conn, what string) {
	if !r.opened[c] {
		r.errorf("%s on connection %d before Open", what, c.ID)
	}
	if r.closed[c] {
		r.errorf("%s on connection %d after Close", what, c.ID)
	}
}

func (r *recorder) Open(c *Conn) {
	if r.opened[c] {
		r.errorf("Open twice for connection %d", c.ID)
	}
	r.opened[c] = true
	r.open++
	r.conns = append(r.conns, c)
	r.streams[c] = &[2][]byte{}
	r.gaps[c] = &[2]int64{}
	if !r.quiet {
		mid := ""
		if c.Midstream {
			mid = " midstream"
		}
		fmt.Fprintf(&r.log, "open #%d %v > %v t=%d pkt=%d%s\n", c.ID, c.Client, c.Server, c.Start, c.FirstPacket, mid)
	}
}

func (r *recorder) Established(c *Conn) {
	r.live(c, "Established")
	if r.est[c] {
		r.errorf("Established twice for connection %d", c.ID)
	}
	r.est[c] = true
	if !r.quiet {
		fmt.Fprintf(&r.log, "established #%d t=%d setup=%v\n", c.ID, c.Established, c.SetupTime())
	}
}

func (r *recorder) Data(c *Conn, from Side, b []byte, t, pkt int64) {
	r.live(c, "Data")
	if len(b) == 0 {
		r.errorf("empty Data on connection %d", c.ID)
	}
	if r.keep {
		r.streams[c][from] = append(r.streams[c][from], b...)
	}
	if !r.quiet {
		fmt.Fprintf(&r.log, "data #%d %v %q t=%d pkt=%d\n", c.ID, from, b, t, pkt)
	}
}

func (r *recorder) Gap(c *Conn, from Side, n int64) {
	r.live(c, "Gap")
	if n <= 0 {
		r.errorf("Gap of %d on connection %d", n, c.ID)
	}
	r.gaps[c][from] += n
	if r.keep && r.marks {
		r.streams[c][from] = fmt.Appendf(r.streams[c][from], "[gap %d]", n)
	}
	if !r.quiet {
		fmt.Fprintf(&r.log, "gap #%d %v %d\n", c.ID, from, n)
	}
}

func (r *recorder) Close(c *Conn) {
	r.live(c, "Close")
	r.closed[c] = true
	r.open--
	for s := Client; s <= Server; s++ {
		if c.Delivered[s] > c.Bytes[s] {
			r.errorf("connection %d: %v delivered %d bytes of %d sent", c.ID, s, c.Delivered[s], c.Bytes[s])
		}
		if c.GapBytes[s] != r.gaps[c][s] {
			r.errorf("connection %d: GapBytes %d, gaps told %d", c.ID, c.GapBytes[s], r.gaps[c][s])
		}
	}
	if c.Ending == StillOpen {
		r.errorf("connection %d closed with no Ending", c.ID)
	}
	if !r.quiet {
		fmt.Fprintf(&r.log, "close #%d %s\n", c.ID, describeConn(c))
	}
}

// check fails the test for any broken rule, and for any connection not
// closed (call it after Finish).
func (r *recorder) check(t *testing.T) {
	t.Helper()
	for _, c := range r.conns {
		if !r.closed[c] {
			r.errorf("connection %d never closed", c.ID)
		}
	}
	for _, e := range r.errs {
		t.Error(e)
	}
}

func describeConn(c *Conn) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v (%s) ending=%v end=%d last=%d", c.State, c.State.Describe(), c.Ending, c.End, c.Last)
	if c.Reset {
		fmt.Fprintf(&b, " reset-by=%v", c.ResetBy)
	}
	if c.SynRetransmits > 0 {
		fmt.Fprintf(&b, " syn-rexmit=%d", c.SynRetransmits)
	}
	if c.HalfClosed {
		b.WriteString(" half-closed")
	}
	fmt.Fprintf(&b, "\n    start=%d synack=%d established=%d fin=%v pkts=%v bytes=%v delivered=%v", c.Start, c.SynAck, c.Established, c.FinAt, c.Packets, c.Bytes, c.Delivered)
	fmt.Fprintf(&b, "\n    rexmit=%v ooo=%v overlaps=%v conflicts=%v gap=%v frames=%d..%d",
		c.Retransmitted, c.OutOfOrder, c.Overlaps, c.OverlapConflicts, c.GapBytes, c.FirstPacket, c.LastPacket)
	return b.String()
}

func describeStats(s Stats) string {
	return fmt.Sprintf("stats: packets=%d conns=%d open=%d maxopen=%d tracked=%d syntimeouts=%d idle=%d evicted=%d reused=%d afterclose=%d/%dB\n"+
		"  payload=%d delivered=%d gap=%d rexmit=%d ooo=%d overlaps=%d conflicts=%d keepalives=%d zwp=%d ignoredrst=%d badsynack=%d snapcut=%d afterfin=%d held=%d overflow=%d problems=%d damaged=%d\n",
		s.Packets, s.Conns, s.Open, s.MaxOpen, s.Tracked, s.SynTimeouts, s.IdleClosed, s.Evicted, s.Reused, s.AfterClose, s.AfterCloseBytes,
		s.PayloadBytes, s.DeliveredBytes, s.GapBytes, s.Retransmitted, s.OutOfOrder, s.Overlaps, s.OverlapConflicts, s.KeepAlives, s.ZeroWindowProbes,
		s.IgnoredRST, s.BadSynAck, s.SnapCut, s.DataAfterFIN, s.Held, s.Overflow, s.Problems, s.Damaged)
}

// flow builds packets between a client and a server by hand: one
// millisecond apart, numbered from 1.
type flow struct {
	cli, srv netip.AddrPort
	t, num   int64
	pkts     []*pcap.Packet
}

const t0 = int64(1_700_000_000_000_000_000)

func newFlow() *flow {
	return &flow{
		cli: netip.MustParseAddrPort("10.0.0.1:40000"),
		srv: netip.MustParseAddrPort("10.0.0.2:5060"),
		t:   t0,
	}
}

// flagBits reads "S", "SA", "A", "PA", "FA", "R", "RA", "F" (and "-" for
// none).
func flagBits(f string) uint8 {
	var b uint8
	for _, ch := range f {
		switch ch {
		case 'F':
			b |= pcap.FIN
		case 'S':
			b |= pcap.SYN
		case 'R':
			b |= pcap.RST
		case 'P':
			b |= pcap.PSH
		case 'A':
			b |= pcap.ACK
		}
	}
	return b
}

func (f *flow) pkt(fromClient bool, flags string, seq, ack uint32, data string) *pcap.Packet {
	f.num++
	p := &pcap.Packet{
		Num: f.num, Offset: 24 + 100*f.num, Time: f.t,
		Transport: pcap.TCP, Seq: seq, Ack: ack, Flags: flagBits(flags), Window: 65535,
		Payload: []byte(data), PayloadLen: len(data),
	}
	src, dst := f.cli, f.srv
	if !fromClient {
		src, dst = dst, src
	}
	p.Src, p.SrcPort, p.Dst, p.DstPort = src.Addr(), src.Port(), dst.Addr(), dst.Port()
	f.t += 1e6
	f.pkts = append(f.pkts, p)
	return p
}

func (f *flow) c(flags string, seq, ack uint32, data string) *pcap.Packet {
	return f.pkt(true, flags, seq, ack, data)
}

func (f *flow) s(flags string, seq, ack uint32, data string) *pcap.Packet {
	return f.pkt(false, flags, seq, ack, data)
}

// wait moves the clock on.
func (f *flow) wait(d int64) { f.t += d }

// golden compares got with testdata/golden/name.golden, or writes it with
// -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != got {
		gotPath := strings.TrimSuffix(path, ".golden") + ".got"
		os.WriteFile(gotPath, []byte(got), 0o644)
		t.Errorf("%s differs from the golden file; got written to %s", name, gotPath)
	}
}
