package websocket

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/ceiling-dev/ceiling/internal/cpuclock"
)

func segments(b []byte) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		n := min(len(b), 1448)
		out = append(out, b[:n])
		b = b[n:]
	}
	return out
}

func benchSides(b *testing.B, sides []wsSide) { benchSidesWith(b, sides, false) }

// benchSidesWith parses each side with a fresh parser; reuse wires it as
// the capture stage does: messages reused, parsers released.
func benchSidesWith(b *testing.B, sides []wsSide, reuse bool) {
	var total int64
	for _, s := range sides {
		total += int64(len(s.bytes))
	}
	b.SetBytes(total)
	b.ReportAllocs()
	cpu := cpuclock.Used()
	for b.Loop() {
		for _, s := range sides {
			p := NewParser(Options{FromClient: s.fromClient, Extensions: s.ext, ReuseMessages: reuse})
			for _, seg := range segments(s.bytes) {
				p.Feed(seg, 0)
			}
			p.Close(0)
			if reuse {
				p.Release()
			}
		}
	}
	reportCPU(b, total, cpu)
}

// BenchmarkSIPOverWebSocket: both sides of the corpus's SIP-over-WebSocket
// call (INVITE, 407, 100, 180, 183, 200, ACK, BYE: 11 text messages of
// 0.4 to 2.5 KB, the client's masked) in Ethernet-sized segments.
func BenchmarkSIPOverWebSocket(b *testing.B) {
	var sides []wsSide
	for _, s := range realSides(b) {
		if strings.HasPrefix(s.file, "heplify_sip_tcp_websocket") {
			sides = append(sides, s)
		}
	}
	benchSides(b, sides)
}

// BenchmarkSIPOverWebSocketReused is the same with Options.ReuseMessages
// and Release, as the capture stage reads WebSockets.
func BenchmarkSIPOverWebSocketReused(b *testing.B) {
	var sides []wsSide
	for _, s := range realSides(b) {
		if strings.HasPrefix(s.file, "heplify_sip_tcp_websocket") {
			sides = append(sides, s)
		}
	}
	benchSidesWith(b, sides, true)
}

// BenchmarkCompressed: the permessage-deflate capture's server side, ten
// small text messages inflated with context takeover.
func BenchmarkCompressed(b *testing.B) {
	var sides []wsSide
	for _, s := range realSides(b) {
		if strings.HasPrefix(s.file, "suricataverify_websocket_compressed") {
			sides = append(sides, s)
		}
	}
	benchSides(b, sides)
}

// BenchmarkSynthetic: larger volumes than the corpus holds: 1000 masked
// 1 KB SIP-sized text messages, and sixteen 1 MiB masked binary frames of
// which 64 KiB each are kept.
func BenchmarkSynthetic(b *testing.B) {
	text := bytes.Repeat([]byte("INVITE sip:+12263382742@edge SIP/2.0\r\nVia: SIP/2.0/WSS x.invalid;branch=z9hG4bK\r\n"), 13)[:1024]
	var small, big []byte
	for range 1000 {
		small = append(small, frame(true, 0, OpText, key, text)...)
	}
	blob := bytes.Repeat([]byte{0x5a}, 1<<20)
	for range 16 {
		big = append(big, frame(true, 0, OpBinary, key, blob)...)
	}
	for _, c := range []struct {
		name string
		b    []byte
	}{{"text-1KiB", small}, {"binary-1MiB", big}} {
		b.Run(c.name, func(b *testing.B) {
			benchSides(b, []wsSide{{fromClient: true, bytes: c.b}})
		})
	}
}

// reportCPU adds MB per CPU-second of the loop that started at cpu (see
// cpuTime), when the platform tells CPU time.
func reportCPU(b *testing.B, bytes int64, cpu time.Duration) {
	if s := (cpuclock.Used() - cpu).Seconds(); s > 0 {
		b.ReportMetric(float64(bytes)*float64(b.N)/s/1e6, "MB/cpu-s")
	}
}
