package tls

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var writeSeeds = flag.Bool("seeds", false, "rewrite the FuzzConn seeds in testdata/fuzz/FuzzConn from the test captures")

// maxSeed keeps seeds small enough for the fuzzer to mutate quickly: the
// handshake and the first records are where the parsing is.
const maxSeed = 16 << 10

// TestWriteSeeds writes one seed per connection of the loopback captures
// and of the copied corpus streams (not of the corpus captures whose
// license does not allow copying), with -seeds.
func TestWriteSeeds(t *testing.T) {
	if !*writeSeeds {
		t.Skip("run with -seeds to rewrite the seeds")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzConn")
	old, _ := filepath.Glob(filepath.Join(dir, "seed-*"))
	for _, p := range old {
		os.Remove(p)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, ops []op) {
		b := encodeOps(ops)
		if len(b) > maxSeed {
			b = b[:maxSeed]
		}
		name = "seed-" + regexp.MustCompile(`[^a-zA-Z0-9.-]+`).ReplaceAllString(name, "_")
		if err := os.WriteFile(filepath.Join(dir, name), []byte(fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range genCaptures {
		for _, fl := range readConns(t, capturePath(t, name), nil) {
			write(fmt.Sprintf("%s-%d", strings.TrimSuffix(name, ".pcap"), fl.index), fl.ops)
		}
	}
	for _, fs := range followFiles(t) {
		write(strings.TrimSuffix(fs.name, ".follow"), fs.segs)
	}
}

// FuzzConn feeds arbitrary operations (see decodeOps) to a Conn. It must
// not panic, must keep its counts consistent with what it was fed, and
// must give the same result when the same bytes come in other chunks.
func FuzzConn(f *testing.F) {
	f.Add(encodeOps(tls12()))
	f.Add(encodeOps(tls13()))
	f.Fuzz(func(t *testing.T, b []byte) {
		ops := decodeOps(b)
		out, c := runOps(ops, nil)
		h := c.Handshake()
		for s := Client; s <= Server; s++ {
			d := h.Dir(s)
			if d.Records > d.Bytes/2+1 || d.Skipped > d.Bytes || d.AppDataBytes > d.Bytes {
				t.Fatalf("%s: counts beyond the %d bytes fed: %+v", s, d.Bytes, d)
			}
			if len(d.Messages) > maxMessages {
				t.Fatalf("%s: %d messages kept", s, len(d.Messages))
			}
		}
		if len(h.Alerts) > maxAlerts || h.AlertCount < len(h.Alerts) {
			t.Fatalf("alerts %d of %d", len(h.Alerts), h.AlertCount)
		}
		if (h.State == Failed || h.State == Incomplete) != (h.Reason != "") {
			t.Fatalf("state %s with reason %q", h.State, h.Reason)
		}
		if len(b) > 0 {
			i := 0
			pieces := split(ops, func() int { i++; return 1 + int(b[i%len(b)])%17 })
			if got, _ := runOps(pieces, nil); got != out {
				t.Fatalf("in pieces:\n%s", diff(out, got))
			}
		}
		runOps(ops, &Options{Decrypter: &nullDecrypter{}, OnData: func(*Plaintext) {}})
	})
}
