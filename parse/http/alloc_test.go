package http

import "testing"

// TestHandshakeAllocs pins what a WebSocket handshake costs with released
// parsers, as the capture stage uses them: per side, the head's text, the
// message and its headers, and the request's trace IDs; nothing per
// connection. A pooled parser can be dropped by a collection, hence the
// slack of one.
func TestHandshakeAllocs(t *testing.T) {
	req := []byte("GET /sip HTTP/1.1\r\nHost: edge.example.com:8443\r\nSec-WebSocket-Version: 13\r\n" +
		"Sec-WebSocket-Protocol: sip\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nConnection: Upgrade\r\n" +
		"X-Request-Id: 7f3c2a9e-5b1d-4e8f-9a6c-2d4b8e1f0a7c\r\nUpgrade: websocket\r\n\r\n")
	resp := []byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: sip\r\n\r\n")
	allocs := testing.AllocsPerRun(200, func() {
		cp, sp := NewRequestParser(nil), NewResponseParser(nil)
		cp.Feed(req, 0)
		sp.ExpectMethod("GET")
		sp.Feed(resp, 0)
		cp.Answer(101, 0)
		cp.Close(0)
		sp.Close(0)
		cp.Release()
		sp.Release()
	})
	if allocs > 8 {
		t.Errorf("%.1f allocations per handshake, want at most 7 (+1)", allocs)
	}
}
