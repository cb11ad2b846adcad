#include "textflag.h"

// func splitBlocks(line []byte, delim byte, ends []int32) (n int, done int, stop int)
//
// A block of bytes at a time: one compare with the delimiter, and one
// with a quote and one with a line feed, each a mask of the matching
// bytes. The block that holds a quote or a line feed is looked at again,
// its masks apart (stopmasks).
TEXT ·splitBlocks(SB), NOSPLIT, $0-80
	MOVQ    line_base+0(FP), SI
	MOVQ    line_len+8(FP), BX
	MOVBQZX delim+24(FP), AX
	MOVQ    ends_base+32(FP), DI

	// The delimiter in every byte of X1, a quote in every byte of X2, a
	// line feed in every byte of X6.
	MOVQ       AX, X1
	PUNPCKLBW  X1, X1
	PSHUFLW    $0, X1, X1
	PUNPCKLQDQ X1, X1
	MOVQ       $0x22, AX
	MOVQ       AX, X2
	PUNPCKLBW  X2, X2
	PSHUFLW    $0, X2, X2
	PUNPCKLQDQ X2, X2
	MOVQ       $0x0a, AX
	MOVQ       AX, X6
	PUNPCKLBW  X6, X6
	PSHUFLW    $0, X6, X6
	PUNPCKLQDQ X6, X6

	XORQ CX, CX // bytes done
	XORQ DX, DX // delimiters found

	// Thirty-two bytes a turn while they last: the two halves' masks
	// joined, one test for a quote or a line feed in either and one loop
	// over the matches for both.
loop32:
	LEAQ     32(CX), R8
	CMPQ     R8, BX
	JA       loop
	MOVOU    (SI)(CX*1), X0
	MOVOU    16(SI)(CX*1), X4
	MOVO     X0, X3
	MOVO     X4, X5
	MOVO     X0, X7
	MOVO     X4, X8
	PCMPEQB  X2, X3
	PCMPEQB  X2, X5
	PCMPEQB  X6, X7
	PCMPEQB  X6, X8
	POR      X5, X3
	POR      X7, X8
	POR      X8, X3
	PMOVMSKB X3, R9
	TESTL    R9, R9
	JNZ      stop32
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
	MOVO     X0, X7
	PCMPEQB  X2, X3
	PCMPEQB  X6, X7
	POR      X7, X3
	PMOVMSKB X3, R9
	TESTL    R9, R9
	JNZ      stop16
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
	MOVQ $0, stop+72(FP)
	RET

	// The block at CX holds a quote or a line feed: its masks apart,
	// quotes in R11, line feeds in R12, delimiters in R9.
stop32:
	MOVO     X0, X3
	PCMPEQB  X2, X3
	PMOVMSKB X3, R11
	MOVO     X4, X5
	PCMPEQB  X2, X5
	PMOVMSKB X5, R10
	SHLL     $16, R10
	ORL      R10, R11
	MOVO     X0, X7
	PCMPEQB  X6, X7
	PMOVMSKB X7, R12
	MOVO     X4, X8
	PCMPEQB  X6, X8
	PMOVMSKB X8, R10
	SHLL     $16, R10
	ORL      R10, R12
	PCMPEQB  X1, X0
	PCMPEQB  X1, X4
	PMOVMSKB X0, R9
	PMOVMSKB X4, R10
	SHLL     $16, R10
	ORL      R10, R9
	JMP      stopmasks

stop16:
	MOVO     X0, X3
	PCMPEQB  X2, X3
	PMOVMSKB X3, R11
	MOVO     X0, X7
	PCMPEQB  X6, X7
	PMOVMSKB X7, R12
	PCMPEQB  X1, X0
	PMOVMSKB X0, R9

	// A line feed with no quote before it ends the line: the delimiters
	// before it are the line's last, and done is where it is (stop 2).
	// A quote first leaves the block as it is (stop 1).
stopmasks:
	TESTL R12, R12
	JZ    quote
	MOVL  R12, R13
	DECL  R13
	MOVL  R12, AX
	NOTL  AX
	ANDL  AX, R13 // the bytes before the first line feed
	TESTL R13, R11
	JNZ   quote
	ANDL  R13, R9
	JZ    linefeed

lfbits:
	BSFL R9, R10
	ADDL CX, R10
	MOVL R10, (DI)(DX*4)
	INCQ DX
	LEAL -1(R9), R10
	ANDL R10, R9
	JNZ  lfbits

linefeed:
	BSFL R12, R10
	ADDQ R10, CX
	MOVQ DX, n+56(FP)
	MOVQ CX, done+64(FP)
	MOVQ $2, stop+72(FP)
	RET

quote:
	MOVQ DX, n+56(FP)
	MOVQ CX, done+64(FP)
	MOVQ $1, stop+72(FP)
	RET
