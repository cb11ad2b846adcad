package sip

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// crlf turns a readable message written with "\n" into the CRLF wire form.
func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// The INVITE a JMeter SIP sampler or SIPp sends to a trunk edge, with SDP.
var inviteSDP = crlf(`INVITE sip:+14155550123@edge.example.net:5060;transport=udp SIP/2.0
Via: SIP/2.0/UDP 10.20.30.40:5060;branch=z9hG4bK-524287-1---4f6c2a1b9d3e;rport
Max-Forwards: 70
Contact: <sip:loadgen@10.20.30.40:5060;transport=udp>
To: <sip:+14155550123@edge.example.net>
From: "Load Gen 17" <sip:loadgen17@10.20.30.40>;tag=6e3a2c91
Call-ID: 3c26b5f0a7e14c1d9b0e8f7a6d5c4b3a@10.20.30.40
CSeq: 1 INVITE
Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, SUBSCRIBE
Content-Type: application/sdp
Supported: replaces, norefersub, timer
User-Agent: Apache JMeter SIP sampler 5.6.3
X-Inin-Cnv: 0b6f3a4e-8c1d-4e2f-9a7b-5c6d7e8f9a0b
Session-Expires: 1800
Content-Length: 212

v=0
o=- 3891234567 3891234567 IN IP4 10.20.30.40
s=jmeter
c=IN IP4 10.20.30.40
t=0 0
m=audio 40000 RTP/AVP 0 8 101
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=sendrecv
`)

// The 200 OK an SBC answers it with.
var ok200 = crlf(`SIP/2.0 200 OK
Via: SIP/2.0/UDP 10.20.30.40:5060;branch=z9hG4bK-524287-1---4f6c2a1b9d3e;rport=5060;received=10.20.30.40
Record-Route: <sip:192.0.2.10;lr;ftag=6e3a2c91>
To: <sip:+14155550123@edge.example.net>;tag=as5f2e9c1d
From: "Load Gen 17" <sip:loadgen17@10.20.30.40>;tag=6e3a2c91
Call-ID: 3c26b5f0a7e14c1d9b0e8f7a6d5c4b3a@10.20.30.40
CSeq: 1 INVITE
Server: edge-sbc 4.2
Contact: <sip:+14155550123@192.0.2.10:5060>
Content-Length: 0

`)

var service503 = crlf(`SIP/2.0 503 Service Unavailable
Via: SIP/2.0/TCP 10.20.30.40:5060;branch=z9hG4bK77;received=198.51.100.7;rport=40122
To: <sip:+14155550123@edge.example.net>;tag=srv-1
From: <sip:loadgen17@10.20.30.40>;tag=6e3a2c91
Call-ID: overload-1@10.20.30.40
CSeq: 7 INVITE
Reason: Q.850;cause=34;text="No circuit/channel available"
Reason: SIP ;cause=503 ;text="Service, \"Unavailable\""
Retry-After: 120 (overloaded);duration=3600
Warning: 399 edge.example.net "session limit reached"
Warning: 370 edge.example.net "Insufficient bandwidth"
P-Asserted-Identity: "Edge, Inc" <sip:edge@example.net>, <tel:+14155550000>
Content-Length: 0

`)

type parseCase struct {
	name  string
	in    string
	opts  *Options
	check func(t *testing.T, m *Message, n int, err error)
}

func wantNoErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("err = %v, want nil", err)
	}
}

func wantErr(t *testing.T, err, sentinel error, reason string) {
	t.Helper()
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want a *ParseError", err)
	}
	if sentinel != nil && !errors.Is(err, sentinel) {
		t.Errorf("err = %v, want it to wrap %v", err, sentinel)
	}
	if sentinel == nil && pe.Err != nil {
		t.Errorf("err wraps %v, want a plain error", pe.Err)
	}
	if !strings.Contains(pe.Reason, reason) {
		t.Errorf("reason = %q, want it to contain %q", pe.Reason, reason)
	}
}

func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

var datagram = &Options{Datagram: true}

