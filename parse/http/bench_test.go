package http

import (
	"strings"
	"testing"
	"time"

	"github.com/ceiling-dev/ceiling/internal/cpuclock"
)

// segments cuts b as TCP would on Ethernet.
func segments(b []byte) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		n := min(len(b), 1448)
		out = append(out, b[:n])
		b = b[n:]
	}
	return out
}

// BenchmarkCorpus parses both sides of every HTTP connection of the
// corpus (146 of them, 1 MB: API calls, error pages, a 54 KB page,
// WebSocket handshakes) through fresh parsers wired as the capture stage
// will wire them, in Ethernet-sized segments.
func BenchmarkCorpus(b *testing.B) {
	conns := readConns(b)
	var total int64
	for _, c := range conns {
		total += int64(len(c.client) + len(c.server))
	}
	b.SetBytes(total)
	b.ReportAllocs()
	cpu := cpuclock.Used()
	for b.Loop() {
		for _, c := range conns {
			parseConnFast(c)
		}
	}
	reportCPU(b, total, cpu)
}

// parseConnFast is parseConn without the rendering.
func parseConnFast(c conn) {
	cp, sp := NewRequestParser(nil), NewResponseParser(nil)
	for _, s := range segments(c.client) {
		for _, e := range cp.Feed(s, 0) {
			if e.Kind == KindRequest {
				sp.ExpectMethod(e.Request.Method)
			}
		}
	}
	for _, s := range segments(c.server) {
		for _, e := range sp.Feed(s, 0) {
			if e.Kind == KindResponse {
				cp.Answer(e.Response.Code, 0)
			}
		}
	}
	sp.Close(0)
	cp.Close(0)
	sp.Release()
	cp.Release()
}

// BenchmarkHandshake is the unit of work of a WebSocket spike test: a
// browser-like upgrade request and its 101, each on a new connection.
func BenchmarkHandshake(b *testing.B) {
	req := []byte("GET /sip HTTP/1.1\r\nHost: edge.example.com:8443\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/120.0\r\n" +
		"Accept: */*\r\nAccept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\nSec-WebSocket-Version: 13\r\n" +
		"Origin: https://app.example.com\r\nSec-WebSocket-Protocol: sip\r\nSec-WebSocket-Extensions: permessage-deflate\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nConnection: keep-alive, Upgrade\r\nX-Request-Id: 7f3c2a9e-5b1d-4e8f-9a6c-2d4b8e1f0a7c\r\n" +
		"Pragma: no-cache\r\nCache-Control: no-cache\r\nUpgrade: websocket\r\n\r\n")
	resp := []byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: sip\r\n\r\n")
	b.SetBytes(int64(len(req) + len(resp)))
	b.ReportAllocs()
	cpu := cpuclock.Used()
	for b.Loop() {
		cp, sp := NewRequestParser(nil), NewResponseParser(nil)
		cp.Feed(req, 0)
		sp.ExpectMethod("GET")
		sp.Feed(resp, 0)
		cp.Answer(101, 0)
		cp.Release()
		sp.Release()
	}
	reportCPU(b, int64(len(req)+len(resp)), cpu)
}

