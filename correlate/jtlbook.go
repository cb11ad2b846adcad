package correlate

import (
	"encoding/binary"
	"net/netip"
	"unsafe"

	"github.com/ceiling-dev/ceiling/internal/spill"
)

// jtlRecord is an attempt known only from the JTL as kept until Finish:
// its times on the JMeter clock in ms, its status an index into
// jtlBook.statuses, its thread count still a reference into the thread
// book, and for a failure, the sample its Detail will show. Its strings
// but the IDs are in a textStore, and the records go to disk a few pages
// on, so the garbage collector does not look into the millions of them
// at each cycle: with a Detail and a SampleRef per failure made as the
// samples came, marking them was a fifth of a JTL-only run.
type jtlRecord struct {
	start, end, answered int64 // Unix ms, JMeter clock
	file, all, line      int64
	callID, traceID      string
	shape                uint32 // a failure's sample's strings: jtlBook.shapes
	conc                 int32
	tHost, own           int32 // threadRef, whose endMs is end
	status               uint32
	layer                Layer
	outcome              Outcome
	kind                 FailureKind
	failed               bool
}

// jtlBook keeps the JTL attempts and what their failures show. The
// records go to disk beyond a few pages, as the capture's attempts do: a
// JTL alone can hold tens of millions.
//
// Finish reads them once, in start order. The samples come in start order
// (the JTL reader restores it within its window), so recs, which takes
// the records that keep to it, is read front to back a page at a time,
// with no pass beforehand to find out whether it is in order (that pass
// decoded every page a second time: a quarter of Finish on a JTL alone).
// The few that do not (a sample later than the reader's window, the load
// generator's own failures matchByTime finds at the end) go to late,
// which alone is sorted and merged in: sorting the whole book for them
// would read it in an order that jumps from page to page.
type jtlBook struct {
	recs      *spill.Log[jtlRecord]
	late      *spill.Log[jtlRecord]
	lastStart int64 // of recs' last record
	text      textStore
	// refFiles and lateFiles hold, by index in recs and in late, the file
	// of a failure's sample where it is not the attempt's.
	refFiles, lateFiles map[int]int
	// shapes are the strings of failures' samples (label, code, message,
	// thread, host), each combination once: a few thousand in a test
	// (its threads times its failures' codes) for millions of failures.
	shapes     []sampleShape
	shapeIndex map[sampleShape]uint32
	// shapeCache finds a failure's shape from where its sample's strings
	// lie, before any of them is looked up: the JTL reader interns them,
	// so a thread's failures of one kind repeat the same five strings.
	shapeCache *[shapeSets][2]shapeEntry

	statuses []string
	index    map[string]uint32
	spill    SpillOptions
}

// add files rec; refFile is the file of its sample's Detail.
func (b *jtlBook) add(rec *jtlRecord, refFile int) {
	if b.recs == nil {
		b.recs = spill.New[jtlRecord](jtlCodec{}, b.spill.log(1<<13, 8))
	}
	if n := b.recs.Len(); n == 0 || rec.start >= b.lastStart {
		if refFile != int(rec.file) {
			if b.refFiles == nil {
				b.refFiles = map[int]int{}
			}
			b.refFiles[n] = refFile
		}
		b.recs.Settle()
		b.recs.Append(*rec)
		b.lastStart = rec.start
		return
	}
	if b.late == nil {
		b.late = spill.New[jtlRecord](jtlCodec{}, b.spill.log(1<<12, 4))
	}
	if refFile != int(rec.file) {
		if b.lateFiles == nil {
			b.lateFiles = map[int]int{}
		}
		b.lateFiles[b.late.Len()] = refFile
	}
	b.late.Settle()
	b.late.Append(*rec)
}

func (b *jtlBook) len() int {
	n := 0
	if b.recs != nil {
		n += b.recs.Len()
	}
	if b.late != nil {
		n += b.late.Len()
	}
	return n
}

// logs are the book's logs, for their errors and their sizes.
func (b *jtlBook) logs() []spilled {
	var out []spilled
	if b.recs != nil {
		out = append(out, b.recs)
	}
	if b.late != nil {
		out = append(out, b.late)
	}
	return out
}

