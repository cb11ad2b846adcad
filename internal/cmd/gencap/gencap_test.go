package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/ceiling-dev/ceiling/pipeline"
	"github.com/ceiling-dev/ceiling/report"
)

// small is a scaled-down spike that still reaches all three limits in a
// few megabytes.
func small(dir string, extra ...string) []string {
	return append([]string{"-o", dir, "-size", "4MB", "-threads", "240", "-ramp", "8s", "-limit", "150",
		"-tcp-limit", "52", "-ws-threads", "80", "-ws-ramp", "10s", "-ws-limit", "60", "-hold", "6s"}, extra...)
}

func generate(t *testing.T, args []string) string {
	t.Helper()
	stdout := os.Stdout
	os.Stdout, _ = os.Open(os.DevNull)
	defer func() { os.Stdout = stdout }()
	if err := run(args); err != nil {
		t.Fatal(err)
	}
	return args[1]
}

func readAll(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

// The same flags give the same bytes; another seed gives other bytes.
func TestDeterministic(t *testing.T) {
	for _, format := range []string{"pcap", "pcapng"} {
		a := readAll(t, generate(t, small(t.TempDir(), "-format", format, "-rtp", "0.5")))
		b := readAll(t, generate(t, small(t.TempDir(), "-format", format, "-rtp", "0.5")))
		c := readAll(t, generate(t, small(t.TempDir(), "-format", format, "-rtp", "0.5", "-seed", "2")))
		if len(a) != 3 {
			t.Fatalf("%s: wrote %d files, want 3", format, len(a))
		}
		for name := range a {
			if name == "expected.json" {
				continue // names the output folder
			}
			if !bytes.Equal(a[name], b[name]) {
				t.Errorf("%s: %s differs between two runs with the same flags", format, name)
			}
			if bytes.Equal(a[name], c[name]) {
				t.Errorf("%s: %s is the same with another seed", format, name)
			}
		}
	}
}

// RTP is drawn apart: asking for it adds media without changing the
// signalling, so the verdict of a seed holds at any RTP share.
func TestRTPLeavesSignallingAlone(t *testing.T) {
	a := loadExpected(t, generate(t, small(t.TempDir())))
	b := loadExpected(t, generate(t, small(t.TempDir(), "-rtp", "0.8")))
	if *a.Verdict.FirstFailure != *b.Verdict.FirstFailure {
		t.Errorf("first failure changed with -rtp: %+v, then %+v", a.Verdict.FirstFailure, b.Verdict.FirstFailure)
	}
	if b.Capture.RTPShare < 0.7 || b.Capture.RTPShare > 0.9 {
		t.Errorf("rtp share %.3f, asked for 0.8", b.Capture.RTPShare)
	}
}

func loadExpected(t *testing.T, dir string) *expected {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var e expected
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	return &e
}

// Every frame is what gopacket makes of the same layers with its own
// lengths and checksums: the hand-built headers are right.
func TestFramesMatchGopacket(t *testing.T) {
	dir := generate(t, small(t.TempDir(), "-size", "1MB", "-rtp", "0.5"))
	f, err := os.Open(filepath.Join(dir, "capture.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[gopacket.LayerType]int{}
	for n := 1; ; n++ {
		data, _, err := r.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		p := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.Default)
		var ls []gopacket.SerializableLayer
		ip, _ := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		for _, l := range p.Layers() {
			switch l := l.(type) {
			case *layers.Ethernet, *layers.IPv4:
				ls = append(ls, l.(gopacket.SerializableLayer))
			case *layers.TCP:
				l.SetNetworkLayerForChecksum(ip)
				ls = append(ls, l)
				counts[layers.LayerTypeTCP]++
			case *layers.UDP:
				l.SetNetworkLayerForChecksum(ip)
				ls = append(ls, l)
				counts[layers.LayerTypeUDP]++
			}
		}
		if len(ls) != 3 {
			t.Fatalf("frame %d: decoded as %v", n, p.Layers())
		}
		ls = append(ls, gopacket.Payload(ls[2].(gopacket.Layer).LayerPayload()))
		buf := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), data) {
			t.Fatalf("frame %d differs from gopacket's serialisation:\n got %x\nwant %x", n, data, buf.Bytes())
		}
	}
	if counts[layers.LayerTypeTCP] == 0 || counts[layers.LayerTypeUDP] == 0 {
		t.Errorf("frames: %v, want TCP and UDP", counts)
	}
}

