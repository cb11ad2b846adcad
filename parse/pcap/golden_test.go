package pcap

import (
	"bytes"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ceiling-dev/ceiling/parse"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// describe writes one line per packet: everything the reader delivers, so
// that a golden file catches any change in what comes out.
func describe(w io.Writer, p *Packet) {
	fmt.Fprintf(w, "%d @%d t=%d if=%d %s %s > %s", p.Num, p.Offset, p.Time, p.Interface, p.Transport, p.SrcAddrPort(), p.DstAddrPort())
	if p.Transport == TCP {
		fmt.Fprintf(w, " [%s] seq=%d ack=%d win=%d", flagString(p.Flags), p.Seq, p.Ack, p.Window)
	}
	fmt.Fprintf(w, " len=%d cap=%d", p.PayloadLen, len(p.Payload))
	if p.Reassembled {
		fmt.Fprintf(w, " reassembled=%d", p.Fragments)
	}
	fmt.Fprintf(w, " sum=%x\n", sha256.Sum256(p.Payload))
}

func flagString(f uint8) string {
	var names []string
	for i, n := range []string{"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"} {
		if f&(1<<i) != 0 {
			names = append(names, n)
		}
	}
	return strings.Join(names, ",")
}

func describeStats(w io.Writer, s Stats, ps *parse.Problems) {
	fmt.Fprintf(w, "frames=%d bytes=%d packets=%d ipv4=%d ipv6=%d notip=%d other=%d fragments=%d reassembled=%d incomplete=%d skipped=%d truncated=%v damaged=%v\n",
		s.Frames, s.Bytes, s.Packets, s.IPv4, s.IPv6, s.NotIP, s.OtherProto, s.Fragments, s.Reassembled, s.Incomplete, s.Skipped, s.Truncated, s.Damaged)
	fmt.Fprintf(w, "time %d .. %d\n", s.FirstTime, s.LastTime)
	var links []string
	for k, v := range s.LinkTypes {
		links = append(links, fmt.Sprintf("%s=%d", k, v))
	}
	slices.Sort(links)
	fmt.Fprintf(w, "links %s\n", strings.Join(links, " "))
	for _, p := range ps.First {
		// The path differs between machines: keep the base name.
		p.File = filepath.Base(p.File)
		fmt.Fprintf(w, "problem %s\n", p.Error())
	}
}

// listing reads a whole capture and describes it: what Stats and the
// problems say, and the packets.
func listing(t testing.TB, path string) (summary, packets []byte) {
	t.Helper()
	in, err := parse.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	ps := &parse.Problems{Limit: 50}
	r, err := NewReader(in, Options{Problems: ps})
	if err != nil {
		t.Fatal(err)
	}
	var pk bytes.Buffer
	for {
		p, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		describe(&pk, p)
	}
	var sum bytes.Buffer
	describeStats(&sum, r.Stats(), ps)
	return sum.Bytes(), pk.Bytes()
}

// TestGolden lists every packet of the captures in testdata/pcap and holds
// the listing to testdata/golden/NAME.golden (go test -update rewrites).
// The corpus captures, whose licenses do not all let us copy them, get the
// statistics, the problems and a digest of the listing; on a mismatch the
// whole listing is written beside the golden file for a diff.
func TestGolden(t *testing.T) {
	small, _ := filepath.Glob(filepath.Join(testdataDir, "*.pcap*"))
	for _, path := range small {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			sum, pkts := listing(t, path)
			full := append(sum, pkts...)
			golden(t, filepath.Join("testdata", "golden", name+".golden"), full, full)
		})
	}
	t.Run("corpus", func(t *testing.T) {
		dir := needCorpus(t)
		files, _ := os.ReadDir(dir)
		for _, f := range files {
			if unreadable[f.Name()] {
				continue
			}
			t.Run(f.Name(), func(t *testing.T) {
				sum, pkts := listing(t, filepath.Join(dir, f.Name()))
				out := bytes.NewBuffer(bytes.Clone(sum))
				fmt.Fprintf(out, "listing of %d packets, sha256 %x\n", bytes.Count(pkts, []byte("\n")), sha256.Sum256(pkts))
				golden(t, filepath.Join("testdata", "golden", "corpus", f.Name()+".golden"), out.Bytes(), append(sum, pkts...))
			})
		}
	})
}

// golden compares got with the file at path, or writes it with -update.
// On a mismatch it writes detail (got, or more than got) to a .got file
// beside it, which is not committed.
func golden(t *testing.T, path string, got, detail []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		gotPath := strings.TrimSuffix(path, ".golden") + ".got"
		os.WriteFile(gotPath, detail, 0o644)
		t.Errorf("output differs from %s; the listing is in %s", path, gotPath)
	}
}
