package sip

import (
	"encoding/binary"
	"unsafe"
)

// The scanner of the header section reads a line's name by comparing
// whole words with the names it expects rather than byte by byte.

// namePattern is a header name and the colon after it, as the words that
// scanName compares with a line's first bytes.
type namePattern struct {
	// word holds the bytes in lower case, fold the 0x20 bit of the
	// letters (a letter matches in either case, nothing else does), mask
	// the bytes that count.
	word, fold, mask [3]uint64
	n                uint8 // the name's length, without the colon
	h                header
	// next is the index in namePatterns of the next name in the same
	// list of nameIndex, or 0.
	next uint8
}

// patternBytes is how many bytes from a line's start scanName compares.
const patternBytes = 24

// commonNames are the names, in the order of how often they come in the
// load tests' captures, that go first in their list of nameIndex.
var commonNames = []string{
	"Content-Length", "Via", "To", "From", "Call-ID", "CSeq", "User-Agent",
	"Max-Forwards", "Server", "Contact", "Content-Type", "Supported",
	"Session-Expires", "Allow", "Retry-After", "P-Asserted-Identity",
	"Reason", "X-Trace-Id", "Record-Route", "Route",
}

// namePatterns are the full names of every header the parser knows, and
// the compact forms of those it reads, from index 1 on: an index is a
// byte, so reading one is not bounds-checked. nameIndex lists them by the
// low five bits of the name's first two bytes (case does not change
// those of a letter): a line is compared with a name or two, where
// a list by first letter held seven beginning with c, tried in turn.
var namePatterns, nameIndex = func() (t [256]namePattern, index [nameKeys]uint8) {
	n := 0
	added := make(map[string]bool)
	add := func(name string, h header) {
		s := name + ":"
		if len(s) > patternBytes {
			panic("sip: header name too long for scanName: " + name)
		}
		if added[name] {
			return
		}
		added[name] = true
		n++
		if n == len(t) {
			panic("sip: too many header names for namePatterns")
		}
		p := &t[n]
		p.n, p.h = uint8(len(name)), h
		for i := 0; i < len(s); i++ {
			c, shift := s[i], uint(i%8)*8
			if isAlpha(c) {
				c |= 0x20
				p.fold[i/8] |= 0x20 << shift
			}
			p.word[i/8] |= uint64(c) << shift
			p.mask[i/8] |= 0xff << shift
		}
		at := &index[nameKey(p.word[0]&0x1f1f)]
		for *at != 0 {
			at = &t[*at].next
		}
		*at = uint8(n)
	}
	for _, name := range commonNames {
		h := hOther
		for k := hOther + 1; k < numHeaders; k++ {
			if headerNames[k] == name {
				h = k
			}
		}
		if h == hOther {
			panic("sip: commonNames holds a name the parser does not know: " + name)
		}
		add(name, h)
	}
	for h := hOther + 1; h < numHeaders; h++ {
		add(headerNames[h], h)
	}
	for i, c := range compactForms {
		if c.h != hOther {
			add(string(rune('a'+i)), c.h)
		}
	}
	return t, index
}()

// nameKey is where nameIndex lists the names whose first two bytes are
// those of w: the low five bits of each, left in place, which costs one
// instruction where packing them in ten bits took five. The key of a
// line that starts with no letter may be a letter's: the comparison
// turns it away.
func nameKey(w uint64) uint { return uint(w) & (nameKeys - 1) }

const nameKeys = 0x2000

// startsLineBytes is how many bytes from a line's start startsLine needs
// at least: two words.
const startsLineBytes = 16

// startsLine reports whether p starts the line at at, whose first word
// is w0, when r bytes from at on, at least startsLineBytes, may be read:
// it answers as scanName, but for a name that needs a third word and has
// not the bytes for it, which it turns away. The words after the first
// are read from at when they are compared, so that a loop that calls it
// need not keep them in registers.
func (p *namePattern) startsLine(w0 uint64, at unsafe.Pointer, r int) bool {
	return (w0|p.fold[0])&p.mask[0] == p.word[0] &&
		(binary.LittleEndian.Uint64((*[8]byte)(unsafe.Add(at, 8))[:])|p.fold[1])&p.mask[1] == p.word[1] &&
		(p.mask[2] == 0 || r >= patternBytes && (binary.LittleEndian.Uint64((*[8]byte)(unsafe.Add(at, 16))[:])|p.fold[2])&p.mask[2] == p.word[2])
}

// scanName reads the name of the header line that starts at b[pos] when
// it is one of namePatterns followed at once by a colon: it returns the
// name's length and header, or 0 when the line is anything else. It
// answers as the token loop and lookupHeader would for such a line, since
// a pattern matches only letters of its name, in either case, its '-'
// and its colon. pos is not negative.
//
// It calls nothing, so that it needs no stack frame: the words of a line
// near b's end are read from the bytes that are there rather than from a
// copy padded on the stack, which took a call to copy too.
func scanName(b []byte, pos int) (int, header) {
	// b is read through pointers, the bounds checked here, as nothing in
	// scanName may panic: a call to panic would give it a stack frame.
	// pos is not negative.
	var w0, w1, w2 uint64
	if r := len(b) - pos; r >= patternBytes {
		w := (*[patternBytes]byte)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(b)), pos))
		w0 = binary.LittleEndian.Uint64(w[:8])
		w1 = binary.LittleEndian.Uint64(w[8:16])
		w2 = binary.LittleEndian.Uint64(w[16:])
	} else if r > 0 {
		// The line is near b's end: the words past it are zero, and the
		// one it ends in is padded with zero bytes, which match no
		// letter, '-' nor colon.
		at := unsafe.Add(unsafe.Pointer(unsafe.SliceData(b)), pos)
		var tail uint64
		if n := uint(r) & 7; n == 0 {
		} else if len(b) >= 8 {
			// The word that ends b, the bytes before the line's shifted
			// out.
			end := (*[8]byte)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(b)), len(b)-8))
			tail = binary.LittleEndian.Uint64(end[:]) >> ((64 - 8*n) & 63)
		} else {
			for k := r - 1; k >= 0; k-- {
				tail = tail<<8 | uint64(*(*byte)(unsafe.Add(at, k)))
			}
		}
		switch r >> 3 {
		case 0:
			w0 = tail
		case 1:
			w0, w1 = binary.LittleEndian.Uint64((*[8]byte)(at)[:]), tail
		default:
			w0 = binary.LittleEndian.Uint64((*[8]byte)(at)[:])
			w1 = binary.LittleEndian.Uint64((*[8]byte)(unsafe.Add(at, 8))[:])
			w2 = tail
		}
	}
	for i := nameIndex[nameKey(w0&0x1f1f)]; i != 0; {
		p := &namePatterns[i]
		// Most names fit in the first word, and nearly all in two: a
		// word whose mask is zero is not compared.
		if (w0|p.fold[0])&p.mask[0] == p.word[0] &&
			(p.mask[1] == 0 || (w1|p.fold[1])&p.mask[1] == p.word[1] &&
				(p.mask[2] == 0 || (w2|p.fold[2])&p.mask[2] == p.word[2])) {
			return int(p.n), p.h
		}
		i = p.next
	}
	return 0, hOther
}
