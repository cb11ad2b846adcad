package pcap

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ceiling-dev/ceiling/parse"
)

// shortcutTrace reads data through NewReaderFrom, with the reader's
// shortcuts (the record window, ip4Frame) on or off, and writes down
// everything that comes out: packets, their records, the records passed,
// the statistics and the problems.
func shortcutTrace(t testing.TB, data []byte, slow bool) string {
	t.Helper()
	var b strings.Builder
	ps := &parse.Problems{Limit: 1000}
	opts := Options{Problems: ps, MaxFragmentSets: 8, OnPassed: func(rec *Record) {
		fmt.Fprintf(&b, "passed %d %x %x\n", rec.Offset, rec.Header, rec.Data)
	}}
	r, err := NewReaderFrom(bytes.NewReader(data), "mem", opts)
	if err != nil {
		return "error " + err.Error()
	}
	r.slow = slow
	for i := 0; ; i++ {
		p, err := r.Next()
		if err != nil {
			fmt.Fprintf(&b, "end %v\n", err)
			break
		}
		if i > len(data) {
			t.Fatal("Next does not end")
		}
		fmt.Fprintf(&b, "%+v\n", *p)
		rec := r.Record()
		fmt.Fprintf(&b, "record %d %x %x\n", rec.Offset, rec.Header, rec.Data)
	}
	fmt.Fprintf(&b, "%+v\n%d %v %+v\n", r.Stats(), ps.Count, ps.ByReason, ps.First)
	return b.String()
}

func checkShortcuts(t *testing.T, data []byte) {
	t.Helper()
	fast, slow := shortcutTrace(t, data, false), shortcutTrace(t, data, true)
	if fast != slow {
		a, b := strings.Split(fast, "\n"), strings.Split(slow, "\n")
		for i := 0; i < len(a) && i < len(b); i++ {
			if a[i] != b[i] {
				t.Fatalf("line %d differs:\nfast %s\nslow %s", i, a[i], b[i])
			}
		}
		t.Fatalf("%d lines with the shortcuts, %d without", len(a), len(b))
	}
}

// shortcutFrames are frames at the edges of ip4Frame's conditions.
func shortcutFrames() [][]byte {
	rtp := bytes.Repeat([]byte{0x80, 0x00, 0x12, 0x34}, 43)
	udp := func(sport, dport uint16, ulen int, payload []byte) []byte {
		s := udpSeg(sport, dport, payload)
		if ulen >= 0 {
			binary.BigEndian.PutUint16(s[4:], uint16(ulen))
		}
		return ether(etherIPv4, ipv4("10.0.0.1", "10.0.0.2", 17, 1, 0, false, s))
	}
	frames := [][]byte{
		udp(20000, 30000, -1, rtp),
		udp(20000, 30000, 0, rtp),
		udp(20000, 30000, 5, rtp),
		udp(20000, 30000, 8, rtp),
		udp(20000, 30000, 8+len(rtp)-3, rtp),
		udp(20000, 30000, 8+len(rtp)+9, rtp),
		udp(20000, 30000, -1, nil),
		udp(portGTPU, 30000, -1, rtp),
		udp(30000, portGTPU, -1, rtp),
		udp(30000, portVXLAN, -1, rtp),
		udp(portVXLAN, 30000, -1, rtp),
		ether(etherIPv4, ipv4("10.0.0.1", "10.0.0.2", 17, 7, 0, true, udpSeg(5060, 5060, rtp))),
		ether(etherIPv4, ipv4("10.0.0.1", "10.0.0.2", 6, 1, 0, false, tcpSeg(5060, 5061, 1, 2, 0x18, rtp))),
		ether(etherIPv6, ipv6("::1", "::2", 17, udpSeg(5060, 5060, rtp))),
		ether(0x8100, append([]byte{0, 1, 8, 0}, udp(1, 2, -1, rtp)[14:]...)),
		udpFrame,
	}
	// An IP total length past the frame, and short of the UDP header; a
	// padded frame; an IP header with options.
	long := udp(20000, 30000, -1, rtp)
	binary.BigEndian.PutUint16(long[16:], uint16(len(long)))
	short := udp(20000, 30000, -1, rtp)
	binary.BigEndian.PutUint16(short[16:], 27)
	padded := append(udp(20000, 30000, -1, rtp[:4]), make([]byte, 30)...)
	opts := udp(20000, 30000, -1, rtp)
	opts[14] = 0x46
	frames = append(frames, long, short, padded, opts, udp(20000, 30000, -1, rtp)[:41])
	return append(frames, tcpShortcutFrames(rtp)...)
}

