package pcap

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// sipBody is a datagram large enough to need three fragments.
var sipBody = func() []byte {
	var b bytes.Buffer
	b.WriteString("INVITE sip:edge@192.0.2.2 SIP/2.0\r\nCall-ID: frag@test\r\nContent-Length: 3000\r\n\r\n")
	for b.Len() < 3100 {
		fmt.Fprintf(&b, "a=line%d\r\n", b.Len())
	}
	return b.Bytes()
}()

// frags4 cuts the UDP datagram carrying body into IPv4 fragments of at most
// size bytes of payload each (a multiple of 8), as frames.
func frags4(id uint16, body []byte, size int) [][]byte {
	dgram := udpSeg(5060, 5060, body)
	var out [][]byte
	for off := 0; off < len(dgram); off += size {
		end := min(off+size, len(dgram))
		out = append(out, ether(etherIPv4, ipv4("192.0.2.1", "192.0.2.2", 17, id, off, end < len(dgram), dgram[off:end])))
	}
	return out
}

func frags6(id uint32, body []byte, size int) [][]byte {
	dgram := udpSeg(5060, 5060, body)
	var out [][]byte
	for off := 0; off < len(dgram); off += size {
		end := min(off+size, len(dgram))
		out = append(out, ether(etherIPv6, ipv6("2001:db8::1", "2001:db8::2", 44, frag6(17, id, off, end < len(dgram), dgram[off:end]))))
	}
	return out
}

// capture writes frames into a pcap, one millisecond apart unless times
// (in ms) are given, and returns it with each frame's record offset.
func capture(frames [][]byte, ms ...int64) ([]byte, []int64) {
	f := newPcap(1, 65535)
	var offs []int64
	for i, fr := range frames {
		t := int64(i)
		if i < len(ms) {
			t = ms[i]
		}
		offs = append(offs, int64(len(f.b)))
		f.add(1_700_000_000_000_000+t*1000, fr)
	}
	return f.b, offs
}

func TestReassembly(t *testing.T) {
	v4 := frags4(0x1234, sipBody, 1480)
	v6 := frags6(0xabcdef, sipBody, 1448)
	if len(v4) != 3 || len(v6) != 3 {
		t.Fatalf("fragments: %d and %d", len(v4), len(v6))
	}
	other := ether(etherIPv4, ipv4("192.0.2.9", "192.0.2.2", 17, 5, 0, false, udpSeg(1, 2, []byte("hello"))))
	for _, c := range []struct {
		name   string
		frames [][]byte
		last   int // index of the completing frame
		n      int // fragments that went in
		v6     bool
	}{
		{"ipv4 in order", v4, 2, 3, false},
		{"ipv4 reversed", [][]byte{v4[2], v4[1], v4[0]}, 2, 3, false},
		{"ipv4 first last", [][]byte{v4[0], v4[2], v4[1]}, 2, 3, false},
		{"ipv4 interleaved", [][]byte{v4[1], other, v4[0], other, v4[2]}, 4, 3, false},
		{"ipv4 duplicate", [][]byte{v4[0], v4[0], v4[1], v4[2]}, 3, 4, false},
		{"ipv6 in order", v6, 2, 3, true},
		{"ipv6 reversed", [][]byte{v6[2], v6[1], v6[0]}, 2, 3, true},
		{"ipv6 small pieces", frags6(7, sipBody, 96), 32, 33, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			data, offs := capture(c.frames)
			pkts, st, ps, err := readAll(t, data, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range pkts {
				if !strings.Contains(p, ":1 >") {
					got = append(got, p)
				}
			}
			src := "192.0.2.1:5060 > 192.0.2.2:5060"
			if c.v6 {
				src = "[2001:db8::1]:5060 > [2001:db8::2]:5060"
			}
			want := fmt.Sprintf("%d @%d t=%d if=0 udp %s len=%d cap=%d reassembled=%d sum=%x\n",
				c.last+1, offs[c.last], 1_700_000_000_000_000_000+int64(c.last)*1_000_000, src, len(sipBody), len(sipBody), c.n, sha256sum(sipBody))
			if len(got) != 1 || got[0] != want {
				t.Fatalf("got %q\nwant %q", got, want)
			}
			if st.Reassembled != 1 || st.Fragments != int64(c.n) || st.Incomplete != 0 || ps.Count != 0 {
				t.Errorf("stats %+v, problems %v", st, ps.First)
			}
		})
	}
}