// ceiling reads the files and finds what the generator put there: the
// verdict, each layer's first failure and its concurrency, the counts,
// every sample matched.
func TestCeilingAgrees(t *testing.T) {
	for _, format := range []string{"pcap", "pcapng"} {
		dir := generate(t, small(t.TempDir(), "-format", format, "-rtp", "0.3"))
		exp := loadExpected(t, dir)
		doc, err := pipeline.Run(pipeline.Config{Paths: []string{
			filepath.Join(dir, exp.Files.Capture), filepath.Join(dir, exp.Files.JTL)}})
		if err != nil {
			t.Fatal(err)
		}
		got := report.NewSummary(doc)
		if exp.Verdict.Layer != "sip" {
			t.Fatalf("%s: the small spike's verdict is %q: limits not reached", format, exp.Verdict.Layer)
		}
		if got.Verdict.Layer != exp.Verdict.Layer || got.Verdict.Status != exp.Verdict.Status || got.Verdict.Kind != exp.Verdict.Kind {
			t.Errorf("%s: verdict %s %s %s, want %s %s %s", format, got.Verdict.Layer, got.Verdict.Status, got.Verdict.Kind,
				exp.Verdict.Layer, exp.Verdict.Status, exp.Verdict.Kind)
		}
		for name, want := range map[string]*layerCounts{"sip": &exp.Layers.SIP, "tcp": &exp.Layers.TCP, "websocket": &exp.Layers.WebSocket} {
			l, ok := got.Layers[name]
			if !ok {
				t.Errorf("%s: no %s layer in ceiling's summary", format, name)
				continue
			}
			if l.Attempts != want.Attempts || l.Failures != want.Failures {
				t.Errorf("%s: %s: %d attempts, %d failures; want %d, %d", format, name, l.Attempts, l.Failures, want.Attempts, want.Failures)
			}
			if want.FirstFailure == nil || l.FirstFailure == nil {
				t.Errorf("%s: %s: first failure %v, want %v", format, name, l.FirstFailure, want.FirstFailure)
				continue
			}
			if int(l.FirstFailure.Concurrency) != want.FirstFailure.Concurrency || l.FirstFailure.Edge != want.FirstFailure.Edge ||
				l.FirstFailure.CallID != want.FirstFailure.CallID {
				t.Errorf("%s: %s: first failure at %d (%s, %q), want %d (%s, %q)", format, name,
					l.FirstFailure.Concurrency, l.FirstFailure.Edge, l.FirstFailure.CallID,
					want.FirstFailure.Concurrency, want.FirstFailure.Edge, want.FirstFailure.CallID)
			}
		}
		for code, n := range exp.Layers.SIP.Codes {
			if got.Layers["sip"].Codes[code] != n {
				t.Errorf("%s: sip %s ×%d, want %d", format, code, got.Layers["sip"].Codes[code], n)
			}
		}
		c := got.Correlation
		if c.JTLSamples != exp.JTL.Rows || c.Matched != exp.JTL.Rows {
			t.Errorf("%s: %d of %d samples matched, want all %d", format, c.Matched, c.JTLSamples, exp.JTL.Rows)
		}
		if d := c.ClockOffsetMS - exp.JTL.ClockOffsetMS; d < 0 || d > 2 {
			t.Errorf("%s: clock offset %.3f ms, want %.0f ms (+ up to 2 ms of latency)", format, c.ClockOffsetMS, exp.JTL.ClockOffsetMS)
		}
		for _, in := range got.Inputs {
			if in.Skipped != 0 {
				t.Errorf("%s: %s: %d records skipped", format, in.Path, in.Skipped)
			}
		}
		media := fmt.Sprintf("%s RTP packets in %s streams", report.Thousands(exp.Capture.RTPPackets), report.Thousands(exp.Capture.RTPStreams))
		if exp.Capture.RTPPackets == 0 || !strings.Contains(doc.Inputs[0].Detail, media) {
			t.Errorf("%s: capture detail %q, want %q", format, doc.Inputs[0].Detail, media)
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"100MB": 100e6, "1GB": 1e9, "1.5GB": 1.5e9, "512MiB": 512 << 20, "1gib": 1 << 30, "12345": 12345, "10 GB": 10e9} {
		got, err := parseSize(in)
		if err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "GB", "-1MB", "ten"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q): no error", in)
		}
	}
}
