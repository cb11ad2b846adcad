package pcap

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ceiling-dev/ceiling/parse"
)

// readAll reads data to the end through NewReaderFrom and describes what
// came out. Next must never return an error other than io.EOF here: the
// data come from memory, so every failure is the file's, to be reported as
// a problem.
func readAll(t testing.TB, data []byte, opts Options) (pkts []string, st Stats, ps *parse.Problems, err error) {
	t.Helper()
	ps = &parse.Problems{Limit: 1000}
	opts.Problems = ps
	r, err := NewReaderFrom(bytes.NewReader(data), "mem", opts)
	if err != nil {
		return nil, Stats{}, ps, err
	}
	var b bytes.Buffer
	for i := 0; ; i++ {
		p, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if i > 1e6 {
			t.Fatal("Next does not end")
		}
		b.Reset()
		describe(&b, p)
		pkts = append(pkts, b.String())
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("Next after the end: %v, want io.EOF", err)
	}
	return pkts, r.Stats(), ps, nil
}

// recordEnds maps each record's offset to where it ends, and returns the
// length of the file header: for pcap the 24-byte header and 16-byte record
// headers, for pcapng the block lengths (every block is a record here).
func recordEnds(t testing.TB, data []byte) (map[int64]int64, int64) {
	t.Helper()
	ends := map[int64]int64{}
	if bytes.HasPrefix(data, []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		order := binary.ByteOrder(binary.LittleEndian)
		if binary.BigEndian.Uint32(data[8:12]) == 0x1a2b3c4d {
			order = binary.BigEndian
		}
		head := int64(order.Uint32(data[4:8]))
		for off := int64(0); off < int64(len(data)); {
			n := int64(order.Uint32(data[off+4:]))
			ends[off] = off + n
			off += n
		}
		return ends, head
	}
	order := binary.ByteOrder(binary.LittleEndian)
	if binary.BigEndian.Uint32(data[0:4]) == 0xa1b2c3d4 || binary.BigEndian.Uint32(data[0:4]) == 0xa1b23c4d {
		order = binary.BigEndian
	}
	for off := int64(24); off < int64(len(data)); {
		n := 16 + int64(order.Uint32(data[off+8:]))
		ends[off] = off + n
		off += n
	}
	return ends, 24
}

// TestTruncatedEverywhere cuts small captures at every byte and checks that
// each cut gives exactly the packets whose records lie wholly before it,
// sets Truncated when the cut is inside a record, with one problem saying
// so, and never fails or panics.
func TestTruncatedEverywhere(t *testing.T) {
	for _, name := range []string{
		"zeek_tcp_syn-then-rst.pcap",
		"lo_ether.pcap",
		"lo_ether.pcapng",
		"lo_nsec.pcapng",
		"gopacket_pcapng_bigendian_test001.pcapng",
		"zeek_websocket_oversized-close-frame.pcapng",
		"mixed_ether_sll2.pcapng",
	} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(testdataDir, name))
			if err != nil {
				t.Fatal(err)
			}
			full, fullStats, _, err := readAll(t, data, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if fullStats.Truncated || fullStats.Skipped > 0 {
				t.Fatalf("whole file: %+v", fullStats)
			}
			ends, head := recordEnds(t, data)
			offsets := packetOffsets(full)
			for i, off := range offsets {
				if _, ok := ends[off]; !ok {
					t.Fatalf("packet %d: offset %d is not where a record starts", i, off)
				}
			}
			for _, n := range cuts(data, ends) {
				pkts, st, ps, err := readAll(t, data[:n], Options{})
				if int64(n) < head {
					if err == nil {
						t.Fatalf("cut at %d, inside the file header: no error", n)
					}
					if !strings.Contains(err.Error(), "mem") {
						t.Fatalf("cut at %d: error %q does not name the file", n, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("cut at %d: %v", n, err)
				}
				var want []string
				for i, p := range full {
					if ends[offsets[i]] <= int64(n) {
						want = append(want, p)
					}
				}
				if !slicesEqual(pkts, want) {
					t.Fatalf("cut at %d: got %d packets, want %d", n, len(pkts), len(want))
				}
				_, boundary := ends[int64(n)]
				if st.Truncated == boundary {
					t.Fatalf("cut at %d: Truncated=%v, on a record boundary: %v", n, st.Truncated, boundary)
				}
				if st.Truncated && ps.ByReason["truncated file"] != 1 {
					t.Fatalf("cut at %d: problems %v, want one truncated file", n, ps.ByReason)
				}
			}
		})
	}
}