// tcpShortcutFrames are frames at the edges of tcp4Frame's conditions:
// its data offset (options, none, too small, past the packet), the IP
// total length (short of a TCP header, past the frame, with padding
// after), IP options, fragments, and a frame cut inside the header.
func tcpShortcutFrames(payload []byte) [][]byte {
	tcp := func(off uint8, payload []byte) []byte {
		s := tcpSeg(5060, 40000, 7, 9, 0x18, payload)
		s[12] = off << 4
		return ether(etherIPv4, ipv4("10.0.0.1", "10.0.0.2", 6, 1, 0, false, s))
	}
	frames := [][]byte{tcp(5, payload), tcp(5, nil), tcp(8, payload), tcp(15, payload), tcp(8, nil), tcp(4, payload), tcp(0, payload)}
	short, shorter := tcp(5, nil), tcp(5, payload)
	binary.BigEndian.PutUint16(short[16:], 39)
	binary.BigEndian.PutUint16(shorter[16:], 30)
	long := tcp(5, payload)
	binary.BigEndian.PutUint16(long[16:], uint16(len(long)))
	padded := append(tcp(5, payload[:3]), make([]byte, 30)...)
	opts := tcp(5, payload)
	opts[14] = 0x46
	frag := ether(etherIPv4, ipv4("10.0.0.1", "10.0.0.2", 6, 7, 0, true, tcpSeg(5060, 40000, 7, 9, 0x18, payload)))
	later := ether(etherIPv4, ipv4("10.0.0.1", "10.0.0.2", 6, 8, 64, false, tcpSeg(5060, 40000, 7, 9, 0x18, payload)))
	return append(frames, short, shorter, long, padded, opts, frag, later, tcp(5, payload)[:14+20+12], tcp(5, payload)[:14+20+20])
}

// shortcutCaptures are classic pcap files of those frames, in both byte
// orders and resolutions, with odd records among them, and long enough
// that records straddle the reader's buffer.
func shortcutCaptures() [][]byte {
	frames := shortcutFrames()
	var caps [][]byte
	f := newPcap(1, 65535)
	for i, fr := range frames {
		f.add(int64(i)*1000, fr)
	}
	caps = append(caps, f.b)

	rng := rand.New(rand.NewPCG(1, 2))
	f = newPcap(1, 262144)
	for i := 0; f.b != nil && len(f.b) < 300<<10; i++ {
		fr := frames[rng.IntN(len(frames))]
		switch rng.IntN(40) {
		case 0:
			f.addLen(int64(i), fr, uint32(len(fr)), uint32(len(fr))-1) // caplen over wire
		case 1:
			// A record about the buffer's size.
			big := append(append([]byte(nil), fr...), make([]byte, bufSize-16-len(fr)-30+rng.IntN(60))...)
			f.add(int64(i), big)
		case 2:
			f.add(int64(i), make([]byte, rng.IntN(20))) // too short to decode
		default:
			f.add(int64(i)*20000+int64(rng.IntN(20000)), fr)
		}
	}
	caps = append(caps, f.b)
	// The same records big-endian, and in nanoseconds.
	for _, magic := range []uint32{0xa1b2c3d4, 0xa1b23c4d} {
		for _, big := range []bool{false, true} {
			caps = append(caps, reorder(caps[1], magic, big))
		}
	}
	return caps
}

// reorder rewrites a little-endian pcap file built by newPcap with another
// magic number and byte order.
func reorder(data []byte, magic uint32, big bool) []byte {
	out := append([]byte(nil), data...)
	var order binary.ByteOrder = binary.LittleEndian
	if big {
		order = binary.BigEndian
	}
	order.PutUint32(out[0:], magic)
	for _, at := range []int{16, 20} {
		order.PutUint32(out[at:], binary.LittleEndian.Uint32(data[at:]))
	}
	for off := 24; off+16 <= len(data); {
		for i := 0; i < 16; i += 4 {
			order.PutUint32(out[off+i:], binary.LittleEndian.Uint32(data[off+i:]))
		}
		off += 16 + int(binary.LittleEndian.Uint32(data[off+8:]))
	}
	return out
}

// TestShortcuts holds the reader's shortcuts to the path they skip: on
// the captures of testdata/pcap, on frames at the edges of what they take,
// and on a capture cut short everywhere and damaged in its headers.
func TestShortcuts(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(testdataDir, "*.pcap*"))
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(filepath.Base(path), func(t *testing.T) { checkShortcuts(t, data) })
	}
	caps := shortcutCaptures()
	for i, data := range caps {
		t.Run(fmt.Sprint("built", i), func(t *testing.T) { checkShortcuts(t, data) })
	}
	small := caps[0]
	for n := 0; n <= len(small); n++ {
		checkShortcuts(t, small[:n])
	}
	for at := 24; at < 24+16*4; at++ {
		for _, v := range []byte{0, 0x7f, 0xff} {
			bad := append([]byte(nil), small...)
			bad[at] = v
			checkShortcuts(t, bad)
		}
	}
}

// FuzzShortcuts is TestShortcuts on what the fuzzer makes of the same
// captures.
func FuzzShortcuts(f *testing.F) {
	for _, c := range shortcutCaptures()[:1] {
		f.Add(c)
	}
	f.Add(newPcap(1, 65535).add(1, udpFrame).add(2, udpFrame).b)
	f.Fuzz(func(t *testing.T, data []byte) { checkShortcuts(t, data) })
}

// TestIP4FrameFields holds ip4Frame, which sets a Packet field by field
// (ip4Packet, then udp4Frame or tcp4Frame), to the fields a Packet has: a
// new one must be set there too.
func TestIP4FrameFields(t *testing.T) {
	if n := reflect.TypeFor[Packet]().NumField(); n != 18 {
		t.Fatalf("Packet has %d fields; ip4Frame sets 18", n)
	}
}
