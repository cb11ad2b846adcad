package sip

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// lineEndsBlocks is lineEndsAVX2 by hand, a byte at a time: the same
// ends and the same mark, as it reads the same 64-byte blocks and stops
// at the same places.
func lineEndsBlocks(b []byte, from int) []int {
	var out []int
	last := from - 1
	for at := from; ; at += 64 {
		if len(out) >= lineEndsStop {
			return append(out, moreEnds)
		}
		if at >= len(b) {
			return append(out, noMoreEnds)
		}
		for i := at; i < min(at+64, len(b)); i++ {
			if b[i] != '\n' {
				continue
			}
			out = append(out, i)
			if i-last <= 2 {
				return append(out, moreEnds)
			}
			last = i
		}
	}
}

// listed returns what lineEnds stored: the ends and the mark after them.
func listed(t *testing.T, ends *[lineEndsLen]int) []int {
	t.Helper()
	for i, e := range ends {
		if e < 0 {
			return slices.Clone(ends[:i+1])
		}
	}
	t.Fatal("no mark ends the list")
	return nil
}

// checkLineEnds holds one call's list to what every caller relies on: the
// '\n's of b from from on, in order, none missed; noMoreEnds only after
// the last of them; moreEnds only after at least one end, and only where
// lineEnds may stop.
func checkLineEnds(t *testing.T, name string, b []byte, from int, got []int) {
	t.Helper()
	var all []int
	for i := from; i < len(b); i++ {
		if b[i] == '\n' {
			all = append(all, i)
		}
	}
	n := len(got) - 1
	if n > len(all) || !slices.Equal(got[:n], all[:n]) {
		t.Fatalf("%s(%q, %d) listed %v; the '\\n's are at %v", name, b, from, got, all)
	}
	switch got[n] {
	case noMoreEnds:
		if n != len(all) {
			t.Fatalf("%s(%q, %d) listed %v as all; the '\\n's are at %v", name, b, from, got, all)
		}
	case moreEnds:
		if n == 0 {
			t.Fatalf("%s(%q, %d) stopped before any end", name, b, from)
		}
		last := from - 1
		if n > 1 {
			last = got[n-2]
		}
		if got[n-1]-last > 2 && n < lineEndsStop {
			t.Fatalf("%s(%q, %d) listed %v, stopping after %d ends, at no empty line", name, b, from, got, n)
		}
	default:
		t.Fatalf("%s(%q, %d) listed %v: no mark", name, b, from, got)
	}
}

// TestLineEnds holds lineEndsAVX2 to lineEndsBlocks, and lineEnds and
// lineEndsGo to what their callers rely on, from every place of random
// inputs of every length to 200 (line ends close together and far
// apart, CRs, many short lines past lineEndsStop), each ending where a
// page ends, and walks each input to its end the way headersFast does.
func TestLineEnds(t *testing.T) {
	ways := map[string]func([]byte, int, *[lineEndsLen]int){"lineEnds": lineEnds, "lineEndsGo": lineEndsGo}
	if lineEndsAsm {
		ways["lineEndsAVX2"] = lineEndsAVX2
	} else {
		t.Log("no AVX2 here: only the Go search is tested")
	}
	guard := newPageEnd(t)
	rng := rand.New(rand.NewPCG(1, 2))
	alphabets := [][]byte{[]byte("\n"), []byte("\na"), []byte("\r\nab:"), []byte("abcdefghijklmnopqrstuvwxyz\n"), []byte("abcdefghijklmnopqrstuvwxyz0123456789 :;,<>@\r\n")}
	var ends [lineEndsLen]int
	for n := 0; n <= 200; n++ {
		for _, alpha := range alphabets {
			for range 6 {
				in := make([]byte, n)
				for i := range in {
					in[i] = alpha[rng.IntN(len(alpha))]
				}
				b := guard.at(t, in)
				for from := 0; from <= n; from++ {
					for name, f := range ways {
						if name == "lineEndsAVX2" && n < lineEndsMin {
							continue
						}
						for i := range ends {
							ends[i] = 7777
						}
						f(b, from, &ends)
						got := listed(t, &ends)
						checkLineEnds(t, name, b, from, got)
						if name == "lineEndsAVX2" {
							if want := lineEndsBlocks(b, from); !slices.Equal(got, want) {
								t.Fatalf("lineEndsAVX2(%q, %d) = %v; by hand %v", b, from, got, want)
							}
						}
					}
				}
				walkLineEnds(t, b)
			}
		}
	}
}

