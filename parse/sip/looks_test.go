package sip

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// looksRef is Looks as it was before its shortcuts (the status line read
// from the payload's first bytes, the search for "/2.0" done by hand):
// Looks must answer as it does on every input.
func looksRef(b []byte) bool {
	for len(b) > 0 && (b[0] == '\r' || b[0] == '\n') {
		b = b[1:]
	}
	if len(b) > looksWindow {
		b = b[:looksWindow]
	}
	if len(b) > 0 && junkByte(b[0]) && bytes.Index(b, []byte("/2.0")) < 0 {
		return false
	}
	if nl := bytes.IndexByte(b, '\n'); nl >= 0 {
		b = b[:nl]
	}
	if len(b) > 0 && b[len(b)-1] == '\r' {
		b = b[:len(b)-1]
	}
	return readStartLine(b).at >= 0
}

// TestLooksAgree holds Looks to looksRef (see eachLooksInput).
func TestLooksAgree(t *testing.T) {
	eachLooksInput(t, func(b []byte) {
		if got, want := Looks(b), looksRef(b); got != want {
			t.Fatalf("Looks(%q) = %v, the reference %v", clip(string(b)), got, want)
		}
	})
}

// TestParseAtAgrees holds a datagram's parse from what LooksAt learnt
// (ParseSharedIntoAt) to its parse from scratch, on Looks' inputs and on
// request lines that run past Looks' window, where LooksAt sees a line
// end that is not the line's.
func TestParseAtAgrees(t *testing.T) {
	opts := &Options{Datagram: true}
	var p Parser
	check := func(b []byte) {
		var st Start
		if !LooksAt(b, &st) {
			return
		}
		var at, want Message
		okAt, nAt, errAt := p.ParseSharedIntoAt(&at, b, &st, opts)
		ok, n, err := p.ParseSharedInto(&want, b, opts)
		if okAt != ok || nAt != n || fmt.Sprint(errAt) != fmt.Sprint(err) || !reflect.DeepEqual(at, want) {
			t.Fatalf("%q: from LooksAt %v %d %v %+v, from scratch %v %d %v %+v",
				clip(string(b)), okAt, nAt, errAt, at, ok, n, err, want)
		}
	}
	eachLooksInput(t, check)
	for _, tail := range []string{
		" SIP/2.0\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n\r\n",
		" SIP/2.0x\r\nOPTIONS sip:b SIP/2.0\r\nCall-ID: a\r\nCSeq: 1 OPTIONS\r\n\r\n",
		" SIP/2.0",
	} {
		for _, pad := range []int{looksWindow - 30, looksWindow - 20, looksWindow - 19, looksWindow - 18, looksWindow} {
			in := "\r\nINVITE sip:" + strings.Repeat("a", pad) + tail
			check([]byte(in))
		}
	}
}

// eachLooksInput calls f with the package's messages and streams, the
// fuzz corpus, and the shapes Looks' shortcuts decide: every prefix of
// each (start lines cut short), status lines with odd bytes after the
// code, and payloads with junk in front.
func eachLooksInput(t *testing.T, f func([]byte)) {
	var inputs [][]byte
	for _, c := range parseCases {
		inputs = append(inputs, []byte(c.in))
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "msg", "*", "*.sip"))
	streams, _ := filepath.Glob(filepath.Join("testdata", "stream", "*.bin"))
	for _, f := range append(files, streams...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, b)
	}
	seeds, _ := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzParse", "*"))
	for _, f := range seeds {
		inputs = append(inputs, []byte(readFuzzBytes(t, f)))
	}
	if len(files) == 0 || len(seeds) == 0 {
		t.Fatal("no test data")
	}
	for _, s := range []string{
		"SIP/2.0 200 OK", "SIP/2.0 200", "SIP/2.0 200\r\n", "sip/2.0 200 x", "SIP/2.0 20 OK", "SIP/2.0 2000 OK",
		"SIP/2.0 200\tOK", "SIP/2.0 200\nOK", "SIP/2.0 200\r", "\r\n\r\nSIP/2.0 180 Ringing\r\n",
		"\x80\x00SIP/2.0 200 OK\r\n", "\x80\x00INVITE sip:a@b SIP/2.0\r\n", "\x80/2.0", "\x80/2.", "\x80//2.0x",
		"\x00\x01/2/2.0", "m a: SIP/2.0", "m a: SIP/2.", "{\x01INVITE sip:a@b SIP/2.0", "x/2.0 SIP/2.0 200 OK",
	} {
		inputs = append(inputs, []byte(s))
	}
	rtp := bytes.Repeat([]byte{0x80, 0x00, 0x12, 0x34, 0xde, 0x2f, 0x32, 0x2e}, 30)
	inputs = append(inputs, rtp, append(bytes.Clone(rtp[:40]), "/2.0 INVITE"...))
	big := append(bytes.Repeat([]byte{0x80}, looksWindow-3), "/2.0\nSIP/2.0 200 OK"...)
	inputs = append(inputs, big, big[:looksWindow+1], big[:looksWindow-1])
	for _, in := range inputs {
		for n := 0; n <= len(in); n++ {
			if n > 64 && n < len(in) {
				n = len(in)
			}
			f(in[:n])
		}
	}
}

