// Package spill keeps a long sequence of records in bounded memory: a
// log of fixed pages, of which only the most recently used few stay
// decoded in memory; the others are encoded into a temporary file and
// decoded again when touched.
//
// The records of a run (an attempt per call, millions of them on a capture
// of several GB) are written once, touched again while their call is in
// progress or joined to a JTL sample (both near the end of the log), and
// read whole a few times at the end, front to back: a least-recently-used
// set of pages fits that, and the file is read and written in pages of a
// few hundred KB.
package spill

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"unsafe"
)

// Codec turns a record into bytes and back. Decode is given the bytes
// Encode wrote for a page (records one after the other) from the record
// on; it makes strings through arena (Arena.String), which may make them
// of src itself: src is the page's own and never written again.
type Codec[T any] interface {
	Encode(dst []byte, v *T) []byte
	Decode(src []byte, v *T, arena *Arena) (n int, err error)
}

// HeadCodec is a Codec that can also read a record's head alone: the
// part a pass over every record mostly needs. Such a pass over a log on
// disk makes none of the records' strings and nothing else they point to,
// and puts no page in memory.
type HeadCodec[T any] interface {
	Codec[T]
	// DecodeHead sets the head of v from the record at the start of src
	// and zeroes the rest; n is the length of the whole record. Strings
	// it makes come from arena, which copies.
	DecodeHead(src []byte, v *T, arena *Arena) (n int, err error)
	// TrimHead zeroes all of v but its head, so that a head is the same
	// whether its page was in memory or not.
	TrimHead(v *T)
}

// Options size a Log.
type Options struct {
	// Dir holds the temporary file; "" means os.TempDir().
	Dir string
	// PageItems is the records per page; 0 means 4096.
	PageItems int
	// Resident is how many pages stay decoded in memory at a time; 0
	// means 16. Pages touched since the last Settle count too, so the
	// bound holds at Settle.
	Resident int
}

// Log is an append-only sequence of T in pages, kept within
// Options.Resident pages of memory by writing the others to a file. It is
// not safe for concurrent use, except Get and GetRun.
type Log[T any] struct {
	codec Codec[T]
	opt   Options
	pages []*page[T]
	n     int
	// resident counts pages with items in memory; tick orders their use.
	resident int
	most     int // the most pages resident at once
	tick     uint64
	f        *os.File
	name     string // "" once removed
	end      int64
	buf      []byte
	spare    [][]T
	// passRun and passBuf are a finished pass's heads and page buffer,
	// for the next pass (under mu): a report makes a dozen passes.
	passRun []T
	passBuf []byte
	// tail is the encoded records of the last page while Write fills it
	// (open); the page has neither items nor enc meanwhile.
	tail []byte
	open bool
	err  error
	mu   sync.Mutex
	zero T
}

type page[T any] struct {
	items []T // nil while only encoded
	// enc is the page encoded, held in memory rather than in the file
	// (Write); never written again, so records decoded from it may be
	// made of it (Arena.alias).
	enc   []byte
	arena Arena
	off   int64
	size  int // bytes on disk; -1: never written
	dirty bool
	used  uint64
}

// New makes an empty Log.
func New[T any](codec Codec[T], opt Options) *Log[T] {
	if opt.PageItems <= 0 {
		opt.PageItems = 4096
	}
	if opt.Resident <= 0 {
		opt.Resident = 16
	}
	if opt.Resident < 2 {
		opt.Resident = 2
	}
	return &Log[T]{codec: codec, opt: opt}
}

// Codec is the codec the Log was made with.
func (l *Log[T]) Codec() Codec[T] { return l.codec }

// Len is the number of records.
func (l *Log[T]) Len() int { return l.n }

// Err is the first error writing or reading the file. After one, records
// that could not be read read as zero values: the caller must not trust
// what it made from the log, and should report Err. Safe from several
// goroutines, as Get: a report checks it while another reads the log.
func (l *Log[T]) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// MostResident is the most pages that were in memory at once: more than
// Options.Resident by a page or two when a caller settles often enough.
func (l *Log[T]) MostResident() int { return l.most }

