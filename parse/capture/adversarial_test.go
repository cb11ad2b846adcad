package capture

import (
	"bytes"
	"fmt"
	"math/rand"
	"runtime"
	"strings"
	"testing"

	"github.com/ceiling-dev/ceiling/parse/tcp"
)

var (
	client = ep{"10.0.0.1", 40000}
	edge   = ep{"10.0.0.9", 80}
	sipEdg = ep{"10.0.0.9", 5060}
)

// A response that announces a 1 GB body and sends a few bytes: the body is
// skipped, not buffered; the connection ends inside it, which is counted.
func TestHugeContentLength(t *testing.T) {
	c := newCapFile(t)
	c.handshake(t, client, edge)
	c.tcp(t, client, edge, "PA", []byte("GET /events HTTP/1.1\r\nHost: edge\r\n\r\n"))
	c.tcp(t, edge, client, "PA", []byte("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 1073741824\r\nRetry-After: 7\r\n\r\nbusy"))
	c.tcp(t, edge, client, "RA", nil)
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	evs, st := c.run(t, Options{})
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if count(evs, KindRequest) != 1 || count(evs, KindResponse) != 1 || count(evs, KindConnClose) != 1 {
		t.Fatalf("events %v", kinds(evs))
	}
	for _, e := range evs {
		if e.Kind == KindResponse && (e.Response.Code != 503 || e.Response.RetryAfter != 7) {
			t.Errorf("response %+v", e.Response)
		}
	}
	if grown := int64(after.TotalAlloc - before.TotalAlloc); grown > 64<<20 {
		t.Errorf("allocated %d bytes for a 1 GB Content-Length", grown)
	}
	_ = st
}

// Header lines without end: the HTTP parser stops at its limit, says so,
// and the connection is still accounted for.
func TestEndlessHeaders(t *testing.T) {
	c := newCapFile(t)
	c.handshake(t, client, edge)
	c.tcp(t, client, edge, "PA", []byte("GET / HTTP/1.1\r\n"))
	line := []byte("X-Filler: " + strings.Repeat("a", 1000) + "\r\n")
	for i := 0; i < 200; i++ {
		c.tcp(t, client, edge, "PA", bytes.Repeat(line, 1))
	}
	c.tcp(t, client, edge, "FA", nil)
	c.tcp(t, edge, client, "FA", nil)
	evs, st := c.run(t, Options{})
	if count(evs, KindConnClose) != 1 || count(evs, KindRequest) != 0 {
		t.Fatalf("events %v", kinds(evs))
	}
	if st.Problems.Count == 0 || st.Problems.ByReason["bad stream data"] == 0 {
		t.Errorf("no problem reported: %+v", st.Problems)
	}
}

// SIP over TCP: two messages in one segment, one message over three.
func TestSIPOverTCPFraming(t *testing.T) {
	msg := func(id string) string {
		body := "v=0\r\n"
		return fmt.Sprintf("INVITE sip:bob@edge SIP/2.0\r\nVia: SIP/2.0/TCP 10.0.0.1:40000;branch=z9hG4bK%s\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:bob@edge>\r\nCall-ID: %s\r\nCSeq: 1 INVITE\r\nContent-Length: %d\r\n\r\n%s", id, id, len(body), body)
	}
	c := newCapFile(t)
	c.handshake(t, client, sipEdg)
	c.tcp(t, client, sipEdg, "PA", []byte(msg("one")+msg("two")))
	third := msg("three")
	c.tcp(t, client, sipEdg, "PA", []byte(third[:10]))
	c.tcp(t, client, sipEdg, "PA", []byte(third[10:100]))
	c.tcp(t, client, sipEdg, "PA", []byte(third[100:]))
	c.tcp(t, client, sipEdg, "FA", nil)
	evs, _ := c.run(t, Options{})
	var ids []string
	for _, e := range evs {
		if e.Kind == KindSIP {
			ids = append(ids, e.SIP.CallID+"/"+e.Transport)
		}
	}
	if strings.Join(ids, " ") != "one/tcp two/tcp three/tcp" {
		t.Errorf("messages %v", ids)
	}
}

// An RST storm (resets for connections never seen) and a flood of
// half-open SYNs: bounded by the reassembler's limit, each SYN an attempt
// that ends (opening, then given up), nothing else.
func TestRSTStormAndHalfOpenSYNs(t *testing.T) {
	c := newCapFile(t)
	for i := 0; i < 20000; i++ {
		c.tcp(t, ep{"10.0.1.1", uint16(1024 + i%60000)}, edge, "R", nil)
	}
	const syns = 50000
	for i := 0; i < syns; i++ {
		c.tcp(t, ep{fmt.Sprintf("10.1.%d.%d", i/250%250, i%250+1), uint16(20000 + i%40000)}, edge, "S", nil)
	}
	evs, st := c.run(t, Options{TCP: tcp.Options{MaxConns: 1000}})
	var attempts, midstream, closes int
	for _, e := range evs {
		switch {
		case e.Kind == KindConnOpen && e.Conn.Midstream:
			midstream++
		case e.Kind == KindConnOpen:
			attempts++
		case e.Kind == KindConnClose:
			closes++
		}
	}
	// A reset of a connection never seen is a mid-stream record (not an
	// attempt: correlate leaves those out); every SYN is an attempt.
	if attempts != syns || midstream != 20000 || closes != syns+20000 {
		t.Errorf("attempts %d, mid-stream %d, closes %d", attempts, midstream, closes)
	}
	if st.TCP.MaxOpen > 1000 {
		t.Errorf("tracked %d connections at once, limit 1000", st.TCP.MaxOpen)
	}
}

