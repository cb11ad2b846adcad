package capture

import (
	"math/rand"
	"testing"
)

// TestWebSocketAfterBody: an upgrade request with a body, answered 101
// before the body has all come. The rest of the body is still HTTP, and
// only the bytes after it go to the WebSocket parser, which reads the SIP
// message they carry and nothing else.
func TestWebSocketAfterBody(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	c := newCapFile(t)
	cl, sv := ep{"10.0.0.1", 40002}, ep{"10.0.0.9", 80}
	c.handshake(t, cl, sv)
	c.tcp(t, cl, sv, "PA", []byte("GET /ws HTTP/1.1\r\nHost: e\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: sip\r\nContent-Length: 5\r\n\r\nab"))
	c.tcp(t, sv, cl, "PA", []byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: sip\r\n\r\n"))
	c.tcp(t, cl, sv, "PA", []byte("c"))
	c.tcp(t, cl, sv, "PA", []byte("de"))
	msg := "OPTIONS sip:edge@10.0.0.9 SIP/2.0\r\nVia: SIP/2.0/WS 10.0.0.1:40002;branch=z9hG4bKws\r\nCall-ID: ws-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
	c.tcp(t, cl, sv, "PA", wsFrame(rng, msg))
	c.tcp(t, cl, sv, "PA", wsFrame(rng, msg))
	evs, st := c.run(t, Options{})
	if n := count(evs, KindSIP); n != 2 {
		t.Errorf("%d SIP messages over the WebSocket, want 2", n)
	}
	if st.Problems != nil && st.Problems.Count > 0 {
		t.Errorf("problems: %+v", st.Problems.First)
	}
}
