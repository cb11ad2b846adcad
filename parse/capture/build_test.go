package capture

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/ceiling-dev/ceiling/parse"
)

// capFile builds a pcap in memory from packets made with gopacket's
// serializers: real headers and checksums, for tests of what the capture
// stage makes of streams that no tool would produce on demand.
type capFile struct {
	buf bytes.Buffer
	w   *pcapgo.Writer
	t   time.Time
	seq map[string]uint32
}

func newCapFile(t testing.TB) *capFile {
	c := &capFile{t: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC), seq: map[string]uint32{}}
	c.w = pcapgo.NewWriter(&c.buf)
	if err := c.w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	return c
}

type ep struct {
	ip   string
	port uint16
}

// tcp writes one TCP segment from a to b; the sequence numbers follow on
// per direction, from 1000 after the SYN.
func (c *capFile) tcp(t testing.TB, a, b ep, flags string, payload []byte) {
	key := a.ip + ":" + string(rune(a.port)) + ">" + b.ip + ":" + string(rune(b.port))
	rkey := b.ip + ":" + string(rune(b.port)) + ">" + a.ip + ":" + string(rune(a.port))
	tc := &layers.TCP{SrcPort: layers.TCPPort(a.port), DstPort: layers.TCPPort(b.port), Window: 65535}
	for _, f := range flags {
		switch f {
		case 'S':
			tc.SYN = true
		case 'A':
			tc.ACK = true
		case 'F':
			tc.FIN = true
		case 'R':
			tc.RST = true
		case 'P':
			tc.PSH = true
		}
	}
	if tc.SYN {
		c.seq[key] = 1000
	}
	tc.Seq = c.seq[key]
	if tc.ACK {
		tc.Ack = c.seq[rkey]
	}
	n := uint32(len(payload))
	if tc.SYN || tc.FIN {
		n++
	}
	c.seq[key] += n
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: net.ParseIP(a.ip), DstIP: net.ParseIP(b.ip)}
	tc.SetNetworkLayerForChecksum(ip)
	c.write(t, time.Millisecond, ip, tc, payload)
}

// write puts one IPv4 packet on Ethernet into the capture, at the
// capture's clock moved by dt (which may go back).
func (c *capFile) write(t testing.TB, dt time.Duration, ip *layers.IPv4, transport gopacket.SerializableLayer, payload []byte) {
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	sb := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(sb, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, transport, gopacket.Payload(payload)); err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(dt)
	data := sb.Bytes()
	if err := c.w.WritePacket(gopacket.CaptureInfo{Timestamp: c.t, CaptureLength: len(data), Length: len(data)}, data); err != nil {
		t.Fatal(err)
	}
}

// handshake opens a connection.
func (c *capFile) handshake(t testing.TB, cl, sv ep) {
	c.tcp(t, cl, sv, "S", nil)
	c.tcp(t, sv, cl, "SA", nil)
	c.tcp(t, cl, sv, "A", nil)
}

// open starts a Source on the capture.
func (c *capFile) open(t testing.TB, opts Options) *Source {
	in := &parse.Input{Path: "built.pcap", Kind: parse.KindPcap, R: bufio.NewReader(bytes.NewReader(c.buf.Bytes()))}
	src, err := Open([]*parse.Input{in}, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// run feeds the capture through the stage and returns its events and
// per-file stats.
func (c *capFile) run(t testing.TB, opts Options) ([]Event, FileStats) {
	src := c.open(t, opts)
	defer src.Close()
	var evs []Event
	for {
		ev, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, ev)
	}
	return evs, src.Stats()[0]
}

func count(evs []Event, k Kind) int {
	n := 0
	for _, e := range evs {
		if e.Kind == k {
			n++
		}
	}
	return n
}
