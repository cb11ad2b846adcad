package jtl

import (
	"bytes"
	"math/rand"
	"testing"
)

// splitPlain against bytes.Split, on lines of every length around the
// word and block sizes, delimiters anywhere (first, last, doubled, up to every byte
// of a word) and bytes with the high bit set, which a careless zero-byte
// test mistakes for a match.
func TestSplitPlain(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	alphabet := []byte{'a', ',', ';', 0x00, 0x80, 0xac, 0x2b, 0x2d, 0xff, '\t', '|'}
	for _, delim := range []byte{',', ';', '\t', '|'} {
		for n := 0; n < 100; n++ {
			for k := 0; k < 200; k++ {
				// From rare delimiters to nothing else: a word may hold
				// none to eight of them.
				dense := k % 4
				line := make([]byte, n, n+rng.Intn(16))
				for i := range line {
					line[i] = alphabet[rng.Intn(len(alphabet))]
					if rng.Intn(4) < dense {
						line[i] = delim
					}
				}
				s := &recordScanner{delim: delim}
				if !s.splitPlain(line) {
					t.Fatalf("%q: quote found", line)
				}
				want := bytes.Split(line, []byte{delim})
				got := fieldsOf(s)
				if len(got) != len(want) {
					t.Fatalf("%q by %q: %q, want %q", line, delim, got, want)
				}
				for i := range want {
					if !bytes.Equal(got[i], want[i]) {
						t.Fatalf("%q by %q: %q, want %q", line, delim, got, want)
					}
				}
				if n > 0 {
					line[rng.Intn(n)] = '"'
					s.ends = s.ends[:0]
					if s.splitPlain(line) {
						t.Fatalf("%q: quote missed", line)
					}
				}
			}
		}
	}
}

// fieldsOf is the scanner's current record as a slice of fields.
func fieldsOf(s *recordScanner) [][]byte {
	var f [][]byte
	for i := range s.nfields() {
		f = append(f, s.field(i))
	}
	return f
}
