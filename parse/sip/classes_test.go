package sip

import (
	"strings"
	"testing"
	"unsafe"
)

// classesRef is classify as a loop over the bytes: marks and odd bytes by
// the byte tables that plainRun reads.
func classesRef(s string, marks, odd func(c byte) bool) (m, o [2]uint64) {
	for i := 0; i < len(s); i++ {
		if marks(s[i]) {
			m[i>>6] |= 1 << (i & 63)
		}
		if odd(s[i]) {
			o[i>>6] |= 1 << (i & 63)
		}
	}
	return m, o
}

// TestClassTables holds each class table to the byte table it stands
// for, on every byte.
func TestClassTables(t *testing.T) {
	for _, c := range []struct {
		name      string
		t         *classTable
		mark, odd func(c byte) bool
	}{
		{"viaClasses", &viaClasses,
			func(c byte) bool { return viaByte[c] == vSemi || viaByte[c] == vEq },
			func(c byte) bool { return viaByte[c] == vOdd }},
	} {
		for b := 0; b < 256; b++ {
			class := c.t.lo[b&15] & c.t.hi[b>>4]
			if got, want := class&0x80 != 0, c.mark(byte(b)); got != want {
				t.Errorf("%s: byte %#x a mark: %v, want %v", c.name, b, got, want)
			}
			if got, want := class&0x7f != 0, c.odd(byte(b)); got != want {
				t.Errorf("%s: byte %#x odd: %v, want %v", c.name, b, got, want)
			}
			if c.t.lo[b&15] != c.t.lo[16+b&15] || c.t.hi[b>>4] != c.t.hi[16+b>>4] {
				t.Fatalf("%s: the lanes' tables differ", c.name)
			}
		}
	}
}

// TestClassify holds classifyAVX2 to classesRef for every length it
// takes, with marks and odd bytes at every place, each input ending where
// a page does.
func TestClassify(t *testing.T) {
	if !classesAsm {
		t.Skip("no AVX2 here: the values are read by plainRun alone")
	}
	mark := func(c byte) bool { return c == ';' || c == '=' }
	odd := func(c byte) bool { return viaByte[c] == vOdd }
	guard := newPageEnd(t)
	for n := classesMin; n <= classesMax; n++ {
		for _, special := range []byte{';', '=', ' ', '\n', ',', 0x80, '+', 0x3b | 0x80, 0x1b} {
			for at := 0; at < n; at++ {
				b := []byte(strings.Repeat("a", n))
				b[at] = special
				// A second one further on, so that a chunk holds two.
				b[(at*7+3)%n] = ';'
				g := guard.at(t, b)
				s := unsafe.String(&g[0], len(g))
				wm, wo := classesRef(s, mark, odd)
				m0, m1, o0, o1 := classifyAVX2(s, &viaClasses)
				if m0 != wm[0] || m1 != wm[1] || o0 != wo[0] || o1 != wo[1] {
					t.Fatalf("classifyAVX2(%q) = marks %#x %#x, odd %#x %#x; want %#x %#x, %#x %#x",
						s, m0, m1, o0, o1, wm[0], wm[1], wo[0], wo[1])
				}
			}
		}
	}
}
