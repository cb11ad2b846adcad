package spill

import (
	"encoding/binary"
	"errors"
	"math/bits"
	"net/netip"
	"strings"
)

// ErrShort is a record cut short: the file does not hold what was written.
var ErrShort = errors.New("record cut short")

// Helpers for codecs: varints and length-prefixed strings and addresses.

// AppendInt appends v as a zigzag varint.
func AppendInt(dst []byte, v int64) []byte { return binary.AppendVarint(dst, v) }

// AppendUint appends v as a varint.
func AppendUint(dst []byte, v uint64) []byte { return binary.AppendUvarint(dst, v) }

// AppendString appends s with its length before it.
func AppendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// Address kinds, the byte before an address's bytes.
const (
	addrNone = iota
	addr4
	addr6
	addrOther // zoned, 4-in-6: netip's own encoding
)

// AppendAddrPort appends a, zone included.
func AppendAddrPort(dst []byte, a netip.AddrPort) []byte {
	ip := a.Addr()
	switch {
	case !ip.IsValid():
		return append(dst, addrNone)
	case ip.Is4():
		b := ip.As4()
		dst = append(dst, addr4)
		dst = append(dst, b[:]...)
	case ip.Zone() == "" && !ip.Is4In6():
		b := ip.As16()
		dst = append(dst, addr6)
		dst = append(dst, b[:]...)
	default:
		b, _ := a.MarshalBinary()
		dst = append(dst, addrOther)
		dst = binary.AppendUvarint(dst, uint64(len(b)))
		return append(dst, b...)
	}
	return binary.LittleEndian.AppendUint16(dst, a.Port())
}

// Reader takes apart what the Append helpers wrote; the first failure
// sticks and every later read returns zero.
type Reader struct {
	src []byte
	n   int
	Err error
}

// NewReader reads src.
func NewReader(src []byte) Reader { return Reader{src: src} }

// Consumed is how many bytes have been read.
func (r *Reader) Consumed() int { return r.n }

func (r *Reader) fail() { r.Err, r.src = ErrShort, nil }

// Uvarint is binary.Uvarint, the same values and lengths for every input,
// a varint of up to eight bytes read without a loop: one load, its end
// found by the first byte without the continuation bit, and its 7-bit
// groups joined by three shifts. The report's passes decode a varint for
// every number of every attempt's head (times, packets, lines, counts of
// three to six bytes), and the loop was 4% of a signalling run's
// instructions.
func Uvarint(b []byte) (uint64, int) {
	if len(b) < 8 {
		return binary.Uvarint(b)
	}
	w := binary.LittleEndian.Uint64(b)
	stops := ^w & 0x8080808080808080
	if stops == 0 {
		// Nine bytes or more, or not a varint.
		return binary.Uvarint(b)
	}
	k := bits.TrailingZeros64(stops)/8 + 1
	if k < 8 {
		w &= 1<<(8*k) - 1
	}
	w &= 0x7f7f7f7f7f7f7f7f
	w = w&0x007f007f007f007f | (w&0x7f007f007f007f00)>>1
	w = w&0x00003fff00003fff | (w&0x3fff00003fff0000)>>2
	w = w&0x000000000fffffff | (w&0x0fffffff00000000)>>4
	return w, k
}

// Varint is binary.Varint, as Uvarint is binary.Uvarint.
func Varint(b []byte) (int64, int) {
	u, k := Uvarint(b)
	return int64(u>>1) ^ -int64(u&1), k
}

// Int reads an AppendInt.
func (r *Reader) Int() int64 {
	v, k := Varint(r.src)
	if k <= 0 {
		r.fail()
		return 0
	}
	r.src, r.n = r.src[k:], r.n+k
	return v
}

// Uint reads an AppendUint.
func (r *Reader) Uint() uint64 {
	v, k := Uvarint(r.src)
	if k <= 0 {
		r.fail()
		return 0
	}
	r.src, r.n = r.src[k:], r.n+k
	return v
}

// Bytes reads a length-prefixed field; the bytes are src's.
func (r *Reader) Bytes() []byte {
	n := r.Uint()
	if r.Err != nil || n > uint64(len(r.src)) {
		r.fail()
		return nil
	}
	b := r.src[:n]
	r.src, r.n = r.src[n:], r.n+int(n)
	return b
}

// String reads an AppendString into the arena.
func (r *Reader) String(a *Arena) string { return a.String(r.Bytes()) }

// AddrPort reads an AppendAddrPort.
func (r *Reader) AddrPort() netip.AddrPort {
	if r.Err != nil {
		return netip.AddrPort{}
	}
	a, n, ok := ReadAddrPort(r.src)
	if !ok {
		r.fail()
		return netip.AddrPort{}
	}
	r.src, r.n = r.src[n:], r.n+n
	return a
}