func kinds(evs []Event) []Kind {
	var k []Kind
	for _, e := range evs {
		k = append(k, e.Kind)
	}
	return k
}

// Damaged SIP over TCP and WebSocket: a message without a Call-ID still
// happened on the wire (an event, counted, a problem naming the side and
// the stream offset); bytes with no start line are no message over TCP
// (a problem, the stream goes on) nor over WebSocket (a problem, no
// event). The parse of stream messages runs on another goroutine than
// the cut (udpsip.go): what comes out, problems included, is the same
// whatever GOMAXPROCS is, and in event order.
func TestDamagedStreamSIP(t *testing.T) {
	msg := func(id, callID string) string {
		return fmt.Sprintf("OPTIONS sip:edge SIP/2.0\r\nVia: SIP/2.0/TCP 10.0.0.1:40001;branch=z9hG4bK%s\r\n%sCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n", id, callID)
	}
	good := func(id string) string { return msg(id, "Call-ID: "+id+"\r\n") }
	rng := rand.New(rand.NewSource(1))
	c := newCapFile(t)
	tcpCl, tcpSv := ep{"10.0.0.1", 40001}, ep{"10.0.0.9", 5060}
	wsCl, wsSv := ep{"10.0.0.1", 40002}, ep{"10.0.0.9", 80}
	c.handshake(t, tcpCl, tcpSv)
	c.handshake(t, wsCl, wsSv)
	c.tcp(t, wsCl, wsSv, "PA", []byte("GET /ws HTTP/1.1\r\nHost: e\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: sip\r\n\r\n"))
	c.tcp(t, wsSv, wsCl, "PA", []byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: sip\r\n\r\n"))
	damaged := msg("d", "")
	c.tcp(t, tcpCl, tcpSv, "PA", []byte(good("t1")+damaged))
	c.tcp(t, wsCl, wsSv, "PA", wsFrame(rng, "hello there\r\n"))
	c.tcp(t, tcpCl, tcpSv, "PA", []byte("junk\r\n"+good("t2")))
	c.tcp(t, wsCl, wsSv, "PA", wsFrame(rng, msg("w", "")))
	c.tcp(t, wsCl, wsSv, "PA", wsFrame(rng, good("w1")))
	c.tcp(t, tcpCl, tcpSv, "FA", nil)
	c.tcp(t, wsCl, wsSv, "FA", nil)
	for _, procs := range []int{1, 2} {
		prev := runtime.GOMAXPROCS(procs)
		evs, st := c.run(t, Options{})
		runtime.GOMAXPROCS(prev)
		var got []string
		for _, e := range evs {
			if e.Kind == KindSIP {
				got = append(got, fmt.Sprintf("%s/%s/%q", e.SIP.Method, e.Transport, e.SIP.CallID))
			}
		}
		// The junk line in front of t2 is skipped as RFC 3261 7.5 allows
		// only CRLFs there: no problem, the message notes it (Skipped).
		want := `OPTIONS/tcp/"t1" OPTIONS/tcp/"" OPTIONS/tcp/"t2" OPTIONS/ws/"" OPTIONS/ws/"w1"`
		if strings.Join(got, " ") != want {
			t.Errorf("GOMAXPROCS=%d: messages\n%s\nwant\n%s", procs, strings.Join(got, " "), want)
		}
		if st.SIPMessages != 5 || st.SIPErrors != 3 {
			t.Errorf("GOMAXPROCS=%d: %d messages, %d errors; want 5, 3", procs, st.SIPMessages, st.SIPErrors)
		}
		var reasons []string
		for _, p := range st.Problems.First {
			reasons = append(reasons, p.Reason)
		}
		wantReasons := []string{
			fmt.Sprintf("tcp 10.0.0.1:40001 → 10.0.0.9:5060, client stream offset %d: sip message damaged: ", len(good("t1"))),
			"tcp 10.0.0.1:40002 → 10.0.0.9:80, client stream offset ",
			"tcp 10.0.0.1:40002 → 10.0.0.9:80, client stream offset ",
		}
		if len(reasons) != len(wantReasons) {
			t.Fatalf("GOMAXPROCS=%d: problems %q", procs, reasons)
		}
		for i, w := range wantReasons {
			if !strings.HasPrefix(reasons[i], w) {
				t.Errorf("GOMAXPROCS=%d: problem %d is %q, want it to start %q", procs, i, reasons[i], w)
			}
		}
	}
}
