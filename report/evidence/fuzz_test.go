package evidence

import (
	"bufio"
	"bytes"
	"os"
	"testing"

	"github.com/ceiling-dev/ceiling/parse"
	"github.com/ceiling-dev/ceiling/parse/pcap"
)

// FuzzFrames: the frame reader takes any bytes as a pcap, pcapng or NetMon
// file without panicking, and hands out records that lie inside what it
// read, at growing offsets; the fragment and label readers take any frame.
func FuzzFrames(f *testing.F) {
	for _, p := range []string{"../../testdata/pcap/lo_ether.pcapng", "../../testdata/pcap/lo_nsec.pcap", "../../testdata/pcap/zeek_ipv4_fragmented-3.pcap",
		"../../testdata/pcap/mixed_ether_sll2.pcapng", "../../testdata/pcap/gopacket_pcapng_bigendian_test001.pcapng"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b[:min(len(b), 4096)])
		}
	}
	f.Add([]byte("GMBU\x01\x02"))
	f.Fuzz(func(t *testing.T, b []byte) {
		kind := parse.Sniff(b)
		if !kind.IsCapture() {
			kind = parse.KindPcapng
		}
		in := &parse.Input{Path: "fuzz", Kind: kind, R: bufio.NewReader(bytes.NewReader(b))}
		r, err := newFrameReader(in)
		if err != nil {
			return
		}
		var fr frame
		last := int64(-1)
		for n := 0; n < 10000; n++ {
			if r.next(&fr) != nil {
				break
			}
			if kind != parse.KindNetmon && fr.off <= last {
				t.Fatalf("offset %d after %d", fr.off, last)
			}
			last = fr.off
			if len(fr.data) > maxCaplen {
				t.Fatalf("%d-byte record", len(fr.data))
			}
			fragmentOf(&fr)
			labelsOf(fr.data)
		}
	})
}

// labelsOf names a payload every way a ladder can.
func labelsOf(b []byte) {
	p := &pcap.Packet{Payload: b, Flags: pcap.SYN | pcap.FIN}
	for _, cs := range []*connSel{nil, {}, {wsUp: true}, {tlsCCS: [2]bool{true, true}}} {
		payloadLabel(b, cs, true)
		payloadLabel(b, cs, false)
		tcpLabel(p, cs, true)
	}
	wsLabel(b)
}

// FuzzLabels: what the ladders read of a payload (HTTP heads, SIP, TLS
// records, WebSocket frames) never panics.
func FuzzLabels(f *testing.F) {
	for _, s := range []string{
		"GET /events HTTP/1.1\r\nUpgrade: websocket\r\n\r\n", "HTTP/1.1 101 Switching Protocols\r\n\r\n", "HTTP/1.1 ",
		"INVITE sip:a@b SIP/2.0\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n\r\n", "SIP/2.0 503 Service Unavailable\r\n\r\n",
		"\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00", "\x15\x03\x03\x00\x02\x02\x28", "\x88\x82abcd\x62\x8a", "\x81\x7f\xff\xff\xff\xff\xff\xff\xff\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { labelsOf(b) })
}
