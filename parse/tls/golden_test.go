package tls

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// golden compares got with testdata/golden/name, or rewrites it with
// -update. A mismatch leaves the output beside it as name.got.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
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
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		os.WriteFile(path+".got", got, 0o644)
		t.Errorf("%s differs from the golden file; output in %s.got", name, path)
	}
}

// TestCaptures runs every TLS connection of the captures through a Conn
// and compares all it learned with the golden files.
func TestCaptures(t *testing.T) {
	for _, name := range append(append([]string{}, genCaptures...), corpusCaptures...) {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			for _, fl := range readConns(t, capturePath(t, name), nil) {
				dump(&b, fl)
			}
			golden(t, name+".golden", b.Bytes())
		})
	}
}
