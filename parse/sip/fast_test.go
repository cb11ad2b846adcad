package sip

import (
	"bufio"
	"bytes"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// sameAsFull parses b with the fast paths, with ParseShared, with
// ParseSharedInto over a used Message, and with the general path
// everywhere (Parser.full), and fails when the messages, n or the errors
// differ in anything. It then writes over ParseSharedInto's buffer, as a
// caller that takes the buffer back does, and fails when a string that
// outlives the buffer (Method, CSeqMethod) changes.
func sameAsFull(t *testing.T, name string, b []byte, opts *Options) {
	t.Helper()
	var fast, full, shared Parser
	full.full = true
	mf, nf, ef := full.Parse(b, opts)
	into, intoBuf := usedMessage(), bytes.Clone(b)
	for _, c := range []struct {
		how string
		run func() (*Message, int, error)
	}{
		{"fast", func() (*Message, int, error) { return fast.Parse(b, opts) }},
		// ParseShared's strings point into its buffer: a copy of b, so
		// that b itself stays as the other parses see it.
		{"shared", func() (*Message, int, error) { return shared.ParseShared(bytes.Clone(b), opts) }},
		{"shared into", func() (*Message, int, error) {
			ok, n, err := shared.ParseSharedInto(into, intoBuf, opts)
			if !ok {
				return nil, n, err
			}
			return into, n, err
		}},
	} {
		m, n, err := c.run()
		if n != nf || (err == nil) != (ef == nil) || (err != nil && err.Error() != ef.Error()) {
			t.Fatalf("%s, %s: n=%d err=%v; full path: n=%d err=%v", name, c.how, n, err, nf, ef)
		}
		if (m == nil) != (mf == nil) {
			t.Fatalf("%s, %s: message %v, full path %v", name, c.how, m != nil, mf != nil)
		}
		if m != nil && !reflect.DeepEqual(*m, *mf) {
			t.Fatalf("%s, %s:\n%s\nfull path:\n%s", name, c.how, dump(m, n, err), dump(mf, nf, ef))
		}
	}
	if mf == nil {
		return
	}
	for i := range intoBuf {
		intoBuf[i] = 0xa5
	}
	if into.Method != mf.Method || into.CSeqMethod != mf.CSeqMethod {
		t.Fatalf("%s: with its buffer written over, ParseSharedInto's message has method %q, CSeq method %q; want %q, %q",
			name, into.Method, into.CSeqMethod, mf.Method, mf.CSeqMethod)
	}
}

// usedMessage is a Message as a caller that recycles them hands one to
// ParseSharedInto: every field set by an earlier message, and Correlation
// with room to spare, which the parse may reuse.
func usedMessage() *Message {
	const s = "left over"
	return &Message{
		Request: true, CSeq: 9, Method: s, RequestURI: s, StatusCode: 999, Reason: s,
		CallID: s, CSeqMethod: s, Via: Via{s, s, s, s, s}, ViaCount: 9,
		From: s, To: s, FromTag: s, ToTag: s, Contact: s, PAssertedIdentity: s,
		ReasonHeader: s, RetryAfter: 9, Warning: s, Server: s, UserAgent: s,
		ContentType: s, ContentLength: 9, Body: []byte(s),
		Correlation: append(make([]Header, 0, 8), Header{s, s}, Header{s, s}),
		Headers:     9, Start: 9, Skipped: 9,
	}
}

// TestFastPathsAgree runs sameAsFull on every message the package has for
// testing: the hand-written cases, the real messages and streams, and the
// fuzz corpus, in both modes.
func TestFastPathsAgree(t *testing.T) {
	var inputs []string
	for _, c := range parseCases {
		inputs = append(inputs, c.in)
	}
	inputs = append(inputs, inviteSDP, ok200, service503)
	files, _ := filepath.Glob(filepath.Join("testdata", "msg", "*", "*.sip"))
	streams, _ := filepath.Glob(filepath.Join("testdata", "stream", "*.bin"))
	for _, f := range append(files, streams...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, string(b))
	}
	seeds, _ := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzParse", "*"))
	for _, f := range seeds {
		inputs = append(inputs, readFuzzBytes(t, f))
	}
	if len(files) == 0 || len(seeds) == 0 {
		t.Fatal("no test data")
	}
	for i, in := range inputs {
		b := []byte(in)
		for _, dgram := range []bool{false, true} {
			opts := &Options{Datagram: dgram}
			// A stream of several messages: each in turn, as a framer
			// goes through it.
			for off, k := 0, 0; off < len(b) && k < 50; k++ {
				sameAsFull(t, "input "+strconv.Itoa(i), b[off:], opts)
				_, n, _ := Parse(b[off:], opts)
				if n <= 0 {
					break
				}
				off += n
			}
		}
	}
}