// Spilled reports whether any page has gone to the file.
func (l *Log[T]) Spilled() bool { return l.f != nil }

// Append adds v at the end and returns its index.
func (l *Log[T]) Append(v T) int {
	k := l.n / l.opt.PageItems
	if k == len(l.pages) {
		p := &page[T]{size: -1, items: l.newItems()}
		l.pages = append(l.pages, p)
		l.resident++
		l.most = max(l.most, l.resident)
	}
	p := l.load(k)
	p.items = append(p.items, v)
	p.dirty = true
	l.n++
	return l.n - 1
}

// Write appends v as Append does, but encodes it at once: nothing v
// points to is kept, so v's strings may lie in memory the caller uses
// again as soon as Write returns. It is for a log written front to back
// in one go, records the caller has no use for until the whole log is
// written: each page is written once, when full, rather than held as
// records and encoded when it leaves memory; the first Options.Resident
// pages stay in memory encoded (a fraction of their size as records),
// the others go to the file. Anything else may follow a Write, at the
// price of the last page's being taken whole.
func (l *Log[T]) Write(v *T) {
	l.openTail()
	l.tail = l.codec.Encode(l.tail, v)
	l.wrote()
}

// WriteEncoded is Write given the record's bytes as the Log's codec
// writes them: a record copied from a log whose codec writes alike.
func (l *Log[T]) WriteEncoded(rec []byte) {
	l.openTail()
	l.tail = append(l.tail, rec...)
	l.wrote()
}

// openTail makes the last page Write's.
func (l *Log[T]) openTail() {
	switch {
	case l.open:
	case l.n/l.opt.PageItems == len(l.pages):
		l.pages = append(l.pages, &page[T]{size: -1})
		l.open = true
	default:
		l.reopen()
	}
}

// wrote counts a record Write added, sealing its page when full.
func (l *Log[T]) wrote() {
	l.n++
	if l.n%l.opt.PageItems == 0 {
		l.seal()
	}
}

// seal ends Write's page: in memory while fewer than Options.Resident
// pages are, else in the file.
func (l *Log[T]) seal() {
	if !l.open {
		return
	}
	l.open = false
	p := l.pages[len(l.pages)-1]
	if l.resident < l.opt.Resident {
		p.enc = l.tail
		l.tail = make([]byte, 0, cap(p.enc))
		l.resident++
		l.most = max(l.most, l.resident)
		return
	}
	if !l.put(p, l.tail) {
		// Nowhere to put it: keep it in memory (Err says why).
		p.enc = l.tail
		l.tail = nil
		l.resident++
		l.most = max(l.most, l.resident)
		return
	}
	l.tail = l.tail[:0]
}

// reopen makes the last page, not full, Write's again.
func (l *Log[T]) reopen() {
	k := len(l.pages) - 1
	p := l.pages[k]
	var tail []byte
	switch {
	case p.items != nil:
		for i := range p.items {
			tail = l.codec.Encode(tail, &p.items[i])
		}
	case p.enc != nil:
		// A copy: records read from the page may be made of its bytes.
		tail = append(tail, p.enc...)
	default:
		if tail = l.readPage(p); tail == nil {
			// It could not be read back: its records read as zero, as
			// Read has them; the count stays right.
			for range l.n - k*l.opt.PageItems {
				tail = l.codec.Encode(tail, new(T))
			}
		}
	}
	if p.items != nil || p.enc != nil {
		l.resident--
	}
	// Any copy in the file is out of date once more records come.
	p.items, p.enc, p.arena, p.dirty, p.size = nil, nil, Arena{}, false, -1
	l.tail, l.open = tail, true
}

// At returns record i for reading and writing. The pointer is good until
// the next Settle: hold none across it.
func (l *Log[T]) At(i int) *T {
	p := l.load(i / l.opt.PageItems)
	j := i % l.opt.PageItems
	if j >= len(p.items) {
		// A page that could not be read back.
		l.zero = *new(T)
		return &l.zero
	}
	p.dirty = true
	return &p.items[j]
}

