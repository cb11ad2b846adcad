package capture

import (
	"bytes"
	"fmt"
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
