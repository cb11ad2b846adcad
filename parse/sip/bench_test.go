package sip

import (
	"bytes"
	"strconv"
	"testing"
)

// BenchmarkParse measures one message per iteration. Parse, Parser and
// ParseInto parse the same bytes over and over (the Call-ID cache hits, as
// for the later messages of a dialog); Parser-new-dialog writes a fresh
// Call-ID into the buffer each time, as every INVITE of a load test brings
// one.
func BenchmarkParse(b *testing.B) {
	for _, c := range []struct {
		name string
		msg  string
	}{
		{"invite-sdp", inviteSDP},
		{"200-ok", ok200},
		{"503", service503},
	} {
		msg := []byte(c.msg)
		b.Run(c.name+"/Parse", func(b *testing.B) {
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := Parse(msg, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/Parser", func(b *testing.B) {
			var p Parser
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := p.Parse(msg, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/ParseInto", func(b *testing.B) {
			var p Parser
			var m Message
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := p.ParseInto(&m, msg, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
		// SharedInto is how the capture reader parses UDP payloads.
		b.Run(c.name+"/SharedInto", func(b *testing.B) {
			var p Parser
			var m Message
			opts := &Options{Datagram: true}
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := p.ParseSharedInto(&m, msg, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/Parser-new-dialog", func(b *testing.B) {
			buf := bytes.Clone(msg)
			at := bytes.Index(buf, []byte("Call-ID: ")) + len("Call-ID: ")
			var p Parser
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				// Overwrite the Call-ID's first 8 characters with a counter.
				copy(buf[at:at+8], strconv.AppendInt(make([]byte, 0, 8), int64(10000000+i%90000000), 10))
				if _, _, err := p.Parse(buf, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLooks is the check run on every payload of a capture.
func BenchmarkLooks(b *testing.B) {
	rtp := bytes.Repeat([]byte{0x80, 0x00, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef}, 20)
	for _, c := range []struct {
		name string
		b    []byte
	}{{"sip", []byte(inviteSDP)}, {"rtp", rtp}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				Looks(c.b)
			}
		})
	}
}