// jtlReader reads a book's records in start order, stably.
type jtlReader struct {
	b    *jtlBook
	k, q int // the next of recs, and of lateOrder
	// seq reads recs front to back, a page at a time into a buffer of
	// its own used again for the next: a record's strings are good until
	// it is taken. Reading the book's pages into memory (Peek) made a
	// page's bytes anew each time, a third of a JTL-only run's
	// allocation. cur is the record seq gave last, nil once taken. seq
	// is nil for a reader whose caller keeps the records (reader's
	// alias): recs are peeked.
	seq       *spill.HeadReader[jtlRecord]
	cur       *jtlRecord
	nRecs     int     // recs' length
	lateOrder []int32 // late in start order; nil when it is already
	nLate     int
	fromLate  bool // the head is late's
}

// reader reads the book in start order. With alias, the records' strings
// are good only until they are taken (see jtlReader.seq); without, they
// are the log's own, for a caller that keeps them.
func (b *jtlBook) reader(alias bool) *jtlReader {
	r := &jtlReader{b: b}
	if b.recs != nil {
		r.nRecs = b.recs.Len()
		if alias {
			r.seq = b.recs.PartsFrom(0, spill.Part[jtlRecord]{Decode: jtlCodec{}.Decode, Trim: func(*jtlRecord) {}, Alias: true})
		}
	}
	if b.late != nil {
		r.nLate = b.late.Len()
		r.lateOrder = sortedOrder(r.nLate, func(i int) int64 {
			b.late.Settle()
			return b.late.Peek(i).start
		})
	}
	return r
}

// head is the next record and the file of its failure's sample, nil when
// none is left; good until the book's logs settle, and its strings until
// it is taken.
func (r *jtlReader) head() (*jtlRecord, int) {
	var m *jtlRecord
	switch {
	case r.k >= r.nRecs:
	case r.seq == nil:
		m = r.b.recs.Peek(r.k) // void once the logs settle: not kept
	default:
		if r.cur == nil {
			if _, rec, ok := r.seq.Next(); ok {
				r.cur = rec
			}
		}
		m = r.cur
	}
	r.fromLate = false
	if r.q < r.nLate {
		j := r.q
		if r.lateOrder != nil {
			j = int(r.lateOrder[j])
		}
		l := r.b.late.Peek(j)
		// At the same start, the one in recs came first: every record of
		// recs after a late one started later than it.
		if m == nil || l.start < m.start {
			r.fromLate = true
			file, ok := r.b.lateFiles[j]
			if !ok {
				file = int(l.file)
			}
			return l, file
		}
	}
	if m == nil {
		return nil, 0
	}
	file, ok := r.b.refFiles[r.k]
	if !ok {
		file = int(m.file)
	}
	return m, file
}

// take moves past the record head gave.
func (r *jtlReader) take() {
	if r.fromLate {
		r.q++
	} else {
		r.k++
		r.cur = nil
	}
}

// settle keeps the book's logs within their pages.
func (r *jtlReader) settle() {
	if r.b.recs != nil {
		r.b.recs.Settle()
	}
	if r.b.late != nil {
		r.b.late.Settle()
	}
}

// jtlCodec writes a record in as few bytes as its values allow: most of
// a run's records are successes of a few milliseconds with no trace ID,
// and each is written once and read once.
type jtlCodec struct{}

const (
	jtlFailed = 1 << iota
	jtlHasSample
	jtlHasCallID
	jtlHasTraceID
	jtlAnsweredEarly // answered before end
	jtlPacked        // the numbers in fixed fields (jtlPack), not varints
)

// A record whose numbers fit (nearly all: times in ms within hours of
// the start, counts in the thousands, lines in the millions) has them in
// two words, three with a sample, at a shift and a mask each: as varints,
// ten numbers cost some 300 instructions to write and read back, a
// twentieth of a JTL-only run. Bits per field, from the low end:
//
//	word 1: elapsed 24, answered after the start 24, conc 16
//	word 2: own 20, tHost 12, file 8, status 16
//	word 3: all 20, shape 20, line 24
const (
	jtlPackMs     = 1 << 24
	jtlPackConc   = 1 << 16
	jtlPackOwn    = 1 << 20
	jtlPackHost   = 1 << 12
	jtlPackFile   = 1 << 8
	jtlPackStatus = 1 << 16
	jtlPackAll    = 1 << 20
	jtlPackShape  = 1 << 20
	jtlPackLine   = 1 << 24
)

