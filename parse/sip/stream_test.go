package sip

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unsafe"
)

// frameAll is the loop a TCP framer runs: parse, drop n bytes, repeat,
// and stop to wait for more on ErrIncomplete. It returns one line per
// message or problem.
func frameAll(t *testing.T, b []byte, opts *Options) (got []string, rest []byte) {
	t.Helper()
	for len(b) > 0 {
		m, n, err := Parse(b, opts)
		checkInvariants(t, b, m, n, err)
		switch {
		case errors.Is(err, ErrIncomplete):
			return got, b
		case errors.Is(err, ErrKeepAlive):
			got = append(got, "keep-alive")
		case m == nil:
			got = append(got, "error: "+err.Error())
		default:
			s := fmt.Sprintf("%s %d %s", m.CallID, m.CSeq, m.CSeqMethod)
			if m.Skipped > 0 {
				s += fmt.Sprintf(" skipped=%d", m.Skipped)
			}
			if err != nil {
				s += " error: " + err.Error()
			}
			got = append(got, s)
		}
		b = b[n:]
	}
	return got, b
}

func TestBackToBack(t *testing.T) {
	in := ok200 + inviteSDP + "\r\n\r\n" + "junk line\r\n" + service503 + "SIP/2.0 100 Trying\r\nCall-ID: part"
	got, rest := frameAll(t, []byte(in), nil)
	want := []string{
		"3c26b5f0a7e14c1d9b0e8f7a6d5c4b3a@10.20.30.40 1 INVITE",
		"3c26b5f0a7e14c1d9b0e8f7a6d5c4b3a@10.20.30.40 1 INVITE",
		"overload-1@10.20.30.40 7 INVITE skipped=11",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if string(rest) != "SIP/2.0 100 Trying\r\nCall-ID: part" {
		t.Errorf("rest = %q", rest)
	}
}

// TestKeepAliveBetweenMessages: a ping on its own in a segment is
// reported; one glued to a message is skipped as the CRLF RFC 3261 7.5
// allows.
func TestKeepAliveBetweenMessages(t *testing.T) {
	got, _ := frameAll(t, []byte("\r\n\r\n"), nil)
	if fmt.Sprint(got) != "[keep-alive]" {
		t.Errorf("lone ping: %v", got)
	}
	got, _ = frameAll(t, []byte("\r\n\r\n"+ok200), nil)
	if len(got) != 1 || strings.Contains(got[0], "skipped") {
		t.Errorf("ping before a message: %v", got)
	}
}

// TestEveryPrefix: a stream framer that gets a message one byte at a time
// waits (ErrIncomplete, n == 0) until the last byte, then gets it whole;
// the same prefixes as datagrams are truncated messages or no message,
// never a panic.
func TestEveryPrefix(t *testing.T) {
	for _, msg := range []string{inviteSDP, ok200, service503} {
		b := []byte(msg)
		for k := 0; k < len(b); k++ {
			m, n, err := Parse(b[:k], nil)
			if !errors.Is(err, ErrIncomplete) || m != nil || n != 0 {
				t.Fatalf("prefix %d of %d: m=%v n=%d err=%v", k, len(b), m != nil, n, err)
			}
			m, n, err = Parse(b[:k], datagram)
			checkInvariants(t, b[:k], m, n, err)
		}
		m, n, err := Parse(b, nil)
		if err != nil || n != len(b) {
			t.Fatalf("whole: n=%d err=%v", n, err)
		}
		_ = m
	}
}

func TestStreamGivesUpOnEndlessJunk(t *testing.T) {
	junk := []byte(strings.Repeat("x", 100))
	_, n, err := Parse(junk, &Options{MaxHeaderBytes: 64})
	if err == nil || errors.Is(err, ErrIncomplete) || n != len(junk) {
		t.Errorf("n=%d err=%v, want the junk dropped with an error", n, err)
	}
	hdrs := []byte("SIP/2.0 200 OK\r\n" + strings.Repeat("X-Pad: 0123456789\r\n", 10))
	_, n, err = Parse(hdrs, &Options{MaxHeaderBytes: 64})
	if err == nil || errors.Is(err, ErrIncomplete) || n != len(hdrs) {
		t.Errorf("n=%d err=%v, want the headers dropped with an error", n, err)
	}
}

func TestLooks(t *testing.T) {
	for _, c := range []struct {
		in   string
		want bool
	}{
		{inviteSDP, true},
		{ok200, true},
		{"\r\n\r\nSIP/2.0 503 Service Unavailable\r\n", true},
		{"SIP/2.0 200", true},
		{"sip/2.0 200 OK\r\n", true},
		{"NOTIFY sips:a@b SIP/2.0\r\n", true},
		{"X-CUSTOM tel:+1 SIP/2.0\n", true},
		{"INVITE urn:service:sos SIP/2.0", true},
		{"\x00\x00\x00\x00REGISTER sip:1.1.1.1:5060 SIP/2.0\r\n", true},
		{"", false},
		{"\r\n\r\n", false},
		{"\x00\x00\x00\x00", false},
		{"GET / HTTP/1.1\r\nHost: x\r\n", false},
		{"HTTP/1.1 200 OK\r\n", false},
		{"SIP/2.0 20 OK\r\n", false},
		{"SIP/2.0 2000 OK\r\n", false},
		{"SIP/2.0/UDP host\r\n", false},
		{"INVITE sip:a@b SIP/2.1\r\n", false},
		{"INVITE sip:a@b\r\n", false},
		{" INVITE sip:a@b SIP/2.0\r\n", false},
		{"INV@ITE sip:a@b SIP/2.0\r\n", false},
		{"INVITE bob SIP/2.0\r\n", false},
		{"INVITE sip:a@b SIP/2.0 extra\r\n", false},
		{"\x80\x00\x12\x34 RTP payload SIP/2.0 200", false},
	} {
		if got := Looks([]byte(c.in)); got != c.want {
			t.Errorf("Looks(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestKeepAlive(t *testing.T) {
	for _, c := range []struct {
		in   string
		want bool
	}{
		{"\r\n\r\n", true},
		{"\r\n", true},
		{"\n", true},
		{"\x00\x00\x00\x00", true},
		{"\x00", true},
		{"", false},
		{"\r\n\r\nOPTIONS sip:a SIP/2.0\r\n", false},
		{"\x00\x00\x00\x00\x00\x00\x00\x00\x00", false},
		{"\x00\x00\x00\x01", false},
		{" \r\n", false},
	} {
		if got := KeepAlive([]byte(c.in)); got != c.want {
			t.Errorf("KeepAlive(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestParseInto(t *testing.T) {
	var p Parser
	var m Message
	ok, n, err := p.ParseInto(&m, []byte(inviteSDP), nil)
	if !ok || err != nil || n != len(inviteSDP) {
		t.Fatalf("ok=%v n=%d err=%v", ok, n, err)
	}
	ok, _, err = p.ParseInto(&m, []byte(ok200), nil)
	if !ok || err != nil {
		t.Fatalf("ok=%v err=%v", ok, err)
	}
	if m.Request || m.RequestURI != "" || len(m.Body) != 0 {
		t.Errorf("ParseInto left fields of the previous message: %+v", m)
	}
	ok, _, err = p.ParseInto(&m, []byte("\r\n\r\n"), nil)
	if ok || !errors.Is(err, ErrKeepAlive) {
		t.Errorf("keep-alive: ok=%v err=%v", ok, err)
	}
}

// Parse's strings, the Call-ID among them, are copies: they outlive the
// buffer.
func TestParseOutlivesBuffer(t *testing.T) {
	b := []byte(inviteSDP)
	m, _, _ := Parse(b, nil)
	copy(b, strings.Repeat("#", len(b)))
	if m.CallID != "3c26b5f0a7e14c1d9b0e8f7a6d5c4b3a@10.20.30.40" || m.From[0] == '#' {
		t.Errorf("strings changed with the buffer: %q %q", m.CallID, m.From)
	}
}

func TestParserOptionsChange(t *testing.T) {
	var p Parser
	msg := []byte("OPTIONS sip:a SIP/2.0\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nX-Trace-Id: t\r\nMy-Id: m\r\n\r\n")
	for i, c := range []struct {
		opts *Options
		want string
	}{
		{nil, "[{X-Trace-Id t}]"},
		{&Options{CorrelationHeaders: []string{"my-id"}}, "[{My-Id m}]"},
		{&Options{CorrelationHeaders: []string{"*-id"}}, "[{Call-ID c} {X-Trace-Id t} {My-Id m}]"},
		{nil, "[{X-Trace-Id t}]"},
	} {
		m, _, err := p.Parse(msg, c.opts)
		if err != nil || fmt.Sprint(m.Correlation) != c.want {
			t.Errorf("%d: %v %v, want %s", i, m.Correlation, err, c.want)
		}
	}
}

func TestParseReason(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string
	}{
		{`Q.850;cause=16;text="Terminated"`, `[{Protocol:Q.850 Code:16 Text:Terminated}]`},
		{`SIP;cause=200;text="Call completed elsewhere", Q.850 ;cause = 31`, `[{Protocol:SIP Code:200 Text:Call completed elsewhere} {Protocol:Q.850 Code:31 Text:}]`},
		{`Q.850;text="a;b,c";cause=34`, `[{Protocol:Q.850 Code:34 Text:a;b,c}]`},
		{`Q.850;cause=x`, `[{Protocol:Q.850 Code:-1 Text:}]`},
		{`Q.850;text="unterminated`, `[{Protocol:Q.850 Code:-1 Text:unterminated}]`},
		{``, `[]`},
	} {
		if got := fmt.Sprintf("%+v", ParseReason(c.in)); got != c.want {
			t.Errorf("ParseReason(%q) = %s, want %s", c.in, got, c.want)
		}
	}
	m := &Message{ReasonHeader: "SIP;cause=480"}
	if c, ok := m.Cause("Q.850"); ok || c.Code != -1 {
		t.Errorf("Cause(Q.850) = %+v, %v", c, ok)
	}
}

func TestFullName(t *testing.T) {
	for in, want := range map[string]string{"i": "Call-ID", "V": "Via", "o": "Event", "q": "q", "Via": "Via", "": ""} {
		if got := FullName(in); got != want {
			t.Errorf("FullName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestInterning(t *testing.T) {
	a, _, _ := Parse([]byte(service503), nil)
	b, _, _ := Parse([]byte(service503), nil)
	for _, s := range [][2]string{{a.Reason, b.Reason}, {a.CSeqMethod, b.CSeqMethod}, {a.Via.Transport, b.Via.Transport}} {
		if unsafe.StringData(s[0]) != unsafe.StringData(s[1]) {
			t.Errorf("%q is not interned", s[0])
		}
	}
}

// Parse shares pooled Parsers between goroutines; run with -race.
func TestParseConcurrent(t *testing.T) {
	done := make(chan bool)
	for g := 0; g < 4; g++ {
		go func() {
			for i := 0; i < 200; i++ {
				m, _, err := Parse([]byte(inviteSDP), nil)
				if err != nil || m.CallID != "3c26b5f0a7e14c1d9b0e8f7a6d5c4b3a@10.20.30.40" {
					t.Errorf("%v %v", m, err)
				}
			}
			done <- true
		}()
	}
	for g := 0; g < 4; g++ {
		<-done
	}
}

// TestKnownMethod checks the switch of knownMethod against methods, the
// list it spells out: each standard method is known and comes back as a
// constant, not as the bytes it was read from; anything else, a case or a
// byte away, is not known and comes back as it was.
func TestKnownMethod(t *testing.T) {
	for _, m := range methods {
		in := string([]byte(m))
		got, ok := knownMethod(in)
		if !ok || got != m || unsafe.StringData(got) == unsafe.StringData(in) {
			t.Errorf("knownMethod(%q) = %q, %v (a copy of the input: %v)", m, got, ok, unsafe.StringData(got) == unsafe.StringData(in))
		}
		for _, other := range []string{strings.ToLower(m), m[:len(m)-1], m + "S", " " + m, m[:1] + strings.ToLower(m[1:])} {
			if got, ok := knownMethod(other); ok || got != other {
				t.Errorf("knownMethod(%q) = %q, %v", other, got, ok)
			}
		}
	}
	if got, ok := knownMethod(""); ok || got != "" {
		t.Errorf("knownMethod(\"\") = %q, %v", got, ok)
	}
}

// TestInternTransport does the same for internTransport, which also knows
// the transports in any case.
func TestInternTransport(t *testing.T) {
	for _, tr := range transports {
		for _, in := range []string{string([]byte(tr)), strings.ToLower(tr), strings.ToLower(tr[:1]) + tr[1:]} {
			if got := internTransport(in); got != tr || unsafe.StringData(got) == unsafe.StringData(in) {
				t.Errorf("internTransport(%q) = %q (a copy of the input: %v)", in, got, unsafe.StringData(got) == unsafe.StringData(in))
			}
		}
		for _, other := range []string{tr[:len(tr)-1], tr + "X", " " + tr} {
			if got := internTransport(other); got != other {
				t.Errorf("internTransport(%q) = %q", other, got)
			}
		}
	}
}
