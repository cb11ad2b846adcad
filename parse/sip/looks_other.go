//go:build !amd64

package sip

// Other architectures search with hasSlash20Go alone.
const (
	slash20Asm = false
	slash20Min = 0
)

func slash20AVX2(b []byte) bool { return hasSlash20Go(b) }
