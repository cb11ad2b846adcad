package sip

import "testing"

// TestIsWSP holds isWSP to the grammar's linear white space on every byte.
func TestIsWSP(t *testing.T) {
	for c := 0; c < 256; c++ {
		if got, want := isWSP(byte(c)), c == ' ' || c == '\t'; got != want {
			t.Errorf("isWSP(%q) = %v, want %v", byte(c), got, want)
		}
	}
}

// TestParseCSeq reads CSeq values, the standard methods (which parseCSeq
// takes for tokens at once) and others.
func TestParseCSeq(t *testing.T) {
	for _, c := range []struct {
		v      string
		seq    uint32
		method string
		ok     bool
	}{
		{"1 INVITE", 1, "INVITE", true},
		{"4711 ACK", 4711, "ACK", true},
		{"2  BYE ", 2, "BYE", true},
		{"3 invite", 3, "invite", true},
		{"5 FOO-BAR.x", 5, "FOO-BAR.x", true},
		{"4294967295 CANCEL", 4294967295, "CANCEL", true},
		{"4294967296 INVITE", 0, "", false},
		{"6 INV ITE", 0, "", false},
		{"7 INV@TE", 0, "", false},
		{"8 ", 0, "", false},
		{"9INVITE", 0, "", false},
		{"INVITE", 0, "", false},
		{"", 0, "", false},
	} {
		seq, method, ok := parseCSeq(c.v)
		if seq != c.seq || method != c.method || ok != c.ok {
			t.Errorf("parseCSeq(%q) = %d, %q, %v; want %d, %q, %v", c.v, seq, method, ok, c.seq, c.method, c.ok)
		}
	}
}
