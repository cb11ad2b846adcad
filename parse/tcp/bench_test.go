package tcp

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/ceiling-dev/ceiling/internal/cpuclock"
	"github.com/ceiling-dev/ceiling/parse"
	"github.com/ceiling-dev/ceiling/parse/pcap"
)

// loadTCP reads a capture's TCP packets into memory, payloads copied.
func loadTCP(b *testing.B, path string) (pkts []pcap.Packet, payload int64) {
	in, err := parse.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	r, err := pcap.NewReader(in, pcap.Options{})
	if err != nil {
		b.Fatal(err)
	}
	for {
		p, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		if p.Transport != pcap.TCP {
			continue
		}
		q := *p
		q.Payload = append([]byte(nil), p.Payload...)
		pkts = append(pkts, q)
		payload += int64(p.PayloadLen)
	}
	return pkts, payload
}

// BenchmarkAssembler runs a busy SIP trunk over TCP (4 connections, 1542
// segments, multi-segment messages) through one Assembler, again and again
// (Finish between passes), as the capture stage would: the pool stays
// warm. MB/s is TCP payload.
//
// Measured on the 2-core workplace machine, Go 1.26: about 2.1 GB/s of
// payload, 85 ns per packet, 4 allocations per pass (one per connection,
// none per packet).
func BenchmarkAssembler(b *testing.B) {
	dir := needCorpus(b)
	pkts, payload := loadTCP(b, filepath.Join(dir, "heplify_sip_ipv4_tcp_fragmented.pcap"))
	a := NewAssembler(nopHandler{}, Options{})
	b.SetBytes(payload)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for i := range pkts {
			a.Packet(&pkts[i])
		}
		a.Finish(pkts[len(pkts)-1].Time)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(pkts)), "ns/packet")
}

// BenchmarkHalfOpen: SYNs that are never answered, from distinct ports,
// with MaxConns reached (each new one evicts the oldest): what a SYN flood
// costs, and the memory it holds. Measured: 3-5 µs and one allocation
// (the Conn, 352 bytes; the rest of a connection's state is reused) per
// SYN.
func BenchmarkHalfOpen(b *testing.B) {
	const maxConns = 1 << 14
	a := NewAssembler(nopHandler{}, Options{MaxConns: maxConns})
	synFlood(a, 0, maxConns) // fill the table
	b.ReportAllocs()
	b.ResetTimer()
	synFlood(a, maxConns, b.N)
}

// BenchmarkAssemblerFile runs the TCP packets of the capture that
// CEILING_BENCH_CAPTURE names (skipped when unset) through an Assembler
// with a handler that does nothing, the packets read into memory first:
// the Assembler's own cost on a big capture, without the reader's or the
// parsers'. cpu-ns/packet is CPU time, which a shared machine's
// neighbours do not inflate as they do wall time.
func BenchmarkAssemblerFile(b *testing.B) {
	path := os.Getenv("CEILING_BENCH_CAPTURE")
	if path == "" {
		b.Skip("CEILING_BENCH_CAPTURE not set")
	}
	pkts, payload := loadTCP(b, path)
	b.SetBytes(payload)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuclock.Used()
	for range b.N {
		a := NewAssembler(nopHandler{}, Options{})
		for i := range pkts {
			a.Packet(&pkts[i])
		}
		a.Finish(pkts[len(pkts)-1].Time)
	}
	n := float64(b.N * len(pkts))
	b.ReportMetric(float64((cpuclock.Used()-cpu).Nanoseconds())/n, "cpu-ns/packet")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/packet")
}