// readFuzzBytes reads the []byte argument of a "go test fuzz v1" file.
func readFuzzBytes(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "[]byte(") && strings.HasSuffix(line, ")") {
			s, err := strconv.Unquote(line[len("[]byte(") : len(line)-1])
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			return s
		}
	}
	t.Fatalf("%s: no []byte value", path)
	return ""
}

// TestFastVia compares fastVia with parseVia on the shapes it takes and
// those it must leave to parseVia.
func TestFastVia(t *testing.T) {
	for _, c := range []struct {
		v    string
		fast bool // whether fastVia should read it itself
	}{
		{"SIP/2.0/UDP 10.20.30.40:5060;branch=z9hG4bK-1;rport", true},
		{"SIP/2.0/TCP 10.20.30.40:5060;branch=z9hG4bK77;received=198.51.100.7;rport=40122", true},
		{"SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK56sdasks", true},
		{"SIP/2.0/udp host", true},
		{"SIP/2.0/UDP [2001:db8::1]:5060;BRANCH=x;RPort;Received=1.2.3.4", true},
		{"SIP/2.0/UDP h;branch=a;branch=b", true},
		{"SIP/2.0/UDP h;;branch=a;", true},
		{"SIP/2.0/UDP h;branch==a;rport=", true},
		{"SIP/2.0/UDP ;branch=a", true},
		{"SIP/2.0/FOO-BAR h;maddr=x;ttl=1", true},
		{"SIP/2.0/TLS h;branch=a", true},
		{"SIP/2.0/x.y h;branch=a", true},
		{"SIP/2.0/U;P h;branch=a", false},
		{"SIP/2.0/;UD h;branch=a", false},
		{"SIP/2.0/UD; h;branch=a", false},
		{"SIP/2.0/U\"P h;branch=a", false},
		{"SIP/2.0/UD  h;branch=a", false},
		{"SIP/2.0/UDP h=1;branch=a=b;Rport;received", true},
		{"SIP/2.0/TCP 10.10.0.5:50331;branch=z9hG4bKe1fbed478aa82d52;received=10.10.0.5;rport=50331", true},
		{"SIP/2.0/TCP 10.10.0.5:50331;branch=z9hG4bKe1fbed478aa82d52;received=10.10.0.5;rport=50331;x=yyyyyyyyyyyyyyyyyyyyyyyyyyyyyy;branch=again", true},
		{"SIP/2.0/UDP 10.10.0.5:50331;branch=z9hG4bKe1fbed478aa82d52;received=10.10.0.5;rport=50331 ", false},
		{"SIP/2.0/UDP 10.10.0.5:50331;branch=z9hG4bKe1fbed478aa82d52;received=10.10.0.5;rport=50331,SIP/2.0/UDP x", false},
		{"SIP/2.0/UDP  h;branch=a", false},
		{"SIP/2.0/UDP\th;branch=a", false},
		{"SIP/2.0/UDP h ;branch=a", false},
		{"SIP/2.0/UDP h;branch = a", false},
		{"SIP/2.0/UDP h (comment);branch=a", false},
		{"SIP/2.0/UDP h;x=\"a;b\";branch=c", false},
		{"SIP/2.0/UDP h;branch=a ", false},
		{"SIP/2.0/UDP h;branch=a,SIP/2.0/UDP g", false},
		{"SIP/2.0/UDP h,g;branch=a", false},
		{"SIP/2.0/UDP h;branch=a,", false},
		{"SIP / 2.0 / UDP h;branch=a", false},
		{"sip/2.0/UDP h;branch=a", false},
		{"SIP/2.0/UDP;branch=a", false},
		{"SIP/2.0/ UDP h", false},
		{"SIP/2.0/UDP", false},
		{"SIP/2.0/UDP ", false},
		{"SIP/2.0/", false},
		{"", false},
	} {
		// Each again with the sent-by and parameters grown to the
		// lengths the assembly reads, and past them.
		for _, v := range []string{c.v, longVia(c.v, classesMin), longVia(c.v, 70), longVia(c.v, classesMax), longVia(c.v, classesMax+1)} {
			got, ok := fastVia(v)
			if ok != c.fast {
				t.Errorf("fastVia(%q) ok = %v, want %v", v, ok, c.fast)
			}
			if want := parseVia(v); ok && got != want {
				t.Errorf("fastVia(%q) = %+v, parseVia %+v", v, got, want)
			}
		}
	}
}