// ReadAddrPort4 reads an AppendAddrPort of an IPv4 address at the start
// of src, false when src does not start with one: most addresses are,
// and this reads them inline, where ReadAddrPort takes a call.
func ReadAddrPort4(src []byte) (netip.AddrPort, bool) {
	if len(src) < 7 || src[0] != addr4 {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte(src[1:5])), binary.LittleEndian.Uint16(src[5:7])), true
}

// ReadAddrPort reads an AppendAddrPort at the start of src: the address,
// how many bytes it took, and false if they are not one.
func ReadAddrPort(src []byte) (netip.AddrPort, int, bool) {
	if len(src) == 0 {
		return netip.AddrPort{}, 0, false
	}
	switch src[0] {
	case addrNone:
		return netip.AddrPort{}, 1, true
	case addr4:
		if len(src) >= 7 {
			return netip.AddrPortFrom(netip.AddrFrom4([4]byte(src[1:5])), binary.LittleEndian.Uint16(src[5:])), 7, true
		}
	case addr6:
		if len(src) >= 19 {
			return netip.AddrPortFrom(netip.AddrFrom16([16]byte(src[1:17])), binary.LittleEndian.Uint16(src[17:])), 19, true
		}
	case addrOther:
		n, k := binary.Uvarint(src[1:])
		if k <= 0 || n > uint64(len(src)-1-k) {
			return netip.AddrPort{}, 0, false
		}
		var a netip.AddrPort
		if a.UnmarshalBinary(src[1+k:1+k+int(n)]) != nil {
			return netip.AddrPort{}, 0, false
		}
		return a, 1 + k + int(n), true
	}
	return netip.AddrPort{}, 0, false
}

// Fixed reads n bytes as they are; nil if there are not that many.
func (r *Reader) Fixed(n int) []byte {
	if r.Err != nil || n > len(r.src) {
		r.fail()
		return nil
	}
	b := r.src[:n]
	r.src, r.n = r.src[n:], r.n+n
	return b
}

// Words numbers the strings a log repeats in record after record (status
// codes, reason phrases, labels): a record holds the number, and reading
// it back shares one copy. Past max distinct strings, the others are
// written out whole.
type Words struct {
	ids   map[string]uint64
	table []string
	max   int
	// recent holds strings numbered lately, each in the slot its length
	// and three of its bytes choose: a record's fields (a status, then a
	// reason phrase, a label, a thread name) take turns, so that the last
	// string numbered was rarely the next, and comparing a few bytes is
	// cheaper than hashing them for the map. The strings are the table's
	// own copies, which hold nothing else alive.
	recent [64]recentWord
}

type recentWord struct {
	s  string
	id uint64 // 0: empty slot
}

// NewWords makes a table of at most max strings.
func NewWords(max int) *Words { return &Words{ids: map[string]uint64{}, max: max} }

func recentSlot(s string) int {
	n := len(s)
	if n == 0 {
		return 0
	}
	return (n*7 ^ int(s[0]) ^ int(s[n/2])<<1 ^ int(s[n-1])<<3) & 63
}

// Append appends s: its number from 1, or 0 and s itself.
func (w *Words) Append(dst []byte, s string) []byte {
	if id := w.Number(s); id != 0 {
		return binary.AppendUvarint(dst, id)
	}
	dst = append(dst, 0)
	return AppendString(dst, s)
}

// Number is s's number from 1 (At gives it back), numbering s if need be;
// 0 when max strings are numbered and s is not one: write s itself then.
func (w *Words) Number(s string) uint64 {
	r := &w.recent[recentSlot(s)]
	if r.id != 0 && r.s == s {
		return r.id
	}
	id, ok := w.ids[s]
	if !ok && len(w.table) < w.max {
		s = strings.Clone(s)
		w.table = append(w.table, s)
		id = uint64(len(w.table))
		w.ids[s] = id
		ok = true
	}
	if !ok {
		return 0
	}
	r.s, r.id = w.table[id-1], id
	return id
}

// Skip reads past a length-prefixed field.
func (r *Reader) Skip() { r.Bytes() }

// SkipWord reads past what Words.Append wrote, failing where Word would.
func (r *Reader) SkipWord(w *Words) {
	switch id := r.Uint(); {
	case id == 0:
		r.Bytes()
	case id > uint64(len(w.table)):
		r.fail()
	}
}

// At is the string numbered id (from 1), false for a number Append has
// not given: for a codec that reads numbers its own way.
func (w *Words) At(id uint64) (string, bool) {
	if id == 0 || id > uint64(len(w.table)) {
		return "", false
	}
	return w.table[id-1], true
}

// Word reads what Words.Append wrote.
func (r *Reader) Word(w *Words, a *Arena) string {
	id := r.Uint()
	if id == 0 {
		return r.String(a)
	}
	if id > uint64(len(w.table)) {
		r.fail()
		return ""
	}
	return w.table[id-1]
}
