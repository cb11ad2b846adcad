package correlate

import (
	"errors"

	"github.com/ceiling-dev/ceiling/internal/spill"
)

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

// detailStore makes the Details of JTL failures on demand.
type detailStore struct {
	text   textStore // the JTL book's, copied: the book itself is let go
	shapes []sampleShape
	// recs go to disk beyond a few pages, as the attempts do.
	recs *spill.Log[lazyDetail]
}

func newDetailStore(o SpillOptions) *detailStore {
	return &detailStore{recs: spill.New[lazyDetail](lazyCodec{}, o.log(1<<14, 8))}
}

// add keeps a failure's Detail and returns its number (from 1).
func (s *detailStore) add(d lazyDetail) uint32 {
	s.recs.Settle()
	return uint32(s.recs.Append(d) + 1)
}

// at reads record n; safe from several goroutines (reports).
func (s *detailStore) at(n uint32) (lazyDetail, bool) {
	i := int(n) - 1
	if i < 0 || i >= s.recs.Len() {
		return lazyDetail{}, false
	}
	return s.recs.Get(i), true
}

type lazyCodec struct{}

func (lazyCodec) Encode(b []byte, d *lazyDetail) []byte {
	b = spill.AppendInt(b, d.start)
	b = spill.AppendInt(b, d.elapsed)
	b = spill.AppendInt(b, d.line)
	b = spill.AppendInt(b, d.all)
	b = spill.AppendInt(b, int64(d.file))
	b = spill.AppendUint(b, uint64(d.shape))
	if d.sampleOnly {
		return append(b, 1)
	}
	return append(b, 0)
}

func (lazyCodec) Decode(src []byte, d *lazyDetail, _ *spill.Arena) (int, error) {
	r := spill.NewReader(src)
	d.start, d.elapsed, d.line, d.all = r.Int(), r.Int(), r.Int(), r.Int()
	d.file, d.shape = int32(r.Int()), uint32(r.Uint())
	f := r.Fixed(1)
	d.sampleOnly = f != nil && f[0] == 1
	return r.Consumed(), r.Err
}

// make builds Detail number n afresh.
func (s *detailStore) make(n uint32) *Detail {
	ld, ok := s.at(n)
	if !ok {
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

// Err is the first failure of the temporary files behind the attempts
// and the Details made on demand: what was made from them cannot be
// trusted then.
func (r *Result) Err() error {
	err := r.Attempts.Err()
	if err == nil && r.details != nil && r.details.recs != nil {
		err = r.details.recs.Err()
	}
	return err
}

// Close lets go of the temporary files; the Result is not read after.
func (r *Result) Close() error {
	err := r.Attempts.Close()
	if r.details != nil && r.details.recs != nil {
		err = errors.Join(err, r.details.recs.Close())
	}
	return err
}