// Peek is At for reading only: the page stays clean. Write nothing
// through the pointer.
func (l *Log[T]) Peek(i int) *T {
	p := l.load(i / l.opt.PageItems)
	if j := i % l.opt.PageItems; j < len(p.items) {
		return &p.items[j]
	}
	l.zero = *new(T)
	return &l.zero
}

// Read returns a copy of record i, leaving its page clean.
func (l *Log[T]) Read(i int) T {
	p := l.load(i / l.opt.PageItems)
	if j := i % l.opt.PageItems; j < len(p.items) {
		return p.items[j]
	}
	return *new(T)
}

// Get is Read that may be called from several goroutines at once, and
// keeps the log within its bound itself: for a log no longer written.
func (l *Log[T]) Get(i int) T {
	l.mu.Lock()
	v := l.Read(i)
	l.Settle()
	l.mu.Unlock()
	return v
}

// GetRun copies into dst the records from i on, as many as fit and as
// its page holds, and returns how many: Get for a pass, a lock and a
// settle per run instead of per record. Safe from several goroutines.
func (l *Log[T]) GetRun(i int, dst []T) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if i < 0 || i >= l.n {
		return 0
	}
	p := l.load(i / l.opt.PageItems)
	j := i % l.opt.PageItems
	n := 0
	if j < len(p.items) {
		n = copy(dst, p.items[j:])
	} else {
		// A page that could not be read back: zero values, as Read.
		n = min(len(dst), l.opt.PageItems-j, l.n-i)
		clear(dst[:n])
	}
	l.Settle()
	return n
}

// Heads calls yield with the head of each record (HeadCodec) in order,
// until it returns false. v is good until yield returns. The Log's codec
// must be a HeadCodec. Safe from several goroutines, as Get: the lock is
// held only to look a page up, and yield is called without it, so it may
// call Get. Pages on disk are read into a buffer of the pass's own, not
// decoded whole, and do not displace the pages in memory.
func (l *Log[T]) Heads(yield func(i int, v *T) bool) { l.heads(false, -1, yield) }

// HeadsBackward is Heads from the last record to the first.
func (l *Log[T]) HeadsBackward(yield func(i int, v *T) bool) { l.heads(true, -1, yield) }

// HeadsBackwardFrom is HeadsBackward from record i (the last when i is
// past it) to the first: a pass that looks for the latest records before
// a time need not read those after it.
func (l *Log[T]) HeadsBackwardFrom(i int, yield func(i int, v *T) bool) {
	if i >= 0 {
		l.heads(true, i, yield)
	}
}

// heads is a pass over the heads; a backward one starts at record from,
// or at the last when from is -1.
func (l *Log[T]) heads(backward bool, from int, yield func(i int, v *T) bool) {
	hc := l.codec.(HeadCodec[T])
	part := Part[T]{Decode: hc.DecodeHead, Trim: hc.TrimHead}
	l.mu.Lock()
	run, buf := l.takePass()
	used := 0 // how much of run this pass wrote, and givePass clears
	defer func() { l.givePass(&run, &buf, used) }()
	pages := len(l.pages)
	if from >= 0 && from < l.n {
		pages = from/l.opt.PageItems + 1
	} else {
		from = -1
	}
	l.mu.Unlock()
	for step := 0; step < pages; step++ {
		k := step
		if backward {
			k = pages - 1 - step
		} else {
			done, ok := l.residentHeads(k, part, run[:cap(run)], &buf, yield)
			used = max(used, min(headChunk, cap(run)))
			if !ok {
				return
			}
			if done {
				continue
			}
			if !l.streamHeads(k, 0, part, run[:1], &buf, yield) {
				return
			}
			continue
		}
		run = l.headsOf(k, part, run[:0], &buf)
		used = max(used, len(run))
		base := k * l.opt.PageItems
		last := len(run) - 1
		if from >= 0 && step == 0 {
			last = from - base
		}
		for j := range last + 1 {
			if backward {
				j = last - j
			}
			if !yield(base+j, &run[j]) {
				return
			}
		}
	}
}

