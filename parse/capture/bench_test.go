package capture

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"testing"

	"github.com/ceiling-dev/ceiling/parse"
)

// loadDemo returns the demo capture decompressed, so the benchmark
// measures decoding, not gzip or the disk.
func loadDemo(b *testing.B) []byte {
	f, err := os.Open("../../testdata/demo/spike.pcapng.gz")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		b.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

// BenchmarkCapture: pcapng framing, packet decoding, SIP recognition and
// parsing, and time ordering, over the demo spike (SIP over UDP with SDP).
func BenchmarkCapture(b *testing.B) {
	raw := loadDemo(b)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	var msgs int64
	for i := 0; i < b.N; i++ {
		in := &parse.Input{Path: "demo", Kind: parse.KindPcapng, R: bufio.NewReaderSize(bytes.NewReader(raw), 1<<20)}
		src, err := Open([]*parse.Input{in}, nil, Options{})
		if err != nil {
			b.Fatal(err)
		}
		for {
			ev, err := src.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if ev.SIP != nil {
				msgs++
			}
		}
	}
	b.ReportMetric(float64(msgs)/b.Elapsed().Seconds(), "msgs/s")
}