// jtlPack is r's numbers in jtlPacked's words, false when one does not
// fit. The times as lengths from the start, wrapping as the varints'
// do, so that the start plus each gives the time back exactly.
func jtlPack(r *jtlRecord, sample bool) (w [3]uint64, ok bool) {
	el, an := uint64(r.end-r.start), uint64(r.answered-r.start)
	if el >= jtlPackMs || an >= jtlPackMs || uint32(r.conc) >= jtlPackConc || uint32(r.own) >= jtlPackOwn ||
		uint32(r.tHost) >= jtlPackHost || uint64(r.file) >= jtlPackFile || r.status >= jtlPackStatus {
		return w, false
	}
	if sample && (uint64(r.all) >= jtlPackAll || r.shape >= jtlPackShape || uint64(r.line) >= jtlPackLine) {
		return w, false
	}
	w[0] = el | an<<24 | uint64(r.conc)<<48
	w[1] = uint64(r.own) | uint64(r.tHost)<<20 | uint64(r.file)<<32 | uint64(r.status)<<40
	w[2] = uint64(r.all) | uint64(r.shape)<<20 | uint64(r.line)<<40
	return w, true
}

// jtlUnpack sets r's numbers from jtlPack's words; r.start is set.
func jtlUnpack(r *jtlRecord, w0, w1, w2 uint64) {
	r.end = r.start + int64(w0&(jtlPackMs-1))
	r.answered = r.start + int64(w0>>24&(jtlPackMs-1))
	r.conc = int32(w0 >> 48)
	r.own = int32(w1 & (jtlPackOwn - 1))
	r.tHost = int32(w1 >> 20 & (jtlPackHost - 1))
	r.file = int64(w1 >> 32 & (jtlPackFile - 1))
	r.status = uint32(w1 >> 40 & (jtlPackStatus - 1))
	r.all = int64(w2 & (jtlPackAll - 1))
	r.shape = uint32(w2 >> 20 & (jtlPackShape - 1))
	r.line = int64(w2 >> 40)
}

func (jtlCodec) Encode(b []byte, r *jtlRecord) []byte {
	flags := byte(0)
	if r.failed {
		flags |= jtlFailed
	}
	if r.all != 0 || r.line != 0 || r.shape != 0 {
		flags |= jtlHasSample
	}
	if r.callID != "" {
		flags |= jtlHasCallID
	}
	if r.traceID != "" {
		flags |= jtlHasTraceID
	}
	if r.answered != r.end {
		flags |= jtlAnsweredEarly
	}
	w, packed := jtlPack(r, flags&jtlHasSample != 0)
	if packed {
		flags |= jtlPacked
	}
	b = binary.LittleEndian.AppendUint64(b, uint64(r.start))
	b = append(b, byte(r.layer), byte(r.outcome), byte(r.kind), flags)
	switch {
	case packed && flags&jtlHasSample != 0:
		b = binary.LittleEndian.AppendUint64(b, w[0])
		b = binary.LittleEndian.AppendUint64(b, w[1])
		b = binary.LittleEndian.AppendUint64(b, w[2])
	case packed:
		b = binary.LittleEndian.AppendUint64(b, w[0])
		b = binary.LittleEndian.AppendUint64(b, w[1])
	default:
		b = appendJTLNumbers(b, r, flags)
	}
	if flags&jtlHasCallID != 0 {
		b = spill.AppendString(b, r.callID)
	}
	if flags&jtlHasTraceID != 0 {
		b = spill.AppendString(b, r.traceID)
	}
	return b
}

// appendJTLNumbers appends a record's numbers as varints, for a record
// jtlPack cannot take.
func appendJTLNumbers(b []byte, r *jtlRecord, flags byte) []byte {
	// The times as lengths: a few bytes rather than the 6 of a Unix ms.
	b = spill.AppendInt(b, r.end-r.start)
	if flags&jtlAnsweredEarly != 0 {
		b = spill.AppendInt(b, r.answered-r.start)
	}
	b = spill.AppendInt(b, r.file)
	b = spill.AppendInt(b, int64(r.conc))
	b = spill.AppendInt(b, int64(r.tHost))
	b = spill.AppendInt(b, int64(r.own))
	b = spill.AppendUint(b, uint64(r.status))
	if flags&jtlHasSample != 0 {
		b = spill.AppendInt(b, r.all)
		b = spill.AppendInt(b, r.line)
		b = spill.AppendUint(b, uint64(r.shape))
	}
	return b
}

