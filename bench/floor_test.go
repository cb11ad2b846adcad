package bench

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/ceiling-dev/ceiling/internal/cpuclock"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// The floors are the reference points the scale issue measured its goals
// against, run on the same file in the same run as ceiling, so that a
// machine slower this hour shows up in both: "a careful Go floor: pcapgo +
// DecodingLayerParser + Call-ID scan" (~1,000 MB/s on 1 GB of signalling
// when the goal of 400 was set) and Go's encoding/csv on a JTL (~2.5 M
// rows/s when the goal of 2 M was set). They do far less than ceiling: no
// reassembly, no SIP parse, no correlation, no report. bench/run.sh prints
// ceiling's rate as a share of them.

// BenchmarkFloorCapture reads the classic pcap named in
// CEILING_BENCH_CAPTURE with pcapgo, decodes each frame's Ethernet, IP and
// UDP or TCP headers with a DecodingLayerParser, and looks for a Call-ID
// header in the payload, as the floor did. It reports MB per
// CPU-second.
func BenchmarkFloorCapture(b *testing.B) {
	path := benchFile(b, "CEILING_BENCH_CAPTURE")
	var packets, callIDs int
	start := cpuclock.Used()
	for i := 0; i < b.N; i++ {
		packets, callIDs = floorCapture(b, path)
	}
	cpu := (cpuclock.Used() - start).Seconds()
	if packets == 0 {
		b.Fatalf("%s: no packets", path)
	}
	if cpu > 0 {
		b.ReportMetric(float64(b.N)*float64(fileSize(b, path))/cpu/1e6, "MB/cpu-s")
	}
	b.ReportMetric(float64(packets), "packets")
	b.ReportMetric(float64(callIDs), "call-ids")
}

func floorCapture(b *testing.B, path string) (packets, callIDs int) {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		b.Fatalf("%s: %v", path, err)
	}
	if r.LinkType() != layers.LinkTypeEthernet {
		b.Fatalf("%s: link type %v; the floor reads Ethernet", path, r.LinkType())
	}
	var (
		eth     layers.Ethernet
		ip4     layers.IPv4
		ip6     layers.IPv6
		udp     layers.UDP
		tcp     layers.TCP
		payload gopacket.Payload
		decoded []gopacket.LayerType
	)
	p := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &ip4, &ip6, &udp, &tcp, &payload)
	p.IgnoreUnsupported = true
	for {
		data, _, err := r.ZeroCopyReadPacketData()
		if errors.Is(err, io.EOF) {
			return packets, callIDs
		}
		if err != nil {
			b.Fatalf("%s: packet %d: %v", path, packets+1, err)
		}
		packets++
		// A frame that does not decode (a fragment, say) is skipped, as
		// the floor skipped it.
		if p.DecodeLayers(data, &decoded) != nil {
			continue
		}
		var app []byte
		for _, t := range decoded {
			switch t {
			case layers.LayerTypeUDP:
				app = udp.Payload
			case layers.LayerTypeTCP:
				app = tcp.Payload
			}
		}
		if hasCallID(app) {
			callIDs++
		}
	}
}

// hasCallID reports whether b holds a Call-ID header line, in its long
// or compact form.
func hasCallID(b []byte) bool {
	return bytes.Contains(b, []byte("\nCall-ID:")) || bytes.Contains(b, []byte("\ni:"))
}

// BenchmarkFloorJTL reads the JTL CSV named in CEILING_BENCH_JTL with
// encoding/csv, reusing its record, and touches every field: the issue's
// ~2.5 M rows/s reference. It reports rows per CPU-second.
func BenchmarkFloorJTL(b *testing.B) {
	path := benchFile(b, "CEILING_BENCH_JTL")
	rows, sink := 0, 0
	start := cpuclock.Used()
	for i := 0; i < b.N; i++ {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		r := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
		r.ReuseRecord = true
		r.FieldsPerRecord = -1
		rows = 0
		for {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatalf("%s: row %d: %v", path, rows+1, err)
			}
			for _, f := range rec {
				sink += len(f)
			}
			rows++
		}
		f.Close()
	}
	cpu := (cpuclock.Used() - start).Seconds()
	if sink == 0 {
		b.Fatalf("%s: no fields", path)
	}
	if cpu > 0 {
		b.ReportMetric(float64(rows)*float64(b.N)/cpu, "rows/cpu-s")
	}
}

// benchFile is the file the environment variable env names, its size set
// as the benchmark's bytes; the benchmark is skipped when env is unset.
func benchFile(b *testing.B, env string) string {
	path := os.Getenv(env)
	if path == "" {
		b.Skip(env + " names no file (bench/run.sh sets it)")
	}
	b.SetBytes(fileSize(b, path))
	return path
}

func fileSize(b *testing.B, path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return st.Size()
}