// isStatusLineRef is isStatusLine as it was, a byte at a time, before it
// compared "SIP/2.0 " as one word.
func isStatusLineRef[T string | []byte](line T) bool {
	if len(line) < 11 {
		return false
	}
	for i := 0; i < 8; i++ {
		c := line[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c != "SIP/2.0 "[i] {
			return false
		}
	}
	for i := 8; i < 11; i++ {
		if line[i] < '0' || line[i] > '9' {
			return false
		}
	}
	return len(line) == 11 || line[11] == ' '
}

// TestIsStatusLine holds isStatusLine to isStatusLineRef on a status line
// with each of its first twelve bytes replaced by every byte value, cut
// at every length.
func TestIsStatusLine(t *testing.T) {
	const line = "SIP/2.0 200 OK"
	for i := 0; i < 12; i++ {
		for c := 0; c < 256; c++ {
			b := []byte(line)
			b[i] = byte(c)
			for n := 0; n <= len(b); n++ {
				if got, want := isStatusLine(b[:n]), isStatusLineRef(b[:n]); got != want {
					t.Fatalf("isStatusLine(%q) = %v, the reference %v", b[:n], got, want)
				}
				if got, want := isStatusLine(string(b[:n])), isStatusLineRef(string(b[:n])); got != want {
					t.Fatalf("isStatusLine(%q) as a string = %v, the reference %v", b[:n], got, want)
				}
			}
		}
	}
}

// TestEndsSIPVersion holds endsSIPVersion to equalFold on " SIP/2.0" with
// every byte of its eight replaced by every other.
func TestEndsSIPVersion(t *testing.T) {
	for _, base := range []string{"x SIP/2.0", "INVITE sip:a@b sip/2.0", "x sIp/2.0"} {
		for i := len(base) - 8; i < len(base); i++ {
			for c := 0; c < 256; c++ {
				b := []byte(base)
				b[i] = byte(c)
				want := equalFold(b[len(b)-8:], " SIP/2.0")
				if got := endsSIPVersion(b); got != want {
					t.Errorf("endsSIPVersion(%q) = %v, equalFold %v", b, got, want)
				}
			}
		}
	}
}

// TestHasSlash20 holds hasSlash20, and each of its two ways, to
// bytes.Contains: "/2.0" and near misses of it at every place in inputs of
// every length around the assembly's blocks, over bytes that are and are
// not its letters.
func TestHasSlash20(t *testing.T) {
	ways := map[string]func([]byte) bool{"hasSlash20": hasSlash20, "hasSlash20Go": hasSlash20Go}
	if slash20Asm {
		ways["slash20AVX2"] = slash20AVX2
	} else {
		t.Log("no AVX2 here: only the Go search is tested")
	}
	guard := newPageEnd(t)
	grounds := []byte{0x80, '/', '2', '.', '0'}
	pieces := []string{"/2.0", "/2.", "2.0", "/2.1", "//2.0", "/3.0", "\\2.0", "/2.0/2.0"}
	for n := 0; n <= 140; n++ {
		for _, g := range grounds {
			base := bytes.Repeat([]byte{g}, n)
			for _, p := range pieces {
				for at := 0; at+len(p) <= n; at++ {
					b := bytes.Clone(base)
					copy(b[at:], p)
					want := bytes.Contains(b, []byte("/2.0"))
					for name, f := range ways {
						if name == "slash20AVX2" && n < slash20Min {
							continue
						}
						if got := f(guard.at(t, b)); got != want {
							t.Fatalf("%s(%q) = %v, bytes.Contains %v", name, b, got, want)
						}
					}
				}
			}
		}
	}
}