func (jtlCodec) Decode(src []byte, r *jtlRecord, ar *spill.Arena) (int, error) {
	if len(src) < 12 {
		return 0, spill.ErrShort
	}
	*r = jtlRecord{start: int64(binary.LittleEndian.Uint64(src))}
	r.layer, r.outcome, r.kind = Layer(src[8]), Outcome(src[9]), FailureKind(src[10])
	flags := src[11]
	r.failed = flags&jtlFailed != 0
	d := varints{b: src, n: 12}
	switch {
	case flags&jtlPacked == 0:
		d.n = decodeJTLNumbers(src, r, flags)
	case flags&jtlHasSample != 0:
		if len(src) < 36 {
			return 0, spill.ErrShort
		}
		jtlUnpack(r, binary.LittleEndian.Uint64(src[12:]), binary.LittleEndian.Uint64(src[20:]), binary.LittleEndian.Uint64(src[28:]))
		d.n = 36
	default:
		if len(src) < 28 {
			return 0, spill.ErrShort
		}
		jtlUnpack(r, binary.LittleEndian.Uint64(src[12:]), binary.LittleEndian.Uint64(src[20:]), 0)
		d.n = 28
	}
	if d.n < 0 {
		return 0, spill.ErrShort
	}
	if flags&jtlHasCallID != 0 {
		r.callID = d.string(ar)
	}
	if flags&jtlHasTraceID != 0 {
		r.traceID = d.string(ar)
	}
	if d.bad {
		return 0, spill.ErrShort
	}
	return d.n, nil
}

// decodeJTLNumbers reads what appendJTLNumbers wrote from src[12:] into
// r, whose start is set, and returns where they end; -1 when they do not.
func decodeJTLNumbers(src []byte, r *jtlRecord, flags byte) int {
	d := varints{b: src, n: 12}
	r.end = r.start + d.int()
	r.answered = r.end
	if flags&jtlAnsweredEarly != 0 {
		r.answered = r.start + d.int()
	}
	r.file = d.int()
	r.conc, r.tHost, r.own, r.status = int32(d.int()), int32(d.int()), int32(d.int()), uint32(d.uint())
	if flags&jtlHasSample != 0 {
		r.all, r.line, r.shape = d.int(), d.int(), uint32(d.uint())
	}
	if d.bad {
		return -1
	}
	return d.n
}

// varints reads what spill.AppendInt, AppendUint and AppendString wrote,
// as spill.Reader does, but reads a one-byte value (most of a JTL
// record's) without a call: the JTL book is read back a record at a time,
// millions of them.
type varints struct {
	b   []byte
	n   int // read so far
	bad bool
}

func (d *varints) uint() uint64 {
	if d.n < len(d.b) && d.b[d.n] < 0x80 {
		d.n++
		return uint64(d.b[d.n-1])
	}
	return d.long()
}

func (d *varints) long() uint64 {
	// Two bytes without the loop: a count in the thousands, a line.
	if n := d.n; n+1 < len(d.b) && d.b[n+1] < 0x80 {
		d.n += 2
		return uint64(d.b[n]&0x7f) | uint64(d.b[n+1])<<7
	}
	v, k := spill.Uvarint(d.b[d.n:])
	if k <= 0 {
		d.bad, d.n = true, len(d.b)
		return 0
	}
	d.n += k
	return v
}

func (d *varints) int() int64 {
	u := d.uint()
	return int64(u>>1) ^ -int64(u&1)
}

func (d *varints) string(ar *spill.Arena) string {
	n := d.uint()
	if n > uint64(len(d.b)-d.n) {
		d.bad, d.n = true, len(d.b)
		return ""
	}
	s := ar.String(d.b[d.n : d.n+int(n)])
	d.n += int(n)
	return s
}

// skip reads past a length-prefixed field, as spill.Reader.Skip.
func (d *varints) skip() {
	n := d.uint()
	if n > uint64(len(d.b)-d.n) {
		d.bad, d.n = true, len(d.b)
		return
	}
	d.n += int(n)
}

// word reads what spill.Words.Append wrote, as spill.Reader.Word.
func (d *varints) word(w *spill.Words, ar *spill.Arena) string {
	id := d.uint()
	if id == 0 {
		return d.string(ar)
	}
	s, ok := w.At(id)
	if !ok {
		d.bad, d.n = true, len(d.b)
	}
	return s
}

