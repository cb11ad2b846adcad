package correlate

import (
	"encoding/binary"
	"math/bits"
	"slices"

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

// copyingLog is a log whose codec numbers words as of's does: a record of
// of's, as written, is one of its own (patchHead).
func copyingLog(of *attemptLog, o SpillOptions) *attemptLog {
	c := &attemptCodec{words: of.Codec().(*attemptCodec).words}
	return spill.New[Attempt](c, o.log(4096, 24))
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

// A record is a head, what a pass over the attempts' heads reads, and a
// tail, which such a pass steps over in one go: the IDs and the Detail,
// which only the joins' passes and whole reads need. Skipping them a
// field at a time was a third of a head's decoding.
//
// The head starts with Time, the counts that take two to four bytes
// whatever their encoding (Concurrency, Threads, lazy), the flags and the
// byte-sized fields (headFixed bytes). Then come the widths of its
// numbers, three bits each (widthBytes), and the numbers, each in the
// fewest bytes that hold it: Answered's and Ended's distances from Time
// and Last's from Ended (0 bytes when absent), Packet, File, Retransmits,
// the status's number (spill.Words) and the tail's length. Signed numbers
// are written as they are, a negative one in eight bytes (none of a run's
// are negative), except Last's distance, negative for a connection
// closed by a timer, which is zigzagged. Then the status itself when it is not numbered, Edge and
// Client. The tail is CallID, TraceID and the Detail. A number takes a
// load and a mask to read where a varint took a byte at a time: the log
// of a run is written once and its heads read a few times over.
const (
	headFixed   = 27
	headWidths  = headFixed + 3
	headNumbers = 8
	numTail     = headNumbers - 1 // the tail's length, the last number
)

// widthBytes is the bytes a number takes by its width (three bits): up to
// six, and eight for the rest.
var widthBytes = [8]int{0, 1, 2, 3, 4, 5, 6, 8}

func zigzag(v int64) uint64 { return uint64(v<<1) ^ uint64(v>>63) }

func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

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
	var answered, ended, last uint64
	if a.Last != 0 {
		flags |= headLast
		last = zigzag(a.Last - a.Ended)
	}
	da, de := a.Answered-a.Time, a.Ended-a.Time
	if da%1e6 == 0 && de%1e6 == 0 {
		flags |= headMillis
		da, de = da/1e6, de/1e6
	}
	if a.Answered != 0 {
		flags |= headAnswered
		answered = uint64(da)
	}
	if a.Ended != 0 {
		flags |= headEnded
		ended = uint64(de)
	}
	status := c.words.Number(a.Status)

	le := binary.LittleEndian
	start := len(b)
	b = le.AppendUint64(b, uint64(a.Time))
	b = le.AppendUint32(b, uint32(a.Concurrency))
	b = le.AppendUint32(b, uint32(a.Threads))
	b = le.AppendUint32(b, a.lazy)
	b = append(b, flags, byte(a.Layer), a.Hop, byte(a.Outcome), byte(a.Kind), byte(a.Source), byte(a.Match), 0, 0, 0)
	widths, k := uint32(0), 0
	number := func(v uint64) {
		code := widthOf(v)
		widths |= code << (3 * k)
		k++
		b = le.AppendUint64(b, v)[:len(b)+widthBytes[code]]
	}
	number(answered)
	number(ended)
	number(last)
	number(uint64(a.Packet))
	number(uint64(int64(int32(a.File))))
	number(uint64(a.Retransmits))
	number(status)
	// The tail's length in a byte, the most a tail takes (a Call-ID and
	// a Detail), widened below if need be.
	at := len(b)
	number(0xff)
	if status == 0 {
		b = spill.AppendString(b, a.Status)
	}
	b = spill.AppendAddrPort(b, a.Edge)
	b = spill.AppendAddrPort(b, a.Client)
	head := len(b)
	b = c.appendTail(b, a)
	if tail := uint64(len(b) - head); tail <= 0xff {
		b[at] = byte(tail)
	} else {
		code := widthOf(tail)
		var t [8]byte
		le.PutUint64(t[:], tail)
		b[at] = t[0]
		b = slices.Insert(b, at+1, t[1:widthBytes[code]]...)
		widths = widths&^(7<<(3*numTail)) | code<<(3*numTail)
	}
	b[start+headFixed], b[start+headFixed+1], b[start+headFixed+2] = byte(widths), byte(widths>>8), byte(widths>>16)
	return b
}

// widthOf is the width (widthBytes) that holds v.
func widthOf(v uint64) uint32 {
	n := (bits.Len64(v) + 7) / 8
	return uint32(min(n, 7))
}

// appendTail appends what a head pass steps over: the IDs and the Detail.
func (c *attemptCodec) appendTail(b []byte, a *Attempt) []byte {
	b = spill.AppendString(b, a.CallID)
	b = spill.AppendString(b, a.TraceID)
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
	flags, tail, n := c.head(src, a, ar)
	if n == 0 {
		return 0, spill.ErrShort
	}
	r := spill.NewReader(src[tail:n])
	a.CallID = r.String(ar)
	a.TraceID = r.String(ar)
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
	if r.Err != nil || r.Consumed() != n-tail {
		// A tail that does not read as its length says: not what was
		// written.
		return 0, spill.ErrShort
	}
	return n, nil
}

// DecodeHead reads what Attempts.Heads gives: all but the IDs and the
// Detail, the tail it steps over. A pass over half a million attempts on
// disk that reads heads makes no strings and no Details.
func (c *attemptCodec) DecodeHead(src []byte, a *Attempt, ar *spill.Arena) (int, error) {
	_, _, n := c.head(src, a, ar)
	if n == 0 {
		return 0, spill.ErrShort
	}
	a.CallID, a.TraceID, a.Detail = "", "", nil
	return n, nil
}

// DecodeIDs is DecodeHead with the IDs: all but the Detail, for the pass
// that indexes the attempts by their IDs.
func (c *attemptCodec) DecodeIDs(src []byte, a *Attempt, ar *spill.Arena) (int, error) {
	_, tail, n := c.head(src, a, ar)
	if n == 0 {
		return 0, spill.ErrShort
	}
	d := varints{b: src[:n], n: tail}
	a.CallID = d.string(ar)
	a.TraceID = d.string(ar)
	a.Detail = nil
	if d.bad {
		return 0, spill.ErrShort
	}
	return n, nil
}

// head reads the head of the record at the start of src into a, all of
// a but its IDs and Detail (left as they were), and returns its flags,
// where its tail starts and the record's length: 0 when the record is
// cut short, or its head does not read as one.
func (c *attemptCodec) head(src []byte, a *Attempt, ar *spill.Arena) (flags byte, tail, n int) {
	if len(src) < headWidths {
		return 0, 0, 0
	}
	f := src[:headWidths:headWidths]
	le := binary.LittleEndian
	a.Time = int64(le.Uint64(f))
	a.Concurrency, a.Threads, a.lazy = int32(le.Uint32(f[8:])), int32(le.Uint32(f[12:])), le.Uint32(f[16:])
	flags = f[20]
	a.Layer, a.Hop, a.Outcome, a.Kind, a.Source, a.Match = Layer(f[21]), f[22], Outcome(f[23]), FailureKind(f[24]), Source(f[25]), Match(f[26])
	a.Failed = flags&headFailed != 0
	// Each number is a load and a mask, from src itself unless src ends
	// within a load's reach of the numbers' start.
	var p *[numbersReach]byte
	if len(src) >= headWidths+numbersReach {
		p = (*[numbersReach]byte)(src[headWidths:])
	} else {
		var pad [numbersReach]byte
		copy(pad[:], src[headWidths:])
		p = &pad
	}
	widths, off := uint32(f[27])|uint32(f[28])<<8|uint32(f[29])<<16, 0
	number := func() uint64 {
		code := widths & 7
		widths >>= 3
		v := binary.LittleEndian.Uint64(p[off&63:]) & widthMask[code]
		off += widthBytes[code]
		return v
	}
	answered, ended, last := int64(number()), int64(number()), unzigzag(number())
	a.Packet = int64(number())
	a.File = int(int32(number()))
	a.Retransmits = int32(number())
	status, tailLen := number(), number()
	off += headWidths
	if off > len(src) {
		return 0, 0, 0
	}
	unit := int64(1)
	if flags&headMillis != 0 {
		unit = 1e6
	}
	a.Answered, a.Ended, a.Last = 0, 0, 0
	if flags&headAnswered != 0 {
		a.Answered = a.Time + answered*unit
	}
	if flags&headEnded != 0 {
		a.Ended = a.Time + ended*unit
	}
	if flags&headLast != 0 {
		a.Last = a.Ended + last
	}
	d := varints{b: src, n: off}
	ok := true
	if status == 0 {
		a.Status = d.string(ar)
	} else if a.Status, ok = c.words.At(status); !ok {
		return 0, 0, 0
	}
	// Most addresses are IPv4, read inline.
	if a.Edge, ok = spill.ReadAddrPort4(src[d.n:]); ok {
		d.n += 7
	} else {
		a.Edge = d.addr()
	}
	if a.Client, ok = spill.ReadAddrPort4(src[d.n:]); ok {
		d.n += 7
	} else {
		a.Client = d.addr()
	}
	if d.bad || tailLen > uint64(len(src)-d.n) {
		return 0, 0, 0
	}
	return flags, d.n, d.n + int(tailLen)
}

// wireCopy reads the wire's attempts for Finish's merge as far as it
// looks at them (the head; a failure whole while its layer's first is
// to find) and copies each read from a page's bytes into the merged log
// as written, the fields the merge sets patched (patchHead): decoding
// each whole and encoding it again took twice the instructions.
type wireCopy struct {
	codec *attemptCodec
	// acc is the merge's accounts, which say whether a failure may be its
	// layer's first: every failure decoded whole made a Detail each (39 MB
	// on 1 GB of signalling) that nothing read.
	acc   *layerAcc
	raw   []byte // the record read last as written; nil for one of a page in memory
	taken []byte // raw of the attempt being merged
	buf   []byte // taken patched: the page read may be one the wire's log holds
}

func (c *wireCopy) decode(src []byte, at *Attempt, ar *spill.Arena) (int, error) {
	n, err := c.codec.DecodeHead(src, at, ar)
	if err == nil && c.acc.wantsWhole(at) {
		n, err = c.codec.Decode(src, at, ar)
	}
	if err == nil {
		c.raw = src[:n]
	}
	return n, err
}

// next is seq's next attempt, raw set when it was read from bytes.
func (c *wireCopy) next(seq *spill.HeadReader[Attempt]) *Attempt {
	c.raw = nil
	_, at, _ := seq.Next()
	return at
}

// write adds at to out (a copyingLog of the wire's): copied when taken.
func (c *wireCopy) write(out *attemptLog, at *Attempt) {
	if c.taken == nil {
		out.Write(at)
		return
	}
	c.buf = append(c.buf[:0], c.taken...)
	patchHead(c.buf, at)
	out.WriteEncoded(c.buf)
	c.taken = nil
}

// patchHead writes into rec, a record as Encode writes it, the fields of
// a the merge changes (Finish): they are of the head's fixed part.
func patchHead(rec []byte, a *Attempt) {
	le := binary.LittleEndian
	le.PutUint32(rec[12:], uint32(a.Threads))
	le.PutUint32(rec[16:], a.lazy)
	rec[25], rec[26] = byte(a.Source), byte(a.Match)
}

// numbersReach is as far as head loads from the numbers' start:
// eight numbers of eight bytes at most, the last loaded whole.
const numbersReach = headNumbers*8 + 8

// widthMask keeps a number's bytes of the eight loaded, by its width.
var widthMask = [8]uint64{0, 1<<8 - 1, 1<<16 - 1, 1<<24 - 1, 1<<32 - 1, 1<<40 - 1, 1<<48 - 1, 1<<64 - 1}

// TrimHead leaves what DecodeHead sets.
func (c *attemptCodec) TrimHead(a *Attempt) { trimHead(a) }

func trimHead(a *Attempt) { a.CallID, a.TraceID, a.Detail = "", "", nil }

// trimIDs leaves what DecodeIDs sets.
func trimIDs(a *Attempt) { a.Detail = nil }

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

// refBook holds a sipRef per capture attempt. A run of up to memRefs
// attempts keeps them as a plain array, 24 MB at most: held in a log of
// pages, a 300 MB capture's spilled, and the joins, the pairers and the
// merge each decoded every page again and encoded it again (4% of the
// run's instructions). Beyond memRefs, the log keeps memory bounded.
type refBook struct {
	mem []sipRef
	log *spill.Log[sipRef] // nil when mem holds them
}

const memRefs = 1 << 20

// newRefBook files n attempts' refs, none matched. Options that size the
// logs' pages (tests) put them in a log.
func newRefBook(n int, o SpillOptions) *refBook {
	none := sipRef{tref: threadRef{host: noRef}}
	if o.PageItems == 0 && n <= memRefs {
		mem := make([]sipRef, n)
		for i := range mem {
			mem[i] = none
		}
		return &refBook{mem: mem}
	}
	log := spill.New[sipRef](sipRefCodec{}, o.log(1<<14, 8))
	for range n {
		log.Append(none)
		log.Settle()
	}
	return &refBook{log: log}
}

// at is ref i to read and write, good until the next at or read.
func (b *refBook) at(i int) *sipRef {
	if b.log == nil {
		return &b.mem[i]
	}
	b.log.Settle()
	return b.log.At(i)
}

func (b *refBook) read(i int) sipRef {
	if b.log == nil {
		return b.mem[i]
	}
	b.log.Settle()
	return b.log.Read(i)
}

// MostResident, Err and Close are the log's (spilled); an array holds no
// pages and meets no error.
func (b *refBook) MostResident() int {
	if b.log == nil {
		return 0
	}
	return b.log.MostResident()
}

func (b *refBook) Err() error {
	if b.log == nil {
		return nil
	}
	return b.log.Err()
}

func (b *refBook) Close() error {
	b.mem = nil
	if b.log == nil {
		return nil
	}
	return b.log.Close()
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
