package sip

import (
	"bytes"
	"encoding/hex"
	"strconv"
	"testing"
)

// BenchmarkParse measures one message per iteration. Parse, Parser and
// ParseInto parse the same bytes over and over; Parser-new-dialog writes
// a fresh Call-ID into the buffer each time, as every INVITE of a load
// test brings one.
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
	// A 172-byte G.711 packet of the generator's (gencap -rtp 0.9), whose
	// µ-law speech holds two '/' (0x2f), as a third of its packets hold
	// one or more.
	slashes, err := hex.DecodeString("8080594f4e92b07527225cfb18243cbba3991d2ee0aa9b192540b39f961f31cba79a1a2958b09e162136bea2971c2d6baa9c18263fb39f961d2ed4a79819284bae9e161e35bba3971a2c64aa9c16223bb79f951c2fd1a698182747af9d141f33c2a4971b28e2aa9b15223cb49f931b2ddca898182345b09d121d33c1a2951a2a7eab99141f37b79f941b2bdba898162343ae9c121c2fbea096182753ab99121e35bb9e92192bcda596152245")
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		b    []byte
	}{{"sip", []byte(inviteSDP)}, {"rtp", rtp}, {"rtp-ulaw", slashes}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				Looks(c.b)
			}
		})
	}
}