// walkLineEnds asks lineEnds for the ends of b's lines as headersFast
// does, again from the line after the last listed until there are no
// more, and fails unless it is given each '\n' once.
func walkLineEnds(t *testing.T, b []byte) {
	t.Helper()
	var want, got []int
	for i, c := range b {
		if c == '\n' {
			want = append(want, i)
		}
	}
	var ends [lineEndsLen]int
	pos := 0
	for calls := 0; ; calls++ {
		if calls > len(b)+1 {
			t.Fatalf("walking %q: no end to it", b)
		}
		lineEnds(b, pos, &ends)
		l := listed(t, &ends)
		got = append(got, l[:len(l)-1]...)
		if l[len(l)-1] == noMoreEnds {
			break
		}
		pos = got[len(got)-1] + 1
	}
	if !slices.Equal(got, want) {
		t.Fatalf("walking %q: ends %v, want %v", b, got, want)
	}
}

// TestLineEndsMessages walks real messages and streams, whose header
// sections end in empty lines and are followed by bodies and more
// messages.
func TestLineEndsMessages(t *testing.T) {
	inputs := [][]byte{bytes.Repeat([]byte("a\n"), 300), bytes.Repeat([]byte("\r\n"), 100)}
	for _, c := range parseCases {
		inputs = append(inputs, []byte(c.in))
	}
	for _, in := range append(inputs, testMessages(t)...) {
		walkLineEnds(t, in)
	}
}

// testMessages returns the real messages and streams of testdata.
func testMessages(t *testing.T) [][]byte {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("testdata", "msg", "*", "*.sip"))
	streams, _ := filepath.Glob(filepath.Join("testdata", "stream", "*.bin"))
	if len(files) == 0 || len(streams) == 0 {
		t.Fatal("no test data")
	}
	var out [][]byte
	for _, f := range append(files, streams...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// TestHeaderLoopsAskAgain runs sameAsFull and frameAgrees on messages
// whose header loops must ask lineEnds again: more header lines than
// lineEndsStop, and lines of one byte, where it stops as at an empty
// line; each whole, cut short, and followed by another message.
func TestHeaderLoopsAskAgain(t *testing.T) {
	var inputs []string
	for _, lines := range []int{lineEndsStop - 2, lineEndsStop + 1, 2*lineEndsStop + 5} {
		var h strings.Builder
		for i := range lines {
			fmt.Fprintf(&h, "X-Header-%d: value %d\r\n", i, i)
		}
		inputs = append(inputs,
			"INVITE sip:bob@example.com SIP/2.0\r\nCall-ID: a@b\r\n"+h.String()+"Content-Length: 4\r\n\r\nbody",
			"SIP/2.0 200 OK\r\n"+h.String()+"CSeq: 1 INVITE\r\n\r\n")
	}
	for _, odd := range []string{"x\n", "x\r\n", "\r\r\n", " \n", "x\ny\nz\n", "\r\n"} {
		for _, at := range []int{0, 1, 3} {
			lines := []string{"Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n", "From: <sip:a@b>;tag=1\r\n", "To: <sip:b@b>\r\n", "Content-Length: 2\r\n"}
			lines = slices.Insert(lines, at, odd)
			inputs = append(inputs, "BYE sip:b@b SIP/2.0\r\n"+strings.Join(lines, "")+"Call-ID: c@d\r\n\r\nab")
		}
	}
	for i, in := range inputs {
		for _, cut := range []int{len(in), len(in) - 3, len(in) * 2 / 3} {
			for _, b := range [][]byte{[]byte(in[:cut]), []byte(in[:cut] + in)} {
				for _, dgram := range []bool{false, true} {
					opts := &Options{Datagram: dgram}
					name := fmt.Sprintf("input %d cut at %d", i, cut)
					sameAsFull(t, name, b, opts)
					frameAgrees(t, name, b, opts)
				}
			}
		}
	}
}
