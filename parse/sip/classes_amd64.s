#include "textflag.h"

// CLASS classes the 32 bytes from SI+at by the nibble tables (Y8 the low
// nibbles', Y9 the high ones'; Y10 0x0f in every byte) into Y0.
#define CLASS(at) \
	VMOVDQU (SI)(at*1), Y0; \
	VPSRLW  $4, Y0, Y1;     \
	VPAND   Y10, Y0, Y0;    \
	VPAND   Y10, Y1, Y1;    \
	VPSHUFB Y0, Y8, Y0;     \
	VPSHUFB Y1, Y9, Y1;     \
	VPAND   Y1, Y0, Y0

// SETUP loads the tables of the classTable at DI for CLASS.
#define SETUP \
	VMOVDQU      0(DI), Y8;        \
	VMOVDQU      32(DI), Y9;       \
	MOVL         $0x0f0f0f0f, AX;  \
	MOVQ         AX, X10;          \
	VPBROADCASTD X10, Y10

// func classifyAVX2(s string, t *classTable) (marks0, marks1, odd0, odd1 uint64)
//
// The masks of s, 32 to 128 bytes long, a chunk of 32 bytes at a time:
// the bits of the bytes from R13 on go to bit R13 of the masks. The last
// chunk ends where s ends, its bits of bytes seen before shifted out. A
// mark has bit 7 of its class, which VPMOVMSKB takes; an odd byte another
// (Y12 0x7f in every byte, Y11 zero).
TEXT ·classifyAVX2(SB), NOSPLIT, $0-56
	MOVQ s_base+0(FP), SI
	MOVQ s_len+8(FP), DX
	MOVQ t+16(FP), DI

	SETUP
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
	LEAQ      -32(DX), R12
	CMPQ      R13, R12
	CMOVQLT   R13, R12
	CLASS(R12)
	VPMOVMSKB Y0, AX
	VPAND     Y12, Y0, Y0
	VPCMPEQB  Y11, Y0, Y0
	VPMOVMSKB Y0, BX
	NOTL      BX
	MOVQ      R13, CX
	SUBQ      R12, CX
	SHRQ      CX, AX
	SHRQ      CX, BX
	MOVQ      R13, CX
	SHLQ      CX, AX
	SHLQ      CX, BX
	CMPQ      R13, $64
	JAE       high
	ORQ       AX, R8
	ORQ       BX, R10
	JMP       next

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

// BIT stores at off(R8) the mask of the bytes whose class has the top
// bit: the first chunk's (Y2) in the low half, the last one's (Y3) in
// the high half, less the CX bytes it shares with the first. It then
// moves the next bit of each class byte to the top.
#define BIT(off) \
	VPMOVMSKB Y2, AX;      \
	VPMOVMSKB Y3, BX;      \
	SHRQ      CX, BX;      \
	SHLQ      $32, BX;     \
	ORQ       BX, AX;      \
	MOVQ      AX, off(R8); \
	VPADDB    Y2, Y2, Y2;  \
	VPADDB    Y3, Y3, Y3

// func classBitsAVX2(s string, t *classTable, bits *[8]uint64)
//
// The masks of s, 32 to 64 bytes long, by each bit of the classes: two
// chunks, the first 32 bytes and the last 32, which may overlap.
TEXT ·classBitsAVX2(SB), NOSPLIT, $0-32
	MOVQ s_base+0(FP), SI
	MOVQ s_len+8(FP), DX
	MOVQ t+16(FP), DI
	MOVQ bits+24(FP), R8

	SETUP
	XORQ  R9, R9
	CLASS(R9)
	VMOVDQA Y0, Y2
	LEAQ  -32(DX), R9
	CLASS(R9)
	VMOVDQA Y0, Y3
	MOVQ  $64, CX
	SUBQ  DX, CX

	BIT(56)
	BIT(48)
	BIT(40)
	BIT(32)
	BIT(24)
	BIT(16)
	BIT(8)
	BIT(0)

	VZEROUPPER
	RET
