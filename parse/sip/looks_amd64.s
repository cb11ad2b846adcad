#include "textflag.h"

// BLOCK sets a bit of AX for each of the 32 places from SI+at where
// "/2.0" starts: each byte compared with '/' (Y4), the next with '2' (Y5),
// then '.' (Y6) and '0' (Y7), the four masks joined.
#define BLOCK(at) \
	VPCMPEQB  (SI)(at*1), Y4, Y0;  \
	VPCMPEQB  1(SI)(at*1), Y5, Y1; \
	VPAND     Y1, Y0, Y0;          \
	VPCMPEQB  2(SI)(at*1), Y6, Y2; \
	VPCMPEQB  3(SI)(at*1), Y7, Y3; \
	VPAND     Y3, Y2, Y2;          \
	VPAND     Y2, Y0, Y0;          \
	VPMOVMSKB Y0, AX

// func slash20AVX2(b []byte) bool
//
// Whether b, at least 35 bytes, holds "/2.0": thirty-two places at a time
// (BLOCK). The last block ends where b ends and may go over bytes the one
// before it saw: whether the bytes hold it is all that is asked.
TEXT ·slash20AVX2(SB), NOSPLIT, $0-25
	MOVQ b_base+0(FP), SI
	MOVQ b_len+8(FP), BX

	// '/', '2', '.' and '0' in every byte of Y4, Y5, Y6 and Y7.
	MOVQ         $0x2f, AX
	MOVQ         AX, X4
	VPBROADCASTB X4, Y4
	MOVQ         $0x32, AX
	MOVQ         AX, X5
	VPBROADCASTB X5, Y5
	MOVQ         $0x2e, AX
	MOVQ         AX, X6
	VPBROADCASTB X6, Y6
	MOVQ         $0x30, AX
	MOVQ         AX, X7
	VPBROADCASTB X7, Y7

	// BX: where the last block starts, its fourth load ending at b's end.
	SUBQ $35, BX
	JB   no
	XORQ CX, CX

loop:
	CMPQ      CX, BX
	JA        last
	BLOCK(CX)
	TESTL     AX, AX
	JNZ       yes
	ADDQ      $32, CX
	JMP       loop

last:
	// Places left past the blocks (CX < BX+32): one more block, at BX.
	LEAQ      32(BX), DX
	CMPQ      CX, DX
	JAE       no
	BLOCK(BX)
	TESTL     AX, AX
	JNZ       yes

no:
	VZEROUPPER
	MOVB $0, ret+24(FP)
	RET

yes:
	VZEROUPPER
	MOVB $1, ret+24(FP)
	RET
