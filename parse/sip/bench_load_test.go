package sip

import (
	"encoding/binary"
	"io"
	"os"
	"testing"

	"github.com/ceiling-dev/ceiling/internal/cpuclock"
)

// loadTestDialog is one call of the bench inputs (internal/cmd/gencap)
// as its messages cross the wire over UDP: INVITE, 100, 180, 200, ACK,
// BYE, 200, and a refused call's 503 and its ACK. The capture reader
// parses 2.5 M such messages a GB, so this mix, rather than any one
// message, is what a change to the parser is weighed by.
var loadTestDialog = []string{
	crlf(`INVITE sip:+18005550100@10.20.0.10:5060;transport=udp;user=phone SIP/2.0
Via: SIP/2.0/UDP 10.10.0.5:40312;rport;branch=z9hG4bK1a2b3c4d00c0ffee
Max-Forwards: 70
From: "Load test 0017" <sip:loadtest-0017@10.10.0.5>;tag=6e3a2c91
To: <sip:+18005550100@10.20.0.10;user=phone>
Call-ID: 00000000c0ffee17-t0017-i000042@10.10.0.5
CSeq: 1 INVITE
Contact: <sip:loadtest-0017@10.10.0.5:40312;transport=udp>
Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, NOTIFY
Supported: timer, replaces
Session-Expires: 1800;refresher=uac
P-Asserted-Identity: <sip:+14155550017@10.10.0.5;user=phone>
User-Agent: ceiling-spike SipCallSampler (Apache JMeter 5.6.3)
Content-Type: application/sdp
Content-Length: 230

v=0
o=jmeter 123456 123456 IN IP4 10.10.0.5
s=ceiling spike call
c=IN IP4 10.10.0.5
t=0 0
m=audio 20000 RTP/AVP 0 8 101
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=ptime:20
a=rtcp:20001
a=sendrecv
`),
	crlf(`SIP/2.0 100 Trying
Via: SIP/2.0/UDP 10.10.0.5:40312;branch=z9hG4bK1a2b3c4d00c0ffee;received=10.10.0.5;rport=40312
From: "Load test 0017" <sip:loadtest-0017@10.10.0.5>;tag=6e3a2c91
To: <sip:+18005550100@10.20.0.10;user=phone>
Call-ID: 00000000c0ffee17-t0017-i000042@10.10.0.5
CSeq: 1 INVITE
Server: edge-sbc 5.6.3 (ceiling gencap)
Content-Length: 0

`),
	crlf(`SIP/2.0 180 Ringing
Via: SIP/2.0/UDP 10.10.0.5:40312;branch=z9hG4bK1a2b3c4d00c0ffee;received=10.10.0.5;rport=40312
Record-Route: <sip:10.20.0.10:5060;transport=udp;lr;ftag=6e3a2c91;did=a1b2c3>
From: "Load test 0017" <sip:loadtest-0017@10.10.0.5>;tag=6e3a2c91
To: <sip:+18005550100@10.20.0.10;user=phone>;tag=5f2e9c1d
Call-ID: 00000000c0ffee17-t0017-i000042@10.10.0.5
CSeq: 1 INVITE
Contact: <sip:edge@10.20.0.10:5060;transport=udp>
Server: edge-sbc 5.6.3 (ceiling gencap)
Content-Length: 0

`),
	crlf(`SIP/2.0 200 OK
Via: SIP/2.0/UDP 10.10.0.5:40312;branch=z9hG4bK1a2b3c4d00c0ffee;received=10.10.0.5;rport=40312
Record-Route: <sip:10.20.0.10:5060;transport=udp;lr;ftag=6e3a2c91;did=a1b2c3>
From: "Load test 0017" <sip:loadtest-0017@10.10.0.5>;tag=6e3a2c91
To: <sip:+18005550100@10.20.0.10;user=phone>;tag=5f2e9c1d
Call-ID: 00000000c0ffee17-t0017-i000042@10.10.0.5
CSeq: 1 INVITE
Contact: <sip:edge@10.20.0.10:5060;transport=udp>
Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, NOTIFY
Supported: timer
Require: timer
Session-Expires: 1800;refresher=uac
Server: edge-sbc 5.6.3 (ceiling gencap)
Content-Type: application/sdp
Content-Length: 0

`),
	crlf(`ACK sip:edge@10.20.0.10:5060;transport=udp SIP/2.0
Via: SIP/2.0/UDP 10.10.0.5:40312;rport;branch=z9hG4bK5e6f7a8b00c0ffee
Max-Forwards: 70
Route: <sip:10.20.0.10:5060;transport=udp;lr;ftag=6e3a2c91;did=a1b2c3>
From: "Load test 0017" <sip:loadtest-0017@10.10.0.5>;tag=6e3a2c91
To: <sip:+18005550100@10.20.0.10;user=phone>;tag=5f2e9c1d
Call-ID: 00000000c0ffee17-t0017-i000042@10.10.0.5
CSeq: 1 ACK
User-Agent: ceiling-spike SipCallSampler (Apache JMeter 5.6.3)
Content-Length: 0

`),
	crlf(`BYE sip:edge@10.20.0.10:5060;transport=udp SIP/2.0
Via: SIP/2.0/UDP 10.10.0.5:40312;rport;branch=z9hG4bK9c0d1e2f00c0ffee
Max-Forwards: 70
Route: <sip:10.20.0.10:5060;transport=udp;lr;ftag=6e3a2c91;did=a1b2c3>
From: "Load test 0017" <sip:loadtest-0017@10.10.0.5>;tag=6e3a2c91
To: <sip:+18005550100@10.20.0.10;user=phone>;tag=5f2e9c1d
Call-ID: 00000000c0ffee17-t0017-i000042@10.10.0.5
CSeq: 2 BYE
User-Agent: ceiling-spike SipCallSampler (Apache JMeter 5.6.3)
Content-Length: 0

`),
	crlf(`SIP/2.0 200 OK
Via: SIP/2.0/UDP 10.10.0.5:40312;branch=z9hG4bK9c0d1e2f00c0ffee;received=10.10.0.5;rport=40312
From: "Load test 0017" <sip:loadtest-0017@10.10.0.5>;tag=6e3a2c91
To: <sip:+18005550100@10.20.0.10;user=phone>;tag=5f2e9c1d
Call-ID: 00000000c0ffee17-t0017-i000042@10.10.0.5
CSeq: 2 BYE
Server: edge-sbc 5.6.3 (ceiling gencap)
Content-Length: 0

`),
	crlf(`SIP/2.0 503 Service Unavailable
Via: SIP/2.0/UDP 10.10.0.5:40312;branch=z9hG4bK1a2b3c4d00c0ffee;received=10.10.0.5;rport=40312
From: "Load test 0017" <sip:loadtest-0017@10.10.0.5>;tag=6e3a2c91
To: <sip:+18005550100@10.20.0.10;user=phone>;tag=5f2e9c1d
Call-ID: 00000000c0ffee17-t0017-i000042@10.10.0.5
CSeq: 1 INVITE
Retry-After: 5
Reason: Q.850;cause=34;text="Edge dialog limit reached"
Server: edge-sbc 5.6.3 (ceiling gencap)
Content-Length: 0

`),
}

