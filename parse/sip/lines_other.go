//go:build !amd64

package sip

// Other architectures find line ends with lineEndsGo alone.
const (
	lineEndsAsm = false
	lineEndsMin = 0
)

func lineEndsAVX2(b []byte, from int, ends *[lineEndsLen]int) { lineEndsGo(b, from, ends) }
