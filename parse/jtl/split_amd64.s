#include "textflag.h"

// func splitBlocks(line []byte, delim byte, ends []int32) (n int, done int, quote bool)
//
// A block of bytes at a time: one compare with the delimiter and one with
// a quote, each a mask of the matching bytes.
TEXT ·splitBlocks(SB), NOSPLIT, $0-73
	MOVQ    line_base+0(FP), SI
	MOVQ    line_len+8(FP), BX
	MOVBQZX delim+24(FP), AX
	MOVQ    ends_base+32(FP), DI

	// The delimiter in every byte of X1, a quote in every byte of X2.
	MOVQ       AX, X1
	PUNPCKLBW  X1, X1
	PSHUFLW    $0, X1, X1
	PUNPCKLQDQ X1, X1
	MOVQ       $0x22, AX
	MOVQ       AX, X2
	PUNPCKLBW  X2, X2
	PSHUFLW    $0, X2, X2
	PUNPCKLQDQ X2, X2

	XORQ CX, CX // bytes done
	XORQ DX, DX // delimiters found

	// Thirty-two bytes a turn while they last: the two halves' masks
	// joined, one test and one loop over the matches for both.
loop32:
	LEAQ     32(CX), R8
	CMPQ     R8, BX
	JA       loop
	MOVOU    (SI)(CX*1), X0
	MOVOU    16(SI)(CX*1), X4
	MOVO     X0, X3
	MOVO     X4, X5
	PCMPEQB  X2, X3
	PCMPEQB  X2, X5
	POR      X5, X3
	PMOVMSKB X3, R9
	TESTL    R9, R9
	JNZ      quote
	PCMPEQB  X1, X0
	PCMPEQB  X1, X4
	PMOVMSKB X0, R9
	PMOVMSKB X4, R10
	SHLL     $16, R10
	ORL      R10, R9
	JZ       next32

bits32:
	BSFL R9, R10
	ADDL CX, R10
	MOVL R10, (DI)(DX*4)
	INCQ DX
	LEAL -1(R9), R10
	ANDL R10, R9
	JNZ  bits32

next32:
	MOVQ R8, CX
	JMP  loop32

	// Then one block of sixteen, if there is one.
loop:
	LEAQ     16(CX), R8
	CMPQ     R8, BX
	JA       done
	MOVOU    (SI)(CX*1), X0
	MOVO     X0, X3
	PCMPEQB  X2, X3
	PMOVMSKB X3, R9
	TESTL    R9, R9
	JNZ      quote
	PCMPEQB  X1, X0
	PMOVMSKB X0, R9
	TESTL    R9, R9
	JZ       next

bits:
	BSFL  R9, R10
	ADDL  CX, R10
	MOVL  R10, (DI)(DX*4)
	INCQ  DX
	LEAL  -1(R9), R10
	ANDL  R10, R9
	JNZ   bits

next:
	MOVQ R8, CX
	JMP  loop

done:
	MOVQ DX, n+56(FP)
	MOVQ CX, done+64(FP)
	MOVB $0, quote+72(FP)
	RET

quote:
	MOVQ DX, n+56(FP)
	MOVQ CX, done+64(FP)
	MOVB $1, quote+72(FP)
	RET