// cuts are the lengths to cut data at: every one in the first 2 KiB, and
// past that each record boundary and the bytes around it, plus a sample.
func cuts(data []byte, ends map[int64]int64) []int {
	seen := map[int]bool{}
	var out []int
	add := func(n int) {
		if n >= 0 && n < len(data) && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for n := 0; n < 2048; n++ {
		add(n)
	}
	for _, end := range ends {
		for _, d := range []int{-17, -9, -5, -4, -1, 0, 1, 4, 8, 16, 17, 29} {
			add(int(end) + d)
		}
	}
	rng := rand.New(rand.NewPCG(uint64(len(data)), 3))
	for range 300 {
		add(rng.IntN(len(data)))
	}
	return out
}

// packetOffsets reads the record offset back out of described packets.
func packetOffsets(pkts []string) []int64 {
	var offs []int64
	for _, p := range pkts {
		at := strings.Index(p, "@")
		var off int64
		for _, c := range p[at+1:] {
			if c < '0' || c > '9' {
				break
			}
			off = off*10 + int64(c-'0')
		}
		offs = append(offs, off)
	}
	return offs
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestEmptyAndGarbage(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	garbage := make([]byte, 4096)
	for i := range garbage {
		garbage[i] = byte(rng.Uint32())
	}
	for _, c := range []struct {
		name string
		data []byte
		want string // in the error
	}{
		{"empty", nil, "empty"},
		{"garbage", garbage, "not a pcap, pcapng or NetMon"},
		{"text", []byte("timeStamp,elapsed,label\n"), "not a pcap, pcapng or NetMon"},
		{"pcap magic only", []byte{0xd4, 0xc3, 0xb2, 0xa1}, "cut short"},
		{"pcapng magic only", []byte{0x0a, 0x0d, 0x0d, 0x0a}, "cut short"},
		{"pcapng bad byte order", append([]byte{0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 1, 2, 3, 4}, make([]byte, 16)...), "unreadable pcapng"},
		{"pcap bad version", func() []byte {
			b := newPcap(1, 65535).b
			b[4] = 9
			return b
		}(), "unreadable pcap"},
		{"gzip garbage", []byte{0x1f, 0x8b, 1, 2, 3}, "gzip"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewReaderFrom(bytes.NewReader(c.data), "mem", Options{})
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "mem") {
				t.Errorf("err = %v, want one naming the file and saying %q", err, c.want)
			}
		})
	}

	// Garbage after a valid header: reading ends, with a problem, and
	// never panics. What it says depends on the bytes.
	for seed := uint64(0); seed < 200; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		n := rng.IntN(3000)
		junk := make([]byte, n)
		for i := range junk {
			junk[i] = byte(rng.Uint32())
		}
		for _, head := range [][]byte{newPcap(1, 65535).b, newNg().iface(1, 0).b} {
			_, st, ps, err := readAll(t, append(append([]byte{}, head...), junk...), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if n > 0 && ps.Count == 0 && st.Frames == 0 {
				t.Errorf("seed %d: %d bytes of garbage and not a word", seed, n)
			}
		}
	}
}

var udpFrame = ether(etherIPv4, ipv4("10.0.0.1", "10.0.0.2", 17, 1, 0, false, udpSeg(5060, 5060, []byte("OPTIONS sip:x SIP/2.0\r\n\r\n"))))

