package sip

import "golang.org/x/sys/cpu"

// slash20Asm says whether slash20AVX2 may run here.
var slash20Asm = cpu.X86.HasAVX2

// slash20Min is the shortest input slash20AVX2 takes: one block of 32
// places and the three bytes the last place's "/2.0" spans.
const slash20Min = 35

// slash20AVX2 reports whether b, at least slash20Min bytes long, holds
// "/2.0" (looks_amd64.s).
//
//go:noescape
func slash20AVX2(b []byte) bool