// longVia is v with a parameter added after the sent-by, so that what
// follows "SIP/2.0/transport " is n bytes long, or v when that is not
// there or already longer.
func longVia(v string, n int) string {
	sp := strings.IndexByte(v, ' ')
	semi := strings.IndexByte(v, ';')
	if !strings.HasPrefix(v, "SIP/2.0/") || sp < 0 || semi < sp {
		return v
	}
	pad := n - (len(v) - sp - 1) - len(";x=")
	if pad < 0 {
		return v
	}
	return v[:semi] + ";x=" + strings.Repeat("y", pad) + v[semi:]
}

// TestFastTag does the same for fastTag and tagOf.
func TestFastTag(t *testing.T) {
	for _, c := range []struct {
		v    string
		fast bool
	}{
		{`"Load Gen 17" <sip:loadgen17@10.20.30.40>;tag=6e3a2c91`, true},
		{`<sip:+14155550123@edge.example.net>;tag=as5f2e9c1d`, true},
		{`<sip:+14155550123@edge.example.net>`, true},
		{`<sip:a@b;tag=inside>`, true},
		{`<sip:a@b;tag=inside>;x=1;TAG=outside;tag=second`, true},
		{`Bob <sip:bob@b>;tag=1`, true},
		{`sip:bob@b;tag=1`, true},
		{`sip:bob@b;tagx=1;tag`, true},
		{`sip:bob@b`, true},
		{`<sip:a@b>;tag==x`, true},
		{`"A<b>c" <sip:a@b>;tag=1`, false},
		{``, true},
		{`"Smith, \"J\"" <sip:a@b>;tag=1`, false},
		{`"unclosed <sip:a@b>;tag=1`, false},
		{`<sip:a@b>;tag=1;x="q"`, true},
		{`<sip:a@b>;x="q";tag=1`, false},
		{`<sip:a@b>;tag= 1`, false},
		{`<sip:a@b> ;tag=1`, true},
		{`<sip:a@b>>;tag=1`, true},
		{`<sip:a@b`, false},
		{`"a\"b" <sip:a@b>;tag=1`, false},
		{`sip:a@b "x"`, false},
		{`x;y <sip:a@b>;tag=1`, false},
		{`"a";b <sip:a@b>;tag=1`, false},
		{`"a" x"b" <sip:a@b>;tag=1`, false},
		{`sip:a@b;tag=1 (x)`, false},
		{`<sip:a@b;tag=1`, false},
		{`"a" sip:a@b;tag=1`, false},
		{`"a"<sip:a@b>;tag=1`, true},
		{`"" <sip:a@b>;tag=1`, true},
		{`"no URI"`, false},
		{`"no URI";tag=1`, false},
		{`"`, false},
		{`"a" <`, false},
		{`"a\" <sip:a@b>;tag=1`, false},
		{`"a" x <sip:a@b;tag=in>;tag=out`, true},
		{`"A" <sip:a@b>; tag=1`, false},
		{`Bob <sip:a@b>;x=1;"tag=1`, false},
		{`"Load test 0001" <sip:loadtest-0001@10.10.0.5>;tag=dfe0cc9c`, true},
		{`"Load test 0001" <sip:loadtest-0001@10.10.0.5>;x;tag=dfe0cc9c`, true},
		{`"Load test 0001" <sip:loadtest-0001@10.10.0.5>;x;	tag=dfe0cc9c`, false},
	} {
		got, ok := fastTag(c.v)
		if ok != c.fast {
			t.Errorf("fastTag(%q) ok = %v, want %v", c.v, ok, c.fast)
		}
		if want := tagOf(c.v); ok && got != want {
			t.Errorf("fastTag(%q) = %q, tagOf %q", c.v, got, want)
		}
		// Grown to the lengths the assembly reads, and past them: the
		// answers as the byte loops give them.
		for _, n := range []int{classesMin, 45, classBitsMax, classBitsMax + 1} {
			for _, v := range []string{grow(c.v, n, "", ";x="), grow(c.v, n, "Bob", "")} {
				tag, ok := fastTag(v)
				var ptag string
				var pok bool
				plainOnly(func() { ptag, pok = fastTag(v) })
				if tag != ptag || ok != pok {
					t.Errorf("fastTag(%q) = %q, %v; read byte by byte %q, %v", v, tag, ok, ptag, pok)
				}
				if want := tagOf(v); ok && tag != want {
					t.Errorf("fastTag(%q) = %q, tagOf %q", v, tag, want)
				}
			}
		}
	}
}

