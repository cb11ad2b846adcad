package correlate

// A JTL alone can hold millions of failures (a spike that refuses 80% of
// 5 M samples), each with a Detail and the SampleRef it shows: 240 bytes
// a failure, half of such a run's memory, for values a report reads once
// (failures.csv, the first failures' table). They are kept instead as a
// 48-byte record with their strings in the JTL book's text store, and
// made when asked for. So are the samples matched to failures seen on
// the wire.

// lazyDetail is a JTL failure's Detail as kept.
type lazyDetail struct {
	start, elapsed, line, all int64
	file                      int32
	shape                     uint32 // its sample's strings: detailStore.shapes
	// sampleOnly: the sample matched to a failure seen on the wire, whose
	// Detail is the wire's, or none.
	sampleOnly bool
}

const lazyChunk = 1 << 14

// detailStore makes the Details of JTL failures on demand.
type detailStore struct {
	text   textStore // the JTL book's, copied: the book itself is let go
	shapes []sampleShape
	chunks [][]lazyDetail
	n      int
}

// Chunks: small ones while the input is small, then large; either way a
// record's place is arithmetic.
const (
	smallChunk  = 256
	smallChunks = lazyChunk / smallChunk // small chunks before the first large one
)

// add keeps a failure's Detail and returns its number (from 1).
func (s *detailStore) add(d lazyDetail) uint32 {
	k := len(s.chunks) - 1
	if k < 0 || len(s.chunks[k]) == cap(s.chunks[k]) {
		size := lazyChunk
		if len(s.chunks) < smallChunks {
			size = smallChunk
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
	var c, o int
	if i < lazyChunk {
		c, o = i/smallChunk, i%smallChunk
	} else {
		c, o = smallChunks+(i-lazyChunk)/lazyChunk, (i-lazyChunk)%lazyChunk
	}
	if i < 0 || c >= len(s.chunks) || o >= len(s.chunks[c]) {
		return nil
	}
	return &s.chunks[c][o]
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
	if ld.sampleOnly {
		return &Detail{RetryAfter: -1, Sample: r}
	}
	return &Detail{RetryAfter: -1, ReasonPhrase: r.Message, Sample: r}
}

// Detail returns a's Detail: the one it holds, or one made now for a
// failure known only from the JTL, or for a failure on the wire that a
// JTL sample matched, with that sample (a new one at each call: keep it
// rather than ask again). nil when the attempt has none.
func (r *Result) Detail(a *Attempt) *Detail {
	// A Detail that holds its sample is whole: a copy made from one of
	// these (a redacted one) keeps to what it holds.
	if a.lazy == 0 || r.details == nil || (a.Detail != nil && a.Detail.Sample != nil) {
		return a.Detail
	}
	d := r.details.make(a.lazy)
	if a.Detail != nil && d != nil {
		c := *a.Detail
		c.Sample = d.Sample
		return &c
	}
	return d
}