// headChunk is how many records of a page in memory a forward pass copies
// at a time. Copying the whole page (4096 records of 184 bytes for the
// attempts) into the pass's buffer wrote more than the L2 cache holds,
// and the pass then read every record back from memory: on 100 MB of
// signalling, 1.5 M of the run's 16 M misses past a 1 MB cache.
var headChunk = 64

// residentHeads is a forward pass over page k when it is in memory whole:
// its records are copied a chunk at a time into run (len at least 1),
// trimmed, and yielded. The lock is taken for each chunk, as a yield may
// call Get and so push this very page out of memory; the rest of it is
// then read back as other passes read a page on disk. done is false, and
// nothing yielded, when the page is not in memory: the caller reads it.
// ok is false when yield stopped the pass.
func (l *Log[T]) residentHeads(k int, part Part[T], run []T, buf *[]byte, yield func(i int, v *T) bool) (done, ok bool) {
	base := k * l.opt.PageItems
	chunk := run[:min(headChunk, len(run))]
	for j := 0; ; {
		m, in, end := l.residentChunk(k, j, part, chunk)
		switch {
		case end:
			return true, true
		case !in && j > 0:
			// Pushed out by a yield: the rest from the page as read
			// back, as any other pass reads it.
			return true, l.streamHeads(k, j, part, run[:1], buf, yield)
		case !in:
			return false, true
		}
		for i := range m {
			if !yield(base+j+i, &chunk[i]) {
				return true, false
			}
		}
		j += m
	}
}

// residentChunk copies into dst, trimmed to part, the records of page k
// from record j of the page on, as many as fit, when the page is in memory
// whole (in). end says that j is past the page's last record.
func (l *Log[T]) residentChunk(k, j int, part Part[T], dst []T) (m int, in, end bool) {
	l.mu.Lock()
	if l.open && k == len(l.pages)-1 {
		l.seal()
	}
	p := l.pages[k]
	n := min(l.opt.PageItems, l.n-k*l.opt.PageItems)
	if j >= n {
		l.mu.Unlock()
		return 0, true, true
	}
	if p.items == nil || len(p.items) != n {
		l.mu.Unlock()
		return 0, false, false
	}
	m = copy(dst[:min(len(dst), n-j)], p.items[j:n])
	l.mu.Unlock()
	for i := range m {
		part.Trim(&dst[i])
	}
	return m, true, false
}

// streamHeads yields the heads of page k from record j on, when the page
// is not in memory as records: decoded one at a time from its bytes into
// one (slot, of length 1), rather than all of them into a page of
// records first, which wrote and read back 754 KB a page for the attempts.
// It reports false when yield stopped the pass.
func (l *Log[T]) streamHeads(k, j int, part Part[T], slot []T, buf *[]byte, yield func(i int, v *T) bool) bool {
	base := k * l.opt.PageItems
	var run []T
	d, in := l.decoder(k, part, buf, &run)
	if in {
		// Back in memory since the caller looked (a Get beside the
		// pass): its records whole, into a run of their own.
		for ; j < len(run); j++ {
			if !yield(base+j, &run[j]) {
				return false
			}
		}
		return true
	}
	v := &slot[0]
	for d.j < d.n {
		i := d.j
		d.next(l, v)
		if i >= j && !yield(base+i, v) {
			return false
		}
	}
	return true
}

// pageDecoder decodes the records of a page's bytes one at a time: the
// page on disk, read into a pass's buffer, or held encoded (Write).
type pageDecoder[T any] struct {
	part Part[T]
	src  []byte
	// off is where in src the next record starts: moved on rather than
	// src cut, a store of a pointer with the collector's write barrier
	// for every record of every pass.
	off   int
	ok    bool // src is good: false after an error, when the rest read as zero
	k, j  int  // the page, and its record next reads
	n     int  // the page's records
	arena Arena
}