// grow is v n bytes long, padded with 'y's after head and before v, or
// after v and tail, or v when it is not shorter.
func grow(v string, n int, head, tail string) string {
	pad := n - len(v) - len(head) - len(tail)
	if pad < 0 {
		return v
	}
	if head != "" {
		return head + strings.Repeat("y", pad) + " " + v[min(1, len(v)):]
	}
	return v + tail + strings.Repeat("y", pad)
}

// TestSharedStrings checks ParseShared's promise: the strings point into
// the buffer given, the Call-ID too (its consumer copies it per call).
func TestSharedStrings(t *testing.T) {
	var p Parser
	b := []byte(inviteSDP)
	m, _, err := p.ParseShared(b, &Options{Datagram: true})
	if err != nil {
		t.Fatal(err)
	}
	lo := uintptr(unsafe.Pointer(&b[0]))
	inside := func(s string) bool {
		at := uintptr(unsafe.Pointer(unsafe.StringData(s)))
		return s != "" && at >= lo && at < lo+uintptr(len(b))
	}
	for _, s := range []string{m.RequestURI, m.From, m.To, m.Via.Branch, m.Contact, m.UserAgent, m.CallID} {
		if !inside(s) {
			t.Errorf("%q is not a slice of the buffer", s)
		}
	}
}

// TestPlainRun holds plainRun to a loop over the bytes, for every table,
// start and length, on strings that mix plain bytes with odd ones.
func TestPlainRun(t *testing.T) {
	alphabet := "az09.-:+!\x01\x80 \t\"(\r\n,;=@"
	seed := uint32(1)
	for _, tb := range []*[256]uint8{&valueByte, &viaByte, &paramByte, &viaParamByte} {
		for n := 0; n < 40; n++ {
			for round := 0; round < 200; round++ {
				b := make([]byte, n)
				for i := range b {
					seed = seed*1664525 + 1013904223
					// Mostly plain letters, so that runs are long.
					if seed>>28 < 12 {
						b[i] = 'a' + byte(seed>>8)%26
					} else {
						b[i] = alphabet[(seed>>8)%uint32(len(alphabet))]
					}
				}
				s := string(b)
				for i := 0; i <= n; i++ {
					want := i
					for want < n && tb[s[want]] == 0 {
						want++
					}
					if got := plainRun(s, i, tb); got != want {
						t.Fatalf("plainRun(%q, %d) = %d, want %d", s, i, got, want)
					}
				}
			}
		}
	}
}

// TestLongHeaderName runs sameAsFull on a message with a header name too
// long for a savedLine to hold: a correlation header, so that a name cut
// short would lose it.
func TestLongHeaderName(t *testing.T) {
	name := strings.Repeat("x", math.MaxUint16) + "-trace-id"
	msg := crlf("OPTIONS sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nCall-ID: long\nCSeq: 1 OPTIONS\n" +
		name + ": abc\nContent-Length: 0\n\n")
	for _, dgram := range []bool{false, true} {
		opts := &Options{Datagram: dgram, MaxHeaderBytes: 1 << 20}
		sameAsFull(t, "long name", []byte(msg), opts)
		m, _, err := Parse([]byte(msg), opts)
		if err != nil || len(m.Correlation) != 1 || m.Correlation[0].Name != name {
			t.Fatalf("long name: err %v, correlation %d headers", err, len(m.Correlation))
		}
	}
}

// TestHeaderLoopCut runs sameAsFull on every cut of a few messages, each
// ending where a page does, in both modes: the header loop reads a
// line's name by whole words, which must not pass b's end, and a line
// cut short, Content-Length's above all, must be read as the full path
// reads it.
func TestHeaderLoopCut(t *testing.T) {
	pe := newPageEnd(t)
	short := "INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\n" +
		"P-Asserted-Identity: <sip:a@b>\r\nTo: <sip:b>\r\nl: 0\r\nContent-Length: 12\r\n\r\n"
	for _, in := range []string{short, inviteSDP, ok200, service503} {
		for cut := 1; cut <= len(in); cut++ {
			for _, dgram := range []bool{false, true} {
				sameAsFull(t, strconv.Quote(in[:cut]), pe.at(t, []byte(in[:cut])), &Options{Datagram: dgram})
			}
		}
	}
}
