package evidence

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/ceiling-dev/ceiling/correlate"
)

// TestSharedRecords: a classic pcap file's evidence, read once with the
// records parse/pcap hands over, is the evidence read twice, by
// parse/pcap and by frameReader: the same file, byte for byte, and the
// same summary. The captures: the pcaps of the test data and of the
// corpus, one of IP fragments, and that one cut short at places inside
// its records and damaged in a record header.
func TestSharedRecords(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/pcap/*.pcap")
	corpus, _ := filepath.Glob("../../../shared/corpus/pcap/*.pcap")
	files = append(files, corpus...)

	dir := t.TempDir()
	frag := filepath.Join(dir, "frag.pcap")
	c := newSIPCapture(t, frag)
	for i, id := range []string{"a@10.0.0.1", "b@10.0.0.1", "c@10.0.0.1"} {
		port := 5062 + 2*i
		for _, f := range c.datagram(lgIP, edgeIP, port, 5060, invite(id, port, 2000+500*i), 1480) {
			c.write(f)
		}
		code, reason := 503, "Service Unavailable"
		if i == 1 {
			code, reason = 200, "OK"
		}
		for _, f := range c.datagram(edgeIP, lgIP, 5060, port, answer(id, port, code, reason, "INVITE"), 1480) {
			c.write(f)
		}
		for _, f := range c.datagram(lgIP, edgeIP, port, 5060, ack(id, port), 1480) {
			c.write(f)
		}
	}
	c.close()
	files = append(files, frag)
	whole, err := os.ReadFile(frag)
	if err != nil {
		t.Fatal(err)
	}
	for _, cut := range []int{len(whole) - 1, len(whole) - 600, len(whole) - 1500, len(whole) - 3000} {
		p := filepath.Join(dir, fmt.Sprintf("cut%d.pcap", cut))
		if err := os.WriteFile(p, whole[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	// The caplen of the 8th record claims more than any packet: both
	// readers stop there.
	bad := append([]byte(nil), whole...)
	off := 24
	for i := 0; i < 7; i++ {
		off += 16 + int(uint32(bad[off+8])|uint32(bad[off+9])<<8|uint32(bad[off+10])<<16|uint32(bad[off+11])<<24)
	}
	bad[off+11] = 0x7f
	damaged := filepath.Join(dir, "damaged.pcap")
	if err := os.WriteFile(damaged, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	files = append(files, damaged)

	t.Cleanup(func() { twoReaders = false })
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			doc := analyse(t, path)
			var sel Selection
			for _, l := range correlate.Layers {
				f := Filter{Layers: []correlate.Layer{l}, Max: 3}
				sel.Items = append(sel.Items, f.Select(doc.Result).Items...)
			}
			if len(sel.Items) == 0 {
				t.Skip("no attempt")
			}
			var sums [2]*Summary
			var outs [2][]byte
			for i, two := range []bool{false, true} {
				twoReaders = two
				sum, out := extractTo(t, doc, sel, []string{path}, Options{})
				b, err := os.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				sums[i], outs[i] = sum, b
			}
			twoReaders = false
			if !bytes.Equal(outs[0], outs[1]) {
				t.Errorf("the evidence read once (%d bytes) is not the evidence read twice (%d bytes)", len(outs[0]), len(outs[1]))
			}
			if !reflect.DeepEqual(sums[0], sums[1]) {
				t.Errorf("summary read once %+v, read twice %+v", sums[0], sums[1])
			}
			if sums[0].Frames == 0 {
				t.Logf("no frame written")
			}
		})
	}
}
