package pcap

import (
	"bytes"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// BenchmarkReader reads realistic captures from memory and reports MB/s of
// capture file, allocations and packets per pass. Two ways for each:
//
//   - file: one reader per pass over the file as it is, so each pass pays
//     for a reader's buffers (pcapgo's alone is 256 KiB) and the GC they
//     bring;
//   - stream: the file's records repeated to about 64 MB behind its one
//     header, one reader per pass: a long capture in steady state, where
//     the allocations per pass are the reader's own, none per packet.
func BenchmarkReader(b *testing.B) {
	for _, c := range []struct{ name, path string }{
		{"sipp-pcapng", filepath.Join(corpusDir(), "goffinet_branch-scenario-sipp.pcapng")},
		{"sip-tls-sll-pcap", filepath.Join(corpusDir(), "wsample_sip-tls-1.3-and-rtcp_sip.pcap")},
		{"tcp-trunk-pcap", filepath.Join(corpusDir(), "heplify_sip_ipv4_tcp_fragmented.pcap")},
		{"fragments-pcapng", filepath.Join(testdataDir, "mixed_ether_sll2.pcapng")},
	} {
		data, err := os.ReadFile(c.path)
		if err != nil {
			if os.Getenv("CI") != "" {
				b.Fatal(err)
			}
			b.Logf("skipping %s: %v", c.name, err)
			continue
		}
		head, body := splitHead(b, data)
		stream := bytes.Clone(head)
		for len(stream) < 64<<20 {
			stream = append(stream, body...)
		}
		for _, in := range []struct {
			how  string
			data []byte
		}{{"file", data}, {"stream", stream}} {
			b.Run(c.name+"/"+in.how, func(b *testing.B) {
				b.SetBytes(int64(len(in.data)))
				b.ReportAllocs()
				var packets int64
				for b.Loop() {
					r, err := NewReaderFrom(bytes.NewReader(in.data), c.name, Options{})
					if err != nil {
						b.Fatal(err)
					}
					for {
						_, err := r.Next()
						if err == io.EOF {
							break
						}
						if err != nil {
							b.Fatal(err)
						}
						packets++
					}
				}
				b.ReportMetric(float64(packets)/float64(b.N), "packets/op")
			})
		}
	}
}

// TestSteadyStateAllocs holds the promise of no allocation per packet: once
// a reader is warm, reading packets allocates nothing, for pcap and pcapng,
// IPv4 and IPv6, UDP and TCP, VLAN tags, and fragments reassembled.
//
// One exception, pcapgo's: with WantMixedLinkType it boxes each packet's
// link type into an interface, which allocates 2 bytes for a link type of
// 256 or more, so a packet on a pcapng interface of Linux SLL2 (276) costs
// up to one tiny allocation. (A pcap file of SLL2 does not.)
func TestSteadyStateAllocs(t *testing.T) {
	for _, c := range []struct {
		name      string
		perPacket float64
	}{
		{"lo_ether.pcap", 0}, {"lo_ether.pcapng", 0}, {"lo_nsec.pcapng", 0}, {"lo_rawip.pcap", 0},
		{"any_sll2.pcap", 0}, {"zeek_vlan-qinqinq.pcap", 0}, {"zeek_ipv6-http-atomic-frag.pcap", 0},
		{"mixed_ether_sll2.pcapng", 1}, // half its packets are on the SLL2 interface
	} {
		t.Run(c.name, func(t *testing.T) {
			one, err := os.ReadFile(filepath.Join(testdataDir, c.name))
			if err != nil {
				t.Fatal(err)
			}
			// The same records many times over, after one header: a long
			// capture of the same traffic.
			head, body := splitHead(t, one)
			data := bytes.Clone(head)
			for len(data) < 16<<20 {
				data = append(data, body...)
			}
			r, err := NewReaderFrom(bytes.NewReader(data), c.name, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for range 500 { // warm up: buffers, fragment sets, the problems kept
				if _, err := r.Next(); err != nil {
					t.Fatal(err)
				}
			}
			// The fewest of three windows: the runtime and the test
			// framework allocate now and then on their own.
			const n = 2000
			least := math.Inf(1)
			for range 3 {
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				for range n {
					if _, err := r.Next(); err != nil {
						t.Fatal(err)
					}
				}
				runtime.ReadMemStats(&after)
				least = min(least, float64(after.Mallocs-before.Mallocs)/n)
			}
			if least > c.perPacket {
				t.Errorf("%.4f allocations per packet, want at most %.1f", least, c.perPacket)
			}
		})
	}
}

// splitHead cuts a capture into its header (pcap file header, or pcapng
// blocks up to the first packet block) and its records.
func splitHead(t testing.TB, data []byte) (head, body []byte) {
	ends, _ := recordEnds(t, data)
	if !bytes.HasPrefix(data, []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		return data[:24], data[24:]
	}
	off := int64(0)
	for {
		typ := data[off]
		if data[0+8] == 0x1a { // big-endian section: the type is in the last byte
			typ = data[off+3]
		}
		if typ == 6 || typ == 3 || typ == 2 {
			return data[:off], data[off:]
		}
		off = ends[off]
	}
}
