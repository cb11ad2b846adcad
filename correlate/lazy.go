package correlate

// A JTL alone can hold millions of failures (a spike that refuses 80% of
// 5 M samples), each with a Detail and the SampleRef it shows: 240 bytes
// a failure, half of such a run's memory, for values a report reads once
// (failures.csv, the first failures' table). They are kept instead as a
// 48-byte record with their strings in the JTL book's text store, and
// made when asked for.

// lazyDetail is a JTL failure's Detail as kept.
type lazyDetail struct {
	start, elapsed, line, all int64
	file                      int32
	shape                     uint32 // its sample's strings: detailStore.shapes
}

const lazyChunk = 1 << 14

// detailStore makes the Details of JTL failures on demand.
type detailStore struct {
	text   textStore // the JTL book's, copied: the book itself is let go
	shapes []sampleShape
	chunks [][]lazyDetail
	n      int
}

// add keeps a failure's Detail and returns its number (from 1).
func (s *detailStore) add(d lazyDetail) uint32 {
	k := len(s.chunks) - 1
	if k < 0 || len(s.chunks[k]) == cap(s.chunks[k]) {
		size := lazyChunk
		if s.n < lazyChunk {
			size = 256
		}
		s.chunks = append(s.chunks, make([]lazyDetail, 0, size))
		k++
	}
	s.chunks[k] = append(s.chunks[k], d)
	s.n++
	return uint32(s.n)
}

func (s *detailStore) at(n uint32) *lazyDetail {
	i := int(n - 1)
	// The first chunks may be small: walk them (there are few).
	for _, c := range s.chunks {
		if i < len(c) {
			return &c[i]
		}
		i -= len(c)
	}
	return nil
}

// make builds Detail number n afresh.
func (s *detailStore) make(n uint32) *Detail {
	ld := s.at(n)
	if ld == nil {
		return nil
	}
	t, sh := &s.text, &s.shapes[ld.shape]
	r := &SampleRef{
		Start: ld.start, Elapsed: ld.elapsed,
		Label: t.get(sh.label), Code: t.get(sh.code), Message: t.get(sh.message),
		Thread: t.get(sh.thread), Host: t.get(sh.host),
		AllThreads: int(ld.all), File: int(ld.file), Line: ld.line,
	}
	return &Detail{RetryAfter: -1, ReasonPhrase: r.Message, Sample: r}
}

// Detail returns a's Detail: the one it holds, or for a failure known
// only from the JTL one made now (a new one at each call: keep it rather
// than ask again). nil when the attempt has none.
func (r *Result) Detail(a *Attempt) *Detail {
	if a.Detail != nil || a.lazy == 0 || r.details == nil {
		return a.Detail
	}
	return r.details.make(a.lazy)
}
