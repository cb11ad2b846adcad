#include "textflag.h"

// CHUNK classes the 32 bytes from SI+at by the nibble tables (Y14 the low
// nibbles', Y15 the high ones'; Y13 0x0f in every byte): AX gets a bit
// for each mark, a byte whose class has bit 7, and BX one for each odd
// byte, whose class has another (Y12 0x7f in every byte, Y11 zero).
#define CHUNK(at) \
	VMOVDQU   (SI)(at*1), Y0; \
	VPSRLW    $4, Y0, Y1;     \
	VPAND     Y13, Y0, Y0;    \
	VPAND     Y13, Y1, Y1;    \
	VPSHUFB   Y0, Y14, Y0;    \
	VPSHUFB   Y1, Y15, Y1;    \
	VPAND     Y1, Y0, Y0;     \
	VPMOVMSKB Y0, AX;         \
	VPAND     Y12, Y0, Y0;    \
	VPCMPEQB  Y11, Y0, Y0;    \
	VPMOVMSKB Y0, BX;         \
	NOTL      BX

// func classifyAVX2(s string, t *classTable) (marks0, marks1, odd0, odd1 uint64)
//
// The masks of s, 32 to 128 bytes long, a chunk of 32 bytes at a time:
// the bits of the bytes from R13 on go to bit R13 of the masks. The last
// chunk ends where s ends, its bits of bytes seen before shifted out.
TEXT ·classifyAVX2(SB), NOSPLIT, $0-56
	MOVQ s_base+0(FP), SI
	MOVQ s_len+8(FP), DX
	MOVQ t+16(FP), DI

	VMOVDQU 0(DI), Y14
	VMOVDQU 32(DI), Y15
	MOVL         $0x0f0f0f0f, AX
	MOVQ         AX, X13
	VPBROADCASTD X13, Y13
	MOVL         $0x7f7f7f7f, AX
	MOVQ         AX, X12
	VPBROADCASTD X12, Y12
	VPXOR        Y11, Y11, Y11

	XORQ R8, R8   // marks0
	XORQ R9, R9   // marks1
	XORQ R10, R10 // odd0
	XORQ R11, R11 // odd1
	XORQ R13, R13 // the bit of the chunk's first byte not seen before

chunk:
	// R12: where the chunk starts, R13 or, for the last, len(s)-32.
	LEAQ    -32(DX), R12
	CMPQ    R13, R12
	CMOVQLT R13, R12
	CHUNK(R12)
	MOVQ    R13, CX
	SUBQ    R12, CX
	SHRQ    CX, AX
	SHRQ    CX, BX
	MOVQ    R13, CX
	SHLQ    CX, AX
	SHLQ    CX, BX
	CMPQ    R13, $64
	JAE     high
	ORQ     AX, R8
	ORQ     BX, R10
	JMP     next

high:
	ORQ AX, R9
	ORQ BX, R11

next:
	ADDQ $32, R13
	CMPQ R13, DX
	JB   chunk

	VZEROUPPER
	MOVQ R8, marks0+24(FP)
	MOVQ R9, marks1+32(FP)
	MOVQ R10, odd0+40(FP)
	MOVQ R11, odd1+48(FP)
	RET
