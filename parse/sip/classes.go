package sip

// The fast paths of the Via and From/To values ask of each byte what
// class it is in: a plain byte, one that ends a piece (';', '=', '>'), or
// one after which the general reading could differ (white space, a
// quote). plainRun and strings.IndexByte ask it of one byte or one byte
// value after another, which costs a few instructions a byte or a call a
// question; classifyAVX2 and classBitsAVX2 ask it of thirty-two bytes at
// once where there is assembly for it, and answer with masks that a loop
// goes through by their set bits.

// classTable tells the assembly the classes of the bytes, as a nibble
// lookup: a byte's class is lo[b&15] & hi[b>>4], eight bits, each of
// which stands for a set of bytes (see set). Each table is written twice,
// once for each lane of a 32-byte register.
type classTable struct {
	lo, hi [32]byte
}

// Where the assembly may run: classifyAVX2 on values from classesMin to
// classesMax bytes long, whose masks are two words, and classBitsAVX2 up
// to classBitsMax, whose masks are one. A value shorter than a chunk is
// read as fast byte by byte.
const (
	classesMin   = 32
	classesMax   = 128
	classBitsMax = 64
)

// set makes bit the class bit of the bytes of s, which must share their
// high nibble: a bit's bytes are those whose low nibble has it in lo and
// whose high nibble has it in hi, so that bytes of two columns would
// bring in the other bytes of both. Each bit is set once.
func (t *classTable) set(bit byte, s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c>>4 != s[0]>>4 {
			panic("sip: class bytes in more than one column: " + s)
		}
		t.lo[c&15] |= bit
		t.lo[16+c&15] |= bit
		t.hi[c>>4] |= bit
		t.hi[16+c>>4] |= bit
	}
}

// below is the mask of the bits under bit n, n at most 64.
func below(n int) uint64 { return uint64(1)<<uint(n) - 1 }
