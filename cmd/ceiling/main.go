// Command ceiling finds, from a JMeter spike test's results and a packet
// capture, at what concurrency a SIP edge began refusing work and at which
// layer: SIP, WebSocket, TCP, TLS, or the load generator itself.
//
// Run `ceiling analyze --help` to start.
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
