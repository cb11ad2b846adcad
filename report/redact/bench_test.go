package redact

import (
	"path/filepath"
	"testing"
)

// BenchmarkPacket redacts whole captures frame by frame, as evidence
// does: the demo (SIP over UDP, 9 000 frames) and a fixture of SIP over
// TCP. Bytes are the frames' bytes.
func BenchmarkPacket(b *testing.B) {
	for _, c := range []struct{ name, path string }{
		{"demo-udp", filepath.Join(demoDir, "spike.pcapng.gz")},
		{"sip-tcp", "../../testdata/fixtures/sip-tcp-limit/capture.pcapng.gz"},
		{"websocket", "../../testdata/fixtures/ws-limit-conn/capture.pcapng.gz"},
	} {
		b.Run(c.name, func(b *testing.B) {
			capt := readCapture(b, c.path)
			var size int64
			for _, fr := range capt.frames {
				size += int64(len(fr.data))
			}
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				r := New(Options{Secret: testSecret})
				for _, fr := range capt.frames {
					if _, err := r.Packet(fr.data, capt.links[fr.ci.InterfaceIndex]); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(len(capt.frames))*float64(b.N)/b.Elapsed().Seconds(), "frames/s")
		})
	}
}

// BenchmarkDocument redacts the demo's analysis (1 543 attempts).
func BenchmarkDocument(b *testing.B) {
	doc := analyzeB(b, filepath.Join(demoDir, "spike.pcapng.gz"), filepath.Join(demoDir, "spike.jtl"))
	b.ReportAllocs()
	for b.Loop() {
		r := New(Options{Secret: testSecret, Edges: Edges(doc.Result)})
		r.Document(doc)
	}
}
