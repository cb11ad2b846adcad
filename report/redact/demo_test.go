package redact

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// The demo capture runs on loopback: JMeter, the edge (kamailio :5060)
// and the backend (sipp :5070) all are 127.0.0.1, which is kept. To see
// client addresses go, the tests move the demo onto distinct addresses,
// told apart by port, with gopacket's serializer (not the code under
// test) fixing lengths and checksums.
var (
	demoClient  = "10.1.2.3"
	demoEdge    = "172.16.0.10"
	demoBackend = "172.16.0.20"
)

const demoDir = "../../testdata/demo"

func roleAddr(port uint16) string {
	switch port {
	case 5060:
		return demoEdge
	case 5070:
		return demoBackend
	}
	return demoClient
}

// moveText rewrites 127.0.0.1 in SIP text: with the edge's or backend's
// port it is theirs, otherwise (Via of the caller, Contact, SDP,
// Call-ID) the client's.
func moveText(s string) string {
	s = strings.ReplaceAll(s, "127.0.0.1:5060", demoEdge+":5060")
	s = strings.ReplaceAll(s, "127.0.0.1:5070", demoBackend+":5070")
	return strings.ReplaceAll(s, "127.0.0.1", demoClient)
}

func moveSIP(b []byte) []byte {
	s := moveText(string(b))
	i := strings.Index(s, "\r\n\r\n")
	if i < 0 {
		return []byte(s)
	}
	head, body := s[:i+4], s[i+4:]
	var out []string
	for _, l := range strings.Split(head, "\r\n") {
		if strings.HasPrefix(strings.ToLower(l), "content-length:") {
			l = "Content-Length: " + strconv.Itoa(len(body))
		}
		out = append(out, l)
	}
	return []byte(strings.Join(out, "\r\n") + body)
}

// distinctDemo writes the moved demo capture and JTL into dir.
func distinctDemo(t testing.TB, dir string) (pcapPath, jtlPath string) {
	t.Helper()
	c := readCapture(t, filepath.Join(demoDir, "spike.pcapng.gz"))
	for i := range c.frames {
		fr := &c.frames[i]
		p := gopacket.NewPacket(fr.data, layers.LayerTypeEthernet, gopacket.Default)
		eth, _ := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
		ip, _ := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		udp, _ := p.Layer(layers.LayerTypeUDP).(*layers.UDP)
		if eth == nil || ip == nil || udp == nil {
			t.Fatalf("demo frame %d is not Ethernet/IPv4/UDP", i+1)
		}
		ip.SrcIP = net.ParseIP(roleAddr(uint16(udp.SrcPort))).To4()
		ip.DstIP = net.ParseIP(roleAddr(uint16(udp.DstPort))).To4()
		if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
			t.Fatal(err)
		}
		buf := gopacket.NewSerializeBuffer()
		opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
		if err := gopacket.SerializeLayers(buf, opts, eth, ip, udp, gopacket.Payload(moveSIP(udp.Payload))); err != nil {
			t.Fatal(err)
		}
		fr.data = append([]byte(nil), buf.Bytes()...)
		fr.ci.CaptureLength, fr.ci.Length = len(fr.data), len(fr.data)
	}
	pcapPath = filepath.Join(dir, "distinct.pcapng")
	writeCapture(t, pcapPath, c)

	jtl, err := os.ReadFile(filepath.Join(demoDir, "spike.jtl"))
	if err != nil {
		t.Fatal(err)
	}
	// The JTL names the client's host, and its labels carry a number
	// and a URL with a query string, as an HTTP sampler's would.
	s := strings.ReplaceAll(string(jtl), "@127.0.0.1", "@"+demoClient)
	s = strings.ReplaceAll(s, ",vm,", ",loadgen-17.lab.example,")
	s = strings.ReplaceAll(s, ",SIP INVITE,", ","+demoLabel+",")
	jtlPath = filepath.Join(dir, "distinct.jtl")
	if err := os.WriteFile(jtlPath, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return pcapPath, jtlPath
}

const demoLabel = "INVITE +18005550100 https://lab.example/calls?caller=loadtest-001&pin=4321"

// The secrets of the demo: none may be left anywhere after redaction.
var demoSecrets = []string{
	"18005550100", "loadtest-001", "Load test 001", "loadgen-17", "pin=4321", demoClient, demoBackend,
}

func TestDistinctDemoMoved(t *testing.T) {
	// The fixture itself must be what the tests think it is.
	needTshark(t)
	dir := t.TempDir()
	p, _ := distinctDemo(t, dir)
	got := fields(t, p, "", "ip.src")
	want := []string{demoClient, demoEdge, demoBackend}
	if fmt.Sprint(got) != fmt.Sprint(sorted(want)) {
		t.Fatalf("addresses %v, want %v", got, want)
	}
	if bad := tshark(t, append(checkArgs, "-r", p, "-Y", "ip.checksum.status==Bad || udp.checksum.status==Bad || _ws.malformed")...); bad != "" {
		t.Fatalf("moved demo has damaged packets:\n%s", firstLines(bad, 5))
	}
	raw, _ := os.ReadFile(p)
	if bytes.Contains(raw, []byte("127.0.0.1")) {
		t.Fatal("127.0.0.1 left in the moved demo")
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func firstLines(s string, n int) string {
	l := strings.SplitN(s, "\n", n+1)
	if len(l) > n {
		l = l[:n]
	}
	return strings.Join(l, "\n")
}
