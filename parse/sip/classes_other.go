//go:build !amd64

package sip

// Other architectures read values with plainRun alone.
const classesAsm = false

func classifyAVX2(s string, t *classTable) (marks0, marks1, odd0, odd1 uint64) {
	panic("sip: classifyAVX2 without the assembly")
}

func classBitsAVX2(s string, t *classTable, bits *[8]uint64) {
	panic("sip: classBitsAVX2 without the assembly")
}