var parseCases = []parseCase{
	{name: "invite_sdp", in: inviteSDP, check: func(t *testing.T, m *Message, n int, err error) {
		wantNoErr(t, err)
		eq(t, "n", n, len(inviteSDP))
		eq(t, "Method", m.Method, "INVITE")
		eq(t, "RequestURI", m.RequestURI, "sip:+14155550123@edge.example.net:5060;transport=udp")
		eq(t, "CSeq", m.CSeq, 1)
		eq(t, "FromTag", m.FromTag, "6e3a2c91")
		eq(t, "Via.Branch", m.Via.Branch, "z9hG4bK-524287-1---4f6c2a1b9d3e")
		eq(t, "Via.RPort", m.Via.RPort, "-")
		eq(t, "len(Body)", len(m.Body), 212)
		eq(t, "Correlation", fmt.Sprint(m.Correlation), "[{X-Inin-Cnv 0b6f3a4e-8c1d-4e2f-9a7b-5c6d7e8f9a0b}]")
	}},
	{name: "ok_200", in: ok200, check: func(t *testing.T, m *Message, n int, err error) {
		wantNoErr(t, err)
		eq(t, "StatusCode", m.StatusCode, 200)
		eq(t, "Reason", m.Reason, "OK")
		eq(t, "ToTag", m.ToTag, "as5f2e9c1d")
		eq(t, "Via.Received", m.Via.Received, "10.20.30.40")
		eq(t, "Via.RPort", m.Via.RPort, "5060")
		eq(t, "Body", m.Body != nil && len(m.Body) == 0, true)
	}},
	{name: "service_unavailable", in: service503, check: func(t *testing.T, m *Message, n int, err error) {
		wantNoErr(t, err)
		eq(t, "StatusCode", m.StatusCode, 503)
		eq(t, "RetryAfter", m.RetryAfter, 120)
		eq(t, "ReasonHeader", m.ReasonHeader, `Q.850;cause=34;text="No circuit/channel available", SIP ;cause=503 ;text="Service, \"Unavailable\""`)
		c, ok := m.Cause("q.850")
		eq(t, "Q.850 ok", ok, true)
		eq(t, "Q.850", c, Cause{Protocol: "Q.850", Code: 34, Text: "No circuit/channel available"})
		c, ok = m.Cause("SIP")
		eq(t, "SIP ok", ok, true)
		eq(t, "SIP cause", c, Cause{Protocol: "SIP", Code: 503, Text: `Service, "Unavailable"`})
		eq(t, "Warning", m.Warning, `399 edge.example.net "session limit reached", 370 edge.example.net "Insufficient bandwidth"`)
		eq(t, "PAssertedIdentity", m.PAssertedIdentity, `"Edge, Inc" <sip:edge@example.net>`)
		eq(t, "Via.Transport", m.Via.Transport, "TCP")
		eq(t, "Via.RPort", m.Via.RPort, "40122")
	}},
	{name: "compact_forms", in: crlf(`BYE sip:bob@192.0.2.4 SIP/2.0
v: SIP/2.0/UDP pc33.example.com;branch=z9hG4bKnashds7
t: Bob <sip:bob@example.com>;tag=a6c85cf
f: Alice <sip:alice@example.com>;tag=1928301774
i: a84b4c76e66710@pc33.example.com
CSeq: 231 BYE
m: <sip:alice@pc33.example.com>
c: text/plain
l: 5
k: timer
s: hello
e: gzip
o: presence
r: <sip:carol@example.com>
x: 1800
u: talk
b: <sip:dave@example.com>
j: *;audio
a: *;video
d: proxy
y: abc
n: <https://example.com/cert>

hello`), check: func(t *testing.T, m *Message, n int, err error) {
		wantNoErr(t, err)
		eq(t, "CallID", m.CallID, "a84b4c76e66710@pc33.example.com")
		eq(t, "FromTag", m.FromTag, "1928301774")
		eq(t, "ToTag", m.ToTag, "a6c85cf")
		eq(t, "Via.SentBy", m.Via.SentBy, "pc33.example.com")
		eq(t, "Contact", m.Contact, "<sip:alice@pc33.example.com>")
		eq(t, "ContentType", m.ContentType, "text/plain")
		eq(t, "Body", string(m.Body), "hello")
		eq(t, "Headers", m.Headers, 21)
	}},
	{name: "compact_correlation", in: crlf(`OPTIONS sip:edge SIP/2.0
i: x
CSeq: 1 OPTIONS
o: dialog
l: 0

`), opts: &Options{CorrelationHeaders: []string{"event"}}, check: func(t *testing.T, m *Message, n int, err error) {
		wantNoErr(t, err)
		eq(t, "Correlation", fmt.Sprint(m.Correlation), "[{o dialog}]")
	}},
	{name: "case_insensitive_names", in: crlf(`INVITE sip:a@b SIP/2.0
vIA: SIP/2.0/udp h;BRANCH=z9hG4bK1;Received=1.2.3.4;RPORT=9
FROM: <sip:x@y>;TAG=f1
to: <sip:a@b>
cALL-iD: ci
cseq: 2 INVITE
CONTENT-LENGTH: 0

`), check: func(t *testing.T, m *Message, n int, err error) {
		wantNoErr(t, err)
		eq(t, "Via", m.Via, Via{Transport: "UDP", SentBy: "h", Branch: "z9hG4bK1", Received: "1.2.3.4", RPort: "9"})
		eq(t, "FromTag", m.FromTag, "f1")
		eq(t, "CallID", m.CallID, "ci")
	}},
	{name: "folded_lines", in: crlf(`INVITE sip:a@b SIP/2.0
Via: SIP/2.0/UDP h1;branch=z9hG4bK1,
	SIP/2.0/UDP h2;branch=z9hG4bK2
Subject: I know you're there,
   pick up the phone
   and talk to me!
From: "A"
 <sip:a@x>
  ;tag=folded
To: <sip:a@b>
Call-ID:
 folded-call-id
CSeq: 5
  INVITE
Content-Length:
 3

abc`), check: func(t *testing.T, m *Message, n int, err error) {
		wantNoErr(t, err)
		eq(t, "ViaCount", m.ViaCount, 2)
		eq(t, "Via.Branch", m.Via.Branch, "z9hG4bK1")
		eq(t, "From", m.From, `"A" <sip:a@x> ;tag=folded`)
		eq(t, "FromTag", m.FromTag, "folded")
		eq(t, "CallID", m.CallID, "folded-call-id")
		eq(t, "CSeqMethod", m.CSeqMethod, "INVITE")
		eq(t, "ContentLength", m.ContentLength, 3)
		eq(t, "Body", string(m.Body), "abc")
		eq(t, "Headers", m.Headers, 7)
	}},
	{name: "multiple_via", in: crlf(`SIP/2.0 180 Ringing
Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bK1;received="192.0.2.1" , SIP/2.0/TCP [2001:db8::9]:5070;branch=z9hG4bK2
v: SIP / 2.0 / SCTP last.example.com ;branch=z9hG4bK3
Via: SIP/2.0/TLS a;x="quoted, comma";branch=z9hG4bK4,,
To: <sip:a@b>;tag=t
From: <sip:c@d>;tag=f
Call-ID: mv
CSeq: 1 INVITE
Content-Length: 0

`), check: func(t *testing.T, m *Message, n int, err error) {
		wantNoErr(t, err)
		eq(t, "ViaCount", m.ViaCount, 4)
		eq(t, "Via", m.Via, Via{Transport: "UDP", SentBy: "proxy.example.com", Branch: "z9hG4bK1", Received: `"192.0.2.1"`})
		eq(t, "Reason", m.Reason, "Ringing")
	}},
	{name: "via_ipv6_spaces", in: crlf(`OPTIONS sip:[2001:db8::1]:5060 SIP/2.0
Via: SIP / 2.0 / udp   [2001:db8::9]:5070 ; branch = z9hG4bKv6 ; rport ; received=2001:db8::10 (a comment)
From: <sip:c@d>;tag=f
To: sip:[2001:db8::1]
Call-ID: v6@[2001:db8::9]
CSeq: 1 OPTIONS
Content-Length: 0

`), check: func(t *testing.T, m *Message, n int, err error) {
		wantNoErr(t, err)
		eq(t, "Via", m.Via, Via{Transport: "UDP", SentBy: "[2001:db8::9]:5070", Branch: "z9hG4bKv6", Received: "2001:db8::10 (a comment)", RPort: "-"})
		eq(t, "RequestURI", m.RequestURI, "sip:[2001:db8::1]:5060")
	}},
	{name: "quoted_commas", in: crlf(`REGISTER sip:registrar.example.com SIP/2.0
Via: SIP/2.0/UDP h;branch=z9hG4bKq
From: "Smith, John <boss>" <sip:john@example.com>;tag=q1
To: "Smith, John" <sip:john@example.com>
Contact: "Smith, John" <sip:john@192.0.2.4;a=1,2>;expires=3600, <sip:john@other>;q=0.5
Call-ID: quoted
CSeq: 9 REGISTER
Content-Length: 0

`), check: func(t *testing.T, m *Message, n int, err error) {
		wantNoErr(t, err)
		eq(t, "Contact", m.Contact, `"Smith, John" <sip:john@192.0.2.4;a=1,2>;expires=3600`)
		eq(t, "FromTag", m.FromTag, "q1")
		eq(t, "To", m.To, `"Smith, John" <sip:john@example.com>`)
	}},
	{name: "tag_inside_uri", in: crlf(`ACK sip:b@b SIP/2.0
Via: SIP/2.0/UDP h;branch=z9hG4bKt
From: <sip:a@a;tag=inside>
To: "x;tag=quoted" <sip:b@b;tag=inside>;foo=bar;TAG=outside
Call-ID: tags
CSeq: 1 ACK
Content-Length: 0

`), check: func(t *testing.T, m *Message, n int, err error) {
		wantNoErr(t, err)
		eq(t, "FromTag", m.FromTag, "")
		eq(t, "ToTag", m.ToTag, "outside")
	}},
	{name: "addr_spec_tag", in: crlf(`BYE sip:b@b SIP/2.0
Via: SIP/2.0/UDP h;branch=z9hG4bKa
From: sip:alice@example.com;tag=plain
To: sip:bob@example.com
Call-ID: addrspec
CSeq: 2 BYE
Content-Length: 0

`), check: func(t *testing.T, m *Message, n int, err error) {
		wantNoErr(t, err)
		eq(t, "FromTag", m.FromTag, "plain")
		eq(t, "ToTag", m.ToTag, "")
	}},
	{name: "lf_only", in: "INVITE sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bKlf\nCall-ID: lf\nCSeq: 1 INVITE\nContent-Length: 2\n\nhi", check: func(t *testing.T, m *Message, n int, err error) {
		wantNoErr(t, err)
		eq(t, "CallID", m.CallID, "lf")
		eq(t, "Body", string(m.Body), "hi")
		eq(t, "n", n, 107)
	}},
	{name: "mixed_line_endings", in: "SIP/2.0 100 Trying\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKm\nCall-ID: mixed\r\nCSeq: 1 INVITE\n\r\n", check: func(t *testing.T, m *Message, n int, err error) {
		wantNoErr(t, err)
		eq(t, "CallID", m.CallID, "mixed")
		eq(t, "n", n, 88)
	}},
	{name: "junk_same_line", in: "\x00\x00\x00\x00REGISTER sip:1.1.1.1:5060 SIP/2.0\r\nCall-ID: j\r\nCSeq: 1 REGISTER\r\n\r\n", opts: datagram, check: func(t *testing.T, m *Message, n int, err error) {
		wantNoErr(t, err)
		eq(t, "Method", m.Method, "REGISTER")
		eq(t, "Start", m.Start, 4)
		eq(t, "Skipped", m.Skipped, 4)
	}},
	{name: "junk_lines", in: "\r\n\r\nGET / HTTP/1.1\r\n\xff\xfe garbage\r\nSIP/2.0 486 Busy Here\r\nCall-ID: j2\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n", check: func(t *testing.T, m *Message, n int, err error) {
		wantNoErr(t, err)
		eq(t, "StatusCode", m.StatusCode, 486)
		eq(t, "Start", m.Start, 32)
		eq(t, "Skipped", m.Skipped, 28)
	}},
	{name: "leading_crlf", in: "\r\n\r\nOPTIONS sip:a SIP/2.0\r\nCall-ID: k\r\nCSeq: 1 OPTIONS\r\nl: 0\r\n\r\n", check: func(t *testing.T, m *Message, n int, err error) {
		wantNoErr(t, err)
		eq(t, "Start", m.Start, 4)
		eq(t, "Skipped", m.Skipped, 0)
		eq(t, "n", n, 64)
	}},
	{name: "keepalive_ping", in: "\r\n\r\n", check: func(t *testing.T, m *Message, n int, err error) {
		wantErr(t, err, ErrKeepAlive, "keep-alive")
		eq(t, "n", n, 4)
	}},
	{name: "keepalive_nul", in: "\x00\x00\x00\x00", opts: datagram, check: func(t *testing.T, m *Message, n int, err error) {
		wantErr(t, err, ErrKeepAlive, "keep-alive")
		eq(t, "n", n, 4)
	}},
	{name: "incomplete_empty", in: "", check: func(t *testing.T, m *Message, n int, err error) {
		wantErr(t, err, ErrIncomplete, "")
	}},
	{name: "empty_datagram", in: "", opts: datagram, check: func(t *testing.T, m *Message, n int, err error) {
		wantErr(t, err, nil, "empty")
	}},
	{name: "incomplete_start_line", in: "INVITE sip:a@b SIP/", check: func(t *testing.T, m *Message, n int, err error) {
		wantErr(t, err, ErrIncomplete, "start line")
		eq(t, "n", n, 0)
	}},
	{name: "incomplete_headers", in: inviteSDP[:200], check: func(t *testing.T, m *Message, n int, err error) {
		wantErr(t, err, ErrIncomplete, "headers")
		eq(t, "n", n, 0)
	}},
	{name: "incomplete_body", in: inviteSDP[:len(inviteSDP)-1], check: func(t *testing.T, m *Message, n int, err error) {
		wantErr(t, err, ErrIncomplete, "body has 211 of 212 bytes")
		eq(t, "n", n, 0)
	}},
	{name: "truncated_headers_datagram", in: inviteSDP[:200], opts: datagram, check: func(t *testing.T, m *Message, n int, err error) {
		wantErr(t, err, ErrTruncated, "headers not terminated")
		eq(t, "n", n, 200)
		eq(t, "Method", m.Method, "INVITE")
		eq(t, "FromTag", m.FromTag, "")
	}},
	{name: "truncated_body_datagram", in: inviteSDP[:len(inviteSDP)-35], opts: datagram, check: func(t *testing.T, m *Message, n int, err error) {
		wantErr(t, err, ErrTruncated, "content-length 212 exceeds datagram (177 bytes)")
		eq(t, "CallID", m.CallID, "3c26b5f0a7e14c1d9b0e8f7a6d5c4b3a@10.20.30.40")
		eq(t, "len(Body)", len(m.Body), 177)
		eq(t, "n", n, len(inviteSDP)-35)
	}},
	{name: "datagram_no_content_length", in: "MESSAGE sip:a SIP/2.0\r\nCall-ID: nocl\r\nCSeq: 1 MESSAGE\r\n\r\nrest of the datagram", opts: datagram, check: func(t *testing.T, m *Message, n int, err error) {
		wantNoErr(t, err)
		eq(t, "ContentLength", m.ContentLength, -1)
		eq(t, "Body", string(m.Body), "rest of the datagram")
		eq(t, "n", n, 77)
	}},
	{name: "stream_no_content_length", in: "MESSAGE sip:a SIP/2.0\r\nCall-ID: nocl\r\nCSeq: 1 MESSAGE\r\n\r\nOPTIONS sip:b SIP/2.0\r\n", check: func(t *testing.T, m *Message, n int, err error) {
		wantNoErr(t, err)
		eq(t, "len(Body)", len(m.Body), 0)
		eq(t, "n", n, 57)
	}},
	{name: "datagram_extra_bytes", in: "BYE sip:a SIP/2.0\r\nCall-ID: x\r\nCSeq: 1 BYE\r\nl: 2\r\n\r\nokEXTRA", opts: datagram, check: func(t *testing.T, m *Message, n int, err error) {
		wantNoErr(t, err)
		eq(t, "Body", string(m.Body), "ok")
		eq(t, "n", n, 54)
	}},
	{name: "bad_content_length", in: "INVITE sip:bob@10.0.0.2 SIP/2.0\r\nCall-ID: a84b4c76e66710@10.0.0.1\r\nCSeq: 1 INVITE\r\nContent-Length: bad\r\n\r\n", opts: datagram, check: func(t *testing.T, m *Message, n int, err error) {
		wantErr(t, err, nil, `bad Content-Length "bad"`)
		eq(t, "CallID", m.CallID, "a84b4c76e66710@10.0.0.1")
		eq(t, "ContentLength", m.ContentLength, -1)
	}},
	{name: "huge_content_length_stream", in: "INVITE sip:a SIP/2.0\r\nCall-ID: huge\r\nCSeq: 1 INVITE\r\nContent-Length: 99999999999999999999999\r\n\r\nsome", check: func(t *testing.T, m *Message, n int, err error) {
		wantErr(t, err, nil, "exceeds the 1048576-byte limit")
		eq(t, "CallID", m.CallID, "huge")
		eq(t, "n", n, 96)
	}},
	{name: "huge_content_length_datagram", in: "INVITE sip:a SIP/2.0\r\nCall-ID: huge\r\nCSeq: 1 INVITE\r\nl: 4294967296\r\n\r\nsome", opts: datagram, check: func(t *testing.T, m *Message, n int, err error) {
		wantErr(t, err, ErrTruncated, "content-length 4294967296 exceeds datagram (4 bytes)")
		eq(t, "Body", string(m.Body), "some")
	}},
	{name: "conflicting_content_length", in: "INVITE sip:a SIP/2.0\r\nCall-ID: cl2\r\nCSeq: 1 INVITE\r\nContent-Length: 1\r\nl: 2\r\n\r\nab", opts: datagram, check: func(t *testing.T, m *Message, n int, err error) {
		wantErr(t, err, nil, "conflicting Content-Length")
		eq(t, "Body", string(m.Body), "a")
	}},
	{name: "missing_call_id", in: "REGISTER sip:1.1.1.1:5060 SIP/2.0\r\nExpires: 3600\r\n\r\n", opts: datagram, check: func(t *testing.T, m *Message, n int, err error) {
		wantErr(t, err, nil, "missing Call-ID")
		eq(t, "Method", m.Method, "REGISTER")
	}},
	{name: "missing_cseq", in: "SIP/2.0 200 OK\r\nCall-ID: nocseq\r\n\r\n", opts: datagram, check: func(t *testing.T, m *Message, n int, err error) {
		wantErr(t, err, nil, "missing CSeq")
		eq(t, "CallID", m.CallID, "nocseq")
	}},
	{name: "bad_cseq", in: "SIP/2.0 200 OK\r\nCall-ID: badcseq\r\nCSeq: 99999999999 INVITE\r\n\r\n", opts: datagram, check: func(t *testing.T, m *Message, n int, err error) {
		wantErr(t, err, nil, "bad CSeq")
	}},
	{name: "bad_start_line_version", in: "INVITE sip:a@b SIP/3.0\r\nCall-ID: v3\r\nCSeq: 1 INVITE\r\n\r\n", opts: datagram, check: func(t *testing.T, m *Message, n int, err error) {
		wantErr(t, err, nil, "no SIP start line")
		eq(t, "m", m == nil, true)
		eq(t, "n", n, 55)
	}},
	{name: "bad_start_line_no_uri", in: "INVITE SIP/2.0\r\nCall-ID: nouri\r\nCSeq: 1 INVITE\r\n\r\n", opts: datagram, check: func(t *testing.T, m *Message, n int, err error) {
		wantErr(t, err, nil, "no SIP start line")
	}},
	{name: "status_out_of_range", in: "SIP/2.0 099 Odd\r\nCall-ID: odd\r\nCSeq: 1 INVITE\r\n\r\n", opts: datagram, check: func(t *testing.T, m *Message, n int, err error) {
		wantErr(t, err, nil, "status code 99 out of range")
		eq(t, "StatusCode", m.StatusCode, 99)
	}},
	{name: "status_without_reason", in: "SIP/2.0 408\r\nCall-ID: noreason\r\nCSeq: 1 INVITE\r\n\r\n", opts: datagram, check: func(t *testing.T, m *Message, n int, err error) {
		wantNoErr(t, err)
		eq(t, "StatusCode", m.StatusCode, 408)
		eq(t, "Reason", m.Reason, "")
	}},
	{name: "other_methods_and_uris", in: "FOO-BAR tel:+1-201-555-0123 sip/2.0\r\nCall-ID: foo\r\nCSeq: 3 FOO-BAR\r\n\r\n", opts: datagram, check: func(t *testing.T, m *Message, n int, err error) {
		wantNoErr(t, err)
		eq(t, "Method", m.Method, "FOO-BAR")
		eq(t, "RequestURI", m.RequestURI, "tel:+1-201-555-0123")
	}},
	{name: "header_without_colon", in: "SIP/2.0 200 OK\r\nCall-ID: nocolon\r\nThis is not a header\r\nCSeq: 1 INVITE\r\n\r\n", opts: datagram, check: func(t *testing.T, m *Message, n int, err error) {
		wantErr(t, err, nil, "header line without a colon")
		eq(t, "CSeq", m.CSeq, 1)
	}},
	{name: "too_many_headers", in: "SIP/2.0 200 OK\r\nCall-ID: many\r\nCSeq: 1 INVITE\r\nA: 1\r\nB: 2\r\nC: 3\r\nX-Trace-Id: late\r\n\r\n", opts: &Options{Datagram: true, MaxHeaders: 4}, check: func(t *testing.T, m *Message, n int, err error) {
		wantErr(t, err, nil, "more than 4 header fields")
		eq(t, "Headers", m.Headers, 4)
		eq(t, "Correlation", len(m.Correlation), 0)
	}},
	{name: "header_section_too_long", in: inviteSDP, opts: &Options{MaxHeaderBytes: 100}, check: func(t *testing.T, m *Message, n int, err error) {
		wantErr(t, err, nil, "header section longer than 100 bytes")
		eq(t, "m", m == nil, true)
	}},
	{name: "correlation_default", in: crlf(`OPTIONS sip:a SIP/2.0
Call-ID: corr
CSeq: 1 OPTIONS
X-Request-Id: r1
ININ-Correlation-Id: c1
Foo-Trace-Id: t1
traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01
X-Not-Kept: n
Content-Length: 0

`), check: func(t *testing.T, m *Message, n int, err error) {
		wantNoErr(t, err)
		eq(t, "len(Correlation)", len(m.Correlation), 4)
		eq(t, "Correlation[1]", m.Correlation[1], Header{"ININ-Correlation-Id", "c1"})
	}},
	{name: "correlation_custom", in: crlf(`OPTIONS sip:a SIP/2.0
Call-ID: corr
CSeq: 1 OPTIONS
X-Request-Id: r1
My-Session: s1
X-Genesys-CallUUID: g1
Content-Length: 0

`), opts: &Options{CorrelationHeaders: []string{"my-session", "*-calluuid"}}, check: func(t *testing.T, m *Message, n int, err error) {
		wantNoErr(t, err)
		eq(t, "Correlation", fmt.Sprint(m.Correlation), "[{My-Session s1} {X-Genesys-CallUUID g1}]")
	}},
	{name: "correlation_none", in: "OPTIONS sip:a SIP/2.0\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nX-Trace-Id: t\r\n\r\n", opts: &Options{CorrelationHeaders: []string{}}, check: func(t *testing.T, m *Message, n int, err error) {
		wantNoErr(t, err)
		eq(t, "Correlation", m.Correlation == nil, true)
	}},
	{name: "retry_after_forms", in: "SIP/2.0 480 Temporarily Unavailable\r\nCall-ID: ra\r\nCSeq: 1 INVITE\r\nRetry-After: soon\r\n\r\n", opts: datagram, check: func(t *testing.T, m *Message, n int, err error) {
		wantNoErr(t, err)
		eq(t, "RetryAfter", m.RetryAfter, -1)
	}},
	{name: "continuation_first", in: "SIP/2.0 200 OK\r\n folded too early\r\nCall-ID: cf\r\nCSeq: 1 INVITE\r\n\r\n", opts: datagram, check: func(t *testing.T, m *Message, n int, err error) {
		wantErr(t, err, nil, "continuation line without a header field")
		eq(t, "CallID", m.CallID, "cf")
	}},
	{name: "start_line_only_datagram", in: "SIP/2.0 200 OK", opts: datagram, check: func(t *testing.T, m *Message, n int, err error) {
		wantErr(t, err, ErrTruncated, "headers not terminated")
		eq(t, "StatusCode", m.StatusCode, 200)
	}},
	{name: "no_start_line", in: "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", opts: datagram, check: func(t *testing.T, m *Message, n int, err error) {
		wantErr(t, err, nil, "no SIP start line")
		eq(t, "n", n, 11)
	}},
}

