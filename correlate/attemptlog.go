package correlate

import (
	"encoding/binary"

	"github.com/ceiling-dev/ceiling/internal/spill"
)

// attemptLog holds a run's attempts, spilling to a temporary file beyond
// a few pages (internal/spill).
type attemptLog = spill.Log[Attempt]

// SpillOptions says where and from what size attempts go to disk.
type SpillOptions struct {
	// Dir holds the temporary files; "" means os.TempDir().
	Dir string
	// Pages is how many pages of 4,096 attempts stay in memory per log
	// (about 0.9 MB each); 0 means 24.
	Pages int
	// PageItems overrides the page size of every log (tests); Pages then
	// applies to each.
	PageItems int
}

func newAttemptLog(o SpillOptions) *attemptLog {
	return spill.New[Attempt](newAttemptCodec(), o.log(4096, 24))
}

// log sizes one of the run's logs: its own page size and count unless
// the options set them (tests set them small, to spill every log).
func (o SpillOptions) log(items, pages int) spill.Options {
	if o.PageItems > 0 {
		items = o.PageItems
	}
	if o.Pages > 0 {
		pages = o.Pages
	}
	return spill.Options{Dir: o.Dir, PageItems: items, Resident: pages}
}

// attemptCodec writes an Attempt, its Detail and the Detail's sample.
// Statuses, reason phrases, labels and the like come from a small set:
// they are numbered (spill.Words), not copied. Details are made in
// blocks, as detailBook does.
type attemptCodec struct {
	words   *spill.Words
	details []Detail
	samples []SampleRef
}

func newAttemptCodec() *attemptCodec { return &attemptCodec{words: spill.NewWords(4096)} }

func (c *attemptCodec) detail() *Detail {
	if len(c.details) == cap(c.details) {
		c.details = make([]Detail, 0, 256)
	}
	c.details = append(c.details, Detail{})
	return &c.details[len(c.details)-1]
}

func (c *attemptCodec) sample() *SampleRef {
	if len(c.samples) == cap(c.samples) {
		c.samples = make([]SampleRef, 0, 256)
	}
	c.samples = append(c.samples, SampleRef{})
	return &c.samples[len(c.samples)-1]
}

const (
	hasDetail = 1 << iota
	hasSample
	headFailed
	headAnswered // Answered is not 0: written as its distance from Time
	headEnded    // likewise Ended
	headMillis   // both distances are whole ms (a JTL's), written in ms
	headLast     // Last is not 0: written in ns from Ended
)

// headFixed is the fixed start of a record: Time, the counts that take
// two to four bytes whatever their encoding (Concurrency, Threads, lazy),
// then the flags and the byte-sized fields. The other numbers follow as
// varints, a byte each mostly, read without a call: the log of a 5 M-sample
// JTL is written once and read whole a few times, its bytes and its
// decoding both count.
const headFixed = 27

func (c *attemptCodec) Encode(b []byte, a *Attempt) []byte {
	flags := byte(0)
	if d := a.Detail; d != nil {
		flags = hasDetail
		if d.Sample != nil {
			flags |= hasSample
		}
	}
	if a.Failed {
		flags |= headFailed
	}
	if a.Answered != 0 {
		flags |= headAnswered
	}
	if a.Ended != 0 {
		flags |= headEnded
	}
	if a.Last != 0 {
		flags |= headLast
	}
	answered, ended := a.Answered-a.Time, a.Ended-a.Time
	if answered%1e6 == 0 && ended%1e6 == 0 {
		flags |= headMillis
		answered, ended = answered/1e6, ended/1e6
	}
	le := binary.LittleEndian
	b = le.AppendUint64(b, uint64(a.Time))
	b = le.AppendUint32(b, uint32(a.Concurrency))
	b = le.AppendUint32(b, uint32(a.Threads))
	b = le.AppendUint32(b, a.lazy)
	b = append(b, flags, byte(a.Layer), a.Hop, byte(a.Outcome), byte(a.Kind), byte(a.Source), byte(a.Match))
	if flags&headAnswered != 0 {
		b = spill.AppendInt(b, answered)
	}
	if flags&headEnded != 0 {
		b = spill.AppendInt(b, ended)
	}
	if flags&headLast != 0 {
		b = spill.AppendInt(b, a.Last-a.Ended)
	}
	b = spill.AppendInt(b, a.Packet)
	b = spill.AppendInt(b, int64(int32(a.File)))
	b = spill.AppendInt(b, int64(a.Retransmits))
	b = c.words.Append(b, a.Status)
	b = spill.AppendString(b, a.CallID)
	b = spill.AppendString(b, a.TraceID)
	b = spill.AppendAddrPort(b, a.Edge)
	b = spill.AppendAddrPort(b, a.Client)
	d := a.Detail
	if d == nil {
		return b
	}
	b = c.words.Append(b, d.ReasonPhrase)
	b = c.words.Append(b, d.ReasonHeader)
	b = spill.AppendInt(b, int64(d.RetryAfter))
	b = c.words.Append(b, d.Warning)
	b = c.words.Append(b, d.Server)
	b = spill.AppendAddrPort(b, d.Relayed)
	b = spill.AppendInt(b, d.FinalPacket)
	if s := d.Sample; s != nil {
		b = spill.AppendInt(b, s.Start)
		b = spill.AppendInt(b, s.Elapsed)
		b = c.words.Append(b, s.Label)
		b = c.words.Append(b, s.Code)
		b = c.words.Append(b, s.Message)
		b = c.words.Append(b, s.Thread)
		b = c.words.Append(b, s.Host)
		b = spill.AppendInt(b, int64(s.AllThreads))
		b = spill.AppendInt(b, int64(s.File))
		b = spill.AppendInt(b, s.Line)
	}
	return b
}

