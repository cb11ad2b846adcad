package sip

import (
	"bytes"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// TestParseAllocs pins what a message costs in allocations: Messages and
// header copies come from blocks, so a run of messages averages well under
// one allocation each; a new dialog adds its Call-ID copy.
func TestParseAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts")
	}
	const batch = 64
	for _, c := range []struct {
		name string
		msg  string
	}{{"invite-sdp", inviteSDP}, {"200-ok", ok200}, {"503", service503}} {
		msg := []byte(c.msg)
		var p Parser
		opts := &Options{Datagram: true}
		got := testing.AllocsPerRun(20, func() {
			for i := 0; i < batch; i++ {
				if _, _, err := p.Parse(msg, opts); err != nil {
					t.Fatal(err)
				}
			}
		}) / batch
		if got > 0.5 {
			t.Errorf("%s: %.2f allocations per message, want at most 0.5", c.name, got)
		}

		// A fresh Call-ID each time: one more, the copy kept per call.
		buf := bytes.Clone(msg)
		at := bytes.Index(buf, []byte("Call-ID: ")) + len("Call-ID: ")
		n := 0
		got = testing.AllocsPerRun(20, func() {
			for i := 0; i < batch; i++ {
				n++
				copy(buf[at:at+8], strconv.AppendInt(make([]byte, 0, 8), int64(10000000+n), 10))
				if _, _, err := p.Parse(buf, opts); err != nil {
					t.Fatal(err)
				}
			}
		}) / batch
		if got > 1.5 {
			t.Errorf("%s, new dialogs: %.2f allocations per message, want at most 1.5", c.name, got)
		}
	}
}

// TestBlockStrings checks that a message's strings stay as they were
// while the Parser goes on filling its blocks and the caller reuses its
// buffer.
func TestBlockStrings(t *testing.T) {
	var p Parser
	type kept struct {
		m                               *Message
		from, branch, reason, warn, uri string
	}
	var ks []kept
	buf := make([]byte, 0, 4096)
	for i := 0; i < 500; i++ {
		src := service503
		if i%2 == 0 {
			src = inviteSDP
		}
		buf = append(buf[:0], src...)
		m, _, err := p.Parse(buf, &Options{Datagram: true})
		if err != nil {
			t.Fatal(err)
		}
		ks = append(ks, kept{m, m.From, m.Via.Branch, m.ReasonHeader, m.Warning, m.RequestURI})
		for j := range buf {
			buf[j] = 'x'
		}
	}
	for i, k := range ks {
		want, _, _ := Parse([]byte(map[bool]string{true: inviteSDP, false: service503}[i%2 == 0]), &Options{Datagram: true})
		if k.m.From != want.From || k.from != want.From || k.branch != want.Via.Branch || k.reason != want.ReasonHeader ||
			k.warn != want.Warning || k.uri != want.RequestURI || k.m.CallID != want.CallID {
			t.Fatalf("message %d changed: %+v", i, k)
		}
	}
}

// TestSkipQuoted compares skipQuoted with the byte loop it replaced on
// every string of quotes, escapes and letters up to six bytes long.
func TestSkipQuoted(t *testing.T) {
	ref := func(s string, i int) int {
		for j := i + 1; j < len(s); j++ {
			switch s[j] {
			case '\\':
				j++
			case '"':
				return j + 1
			}
		}
		return len(s)
	}
	alphabet := []byte{'"', '\\', 'a'}
	var rec func(b []byte)
	rec = func(b []byte) {
		if len(b) > 0 && b[0] == '"' {
			if got, want := skipQuoted(string(b), 0), ref(string(b), 0); got != want {
				t.Fatalf("skipQuoted(%q) = %d, want %d", b, got, want)
			}
		}
		if len(b) == 6 {
			return
		}
		for _, c := range alphabet {
			rec(append(b, c))
		}
	}
	rec(nil)
}

// TestMessageSize keeps a block of Messages within the size class it is
// allocated in (see messageBlock).
func TestMessageSize(t *testing.T) {
	if n := unsafe.Sizeof(Message{}) * messageBlock; n > 4096 {
		t.Errorf("%d Messages take %d bytes: more than the 4096-byte size class", messageBlock, n)
	}
}

// TestCorrelationBlocks checks that the Correlation slices cut from a
// Parser's header block stay as they were while later messages are parsed,
// that appending to one cannot write over another's, and that ParseInto
// gives each message its own.
func TestCorrelationBlocks(t *testing.T) {
	msg := func(i int) []byte {
		var b strings.Builder
		fmt.Fprintf(&b, "OPTIONS sip:a@b SIP/2.0\r\nCall-ID: c%d\r\nCSeq: 1 OPTIONS\r\n", i)
		for k := 0; k <= i%3; k++ {
			fmt.Fprintf(&b, "X-Trace-Id: t%d-%d\r\n", i, k)
		}
		b.WriteString("\r\n")
		return []byte(b.String())
	}
	want := func(i int) []Header {
		var hs []Header
		for k := 0; k <= i%3; k++ {
			hs = append(hs, Header{Name: "X-Trace-Id", Value: fmt.Sprintf("t%d-%d", i, k)})
		}
		return hs
	}
	var p Parser
	var kept []*Message
	for i := 0; i < 300; i++ {
		m, _, err := p.Parse(msg(i), &Options{Datagram: true})
		if err != nil {
			t.Fatal(err)
		}
		kept = append(kept, m)
		if i%7 == 0 {
			_ = append(m.Correlation, Header{Name: "X", Value: "clobber"})
		}
	}
	for i, m := range kept {
		if !reflect.DeepEqual(m.Correlation, want(i)) {
			t.Fatalf("message %d: %v, want %v", i, m.Correlation, want(i))
		}
	}
	var into Message
	for _, i := range []int{2, 0, 1, 2} {
		if ok, _, err := p.ParseInto(&into, msg(i), &Options{Datagram: true}); !ok || err != nil {
			t.Fatal(ok, err)
		}
		if !reflect.DeepEqual(into.Correlation, want(i)) {
			t.Fatalf("ParseInto %d: %v, want %v", i, into.Correlation, want(i))
		}
	}
}
