package capture

import (
	"io"
	"os"
	"testing"

	"github.com/ceiling-dev/ceiling/parse"
)

// BenchmarkCaptureFile runs the capture stage alone over the capture that
// CEILING_BENCH_CAPTURE names (skipped when unset): for profiling the
// stream path on a big file without the correlation and the reports,
// e.g. the TCP packets of bench/run.sh's signalling capture.
func BenchmarkCaptureFile(b *testing.B) {
	path := os.Getenv("CEILING_BENCH_CAPTURE")
	if path == "" {
		b.Skip("CEILING_BENCH_CAPTURE not set")
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	b.ReportAllocs()
	for range b.N {
		in, err := parse.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		src, err := Open([]*parse.Input{in}, nil, Options{})
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, err := src.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		src.Close()
		in.Close()
	}
}