func (c *attemptCodec) Decode(src []byte, a *Attempt, ar *spill.Arena) (int, error) {
	flags, n := decodeFixed(src, a)
	if n == 0 {
		return 0, spill.ErrShort
	}
	r := spill.NewReader(src[n:])
	a.Status = r.Word(c.words, ar)
	a.CallID = r.String(ar)
	a.TraceID = r.String(ar)
	a.Edge = r.AddrPort()
	a.Client = r.AddrPort()
	a.Detail = nil
	if flags&hasDetail != 0 {
		d := c.detail()
		d.ReasonPhrase = r.Word(c.words, ar)
		d.ReasonHeader = r.Word(c.words, ar)
		d.RetryAfter = int(r.Int())
		d.Warning = r.Word(c.words, ar)
		d.Server = r.Word(c.words, ar)
		d.Relayed = r.AddrPort()
		d.FinalPacket = r.Int()
		if flags&hasSample != 0 {
			s := c.sample()
			s.Start = r.Int()
			s.Elapsed = r.Int()
			s.Label = r.Word(c.words, ar)
			s.Code = r.Word(c.words, ar)
			s.Message = r.Word(c.words, ar)
			s.Thread = r.Word(c.words, ar)
			s.Host = r.Word(c.words, ar)
			s.AllThreads = int(r.Int())
			s.File = int(r.Int())
			s.Line = r.Int()
			d.Sample = s
		}
		a.Detail = d
	}
	return n + r.Consumed(), r.Err
}

// DecodeHead reads what Attempts.Heads gives: all but the IDs and the
// Detail, which it reads past. A pass over half a million attempts on
// disk that reads heads makes no strings and no Details.
func (c *attemptCodec) DecodeHead(src []byte, a *Attempt, ar *spill.Arena) (int, error) {
	return c.decodeHead(src, a, ar, false)
}

// DecodeIDs is DecodeHead with the IDs: all but the Detail, for the pass
// that indexes the attempts by their IDs.
func (c *attemptCodec) DecodeIDs(src []byte, a *Attempt, ar *spill.Arena) (int, error) {
	return c.decodeHead(src, a, ar, true)
}

func (c *attemptCodec) decodeHead(src []byte, a *Attempt, ar *spill.Arena, ids bool) (int, error) {
	flags, n := decodeFixed(src, a)
	if n == 0 {
		return 0, spill.ErrShort
	}
	// Read as Decode's spill.Reader reads, failing where it fails, but
	// inline: a pass over millions of heads makes a call per field else.
	d := varints{b: src, n: n}
	a.Status = d.word(c.words, ar)
	if ids {
		a.CallID = d.string(ar)
		a.TraceID = d.string(ar)
	} else {
		d.skip()
		d.skip()
		a.CallID, a.TraceID = "", ""
	}
	a.Detail = nil
	a.Edge = d.addr()
	a.Client = d.addr()
	if flags&hasDetail != 0 {
		d.skipWord(c.words)
		d.skipWord(c.words)
		d.int()
		d.skipWord(c.words)
		d.skipWord(c.words)
		d.addr()
		d.int()
		if flags&hasSample != 0 {
			d.int()
			d.int()
			for range 5 {
				d.skipWord(c.words)
			}
			d.int()
			d.int()
			d.int()
		}
	}
	if d.bad {
		return 0, spill.ErrShort
	}
	return d.n, nil
}

// TrimHead leaves what DecodeHead sets.
func (c *attemptCodec) TrimHead(a *Attempt) { trimHead(a) }

func trimHead(a *Attempt) { a.CallID, a.TraceID, a.Detail = "", "", nil }

// trimIDs leaves what DecodeIDs sets.
func trimIDs(a *Attempt) { a.Detail = nil }

