package websocket

import (
	"bytes"
	"fmt"
	"slices"
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

// TestReuseLetsGo checks what a parser reusing its messages lets go of at
// its next call. A message whose Payload was the caller's bytes (a
// server's, whole in one segment) is used again for a message that must
// be copied (cut across two segments): its bytes go to a buffer of the
// parser's, never into the caller's. A payload buffer too large to keep
// is not kept for the next message.
func TestReuseLetsGo(t *testing.T) {
	small := []byte("SIP/2.0 200 OK\r\n\r\n")
	large := bytes.Repeat([]byte("x"), 2*maxSparePayload)
	for _, tc := range []struct {
		name  string
		first []byte // a message fed whole, then one in two pieces
		next  []byte
	}{
		{"the caller's bytes", frame(true, 0, OpText, nil, small), frame(true, 0, OpText, nil, []byte("ACK"))},
		{"a large buffer", append(frame(false, 0, OpText, nil, large[:10]), frame(true, 0, OpContinuation, nil, large[10:])...), frame(true, 0, OpText, nil, small)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := NewParser(Options{ReuseMessages: true, NoFrames: true})
			defer p.Release()
			first := bytes.Clone(tc.first)
			p.Feed(first, 0)
			cut := len(tc.next) - 1
			for i, seg := range [][]byte{tc.next[:cut], tc.next[cut:]} {
				evs := p.Feed(seg, 0)
				if i == 0 {
					continue
				}
				if len(evs) != 1 || evs[0].Message == nil || !bytes.Equal(evs[0].Message.Payload, tc.next[2:]) {
					t.Fatalf("events %+v, want the message %q", evs, tc.next[2:])
				}
				if c := cap(evs[0].Message.Payload); c > maxSparePayload {
					t.Errorf("payload buffer of %d bytes kept, at most %d wanted", c, maxSparePayload)
				}
			}
			if !bytes.Equal(first, tc.first) {
				t.Errorf("the first segment's bytes were written over: %q", first)
			}
		})
	}
}

// TestReuseManyInOneCall checks a call that reports more messages than a
// parser keeps to reuse: each is a message of its own, read as reported.
func TestReuseManyInOneCall(t *testing.T) {
	var seg []byte
	var want []string
	for i := range 2*maxSpare + 1 {
		msg := fmt.Sprintf("MESSAGE %d", i)
		want = append(want, msg)
		seg = append(seg, frame(true, 0, OpText, key, []byte(msg))...)
	}
	p := NewParser(Options{FromClient: true, ReuseMessages: true, NoFrames: true})
	defer p.Release()
	for round := range 2 {
		var got []string
		for _, e := range p.Feed(seg, 0) {
			got = append(got, string(e.Message.Payload))
		}
		if !slices.Equal(got, want) {
			t.Errorf("round %d: %q, want %q", round, got, want)
		}
	}
}
