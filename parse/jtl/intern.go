package jtl

import (
	"encoding/binary"
	"hash/maphash"
	"math/bits"
	"unsafe"
)

// interner shares one string among the rows that repeat it. A JTL repeats
// a few dozen labels, thread names, codes and messages millions of times;
// allocating each anew was the largest cost of reading one after parsing.
// Sharing also lets correlation memoise per value (it keys on the
// strings' addresses).
//
// It stops growing at limit entries so that a column of unique values (a
// URL with a query string, a Call-ID) costs no memory beyond its rows';
// such a column, once the table is full and nearly every lookup misses,
// is no longer looked up at all (bypass).
//
// The values live in its own open-addressed table rather than a Go map
// behind a direct-mapped cache, which it had been. With a column of a few
// thousand values (URLs with an id in the query) the cache missed on a
// quarter of the rows, the map's lookup then cost some 70 ns once its
// groups were out of the CPU cache, and a hit still loaded the cache's
// string header and then the bytes it points to: two or three cache
// misses a row where the table costs one. Its entries are 8 bytes (a
// hash tag, the length and where the bytes are), in a table that stays
// warm, and the bytes are packed in chunks of their own, next to each
// other, never written again once handed out.
type interner struct {
	limit  int
	hits   int
	misses int
	bypass bool

	// tab is open-addressed with linear probing, at most half full. An
	// entry is 0 when empty, else tag<<48 | length<<32 | ref, where tag is
	// the top 16 bits of the value's hash (never 0: see tagOf), length is
	// saturated at maxLen, and ref is chunk<<chunkBits | offset for a value
	// in the arena, or longRef | index into long otherwise.
	tab  []uint64
	n    int
	seed maphash.Seed
	// chunks hold the values' bytes, packed; chunk is the last one, as
	// far as it is filled (chunks has each at full length).
	chunks [][]byte
	chunk  []byte
	// long holds the values kept as strings of their own: longer than
	// arenaMax, or given as strings (str).
	long []string

	// recent holds values handed out lately, by quickHash: a column's
	// few values (labels, codes, messages, URLs) are found there with the
	// words quickHash loads anyway, without the table's hash, its probe or
	// a call to compare bytes up to 16 of them. It replaced a check of
	// the last value alone, which missed on half the rows of a column
	// with two values in turn.
	recent [recentSize]recentEntry

	// text is where the values of a column of unique values are copied
	// to, many to an allocation: a Call-ID per row was the reader's last
	// allocation per row. A column's values are kept as long as one of
	// them is (correlation keeps every Call-ID anyway), which is why each
	// column has its own.
	text []byte
}

const (
	chunkBits = 16
	chunkSize = 1 << chunkBits
	// arenaMax is the longest value copied into the arena; longer ones
	// (a stack trace in a message) get an allocation of their own.
	arenaMax = 512
	maxLen   = 1<<16 - 1
	longRef  = 1 << 31
	minTab   = 1 << 8
)

const (
	recentBits = 5
	recentSize = 1 << recentBits
)

// recentEntry is a value with the words of it that quickHash reads.
type recentEntry struct {
	head, tail uint64
	s          string
}

// unique returns b as a string that shares an allocation with its
// column's other unique values. The bytes are never written again.
func (in *interner) unique(b []byte) string {
	const chunk = 16 << 10
	if len(b) > chunk/16 {
		return string(b)
	}
	if cap(in.text)-len(in.text) < len(b) {
		in.text = make([]byte, 0, chunk)
	}
	n := len(in.text)
	in.text = append(in.text, b...)
	return unsafe.String(&in.text[n], len(b))
}

func newInterner(limit int) *interner {
	return &interner{limit: limit, tab: make([]uint64, minTab), seed: maphash.MakeSeed()}
}

// quickHash mixes the length and the first and last eight bytes of b: the
// parts where a column's values differ (thread numbers, status codes,
// transports at the end of a URL). Collisions only cost a map lookup.
func quickHash(b []byte) uint64 {
	head, tail := ends8(b)
	return mixEnds(head, tail, len(b))
}

// ends8 is the first and last eight bytes of b, little-endian; up to
// seven bytes are all in head, and tail is 0. Up to 16 bytes, the length
// and these two words are the whole value.
func ends8(b []byte) (head, tail uint64) {
	if n := len(b); n >= 8 {
		head = binary.LittleEndian.Uint64(b)
		tail = binary.LittleEndian.Uint64(b[n-8:])
	} else {
		for i, c := range b {
			head |= uint64(c) << (8 * i)
		}
	}
	return head, tail
}

// mixEnds is quickHash of a value from its length and ends8.
func mixEnds(head, tail uint64, n int) uint64 {
	h := (head*0x9e3779b97f4a7c15 ^ bits.RotateLeft64(tail*0xc2b2ae3d27d4eb4f, 31)) + uint64(n)
	return h * 0x165667b19e3779f9 // the top bits are the well mixed ones
}

// hash is the table's hash of b. Up to 16 bytes, quickHash sees every
// byte; past that its blind middle would let values that differ only
// there (an id inside a path) pile up in one run of the table, so the
// whole value is hashed.
func (in *interner) hash(b []byte) uint64 {
	if len(b) <= 16 {
		return quickHash(b)
	}
	return maphash.Bytes(in.seed, b)
}

// tagOf is the tag stored for hash h: its top bits, never 0 so that an
// entry is never 0.
func tagOf(h uint64) uint64 { return h>>48 | 1 }

