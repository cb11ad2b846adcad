package keylog

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/ceiling-dev/ceiling/parse"
)

func random(b byte) [32]byte {
	var r [32]byte
	for i := range r {
		r[i] = b
	}
	return r
}

func hexOf(b byte, n int) string { return strings.Repeat(hex.EncodeToString([]byte{b}), n) }

// TestReadGen reads the key logs the loopback captures were made with:
// OpenSSL's, TLS 1.2 and 1.3.
func TestReadGen(t *testing.T) {
	for _, c := range []struct {
		name           string
		sessions       int
		secrets, lines int64
	}{
		{"tls12-ecdhe-aes128gcm.keys", 1, 1, 2},
		{"tls12-resumed.keys", 2, 2, 3},
		{"tls13-aes128gcm.keys", 1, 5, 6},
		{"tls13-client-rejects-cert.keys", 1, 1, 2},
		{"tls-version-mismatch.keys", 0, 0, 1},
	} {
		f, err := os.Open(filepath.Join("..", "testdata", "gen", c.name))
		if err != nil {
			t.Fatal(err)
		}
		var probs parse.Problems
		l, err := Read(f, c.name, &probs)
		f.Close()
		if err != nil || probs.Count != 0 {
			t.Fatalf("%s: %v %+v", c.name, err, probs.First)
		}
		st := l.Stats()
		if st.Sessions != c.sessions || st.Secrets != c.secrets || st.Lines != c.lines || l.Len() != c.sessions || st.Sources != 1 {
			t.Errorf("%s: %+v", c.name, st)
		}
	}
	b, _ := os.ReadFile(filepath.Join("..", "testdata", "gen", "tls13-aes128gcm.keys"))
	l, _ := Read(bytes.NewReader(b), "k", nil)
	var cr [32]byte
	hex.Decode(cr[:], []byte("5a0c9f99fb841693bf6bf74bde5a8b778dcb53ac04c084076fe0e0f0cd80fcac"))
	s, ok := l.Lookup(cr)
	if !ok {
		t.Fatal("client random not found")
	}
	want := map[Label]string{
		ServerHandshakeTrafficSecret: "b0c410eb",
		ClientHandshakeTrafficSecret: "315c7158",
		ClientTrafficSecret0:         "5bd42221",
		ServerTrafficSecret0:         "1fb664cc",
		ExporterSecret:               "4480c767",
		MasterSecret:                 "",
		ClientEarlyTrafficSecret:     "",
	}
	for lab, w := range want {
		got := hex.EncodeToString(s.Get(lab))
		if !strings.HasPrefix(got, w) || (w == "") != (got == "") || (w != "" && len(got) != 64) {
			t.Errorf("%s = %s, want %s…", lab, got, w)
		}
	}
	if _, ok := l.Lookup(random(1)); ok {
		t.Error("an unknown random was found")
	}
}

