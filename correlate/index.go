package correlate

import (
	"hash/maphash"
	"strings"
)

// The joins look attempts up by Call-ID and by trace ID. A map keyed by
// the IDs themselves keeps a copy of every one for the whole run (80
// bytes a call with the map's own cost: 230 MB on a 10 GB capture); a
// map keyed by a 64-bit hash of each keeps 8, and the attempt itself,
// read back from the log, confirms the ID. The rare ID whose hash an
// earlier different ID has is kept whole, apart.

var idSeed = maphash.MakeSeed()

func idHash(id string) uint64 { return maphash.String(idSeed, id) }

// callIndex finds the last hop-0 SIP attempt with a Call-ID.
type callIndex struct {
	m     map[uint64]int32
	exact map[string]int32
	// idOf reads attempt i's Call-ID.
	idOf func(i int32) string
}

func newCallIndex(idOf func(int32) string) *callIndex {
	return &callIndex{m: map[uint64]int32{}, idOf: idOf}
}

func (x *callIndex) put(id string, i int32) {
	h := idHash(id)
	if j, ok := x.m[h]; ok && x.idOf(j) != id {
		if x.exact == nil {
			x.exact = map[string]int32{}
		}
		x.exact[strings.Clone(id)] = i
		return
	}
	x.m[h] = i
}

func (x *callIndex) get(id string) (int32, bool) {
	if i, ok := x.exact[id]; ok {
		return i, true
	}
	if i, ok := x.m[idHash(id)]; ok && x.idOf(i) == id {
		return i, true
	}
	return 0, false
}

func (x *callIndex) len() int {
	if x == nil {
		return 0
	}
	return len(x.m) + len(x.exact)
}

// traceIndex finds the attempts that carried a trace ID, in the order
// added. Attempts of a different ID that shares the hash are in the same
// list: get leaves them out.
type traceIndex struct {
	m    map[uint64][]int32
	idOf func(i int32) string
}

func newTraceIndex(idOf func(int32) string) *traceIndex {
	return &traceIndex{m: map[uint64][]int32{}, idOf: idOf}
}

func (x *traceIndex) put(id string, i int32) {
	h := idHash(id)
	x.m[h] = append(x.m[h], i)
}

// get appends to dst the attempts that carried id.
func (x *traceIndex) get(dst []int32, id string) []int32 {
	for _, i := range x.m[idHash(id)] {
		if x.idOf(i) == id {
			dst = append(dst, i)
		}
	}
	return dst
}
