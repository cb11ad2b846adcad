package http

import "testing"

// TestHandshakeAllocs pins what a WebSocket handshake costs with released
// parsers, as the capture stage uses them. Apart, per side: the head's
// text, the message and its headers, and the request's trace IDs; nothing
// per connection. With Blocks, those are cut from blocks that serve a few
// dozen heads each. A pooled parser can be dropped by a collection, hence
// the slack of one.
func TestHandshakeAllocs(t *testing.T) {
	req := []byte("GET /sip HTTP/1.1\r\nHost: edge.example.com:8443\r\nSec-WebSocket-Version: 13\r\n" +
		"Sec-WebSocket-Protocol: sip\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nConnection: Upgrade\r\n" +
		"X-Request-Id: 7f3c2a9e-5b1d-4e8f-9a6c-2d4b8e1f0a7c\r\nUpgrade: websocket\r\n\r\n")
	resp := []byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: sip\r\n\r\n")
	for _, c := range []struct {
		name string
		opts *Options
		max  float64
	}{
		{"apart", nil, 7},
		{"blocks", &Options{Blocks: &Blocks{}}, 0.5},
	} {
		t.Run(c.name, func(t *testing.T) {
			allocs := testing.AllocsPerRun(200, func() {
				cp, sp := NewRequestParser(c.opts), NewResponseParser(c.opts)
				cp.Feed(req, 0)
				sp.ExpectMethod("GET")
				sp.Feed(resp, 0)
				cp.Answer(101, 0)
				cp.Close(0)
				sp.Close(0)
				cp.Release()
				sp.Release()
			})
			if allocs > c.max+1 && !raceEnabled {
				t.Errorf("%.1f allocations per handshake, want at most %v (+1)", allocs, c.max)
			}
		})
	}
}
