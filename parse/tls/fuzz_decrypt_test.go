package tls

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ceiling-dev/ceiling/parse/tls/keylog"
)

// known are the connections FuzzDecrypt has the keys of: a synthetic one
// per suite (small records, a KeyUpdate in TLS 1.3) and the first of
// each loopback capture with a key log.
type knownConn struct {
	name string
	ops  []op
	log  *keylog.Log
}

func knownConns(t testing.TB) []knownConn {
	var out []knownConn
	for _, suite := range synthSuites {
		sy := newSynth(t, suite, []int{40, 700, 3, 0, 90}, 500)
		out = append(out, knownConn{"synth-" + sy.name, sy.ops, sy.log})
	}
	for _, name := range keyCaptures {
		conns := readConns(t, capturePath(t, name), nil)
		ops := conns[len(conns)-1].ops // the resumed or 0-RTT one where there are two
		out = append(out, knownConn{strings.TrimSuffix(name, ".pcap"), ops, readKeys(t, name)})
	}
	return out
}

// TestWriteDecryptSeeds writes the FuzzDecrypt seeds, with -seeds.
func TestWriteDecryptSeeds(t *testing.T) {
	if !*writeSeeds {
		t.Skip("run with -seeds to rewrite the seeds")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzDecrypt")
	old, _ := filepath.Glob(filepath.Join(dir, "seed-*"))
	for _, p := range old {
		os.Remove(p)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, k := range knownConns(t) {
		b := encodeOps(k.ops)
		if len(b) > maxSeed {
			b = b[:maxSeed]
		}
		text := fmt.Sprintf("go test fuzz v1\nbyte(%q)\n[]byte(%q)\n", byte(i), b)
		if err := os.WriteFile(filepath.Join(dir, "seed-"+k.name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// countingDecrypter checks what a Decrypter returns against the record
// it was given, and counts.
type countingDecrypter struct {
	t      *testing.T
	d      *KeyLogDecrypter
	calls  int64
	opened int64
}

func (c *countingDecrypter) Open(s *Session, r *Record) (ContentType, []byte, error) {
	c.calls++
	n, epoch, seq := len(r.Payload), r.Epoch, r.Seq
	typ, plain, err := c.d.Open(s, r)
	if err != nil {
		if plain != nil || typ != 0 {
			c.t.Fatalf("an error with a plaintext: %v", err)
		}
		if r.Epoch != epoch || r.Seq != seq {
			c.t.Fatalf("numbers changed by a failed Open: %d/%d to %d/%d", epoch, seq, r.Epoch, r.Seq)
		}
		return typ, plain, err
	}
	c.opened++
	if len(plain) > n || !inside(plain, r.Payload) {
		c.t.Fatalf("plaintext of %d bytes outside the %d-byte payload", len(plain), n)
	}
	if r.Epoch < epoch || r.Epoch > epoch+1 || (r.Epoch == epoch && r.Seq < seq) {
		c.t.Fatalf("opened as %d/%d, given %d/%d", r.Epoch, r.Seq, epoch, seq)
	}
	return typ, plain, nil
}

// inside reports whether a lies within b's memory.
func inside(a, b []byte) bool {
	if len(a) == 0 {
		return true
	}
	for i := range b {
		if &b[i] == &a[0] {
			return i+len(a) <= len(b)
		}
	}
	return false
}

// printable reports whether b is what every known connection's application
// data is made of: printable ASCII and line ends. A record opened with
// the wrong key or number would be noise.
func printable(b []byte) bool {
	for _, c := range b {
		if (c < 0x20 || c > 0x7e) && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

// FuzzDecrypt feeds arbitrary operations (see decodeOps) to a Conn with a
// KeyLogDecrypter that has the keys of one known connection (which picks
// it): mutations of those connections' bytes. It must not panic, must
// open nothing that is not the connection's own text (authentication),
// must never move the record numbers backwards, and must count each
// record once, opened or failed.
func FuzzDecrypt(f *testing.F) {
	known := knownConns(f)
	for i, k := range known {
		b := encodeOps(k.ops)
		if len(b) > maxSeed {
			b = b[:maxSeed]
		}
		f.Add(byte(i), b)
	}
	f.Fuzz(func(t *testing.T, which byte, b []byte) {
		k := known[int(which)%len(known)]
		dec := NewDecrypter(k.log)
		cd := &countingDecrypter{t: t, d: dec}
		var data int
		_, c := runOps(decodeOps(b), &Options{Decrypter: cd, OnData: func(p *Plaintext) {
			data += len(p.Data)
			if !printable(p.Data) {
				t.Fatalf("decrypted noise: %q", p.Data)
			}
		}})
		h := c.Handshake()
		st := dec.Stats()
		d := c.Session().Decryption()
		if st.Records != cd.opened || st.Records+st.Failed != cd.calls || d.Opened != st.Records || d.Failed != st.Failed {
			t.Fatalf("%d calls, %d opened; stats %+v; session %+v", cd.calls, cd.opened, st, d)
		}
		if u := h.Client.Undecrypted + h.Server.Undecrypted; u != st.Failed {
			t.Fatalf("%d undecrypted, %d failed", u, st.Failed)
		}
		if st.Sessions > 1 || (cd.calls > 0) != (st.Sessions == 1) {
			t.Fatalf("%d calls, %+v", cd.calls, st)
		}
		if int64(data) > h.Client.Bytes+h.Server.Bytes {
			t.Fatalf("%d bytes of data from %d fed", data, h.Client.Bytes+h.Server.Bytes)
		}
	})
}