// decodeFixed reads the numbers at the head of a record and returns its
// flags and its length; 0 when the record is cut short.
func decodeFixed(src []byte, a *Attempt) (byte, int) {
	if len(src) < headFixed {
		return 0, 0
	}
	f := src[:headFixed:headFixed]
	le := binary.LittleEndian
	a.Time = int64(le.Uint64(f))
	a.Concurrency, a.Threads, a.lazy = int32(le.Uint32(f[8:])), int32(le.Uint32(f[12:])), le.Uint32(f[16:])
	flags := f[20]
	a.Layer, a.Hop, a.Outcome, a.Kind, a.Source, a.Match = Layer(f[21]), f[22], Outcome(f[23]), FailureKind(f[24]), Source(f[25]), Match(f[26])
	a.Failed = flags&headFailed != 0
	d := varints{b: src, n: headFixed}
	unit := int64(1)
	if flags&headMillis != 0 {
		unit = 1e6
	}
	a.Answered, a.Ended = 0, 0
	if flags&headAnswered != 0 {
		a.Answered = a.Time + d.int()*unit
	}
	if flags&headEnded != 0 {
		a.Ended = a.Time + d.int()*unit
	}
	a.Last = 0
	if flags&headLast != 0 {
		a.Last = a.Ended + d.int()
	}
	a.Packet = d.int()
	a.File = int(int32(d.int()))
	a.Retransmits = int32(d.int())
	if d.bad {
		return 0, 0
	}
	return flags, d.n
}

// pendingCodec writes the samples matchByTime pairs once the clock
// offset is known.
type pendingCodec struct{ words *spill.Words }

func newPendingCodec() *pendingCodec { return &pendingCodec{words: spill.NewWords(4096)} }

func (c *pendingCodec) Encode(b []byte, p *pendingSample) []byte {
	s := &p.sample
	for _, v := range [...]int64{p.start, p.connect, s.Start, s.Elapsed, int64(s.AllThreads), int64(s.File), s.Line, int64(p.tref.host), int64(p.tref.own), p.tref.endMs} {
		b = spill.AppendInt(b, v)
	}
	flags := byte(0)
	for k, f := range [...]bool{p.class.failed, p.class.breach, p.linkOnly} {
		if f {
			flags |= 1 << k
		}
	}
	b = append(b, byte(p.class.layer), flags)
	for _, w := range [...]string{p.class.status, s.Label, s.Code, s.Message, s.Thread, s.Host} {
		b = c.words.Append(b, w)
	}
	return b
}

func (c *pendingCodec) Decode(src []byte, p *pendingSample, ar *spill.Arena) (int, error) {
	r := spill.NewReader(src)
	s := &p.sample
	p.start, p.connect, s.Start, s.Elapsed = r.Int(), r.Int(), r.Int(), r.Int()
	s.AllThreads, s.File, s.Line = int(r.Int()), int(r.Int()), r.Int()
	p.tref = threadRef{host: int32(r.Int()), own: int32(r.Int()), endMs: r.Int()}
	f := r.Fixed(2)
	if f == nil {
		return 0, r.Err
	}
	p.class.layer = Layer(f[0])
	p.class.failed, p.class.breach, p.linkOnly = f[1]&1 != 0, f[1]&2 != 0, f[1]&4 != 0
	p.class.status = r.Word(c.words, ar)
	s.Label, s.Code, s.Message = r.Word(c.words, ar), r.Word(c.words, ar), r.Word(c.words, ar)
	s.Thread, s.Host = r.Word(c.words, ar), r.Word(c.words, ar)
	return r.Consumed(), r.Err
}

// sipRef is what a sample matched to an attempt on the wire leaves for
// Finish's merge: the reference to its thread count, and for a match
// matchByTime made, the match to write on the attempt (Unmatched: none)
// and the number of its sample's Detail (0: none).
type sipRef struct {
	tref  threadRef
	match Match
	lazy  uint32
}

type sipRefCodec struct{}

func (sipRefCodec) Encode(b []byte, r *sipRef) []byte {
	b = threadRefCodec{}.Encode(b, &r.tref)
	b = append(b, byte(r.match))
	return spill.AppendUint(b, uint64(r.lazy))
}

func (sipRefCodec) Decode(src []byte, r *sipRef, ar *spill.Arena) (int, error) {
	n, err := threadRefCodec{}.Decode(src, &r.tref, ar)
	if err != nil {
		return 0, err
	}
	rd := spill.NewReader(src[n:])
	f := rd.Fixed(1)
	if f == nil {
		return 0, rd.Err
	}
	r.match = Match(f[0])
	r.lazy = uint32(rd.Uint())
	return n + rd.Consumed(), rd.Err
}
