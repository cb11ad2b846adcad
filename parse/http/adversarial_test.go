package http

import (
	"bytes"
	"errors"
	"runtime"
	"strings"
	"testing"
)

// heapGrowth runs f and returns the bytes it allocated in all.
func heapGrowth(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestGigabyteBody feeds a request announcing 1 GB and the whole gigabyte
// after it: the body is counted and skipped, not held, and the next
// request is found where it starts.
func TestGigabyteBody(t *testing.T) {
	if testing.Short() {
		t.Skip("feeds 1 GB")
	}
	const size = 1 << 30
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB
	var got []Event
	p := NewRequestParser(nil)
	alloc := heapGrowth(func() {
		got = append(got, p.Feed([]byte("POST /upload HTTP/1.1\r\nContent-Length: 1073741824\r\n\r\n"), 1)...)
		for n := 0; n < size; n += len(chunk) {
			for _, e := range p.Feed(chunk, 2) {
				got = append(got, e)
			}
		}
		got = append(got, p.Feed([]byte("GET /next HTTP/1.1\r\n\r\n"), 3)...)
	})
	if alloc > 64<<10 {
		t.Errorf("%d bytes allocated for a 1 GB body", alloc)
	}
	if len(got) != 4 || got[1].Kind != KindEnd || got[2].Kind != KindRequest || got[2].Request.Target != "/next" {
		t.Fatalf("events %v", got)
	}
	b := got[1].Request.Body
	if b.Len != size || !b.Complete || len(b.Head) != DefaultBodyEvidence || string(b.Head[:16]) != "0123456789abcdef" {
		t.Errorf("body len %d complete %v head %d bytes", b.Len, b.Complete, len(b.Head))
	}
	t.Logf("1 GiB body skipped with %d bytes allocated", alloc)
}

// TestHeaderFloods: a head that never ends, a single header line that
// never ends, and 100 000 header fields all stop at the limits and cost
// memory bounded by them, not by the input.
func TestHeaderFloods(t *testing.T) {
	for _, c := range []struct {
		name  string
		input func(p *RequestParser)
		class error
	}{
		{"endless header lines", func(p *RequestParser) {
			p.Feed([]byte("GET / HTTP/1.1\r\n"), 0)
			line := []byte("X-Padding: " + strings.Repeat("p", 100) + "\r\n")
			for range 100_000 {
				p.Feed(line, 0)
			}
		}, ErrHeaderTooLarge},
		{"one endless line", func(p *RequestParser) {
			p.Feed([]byte("GET / HTTP/1.1\r\nX-Long: "), 0)
			chunk := bytes.Repeat([]byte("a"), 64<<10)
			for range 160 { // 10 MiB
				p.Feed(chunk, 0)
			}
		}, ErrHeaderTooLarge},
		{"100k header fields", func(p *RequestParser) {
			p.Feed([]byte("GET / HTTP/1.1\r\n"+strings.Repeat("a:b\r\n", 100_000)+"\r\n"), 0)
		}, ErrTooManyHeaders},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := NewRequestParser(nil)
			alloc := heapGrowth(func() { c.input(p) })
			// The input itself (the 100k case builds 500 KB) plus the
			// parser's buffers, which the limits bound.
			if alloc > 2<<20 {
				t.Errorf("%d bytes allocated", alloc)
			}
			st := p.Stats()
			if st.Problems != 1 || st.Heads != 0 {
				t.Errorf("stats %+v", st)
			}
			ev := p.Feed([]byte("\r\n\r\nGET /after HTTP/1.1\r\n\r\n"), 0)
			if len(ev) != 2 || ev[0].Request == nil || ev[0].Request.Target != "/after" {
				t.Errorf("no recovery: %v", ev)
			}
			t.Logf("%d bytes allocated, %d skipped", alloc, st.Skipped)
		})
	}
	// The problem carries its class.
	p := NewRequestParser(&Options{MaxHeaders: 2})
	ev := p.Feed([]byte("GET / HTTP/1.1\r\na:1\r\nb:2\r\nc:3\r\n\r\n"), 0)
	if len(ev) != 1 || !errors.Is(ev[0].Err, ErrTooManyHeaders) {
		t.Errorf("events %v", ev)
	}
}

// TestSteadyAllocations pins what a parsed message costs: its Request or
// Response, one string for all of its head, its Headers, and a response's
// body evidence; nothing per byte. A parser costs a few more once, for
// its buffers.
func TestSteadyAllocations(t *testing.T) {
	req := []byte("GET /api/v2/users/me HTTP/1.1\r\nHost: edge:8080\r\nAccept: application/json\r\nX-Request-Id: 42\r\n\r\n")
	up := []byte("GET /ws HTTP/1.1\r\nHost: edge:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	resp := []byte("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 20\r\nRetry-After: 5\r\n\r\n01234567890123456789")
	p := NewRequestParser(nil)
	p.Feed(req, 0)
	if n := testing.AllocsPerRun(100, func() { p.Feed(req, 0) }); n > 4 { // + TraceIDs
		t.Errorf("request: %v allocations", n)
	}
	if n := testing.AllocsPerRun(100, func() {
		p := NewRequestParser(nil)
		p.Feed(up, 0)
		p.Answer(101, 0)
	}); n > 9 {
		t.Errorf("new parser, upgrade request, answer: %v allocations", n)
	}
	s := NewResponseParser(nil)
	s.ExpectMethod("GET")
	s.Feed(resp, 0)
	if n := testing.AllocsPerRun(100, func() {
		s.ExpectMethod("GET")
		s.Feed(resp, 0)
	}); n > 4 {
		t.Errorf("response: %v allocations", n)
	}
}
