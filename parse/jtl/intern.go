package jtl

import (
	"encoding/binary"
	"math/bits"
	"unsafe"
)

// interner shares one string among the rows that repeat it. A JTL repeats
// a few dozen labels, thread names, codes and messages millions of times;
// allocating each anew was the largest cost of reading one after parsing.
// The lookup converts the byte slice without allocating (the compiler
// elides string(b) in a map index).
//
// It stops growing at limit entries so that a column of unique values (a
// URL with a query string, a Call-ID) costs one allocation per row and no
// memory beyond that.
//
// Three shortcuts keep it cheap: the value of the previous row is checked
// first (a column of one value, "text" or "200", costs a compare); then a
// small direct-mapped cache indexed by a hash of the value's ends, which
// answers for the few dozen values a column cycles through in a few
// nanoseconds where the map took some 20 (hashing every byte, probing its
// groups); and a column that turns out to hold mostly unique values stops
// being looked up once the map is full, since every lookup would miss.
type interner struct {
	m      map[string]string
	limit  int
	last   string
	hits   int
	misses int
	bypass bool
	// cache is direct-mapped, indexed by the top bits of quickHash; it
	// starts small and grows with the map (see grow), so that a column
	// of a few thousand values (URLs with an id in the query) is not
	// answered by the map on nearly every row, at some 70 ns a lookup
	// once the map's groups and strings are out of the CPU cache.
	cache []string
	shift uint // 64 - log2(len(cache))
	// text is where the values of a column of unique values are copied
	// to, many to an allocation: a Call-ID per row was the reader's last
	// allocation per row. A column's values are kept as long as one of
	// them is (correlation keeps every Call-ID anyway), which is why each
	// column has its own.
	text []byte
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

const (
	cacheBits    = 8
	maxCacheBits = 13 // 128 KB of string headers
)

func newInterner(limit int) *interner {
	return &interner{m: make(map[string]string), limit: limit,
		cache: make([]string, 1<<cacheBits), shift: 64 - cacheBits}
}

// grow widens the cache to four slots per value held once the map
// outgrows it, up to maxCacheBits. The new cache starts empty; the map
// refills it.
func (in *interner) grow() {
	n := 64 - in.shift
	if n >= maxCacheBits || len(in.m)*4 <= len(in.cache) {
		return
	}
	for n < maxCacheBits && len(in.m)*4 > 1<<n {
		n++
	}
	in.cache = make([]string, 1<<n)
	in.shift = 64 - n
}

// quickHash mixes the length and the first and last eight bytes of b: the
// parts where a column's values differ (thread numbers, status codes,
// transports at the end of a URL). Collisions only cost a map lookup.
func quickHash(b []byte) uint64 {
	var head, tail uint64
	if n := len(b); n >= 8 {
		head = binary.LittleEndian.Uint64(b)
		tail = binary.LittleEndian.Uint64(b[n-8:])
	} else {
		for i, c := range b {
			head |= uint64(c) << (8 * i)
		}
	}
	h := (head*0x9e3779b97f4a7c15 ^ bits.RotateLeft64(tail*0xc2b2ae3d27d4eb4f, 31)) + uint64(len(b))
	return h * 0x165667b19e3779f9 // the top bits are the well mixed ones
}

func (in *interner) get(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if string(b) == in.last {
		return in.last
	}
	if in.bypass {
		return in.unique(b)
	}
	slot := &in.cache[quickHash(b)>>in.shift]
	if string(b) == *slot {
		in.hits++
		in.last = *slot
		return *slot
	}
	if s, ok := in.m[string(b)]; ok {
		in.hits++
		in.last = s
		*slot = s
		return s
	}
	s := string(b)
	in.misses++
	if len(in.m) < in.limit {
		in.m[s] = s
		*slot = s
		in.grow()
	} else if in.misses > 4*in.hits {
		in.bypass = true
		in.cache = nil // bypass never looks at it again
	} else {
		// A value the full map has no room for still repeats within a
		// cache's reach: its next rows share it rather than each
		// allocating its own copy. The cache bounds what this pins.
		*slot = s
	}
	in.last = s
	return s
}

func (in *interner) str(v string) string {
	if v == "" {
		return ""
	}
	if s, ok := in.m[v]; ok {
		return s
	}
	if len(in.m) < in.limit {
		in.m[v] = v
	}
	return v
}
