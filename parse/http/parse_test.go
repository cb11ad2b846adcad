package http

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

type streamCase struct {
	name string
	resp bool
	opts *Options
	ops  []op
}

const wsReq = "GET /chat HTTP/1.1\r\nHost: edge.example:8080\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sip\r\n" +
	"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"

// A masked client text frame ("Hello") from RFC 6455 §5.7.
const wsFrame = "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"

var streamCases = []streamCase{
	// Requests.
	{name: "req-simple", ops: []op{feed("GET /index.html HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t\r\n\r\n")}},
	{name: "req-pipelined", ops: []op{feed("GET /a HTTP/1.1\r\nHost: h\r\n\r\n" +
		"POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world" +
		"\r\n" + // a stray CRLF between messages, which RFC 9112 tells servers to ignore
		"GET /c HTTP/1.0\r\n\r\n")}},
	{name: "req-chunked", ops: []op{feed("POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n" +
		"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: abc\r\nX-More: 1\r\n\r\n" +
		"GET /next HTTP/1.1\r\n\r\n")}},
	{name: "req-connect", ops: []op{
		feed("CONNECT edge.example:443 HTTP/1.1\r\nHost: edge.example:443\r\n\r\n\x16\x03\x01\x00\x05hello"),
		answer(200), feed("\x16\x03\x01more")}},
	{name: "req-ws-answered", ops: []op{feed(wsReq), answer(101), feed(wsFrame), gap(10), feed(wsFrame), closeOp()}},
	{name: "req-ws-early-bytes", ops: []op{feed(wsReq + wsFrame), gap(3), feed(wsFrame), answer(101), feed(wsFrame)}},
	{name: "req-ws-refused", ops: []op{feed(wsReq), answer(503), feed("GET /again HTTP/1.1\r\nHost: h\r\n\r\n")}},
	{name: "req-ws-refused-late", ops: []op{feed(wsReq + "GET /again HTTP/1.1\r\nHost: h\r\n\r\n"), answer(100), answer(429)}},
	{name: "req-ws-pipelined-answers", ops: []op{feed("GET /a HTTP/1.1\r\n\r\n" + wsReq + wsFrame), answer(200), answer(101)}},
	{name: "req-ws-guess-switch", ops: []op{feed(wsReq + wsFrame + wsFrame), closeOp()}},
	{name: "req-ws-guess-http", ops: []op{feed(wsReq + "GET /x HTTP/1.1\r\n\r\n"), closeOp()}},
	{name: "req-ws-guess-full", opts: &Options{MaxHeaderBytes: 1024}, ops: []op{feed(wsReq + strings.Repeat(wsFrame, 120))}},
	{name: "req-upgrade-h2c-refused", ops: []op{feed("GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n"),
		answer(200), feed("GET /2 HTTP/1.1\r\n\r\n")}},
	{name: "req-upgrade-body-answer-first", ops: []op{feed("POST /up HTTP/1.1\r\nUpgrade: websocket\r\nConnection: upgrade\r\nContent-Length: 4\r\n\r\nab"),
		answer(101), feed("cd" + wsFrame)}},
	{name: "req-h2-preface", ops: []op{feed("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")}},
	{name: "req-junk-before", ops: []op{feed("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03junk\r\nmore junk\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n")}},
	{name: "req-bad-line-then-good", ops: []op{feed("GET/ HTTP/1.1\r\nHost: www.google.com\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n")}},
	{name: "req-no-version", ops: []op{feed("OPTIONS HTTP/1.1\nHost: www.google.com\n\nGET /HTTP/1.1\nHost: x\n\n")}},
	{name: "req-not-token-method", ops: []op{feed("\xc3\x83\xc3\x82\xc3\x83 / HTTP/1.\nHost: www.google.com\n\n")}},
	{name: "req-te-not-chunked", ops: []op{feed("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nxxxx\r\nGET /after HTTP/1.1\r\n\r\n")}},
	{name: "req-cl-conflict", ops: []op{feed("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!GET /after HTTP/1.1\r\n\r\n")}},
	{name: "req-cl-list", ops: []op{feed("POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\nhelloGET /after HTTP/1.1\r\n\r\n")}},
	{name: "req-cl-bad", ops: []op{feed("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\nGET /after HTTP/1.1\r\n\r\n")}},
	{name: "req-cl-overflow", ops: []op{feed("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\nGET /after HTTP/1.1\r\n\r\n")}},
	{name: "req-header-too-large", ops: []op{feed("GET / HTTP/1.1\r\nX-Big: " + strings.Repeat("a", 70000) + "\r\nHost: h\r\n\r\nGET /after HTTP/1.1\r\n\r\n")}},
	{name: "req-endless-headers", ops: []op{feed("GET / HTTP/1.1\r\n" + strings.Repeat("X-A: b\r\n", 12000)), closeOp()}},
	{name: "req-too-many-headers", opts: &Options{MaxHeaders: 10}, ops: []op{feed("GET / HTTP/1.1\r\n" + strings.Repeat("X-A: b\r\n", 11) + "\r\nGET /after HTTP/1.1\r\n\r\n")}},
	{name: "req-odd-headers", ops: []op{feed("GET / HTTP/1.1\r\nHost : h\r\nNoColon\r\nX-Folded: one\r\n two\r\n\tthree\r\nHost: second\r\nUpgrade: a\r\nUpgrade: b\r\n\r\n")}},
	{name: "req-trace", ops: []op{feed("GET / HTTP/1.1\r\nX-Trace-Id: t1\r\nx-request-id: r1\r\nININ-Correlation-Id: c1\r\n" +
		"traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\nX-Amzn-Trace-Id: Root=1-5759e988\r\n" +
		"X-B3-TraceId: 80f198ee56343ba8\r\nX-Correlation-ID: c2\r\nX-Other: no\r\nTrace-Id-Not: no\r\n\r\n")}},
	{name: "req-trace-bad-traceparent", ops: []op{feed("GET / HTTP/1.1\r\ntraceparent: 00-00000000000000000000000000000000-00f067aa0ba902b7-01\r\nTraceparent: junk\r\n\r\n")}},
	{name: "req-trace-custom", opts: &Options{TraceHeaders: []string{"X-My-Id", "*-span"}}, ops: []op{feed("GET / HTTP/1.1\r\nX-Trace-Id: no\r\nx-my-id: yes\r\nX-Parent_Span: yes\r\n\r\n")}},
	{name: "req-gap-in-body", ops: []op{feed("POST / HTTP/1.1\r\nContent-Length: 20\r\n\r\n12345"), gap(10), feed("67890GET /n HTTP/1.1\r\n\r\n")}},
	{name: "req-gap-past-body", ops: []op{feed("POST / HTTP/1.1\r\nContent-Length: 20\r\n\r\n12345"), gap(30), feed("ost: h\r\n\r\nGET /n HTTP/1.1\r\n\r\n")}},
	{name: "req-gap-exact-body", ops: []op{feed("POST / HTTP/1.1\r\nContent-Length: 20\r\n\r\n12345"), gap(15), feed("GET /n HTTP/1.1\r\n\r\n")}},
	{name: "req-gap-in-head", ops: []op{feed("GET /a HTTP/1.1\r\nHo"), gap(100), feed("st: x\r\n\r\nGET /b HTTP/1.1\r\n\r\n")}},
	{name: "req-gap-between", ops: []op{feed("GET /a HTTP/1.1\r\n\r\n"), gap(100), feed("GET /b HTTP/1.1\r\n\r\n")}},
	{name: "req-gap-in-chunk", ops: []op{feed("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\na\r\n01"), gap(5), feed("789\r\n0\r\n\r\nGET /n HTTP/1.1\r\n\r\n")}},
	{name: "req-gap-across-chunk", ops: []op{feed("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\na\r\n01"), gap(50), feed("\r\n0\r\n\r\nGET /n HTTP/1.1\r\n\r\n")}},
	{name: "req-close-in-head", ops: []op{feed("GET / HTTP/1.1\r\nHost: h\r\n"), closeOp(), feed("ignored")}},
	{name: "req-close-in-body", ops: []op{feed("POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc"), closeOp()}},
	{name: "req-huge-cl-gap", ops: []op{feed("POST / HTTP/1.1\r\nContent-Length: 1073741824\r\n\r\nfirst"), gap(1073741824 - 10), feed("last!GET /n HTTP/1.1\r\n\r\n")}},
	{name: "req-sip-is-not-http", ops: []op{feed("OPTIONS sip:edge SIP/2.0\r\nVia: SIP/2.0/TCP x\r\n\r\n")}},

	// Responses.
	{name: "resp-simple", resp: true, ops: []op{expect("GET"), feed("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Request-Id: abc\r\n\r\nhello")}},
	{name: "resp-503", resp: true, ops: []op{expect("GET"), feed("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 120\r\nContent-Type: text/html\r\nContent-Length: 312\r\n\r\n" +
		"<html><body>" + strings.Repeat("busy ", 57) + "</body></html>\n")}},
	{name: "resp-429-date", resp: true, ops: []op{expect("GET"), feed("HTTP/1.1 429 Too Many Requests\r\nDate: Wed, 25 Nov 2026 10:00:41 GMT\r\nRetry-After: Wed, 25 Nov 2026 10:01:11 GMT\r\nContent-Length: 0\r\n\r\n"),
		expect("GET"), feed("HTTP/1.1 429 Too Many Requests\r\nRetry-After: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: 0\r\n\r\n"),
		expect("GET"), feed("HTTP/1.1 429 Too Many Requests\r\nRetry-After: soon\r\nContent-Length: 0\r\n\r\n"),
		expect("GET"), feed("HTTP/1.1 503 Busy\r\nDate: Sunday, 06-Nov-94 08:49:37 GMT\r\nRetry-After: Sun Nov  6 08:50:37 1994\r\nContent-Length: 0\r\n\r\n")}},
	{name: "resp-chunked", resp: true, ops: []op{expect("GET"), expect("GET"), feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
		"1A; name=value\r\nabcdefghijklmnopqrstuvwxyz\r\n10\r\n1234567890123456\r\n0\r\nTrailer-Field: x\r\n\r\n" +
		"HTTP/1.1 204 No Content\r\n\r\n")}},
	{name: "resp-until-close", resp: true, ops: []op{expect("GET"), feed("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nall of this "), feed("is body\r\nHTTP/1.1 200 OK\r\n\r\n"), gap(4), feed("end"), closeOp()}},
	{name: "resp-te-gzip-until-close", resp: true, ops: []op{expect("GET"), feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n\x1f\x8b\x08\x00"), closeOp()}},
	{name: "resp-head", resp: true, ops: []op{expect("HEAD"), expect("GET"), feed("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")}},
	{name: "resp-no-body-codes", resp: true, ops: []op{expect("GET"), expect("GET"), feed("HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n")}},
	{name: "resp-100-continue", resp: true, ops: []op{expect("POST"), feed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok")}},
	{name: "resp-101", resp: true, ops: []op{expect("GET"), feed("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: sip\r\n\r\n\x81\x05Hello"), gap(7), feed("\x81\x05Hello"), closeOp()}},
	{name: "resp-101-empty-reason", resp: true, ops: []op{feed("HTTP/1.1 101 \r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n\r\n")}},
	{name: "resp-no-reason", resp: true, ops: []op{feed("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n")}},
	{name: "resp-connect-tunnel", resp: true, ops: []op{expect("CONNECT"), feed("HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x03\x00\x02hi")}},
	{name: "resp-connect-refused", resp: true, ops: []op{expect("CONNECT"), feed("HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 3\r\n\r\nno!HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")}},
	{name: "resp-chunk-overflow", resp: true, ops: []op{feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\nxx\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")}},
	{name: "resp-chunk-is-status", resp: true, ops: []op{feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nHTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n")}},
	{name: "resp-chunk-no-crlf", resp: true, ops: []op{feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcdHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")}},
	{name: "resp-chunk-line-long", resp: true, ops: []op{feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;" + strings.Repeat("e", 5000) + "\r\nx\r\n0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")}},
	{name: "resp-trailer-endless", resp: true, opts: &Options{MaxHeaderBytes: 2048}, ops: []op{feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + strings.Repeat("T: x\r\n", 500) + "\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")}},
	{name: "resp-gap-in-chunk-line", resp: true, ops: []op{feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"), gap(4), feed("\r\nabcd\r\n0\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n")}},
	{name: "resp-junk", resp: true, ops: []op{feed("garbage\r\nHTTP/1.1 junk\r\nhttp/1.1 200 OK\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")}},
	{name: "resp-unmatched", resp: true, ops: []op{feed("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), expect("GET"), feed("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")}},
	{name: "resp-evidence-after-gap", resp: true, opts: &Options{BodyEvidence: 8}, ops: []op{feed("HTTP/1.1 500 Internal\r\nContent-Length: 30\r\n\r\nabc"), gap(5), feed(strings.Repeat("z", 22))}},
	{name: "resp-no-evidence", resp: true, opts: &Options{BodyEvidence: -1}, ops: []op{feed("HTTP/1.1 500 Internal\r\nContent-Length: 3\r\n\r\nabc")}},
}

// TestStreams plays each case whole, a byte at a time and in random
// pieces: every way of cutting the input must give the same events, which
// the golden file pins.
func TestStreams(t *testing.T) {
	for _, c := range streamCases {
		t.Run(c.name, func(t *testing.T) {
			want := run(t, c.resp, c.opts, c.ops, whole)
			if got := run(t, c.resp, c.opts, c.ops, bytewise); got != want {
				t.Errorf("byte at a time:\n%s\nwhole:\n%s", got, want)
			}
			for seed := uint64(1); seed <= 20; seed++ {
				if got := run(t, c.resp, c.opts, c.ops, randomSplits(seed)); got != want {
					t.Fatalf("random splits (seed %d):\n%s\nwhole:\n%s", seed, got, want)
				}
			}
			golden(t, c.name, want)
		})
	}
}

// TestTimes checks that a message carries the time of its first byte and
// its end the time of its last.
func TestTimes(t *testing.T) {
	p := NewRequestParser(nil)
	p.Feed([]byte("\r\nPOST / HTTP/1.1\r\n"), 10)
	p.Feed([]byte("Content-Length: 3\r\n\r\na"), 20)
	ev := p.Feed([]byte("bc"), 30)
	if len(ev) != 1 || ev[0].Kind != KindEnd {
		t.Fatalf("events %+v", ev)
	}
	r := ev[0].Request
	if r.Time != 10 || r.Offset != 2 || r.Body.EndTime != 30 || ev[0].Time != 30 {
		t.Errorf("time %d offset %d end time %d event time %d", r.Time, r.Offset, r.Body.EndTime, ev[0].Time)
	}
}

func TestAcceptKey(t *testing.T) {
	// RFC 6455 §1.3's example.
	if got := AcceptKey("dGhlIHNhbXBsZSBub25jZQ=="); got != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Errorf("AcceptKey = %q", got)
	}
	req := &Request{Upgrade: "websocket", Connection: "Upgrade", WebSocketKey: "dGhlIHNhbXBsZSBub25jZQ=="}
	ok := &Response{Code: 101, Upgrade: "WebSocket", Connection: "upgrade", WebSocketAccept: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="}
	if !IsWebSocketUpgrade(req) || !ValidAccept(req, ok) {
		t.Error("RFC example handshake not accepted")
	}
	for _, bad := range []Response{
		{Code: 200, Upgrade: "websocket", Connection: "upgrade", WebSocketAccept: ok.WebSocketAccept},
		{Code: 101, Upgrade: "h2c", Connection: "upgrade", WebSocketAccept: ok.WebSocketAccept},
		{Code: 101, Upgrade: "websocket", Connection: "close", WebSocketAccept: ok.WebSocketAccept},
		{Code: 101, Upgrade: "websocket", Connection: "upgrade", WebSocketAccept: "wrong="},
	} {
		if ValidAccept(req, &bad) {
			t.Errorf("accepted %+v", bad)
		}
	}
	if IsWebSocketUpgrade(&Request{Upgrade: "tcp", Connection: "Upgrade"}) || IsWebSocketUpgrade(nil) {
		t.Error("non-websocket upgrade taken for one")
	}
}

func TestLooks(t *testing.T) {
	for _, c := range []struct {
		b         string
		req, resp bool
	}{
		{"GET / HTTP/1.1\r\n", true, false},
		{"GET /", true, false},
		{"GET http://x", true, false},
		{"GET ht", true, false},
		{"CONNECT host:443", true, false},
		{"OPTIONS * HTTP/1.1\r\nHost: x\r\n", true, false},
		{"OPTIONS sip:x SIP/2.0\r\n", false, false},
		{"OPTIONS sip:x", false, false},
		{"INVITE sip:x SIP/2.0\r\n", false, false},
		{"FOO / HTTP/1.1\r\n", true, false},
		{"get / HTTP/1.1\r\n", false, false},
		{"GET / HTTP/1.1", true, false},
		{"\x16\x03\x01\x00", false, false},
		{"HTTP/1.1 200 OK\r\n", false, true},
		{"HTTP/1.1 101", false, true},
		{"HTTP/1.1 101 ", false, true},
		{"HTTP/1.1 10", false, false},
		{"HTTP/1.1 2000", false, false},
		{"SIP/2.0 200 OK\r\n", false, false},
		{"", false, false},
	} {
		if got := LooksLikeRequest([]byte(c.b)); got != c.req {
			t.Errorf("LooksLikeRequest(%q) = %v", c.b, got)
		}
		if got := LooksLikeResponse([]byte(c.b)); got != c.resp {
			t.Errorf("LooksLikeResponse(%q) = %v", c.b, got)
		}
	}
}

// TestErrorText pins the message format the capture stage will show.
func TestErrorText(t *testing.T) {
	e := &Error{Offset: 42, Reason: "bad request line", Err: ErrStartLine}
	if got := fmt.Sprint(e); got != "http: offset 42: bad request line" {
		t.Error(got)
	}
}

// TestLowerEq: lowerEq says what strings.EqualFold says of a name and a
// lower-case ASCII name of the same length, for every byte in every place
// of names shorter than, as long as and longer than a word, and for the
// runes outside ASCII that fold into ASCII; hasToken, which takes tokens
// of any length, still agrees with EqualFold on those.
func TestLowerEq(t *testing.T) {
	eq := func(s, lower string) {
		t.Helper()
		if got, want := lowerEq(s, lower), len(s) == len(lower) && strings.EqualFold(s, lower); got != want {
			t.Errorf("lowerEq(%+q, %q) = %v, want %v", s, lower, got, want)
		}
	}
	for _, lower := range []string{"te", "host", "upgrade", "x-trace-id", "sec-websocket-key", "sec-websocket-extensions", "ab@[`{z"} {
		for i := range len(lower) {
			for c := range 256 {
				eq(lower[:i]+string([]byte{byte(c)})+lower[i+1:], lower)
			}
		}
	}
	for _, c := range []struct {
		s, lower string
		token    bool // hasToken(s, lower)
	}{
		{"Sec-WebSocket-Key", "sec-websocket-key", true},
		{"SEC-WEBSOCKET-KEY", "sec-websocket-key", true},
		{"Sec-WebSocket-Ke", "sec-websocket-key", false},
		{"Sec-WebSocket-\u212aey", "sec-websocket-key", true}, // the Kelvin sign folds to k
		{"\u017fec-websocket-ke", "sec-websocket-key", false}, // ſ folds to s, "ke" is not "key"
		{"web\u017focket", "websocket", true},
		{"websocket\u212a", "websocket", false},
		{"", "", true}, // an empty element is an empty token
	} {
		eq(c.s, c.lower)
		if got := hasToken("keep-alive, "+c.s, c.lower); got != c.token {
			t.Errorf("hasToken(%+q, %q) = %v, want %v", "keep-alive, "+c.s, c.lower, got, c.token)
		}
	}
}

// TestValidTarget: validTarget, which looks at eight bytes at a time,
// says what the rule says (no byte up to the space, no DEL) for every
// byte in every place of targets shorter than, as long as and longer than
// a word, and with several bad bytes.
func TestValidTarget(t *testing.T) {
	rule := func(b []byte) bool {
		for _, c := range b {
			if c <= ' ' || c == 0x7f {
				return false
			}
		}
		return len(b) > 0
	}
	check := func(b []byte) {
		t.Helper()
		if got, want := validTarget(b), rule(b); got != want {
			t.Errorf("validTarget(%q) = %v, want %v", b, got, want)
		}
	}
	eachByteAt("/a\x80~!", 0x7f, check)
}

// TestValidReason: validReason, which looks at eight bytes at a time and
// at the bytes of a word only when the word may hold a bad one, says what
// the rule says (no control byte but tab, no DEL) for every byte in every
// place of reasons shorter than, as long as and longer than a word.
func TestValidReason(t *testing.T) {
	rule := func(b []byte) bool {
		for _, c := range b {
			if c < ' ' && c != '\t' || c == 0x7f {
				return false
			}
		}
		return true
	}
	check := func(b []byte) {
		t.Helper()
		if got, want := validReason(b), rule(b); got != want {
			t.Errorf("validReason(%q) = %v, want %v", b, got, want)
		}
	}
	eachByteAt("OK \x80~\t", '\t', check)
}

// eachByteAt calls check on nothing, then on texts made of unit repeated,
// shorter than, as long as and longer than a word, with every byte value
// in every place, alone and with also second at the mirror place: what a
// reader that takes eight bytes at a time must judge as a byte loop does.
func eachByteAt(unit string, second byte, check func([]byte)) {
	check(nil)
	for _, n := range []int{1, 7, 8, 9, 16, 17, 23} {
		base := []byte(strings.Repeat(unit, 5)[:n])
		check(base)
		for i := range n {
			for c := range 256 {
				b := bytes.Clone(base)
				b[i] = byte(c)
				check(b)
				b[n-1-i] = second
				check(b)
			}
		}
	}
}
