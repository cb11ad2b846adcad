package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

type demoRecord struct {
	ci   gopacket.CaptureInfo
	data []byte
}

// demoRecords reads the demo capture's records (Ethernet frames).
func demoRecords(t *testing.T) []demoRecord {
	t.Helper()
	f, err := os.Open("../../testdata/demo/spike.pcapng.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	r, err := pcapgo.NewNgReader(zr, pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatal(err)
	}
	var out []demoRecord
	for {
		data, ci, err := r.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, demoRecord{ci, data})
	}
	return out
}

type verdictJSON struct {
	Inputs []struct {
		Skipped   int64 `json:"skipped"`
		Truncated bool  `json:"truncated"`
	} `json:"inputs"`
	Verdict struct {
		Layer, Status string
		First         struct {
			Concurrency int
			CallID      string `json:"call_id"`
		} `json:"first_failure"`
	}
}

func analyzeJSON(t *testing.T, args ...string) verdictJSON {
	t.Helper()
	code, out, stderr := runCLI(t, append([]string{"analyze", "-q", "--json", "-", "--ladders=false"}, args...)...)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var v verdictJSON
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return v
}

// A capture cut at many offsets: never a panic, the cut is said, and once
// the cut lies past the first failure (and the calls before it ended), the
// verdict is the whole capture's.
func TestDemoTruncatedAnywhere(t *testing.T) {
	recs := demoRecords(t)
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriter(&buf, layers.LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	w.Flush() // the section header and interface, so that offsets are the records'
	offsets := make([]int, len(recs)+1)
	for i, r := range recs {
		offsets[i] = buf.Len()
		w.WritePacket(r.ci, r.data)
		w.Flush()
	}
	offsets[len(recs)] = buf.Len()
	whole := buf.Bytes()
	dir := t.TempDir()
	full := filepath.Join(dir, "full.pcapng")
	writeFile(t, full, whole)
	want := analyzeJSON(t, full)

	// The first 503 is at frame 1043: from a few thousand frames on, the
	// calls that decide its concurrency are all in.
	step := len(whole) / 97
	for cut := 37; cut < len(whole); cut += step {
		p := filepath.Join(dir, "cut.pcapng")
		writeFile(t, p, whole[:cut])
		if cut < offsets[0] {
			// Inside the section header: not a capture that can be read
			// at all, which is an error, not a skip.
			if code, _, stderr := runCLI(t, "analyze", "-q", p); code != ExitBadInput {
				t.Errorf("cut at %d in the header: exit %d (%s)", cut, code, stderr)
			}
			continue
		}
		got := analyzeJSON(t, p)
		if cut != offsets[0] && !got.Inputs[0].Truncated && !isRecordBoundary(offsets, cut) {
			t.Errorf("cut at %d: not reported as truncated", cut)
		}
		if cut > offsets[3000] && (got.Verdict.Layer != want.Verdict.Layer || got.Verdict.Status != want.Verdict.Status ||
			got.Verdict.First.CallID != want.Verdict.First.CallID || got.Verdict.First.Concurrency != want.Verdict.First.Concurrency) {
			t.Errorf("cut at %d: verdict %+v, whole capture %+v", cut, got.Verdict, want.Verdict)
		}
	}
}

func isRecordBoundary(offsets []int, n int) bool {
	for _, o := range offsets {
		if o == n {
			return true
		}
	}
	return false
}

// The demo spread over 50 interfaces of mixed link types (Ethernet, Linux
// SLL2, raw IP) in one pcapng, with some timestamps going backwards:
// the same verdict; the late packets are counted, not lost.
func TestDemoFiftyInterfacesAndBackwardTime(t *testing.T) {
	recs := demoRecords(t)
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriterInterface(&buf, pcapgo.NgInterface{Name: "if0", LinkType: layers.LinkTypeEthernet, SnapLength: 65535, TimestampResolution: 9}, pcapgo.DefaultNgWriterOptions)
	if err != nil {
		t.Fatal(err)
	}
	links := []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL2, layers.LinkTypeRaw}
	for i := 1; i < 50; i++ {
		if _, err := w.AddInterface(pcapgo.NgInterface{Name: "if", LinkType: links[i%3], SnapLength: 65535, TimestampResolution: 9}); err != nil {
			t.Fatal(err)
		}
	}
	for i, r := range recs {
		iface := i % 50
		data := r.data
		switch links[iface%3] {
		case layers.LinkTypeLinuxSLL2:
			h := make([]byte, 20, 20+len(data)-14)
			binary.BigEndian.PutUint16(h[0:], binary.BigEndian.Uint16(data[12:14]))
			binary.BigEndian.PutUint32(h[4:], uint32(iface))
			h[10], h[11] = 0, 6
			data = append(h, data[14:]...)
		case layers.LinkTypeRaw:
			data = data[14:]
		}
		ci := r.ci
		ci.InterfaceIndex = iface
		ci.CaptureLength, ci.Length = len(data), len(data)
		if i%500 == 7 {
			// A clock that steps back by half a second now and then.
			ci.Timestamp = ci.Timestamp.Add(-500 * time.Millisecond)
		}
		if err := w.WritePacket(ci, data); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	p := filepath.Join(t.TempDir(), "mixed.pcapng")
	writeFile(t, p, buf.Bytes())
	got := analyzeJSON(t, p)
	want := analyzeJSON(t, "../../testdata/demo/spike.pcapng.gz")
	if got.Verdict.Layer != want.Verdict.Layer || got.Verdict.Status != want.Verdict.Status || got.Verdict.First.Concurrency != want.Verdict.First.Concurrency {
		t.Errorf("verdict %+v, the demo's %+v", got.Verdict, want.Verdict)
	}
	if got.Inputs[0].Skipped != 0 {
		t.Errorf("skipped %d", got.Inputs[0].Skipped)
	}
}