// BenchmarkParseLoadTest parses loadTestDialog's messages in turn, one
// per iteration, as the capture reader does (ParseSharedInto, datagram
// mode). cpu-ns/op is the figure to compare on a shared machine.
func BenchmarkParseLoadTest(b *testing.B) {
	msgs := make([][]byte, len(loadTestDialog))
	size := 0
	for i, s := range loadTestDialog {
		msgs[i] = []byte(s)
		size += len(s)
	}
	parseInTurn(b, msgs, size)
}

// BenchmarkParseCapture parses the SIP over UDP of the first 8 MB of the
// classic pcap file (Ethernet, IPv4) named by CEILING_BENCH_PCAP, such as
// the bench's 1 GB signalling capture, one message per iteration in
// capture order. Unlike BenchmarkParseLoadTest, whose eight messages the
// branch predictor and the caches soon know by heart, every message is
// new: Call-IDs, tags, branches and lengths vary as on the wire. 8 MB
// (some 6,000 messages) stays in a shared cache as a capture reader's
// recent reads do, rather than measuring memory.
func BenchmarkParseCapture(b *testing.B) {
	path := os.Getenv("CEILING_BENCH_PCAP")
	if path == "" {
		b.Skip("CEILING_BENCH_PCAP names no capture")
	}
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 8<<20)
	n, err := io.ReadFull(f, buf)
	if err != nil && err != io.ErrUnexpectedEOF {
		b.Fatal(err)
	}
	buf = buf[:n]
	if len(buf) < 24 || binary.LittleEndian.Uint32(buf) != 0xa1b23c4d && binary.LittleEndian.Uint32(buf) != 0xa1b2c3d4 {
		b.Fatal("not a little-endian classic pcap file")
	}
	var msgs [][]byte
	size := 0
	for pos := 24; pos+16 <= len(buf); {
		caplen := int(binary.LittleEndian.Uint32(buf[pos+8:]))
		pos += 16
		if pos+caplen > len(buf) {
			break
		}
		pkt := buf[pos : pos+caplen]
		pos += caplen
		// Ethernet, IPv4 without fragments, UDP.
		if len(pkt) < 14+20+8 || pkt[12] != 0x08 || pkt[13] != 0x00 || pkt[14]>>4 != 4 || pkt[23] != 17 {
			continue
		}
		ihl := int(pkt[14]&0x0f) * 4
		if binary.BigEndian.Uint16(pkt[20:])&0x3fff != 0 || len(pkt) < 14+ihl+8 {
			continue
		}
		payload := pkt[14+ihl+8:]
		if Looks(payload) {
			msgs = append(msgs, payload)
			size += len(payload)
		}
	}
	if len(msgs) == 0 {
		b.Fatal("no SIP over UDP in the capture's first bytes")
	}
	parseInTurn(b, msgs, size)
	b.ReportMetric(float64(len(msgs)), "msgs")
}

// parseInTurn parses msgs (size bytes in all) one per iteration, in turn,
// as the capture reader does (ParseSharedInto, datagram mode), and
// reports cpu-ns/op.
func parseInTurn(b *testing.B, msgs [][]byte, size int) {
	var p Parser
	var m Message
	opts := &Options{Datagram: true}
	b.SetBytes(int64(size / len(msgs)))
	b.ReportAllocs()
	start := cpuclock.Used()
	i := 0
	for b.Loop() {
		if _, _, err := p.ParseSharedInto(&m, msgs[i], opts); err != nil {
			b.Fatal(err)
		}
		if i++; i == len(msgs) {
			i = 0
		}
	}
	if cpu := cpuclock.Used() - start; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}
