#include "go_asm.h"
#include "textflag.h"

// BLOCK sets a bit of DX for each '\n' (Y1) among the 64 bytes from
// SI+at.
#define BLOCK(at) \
	VPCMPEQB  (SI)(at*1), Y1, Y2;   \
	VPCMPEQB  32(SI)(at*1), Y1, Y3; \
	VPMOVMSKB Y2, DX;               \
	VPMOVMSKB Y3, R11;              \
	SHLQ      $32, R11;             \
	ORQ       R11, DX

// func lineEndsAVX2(b []byte, from int, ends *[lineEndsLen]int)
//
// The '\n's of b from b[from] on, a block of 64 bytes at a time, each
// block's found by its mask's lowest bit until none is left. The bytes
// after the last whole block are read as the last 64 bytes of b, those
// seen before dropped from the mask: b is at least 64 bytes long.
TEXT ·lineEndsAVX2(SB), NOSPLIT, $0-40
	MOVQ b_base+0(FP), SI
	MOVQ b_len+8(FP), BX
	MOVQ from+24(FP), CX
	MOVQ ends+32(FP), DI

	// '\n' in every byte of Y1.
	MOVQ         $0x0a, AX
	MOVQ         AX, X1
	VPBROADCASTB X1, Y1

	XORQ R8, R8   // ends stored
	LEAQ 1(CX), R9 // a '\n' at or before R9 may end an empty line

block:
	// CX: where the block starts, R10: where the next does.
	CMPQ R8, $const_lineEndsStop
	JAE  more
	LEAQ 64(CX), R10
	CMPQ R10, BX
	JA   tail
	BLOCK(CX)
	JZ   next

bits:
	BSFQ  DX, AX
	ADDQ  CX, AX
	MOVQ  AX, (DI)(R8*8)
	INCQ  R8
	CMPQ  AX, R9
	JLE   more
	LEAQ  2(AX), R9
	BLSRQ DX, DX
	JNZ   bits

next:
	MOVQ R10, CX
	JMP  block

tail:
	// Fewer than 64 bytes left: the last 64 of b, those before CX
	// shifted out of the mask, and then no more blocks.
	CMPQ  CX, BX
	JAE   nomore
	LEAQ  -64(BX), R10
	BLOCK(R10)
	SUBQ  R10, CX
	SHRQ  CX, DX
	ADDQ  R10, CX
	MOVQ  BX, R10
	TESTQ DX, DX
	JNZ   bits

nomore:
	MOVQ $const_noMoreEnds, (DI)(R8*8)
	VZEROUPPER
	RET

more:
	MOVQ $const_moreEnds, (DI)(R8*8)
	VZEROUPPER
	RET