func TestReassemblyProblems(t *testing.T) {
	v4 := frags4(0x1234, sipBody, 1480)
	t.Run("hole", func(t *testing.T) {
		data, _ := capture([][]byte{v4[0], v4[2]})
		pkts, st, ps, _ := readAll(t, data, Options{})
		if len(pkts) != 0 || st.Incomplete != 1 || st.Fragments != 2 || ps.ByReason["ip fragment never completed"] != 1 {
			t.Fatalf("packets %v, stats %+v, problems %v", pkts, st, ps.First)
		}
		total := 8 + len(sipBody)
		if p := ps.First[0]; p.Packet != 1 || p.Offset != 24 || !strings.Contains(p.Reason, fmt.Sprintf("2 fragments, %d of %d bytes", 1480+total-2960, total)) {
			t.Errorf("problem %v", p)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		// The first fragment waits 31 s of capture time: given up, and the
		// other two make a set that never completes either.
		data, _ := capture([][]byte{v4[0], v4[1], v4[2]}, 0, 31_000, 31_001)
		pkts, st, ps, _ := readAll(t, data, Options{})
		if len(pkts) != 0 || st.Incomplete != 2 {
			t.Fatalf("packets %v, stats %+v, problems %v", pkts, st, ps.First)
		}
		if !strings.Contains(ps.First[0].Reason, "within the timeout") {
			t.Errorf("problem %v", ps.First[0])
		}
		// A longer timeout lets it complete.
		pkts, st, _, _ = readAll(t, data, Options{FragmentTimeout: time.Minute})
		if len(pkts) != 1 || st.Incomplete != 0 {
			t.Fatalf("with 1 min: packets %v, stats %+v", pkts, st)
		}
	})
	t.Run("limit", func(t *testing.T) {
		a, b, c := frags4(1, sipBody, 1480), frags4(2, sipBody, 1480), frags4(3, sipBody, 1480)
		data, _ := capture([][]byte{a[0], b[0], c[0], b[1], b[2], c[1], c[2], a[1], a[2]})
		pkts, st, ps, _ := readAll(t, data, Options{MaxFragmentSets: 2})
		// c pushes a out; b and c complete; a's later fragments make a
		// set the end of the file finds incomplete.
		if len(pkts) != 2 || st.Reassembled != 2 || st.Incomplete != 2 {
			t.Fatalf("packets %v, stats %+v, problems %v", pkts, st, ps.First)
		}
		if !strings.Contains(ps.First[0].Reason, "more fragment sets in flight than the limit") || ps.First[0].Packet != 1 {
			t.Errorf("problem %v", ps.First[0])
		}
	})
	t.Run("memory limit", func(t *testing.T) {
		big := make([]byte, 60000)
		a, b := frags4(1, big, 1480), frags4(2, big, 1480)
		// a is given up when b's fragments push the total over the limit;
		// b completes; a's last fragment alone is left at the end.
		frames := append(append([][]byte{}, a[:len(a)-1]...), b...)
		frames = append(frames, a[len(a)-1])
		data, _ := capture(frames)
		pkts, st, ps, _ := readAll(t, data, Options{MaxFragmentBytes: 100000})
		if len(pkts) != 1 || st.Incomplete != 2 {
			t.Fatalf("packets %d, stats %+v, problems %v", len(pkts), st, ps.First)
		}
		if !strings.Contains(ps.First[0].Reason, "memory limit") {
			t.Errorf("problem %v", ps.First[0])
		}
	})
	t.Run("overlap conflict", func(t *testing.T) {
		// The middle fragment comes twice, the second time with other
		// bytes: the first ones are kept, and it is reported.
		dgram := udpSeg(5060, 5060, sipBody)
		changed := bytes.Clone(dgram)
		copy(changed[1480:], bytes.Repeat([]byte("X"), 100))
		again := ether(etherIPv4, ipv4("192.0.2.1", "192.0.2.2", 17, 0x1234, 1480, true, changed[1480:2960]))
		data, _ := capture([][]byte{v4[1], again, v4[0], v4[2]})
		pkts, st, ps, _ := readAll(t, data, Options{})
		if len(pkts) != 1 || !strings.Contains(pkts[0], fmt.Sprintf("sum=%x", sha256sum(sipBody))) || st.Reassembled != 1 {
			t.Fatalf("packets %v, stats %+v", pkts, st)
		}
		if ps.ByReason["ip fragment overlap"] != 1 {
			t.Errorf("problems %v", ps.First)
		}
	})
	t.Run("partial overlap same bytes", func(t *testing.T) {
		dgram := udpSeg(5060, 5060, sipBody)
		mid := ether(etherIPv4, ipv4("192.0.2.1", "192.0.2.2", 17, 0x1234, 1000, true, dgram[1000:2000]))
		data, _ := capture([][]byte{v4[0], mid, v4[2], v4[1]})
		pkts, _, ps, _ := readAll(t, data, Options{})
		if len(pkts) != 1 || ps.Count != 0 || !strings.Contains(pkts[0], "reassembled=4") {
			t.Fatalf("packets %v, problems %v", pkts, ps.First)
		}
	})
	t.Run("past 65535", func(t *testing.T) {
		frame := ether(etherIPv4, ipv4("192.0.2.1", "192.0.2.2", 17, 9, 65528, false, make([]byte, 100)))
		data, _ := capture([][]byte{frame})
		_, st, ps, _ := readAll(t, data, Options{})
		if st.Skipped != 1 || ps.ByReason["bad ip fragment"] != 1 {
			t.Fatalf("stats %+v, problems %v", st, ps.First)
		}
	})
	t.Run("two different ends", func(t *testing.T) {
		short := ether(etherIPv4, ipv4("192.0.2.1", "192.0.2.2", 17, 0x1234, 2960, false, make([]byte, 8)))
		data, _ := capture([][]byte{v4[2], short, v4[0], v4[1]})
		pkts, _, ps, _ := readAll(t, data, Options{})
		if len(pkts) != 1 || ps.ByReason["ip fragment overlap"] != 1 {
			t.Fatalf("packets %v, problems %v", pkts, ps.First)
		}
	})
	t.Run("bad transport in reassembled", func(t *testing.T) {
		dgram := udpSeg(5060, 5060, sipBody)
		dgram[4], dgram[5] = 0, 3 // UDP length 3
		var frames [][]byte
		for off := 0; off < len(dgram); off += 1480 {
			end := min(off+1480, len(dgram))
			frames = append(frames, ether(etherIPv4, ipv4("192.0.2.1", "192.0.2.2", 17, 4, off, end < len(dgram), dgram[off:end])))
		}
		data, _ := capture(frames)
		pkts, st, ps, _ := readAll(t, data, Options{})
		if len(pkts) != 0 || st.Skipped != 1 || st.Reassembled != 1 || !strings.Contains(ps.First[0].Reason, "fragmented IP datagram: bad") {
			t.Fatalf("packets %v, stats %+v, problems %v", pkts, st, ps.First)
		}
	})
	t.Run("other protocol", func(t *testing.T) {
		icmp := append([]byte{8, 0, 0, 0, 0, 1, 0, 1}, make([]byte, 2000)...)
		frames := [][]byte{
			ether(etherIPv4, ipv4("192.0.2.1", "192.0.2.2", 1, 3, 0, true, icmp[:1480])),
			ether(etherIPv4, ipv4("192.0.2.1", "192.0.2.2", 1, 3, 1480, false, icmp[1480:])),
		}
		data, _ := capture(frames)
		pkts, st, _, _ := readAll(t, data, Options{})
		if len(pkts) != 1 || !strings.Contains(pkts[0], "other 192.0.2.1:0 > 192.0.2.2:0 len=2008 cap=2008 reassembled=2") || st.OtherProto != 1 {
			t.Fatalf("packets %v, stats %+v", pkts, st)
		}
	})
}

// TestDefragSpans holds the span bookkeeping against a byte map: random
// fragments of a random datagram, in random order, overlapping, must give
// back the datagram when every byte has come, and not before.
func TestDefragSpans(t *testing.T) {
	for seed := uint64(0); seed < 2000; seed++ {
		total, fs := randomFragments(rand.New(rand.NewPCG(seed, 11)))
		checkDefrag(t, seed, total, fs)
	}
}

type testFrag struct {
	off, n int
	more   bool
}

func randomFragments(rng *rand.Rand) (int, []testFrag) {
	total := 1 + rng.IntN(4000)
	var fs []testFrag
	for range 1 + rng.IntN(20) {
		off := rng.IntN(total)
		n := 1 + rng.IntN(total-off)
		fs = append(fs, testFrag{off, n, off+n < total})
	}
	if rng.IntN(3) > 0 {
		// usually the whole datagram comes, in pieces
		for off := 0; off < total; {
			n := min(1+rng.IntN(900), total-off)
			fs = append(fs, testFrag{off, n, off+n < total})
			off += n
		}
		rng.Shuffle(len(fs), func(i, j int) { fs[i], fs[j] = fs[j], fs[i] })
	}
	return total, fs
}

// checkDefrag feeds fragments of one datagram (bytes i is byte(i*7)) and
// compares with a byte map of what has arrived.
func checkDefrag(t *testing.T, seed uint64, total int, fs []testFrag) {
	t.Helper()
	gaveUp := 0
	d := newDefrag(16, 1<<20, int64(time.Hour), func(*fragSet, string) { gaveUp++ })
	src := make([]byte, total)
	for i := range src {
		src[i] = byte(i * 7)
	}
	key := fragKey{src: netip.MustParseAddr("10.0.0.1"), dst: netip.MustParseAddr("10.0.0.2"), id: 1, proto: 17}
	have := make([]bool, total)
	end := -1
	for i, f := range fs {
		d.recycle()
		s := d.add(&fragment{key: key, off: f.off, more: f.more, data: src[f.off : f.off+f.n]}, frame{num: int64(i + 1)})
		for j := f.off; j < f.off+f.n; j++ {
			if end < 0 || j < end {
				have[j] = true
			}
		}
		if !f.more && end < 0 {
			end = f.off + f.n
		}
		complete := end >= 0
		for j := 0; complete && j < end; j++ {
			complete = have[j]
		}
		if complete != (s != nil) {
			t.Fatalf("seed %d fragment %d %+v: complete %v, defrag says %v", seed, i, f, complete, s != nil)
		}
		if s != nil {
			if !bytes.Equal(s.buf, src[:end]) {
				t.Fatalf("seed %d: reassembled bytes differ", seed)
			}
			return
		}
	}
	d.flush()
	if gaveUp != 1 {
		t.Fatalf("seed %d: %d sets given up at the end, want 1", seed, gaveUp)
	}
}

func sha256sum(b []byte) [32]byte { return sha256.Sum256(b) }
