package sip

import (
	"strings"
	"testing"
)

// TestScanName holds scanName to the token loop and lookupHeader it
// stands in for, on every name it knows in several spellings and on near
// misses: bytes that equal a name's once the case bit is set, a colon
// moved or missing, a line shorter than the words compared.
func TestScanName(t *testing.T) {
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
	for _, line := range lines {
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
		}
	}
}