func TestParse(t *testing.T) {
	for _, c := range parseCases {
		t.Run(c.name, func(t *testing.T) {
			m, n, err := Parse([]byte(c.in), c.opts)
			checkInvariants(t, []byte(c.in), m, n, err)
			if c.check != nil {
				c.check(t, m, n, err)
			}
			golden(t, filepath.Join("testdata", "golden", c.name+".golden"), dump(m, n, err))
		})
	}
}

// checkInvariants holds for any input: what FuzzParse checks too.
func checkInvariants(t *testing.T, b []byte, m *Message, n int, err error) {
	t.Helper()
	if n < 0 || n > len(b) {
		t.Fatalf("n = %d outside [0, %d]", n, len(b))
	}
	if err == nil {
		if m == nil || m.CallID == "" {
			t.Fatalf("err == nil but message %v has no Call-ID", m)
		}
		if n == 0 {
			t.Fatalf("a message of 0 bytes")
		}
	} else {
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("err %T is not a *ParseError", err)
		}
		if pe.Offset < 0 || pe.Offset > len(b) {
			t.Fatalf("error offset %d outside [0, %d]", pe.Offset, len(b))
		}
		if errors.Is(err, ErrIncomplete) && (m != nil || n != 0) {
			t.Fatalf("ErrIncomplete with m=%v n=%d", m != nil, n)
		}
		if m == nil && n == 0 && !errors.Is(err, ErrIncomplete) && len(b) > 0 {
			t.Fatalf("error %v consumes nothing: a framer would loop", err)
		}
	}
	if m != nil {
		if m.Start < 0 || m.Start >= n || m.Skipped > m.Start {
			t.Fatalf("Start %d Skipped %d n %d", m.Start, m.Skipped, n)
		}
		if len(m.Body) > n {
			t.Fatalf("body %d bytes, message %d", len(m.Body), n)
		}
	}
}

