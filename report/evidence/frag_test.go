package evidence

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// sipCapture writes a pcap of SIP over UDP on Ethernet in which the large
// INVITEs travel as IP fragments, some of two datagrams interleaved.
type sipCapture struct {
	t    *testing.T
	w    *pcapgo.Writer
	f    *os.File
	now  time.Time
	ipID uint16
}

func newSIPCapture(t *testing.T, path string) *sipCapture {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := pcapgo.NewWriterNanos(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	return &sipCapture{t: t, w: w, f: f, now: time.Unix(1795673436, 0)}
}

var (
	lgIP   = net.IPv4(10, 0, 0, 1)
	edgeIP = net.IPv4(10, 0, 0, 2)
)

// datagram serializes a UDP datagram and cuts it into IPv4 fragments of
// at most mtu bytes of IP payload each (a multiple of 8).
func (c *sipCapture) datagram(src, dst net.IP, sport, dport int, payload string, mtu int) [][]byte {
	c.ipID++
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: src, DstIP: dst, Id: c.ipID}
	udp := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
	udp.SetNetworkLayerForChecksum(ip)
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, udp, gopacket.Payload(payload)); err != nil {
		c.t.Fatal(err)
	}
	whole := buf.Bytes()
	var frames [][]byte
	for off := 0; off < len(whole); off += mtu {
		end := min(off+mtu, len(whole))
		fip := *ip
		fip.FragOffset = uint16(off / 8)
		if end < len(whole) {
			fip.Flags = layers.IPv4MoreFragments
		}
		eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
		out := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(out, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, &fip, gopacket.Payload(whole[off:end])); err != nil {
			c.t.Fatal(err)
		}
		frames = append(frames, append([]byte(nil), out.Bytes()...))
	}
	return frames
}

func (c *sipCapture) write(frame []byte) {
	c.now = c.now.Add(time.Millisecond)
	if err := c.w.WritePacket(gopacket.CaptureInfo{Timestamp: c.now, CaptureLength: len(frame), Length: len(frame)}, frame); err != nil {
		c.t.Fatal(err)
	}
}

func (c *sipCapture) close() {
	if err := c.f.Close(); err != nil {
		c.t.Fatal(err)
	}
}

func invite(callID string, port, pad int) string {
	body := "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=x:" + strings.Repeat("p", pad) + "\r\n"
	return fmt.Sprintf("INVITE sip:edge@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:%d;branch=z9hG4bK-%s\r\nFrom: <sip:lg@10.0.0.1>;tag=a\r\nTo: <sip:edge@10.0.0.2>\r\nCall-ID: %s\r\nCSeq: 1 INVITE\r\nContact: <sip:lg@10.0.0.1:%d>\r\nContent-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s",
		port, callID, callID, port, len(body), body)
}

func answer(callID string, port, code int, reason, method string) string {
	return fmt.Sprintf("SIP/2.0 %d %s\r\nVia: SIP/2.0/UDP 10.0.0.1:%d;branch=z9hG4bK-%s\r\nFrom: <sip:lg@10.0.0.1>;tag=a\r\nTo: <sip:edge@10.0.0.2>;tag=b\r\nCall-ID: %s\r\nCSeq: 1 %s\r\nContent-Length: 0\r\n\r\n",
		code, reason, port, callID, callID, method)
}

func ack(callID string, port int) string {
	return fmt.Sprintf("ACK sip:edge@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:%d;branch=z9hG4bK-%s\r\nFrom: <sip:lg@10.0.0.1>;tag=a\r\nTo: <sip:edge@10.0.0.2>;tag=b\r\nCall-ID: %s\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n",
		port, callID, callID)
}

// TestFragments: a refused INVITE that came in three IP fragments, with
// the fragments of an answered one between them, and a third dialog that
// is not chosen. The evidence holds every fragment frame of the chosen
// dialogs (tshark's ip.fragment of the frames it reassembled) and no frame
// of the third.
func TestFragments(t *testing.T) {
	needTshark(t)
	path := filepath.Join(t.TempDir(), "frag.pcap")
	c := newSIPCapture(t, path)
	refused, answered, other := "refused-1@10.0.0.1", "answered-1@10.0.0.1", "other-1@10.0.0.1"
	a := c.datagram(lgIP, edgeIP, 5062, 5060, invite(refused, 5062, 3000), 1480)
	b := c.datagram(lgIP, edgeIP, 5064, 5060, invite(answered, 5064, 1600), 1480)
	if len(a) != 3 || len(b) != 2 {
		t.Fatalf("%d and %d fragments", len(a), len(b))
	}
	// A1 B1 A2 B2 (B complete) A3 (A complete)
	for _, f := range [][]byte{a[0], b[0], a[1], b[1], a[2]} {
		c.write(f)
	}
	for _, f := range c.datagram(edgeIP, lgIP, 5060, 5064, answer(answered, 5064, 200, "OK", "INVITE"), 1480) {
		c.write(f)
	}
	for _, f := range c.datagram(edgeIP, lgIP, 5060, 5062, answer(refused, 5062, 503, "Service Unavailable", "INVITE"), 1480) {
		c.write(f)
	}
	for _, f := range c.datagram(lgIP, edgeIP, 5062, 5060, ack(refused, 5062), 1480) {
		c.write(f)
	}
	for _, f := range c.datagram(lgIP, edgeIP, 5066, 5060, invite(other, 5066, 2000), 1480) {
		c.write(f)
	}
	for _, f := range c.datagram(edgeIP, lgIP, 5060, 5066, answer(other, 5066, 200, "OK", "INVITE"), 1480) {
		c.write(f)
	}
	c.close()

	paths := []string{path}
	doc := analyse(t, paths...)
	res := doc.Result
	if !res.Verdict.Failed || res.Verdict.FirstFailure.CallID != refused {
		t.Fatalf("verdict %+v", res.Verdict)
	}
	sel := Default(res, 1)
	if len(sel.Items) != 2 || res.Attempts.At(sel.Items[1].Attempt).CallID != answered {
		t.Fatalf("chose %+v", sel.Items)
	}
	sum, out := extractTo(t, doc, sel, paths, Options{})
	seen := check(t, path, out, res, sel)
	// A1 A2 A3 503 ACK, and B1 B2 200.
	if len(seen) != 8 || sum.Frames != 8 {
		t.Errorf("%d frames (summary %d), want 8: %v", len(seen), sum.Frames, seen)
	}
	for _, n := range []int{1, 3, 5} {
		if len(seen[n]) != 1 || !strings.HasPrefix(seen[n][0], "first SIP 503") {
			t.Errorf("fragment frame %d: %q", n, seen[n])
		}
	}
	if got := labels(sum.Ladders[0]); got != "INVITE, 503 Service Unavailable, ACK" {
		t.Errorf("ladder %s", got)
	}
	if f := sum.Ladders[0].Steps[0].Frame; f != 5 {
		t.Errorf("the INVITE is drawn at frame %d, want the one that completed it (5)", f)
	}
}