// value is the string an entry stands for.
func (in *interner) value(e uint64) string {
	ref := uint32(e)
	if ref&longRef != 0 {
		return in.long[ref&^longRef]
	}
	c := in.chunks[ref>>chunkBits]
	return unsafe.String(&c[ref&(chunkSize-1)], int(e>>32&maxLen))
}

// find returns the index of b's entry, or of the empty entry where it
// would go, and whether it is there.
func (in *interner) find(b []byte, h uint64) (int, bool) {
	want := tagOf(h)<<16 | uint64(min(len(b), maxLen))
	mask := len(in.tab) - 1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		e := in.tab[i]
		if e == 0 {
			return i, false
		}
		if e>>32 == want && in.value(e) == string(b) {
			return i, true
		}
	}
}

// add stores a new value at tab[i] (from find), as a copy of b in the
// arena or, when s is not empty, as s itself.
func (in *interner) add(i int, b []byte, h uint64, s string) string {
	var ref uint64
	switch {
	case s != "" || len(b) > arenaMax:
		if s == "" {
			s = string(b)
		}
		ref = longRef | uint64(len(in.long))
		in.long = append(in.long, s)
	default:
		if cap(in.chunk)-len(in.chunk) < len(b) {
			in.chunk = make([]byte, 0, chunkSize)
			in.chunks = append(in.chunks, in.chunk[:chunkSize])
		}
		off := len(in.chunk)
		in.chunk = append(in.chunk, b...)
		ref = uint64(len(in.chunks)-1)<<chunkBits | uint64(off)
		s = unsafe.String(&in.chunk[off], len(b))
	}
	in.tab[i] = tagOf(h)<<48 | uint64(min(len(b), maxLen))<<32 | ref
	in.n++
	if 2*in.n > len(in.tab) {
		in.rehash()
	}
	return s
}

// rehash doubles the table.
func (in *interner) rehash() {
	old := in.tab
	in.tab = make([]uint64, 2*len(old))
	mask := len(in.tab) - 1
	for _, e := range old {
		if e == 0 {
			continue
		}
		v := in.value(e)
		h := in.hash(unsafe.Slice(unsafe.StringData(v), len(v)))
		i := int(h) & mask
		for in.tab[i] != 0 {
			i = (i + 1) & mask
		}
		in.tab[i] = e
	}
}

func (in *interner) get(b []byte) string {
	n := len(b)
	if n == 0 {
		return ""
	}
	// A bypassed column's values are all of a length (Call-IDs, trace
	// IDs) and unique: looking in recent would be a call to memequal per
	// row for nothing.
	if in.bypass {
		return in.unique(b)
	}
	head, tail := ends8(b)
	q := mixEnds(head, tail, n)
	c := &in.recent[q>>(64-recentBits)]
	if len(c.s) == n && c.head == head && c.tail == tail && (n <= 16 || c.s == string(b)) {
		// Counted: a column whose values repeat must not look like one
		// of unique values once its repeats are found here.
		in.hits++
		return c.s
	}
	s := in.lookup(b, q)
	c.head, c.tail, c.s = head, tail, s
	return s
}

// lookup is get past recent; q is quickHash(b).
func (in *interner) lookup(b []byte, q uint64) string {
	h := q
	if len(b) > 16 {
		h = in.hash(b)
	}
	i, ok := in.find(b, h)
	if ok {
		in.hits++
		return in.value(in.tab[i])
	}
	in.misses++
	if in.n < in.limit {
		return in.add(i, b, h, "")
	}
	if in.misses > 4*in.hits {
		in.bypass = true
		return in.unique(b)
	}
	return string(b)
}

// str is get for a value that is a string already: kept as it is when
// new.
func (in *interner) str(v string) string {
	if v == "" {
		return ""
	}
	b := unsafe.Slice(unsafe.StringData(v), len(v))
	h := in.hash(b)
	i, ok := in.find(b, h)
	if ok {
		return in.value(in.tab[i])
	}
	if in.n < in.limit {
		in.add(i, b, h, v)
	}
	return v
}

// runMemo remembers the values of a run of columns that lie side by side
// in stock rows (label, responseCode and responseMessage) by the run's
// bytes: a test's rows repeat a few dozen such runs, and finding the run
// in recent costs one hash and one compare of bytes, where its columns'
// interners cost one each, three in all. A miss interns the
// columns as before, so the values, and the interners' own, are theirs.
type runMemo struct {
	// recent is direct-mapped, and larger than the interners': two of a
	// few dozen runs in one entry would each push the other out.
	recent [1 << runBits]runEntry
	// text holds the runs in recent, copied: a row's bytes are the
	// reader's buffer's.
	text   []byte
	misses int64
}

// runEntry is a run with its hash (runHash) and its columns' values.
type runEntry struct {
	hash uint64
	run  string
	vals [3]string
}

const runBits = 8

// keep makes e the entry of run, whose hash is h and whose columns'
// values are vals, on the miss of a look-up; rows is how many rows were
// read. A memo that misses on most rows (a column of unique messages)
// keeps no more runs while it does: their copies would cost more than
// the look-ups they save.
func (m *runMemo) keep(e *runEntry, run []byte, h uint64, vals [3]string, rows int64) {
	m.misses++
	if m.misses > 1<<12 && 2*m.misses > rows {
		return
	}
	if cap(m.text)-len(m.text) < len(run) {
		m.text = make([]byte, 0, 16<<10)
	}
	k := len(m.text)
	m.text = append(m.text, run...)
	*e = runEntry{hash: h, run: unsafe.String(&m.text[k], len(run)), vals: vals}
}