func TestHugeCaplen(t *testing.T) {
	t.Run("pcap", func(t *testing.T) {
		f := newPcap(1, 65535).add(1, udpFrame)
		bad := len(f.b)
		f.addLen(2, udpFrame, 0x7fffffff, 0x7fffffff).add(3, udpFrame)
		pkts, st, ps, err := readAll(t, f.b, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(pkts) != 1 || !st.Damaged || st.Truncated || ps.ByReason["damaged file"] != 1 {
			t.Fatalf("packets %d, stats %+v, problems %v", len(pkts), st, ps.ByReason)
		}
		if p := ps.First[0]; p.Offset != int64(bad) || !strings.Contains(p.Reason, "2147483647") {
			t.Errorf("problem %v, want offset %d and the length", p, bad)
		}
	})
	t.Run("pcapng", func(t *testing.T) {
		// A packet block's caplen past its end: the block's own length
		// still tells where the next one is, so only that frame is lost.
		f := newNg().iface(1, 0).packet(0, 1, udpFrame)
		bad := len(f.b)
		f.packetLen(0, 2, udpFrame, 0x7fffffff, uint32(len(udpFrame))).packet(0, 3, udpFrame)
		pkts, st, ps, err := readAll(t, f.b, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(pkts) != 2 || st.Frames != 3 || st.Skipped != 1 || st.Damaged || st.Truncated {
			t.Fatalf("packets %d, stats %+v, problems %v", len(pkts), st, ps.First)
		}
		if p := ps.First[0]; p.Offset != int64(bad) || p.Packet != 2 {
			t.Errorf("problem %v, want packet 2 at offset %d", p, bad)
		}
		if !strings.Contains(pkts[1], "3 @") {
			t.Errorf("second packet %q, want frame 3", pkts[1])
		}
	})
	t.Run("pcapng block length", func(t *testing.T) {
		f := newNg().iface(1, 0).packet(0, 1, udpFrame)
		bad := len(f.b)
		f.packet(0, 2, udpFrame)
		binary.LittleEndian.PutUint32(f.b[bad+4:], 13) // not a multiple of 4
		_, st, ps, err := readAll(t, f.b, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !st.Damaged || st.Frames != 1 || ps.First[0].Offset != int64(bad) {
			t.Fatalf("stats %+v, problems %v", st, ps.First)
		}
	})
}

func TestBlockTrailer(t *testing.T) {
	f := newNg().iface(1, 0).packet(0, 1, udpFrame)
	bad := len(f.b)
	f.packet(0, 2, udpFrame).packet(0, 3, udpFrame)
	end := bad + int(binary.LittleEndian.Uint32(f.b[bad+4:]))
	binary.LittleEndian.PutUint32(f.b[end-4:], 64)
	pkts, st, ps, err := readAll(t, f.b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pkts) != 1 || !st.Damaged || ps.First[0].Offset != int64(bad) || !strings.Contains(ps.First[0].Reason, "at its end") {
		t.Fatalf("packets %d, stats %+v, problems %v", len(pkts), st, ps.First)
	}
}

// TestCaplenOverWire: a record that captured more than the wire carried.
// pcapgo refuses it; tshark reads it, and so do we.
func TestCaplenOverWire(t *testing.T) {
	f := newPcap(1, 65535).add(1, udpFrame).addLen(2, udpFrame, uint32(len(udpFrame)), 10).add(3, udpFrame)
	pkts, st, ps, err := readAll(t, f.b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pkts) != 3 || st.Skipped != 0 || ps.Count != 0 {
		t.Fatalf("packets %d, stats %+v, problems %v", len(pkts), st, ps.First)
	}
	// Only number, offset and time may differ from the plain record's.
	a, b := pkts[0][strings.Index(pkts[0], " if="):], pkts[1][strings.Index(pkts[1], " if="):]
	if a != b {
		t.Errorf("odd record decoded as\n%s\nwant\n%s", b, a)
	}
}

// TestCaplenOverWireLarge: the same for a record larger than the reader's
// buffer.
func TestCaplenOverWireLarge(t *testing.T) {
	big := ether(etherIPv4, ipv4("10.0.0.1", "10.0.0.2", 17, 1, 0, false, udpSeg(5060, 5060, make([]byte, 65000))))
	f := newPcap(1, 262144).addLen(1, big, uint32(len(big)), 60).add(2, udpFrame)
	pkts, st, ps, err := readAll(t, f.b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pkts) != 2 || !strings.Contains(pkts[0], "len=65000 cap=65000") || ps.Count != 0 {
		t.Fatalf("packets %v, stats %+v, problems %v", pkts, st, ps.First)
	}
	// Cut inside it: truncated.
	_, st, ps, _ = readAll(t, f.b[:50000], Options{})
	if !st.Truncated || ps.ByReason["truncated file"] != 1 {
		t.Fatalf("stats %+v, problems %v", st, ps.First)
	}
}

func TestUnsupportedLinkType(t *testing.T) {
	f := newPcap(105, 65535).add(1, udpFrame).add(2, udpFrame) // 802.11
	pkts, st, ps, err := readAll(t, f.b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pkts) != 0 || st.Skipped != 2 || ps.ByReason["unsupported link type"] != 2 || st.LinkTypes["link type 105"] != 2 {
		t.Fatalf("packets %d, stats %+v, problems %v", len(pkts), st, ps.ByReason)
	}
}

// TestReadError: an error from the underlying reader is the caller's, not a
// damaged file: Next returns it, naming the file.
func TestReadError(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(testdataDir, "lo_ether.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk on fire")
	for _, cut := range []int{100, 3000, 10000} {
		r, err := NewReaderFrom(io.MultiReader(bytes.NewReader(data[:cut]), errReader{boom}), "f.pcap", Options{})
		if err != nil {
			t.Fatal(err)
		}
		for {
			_, err = r.Next()
			if err != nil {
				break
			}
		}
		if !errors.Is(err, boom) || !strings.Contains(err.Error(), "f.pcap") {
			t.Errorf("cut %d: %v, want the read error naming the file", cut, err)
		}
		if _, again := r.Next(); again != err {
			t.Errorf("cut %d: Next after the error: %v, want it again", cut, again)
		}
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// TestPcapngSections: blocks ceiling steps over, and a second section in
// the other byte order, which restarts the interfaces.
func TestPcapngSections(t *testing.T) {
	be, err := os.ReadFile(filepath.Join(testdataDir, "gopacket_pcapng_bigendian_test001.pcapng"))
	if err != nil {
		t.Fatal(err)
	}
	f := newNg().iface(1, 0).
		block(4, []byte{1, 0, 4, 0, 10, 0, 0, 1, 'h', 'o', 's', 't', 0, 0, 0, 0}). // name resolution
		packet(0, 1, udpFrame).
		block(5, make([]byte, 12)).                                               // interface statistics
		block(0x40000bad, []byte("custom data")).                                 // a custom block
		block(10, append([]byte{0x4b, 0x53, 0x4c, 0x54, 4, 0, 0, 0}, "keys"...)). // decryption secrets
		iface(113, 0).
		packet(1, 2, append(make([]byte, 14), append([]byte{8, 0}, udpFrame[14:]...)...))
	second := len(f.b)
	data := append(f.b, be...)
	pkts, st, ps, err := readAll(t, data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pkts) != 6 || ps.Count != 0 || st.LinkTypes["Ethernet"] != 5 || st.LinkTypes["Linux SLL"] != 1 {
		t.Fatalf("packets %d, stats %+v, problems %v", len(pkts), st, ps.First)
	}
	if !strings.Contains(pkts[1], "if=1 udp 10.0.0.1:5060") {
		t.Errorf("second packet %q, want it on interface 1, SLL", pkts[1])
	}
	want := fmt.Sprintf("3 @%d ", second+int(binary.BigEndian.Uint32(be[4:8]))+int(binary.BigEndian.Uint32(be[binary.BigEndian.Uint32(be[4:8])+4:])))
	if !strings.HasPrefix(pkts[2], want) {
		t.Errorf("third packet %q, want it to start %q (after the big-endian section and interface headers)", pkts[2], want)
	}
}

func TestNewReaderKinds(t *testing.T) {
	if _, err := NewReader(nil, Options{}); err == nil {
		t.Error("NewReader(nil): no error")
	}
	in := &parse.Input{Path: "x.jtl", Kind: parse.KindJTLCSV, R: bufio.NewReader(strings.NewReader("timeStamp,elapsed\n"))}
	if _, err := NewReader(in, Options{}); err == nil || !strings.Contains(err.Error(), "x.jtl") {
		t.Errorf("NewReader on a JTL: %v", err)
	}
	// The kind given wins over the content: a pcapng handed over as pcap
	// is an error naming the file, not a panic.
	ng, _ := os.ReadFile(filepath.Join(testdataDir, "lo_ether.pcapng"))
	in = &parse.Input{Path: "y.pcap", Kind: parse.KindPcap, R: bufio.NewReader(bytes.NewReader(ng))}
	if _, err := NewReader(in, Options{}); err == nil || !strings.Contains(err.Error(), "y.pcap") {
		t.Errorf("NewReader on pcapng as pcap: %v", err)
	}
}
