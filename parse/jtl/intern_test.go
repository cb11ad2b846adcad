package jtl

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"unsafe"
)

// The interner against a map: every lookup gives back the value asked
// for, and while the table has room, a value asked for again gives back
// the same string (the same bytes), which is what sharing is for. What was
// handed out never changes.
func TestInterner(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	long := strings.Repeat("x", arenaMax+8)
	tests := []struct {
		name   string
		limit  int
		rounds int // 0 for 20000
		values func(i int) string
	}{
		{"few short", 4096, 0, func(i int) string { return []string{"200", "503", "OK", "text", "INVITE"}[i%5] }},
		{"many URLs", 1 << 14, 0, func(i int) string { return fmt.Sprintf("https://edge.example.com/v2/calls?id=%d", rng.Intn(5000)) }},
		// Same length, first and last eight bytes: only the middle differs.
		{"middles", 4096, 0, func(i int) string { return fmt.Sprintf("12345678-%06d-87654321", rng.Intn(3000)) }},
		{"lengths 1-40", 4096, 0, func(i int) string { return strings.Repeat("ab", 20)[:1+rng.Intn(40)] }},
		{"past the arena", 64, 0, func(i int) string { return long[:arenaMax-2+rng.Intn(4)] + fmt.Sprint(rng.Intn(3)) }},
		{"past maxLen", 16, 300, func(i int) string { return strings.Repeat("y", maxLen-1+rng.Intn(3)) }},
		{"over the limit", 100, 0, func(i int) string { return fmt.Sprintf("label %d", rng.Intn(300)) }},
		{"unique", 1024, 0, func(i int) string { return fmt.Sprintf("%08x@lg1.example.com", rng.Uint32()) }},
		{"binary", 4096, 0, func(i int) string {
			b := make([]byte, rng.Intn(20))
			for j := range b {
				b[j] = byte(rng.Intn(3))
			}
			return string(b)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, asString := range []bool{false, true} {
				in := newInterner(tt.limit)
				held := map[string]string{}
				var handed [][2]string
				rounds := tt.rounds
				if rounds == 0 {
					rounds = 20000
				}
				for i := range rounds {
					v := tt.values(i)
					var got string
					if asString {
						got = in.str(v)
					} else {
						got = in.get([]byte(v))
					}
					if got != v {
						t.Fatalf("value %d: got %q, want %q", i, got, v)
					}
					if in.n > tt.limit {
						t.Fatalf("%d values held, limit %d", in.n, tt.limit)
					}
					handed = append(handed, [2]string{got, v})
					b := []byte(v)
					if j, ok := in.find(b, in.hash(b)); ok {
						s := in.value(in.tab[j])
						if h, ok := held[v]; ok && unsafe.StringData(h) != unsafe.StringData(s) {
							t.Fatalf("value %d (%q): held at two places", i, v)
						}
						held[v] = s
						if !in.bypass && got != "" && unsafe.StringData(got) != unsafe.StringData(s) {
							t.Fatalf("value %d (%q): not the held string", i, v)
						}
					}
				}
				for i, h := range handed {
					if h[0] != h[1] {
						t.Fatalf("value %d: %q became %q", i, h[1], h[0])
					}
				}
				if tt.name != "unique" && tt.name != "over the limit" && in.bypass {
					t.Errorf("bypassed a column of repeated values")
				}
			}
		})
	}
}
