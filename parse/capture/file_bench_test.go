package capture

import (
	"io"
	"os"
	"testing"

	"github.com/ceiling-dev/ceiling/internal/cpuclock"
	"github.com/ceiling-dev/ceiling/parse"
)

// BenchmarkCaptureFile runs the capture stage alone over the capture that
// CEILING_BENCH_CAPTURE names (skipped when unset): for profiling the
// stream path on a big file without the correlation and the reports,
// e.g. the TCP packets of bench/run.sh's signalling capture. The events
// are handed back a batch at a time, as the pipeline does, so that the
// collector does not run for memory ceiling would have recycled. cpu-s
// is the CPU time per pass, which a shared machine's neighbours do not
// inflate as they do wall time.
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
	batch := make([]Event, 0, 512)
	cpu := cpuclock.Used()
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
			ev, err := src.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if batch = append(batch, ev); len(batch) == cap(batch) {
				src.Recycle(batch)
				batch = batch[:0]
			}
		}
		src.Recycle(batch)
		batch = batch[:0]
		src.Close()
		in.Close()
	}
	b.ReportMetric((cpuclock.Used()-cpu).Seconds()/float64(b.N), "cpu-s")
}
