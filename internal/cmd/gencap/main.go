// Command gencap writes a synthetic JMeter spike test against a SIP edge,
// as ceiling reads it: a packet capture (pcap or pcapng) and the matching
// JTL CSV, of any size, deterministic by seed, streamed to disk. It is a
// development tool for benchmarks (bench/run.sh); the files it writes are
// not test fixtures made by real programs (testdata/ holds those).
//
//	go run ./internal/cmd/gencap -size 1GB -rtp 0.9 -seed 1 -o DIR
//
// writes DIR/capture.pcap (DIR/capture.pcapng with -format pcapng),
// DIR/results.jtl and DIR/expected.json. The same flags give the same
// bytes, whatever the machine. A 100 MB run and a 10 GB run are the same
// test, stopped at a different point: the size decides when the threads
// stop starting new work; calls in flight then end normally, so files
// come out a little over or under the size asked for.
//
// # The test
//
// One JMeter host (10.10.0.5) runs two thread groups against an edge:
//
//   - "SIP callers": -threads threads start evenly over -ramp, and each
//     loops SIP calls at 10.20.0.10: INVITE with an SDP offer, 100 Trying,
//     180 Ringing, 200 OK with the SDP answer, ACK, a hold of -hold ±⅓,
//     BYE, 200 OK, then 0.5-1.5 s before the next call. Each thread keeps
//     one transport: UDP :5060 (a new local port per call, as the demo's
//     sampler does), TCP :5060 (share -tcp; one connection per thread,
//     real handshakes, Content-Length framing, the 100 and 180 in one
//     segment in 15% of calls, the INVITE cut across two segments in 10%,
//     delayed ACKs, timestamps), or SIP over WebSocket :8080 (share -ws; an
//     HTTP upgrade with Sec-WebSocket-Protocol: sip, masked client frames,
//     RFC 7118 Via and Contact).
//   - "Event listeners": -ws-threads threads start over -ws-ramp; each
//     opens a WebSocket to the event API (10.20.0.20:80, an upgrade with
//     an x-trace-id header), is pushed a JSON notification every 2-6 s,
//     closes after 20-40 s (close frames, the server's FIN first) and
//     reopens a second later.
//
// The edge has three limits, each checked when an attempt arrives and
// counted the way ceiling's DESIGN.md counts concurrency:
//
//   - -limit dialogs over all its SIP listeners: above it an INVITE gets
//     503 Service Unavailable with Retry-After: 5 and a Q.850 cause 34
//     Reason; the caller ACKs it, pauses 2-2.5 s, and tries a new call.
//   - -tcp-limit connections on its TCP listener :5060: above it the SYN
//     is answered by RST; JMeter writes a java.net.ConnectException sample
//     and the thread retries after 2-2.5 s.
//   - -ws-limit WebSockets on the event API: above it the upgrade gets
//     HTTP 503 (Retry-After: 5, Connection: close) and the server closes.
//
// With the defaults the dialog limit is reached first (about 26 s in),
// then the TCP limit (28 s) and the event API's (30 s); the verdict is
// SIP 503. expected.json says exactly what was generated: each layer's
// limit, attempts, failures and first failure (time, concurrency, Call-ID
// or trace ID, edge), and the verdict, so that ceiling's answer can be
// checked (bench/run.sh does, with bench/check). The dialog limit counts
// the edge's dialogs over all its listeners, as ceiling does (it is at
// -limit+1 at the first 503); expected.json also gives the count at the
// rejected INVITE's own listener.
//
// Media: answered calls send G.711 µ-law RTP (12-byte header, 160-byte
// payload, every 20 ms, both ways, between the SDP ports) until the BYE.
// -rtp is the share of all packets that are RTP: only some calls' media
// passes the capture point (an edge anchors the media of some calls, the
// rest flows around it), and which calls are chosen so that RTP stays at
// that share; -rtp 0 gives pure signalling.
//
// The JTL is JMeter 5.x's default CSV columns plus the sample variables
// callId and traceId, one row per sample written when it ends (so in
// completion order, as JMeter does), timeStamp being its start, on the
// JMeter host's clock: the capture is taken on the edge, whose clock is
// -clock-offset ahead. allThreads and grpThreads are the active threads
// when the sample ended.
//
// # Why the numbers are realistic
//
// The messages are those of the demo's real run (kamailio, JMeter's SIP
// sampler; testdata/demo) with the headers a carrier-facing edge adds: an
// INVITE is about 1 kB, an answered call's seven messages about 4 kB, a
// refused call's three about 1.9 kB. With the defaults a 1 GB signalling
// capture holds about 290 k calls (70% refused, as in a spike test that
// overshoots the edge) and 2.5 M packets, 60% of the SIP threads on UDP,
// 25% TCP, 15% WebSocket: what the issue measured on a real one (1 GB,
// 2.7 M packets, 290 k calls). With -rtp 0.9, 1 GB holds about 4 M
// packets, 31 k calls. Every header and checksum is correct (tshark and ceiling both
// read the files without a complaint); frames are built by hand, not with
// gopacket, so that writing 10 GB takes minutes, not hours.
//
// # Flags
//
//	-size N        capture size to aim for: 100MB, 1GB, 10GB, 512MiB, bytes (default 100MB)
//	-rows N        stop at N JTL rows instead (with -format none: a JTL alone, for the reader's rows/s)
//	-rtp F         share of packets that are RTP, 0 to 0.99 (default 0)
//	-seed N        seed (default 1)
//	-o DIR         output folder (created)
//	-format F      pcap (default), pcapng, or none
//	-threads, -ramp, -limit, -tcp, -ws, -tcp-limit, -ws-threads, -ws-ramp,
//	-ws-limit, -hold, -clock-offset, -start: the scenario (see -help)
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "gencap:", err)
		os.Exit(2)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("gencap", flag.ContinueOnError)
	var cfg config
	var size, start string
	fs.StringVar(&size, "size", "100MB", "capture size to aim for (100MB, 1GB, 10GB, 512MiB, bytes)")
	fs.Int64Var(&cfg.rows, "rows", 0, "stop at this many JTL rows instead of a size")
	fs.Float64Var(&cfg.rtpShare, "rtp", 0, "share of packets that are RTP (0 to 0.99)")
	fs.Uint64Var(&cfg.seed, "seed", 1, "seed: the same flags and seed give the same bytes")
	fs.StringVar(&cfg.dir, "o", "", "output folder (created if missing)")
	fs.StringVar(&cfg.format, "format", "pcap", "capture format: pcap, pcapng, or none (a JTL alone)")
	fs.IntVar(&cfg.threads, "threads", 1600, "SIP caller threads")
	fs.DurationVar(&cfg.ramp, "ramp", 40*time.Second, "ramp-up of the SIP callers")
	fs.IntVar(&cfg.limit, "limit", 1000, "the edge's dialog limit (all SIP listeners)")
	fs.Float64Var(&cfg.tcpShare, "tcp", 0.25, "share of SIP threads over TCP")
	fs.Float64Var(&cfg.wsShare, "ws", 0.15, "share of SIP threads over WebSocket")
	fs.IntVar(&cfg.tcpLimit, "tcp-limit", 300, "connections the edge's TCP listener :5060 accepts")
	fs.IntVar(&cfg.wsThreads, "ws-threads", 500, "event-API listener threads")
	fs.DurationVar(&cfg.wsRamp, "ws-ramp", 50*time.Second, "ramp-up of the event-API listeners")
	fs.IntVar(&cfg.wsLimit, "ws-limit", 300, "WebSockets the event API accepts")
	fs.DurationVar(&cfg.hold, "hold", 15*time.Second, "mean hold of an answered call (±1/3)")
	fs.DurationVar(&cfg.offset, "clock-offset", 350*time.Millisecond, "capture clock minus the JMeter host's clock")
	fs.StringVar(&start, "start", "2026-11-25T10:00:00Z", "when the test starts (RFC 3339)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: gencap [flags] -o DIR   (see go doc ./internal/cmd/gencap)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if cfg.dir == "" {
		return fmt.Errorf("-o DIR is required")
	}
	var err error
	if cfg.size, err = parseSize(size); err != nil {
		return err
	}
	if cfg.start, err = time.Parse(time.RFC3339, start); err != nil {
		return fmt.Errorf("-start: %w", err)
	}
	switch {
	case cfg.rtpShare < 0 || cfg.rtpShare > 0.99:
		return fmt.Errorf("-rtp must be within 0 and 0.99")
	case cfg.format != "pcap" && cfg.format != "pcapng" && cfg.format != "none":
		return fmt.Errorf("-format must be pcap, pcapng or none")
	case cfg.format == "none" && cfg.rows <= 0:
		return fmt.Errorf("-format none needs -rows")
	case cfg.threads <= 0 || cfg.limit <= 0 || cfg.tcpLimit <= 0 || cfg.wsLimit <= 0 || cfg.wsThreads < 0:
		return fmt.Errorf("thread counts and limits must be positive")
	case cfg.tcpShare < 0 || cfg.wsShare < 0 || cfg.tcpShare+cfg.wsShare > 1:
		return fmt.Errorf("-tcp and -ws are shares that add up to at most 1")
	case cfg.ramp <= 0 || cfg.wsRamp <= 0 || cfg.hold <= 0:
		return fmt.Errorf("-ramp, -ws-ramp and -hold must be positive")
	}
	if err := os.MkdirAll(cfg.dir, 0o755); err != nil {
		return err
	}
	began := time.Now()
	g := &gen{cfg: cfg, keys: map[int32]string{}}

	var capOut *os.File
	var capW *bufio.Writer
	if cfg.format != "none" {
		name := "capture." + cfg.format
		g.exp.Files.Capture = name
		if capOut, err = os.Create(filepath.Join(cfg.dir, name)); err != nil {
			return err
		}
		defer capOut.Close()
		capW = bufio.NewWriterSize(capOut, 4<<20)
		if g.cap, err = newCapFile(capW, cfg.format == "pcapng"); err != nil {
			return err
		}
	}
	jtlOut, err := os.Create(filepath.Join(cfg.dir, "results.jtl"))
	if err != nil {
		return err
	}
	defer jtlOut.Close()
	jtlW := bufio.NewWriterSize(jtlOut, 1<<20)
	g.exp.Files.JTL = "results.jtl"
	g.jtl = newJTLFile(jtlW, int64(cfg.offset))

	if err := g.run(); err != nil {
		return err
	}

	if capW != nil {
		if err := capW.Flush(); err != nil {
			return err
		}
		if err := capOut.Close(); err != nil {
			return err
		}
	}
	if err := jtlW.Flush(); err != nil {
		return err
	}
	if err := jtlOut.Close(); err != nil {
		return err
	}
	var first, last int64
	if g.cap != nil {
		first, last = g.cap.first, g.cap.last
	}
	g.exp.Command = "gencap " + strings.Join(args, " ")
	g.exp.finish(g, first, last)
	b, err := json.MarshalIndent(&g.exp, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(cfg.dir, "expected.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	took := time.Since(began)
	e := &g.exp
	fmt.Printf("gencap: %s: %d bytes, %d packets (%.1f%% RTP), %d calls; %s: %d rows; verdict %s",
		orNone(e.Files.Capture), e.Capture.Bytes, e.Capture.Packets, 100*e.Capture.RTPShare, e.Capture.SIPCalls,
		e.Files.JTL, e.JTL.Rows, e.Verdict.Layer)
	if f := e.Verdict.FirstFailure; f != nil {
		fmt.Printf(" %s at %d (%s)", f.Status, f.Concurrency, f.Edge)
	}
	mb := float64(e.Capture.Bytes) / 1e6
	fmt.Printf("; %.1f s, %.0f MB/s\n", took.Seconds(), mb/took.Seconds())
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "no capture"
	}
	return s
}

// parseSize reads 100MB, 1GB, 1.5GB (powers of 1000), 512MiB, 1GiB
// (powers of 1024), or a plain number of bytes.
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   float64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	t := strings.TrimSpace(s)
	mult := 1.0
	for _, u := range units {
		if strings.HasSuffix(strings.ToUpper(t), strings.ToUpper(u.suffix)) {
			t, mult = strings.TrimSpace(t[:len(t)-len(u.suffix)]), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("-size %q: want a size such as 100MB, 1GB, 512MiB", s)
	}
	return int64(v * mult), nil
}
