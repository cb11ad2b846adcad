package capture

import (
	"fmt"
	"runtime"
	"testing"
)

// TestConnAllocs pins what a TCP connection costs the capture stage once
// its pools are warm, counted as the difference between a capture of 200
// connections and one of 100: an event-API WebSocket upgrade answered 503
// (the refusals of a spike), and SIP over TCP (an INVITE and its 503).
// What is left is what the events hand out: the Conn, the HTTP messages
// with their text and headers (cut from blocks the file's connections
// share: about 3.2 in all, 10 when each was allocated apart), the SIP
// messages (and what their framing learnt, sip.Framed, eight to an
// allocation: 0.3 a connection). (Before the flows, the parsers and the reassembly state were
// reused: 19 and 7.4.)
func TestConnAllocs(t *testing.T) {
	for _, c := range []struct {
		name string
		max  float64
		conn func(cf *capFile, i int)
	}{
		{"websocket-503", 5, func(cf *capFile, i int) {
			cl, sv := ep{"10.0.0.1", uint16(20000 + i)}, ep{"10.0.0.2", 80}
			cf.handshake(t, cl, sv)
			cf.tcp(t, cl, sv, "PA", []byte(fmt.Sprintf("GET /events HTTP/1.1\r\nHost: api.example.com\r\nUpgrade: websocket\r\n"+
				"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"+
				"X-Request-Id: 7f3c2a9e-5b1d-4e8f-9a6c-%012d\r\n\r\n", i)))
			cf.tcp(t, sv, cl, "PA", []byte("HTTP/1.1 503 Service Unavailable\r\nServer: nginx\r\nRetry-After: 5\r\n"+
				"Content-Type: text/plain\r\nContent-Length: 12\r\n\r\nover limit\r\n"))
			cf.tcp(t, cl, sv, "FA", nil)
			cf.tcp(t, sv, cl, "FA", nil)
			cf.tcp(t, cl, sv, "A", nil)
		}},
		{"sip-tcp", 6, func(cf *capFile, i int) {
			cl, sv := ep{"10.0.0.1", uint16(30000 + i)}, ep{"10.0.0.2", 5060}
			id := fmt.Sprintf("call-%06d@10.0.0.1", i)
			cf.handshake(t, cl, sv)
			cf.tcp(t, cl, sv, "PA", []byte("INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/TCP 10.0.0.1;branch=z9hG4bK"+id+"\r\n"+
				"From: <sip:alice@example.com>;tag=1\r\nTo: <sip:bob@example.com>\r\nCall-ID: "+id+"\r\nCSeq: 1 INVITE\r\n"+
				"Content-Length: 0\r\n\r\n"))
			cf.tcp(t, sv, cl, "PA", []byte("SIP/2.0 503 Service Unavailable\r\nVia: SIP/2.0/TCP 10.0.0.1;branch=z9hG4bK"+id+"\r\n"+
				"From: <sip:alice@example.com>;tag=1\r\nTo: <sip:bob@example.com>;tag=2\r\nCall-ID: "+id+"\r\nCSeq: 1 INVITE\r\n"+
				"Retry-After: 5\r\nContent-Length: 0\r\n\r\n"))
			cf.tcp(t, cl, sv, "FA", nil)
			cf.tcp(t, sv, cl, "FA", nil)
			cf.tcp(t, cl, sv, "A", nil)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			mallocs := func(n int) uint64 {
				cf := newCapFile(t)
				for i := range n {
					c.conn(cf, i)
				}
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				evs, st := cf.run(t, Options{})
				runtime.ReadMemStats(&after)
				if st.TCPConns != int64(n) || len(evs) < 4*n {
					t.Fatalf("%d connections, %d events: the capture did not go as meant", st.TCPConns, len(evs))
				}
				return after.Mallocs - before.Mallocs
			}
			mallocs(200) // warm the pools
			per := float64(mallocs(200)-mallocs(100)) / 100
			t.Logf("%.1f allocations per connection", per)
			if per > c.max && !raceEnabled {
				t.Errorf("%.1f allocations per connection, want at most %v", per, c.max)
			}
		})
	}
}
