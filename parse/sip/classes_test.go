package sip

import (
	"strings"
	"testing"
	"unsafe"
)

// classOf is the class a table gives byte c.
func classOf(t *classTable, c byte) byte { return t.lo[c&15] & t.hi[c>>4] }

// TestClassTables holds each class table, bit by bit, to the bytes it
// stands for, on every byte, and checks that both lanes read alike.
func TestClassTables(t *testing.T) {
	for _, c := range []struct {
		name string
		t    *classTable
		bits map[byte]func(c byte) bool
	}{
		{"viaClasses", &viaClasses, map[byte]func(c byte) bool{
			0x80: func(c byte) bool { return viaByte[c] == vSemi || viaByte[c] == vEq },
			0x7f: func(c byte) bool { return viaByte[c] == vOdd },
		}},
		{"tagClasses", &tagClasses, map[byte]func(c byte) bool{
			1 << tagLT:                       func(c byte) bool { return c == '<' },
			1 << tagGT:                       func(c byte) bool { return c == '>' },
			1 << tagSemi:                     func(c byte) bool { return c == ';' },
			1 << tagQuote:                    func(c byte) bool { return c == '"' },
			1 << tagBackslash:                func(c byte) bool { return c == '\\' },
			1<<tagOddLow | 1<<tagOddSpace:    func(c byte) bool { return paramByte[c] == vOdd },
			0xff &^ (1<<(tagOddSpace+1) - 1): func(c byte) bool { return false },
		}},
	} {
		for b := 0; b < 256; b++ {
			for bits, want := range c.bits {
				if got := classOf(c.t, byte(b))&bits != 0; got != want(byte(b)) {
					t.Errorf("%s: byte %#x has bits %#x: %v, want %v", c.name, b, bits, got, !got)
				}
			}
		}
		if [16]byte(c.t.lo[:16]) != [16]byte(c.t.lo[16:]) || [16]byte(c.t.hi[:16]) != [16]byte(c.t.hi[16:]) {
			t.Errorf("%s: the lanes' tables differ", c.name)
		}
	}
}

// classInputs calls f with strings of every length from classesMin to
// max, each ending where a page does, of plain bytes but for one of
// specials at every place and a second further on.
func classInputs(t *testing.T, max int, specials string, f func(s string)) {
	guard := newPageEnd(t)
	for n := classesMin; n <= max; n++ {
		for k := 0; k < len(specials); k++ {
			for at := 0; at < n; at++ {
				b := []byte(strings.Repeat("a", n))
				b[at] = specials[k]
				b[(at*7+3)%n] = specials[(k+1)%len(specials)]
				g := guard.at(t, b)
				f(unsafe.String(&g[0], len(g)))
			}
		}
	}
}

// specials are bytes of every class of the tables, and bytes that share
// a nibble with them.
const specials = ";= \n,\t\r\"(<>\\\x80+\xbb\x1b\x0c[l"

// TestClassify holds classifyAVX2 to a loop over the bytes.
func TestClassify(t *testing.T) {
	if !classesAsm {
		t.Skip("no AVX2 here: the values are read by plainRun alone")
	}
	classInputs(t, classesMax, specials, func(s string) {
		var marks, odd [2]uint64
		for i := 0; i < len(s); i++ {
			c := classOf(&viaClasses, s[i])
			if c&0x80 != 0 {
				marks[i>>6] |= 1 << (i & 63)
			}
			if c&0x7f != 0 {
				odd[i>>6] |= 1 << (i & 63)
			}
		}
		m0, m1, o0, o1 := classifyAVX2(s, &viaClasses)
		if m0 != marks[0] || m1 != marks[1] || o0 != odd[0] || o1 != odd[1] {
			t.Fatalf("classifyAVX2(%q) = marks %#x %#x, odd %#x %#x; want %#x %#x, %#x %#x",
				s, m0, m1, o0, o1, marks[0], marks[1], odd[0], odd[1])
		}
	})
}

// TestClassBits holds classBitsAVX2 to a loop over the bytes.
func TestClassBits(t *testing.T) {
	if !classesAsm {
		t.Skip("no AVX2 here: the values are read byte by byte alone")
	}
	classInputs(t, classBitsMax, specials, func(s string) {
		var want, got [8]uint64
		for i := 0; i < len(s); i++ {
			c := classOf(&tagClasses, s[i])
			for k := range want {
				if c&(1<<k) != 0 {
					want[k] |= 1 << i
				}
			}
		}
		classBitsAVX2(s, &tagClasses, &got)
		if got != want {
			t.Fatalf("classBitsAVX2(%q) = %#x, want %#x", s, got, want)
		}
	})
}
