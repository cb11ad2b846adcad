package sip

import "golang.org/x/sys/cpu"

// lineEndsAsm says whether lineEndsAVX2 may run here: it uses BLSR
// (BMI1) as well.
var lineEndsAsm = cpu.X86.HasAVX2 && cpu.X86.HasBMI1

// lineEndsMin is the shortest input lineEndsAVX2 takes: one block.
const lineEndsMin = 64

// lineEndsAVX2 is lineEnds for b at least lineEndsMin bytes long
// (lines_amd64.s), sixty-four bytes a block.
//
//go:noescape
func lineEndsAVX2(b []byte, from int, ends *[lineEndsLen]int)
