package redact

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Helpers shared by the tests: captures read and written with
// gopacket's pcapgo (not with the code under test), and tshark as the
// judge of what a redacted capture shows.

type frame struct {
	ci   gopacket.CaptureInfo
	data []byte
}

type capture struct {
	links  []layers.LinkType // per interface
	frames []frame
}

// readCapture reads a pcap or pcapng file, gzipped or not.
func readCapture(t testing.TB, path string) *capture {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) > 2 && raw[0] == 0x1f && raw[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		if raw, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	c := &capture{}
	if len(raw) >= 4 && bytes.Equal(raw[:4], []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		r, err := pcapgo.NewNgReader(bytes.NewReader(raw), pcapgo.DefaultNgReaderOptions)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for {
			data, ci, err := r.ReadPacketData()
			if err != nil {
				break
			}
			c.frames = append(c.frames, frame{ci, append([]byte(nil), data...)})
		}
		for i := 0; i < r.NInterfaces(); i++ {
			intf, _ := r.Interface(i)
			c.links = append(c.links, intf.LinkType)
		}
		return c
	}
	if len(raw) >= 4 && binary.LittleEndian.Uint32(raw)&0xfffeffff != 0xa1b2c3d4 && binary.BigEndian.Uint32(raw)&0xfffeffff != 0xa1b2c3d4 &&
		binary.LittleEndian.Uint32(raw) != 0xa1b23c4d && binary.BigEndian.Uint32(raw) != 0xa1b23c4d {
		// Another format tshark reads (snoop, …): converted by editcap.
		out := filepath.Join(t.TempDir(), "converted.pcapng")
		if b, err := exec.Command("editcap", "-F", "pcapng", path, out).CombinedOutput(); err != nil {
			t.Fatalf("%s: editcap: %v: %s", path, err, b)
		}
		return readCapture(t, out)
	}
	// Classic pcap, read here rather than by pcapgo, which refuses
	// records that claim more captured bytes than were on the wire (the
	// corpus has one such file; tshark reads it).
	if len(raw) < 24 {
		t.Fatalf("%s: not a capture", path)
	}
	var bo binary.ByteOrder = binary.LittleEndian
	nano := false
	switch binary.LittleEndian.Uint32(raw) {
	case 0xa1b2c3d4:
	case 0xa1b23c4d:
		nano = true
	default:
		bo = binary.BigEndian
		switch binary.BigEndian.Uint32(raw) {
		case 0xa1b2c3d4:
		case 0xa1b23c4d:
			nano = true
		default:
			t.Fatalf("%s: unknown magic", path)
		}
	}
	c.links = []layers.LinkType{layers.LinkType(bo.Uint32(raw[20:24]) & 0xffff)}
	for off := 24; off+16 <= len(raw); {
		sec, frac := bo.Uint32(raw[off:]), bo.Uint32(raw[off+4:])
		caplen, wire := int(bo.Uint32(raw[off+8:])), int(bo.Uint32(raw[off+12:]))
		off += 16
		if off+caplen > len(raw) {
			break
		}
		ns := int64(frac) * 1000
		if nano {
			ns = int64(frac)
		}
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(int64(sec), ns), CaptureLength: caplen, Length: max(wire, caplen)}
		c.frames = append(c.frames, frame{ci, append([]byte(nil), raw[off:off+caplen]...)})
		off += caplen
	}
	return c
}

func writeCapture(t testing.TB, path string, c *capture) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	bw := bufio.NewWriter(f)
	intf := pcapgo.DefaultNgInterface
	intf.LinkType = c.links[0]
	w, err := pcapgo.NewNgWriterInterface(bw, intf, pcapgo.DefaultNgWriterOptions)
	if err != nil {
		t.Fatal(err)
	}
	for _, lt := range c.links[1:] {
		intf.LinkType = lt
		if _, err := w.AddInterface(intf); err != nil {
			t.Fatal(err)
		}
	}
	for _, fr := range c.frames {
		if err := w.WritePacket(fr.ci, fr.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
}

// redactCapture runs every frame through r, as the evidence writer does.
func redactCapture(t testing.TB, r *Redactor, c *capture) *capture {
	t.Helper()
	out := &capture{links: c.links}
	for i, fr := range c.frames {
		data, err := r.Packet(fr.data, c.links[fr.ci.InterfaceIndex])
		if err != nil {
			if !isDropped(err) {
				t.Fatalf("frame %d: %v", i+1, err)
			}
			continue
		}
		out.frames = append(out.frames, frame{AdjustInfo(fr.ci, len(fr.data), len(data)), data})
	}
	return out
}

func isDropped(err error) bool { return errors.Is(err, ErrDropped) }

// needTshark skips without tshark, or fails when CI is set: there the
// test must run.
func needTshark(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("tshark"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tshark is not installed, and CI is set")
		}
		t.Skip("tshark is not installed")
	}
}

