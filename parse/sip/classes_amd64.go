package sip

import "golang.org/x/sys/cpu"

// classesAsm says whether classifyAVX2 may run here.
var classesAsm = cpu.X86.HasAVX2

// classifyAVX2 returns the marks and the odd bytes of s, from classesMin
// to classesMax bytes long, as t classes them (classes_amd64.s): bit i of
// marks[i>>6], or of odd[i>>6], for byte i.
//
//go:noescape
func classifyAVX2(s string, t *classTable) (marks0, marks1, odd0, odd1 uint64)

// classBitsAVX2 sets bits[k] to the mask of the bytes of s, from
// classesMin to classBitsMax bytes long, whose class in t has bit k
// (classes_amd64.s).
//
//go:noescape
func classBitsAVX2(s string, t *classTable, bits *[8]uint64)
