package evidence

import (
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/ceiling-dev/ceiling/correlate"
)

// tcpFlow writes one TCP connection's segments into a sipCapture, keeping
// the sequence numbers.
type tcpFlow struct {
	c            *sipCapture
	cip, sip     net.IP
	cport, sport int
	cseq, sseq   uint32
}

func (c *sipCapture) flow(cip, sip net.IP, cport, sport int, isn uint32) *tcpFlow {
	return &tcpFlow{c: c, cip: cip, sip: sip, cport: cport, sport: sport, cseq: isn, sseq: 7000000}
}

func (f *tcpFlow) segment(fromClient bool, syn, ack, fin, rst bool, payload string) {
	src, dst, sp, dp := f.cip, f.sip, f.cport, f.sport
	seq, ackn := f.cseq, f.sseq
	if !fromClient {
		src, dst, sp, dp = f.sip, f.cip, f.sport, f.cport
		seq, ackn = f.sseq, f.cseq
	}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: src, DstIP: dst}
	tcp := &layers.TCP{SrcPort: layers.TCPPort(sp), DstPort: layers.TCPPort(dp), Seq: seq, SYN: syn, ACK: ack, FIN: fin, RST: rst, Window: 65535}
	if ack {
		tcp.Ack = ackn
	}
	tcp.SetNetworkLayerForChecksum(ip)
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, tcp, gopacket.Payload(payload)); err != nil {
		f.c.t.Fatal(err)
	}
	f.c.write(buf.Bytes())
	n := uint32(len(payload))
	if syn || fin {
		n++
	}
	if fromClient {
		f.cseq += n
	} else {
		f.sseq += n
	}
}

func (f *tcpFlow) open() {
	f.segment(true, true, false, false, false, "")
	f.segment(false, true, true, false, false, "")
	f.segment(true, false, true, false, false, "")
}

func (f *tcpFlow) send(fromClient bool, payload string) {
	f.segment(fromClient, false, true, false, false, payload)
	f.segment(!fromClient, false, true, false, false, "")
}

func (f *tcpFlow) close() {
	f.segment(true, false, true, true, false, "")
	f.segment(false, false, true, true, false, "")
	f.segment(true, false, true, false, false, "")
}

func tcpInvite(callID string) string {
	return strings.ReplaceAll(invite(callID, 40000, 10), "SIP/2.0/UDP", "SIP/2.0/TCP")
}

func tcpAnswer(callID string, code int, reason, method string) string {
	return strings.ReplaceAll(answer(callID, 40000, code, reason, method), "SIP/2.0/UDP", "SIP/2.0/TCP")
}

// TestSharedConnection: two dialogs on one SIP-over-TCP connection; the
// refused one's evidence is the segments carrying its messages, not the
// connection. And a port the client used twice: the refused connection's
// SYN and RST, not the later connection on the same ends.
func TestSharedConnection(t *testing.T) {
	needTshark(t)
	path := filepath.Join(t.TempDir(), "tcp.pcap")
	c := newSIPCapture(t, path)
	refused, answered := "shared-refused@10.0.0.1", "shared-answered@10.0.0.1"

	sipConn := c.flow(lgIP, edgeIP, 40000, 5060, 1000)
	sipConn.open()
	sipConn.send(true, tcpInvite(answered))
	sipConn.send(false, tcpAnswer(answered, 200, "OK", "INVITE"))
	sipConn.send(true, strings.ReplaceAll(ack(answered, 40000), "SIP/2.0/UDP", "SIP/2.0/TCP"))
	sipConn.send(true, tcpInvite(refused))
	sipConn.send(false, tcpAnswer(refused, 503, "Service Unavailable", "INVITE"))
	sipConn.send(true, strings.ReplaceAll(ack(refused, 40000), "SIP/2.0/UDP", "SIP/2.0/TCP"))

	first := c.flow(lgIP, edgeIP, 40001, 8080, 5000)
	first.segment(true, true, false, false, false, "")
	first.segment(false, false, true, false, true, "")
	again := c.flow(lgIP, edgeIP, 40001, 8080, 900000)
	again.open()
	again.send(true, "GET / HTTP/1.1\r\nHost: edge\r\n\r\n")
	again.send(false, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
	again.close()
	sipConn.close()
	c.close()

	paths := []string{path}
	doc := analyse(t, paths...)
	res := doc.Result
	sel := (&Filter{CallIDs: []string{refused}}).Select(res)
	if len(sel.Items) != 1 {
		t.Fatalf("chose %+v", sel.Items)
	}
	refusedTCP := (&Filter{Layers: []correlate.Layer{correlate.LayerTCP}, Statuses: []string{"refused"}}).Select(res)
	if len(refusedTCP.Items) != 1 {
		t.Fatalf("refused connections: %+v", refusedTCP.Items)
	}
	sel.Items = append(sel.Items, refusedTCP.Items...)
	sum, out := extractTo(t, doc, sel, paths, Options{})
	seen := check(t, path, out, res, sel)
	// INVITE, 503, ACK of the refused dialog; SYN and RST of the refused
	// connection.
	if len(seen) != 5 {
		t.Errorf("%d frames: %v", len(seen), seen)
	}
	if got := labels(sum.Ladders[0]); got != "INVITE, 503 Service Unavailable, ACK" {
		t.Errorf("shared connection ladder: %s", got)
	}
	if got := labels(sum.Ladders[1]); got != "SYN, RST" {
		t.Errorf("refused connection ladder: %s", got)
	}
}
