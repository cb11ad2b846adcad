package pcap

import (
	"bytes"
	"encoding/binary"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ceiling-dev/ceiling/parse"
)

// FuzzReader reads arbitrary bytes as a capture. Whatever they are, the
// reader must not panic, must end, must only say io.EOF (the bytes come
// from memory, so nothing else can fail), must keep its counters
// consistent, and must hand out packets whose slices are in bounds.
//
// Seeds: testdata/fuzz/FuzzReader (small real captures, cut down, and
// inputs the fuzzer once found interesting) and the small captures of
// testdata/pcap added here.
func FuzzReader(f *testing.F) {
	for _, name := range []string{
		"zeek_tcp_syn-then-rst.pcap",
		"zeek_linux_dlt_sll2.pcap",
		"zeek_websocket_oversized-close-frame.pcapng",
		"gopacket_pcapng_bigendian_test001.pcapng",
		"suricataverify_sip-tcp.pcap",
	} {
		data, err := os.ReadFile(filepath.Join(testdataDir, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	v4 := frags4(0x77, sipBody[:600], 256)
	v6 := frags6(0x77, sipBody[:600], 256)
	f.Add(newPcap(1, 65535).add(1, v4[1]).add(2, v4[0]).add(3, v4[2]).add(4, udpFrame).b)
	ng := newNg().iface(1, 9).iface(276, 0)
	for i, fr := range v6 {
		ng.packet(0, uint64(i), fr)
	}
	f.Add(ng.packet(1, 5, append(make([]byte, 20), udpFrame[14:]...)).b)

	f.Fuzz(func(t *testing.T, data []byte) {
		ps := &parse.Problems{}
		r, err := NewReaderFrom(bytes.NewReader(data), "fuzz", Options{Problems: ps, MaxFragmentSets: 8})
		if err != nil {
			return
		}
		var delivered int64
		for {
			p, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("Next: %v", err)
			}
			delivered++
			if delivered > int64(len(data)) {
				t.Fatal("more packets than bytes")
			}
			if p.Num < 1 || p.Offset < 0 || p.Offset >= int64(len(data)) {
				t.Fatalf("packet %d at offset %d of %d bytes", p.Num, p.Offset, len(data))
			}
			if p.PayloadLen < len(p.Payload) || !p.Src.IsValid() || !p.Dst.IsValid() {
				t.Fatalf("packet %+v", p)
			}
			_ = bytes.Count(p.Payload, []byte{0}) // touch every byte
		}
		st := r.Stats()
		if st.Packets != delivered {
			t.Fatalf("Packets %d, delivered %d", st.Packets, delivered)
		}
		if st.Frames < st.IPv4+st.IPv6+st.NotIP || st.Skipped > st.Frames || st.Reassembled > st.Fragments {
			t.Fatalf("counters do not add up: %+v", st)
		}
		if (st.Truncated || st.Damaged) && ps.Count == 0 {
			t.Fatal("truncated or damaged without a problem")
		}
		if st.Skipped+st.Incomplete > ps.Count {
			t.Fatalf("%d skipped and %d incomplete, %d problems", st.Skipped, st.Incomplete, ps.Count)
		}
	})
}

// FuzzDefrag feeds one datagram's fragments, cut and ordered as the fuzzer
// likes, and holds the result to a byte map: complete exactly when every
// byte up to the first last-fragment's end has come, with the bytes that
// came first.
func FuzzDefrag(f *testing.F) {
	f.Add([]byte{0, 0, 10, 1, 0, 10, 10, 0})
	f.Add([]byte{5, 0, 10, 1, 0, 0, 20, 1, 0, 20, 4, 0})
	f.Add([]byte{0, 0, 200, 1, 0, 100, 200, 1, 1, 44, 10, 0, 0, 50, 100, 1})
	f.Fuzz(func(t *testing.T, spec []byte) {
		// Each fragment is 4 bytes: offset (2, in 8-byte units), length,
		// more-fragments flag.
		var fs []testFrag
		total := 0
		for ; len(spec) >= 4 && len(fs) < 64; spec = spec[4:] {
			off := int(binary.BigEndian.Uint16(spec[:2])%512) * 8
			n := int(spec[2]) * 8
			if n == 0 {
				n = 1
			}
			fs = append(fs, testFrag{off, n, spec[3]&1 == 1})
			total = max(total, off+n)
		}
		if len(fs) == 0 {
			return
		}
		checkDefragModel(t, total, fs)
	})
}

// checkDefragModel is checkDefrag without the assumption that the
// fragments agree on the datagram: it follows defrag's stated policy.
func checkDefragModel(t *testing.T, total int, fs []testFrag) {
	d := newDefrag(4, 1<<20, int64(time.Hour), func(*fragSet, string) {})
	src := make([]byte, total)
	for i := range src {
		src[i] = byte(i*7 + 1)
	}
	key := fragKey{src: netip.MustParseAddr("10.0.0.1"), dst: netip.MustParseAddr("10.0.0.2"), id: 1, proto: 17}
	got := make([]int, total) // which fragment's byte is held, -1 none
	for i := range got {
		got[i] = -1
	}
	end := -1
	for i, f := range fs {
		d.recycle()
		// Every fragment carries its own bytes: fragment i's byte j is
		// src[j]+i, so that overlaps that disagree can be told apart.
		data := make([]byte, f.n)
		for j := range data {
			data[j] = src[f.off+j] + byte(i)
		}
		s := d.add(&fragment{key: key, off: f.off, more: f.more, data: data}, frame{num: int64(i + 1)})
		if !f.more && end < 0 {
			end = f.off + f.n
		}
		for j := f.off; j < f.off+f.n; j++ {
			if got[j] < 0 && (end < 0 || j < end) {
				got[j] = i
			}
		}
		complete := end >= 0
		for j := 0; complete && j < end; j++ {
			complete = got[j] >= 0
		}
		if complete != (s != nil) {
			t.Fatalf("fragment %d %+v of %+v: complete %v, defrag says %v", i, f, fs, complete, s != nil)
		}
		if s == nil {
			continue
		}
		if len(s.buf) != end {
			t.Fatalf("reassembled %d bytes, want %d", len(s.buf), end)
		}
		for j := 0; j < end; j++ {
			if want := src[j] + byte(got[j]); s.buf[j] != want {
				t.Fatalf("byte %d: %d, want %d (from fragment %d)", j, s.buf[j], want, got[j])
			}
		}
		// The set is gone: what follows starts a new one.
		end = -1
		for j := range got {
			got[j] = -1
		}
	}
}
