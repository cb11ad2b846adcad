package correlate

import (
	"math"
	"sort"

	"github.com/ceiling-dev/ceiling/internal/spill"
)

// threadBook keeps JMeter's allThreads per load generator over time.
// allThreads is what one generator's JVM ran when a sample ENDED, so each
// value is filed at its sample's end; the load offered at an instant is
// the sum over generators of what each last said by then.
type threadBook struct {
	hosts   map[string]int32
	perHost []*hostThreads

	// The host of the previous sample: a JTL's rows come from one or a
	// few generators, so this usually spares the map.
	lastHost string
	lastH    int32

	// After finish: the seconds seen, and each host's value held from its
	// last report (-1 before its first).
	secs []int64
	hold [][]int32
	// The last second looked up in secs and its index, for at: attempts
	// are resolved in nearly the order of their ends.
	lastSec int64
	lastIdx int
}

// threadRef is what an attempt remembers to be given its thread count once
// the book is complete: the sample's own value, its host and its end.
type threadRef struct {
	host  int32 // -1: no sample; the total at the attempt's time is used
	own   int32 // the sample's allThreads
	endMs int64 // JMeter clock
}

type threadRefCodec struct{}

func (threadRefCodec) Encode(b []byte, r *threadRef) []byte {
	b = spill.AppendInt(b, int64(r.host))
	b = spill.AppendInt(b, int64(r.own))
	return spill.AppendInt(b, r.endMs)
}

func (threadRefCodec) Decode(src []byte, r *threadRef, _ *spill.Arena) (int, error) {
	rd := spill.NewReader(src)
	r.host, r.own, r.endMs = int32(rd.Int()), int32(rd.Int()), rd.Int()
	return rd.Consumed(), rd.Err
}

// noRef marks a threadRef that refers to no sample at all.
const noRef = -2

func newThreadBook() *threadBook {
	return &threadBook{hosts: map[string]int32{}, lastH: -1, lastIdx: -2}
}

func (b *threadBook) observe(host string, endMs int64, all int) threadRef {
	h := b.lastH
	if h < 0 || host != b.lastHost {
		var ok bool
		h, ok = b.hosts[host]
		if !ok {
			h = int32(len(b.perHost))
			b.hosts[host] = h
			b.perHost = append(b.perHost, &hostThreads{})
		}
		b.lastHost, b.lastH = host, h
	}
	b.perHost[h].note(floorDiv(endMs, 1000), int32(all))
	return threadRef{host: h, own: int32(all), endMs: endMs}
}

// hostThreads is one generator's highest allThreads per second of a
// sample's end. A test's seconds are dense: a slice from the first one
// seen, with a map for the seconds before it or far past it (a damaged
// timestamp) so that a stray value cannot make the slice huge.
type hostThreads struct {
	base  int64
	dense []int64 // per second from base: the value, or unset
	used  int     // seconds set in dense
	far   map[int64]int32
}

const unset = math.MinInt64

func (t *hostThreads) note(sec int64, all int32) {
	if t.dense == nil && t.far == nil {
		t.base = sec
	}
	if sec >= t.base {
		d := uint64(sec) - uint64(t.base)
		if d >= uint64(len(t.dense)) && d < uint64(len(t.dense))+4096 && d < 64*uint64(t.used)+4096 {
			for uint64(len(t.dense)) <= d {
				t.dense = append(t.dense, unset)
			}
		}
		if d < uint64(len(t.dense)) {
			v := t.dense[d]
			if v == unset {
				t.used++
				t.dense[d] = int64(all)
			} else if all > int32(v) {
				t.dense[d] = int64(all)
			}
			return
		}
	}
	if t.far == nil {
		t.far = map[int64]int32{}
	}
	if v, ok := t.far[sec]; !ok || all > v {
		t.far[sec] = all
	}
}

func (t *hostThreads) get(sec int64) (int32, bool) {
	if sec >= t.base {
		if d := uint64(sec) - uint64(t.base); d < uint64(len(t.dense)) {
			if v := t.dense[d]; v != unset {
				return int32(v), true
			}
			return 0, false
		}
	}
	v, ok := t.far[sec]
	return v, ok
}

// each calls f for every second set.
func (t *hostThreads) each(f func(sec int64)) {
	for d, v := range t.dense {
		if v != unset {
			f(t.base + int64(d))
		}
	}
	for s := range t.far {
		f(s)
	}
}

func (b *threadBook) empty() bool { return len(b.perHost) == 0 }

func (b *threadBook) finish() {
	var all []int64
	for _, t := range b.perHost {
		t.each(func(sec int64) { all = append(all, sec) })
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	b.secs = all[:0]
	for i, s := range all {
		if i == 0 || s != all[i-1] {
			b.secs = append(b.secs, s)
		}
	}
	b.hold = make([][]int32, len(b.perHost))
	for h, t := range b.perHost {
		col := make([]int32, len(b.secs))
		last := int32(-1)
		for i, s := range b.secs {
			if v, ok := t.get(s); ok {
				last = v
			}
			col[i] = last
		}
		b.hold[h] = col
	}
	b.lastIdx = -2
}

// at sums the hosts at a JMeter-clock instant (ms), leaving out host skip
// (whose own value the caller adds). -1 when no host had reported yet.
func (b *threadBook) at(ms int64, skip int32) int32 {
	sec := floorDiv(ms, 1000)
	i := b.lastIdx
	if i == -2 || sec != b.lastSec {
		i = sort.Search(len(b.secs), func(i int) bool { return b.secs[i] > sec }) - 1
		b.lastSec, b.lastIdx = sec, i
	}
	if i < 0 {
		return -1
	}
	total, any := int32(0), false
	for h, col := range b.hold {
		if int32(h) == skip || col[i] < 0 {
			continue
		}
		total += col[i]
		any = true
	}
	if !any {
		return -1
	}
	return total
}

// resolve gives an attempt its thread count: its sample's own allThreads
// plus what the other generators ran at that moment.
func (b *threadBook) resolve(r threadRef) int32 {
	if r.host < 0 {
		return b.at(r.endMs, -1)
	}
	others := b.at(r.endMs, r.host)
	if others < 0 {
		others = 0
	}
	return r.own + others
}

// series is the total over time, one point per second, on the JMeter clock
// (ns).
func (b *threadBook) series() []Point {
	out := make([]Point, 0, len(b.secs))
	for i, s := range b.secs {
		total := int32(0)
		for _, col := range b.hold {
			if col[i] > 0 {
				total += col[i]
			}
		}
		out = append(out, Point{Time: s * 1e9, Value: total})
	}
	return out
}
