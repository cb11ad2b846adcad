package sip

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse in both modes. Properties: no
// panic; n within the buffer; err == nil means a message with a Call-ID;
// a message framed in stream mode reads the same as a datagram of its
// own bytes, and is ErrIncomplete when cut short; the fast paths and
// ParseShared read exactly what the general path does (sameAsFull);
// Frame cuts where Parse does, and Parse reads the same message from the
// bytes Frame cut (frameAgrees), as from what FrameInto learnt of them
// (framedAgrees); and Looks answers as looksRef does.
//
// Seeds: the hand-written cases of TestParse, and testdata/fuzz/FuzzParse,
// real messages and stream pieces from testdata (see -fuzzseeds).
func FuzzParse(f *testing.F) {
	for _, c := range parseCases {
		f.Add([]byte(c.in), c.opts != nil && c.opts.Datagram)
	}
	f.Fuzz(func(t *testing.T, b []byte, dgram bool) {
		opts := &Options{Datagram: dgram}
		m, n, err := Parse(b, opts)
		checkInvariants(t, b, m, n, err)
		frameAgrees(t, "input", b, opts)
		framedAgrees(t, "input", b, opts)
		sameAsFull(t, "input", b, opts)
		if Looks(b) != looksRef(b) {
			t.Fatalf("Looks = %v, the reference %v", Looks(b), looksRef(b))
		}
		KeepAlive(b)
		if m == nil {
			return
		}
		m.Causes()
		m.Cause("Q.850")
		if dgram {
			return
		}
		again, n2, err2 := Parse(b[:n], datagram)
		if again == nil {
			t.Fatalf("stream read a message of %d bytes, datagram of those bytes did not: %v", n, err2)
		}
		if n2 != n || fingerprint(again) != fingerprint(m) {
			t.Fatalf("stream and datagram disagree:\n%s\n%s", fingerprint(m), fingerprint(again))
		}
		if (err == nil) != (err2 == nil) {
			t.Fatalf("stream err %v, datagram err %v", err, err2)
		}
		for _, k := range []int{n - 1, (m.Start + n) / 2} {
			if k <= m.Start || k >= n {
				continue
			}
			if m3, n3, err3 := Parse(b[:k], opts); !errors.Is(err3, ErrIncomplete) {
				t.Fatalf("%d of a %d-byte message: m=%v n=%d err=%v", k, n, m3 != nil, n3, err3)
			}
		}
	})
}

func fingerprint(m *Message) string {
	return fmt.Sprintf("%v %q %q %d %q %q %d %q %+v %d %q %q %d %d %d",
		m.Request, m.Method, m.RequestURI, m.StatusCode, m.CallID, m.CSeqMethod, m.CSeq,
		m.FromTag+"/"+m.ToTag, m.Via, m.ViaCount, m.ReasonHeader, m.Correlation,
		m.ContentLength, m.Start, m.Skipped)
}

var fuzzSeeds = flag.Bool("fuzzseeds", false, "rewrite testdata/fuzz/FuzzParse from testdata/msg and testdata/stream")

// TestFuzzSeeds rewrites the seed corpus under -fuzzseeds: the first two
// messages of each capture as datagrams, and the first 3000 bytes of each
// TCP stream in stream mode (several messages, the last one cut).
func TestFuzzSeeds(t *testing.T) {
	if !*fuzzSeeds {
		t.Skip("run with -fuzzseeds to rewrite the seed corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzParse")
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte, dgram bool) {
		s := "go test fuzz v1\n[]byte(" + strconv.Quote(string(b)) + ")\nbool(" + strconv.FormatBool(dgram) + ")\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	caps, _ := filepath.Glob(filepath.Join("testdata", "msg", "*"))
	for _, c := range caps {
		files, _ := filepath.Glob(filepath.Join(c, "*.sip"))
		sort.Slice(files, func(i, j int) bool { return frameNum(files[i]) < frameNum(files[j]) })
		for i, f := range files {
			if i == 2 {
				break
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			write(filepath.Base(c)+"-"+filepath.Base(f), b, true)
		}
	}
	streams, _ := filepath.Glob(filepath.Join("testdata", "stream", "*.bin"))
	for _, s := range streams {
		b, err := os.ReadFile(s)
		if err != nil {
			t.Fatal(err)
		}
		write(filepath.Base(s), b[:min(len(b), 3000)], false)
	}
}

func frameNum(path string) int {
	base := filepath.Base(path)
	n, _ := strconv.Atoi(base[:len(base)-len(filepath.Ext(base))])
	return n
}
