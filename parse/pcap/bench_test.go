package pcap

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkReader reads realistic captures from memory, whole, and reports
// the throughput in MB/s of capture file and the allocations per pass
// (b.ReportAllocs): a reader per pass allocates its buffers once, and the
// packets themselves nothing.
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
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			var packets int64
			for b.Loop() {
				r, err := NewReaderFrom(bytes.NewReader(data), c.name, Options{})
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

// TestSteadyStateAllocs holds the promise of no allocation per packet: once
// a reader is warm, reading a pass of packets allocates nothing, for pcap
// and pcapng, IPv4 and IPv6, UDP and TCP, and fragments reassembled.
func TestSteadyStateAllocs(t *testing.T) {
	for _, name := range []string{"lo_ether.pcap", "lo_ether.pcapng", "lo_nsec.pcapng", "lo_rawip.pcap", "any_sll2.pcap", "zeek_vlan-qinqinq.pcap", "zeek_ipv6-http-atomic-frag.pcap", "mixed_ether_sll2.pcapng"} {
		t.Run(name, func(t *testing.T) {
			one, err := os.ReadFile(filepath.Join(testdataDir, name))
			if err != nil {
				t.Fatal(err)
			}
			// The same records many times over, after one header: a long
			// capture of the same traffic. (For pcapng, the section and
			// interface blocks are in the head, and the records after.)
			head, body := splitHead(t, one)
			data := append([]byte{}, head...)
			for range 200 {
				data = append(data, body...)
			}
			r, err := NewReaderFrom(bytes.NewReader(data), name, Options{})
			if err != nil {
				t.Fatal(err)
			}
			next := func() {
				if _, err := r.Next(); err != nil {
					t.Fatal(err)
				}
			}
			for range 500 { // warm up: buffers, fragment sets, option slices
				next()
			}
			if n := testing.AllocsPerRun(2000, next); n != 0 {
				t.Errorf("%.2f allocations per packet", n)
			}
		})
	}
}

// splitHead cuts a capture into its header (pcap file header, or pcapng
// blocks up to the first packet block) and its records.
func splitHead(t *testing.T, data []byte) (head, body []byte) {
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