// dump renders a parse result for the golden files, every exported field
// by reflection so that a field added later shows up in the diff.
func dump(m *Message, n int, err error) string {
	var b strings.Builder
	fmt.Fprintf(&b, "n: %d\n", n)
	if err != nil {
		var pe *ParseError
		errors.As(err, &pe)
		fmt.Fprintf(&b, "err: %v\n", err)
		if pe != nil && pe.Err != nil {
			fmt.Fprintf(&b, "wraps: %v\n", pe.Err)
		}
	}
	if m == nil {
		b.WriteString("message: nil\n")
		return b.String()
	}
	v := reflect.ValueOf(m).Elem()
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		if !f.IsExported() {
			continue
		}
		fv := v.Field(i)
		switch x := fv.Interface().(type) {
		case string:
			fmt.Fprintf(&b, "%s: %q\n", f.Name, x)
		case []byte:
			fmt.Fprintf(&b, "%s: %q\n", f.Name, x)
		default:
			fmt.Fprintf(&b, "%s: %+v\n", f.Name, x)
		}
	}
	if m.ReasonHeader != "" {
		fmt.Fprintf(&b, "Causes(): %+v\n", m.Causes())
	}
	return b.String()
}

// golden compares got with the file, or rewrites the file under -update.
// On a mismatch it writes got beside the file for a diff.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		gotPath := strings.TrimSuffix(path, ".golden") + ".got"
		os.WriteFile(gotPath, []byte(got), 0o644)
		t.Errorf("%s differs from the result, written to %s:\n%s", path, gotPath, got)
	}
}

