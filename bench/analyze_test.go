package bench

import (
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ceiling-dev/ceiling/correlate"
	"github.com/ceiling-dev/ceiling/internal/cpuclock"
	"github.com/ceiling-dev/ceiling/parse"
	"github.com/ceiling-dev/ceiling/parse/jtl"
	"github.com/ceiling-dev/ceiling/pipeline"
	"github.com/ceiling-dev/ceiling/report"
	"github.com/ceiling-dev/ceiling/report/evidence"
)

// BenchmarkAnalyze runs `ceiling analyze FILES --json … -o …` in-process:
// the pipeline with the CLI's defaults; with a capture, the second read
// that cuts the evidence for the HTML report's ladders (on by default,
// cmd/ceiling/analyze_evidence.go); then the JSON summary and the HTML
// report (written to nowhere). The files are named, space-separated, in
// CEILING_BENCH_INPUTS; bench/run.sh sets it and takes a CPU profile:
//
//	CEILING_BENCH_INPUTS="capture.pcap results.jtl" \
//	  go test -run XXX -bench Analyze -benchtime 1x -cpuprofile cpu.out ./bench
//	go tool pprof -top cpu.out
func BenchmarkAnalyze(b *testing.B) {
	paths := strings.Fields(os.Getenv("CEILING_BENCH_INPUTS"))
	if len(paths) == 0 {
		b.Skip("CEILING_BENCH_INPUTS names no files (bench/run.sh sets it)")
	}
	var size int64
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			b.Fatal(err)
		}
		size += st.Size()
	}
	b.SetBytes(size)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		cfg := pipeline.Config{
			Paths: paths,
			Tool:  "ceiling bench",
			Now:   time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC),
		}
		// The CLI's defaults (cmd/ceiling/analyze.go).
		cfg.JTL.Window = 60 * time.Second
		cfg.JTL.Location = time.Local
		cfg.Correlate.TimerB = correlate.DefaultTimerB
		doc, err := pipeline.Run(cfg)
		if err != nil {
			b.Fatal(err)
		}
		if hasCapture(doc) {
			sel := evidence.Default(doc.Result, 3)
			_, err := evidence.Extract(nil, doc.Result, sel, evidence.Options{
				Paths: cfg.Paths, Pcap: cfg.Capture.Pcap, SIP: cfg.Capture.SIP, Tool: cfg.Tool,
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		if err := report.WriteJSON(io.Discard, doc); err != nil {
			b.Fatal(err)
		}
		if err := report.WriteHTML(io.Discard, doc); err != nil {
			b.Fatal(err)
		}
	}
}

func hasCapture(d *report.Document) bool {
	for _, in := range d.Inputs {
		switch in.Kind {
		case "pcap", "pcapng", "netmon":
			return true
		}
	}
	return false
}

// BenchmarkJTLReader is the JTL goal as it is worded: the full
// reader (splitting, timestamps, codes, labels, the IDs in sample
// variables, the reorder window with the CLI's 60 s, read in batches as
// the CLI reads) on the JTL named in
// CEILING_BENCH_JTL, alone, without correlation or a report. bench/run.sh
// runs it on the JTL-alone file at GOMAXPROCS=1, with GOGC and
// GOMEMLIMIT as ceiling sets them (cmd/ceiling/main.go); rows/cpu-s is
// what it reports as the reader's rate.
func BenchmarkJTLReader(b *testing.B) { benchJTLReader(b, false) }

// BenchmarkJTLReaderVars is BenchmarkJTLReader with every sample variable
// kept (jtl.Options.Vars), as a library caller may ask: the goal's
// wording names sample variables, and ceiling itself reads only the IDs
// in them.
func BenchmarkJTLReaderVars(b *testing.B) { benchJTLReader(b, true) }

func benchJTLReader(b *testing.B, vars bool) {
	path := benchFile(b, "CEILING_BENCH_JTL")
	b.ReportAllocs()
	rows := 0
	// As analyze reads with one processor: batches of 32 (pipeline's oneCoreLen).
	batch := make([]jtl.Sample, 32)
	start := cpuclock.Used()
	for i := 0; i < b.N; i++ {
		in, err := parse.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		r, err := jtl.NewReader(in, jtl.Options{Window: 60 * time.Second, Location: time.Local, Vars: vars})
		if err != nil {
			b.Fatal(err)
		}
		rows = 0
		for {
			n, err := r.Read(batch)
			rows += n
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		if r.Stats().Records != int64(rows) {
			b.Fatalf("%d rows read, the reader counts %d", rows, r.Stats().Records)
		}
		in.Close()
	}
	cpu := (cpuclock.Used() - start).Seconds()
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	if cpu > 0 {
		b.ReportMetric(float64(rows)*float64(b.N)/cpu, "rows/cpu-s")
	}
}
