// Command ceiling finds, from a JMeter spike test's results and a packet
// capture, at what concurrency a SIP edge began refusing work and at which
// layer: SIP, WebSocket, TCP, TLS, or the load generator itself.
//
// Run `ceiling analyze --help` to start.
package main

import (
	"os"
	"runtime/debug"
)

// defaultMemoryLimit is the Go runtime's soft memory limit unless
// GOMEMLIMIT says otherwise. What ceiling holds live is what is in flight
// (about 125 MB at the peak of a 10 GB capture with its JTL); without a
// limit the collector lets the heap grow to twice that before it runs. A
// soft limit makes it run sooner instead (it measured no slower on 1 and
// 10 GB); a run that needs more live memory than this still gets it, the
// collector giving up trying at half the CPU time.
const defaultMemoryLimit = 200 << 20

// defaultGCPercent is GOGC unless the environment sets it. Under the
// limit above, the collector's default of 100 runs it every time the heap
// doubles its live ~60 MB, some 65 times on a 1 GB capture, each with
// write barriers on while it marks. At 400 the limit decides instead
// when the heap is big; a small run still collects at 5× its live heap.
// It measured 0.3 to 0.6 CPU-seconds fewer of 8.5 on 1 GB of
// signalling, and a JTL alone of 5 M rows.
// bench/run.sh runs BenchmarkJTLReader with the same two settings.
const defaultGCPercent = 400

func main() {
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(defaultGCPercent)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