// decoder is a pageDecoder for page k. When the page is in memory as
// records instead, decoder appends them to records, trimmed to the part,
// and in is true. A page that cannot be read (Err) reads as zeroes.
func (l *Log[T]) decoder(k int, part Part[T], buf *[]byte, records *[]T) (d pageDecoder[T], in bool) {
	l.mu.Lock()
	if l.open && k == len(l.pages)-1 {
		l.seal()
	}
	p := l.pages[k]
	d = pageDecoder[T]{part: part, k: k, n: min(l.opt.PageItems, l.n-k*l.opt.PageItems), arena: Arena{alias: part.Alias}}
	if p.items != nil {
		start := len(*records)
		*records = append(*records, p.items...)
		l.mu.Unlock()
		run := (*records)[start:]
		for j := range run {
			part.Trim(&run[j])
		}
		// A page that could not be read back has no items: zeroes, as Read.
		for range d.n - len(run) {
			*records = append(*records, *new(T))
		}
		return d, true
	}
	f, off, size, enc, failed := l.f, p.off, p.size, p.enc, l.err != nil
	l.mu.Unlock()
	switch {
	case failed:
	case enc != nil:
		// Never written again, so the part's strings may be made of it
		// as of buf.
		d.src, d.ok = enc, true
	default:
		var err error
		d.src, err = readInto(f, buf, off, size)
		d.ok = err == nil
		if err != nil {
			l.fail(err)
		}
	}
	return d, false
}

// next decodes the page's next record into v (a zero value once the page
// failed to read) and moves on; d.j < d.n.
func (d *pageDecoder[T]) next(l *Log[T], v *T) {
	j := d.j
	d.j++
	if d.ok {
		m, err := d.part.Decode(d.src[d.off:], v, &d.arena)
		if err == nil {
			d.off += m
			return
		}
		d.ok = false
		l.fail(fmt.Errorf("spill: page %d record %d: %w", d.k, j, err))
	}
	*v = *new(T)
}

// fail notes err unless an error came first.
func (l *Log[T]) fail(err error) {
	l.mu.Lock()
	if l.err == nil {
		l.err = err
	}
	l.mu.Unlock()
}

// takePass returns the buffers of a pass (passRun), or new ones; l.mu
// is held.
func (l *Log[T]) takePass() ([]T, []byte) {
	run, buf := l.passRun, l.passBuf
	l.passRun, l.passBuf = nil, nil
	if run == nil {
		run = make([]T, 0, l.opt.PageItems)
	}
	return run[:0], buf
}

// givePass keeps a finished pass's buffers for the next, cleared of what
// they point to: no pointer into them may be left. The pass wrote only
// the first used records of run (the rest are clear from the pass before):
// clearing the whole of it wrote 754 KB of memory out of the cache each
// pass.
func (l *Log[T]) givePass(run *[]T, buf *[]byte, used int) {
	clear((*run)[:used])
	l.mu.Lock()
	if cap(*run) > cap(l.passRun) {
		l.passRun = (*run)[:0]
	}
	if cap(*buf) > cap(l.passBuf) {
		l.passBuf = (*buf)[:0]
	}
	l.mu.Unlock()
	*run, *buf = nil, nil
}

// HeadReader reads heads as Heads does, a record each time its caller
// asks rather than a whole pass at once: for a pass that moves through
// the log in step with something else (a window over the log that moves
// with a second sequence), so that it need not decode whole records to
// read their heads one by one.
//
// It reads a page's heads when it reaches the page (a page in memory, a
// chunk of them at a time), under the lock, and hands them out without
// it. So a record changed after the reader reached it may read as it was
// then: a caller may change records it has read, not ones ahead of it in
// the same page.
type HeadReader[T any] struct {
	l    *Log[T]
	part Part[T]
	run  []T // the heads of the page in memory being read
	base int // the index of run[0]
	i    int // the next record
	// buf is the page on disk being read, of this reader alone: the
	// part's strings may be made of it (Part.Alias).
	buf []byte
	// dec decodes the page on disk (or held encoded) being read, a
	// record at a time into run's first slot, while dec.j < dec.n.
	dec pageDecoder[T]
}

