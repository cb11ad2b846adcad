package sip

// The fast paths of the Via and From/To values ask of each byte what
// class it is in: a plain byte, one that ends a piece (';', '='), or one
// after which the general reading could differ (white space, a quote).
// plainRun asks it of one byte after another, which costs a few
// instructions a byte; classify asks it of thirty-two bytes at once where
// there is assembly for it, and answers with masks a loop goes through
// by their set bits.

// classTable tells classify the classes of the bytes, as a nibble lookup:
// a byte's class is lo[b&15] & hi[b>>4]. Bytes whose class has bit 7 set
// are marks, those with any other bit set odd. Each table is written
// twice, once for each lane of a 32-byte register.
type classTable struct {
	lo, hi [32]byte
}

// Where classify may run: on values from classesMin to classesMax bytes
// long. Its masks are two words, and the bytes of a value shorter than a
// block are read by plainRun as fast.
const (
	classesMin = 32
	classesMax = 128
)

// newClassTable makes the table whose marks are the bytes of marks and
// whose odd bytes are those of odd. The bytes of a class that share
// their high nibble take one bit of the class, those of a mark all bit
// 7: the marks must share theirs, and the odd bytes may have at most
// seven.
func newClassTable(marks, odd string) (t classTable) {
	set := func(s string, bits func(hi byte) byte) {
		for i := 0; i < len(s); i++ {
			c := s[i]
			b := bits(c >> 4)
			t.lo[c&15] |= b
			t.lo[16+c&15] |= b
			t.hi[c>>4] |= b
			t.hi[16+c>>4] |= b
		}
	}
	if marks != "" {
		for i := 1; i < len(marks); i++ {
			if marks[i]>>4 != marks[0]>>4 {
				panic("sip: marks of a class table in more than one column: " + marks)
			}
		}
		set(marks, func(byte) byte { return 0x80 })
	}
	// The bit of each high nibble of the odd bytes, in order of first use.
	var bitOf [16]byte
	next := byte(1)
	set(odd, func(hi byte) byte {
		if bitOf[hi] == 0 {
			if next == 0x80 {
				panic("sip: odd bytes of a class table in more than seven columns: " + odd)
			}
			bitOf[hi], next = next, next<<1
		}
		return bitOf[hi]
	})
	return t
}
