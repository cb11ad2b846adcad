//go:build !amd64

package sip

// Other architectures read values with plainRun alone.
const classesAsm = false

func classifyAVX2(s string, t *classTable) (marks0, marks1, odd0, odd1 uint64) {
	panic("sip: classifyAVX2 without the assembly")
}