func TestReadProblems(t *testing.T) {
	text := "\xef\xbb\xbf# a comment\r\n" + // 1: BOM and comment
		"\n" + // 2
		"CLIENT_RANDOM " + hexOf(1, 32) + " " + hexOf(0xaa, 48) + "\r\n" + // 3
		"CLIENT_RANDOM " + hexOf(1, 31) + " " + hexOf(0xaa, 48) + "\n" + // 4: short random
		"CLIENT_RANDOM " + hexOf(2, 32) + " " + hexOf(0xaa, 47) + "\n" + // 5: short master secret
		"SERVER_TRAFFIC_SECRET_0 " + hexOf(2, 32) + " zz" + hexOf(0xbb, 31) + "\n" + // 6: not hex
		"SERVER_TRAFFIC_SECRET_0 " + hexOf(2, 32) + " " + hexOf(0xbb, 40) + "\n" + // 7: 40 bytes
		"SERVER_TRAFFIC_SECRET_0 " + hexOf(2, 32) + "\n" + // 8: two fields
		"RSA 0102030405060708 " + hexOf(3, 48) + "\n" + // 9: unsupported
		"HELLO " + hexOf(2, 32) + " " + hexOf(3, 32) + "\n" + // 10: unknown
		"\t SERVER_TRAFFIC_SECRET_0\t" + hexOf(2, 32) + "  " + strings.ToUpper(hexOf(0xbc, 32)) + " \n" + // 11: odd spacing, upper case
		"CLIENT_RANDOM " + hexOf(1, 32) + " " + hexOf(0xaa, 48) + "\n" + // 12: duplicate
		"CLIENT_RANDOM " + hexOf(1, 32) + " " + hexOf(0xab, 48) + "\n" + // 13: conflict
		strings.Repeat("x", 3000) + "\n" + // 14: too long
		"SERVER_HANDSHAKE_TRAFFIC_SECRET " + hexOf(2, 32) + " " + hexOf(0xcc, 48) // 15: no final newline
	var probs parse.Problems
	probs.Limit = 100
	l, err := Read(iotest.HalfReader(strings.NewReader(text)), "keys.txt", &probs)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range probs.First {
		got = append(got, p.Error())
	}
	want := []string{
		"keys.txt:4 (offset 194): CLIENT_RANDOM: client random is not 64 hex digits",
		"keys.txt:5 (offset 368): CLIENT_RANDOM: master secret of 47 bytes, not 48",
		"keys.txt:6 (offset 542): SERVER_TRAFFIC_SECRET_0: secret is not hex",
		"keys.txt:7 (offset 696): SERVER_TRAFFIC_SECRET_0: secret of 40 bytes, not 32 or 48 (SHA-256 or SHA-384)",
		"keys.txt:8 (offset 866): SERVER_TRAFFIC_SECRET_0 line with 2 fields, not 3",
		"keys.txt:9 (offset 955): RSA lines are not used (a pre-master secret, or no secret)",
		`keys.txt:10 (offset 1073): unknown label "HELLO"`,
		"keys.txt:13 (offset 1543): CLIENT_RANDOM for client random 01010101… differs from the one read before (both kept)",
		"keys.txt:14 (offset 1719): line longer than 1024 bytes",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	st := l.Stats()
	if st != (Stats{Sources: 1, Lines: 15, Sessions: 2, Secrets: 4, Duplicates: 1, Conflicts: 1, Bad: 7, Unsupported: 1}) {
		t.Errorf("stats %+v", st)
	}
	s, _ := l.Lookup(random(1))
	if len(s.All(MasterSecret)) != 2 || s.Get(MasterSecret)[0] != 0xaa || s.All(MasterSecret)[1][0] != 0xab {
		t.Errorf("master secrets %x", s.All(MasterSecret))
	}
	s, _ = l.Lookup(random(2))
	if s.Get(ServerTrafficSecret0)[0] != 0xbc || len(s.Get(ServerHandshakeTrafficSecret)) != 48 || s.Get(MasterSecret) != nil {
		t.Errorf("random 2: %x %x", s.Get(ServerTrafficSecret0), s.Get(ServerHandshakeTrafficSecret))
	}
}

func TestReadError(t *testing.T) {
	boom := errors.New("boom")
	l, err := Read(iotest.ErrReader(boom), "k", nil)
	if !errors.Is(err, boom) || l == nil {
		t.Errorf("%v %v", l, err)
	}
}

func TestMerge(t *testing.T) {
	line := func(lab string, r, s byte) string {
		return lab + " " + hexOf(r, 32) + " " + hexOf(s, 48) + "\n"
	}
	a, _ := Read(strings.NewReader(line("CLIENT_RANDOM", 1, 1)+line("CLIENT_RANDOM", 2, 2)+"junk\n"), "a", nil)
	b, _ := Read(strings.NewReader(line("CLIENT_RANDOM", 2, 2)+line("CLIENT_RANDOM", 3, 3)+line("SERVER_TRAFFIC_SECRET_0", 1, 9)), "b", nil)
	c, _ := Read(strings.NewReader(line("CLIENT_RANDOM", 3, 4)), "c", nil)
	g := a.Generation()
	a.Merge(b)
	if a.Generation() == g {
		t.Error("generation did not change")
	}
	before, _ := a.Lookup(random(3))
	a.Merge(c)
	a.Merge(a)
	a.Merge(nil)
	st := a.Stats()
	if st != (Stats{Sources: 3, Lines: 7, Sessions: 3, Secrets: 5, Duplicates: 1, Conflicts: 1, Bad: 1}) {
		t.Errorf("stats %+v", st)
	}
	s, _ := a.Lookup(random(3))
	if len(s.All(MasterSecret)) != 2 || len(before.All(MasterSecret)) != 1 {
		t.Errorf("after the conflict %d values, the earlier copy %d", len(s.All(MasterSecret)), len(before.All(MasterSecret)))
	}
	// A conflict beyond maxValues is counted, not kept.
	d := New()
	for i := range 6 {
		d.Merge(must(Read(strings.NewReader(line("CLIENT_RANDOM", 7, byte(i))), "d", nil)))
	}
	s, _ = d.Lookup(random(7))
	if len(s.All(MasterSecret)) != maxValues || d.Stats().Conflicts != 5 {
		t.Errorf("%d values, %+v", len(s.All(MasterSecret)), d.Stats())
	}
}

func must(l *Log, err error) *Log {
	if err != nil {
		panic(err)
	}
	return l
}

func TestFromSecretsBlock(t *testing.T) {
	text := "CLIENT_RANDOM " + hexOf(1, 32) + " " + hexOf(0xaa, 48) + "\nbad\n"
	var probs parse.Problems
	l := FromSecretsBlock(SecretsTLS, []byte(text), "cap.pcapng", 1000, &probs)
	if l.Len() != 1 || probs.Count != 1 || probs.First[0].Error() != "cap.pcapng:2 (offset 1176): unknown label \"bad\"" {
		t.Errorf("%d %+v", l.Len(), probs.First)
	}
	probs = parse.Problems{}
	l = FromSecretsBlock(0x57474b4c, []byte(text), "cap.pcapng", 64, &probs)
	if l.Len() != 0 || probs.Count != 1 || probs.First[0].Error() != "cap.pcapng (offset 64): decryption secrets block of type 0x57474b4c (WGKL): only TLS key logs are read" {
		t.Errorf("%d %+v", l.Len(), probs.First)
	}
}