// corpusDir is the public captures shared by the project's tests.
func corpusDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "corpus", "pcap")
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("corpus %s missing, and CI is set", dir)
		}
		t.Skipf("corpus %s missing", dir)
	}
	return dir
}

// checkArgs turn on the checksum checks tshark leaves off by default.
// Only the check for bad checksums uses them: with them on, tshark will
// not reassemble a TCP stream across a segment with a bad checksum, and
// captures made on loopback have nothing but (offloaded) bad ones.
var checkArgs = []string{"-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE"}

func tshark(t testing.TB, args ...string) string {
	t.Helper()
	cmd := exec.Command("tshark", append([]string{"-n"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// fields returns the distinct non-empty values of tshark fields.
func fields(t testing.TB, path, filter string, names ...string) []string {
	t.Helper()
	args := []string{"-r", path, "-T", "fields", "-E", "separator=\n", "-E", "occurrence=a", "-E", "aggregator=\n"}
	if filter != "" {
		args = append(args, "-Y", filter)
	}
	for _, n := range names {
		args = append(args, "-e", n)
	}
	seen := map[string]bool{}
	var out []string
	for _, v := range strings.Split(tshark(t, args...), "\n") {
		v = strings.TrimSpace(v)
		if v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

// fieldSets asks tshark for several fields at once (one run is most of
// the cost) and returns each field's distinct non-empty values.
func fieldSets(t testing.TB, path, filter string, names ...string) map[string][]string {
	t.Helper()
	args := []string{"-r", path, "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=\x1f"}
	if filter != "" {
		args = append(args, "-Y", filter)
	}
	for _, n := range names {
		args = append(args, "-e", n)
	}
	seen := map[string]map[string]bool{}
	out := map[string][]string{}
	for _, line := range strings.Split(tshark(t, args...), "\n") {
		for i, col := range strings.Split(line, "\t") {
			if i >= len(names) {
				break
			}
			for _, v := range strings.Split(col, "\x1f") {
				v = strings.TrimSpace(v)
				n := names[i]
				if v == "" || seen[n][v] {
					continue
				}
				if seen[n] == nil {
					seen[n] = map[string]bool{}
				}
				seen[n][v] = true
				out[n] = append(out[n], v)
			}
		}
	}
	for _, v := range out {
		sort.Strings(v)
	}
	return out
}

// lines returns tshark's field lines as they come (one per packet), for
// comparing multisets.
func lines(t testing.TB, path, filter string, names ...string) []string {
	t.Helper()
	args := []string{"-r", path, "-T", "fields", "-Y", filter}
	for _, n := range names {
		args = append(args, "-e", n)
	}
	out := strings.Split(strings.TrimRight(tshark(t, args...), "\n"), "\n")
	sort.Strings(out)
	return out
}

// findWord returns the index of s standing alone in text (not inside a
// longer number, word or address), -1 if it is not there. It is
// strings.Index and a look at the neighbours: tshark's text is large and
// the secrets many.
func findWord(text, s string) int {
	for off := 0; ; {
		i := strings.Index(text[off:], s)
		if i < 0 {
			return -1
		}
		i += off
		before, after := byte(' '), byte(' ')
		if i > 0 {
			before = text[i-1]
		}
		if e := i + len(s); e < len(text) {
			after = text[e]
		}
		if !isWord(before) && before != '.' && before != ':' && !isWord(after) {
			return i
		}
		off = i + 1
	}
}