// Part is what a HeadReader reads of each record, when that is not the
// head of a HeadCodec: a pass may need a record's strings but not the
// rest of it.
type Part[T any] struct {
	// Decode is as HeadCodec.DecodeHead: it sets every field of v,
	// which holds the record read before.
	Decode func(src []byte, v *T, arena *Arena) (n int, err error)
	// Trim is as HeadCodec.TrimHead.
	Trim func(v *T)
	// Alias lets Decode's strings be made of the page's bytes, as read
	// from disk (Arena.String), rather than copies: they are good only
	// until Next reads another page, so the caller must keep none.
	Alias bool
}

// HeadsFrom is a HeadReader from record i on. The Log's codec must be a
// HeadCodec. Safe from several goroutines, as Get, each with its own
// reader.
func (l *Log[T]) HeadsFrom(i int) *HeadReader[T] {
	hc := l.codec.(HeadCodec[T])
	return l.PartsFrom(i, Part[T]{Decode: hc.DecodeHead, Trim: hc.TrimHead})
}

// PartsFrom is HeadsFrom reading part of each record rather than its head.
func (l *Log[T]) PartsFrom(i int, part Part[T]) *HeadReader[T] {
	return &HeadReader[T]{l: l, part: part, i: max(i, 0)}
}

// Next is the index and head of the next record, false past the last.
// The head is good until the next call; its strings too, with Part.Alias.
func (r *HeadReader[T]) Next() (int, *T, bool) {
	if r.dec.j < r.dec.n {
		return r.decode()
	}
	if j := r.i - r.base; j < len(r.run) {
		r.i++
		return r.i - 1, &r.run[j], true
	}
	l := r.l
	l.mu.Lock()
	n := l.n
	if r.i < n && r.run == nil {
		r.run, r.buf = l.takePass()
	}
	l.mu.Unlock()
	if r.i >= n {
		if r.run != nil {
			// Done: the last head is void now.
			l.givePass(&r.run, &r.buf, cap(r.run))
			r.base = r.i
		}
		return 0, nil, false
	}
	k := r.i / l.opt.PageItems
	base := k * l.opt.PageItems
	// A page in memory a chunk at a time, as Heads reads it; a caller
	// changes no record ahead of it in the page (above), so a chunk read
	// later reads as the page did when reached.
	if m, in, _ := l.residentChunk(k, r.i-base, r.part, r.run[:min(headChunk, cap(r.run))]); in && m > 0 {
		r.run, r.base = r.run[:m], r.i
		r.i++
		return r.i - 1, &r.run[0], true
	}
	r.run, r.base = r.run[:0], base
	dec, in := l.decoder(k, r.part, &r.buf, &r.run)
	if in {
		// Back in memory since residentChunk looked: whole, in run.
		r.i++
		return r.i - 1, &r.run[r.i-1-base], true
	}
	r.dec = dec
	// A reader that starts within the page reads past the records before.
	for r.dec.j < r.i-base {
		r.dec.next(l, &r.run[:1][0])
	}
	return r.decode()
}

// decode is Next from the page dec reads.
func (r *HeadReader[T]) decode() (int, *T, bool) {
	v := &r.run[:1][0]
	r.dec.next(r.l, v)
	r.i++
	return r.i - 1, v, true
}

// PageItems is the number of records a page holds.
func (l *Log[T]) PageItems() int { return l.opt.PageItems }

// Resident is the number of pages kept in memory (Options.Resident).
func (l *Log[T]) Resident() int { return l.opt.Resident }

// PartsOf appends to dst the part of each record of page k (the records
// from k*PageItems on), reading a page on disk into buf, which the part's
// strings may be made of (Part.Alias): for a reader that keeps a few
// pages of parts of its own, as a HeadReader keeps one. It decodes only
// the part, puts no page in memory, and is safe from several goroutines,
// as Heads.
func (l *Log[T]) PartsOf(k int, part Part[T], dst []T, buf *[]byte) []T {
	return l.headsOf(k, part, dst, buf)
}