// BenchmarkKeepAlive: one connection carrying 1000 small API requests,
// or their 503 answers, in Ethernet-sized segments: the steady state.
func BenchmarkKeepAlive(b *testing.B) {
	req := strings.Repeat("POST /api/v1/calls HTTP/1.1\r\nHost: edge.example.com\r\nContent-Type: application/json\r\n"+
		"X-Trace-Id: 4bf92f3577b34da6a3ce929d0e0e4736\r\nContent-Length: 49\r\n\r\n{\"to\":\"+12263382742\",\"from\":\"+15551234567\",\"x\":1}", 1000)
	resp := strings.Repeat("HTTP/1.1 503 Service Unavailable\r\nServer: nginx\r\nDate: Wed, 25 Nov 2026 10:00:41 GMT\r\n"+
		"Content-Type: text/html\r\nContent-Length: 190\r\nConnection: keep-alive\r\nRetry-After: 30\r\n\r\n"+
		"<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n", 1000)
	for _, c := range []struct {
		name string
		in   string
		resp bool
	}{{"requests", req, false}, {"responses", resp, true}} {
		b.Run(c.name, func(b *testing.B) {
			segs := segments([]byte(c.in))
			var heads int64
			if c.resp {
				p := NewResponseParser(nil)
				for _, s := range segs {
					p.Feed(s, 0)
				}
				heads = p.Stats().Heads
			} else {
				p := NewRequestParser(nil)
				for _, s := range segs {
					p.Feed(s, 0)
				}
				heads = p.Stats().Heads
			}
			if heads != 1000 {
				b.Fatalf("%d heads, want 1000", heads)
			}
			b.SetBytes(int64(len(c.in)))
			b.ReportAllocs()
			cpu := cpuclock.Used()
			for b.Loop() {
				if c.resp {
					p := NewResponseParser(nil)
					for _, s := range segs {
						p.Feed(s, 0)
					}
				} else {
					p := NewRequestParser(nil)
					for _, s := range segs {
						p.Feed(s, 0)
					}
				}
			}
			reportCPU(b, int64(len(c.in)), cpu)
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

// BenchmarkUpgrades is what a WebSocket spike test's capture holds by
// the hundred thousand, wired as the capture stage wires it: parsers
// from the pool sharing one Blocks, one connection per handshake. The
// heads are gencap's (internal/cmd/gencap): a SIP client's upgrade
// answered 101, and an event API client's answered 101 or refused with
// a 503 and a JSON body.
func BenchmarkUpgrades(b *testing.B) {
	sipReq := "GET / HTTP/1.1\r\nHost: 10.20.0.10:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sip\r\nOrigin: http://10.10.0.5\r\nUser-Agent: JMeter-WebSocket-Samplers/1.2.10\r\n\r\n"
	sip101 := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: sip\r\n\r\n"
	apiReq := "GET /api/v2/notifications/channels/streaming?channelId=00a1b2000c3d HTTP/1.1\r\nHost: 10.20.0.20\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer 9e3779b97f4a7c15\r\nx-trace-id: 4bf92f35-77b3-4da6-a3ce-929d0e0e4736\r\n" +
		"User-Agent: Apache-HttpClient/4.5.14 (Java/17.0.15) JMeter-WebSocket-Samplers/1.2.10\r\n\r\n"
	api101 := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
	api503 := "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 5\r\nx-trace-id: 4bf92f35-77b3-4da6-a3ce-929d0e0e4736\r\nContent-Length: 91\r\nConnection: close\r\n\r\n" +
		`{"status":503,"code":"too.many.connections","message":"WebSocket connection limit reached"}`
	conns := [][2][]byte{
		{[]byte(sipReq), []byte(sip101)},
		{[]byte(apiReq), []byte(api101)},
		{[]byte(sipReq), []byte(sip101)},
		{[]byte(apiReq), []byte(api503)},
	}
	var total int64
	for _, c := range conns {
		total += int64(len(c[0]) + len(c[1]))
	}
	// kept: the messages are the caller's; recycled: each is given back
	// once it has ended, as a caller done with it would.
	for _, recycle := range []bool{false, true} {
		name := "kept"
		if recycle {
			name = "recycled"
		}
		b.Run(name, func(b *testing.B) {
			blocks := &Blocks{}
			o := &Options{Blocks: blocks}
			give := func(evs []Event) {
				for _, e := range evs {
					if recycle && e.Kind == KindEnd {
						blocks.RecycleRequest(e.Request)
						blocks.RecycleResponse(e.Response)
					}
				}
			}
			b.SetBytes(total)
			b.ReportAllocs()
			cpu := cpuclock.Used()
			for b.Loop() {
				for _, c := range conns {
					cp, sp := NewRequestParser(o), NewResponseParser(o)
					evs := cp.Feed(c[0], 0)
					for _, e := range evs {
						if e.Kind == KindRequest {
							sp.ExpectMethod(e.Request.Method)
						}
					}
					give(evs)
					evs = sp.Feed(c[1], 0)
					for _, e := range evs {
						if e.Kind == KindResponse {
							give(cp.Answer(e.Response.Code, 0))
						}
					}
					give(evs)
					give(cp.Close(0))
					give(sp.Close(0))
					cp.Release()
					sp.Release()
				}
			}
			reportCPU(b, total, cpu)
		})
	}
}
