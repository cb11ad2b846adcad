package jtl

import (
	"math/rand"
	"strconv"
	"testing"
)

// parseIntRef is parseInt digit by digit, as it was before eight digits
// were taken at once.
func parseIntRef(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	neg := false
	if b[0] == '-' || b[0] == '+' {
		neg = b[0] == '-'
		b = b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	if len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// parseInt against the digit-by-digit reference: numbers of every length,
// signs, and a non-digit (including the bytes next to '0' and '9', and
// ones whose +6 carries) put at every position.
func TestParseInt(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	bad := []byte{'/', ':', ' ', 0x00, 0x80, 0xff, 0xfa, 0x3a, 0x3f, 0x2f, 'a', '-', '+', '.', 0x39 + 0x10, 0x30 - 0x10}
	check := func(b []byte) {
		n, ok := parseInt(b)
		wn, wok := parseIntRef(b)
		if n != wn || ok != wok {
			t.Fatalf("parseInt(%q) = %d, %v, want %d, %v", b, n, ok, wn, wok)
		}
		// shortInt may refuse what parseInt reads, never read it otherwise.
		if n, ok := shortInt(b); ok && (!wok || n != wn) {
			t.Fatalf("shortInt(%q) = %d, %v, want %d, %v", b, n, ok, wn, wok)
		}
	}
	for l := 0; l <= 21; l++ {
		for k := 0; k < 300; k++ {
			b := make([]byte, l)
			for i := range b {
				b[i] = '0' + byte(rng.Intn(10))
			}
			for _, sign := range []string{"", "-", "+"} {
				s := append([]byte(sign), b...)
				check(s)
				if l > 0 && l <= 18 {
					if n, ok := parseInt(s); !ok || n != mustAtoi(t, string(s)) {
						t.Fatalf("parseInt(%q) = %d, %v", s, n, ok)
					}
				}
				for i := range s {
					c := s[i]
					for _, x := range bad {
						s[i] = x
						check(s)
					}
					s[i] = c
				}
			}
		}
	}
}

func mustAtoi(t *testing.T, s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
