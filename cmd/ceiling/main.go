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

func main() {
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