// headsOf appends to dst the part of each record of page k, reading a
// page on disk into buf. It holds the lock only to look the page up (and
// to copy its records when it is in memory) and to note an error: the
// reading and decoding, most of a pass's time, run beside other passes'
// (cmd/ceiling cuts the evidence while the HTML report's charts read the
// same attempts). A page on disk stays where it is while the log is read
// and not written, which is when passes may run side by side.
func (l *Log[T]) headsOf(k int, part Part[T], dst []T, buf *[]byte) []T {
	d, in := l.decoder(k, part, buf, &dst)
	if in {
		return dst
	}
	// The page's records at once, each decoded where it lies: appended
	// one at a time, each was a zero record written before the decoder
	// wrote it again. next sets every field.
	start := len(dst)
	dst = slices.Grow(dst, d.n-d.j)[:start+d.n-d.j]
	for i := start; d.j < d.n; i++ {
		d.next(l, &dst[i])
	}
	return dst
}

// readInto reads size bytes at off of f into *buf, made larger if need be.
func readInto(f *os.File, buf *[]byte, off int64, size int) ([]byte, error) {
	if cap(*buf) < size {
		// With room to spare: the pages of a pass differ in size by a
		// few percent, and one a little larger than the last would
		// otherwise take a new buffer each time.
		*buf = make([]byte, size+size/4)
	}
	src := (*buf)[:size]
	if _, err := f.ReadAt(src, off); err != nil {
		return nil, fmt.Errorf("spill: reading %d bytes at %d of %s: %w", size, off, f.Name(), err)
	}
	return src, nil
}

// Settle writes the least recently used pages to the file until at most
// Options.Resident are in memory. Every pointer At gave is void after it.
func (l *Log[T]) Settle() {
	for l.resident > l.opt.Resident && l.evictOne() {
	}
}

func (l *Log[T]) evictOne() bool {
	var victim *page[T]
	last := len(l.pages) - 1
	for k, p := range l.pages {
		// The last page is where Append writes: it stays.
		if (p.items == nil && p.enc == nil) || k == last {
			continue
		}
		if victim == nil || p.used < victim.used {
			victim = p
		}
	}
	if victim == nil {
		return false
	}
	if victim.size < 0 && !victim.dirty && victim.enc != nil {
		if !l.put(victim, victim.enc) {
			l.opt.Resident = len(l.pages) + 1
			return false
		}
	} else if victim.dirty || victim.size < 0 {
		if !l.write(victim) {
			// Nowhere to put it: keep it, and every page after it, in
			// memory rather than lose records (Err says why).
			l.opt.Resident = len(l.pages) + 1
			return false
		}
	}
	if len(l.spare) < 2 && victim.items != nil {
		// Kept for the next page read: a pass over the log trades one
		// page for another.
		clear(victim.items)
		l.spare = append(l.spare, victim.items[:0])
	}
	victim.items, victim.enc, victim.arena = nil, nil, Arena{}
	l.resident--
	return true
}

func (l *Log[T]) write(p *page[T]) bool {
	buf := l.buf[:0]
	for i := range p.items {
		buf = l.codec.Encode(buf, &p.items[i])
	}
	l.buf = buf
	return l.put(p, buf)
}

// put writes page p's bytes to the file: where it was when they fit, else
// at the end.
func (l *Log[T]) put(p *page[T], buf []byte) bool {
	if l.err != nil {
		return false
	}
	if l.f == nil {
		f, err := os.CreateTemp(l.opt.Dir, "ceiling-spill-*")
		if err != nil {
			l.err = fmt.Errorf("spill: %w", err)
			return false
		}
		l.f, l.name = f, f.Name()
		// Gone from the directory at once where the system allows it:
		// nothing is left behind if the process dies.
		if os.Remove(l.name) == nil {
			l.name = ""
		}
	}
	off := l.end
	if p.size >= len(buf) {
		off = p.off // rewritten where it was, when it fits
	}
	if _, err := l.f.WriteAt(buf, off); err != nil {
		l.err = fmt.Errorf("spill: writing %d bytes at %d of %s: %w", len(buf), off, l.f.Name(), err)
		return false
	}
	if off == l.end {
		l.end += int64(len(buf))
	}
	p.off, p.size, p.dirty = off, len(buf), false
	return true
}