// skipWord reads past what spill.Words.Append wrote, failing where word
// would.
func (d *varints) skipWord(w *spill.Words) {
	id := d.uint()
	if id == 0 {
		d.skip()
	} else if _, ok := w.At(id); !ok {
		d.bad, d.n = true, len(d.b)
	}
}

// addr reads what spill.AppendAddrPort wrote; most addresses are none
// (a JTL's attempts), a byte read here.
func (d *varints) addr() netip.AddrPort {
	if d.n < len(d.b) && d.b[d.n] == 0 {
		d.n++
		return netip.AddrPort{}
	}
	a, n, ok := spill.ReadAddrPort(d.b[d.n:])
	if !ok {
		d.bad, d.n = true, len(d.b)
		return netip.AddrPort{}
	}
	d.n += n
	return a
}

type sampleShape struct{ label, code, message, thread, host textRef }

// shapeEntry is a shape as the cache keeps it: where its strings lie
// and their lengths, in one cache line. The pointers hold the strings'
// bytes alive, so they cannot be reused for others while it is there.
type shapeEntry struct {
	p  [5]unsafe.Pointer
	n  [5]uint32
	i1 uint32 // the index + 1; 0 for an empty entry
}

// shapeSets is the cache's size in pairs of entries: a test has a few
// thousand shapes (its threads times its failures' kinds); with two
// entries a set, few of them find their set full of others.
const (
	shapeBits = 12
	shapeSets = 1 << shapeBits
)

func (e *shapeEntry) is(k *shapeEntry) bool { return e.p == k.p && e.n == k.n }

// shapeHash is the shape cache's hash of where a shape's five strings
// lie (0 for an empty one), and of the thread name's length.
func shapeHash(p0, p1, p2, p3, p4 uintptr, n3 uint32) uint64 {
	return (uint64(p0) ^ uint64(p1)<<7 ^ uint64(p2)<<13 ^ uint64(p3)<<29 ^ uint64(p4)<<3 ^ uint64(n3)<<48) * 0x9e3779b97f4a7c15
}

// shapeOf numbers the strings of a failed sample.
func (b *jtlBook) shapeOf(ref *SampleRef) uint32 {
	k := shapeEntry{}
	k.p[0], k.n[0] = stringKey(ref.Label)
	k.p[1], k.n[1] = stringKey(ref.Code)
	k.p[2], k.n[2] = stringKey(ref.Message)
	k.p[3], k.n[3] = stringKey(ref.Thread)
	k.p[4], k.n[4] = stringKey(ref.Host)
	h := shapeHash(uintptr(k.p[0]), uintptr(k.p[1]), uintptr(k.p[2]),
		uintptr(k.p[3]), uintptr(k.p[4]), k.n[3])
	if b.shapeCache == nil {
		b.shapeCache = new([shapeSets][2]shapeEntry)
	}
	set := &b.shapeCache[h>>(64-shapeBits)]
	switch {
	case set[0].i1 != 0 && set[0].is(&k):
		return set[0].i1 - 1
	case set[1].i1 != 0 && set[1].is(&k):
		// The most recent of the two first; the other is the one to go.
		set[0], set[1] = set[1], set[0]
		return set[0].i1 - 1
	}
	t := &b.text
	sh := sampleShape{t.put(ref.Label), t.put(ref.Code), t.put(ref.Message), t.put(ref.Thread), t.put(ref.Host)}
	i, ok := b.shapeIndex[sh]
	if !ok {
		i = uint32(len(b.shapes))
		b.shapes = append(b.shapes, sh)
		if b.shapeIndex == nil {
			b.shapeIndex = map[sampleShape]uint32{}
		}
		if len(b.shapeIndex) < 1<<16 {
			b.shapeIndex[sh] = i
		}
	}
	k.i1 = i + 1
	set[1], set[0] = set[0], k
	return i
}

// statusIndex numbers a status. The few a test has repeat row after row,
// interned by the JTL reader, so a look at the last ones usually settles it.
func (b *jtlBook) statusIndex(st string) uint32 {
	for i := len(b.statuses) - 1; i >= 0 && i >= len(b.statuses)-8; i-- {
		if b.statuses[i] == st {
			return uint32(i)
		}
	}
	if i, ok := b.index[st]; ok {
		return i
	}
	if b.index == nil {
		b.index = map[string]uint32{}
	}
	i := uint32(len(b.statuses))
	b.statuses = append(b.statuses, st)
	b.index[st] = i
	return i
}
