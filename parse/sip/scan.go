package sip

import "encoding/binary"

// The scanner of the header section reads a line's name by comparing
// whole words with the names it expects rather than byte by byte.

// namePattern is a header name and the colon after it, as the words that
// scanName compares with a line's first bytes.
type namePattern struct {
	// word holds the bytes in lower case, fold the 0x20 bit of the
	// letters (a letter matches in either case, nothing else does), mask
	// the bytes that count.
	word, fold, mask [3]uint64
	n                int // the name's length, without the colon
	h                header
}

// patternBytes is how many bytes from a line's start scanName compares.
const patternBytes = 24

// namePatterns are the patterns by the first letter of the name, lower
// case: the full names of every header the parser knows, and the
// compact forms of those it reads.
var namePatterns = func() (t [26][]namePattern) {
	add := func(name string, h header) {
		s := name + ":"
		if len(s) > patternBytes {
			panic("sip: header name too long for scanName: " + name)
		}
		var p namePattern
		p.n, p.h = len(name), h
		for i := 0; i < len(s); i++ {
			c, shift := s[i], uint(i%8)*8
			if isAlpha(c) {
				c |= 0x20
				p.fold[i/8] |= 0x20 << shift
			}
			p.word[i/8] |= uint64(c) << shift
			p.mask[i/8] |= 0xff << shift
		}
		first := (s[0] | 0x20) - 'a'
		t[first] = append(t[first], p)
	}
	for h := hOther + 1; h < numHeaders; h++ {
		add(headerNames[h], h)
	}
	for i, c := range compactForms {
		if c.h != hOther {
			add(string(rune('a'+i)), c.h)
		}
	}
	return t
}()

// scanName reads the name of the header line that starts at b[pos] when
// it is one of namePatterns followed at once by a colon: it returns the
// name's length and header, or 0 when the line is anything else. It
// answers as the token loop and lookupHeader would for such a line, since
// a pattern matches only letters of its name, in either case, its '-'
// and its colon.
func scanName(b []byte, pos int) (int, header) {
	if pos >= len(b) {
		return 0, hOther
	}
	c := (b[pos] | 0x20) - 'a'
	if c >= 26 {
		return 0, hOther
	}
	var w []byte
	if pos+patternBytes <= len(b) {
		w = b[pos : pos+patternBytes]
	} else {
		// The last line of most messages, "Content-Length: 0", is
		// shorter than the words: they are read from a copy padded with
		// zero bytes, which match no letter, '-' nor colon.
		var pad [patternBytes]byte
		copy(pad[:], b[pos:])
		w = pad[:]
	}
	w0 := binary.LittleEndian.Uint64(w)
	for i := range namePatterns[c] {
		p := &namePatterns[c][i]
		if (w0|p.fold[0])&p.mask[0] != p.word[0] {
			continue
		}
		if p.mask[1] != 0 {
			w1 := binary.LittleEndian.Uint64(w[8:])
			if (w1|p.fold[1])&p.mask[1] != p.word[1] {
				continue
			}
			if p.mask[2] != 0 {
				w2 := binary.LittleEndian.Uint64(w[16:])
				if (w2|p.fold[2])&p.mask[2] != p.word[2] {
					continue
				}
			}
		}
		return p.n, p.h
	}
	return 0, hOther
}
