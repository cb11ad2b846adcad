package websocket

import (
	"bytes"
	"testing"
)

// TestReuseMessagesAllocs pins the steady state of a SIP-over-WebSocket
// side with Options.ReuseMessages, as the capture stage reads it: no
// allocation per message, two messages to a segment or one split across
// two, pings between them.
func TestReuseMessagesAllocs(t *testing.T) {
	msg := bytes.Repeat([]byte("INVITE sip:bob@example.com SIP/2.0\r\n"), 20)
	two := append(frame(true, 0, OpText, key, msg), frame(true, 0, OpText, key, msg)...)
	two = append(two, frame(true, 0, OpPing, key, []byte("hi"))...)
	cut := len(two) / 3
	p := NewParser(Options{FromClient: true, ReuseMessages: true})
	defer p.Release()
	n := 0
	feed := func() {
		for _, seg := range [][]byte{two, two[:cut], two[cut:]} {
			for _, e := range p.Feed(seg, 0) {
				if e.Kind == KindMessage && e.Message.Opcode == OpText && bytes.Equal(e.Message.Payload, msg) {
					n++
				}
			}
		}
	}
	feed()
	if allocs := testing.AllocsPerRun(100, feed); allocs > 0 {
		t.Errorf("%.1f allocations per round of 4 messages, want none", allocs)
	}
	if n != 4*102 {
		t.Errorf("%d whole messages, want %d", n, 4*102)
	}
	if s := p.Stats(); s.Problems != 0 {
		t.Errorf("%d problems", s.Problems)
	}
}
