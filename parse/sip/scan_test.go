package sip

import (
	"encoding/binary"
	"math/rand/v2"
	"strings"
	"testing"
	"unsafe"
)

// TestScanName holds scanName to the token loop and lookupHeader it
// stands in for, on every name it knows in several spellings and on near
// misses: bytes that equal a name's once the case bit is set, a colon
// moved or missing, a line shorter than the words compared.
func TestScanName(t *testing.T) {
	pe := newPageEnd(t)
	for _, line := range scanNameLines() {
		b := []byte(line)
		k := 0
		for k < len(b) && tokenChar[b[k]] {
			k++
		}
		wantN, wantH := 0, hOther
		if k > 0 && k < len(b) && b[k] == ':' {
			wantN, wantH = k, lookupHeader(line[:k])
		}
		n, h := scanName(b, 0)
		switch {
		case n == 0:
			// Not recognised: the token loop reads it, which is always right.
		case n != wantN:
			t.Errorf("scanName(%q) = %d, %d; token loop %d, %d", line, n, h, wantN, wantH)
		case h != wantH && (wantH != hOther || h < numRead || !equalFold(line[:n], headerNames[h])):
			t.Errorf("scanName(%q) = %d, %d; lookupHeader %d", line, n, h, wantH)
		}
		if strings.HasSuffix(line, "long enough\r\n") && wantN > 0 && n == 0 && wantH != hOther {
			t.Errorf("scanName(%q) did not recognise a header it knows", line)
		}
		// Cut short, the line is read as far as it goes and no further:
		// a name whose colon is cut off is not recognised, one whose
		// colon is in is read as in the whole line.
		for cut := 0; cut <= min(len(b), patternBytes); cut++ {
			wantN, wantH := 0, hOther
			if n > 0 && cut > n {
				wantN, wantH = n, h
			}
			if gotN, gotH := scanName(b[:cut], 0); gotN != wantN || gotH != wantH {
				t.Errorf("scanName(%q) = %d, %d; want %d, %d", line[:cut], gotN, gotH, wantN, wantH)
			}
			// Nor past the end of memory: the line ends where a page
			// does, after a byte of the line before or none.
			for pos := 0; pos <= 1; pos++ {
				c := pe.at(t, append(make([]byte, pos), b[:cut]...))
				if gotN, gotH := scanName(c, pos); gotN != wantN || gotH != wantH {
					t.Errorf("scanName(%q) at a page's end = %d, %d; want %d, %d", line[:cut], gotN, gotH, wantN, wantH)
				}
			}
		}
	}
}

// scanNameByLetter is scanName as it was before nameIndex: every name of
// the line's first letter in turn, on a copy padded with zero bytes.
func scanNameByLetter(b []byte, pos int) (int, header) {
	if pos >= len(b) || (b[pos]|0x20)-'a' >= 26 {
		return 0, hOther
	}
	var w [patternBytes]byte
	copy(w[:], b[pos:])
	for i := 1; i < len(namePatterns); i++ {
		p := &namePatterns[i]
		if (b[pos]|0x20)-'a' != (byte(p.word[0]) - 'a') {
			continue
		}
		ok := true
		for k := range 3 {
			x := binary.LittleEndian.Uint64(w[8*k:])
			ok = ok && (x|p.fold[k])&p.mask[k] == p.word[k]
		}
		if ok {
			return int(p.n), p.h
		}
	}
	return 0, hOther
}

