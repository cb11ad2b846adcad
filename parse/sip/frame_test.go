package sip

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestFrameCutsWhereParseDoes walks the real TCP streams of testdata and
// the hand-written cases of TestParse, in both modes, message by message:
// at each point Frame must answer as Parse does (the same n; no error
// exactly when Parse gives a message, else the same error), and Parse
// given only the n bytes Frame cut must read the same message with the
// same error, so that a framer may hand b[:n] to another goroutine.
func TestFrameCutsWhereParseDoes(t *testing.T) {
	streams, err := filepath.Glob("testdata/stream/*.bin")
	if err != nil || len(streams) == 0 {
		t.Fatalf("no streams in testdata/stream: %v", err)
	}
	messages := 0
	for _, path := range streams {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for len(b) > 0 {
			n, ok := frameAgrees(t, filepath.Base(path), b, &Options{})
			framedAgrees(t, filepath.Base(path), b, &Options{})
			if n <= 0 {
				break
			}
			if ok {
				messages++
			}
			b = b[n:]
		}
	}
	for _, c := range parseCases {
		for _, dgram := range []bool{false, true} {
			frameAgrees(t, c.name, []byte(c.in), &Options{Datagram: dgram})
			framedAgrees(t, c.name, []byte(c.in), &Options{Datagram: dgram})
		}
	}
	// The streams hold some 200 messages: a walk that stopped early
	// would compare little.
	if messages < 100 {
		t.Fatalf("only %d messages framed in %d streams", messages, len(streams))
	}
}

// frameAgrees checks Frame against Parse at the start of b, and against
// Frame of a full Parser (which finds line ends one search a line rather
// than with lineEnds), and returns Parse's n and whether it gave a
// message.
func frameAgrees(t *testing.T, name string, b []byte, opts *Options) (int, bool) {
	t.Helper()
	var p, full Parser
	full.full = true
	m, n, err := p.Parse(b, opts)
	fn, ferr := p.Frame(b, opts)
	if fn != n {
		t.Fatalf("%s: Frame cut %d bytes, Parse %d", name, fn, n)
	}
	if gn, gerr := full.Frame(b, opts); gn != fn || errString(gerr) != errString(ferr) {
		t.Fatalf("%s: Frame cut %d bytes (%v), a full Parser's %d (%v)", name, fn, ferr, gn, gerr)
	}
	if m == nil {
		if ferr == nil || ferr.Error() != err.Error() || errors.Is(ferr, ErrIncomplete) != errors.Is(err, ErrIncomplete) {
			t.Fatalf("%s: Parse gave no message (%v), Frame said %v", name, err, ferr)
		}
		return n, false
	}
	if ferr != nil {
		t.Fatalf("%s: Parse gave a message, Frame said %v", name, ferr)
	}
	again, n2, err2 := p.Parse(b[:fn], opts)
	if again == nil || n2 != n || fingerprint(again) != fingerprint(m) || errString(err2) != errString(err) {
		t.Fatalf("%s: the message of the %d bytes Frame cut reads otherwise:\n%s (%v)\n%s (%v)",
			name, fn, fingerprint(m), err, fingerprint(again), err2)
	}
	return n, true
}