// TestPlainLength holds plainLength to the general reading of a
// Content-Length value (trimmed of white space and CR, then parseLength)
// on the shape it reads and on those it must leave to readLength.
func TestPlainLength(t *testing.T) {
	for _, c := range []struct {
		v     string // what follows the colon, up to the '\n'
		plain bool   // whether plainLength reads it
	}{
		{" 0\r", true},
		{" 230\r", true},
		{" 123456789\r", true},
		{" 1234567890\r", false}, // ten digits: readLength clamps what overflows
		{" 99999999999999999999\r", false},
		{" 0", false},
		{" 12", false},
		{" 1 ", false},
		{"  0\r", false},
		{"\t0\r", false},
		{"0\r", false},
		{" 0 \r", false},
		{" 0\r\r", false},
		{" \r", false},
		{" -1\r", false},
		{" 1a\r", false},
		{" 4/\r", false},
		{" 4:\r", false},
		{"", false},
	} {
		b := []byte("Content-Length:" + c.v + "\n")
		from, to := len("Content-Length:"), len(b)-1
		n, ok := plainLength(b, from, to)
		if ok != c.plain {
			t.Errorf("plainLength(%q) ok = %v, want %v", c.v, ok, c.plain)
		}
		var f frame
		f.clNL = to
		f.cl = -1
		f.readLength(b, 0, from)
		if ok && n != f.cl {
			t.Errorf("plainLength(%q) = %d, readLength %d", c.v, n, f.cl)
		}
	}
	// A negative start is a line find did not read a value from.
	if _, ok := plainLength([]byte(" 0\r"), -1, 3); ok {
		t.Error("plainLength read a value from -1")
	}
}