// readPage reads page p from the file into bytes of its own (nil after an
// error, which it notes).
func (l *Log[T]) readPage(p *page[T]) []byte {
	if l.err != nil || p.size < 0 {
		return nil
	}
	src := make([]byte, p.size)
	if _, err := l.f.ReadAt(src, p.off); err != nil {
		l.err = fmt.Errorf("spill: reading %d bytes at %d of %s: %w", p.size, p.off, l.f.Name(), err)
		return nil
	}
	return src
}

func (l *Log[T]) load(k int) *page[T] {
	if l.open && k == len(l.pages)-1 {
		l.seal()
	}
	p := l.pages[k]
	l.tick++
	p.used = l.tick
	if p.items != nil {
		return p
	}
	items := l.newItems()
	if p.enc == nil {
		l.resident++
		l.most = max(l.most, l.resident)
	}
	n := l.opt.PageItems
	if k == len(l.pages)-1 {
		n = l.n - k*l.opt.PageItems
	}
	// A page is read into bytes of its own, never written again: the
	// records' strings are those bytes (Arena.alias), not copies. So is
	// one held encoded (Write).
	src := p.enc
	if src == nil {
		src = l.readPage(p)
	}
	p.arena = Arena{alias: true}
	for i := 0; i < n && l.err == nil; i++ {
		items = append(items, *new(T))
		m, err := l.codec.Decode(src, &items[i], &p.arena)
		if err != nil {
			l.err = fmt.Errorf("spill: page %d record %d: %w", k, i, err)
			break
		}
		src = src[m:]
	}
	if l.err != nil {
		// Keep the count right for Append; the records read as zero.
		items = items[:0]
		for len(items) < n {
			items = append(items, *new(T))
		}
	}
	p.items = items
	return p
}

func (l *Log[T]) newItems() []T {
	if k := len(l.spare); k > 0 {
		s := l.spare[k-1]
		l.spare = l.spare[:k-1]
		return s
	}
	return make([]T, 0, l.opt.PageItems)
}

// Close lets go of the file and of the records; the log is empty after.
func (l *Log[T]) Close() error {
	var err error
	if l.f != nil {
		err = l.f.Close()
		if l.name != "" {
			err = errors.Join(err, os.Remove(l.name))
		}
	}
	l.f, l.name, l.pages, l.n, l.resident, l.spare = nil, "", nil, 0, 0, nil
	l.tail, l.open = nil, false
	return err
}

// Arena hands out string storage for a page's records, one block per
// page instead of an allocation per string; or, for a page read from the
// file, the bytes read themselves (alias). Strings made from it keep
// their block alive: clone them if they are kept beyond the record.
type Arena struct {
	block []byte
	alias bool
}

// Clone copies s into the arena.
func (a *Arena) Clone(s string) string {
	if len(s) == 0 {
		return ""
	}
	return a.copy(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// String copies b into the arena and returns it as a string; b itself
// when the arena aliases bytes that are never written again.
func (a *Arena) String(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if a.alias {
		return unsafeString(b[:len(b):len(b)])
	}
	return a.copy(b)
}

func (a *Arena) copy(b []byte) string {
	if cap(a.block)-len(a.block) < len(b) {
		a.block = make([]byte, 0, max(32<<10, len(b)))
	}
	start := len(a.block)
	a.block = append(a.block, b...)
	return unsafeString(a.block[start:len(a.block):len(a.block)])
}

func unsafeString(b []byte) string { return unsafe.String(&b[0], len(b)) }