// framedAgrees checks FrameInto against Frame at the start of b, for a
// Parser and a full one, and the parse of the bytes cut from what
// FrameInto learnt (ParseSharedIntoFramed) against their parse from
// scratch, field by field.
func framedAgrees(t *testing.T, name string, b []byte, opts *Options) {
	t.Helper()
	var framer, full, p Parser
	full.full = true
	for _, fp := range []*Parser{&framer, &full} {
		n, err := fp.Frame(b, opts)
		var fr Framed
		fn, ferr := fp.FrameInto(b, &fr, opts)
		if fn != n || errString(ferr) != errString(err) {
			t.Fatalf("%s (full %v): FrameInto cut %d bytes (%v), Frame %d (%v)", name, fp.full, fn, ferr, n, err)
		}
		if err != nil {
			continue
		}
		var got, want Message
		gotOK, gn, gerr := p.ParseSharedIntoFramed(&got, b[:n], &fr, opts)
		wantOK, wn, werr := p.ParseSharedInto(&want, b[:n], opts)
		if gotOK != wantOK || gn != wn || errString(gerr) != errString(werr) || !reflect.DeepEqual(got, want) {
			t.Fatalf("%s (full %v): framed %v %d %v %+v, from scratch %v %d %v %+v",
				name, fp.full, gotOK, gn, gerr, got, wantOK, wn, werr, want)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestFrameContentLength frames a stream message with its Content-Length
// written in each shape: the one find reads the value of at once, and
// those it leaves to the general reading.
func TestFrameContentLength(t *testing.T) {
	const body = "0123456789ab"
	for _, c := range []struct {
		cl   string
		body bool // whether the 12-byte body is cut with the message
	}{
		{"Content-Length: 12", true},
		{"Content-Length:12", true},
		{"content-length :  12 ", true},
		{"l: 12", true},
		{"L\t:12", true},
		{"Content-Length:\r\n 12", true},
		{"Content-Length: 012", true},
		// Past the limit: the headers are cut, and the body left as junk.
		{"Content-Length: 1234567890123", false},
	} {
		head := "OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n" + c.cl + "\r\nMax-Forwards: 70\r\n\r\n"
		want := len(head)
		if c.body {
			want += len(body)
		}
		framedAgrees(t, c.cl, []byte(head+body+"NEXT"), &Options{})
		if n, _ := frameAgrees(t, c.cl, []byte(head+body+"NEXT"), &Options{}); n != want {
			t.Errorf("%q: cut %d bytes, want %d", c.cl, n, want)
		}
	}
}

// TestContentLengthColon finds the colon of Content-Length header lines
// and turns other lines away.
func TestContentLengthColon(t *testing.T) {
	for _, c := range []struct {
		line  string
		colon int
	}{
		{"Content-Length: 5", 14},
		{"content-LENGTH : 5", 15},
		{"l:5", 1},
		{"L \t: 5", 3},
		{"Content-Length", -1},
		{"Content-Lengthx: 5", -1},
		{"Content_Length: 5", -1},
		{"Content-Type: x", -1},
		{"l 5", -1},
		{"lx: 5", -1},
		{"", -1},
	} {
		if got := contentLengthColon([]byte(c.line)); got != c.colon {
			t.Errorf("contentLengthColon(%q) = %d, want %d", c.line, got, c.colon)
		}
	}
}

// TestFramedParseAgrees runs framedAgrees on Looks' inputs, every prefix
// of the messages and streams among them, in both modes (messages cut
// short, bodies cut short, junk in front), and on the shapes of what
// FrameInto keeps: the start line's pieces where they do not follow at
// once, more header lines than are saved, lines not in the common shape.
func TestFramedParseAgrees(t *testing.T) {
	eachLooksInput(t, func(b []byte) {
		for _, dgram := range []bool{false, true} {
			framedAgrees(t, clip(string(b)), b, &Options{Datagram: dgram})
		}
	})
	const ids = "Call-ID: a\r\nCSeq: 1 INVITE\r\n"
	many := strings.Repeat("X-Trace-Id: t\r\n", savedLines)
	for _, c := range []struct{ name, in string }{
		{"two spaces", "INVITE  sip:a@b SIP/2.0\r\n" + ids + "Content-Length: 2\r\n\r\nabNEXT"},
		{"status", "SIP/2.0 503 Service Unavailable\r\n" + ids + "Retry-After: 5\r\n\r\n"},
		{"junk in front", "\r\nxx\r\nBYE sip:a@b SIP/2.0\r\n" + ids + "\r\n"},
		{"lines past those saved", "INVITE sip:a@b SIP/2.0\r\n" + many + ids + "Content-Length: 0\r\n\r\n"},
		{"folded", "INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;\r\n branch=z9hG4bKx\r\n" + ids + "\r\n"},
		{"odd name", "INVITE sip:a@b SIP/2.0\r\nX-Odd : v\r\n" + ids + "l: 1\r\n\r\nx"},
		{"bare LF", "INVITE sip:a@b SIP/2.0\n" + strings.ReplaceAll(ids, "\r", "") + "\n"},
	} {
		for _, dgram := range []bool{false, true} {
			framedAgrees(t, c.name, []byte(c.in), &Options{Datagram: dgram})
		}
	}
}
