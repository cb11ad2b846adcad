package sip

import "golang.org/x/sys/cpu"

// classesAsm says whether classifyAVX2 and classBitsAVX2 may run here.
var classesAsm = cpu.X86.HasAVX2

// classifyAVX2 returns the marks and the odd bytes of s, from classesMin
// to classesMax bytes long, as t classes them (classes_amd64.s): byte i
// is bit i of marks0 or odd0, or for i from 64 on bit i-64 of marks1 or
// odd1.
//
//go:noescape
func classifyAVX2(s string, t *classTable) (marks0, marks1, odd0, odd1 uint64)

// classBitsAVX2 sets bits[k] to the mask of the bytes of s, from
// classesMin to classBitsMax bytes long, whose class in t has bit k
// (classes_amd64.s).
//
//go:noescape
func classBitsAVX2(s string, t *classTable, bits *[8]uint64)
