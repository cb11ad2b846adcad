package keylog

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/ceiling-dev/ceiling/parse"
)

// FuzzKeylog reads arbitrary text as a key log, whole and as a secrets
// block. It must not panic, must count every line once, must keep only
// secrets of the right sizes, and must find every client random it kept.
// Seeds: the key logs of ../testdata/gen and testdata/fuzz/FuzzKeylog.
func FuzzKeylog(f *testing.F) {
	names, _ := filepath.Glob(filepath.Join("..", "testdata", "gen", "*.keys"))
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var probs parse.Problems
		l, err := Read(bytes.NewReader(b), "fuzz", &probs)
		if err != nil {
			t.Fatal(err)
		}
		st := l.Stats()
		lines := int64(bytes.Count(b, []byte("\n")))
		if len(b) > 0 && b[len(b)-1] != '\n' {
			lines++
		}
		if st.Lines != lines {
			t.Fatalf("%d lines counted, %d in the input", st.Lines, lines)
		}
		if probs.Count != st.Bad+st.Unsupported+st.Conflicts {
			t.Fatalf("%d problems for %+v", probs.Count, st)
		}
		if st.Sessions != l.Len() || int64(st.Sessions) > st.Secrets || st.Secrets > st.Lines {
			t.Fatalf("stats %+v, %d sessions", st, l.Len())
		}
		l.mu.RLock()
		for cr, s := range l.m {
			for lab := Label(0); lab < numLabels; lab++ {
				for _, v := range s.All(lab) {
					if n := len(v); (lab == MasterSecret && n != 48) || (lab != MasterSecret && n != 32 && n != 48) {
						t.Fatalf("%s of %d bytes kept", lab, n)
					}
				}
			}
			if s.ClientRandom != cr {
				t.Fatal("entry under another random")
			}
		}
		l.mu.RUnlock()
		m := FromSecretsBlock(SecretsTLS, b, "fuzz", 16, nil)
		m.Merge(l)
		if m.Len() != l.Len() || m.Stats().Duplicates != 2*st.Duplicates+st.Secrets {
			t.Fatalf("merged %+v from %+v", m.Stats(), st)
		}
	})
}
