package correlate

import "sort"

// threadBook keeps JMeter's allThreads per load generator over time.
// allThreads is what one generator's JVM ran when a sample ENDED, so each
// value is filed at its sample's end; the load offered at an instant is
// the sum over generators of what each last said by then.
type threadBook struct {
	hosts   map[string]int
	perHost []map[int64]int32 // JMeter-clock second of a sample's end → the highest allThreads written in it

	// After finish: the seconds seen, and each host's value held from its
	// last report (-1 before its first).
	secs []int64
	hold [][]int32
}

// threadRef is what an attempt remembers to be given its thread count once
// the book is complete: the sample's own value, its host and its end.
type threadRef struct {
	host  int   // -1: no sample; the total at the attempt's time is used
	own   int32 // the sample's allThreads
	endMs int64 // JMeter clock
}

func newThreadBook() *threadBook { return &threadBook{hosts: map[string]int{}} }

func (b *threadBook) observe(host string, endMs int64, all int) threadRef {
	h, ok := b.hosts[host]
	if !ok {
		h = len(b.perHost)
		b.hosts[host] = h
		b.perHost = append(b.perHost, map[int64]int32{})
	}
	sec := floorDiv(endMs, 1000)
	if v, ok := b.perHost[h][sec]; !ok || int32(all) > v {
		b.perHost[h][sec] = int32(all)
	}
	return threadRef{host: h, own: int32(all), endMs: endMs}
}

func (b *threadBook) empty() bool { return len(b.perHost) == 0 }

func (b *threadBook) finish() {
	set := map[int64]bool{}
	for _, m := range b.perHost {
		for s := range m {
			set[s] = true
		}
	}
	b.secs = make([]int64, 0, len(set))
	for s := range set {
		b.secs = append(b.secs, s)
	}
	sort.Slice(b.secs, func(i, j int) bool { return b.secs[i] < b.secs[j] })
	b.hold = make([][]int32, len(b.perHost))
	for h, m := range b.perHost {
		col := make([]int32, len(b.secs))
		last := int32(-1)
		for i, s := range b.secs {
			if v, ok := m[s]; ok {
				last = v
			}
			col[i] = last
		}
		b.hold[h] = col
	}
}

// at sums the hosts at a JMeter-clock instant (ms), leaving out host skip
// (whose own value the caller adds). -1 when no host had reported yet.
func (b *threadBook) at(ms int64, skip int) int32 {
	sec := floorDiv(ms, 1000)
	i := sort.Search(len(b.secs), func(i int) bool { return b.secs[i] > sec }) - 1
	if i < 0 {
		return -1
	}
	total, any := int32(0), false
	for h, col := range b.hold {
		if h == skip || col[i] < 0 {
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