// TestScanNameByLetter holds the lookup by first two bytes to the plain walk
// through every name, on names with bytes changed, cut short, and with
// colons put in at random.
func TestScanNameByLetter(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("aAcCeEiIlLnNtT-:\r\x1a\x0d \x00\xff")
	var lines [][]byte
	for i := 1; i < len(namePatterns); i++ {
		p := &namePatterns[i]
		// An empty line stands for random bytes.
		lines = append(lines, nil)
		var s []byte
		for k := 0; k <= int(p.n); k++ {
			s = append(s, byte(p.word[k/8]>>(8*(k%8))))
		}
		lines = append(lines, append(s, " value long enough to fill the words\r\n"...))
	}
	matched := 0
	for range 200000 {
		base := lines[r.IntN(len(lines))]
		b := append([]byte(nil), base...)
		if len(b) == 0 {
			b = make([]byte, r.IntN(30))
			for i := range b {
				b[i] = alphabet[r.IntN(len(alphabet))]
			}
		}
		for range r.IntN(3) {
			if len(b) > 0 {
				i := r.IntN(min(len(b), 26))
				switch r.IntN(3) {
				case 0:
					b[i] = alphabet[r.IntN(len(alphabet))]
				case 1:
					b[i] ^= 0x20
				default:
					b[i] = ':'
				}
			}
		}
		pos := 0
		if r.IntN(4) == 0 {
			pos = r.IntN(3)
			b = append(make([]byte, pos), b...)
		}
		b = b[:r.IntN(len(b)+1)]
		n, h := scanName(b, pos)
		wn, wh := scanNameByLetter(b, pos)
		if n != wn || h != wh {
			t.Fatalf("scanName(%q, %d) = %d, %d; by letter %d, %d", b, pos, n, h, wn, wh)
		}
		if n > 0 {
			matched++
		}
	}
	if matched < 10000 {
		t.Errorf("only %d lines of 200000 matched a name", matched)
	}
}

// scanNameLines are the lines TestScanName reads: every name the parser
// knows in several spellings, and near misses of them.
func scanNameLines() []string {
	var names []string
	for h := hOther + 1; h < numHeaders; h++ {
		names = append(names, headerNames[h])
	}
	for i := range compactForms {
		names = append(names, string(rune('a'+i)))
	}
	names = append(names, "Viaa", "Vi", "Call-IDs", "X-Custom", "Content-Lengthy", "Reason-X")
	var lines []string
	for _, n := range names {
		for _, sp := range []string{n, strings.ToUpper(n), strings.ToLower(n)} {
			lines = append(lines,
				sp+": value that is long enough\r\n",
				sp+":\r\n",
				sp+" : value that is long enough\r\n",
				sp+"\x1a value that is long enough\r\n",
				strings.ReplaceAll(sp, "-", "\r")+": value that is long enough\r\n",
				strings.ReplaceAll(sp, "-", "\x0d")+": value that is long enough\r\n",
			)
			for i := 0; i < len(sp); i++ {
				// Bytes whose case bit set gives the name's letter or '-'.
				for _, c := range []byte{sp[i] &^ 0x20, sp[i] | 0x20, sp[i] ^ 0x20} {
					b := []byte(sp)
					b[i] = c
					lines = append(lines, string(b)+": value that is long enough\r\n")
				}
			}
		}
	}
	return lines
}

// TestStartsLine holds the header loop's walk through a list with
// startsLine to scanName, on every line TestScanName reads cut at each
// length from startsLineBytes on, where a page ends: with patternBytes
// bytes or more it answers as scanName; with fewer it answers as
// scanName or not at all, and the loop then asks scanName.
func TestStartsLine(t *testing.T) {
	pe := newPageEnd(t)
	answered, left := 0, 0
	for _, line := range scanNameLines() {
		for cut := startsLineBytes; cut <= len(line); cut++ {
			b := pe.at(t, []byte(line[:cut]))
			w0 := binary.LittleEndian.Uint64(b[:8])
			i := nameIndex[nameKey(w0&0x1f1f)]
			for i != 0 && !namePatterns[i].startsLine(w0, unsafe.Pointer(unsafe.SliceData(b)), len(b)) {
				i = namePatterns[i].next
			}
			n, h := scanName(b, 0)
			switch {
			case i != 0 && (int(namePatterns[i].n) != n || namePatterns[i].h != h):
				t.Errorf("walk of %q: %d, %d; scanName %d, %d", b, namePatterns[i].n, namePatterns[i].h, n, h)
			case i == 0 && n != 0 && cut >= patternBytes:
				t.Errorf("walk of %q: none; scanName %d, %d", b, n, h)
			case i == 0 && n != 0:
				left++
			case i != 0:
				answered++
			}
		}
	}
	if answered == 0 || left == 0 {
		t.Errorf("the walk answered for %d lines and left %d to scanName; want some of each", answered, left)
	}
}
