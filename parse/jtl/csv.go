package jtl

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"unsafe"

	"github.com/ceiling-dev/ceiling/parse"
)

var utf8BOM = []byte{0xef, 0xbb, 0xbf}

// csvReader reads a CSV JTL: header (or a known column set), rows, and
// the hand-rolled splitter of split.go underneath.
type csvReader struct {
	name string // for problem reports
	host string // fallback Host: the file's base name
	opts Options
	ids  idNames
	br   *bufio.Reader
	sc   *recordScanner

	started bool
	cols    []column
	ncols   int
	names   []string // column names, for Vars
	nvars   int
	// stock is set when the columns are DefaultColumns and then only
	// variables: fillStock reads the rows. noStock keeps it unset, for
	// tests that compare the two.
	stock, noStock bool
	callVar        []bool // per column: a variable holding the Call-ID
	trcVar         []bool // per column: a variable holding a trace ID
	idCols         []int  // the variables' columns that hold an ID

	custom    *dateFormat   // Options.TimestampFormat
	fallbacks []*dateFormat // JMeter's fallback formats, tried in order
	found     *dateFormat   // the fallback that matched, kept for later rows

	order reorder
	fam   family

	label, code, msg, dtype, failMsg, url, hostname, vars *interner
	// idVars interns the variables that hold a Call-ID or a trace ID:
	// unique values, which correlation keeps; apart from the other
	// variables, whose values it does not (see interner.unique).
	idVars *interner
	// threads holds per thread name the interned name, the host its
	// prefix names and its family stack: one map lookup per row for all
	// three.
	threads    map[string]*threadState
	lastThread *threadState
	// threadCache is a direct-mapped cache, indexed by the top bits of
	// quickHash, in front of threads: a test has thousands of threads,
	// and their rows interleave.
	threadCache [1 << threadBits]*threadState
	// runs holds stock rows' label, responseCode and responseMessage by
	// the bytes of the three.
	runs runMemo

	// varBuf is where rows' Vars are cut from: one allocation per few
	// thousand rows rather than one per row.
	varBuf []Var

	// out holds the slots of samples taken out of the window and not yet
	// returned by Next, from outPos on.
	out     []int32
	outPos  int
	touched int64 // keeps the loads of Next's touching from being dropped

	stats Stats
	rows  int64 // data records seen, blank lines excluded
	eof   bool
	err   error
}

// urlLimit is the URL interner's: URLs with an id in the query run to
// thousands of values, each repeated; past the limit, every row of one
// would be an allocation, and correlation's memo (which keys on the
// string) would miss.
const urlLimit = 1 << 14

// NewCSVReader reads a CSV JTL from r. name is the path as the user gave
// it; problems name it, and its base name is the Host of samples that say
// nothing of their load generator.
func NewCSVReader(r io.Reader, name string, opts Options) (Reader, error) {
	cr := &csvReader{
		name:     name,
		host:     filepath.Base(name),
		opts:     opts,
		ids:      newIDNames(&opts),
		order:    newReorder(opts.Window),
		label:    newInterner(4096),
		code:     newInterner(1024),
		msg:      newInterner(4096),
		dtype:    newInterner(64),
		failMsg:  newInterner(1024),
		url:      newInterner(urlLimit),
		hostname: newInterner(1024),
		vars:     newInterner(4096),
		idVars:   newInterner(4096),
		threads:  make(map[string]*threadState),
	}
	if opts.TimestampFormat != "" {
		f, err := compileDateFormat(opts.TimestampFormat, opts.Location)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		cr.custom = f
		cr.stats.TimestampFormat = opts.TimestampFormat
	}
	for _, p := range fallbackFormats {
		if f, err := compileDateFormat(p, opts.Location); err == nil {
			cr.fallbacks = append(cr.fallbacks, f)
		}
	}
	if br, ok := r.(*bufio.Reader); ok && br.Size() >= 64<<10 {
		cr.br = br
	} else {
		cr.br = bufio.NewReaderSize(r, 256<<10)
	}
	cr.sc = newRecordScanner(cr.br)
	return cr, nil
}

func (r *csvReader) Stats() Stats {
	s := r.stats
	s.OutOfOrder = r.order.outOfOrder
	return s
}

// outBatch is how many samples Next takes out of the window at a time.
const outBatch = 16

// Next reads on until a batch of samples has left the window, and hands
// them out one per call. The samples leave the window exactly when they
// would one at a time (the steps of reading and taking out interleave
// the same way), so the order is the same; only their copying out is
// gathered. A sample leaves the window a window's worth of rows after it
// came in, long out of the cache: taken one at a time, the first load
// from each stalled on memory, some 15% of the reader. Touching a batch
// of them back to back lets their cache misses overlap.
func (r *csvReader) Next() (Sample, error) {
	if r.outPos == len(r.out) && !r.takeOut() {
		return Sample{}, r.end()
	}
	return *r.pop(), nil
}

// Read copies each sample once, from the window straight into dst: Next's
// result, returned through the Reader interface and then stored by its
// caller, was copied three times, some 8% of a JTL's whole analysis.
func (r *csvReader) Read(dst []Sample) (int, error) {
	for n := range dst {
		if r.outPos == len(r.out) && !r.takeOut() {
			return n, r.end()
		}
		dst[n] = *r.pop()
	}
	return len(dst), nil
}

// takeOut reads on until a batch of samples has left the window (see
// Next), or the input is over; false when no sample is left.
func (r *csvReader) takeOut() bool {
	r.out, r.outPos = r.out[:0], 0
	for len(r.out) < outBatch {
		if r.order.ready(r.eof) {
			r.out = append(r.out, r.order.take())
			continue
		}
		if r.eof {
			break
		}
		r.step()
	}
	var sum int64
	for _, slot := range r.out {
		s := r.order.at(slot)
		// One load per cache line of the sample, results unused.
		sum += s.Start + int64(len(s.DataType)) + s.Bytes + int64(s.ErrorCount) + int64(s.File)
	}
	r.touched = sum
	return len(r.out) > 0
}

// end is what Next returns once no sample is left.
func (r *csvReader) end() error {
	if r.err != nil {
		return r.err
	}
	return io.EOF
}

// pop hands out the next sample taken out, valid until the next takeOut.
func (r *csvReader) pop() *Sample {
	slot := r.out[r.outPos]
	r.outPos++
	s := r.order.at(slot)
	r.stats.Records++
	if s.Counts() {
		r.stats.Counted++
	}
	// Released first: the slot's sample stays as it is until an alloc,
	// and the result is then copied once, straight from the slot.
	r.order.release(slot)
	return s
}

// step reads one record and turns it into a held sample, a skip, or the
// end of input.
func (r *csvReader) step() {
	if !r.started {
		r.started = true
		if err := r.start(); err != nil {
			r.fail(err)
			return
		}
		if r.eof {
			return
		}
	}
	err := r.sc.next()
	if err == io.EOF {
		r.eof = true
		return
	}
	if err != nil {
		r.fail(err)
		return
	}
	r.record()
}

func (r *csvReader) fail(err error) {
	r.eof = true
	r.err = fmt.Errorf("%s: %w", r.name, err)
}

// start skips a BOM, finds the delimiter and reads the header if there is
// one. JMeter itself only tries the default delimiter and then a regular
// expression over the header; looking at the data instead also works for
// header-less files.
func (r *csvReader) start() error {
	if b, _ := r.br.Peek(3); bytes.Equal(b, utf8BOM) {
		r.br.Discard(3)
		r.sc.offset = 3
	}
	head, err := r.br.Peek(r.br.Size())
	if len(head) == 0 {
		if err != nil && err != io.EOF {
			return err
		}
		r.eof = true
		return nil
	}
	// The first line that is not blank decides; blank lines before a
	// header happen when files are concatenated by hand.
	var first []byte
	for len(head) > 0 && len(first) == 0 {
		line := head
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			line, head = head[:i], head[i+1:]
		} else {
			head = nil
		}
		first = bytes.TrimSpace(line)
	}
	delim, isHeader := detectDelimiter(first, r.expectedColumns())
	r.sc.delim = delim
	r.stats.Delimiter = rune(delim)
	var names []string
	if isHeader {
		for {
			if err := r.sc.next(); err != nil && err != io.EOF {
				return err
			}
			if sc := r.sc; !(sc.nfields() == 1 && len(sc.field(0)) == 0) || sc.noNewline {
				break
			}
		}
		for i := range r.sc.nfields() {
			names = append(names, strings.TrimSpace(string(r.sc.field(i))))
		}
	} else {
		r.stats.HeaderLess = true
		names = r.expectedColumns()
	}
	r.setColumns(names)
	return nil
}

func (r *csvReader) expectedColumns() []string {
	if r.opts.Columns != nil {
		return r.opts.Columns
	}
	return DefaultColumns
}

func (r *csvReader) setColumns(names []string) {
	r.names = names
	r.ncols = len(names)
	r.cols = make([]column, len(names))
	r.callVar = make([]bool, len(names))
	r.trcVar = make([]bool, len(names))
	for i, n := range names {
		c := lookupColumn(n)
		r.cols[i] = c
		switch c {
		case colVar:
			r.nvars++
			r.callVar[i] = r.ids.isCallID(n)
			r.trcVar[i] = !r.callVar[i] && r.ids.isTrace(n)
			if r.callVar[i] || r.trcVar[i] {
				r.idCols = append(r.idCols, i)
			}
		case colTimeStamp:
			r.fam.timed = true
		}
	}
	r.stock = !r.noStock && len(names) >= stockCols
	for i, c := range r.cols {
		if i < stockCols && c != lookupColumn(DefaultColumns[i]) || i >= stockCols && c != colVar {
			r.stock = false
		}
	}
	r.stats.Columns = names
}

// detectDelimiter picks the delimiter of a JTL from its first line. For a
// header, the candidate that splits it into the most known column names
// wins. For a data row, the candidate that gives the expected column count
// wins, else the most frequent one outside quotes, else a comma.
func detectDelimiter(line []byte, expected []string) (delim byte, header bool) {
	cands := []byte{',', ';', '\t', '|'}
	bestKnown, best := 0, byte(',')
	for _, d := range cands {
		known := 0
		for _, f := range bytes.Split(line, []byte{d}) {
			f = bytes.Trim(bytes.TrimSpace(f), `"`)
			if lookupColumn(string(f)) != colVar {
				known++
			}
		}
		if known > bestKnown {
			bestKnown, best = known, d
		}
	}
	if bestKnown > 0 && !(len(line) > 0 && isDigit(line[0])) {
		return best, true
	}
	counts := make([]int, len(cands))
	inQuote := false
	for _, c := range line {
		if c == '"' {
			inQuote = !inQuote
			continue
		}
		if inQuote {
			continue
		}
		for i, d := range cands {
			if c == d {
				counts[i]++
			}
		}
	}
	for i, d := range cands {
		if counts[i]+1 == len(expected) {
			return d, false
		}
	}
	most := 0
	for i, d := range cands {
		if counts[i] > most {
			most, best = counts[i], d
		}
	}
	if most == 0 {
		best = ','
	}
	return best, false
}

func (r *csvReader) problem(key, reason string) {
	r.stats.Skipped++
	if r.opts.Problems != nil {
		r.opts.Problems.Add(key, parse.Problem{
			File: r.name, Line: r.sc.recLine, Offset: r.sc.recOffset, Reason: reason,
		})
	}
}

// quoteField shows a field in a problem report, cut short: a report names
// the damage, it does not reproduce it.
func quoteField(b []byte) string {
	if len(b) > 40 {
		return fmt.Sprintf("%q…", b[:40])
	}
	return fmt.Sprintf("%q", b)
}

// record turns the scanner's current record into a sample.
func (r *csvReader) record() {
	sc := r.sc
	if sc.tooLong {
		r.rows++
		r.problem("record too long", fmt.Sprintf("record longer than %d bytes (a quote never closed?); skipped", maxRecord))
		return
	}
	nf := sc.nfields()
	if nf == 1 && len(sc.field(0)) == 0 && !sc.eofInQuote {
		return // a blank line carries nothing
	}
	r.rows++
	if sc.eofInQuote {
		r.stats.Truncated = true
		r.problem("truncated row", "file ends inside a quoted field; last row skipped")
		return
	}
	if nf != r.ncols {
		if sc.noNewline && nf < r.ncols {
			r.stats.Truncated = true
			r.problem("truncated row", fmt.Sprintf("file ends in the middle of a row (%d of %d columns); last row skipped", nf, r.ncols))
			return
		}
		r.problem("wrong column count", fmt.Sprintf("%d columns, want %d (%s); row skipped", nf, r.ncols, r.columnsDesc()))
		return
	}
	slot, sp := r.order.alloc()
	var ok bool
	if r.stock {
		ok = r.fillStock(sp, sc.rec, sc.ends)
	} else {
		ok = r.fill(sp, sc.rec, sc.ends)
	}
	if !ok {
		r.order.discard(slot)
		return
	}
	r.order.commit(slot, r.order.nextSeq())
}

// fill converts the fields of a record (rec and ends as in recordScanner,
// as many as there are columns) into s; false when the row has to be
// skipped (reported already).
func (r *csvReader) fill(s *Sample, rec []byte, ends []int32) bool {
	var ts int64
	var th *threadState
	if r.nvars > 0 && r.opts.Vars {
		s.Vars = r.takeVars()
	}
	cols := r.cols[:len(ends)]
	start := 0
	for i, end := range ends {
		b := rec[start:end]
		start = int(end) + 1
		var ok bool
		switch cols[i] {
		case colTimeStamp:
			// Epoch milliseconds, thirteen digits, as nearly every file
			// has them: read here rather than through two calls.
			if r.custom == nil {
				ts, ok = epochMillis(b)
			}
			if !ok {
				ts, ok = r.parseTime(b)
			}
			if !ok {
				r.problem("bad timestamp", "timeStamp "+quoteField(b)+" is neither epoch milliseconds nor "+r.timeFormats()+"; row skipped")
				return false
			}
		case colElapsed:
			if s.Elapsed, ok = shortInt(b); !ok {
				s.Elapsed, ok = parseInt(b)
			}
			if !ok {
				r.problem("bad elapsed", "elapsed "+quoteField(b)+" is not a number; row skipped")
				return false
			}
		case colLabel:
			s.Label = r.label.get(b)
		case colResponseCode:
			s.Code = r.code.get(b)
		case colResponseMessage:
			s.Message = r.msg.get(b)
		case colThreadName:
			th = r.threadState(b)
			s.Thread = th.name
		case colDataType:
			s.DataType = r.dtype.get(b)
		case colSuccess:
			// Boolean.valueOf: "true" in any case, anything else is false.
			s.Success = len(b) == 4 && (b[0]|0x20) == 't' && (b[1]|0x20) == 'r' && (b[2]|0x20) == 'u' && (b[3]|0x20) == 'e'
		case colFailureMessage:
			s.FailureMessage = r.failMsg.get(b)
		case colURL:
			if string(b) != "null" {
				s.URL = r.url.get(b)
			}
		case colHostname:
			s.Host = r.hostname.get(b)
		case colFilename, colEncoding:
			// not needed downstream
		case colVar:
			if r.opts.Vars {
				s.Vars = append(s.Vars, r.readVar(s, i, b))
			} else if r.callVar[i] || r.trcVar[i] {
				r.readID(s, i, b)
			}
		default:
			n, ok := shortInt(b)
			if !ok {
				n, ok = parseInt(b)
			}
			if !ok && len(b) > 0 {
				r.problem("bad number", columnNames[cols[i]]+" "+quoteField(b)+" is not a number; row skipped")
				return false
			}
			switch cols[i] {
			case colBytes:
				s.Bytes = n
			case colSentBytes:
				s.SentBytes = n
			case colGrpThreads:
				s.GrpThreads = int(n)
			case colAllThreads:
				s.AllThreads = int(n)
			case colLatency:
				s.Latency = n
			case colSampleCount:
				s.SampleCount = int(n)
			case colErrorCount:
				s.ErrorCount = int(n)
			case colIdleTime:
				s.Idle = n
			case colConnect:
				s.Connect = n
			}
		}
	}
	r.finish(s, ts, th)
	return true
}

// finish completes a sample whose fields are read: ts is its timeStamp,
// th its thread's state, nil when the file has no threadName column.
func (r *csvReader) finish(s *Sample, ts int64, th *threadState) {
	s.Start = ts
	if r.opts.TimestampAtEnd {
		s.Start = ts - s.Elapsed
	}
	if th == nil {
		th = r.threadState(nil)
	}
	if s.Host == "" {
		s.Host = th.host
	}
	s.File = r.opts.FileIndex
	s.Line = r.sc.recLine
	if len(th.stack) <= 1 && cap(th.stack) > len(th.inline) {
		// Back to inline once a deeper stack (a transaction around
		// sub-results) has unwound.
		th.stack = append(th.inline[:0], th.stack...)
	}
	r.fam.classify(s, &th.stack)
}

// stockCols is len(DefaultColumns).
const stockCols = 17

// fillStock is fill for a file whose columns are JMeter's default ones in
// its order (DefaultColumns), sample variables after them: what stock
// JMeter writes. Knowing which field is which, it reads them in straight
// code; fill's loop over the fields, a switch per field, kept its state
// through every call it made (and reloaded it after), which cost more
// than most fields' reading. Numbers come first: a field that is not
// plain digits (a sign, an empty or a bad value, a formatted timestamp)
// leaves the whole row to fill, which reports what is wrong, before
// anything has been interned.
func (r *csvReader) fillStock(s *Sample, rec []byte, ends []int32) bool {
	e := (*[stockCols]int32)(ends)
	b := rec[:e[0]]
	var ts int64
	ok := r.custom == nil
	if ok {
		ts, ok = epochMillis(b)
	}
	// A field refused here leaves the row to fill, from the start.
	if !ok {
		return r.refill(s, rec, ends)
	}
	if s.Elapsed, ok = shortInt(rec[e[0]+1 : e[1]]); !ok {
		return r.refill(s, rec, ends)
	}
	if s.Bytes, ok = shortInt(rec[e[8]+1 : e[9]]); !ok {
		return r.refill(s, rec, ends)
	}
	if s.SentBytes, ok = shortInt(rec[e[9]+1 : e[10]]); !ok {
		return r.refill(s, rec, ends)
	}
	n, ok := shortInt(rec[e[10]+1 : e[11]])
	if !ok {
		return r.refill(s, rec, ends)
	}
	s.GrpThreads = int(n)
	if n, ok = shortInt(rec[e[11]+1 : e[12]]); !ok {
		return r.refill(s, rec, ends)
	}
	s.AllThreads = int(n)
	if s.Latency, ok = shortInt(rec[e[13]+1 : e[14]]); !ok {
		return r.refill(s, rec, ends)
	}
	if s.Idle, ok = shortInt(rec[e[14]+1 : e[15]]); !ok {
		return r.refill(s, rec, ends)
	}
	if s.Connect, ok = shortInt(rec[e[15]+1 : e[16]]); !ok {
		return r.refill(s, rec, ends)
	}
	b = rec[e[6]+1 : e[7]]
	// Boolean.valueOf: "true" in any case, anything else is false.
	s.Success = len(b) == 4 && (b[0]|0x20) == 't' && (b[1]|0x20) == 'r' && (b[2]|0x20) == 'u' && (b[3]|0x20) == 'e'

	// Three columns in one look-up (runMemo), in the lines their calls
	// had: cmd/ceiling/default.pgo names the calls after by their offset.
	s.Label, s.Code, s.Message = r.heads(rec, e)
	th := r.threadState(rec[e[4]+1 : e[5]])
	s.Thread = th.name
	s.DataType = r.dtype.get(rec[e[5]+1 : e[6]])
	s.FailureMessage = r.failMsg.get(rec[e[7]+1 : e[8]])
	if b := rec[e[12]+1 : e[13]]; string(b) != "null" {
		s.URL = r.url.get(b)
	}
	if r.opts.Vars {
		r.fillVars(s, rec, ends)
	} else {
		r.fillIDs(s, rec, ends)
	}
	r.finish(s, ts, th)
	return true
}

// heads is the label, responseCode and responseMessage of a stock row,
// its fields' ends e, as their interners have them: from runs when the
// three fields' bytes are there.
func (r *csvReader) heads(rec []byte, e *[stockCols]int32) (label, code, msg string) {
	run := rec[e[1]+1 : e[4]]
	h := runHash(rec, e)
	m := &r.runs.recent[h>>(64-runBits)]
	if m.hash == h && m.run == string(run) {
		// Counted as the interners' finds: a column whose values repeat
		// must not look to its interner like one of unique values.
		r.label.hits++
		r.code.hits++
		r.msg.hits++
		return m.vals[0], m.vals[1], m.vals[2]
	}
	label, code, msg = r.label.get(rec[e[1]+1:e[2]]), r.code.get(rec[e[2]+1:e[3]]), r.msg.get(rec[e[3]+1:e[4]])
	r.runs.keep(m, run, h, [3]string{label, code, msg}, r.rows)
	return label, code, msg
}

// runHash mixes the run's length with the last eight bytes of a stock
// row's label and of its responseMessage (eight bytes before a field's
// end are in the row after its timestamp): where runs differ. The ends
// of the run alone (quickHash) are one and the same for "SIP call
// udp,503,Service Unavailable" and its tcp twin.
func runHash(rec []byte, e *[stockCols]int32) uint64 {
	label := binary.LittleEndian.Uint64(rec[e[2]-8 : e[2]])
	msg := binary.LittleEndian.Uint64(rec[e[4]-8 : e[4]])
	return mixEnds(label, msg, int(e[4]-e[1]))
}

// refill is fill for a row fillStock has begun and cannot finish: it
// has set numbers only, and interned nothing. Not inlined: it is the rare
// way out, taken from every number of fillStock.
//
//go:noinline
func (r *csvReader) refill(s *Sample, rec []byte, ends []int32) bool {
	*s = Sample{}
	return r.fill(s, rec, ends)
}

// fillVars reads the sample variables that follow the default columns,
// as fill does.
func (r *csvReader) fillVars(s *Sample, rec []byte, ends []int32) {
	vars := r.takeVars()[:r.nvars]
	s.Vars = vars
	start := int(ends[stockCols-1]) + 1
	for k := range vars {
		i := stockCols + k
		end := int(ends[i])
		vars[k] = r.readVar(s, i, rec[start:end])
		start = end + 1
	}
}

// fillIDs is fillVars without Vars: the IDs alone. Most rows leave one
// of their ID columns empty, which costs no call.
func (r *csvReader) fillIDs(s *Sample, rec []byte, ends []int32) {
	for _, i := range r.idCols {
		// An empty field is told by its ends: cutting it first cost
		// three bounds checks a column.
		if lo, hi := ends[i-1]+1, ends[i]; hi > lo {
			r.noteID(s, i, r.idVars.get(rec[lo:hi]))
		}
	}
}

// takeVars is room for a row's variables (none yet, room for all), in a
// block shared with the rows after it.
func (r *csvReader) takeVars() []Var {
	if cap(r.varBuf)-len(r.varBuf) < r.nvars {
		r.varBuf = make([]Var, 0, max(4096, r.nvars))
	}
	n := len(r.varBuf)
	r.varBuf = r.varBuf[:n+r.nvars]
	return r.varBuf[n : n : n+r.nvars]
}

// readVar is variable column i's value b, which is also the sample's
// Call-ID or trace ID when the column holds one (readID). fill and
// fillVars read IDs through readID, fillIDs through the noteID it ends in,
// so that all three read them alike; the call costs fillVars about 1% of
// the reader's instructions.
func (r *csvReader) readVar(s *Sample, i int, b []byte) Var {
	if len(b) == 0 {
		// Nothing to intern, no ID: the variable's name alone.
		return Var{Name: r.names[i]}
	}
	if r.callVar[i] || r.trcVar[i] {
		return Var{Name: r.names[i], Value: r.readID(s, i, b)}
	}
	return Var{Name: r.names[i], Value: r.vars.get(b)}
}

// readID is ID column i's value b, interned, which is also the sample's
// Call-ID or trace ID when it has none yet ("null" is JMeter's unset
// variable, not an ID).
func (r *csvReader) readID(s *Sample, i int, b []byte) string {
	if len(b) == 0 {
		return ""
	}
	v := r.idVars.get(b)
	r.noteID(s, i, v)
	return v
}

// noteID makes v, ID column i's value, the sample's Call-ID or trace ID
// when it has none yet.
func (r *csvReader) noteID(s *Sample, i int, v string) {
	if v == "null" {
		return
	}
	if r.callVar[i] && s.CallID == "" {
		s.CallID = v
	} else if r.trcVar[i] && s.TraceID == "" {
		s.TraceID = v
	}
}

func (r *csvReader) columnsDesc() string {
	if r.stats.HeaderLess {
		if r.opts.Columns != nil {
			return "the columns given in Options.Columns"
		}
		return "no header: JMeter's default columns assumed; give the file's columns to read it"
	}
	return "as the header says"
}

func (r *csvReader) timeFormats() string {
	if r.custom != nil {
		return "in format " + r.custom.pattern
	}
	return "a date in one of JMeter's fallback formats"
}

const threadBits = 13

type threadState struct {
	name string
	host string // from the distributed-mode prefix, else the file's
	// text holds name when it fits: comparing a row's thread name with
	// it then costs no cache miss beyond the state's own, which the row
	// needs anyway.
	text  [32]byte
	stack []famEntry
	// inline backs stack while it is at most two deep, as it nearly
	// always is (a row pops its predecessor unless it is its child): in
	// the thread's own allocation, next to name and host, a row's look at
	// its thread's last row costs no cache miss of its own. A thread's
	// rows are some thousand rows apart on a test of thousands of threads.
	inline [2]famEntry
}

// threadState finds or makes the state of a thread name. Consecutive rows
// often come from one thread (a parent and its sub-results), hence the
// check of the last one first.
func (r *csvReader) threadState(b []byte) *threadState {
	if t := r.lastThread; t != nil && t.name == string(b) {
		return t
	}
	slot := &r.threadCache[quickHash(b)>>(64-threadBits)]
	if t := *slot; t != nil && t.name == string(b) {
		r.lastThread = t
		return t
	}
	t, ok := r.threads[string(b)]
	if ok {
		*slot = t
	} else {
		t = &threadState{}
		name := string(b)
		if len(b) <= len(t.text) {
			copy(t.text[:], b)
			name = unsafe.String(&t.text[0], len(b))
		}
		t.name, t.host = name, threadHost(name)
		t.stack = t.inline[:0]
		if t.host == "" {
			t.host = r.host
		}
		// Past this many names (a generator of unique thread names?) a
		// thread gets no memory: its rows cannot be told parents.
		if len(r.threads) < 1<<16 {
			r.threads[name] = t
		}
	}
	r.lastThread = t
	return t
}

// parseTime reads a timeStamp: epoch ms, the configured format, or the
// first of JMeter's fallback formats that matches (then kept, as JMeter
// switches its own format on the first match).
func (r *csvReader) parseTime(b []byte) (int64, bool) {
	if r.custom != nil {
		if t, ok := r.custom.parse(b); ok {
			r.noteFormat(r.custom)
			return t, true
		}
		// A run saved in ms read with a stale format option still reads.
		if len(b) >= 9 {
			return parseInt(b)
		}
		return 0, false
	}
	if n, ok := parseInt(b); ok {
		return n, true
	}
	if r.found != nil {
		if t, ok := r.found.parse(b); ok {
			return t, true
		}
	}
	for _, f := range r.fallbacks {
		if t, ok := f.parse(b); ok {
			r.found = f
			r.stats.TimestampFormat = f.pattern
			r.noteFormat(f)
			return t, true
		}
	}
	return 0, false
}

func (r *csvReader) noteFormat(f *dateFormat) {
	if !f.hasMillis {
		r.fam.slack = 1000
	}
}

// shortInt is parseInt for what fills most numeric fields, one to nine
// digits (which cannot overflow), inlined where it is called: a call per
// field, and the reloads of the caller's state after it, cost more than
// the digits. Anything else (a sign, a longer or a bad value) is not ok,
// for parseInt to decide.
func shortInt(b []byte) (n int64, ok bool) {
	ok = uint(len(b)-1) < 9
	for _, c := range b {
		if c-'0' > 9 {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, ok
}

// parseInt parses a decimal integer with an optional sign, without
// allocating. Empty is not a number; values beyond int64 are refused.
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	neg := false
	if b[0] == '-' || b[0] == '+' {
		neg = b[0] == '-'
		b = b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	if len(b) > 18 {
		return 0, false
	}
	var n int64
	// A timestamp's first eight digits at once: the digit loop is a chain
	// of dependent multiply-adds, and every row has a thirteen-digit one.
	if len(b) >= 8 {
		w := binary.LittleEndian.Uint64(b)
		if !eightDigits(w) {
			return 0, false
		}
		n = int64(eightDigitsValue(w))
		b = b[8:]
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// eightDigits reports whether the eight bytes of w (loaded little-endian)
// are all ASCII digits: each byte's high nibble is 3, and is still 3 once
// 6 is added (':' to '?' become 4x). A carry from one byte into the next
// only comes from a byte whose high nibble is not 3, which fails anyway.
func eightDigits(w uint64) bool {
	const hi = 0xf0f0f0f0f0f0f0f0
	return w&hi|(w+0x0606060606060606)&hi>>4 == 0x3333333333333333
}

// eightDigitsValue is the number that the eight ASCII digits of w (loaded
// little-endian, so the first digit in the low byte) spell: pairs of
// digits, then of pairs, then of quads, combined by multiplying.
func eightDigitsValue(w uint64) uint64 {
	w = (w & 0x0f0f0f0f0f0f0f0f) * (1 + 10<<8) >> 8
	w = (w & 0x00ff00ff00ff00ff) * (1 + 100<<16) >> 16
	return (w & 0x0000ffff0000ffff) * (1 + 10000<<32) >> 32
}

// epochMillis reads a timestamp of 9 to 18 plain digits (epoch
// milliseconds: thirteen in nearly every file), its first eight at once.
func epochMillis(b []byte) (int64, bool) {
	if len(b) < 9 || len(b) > 18 {
		return 0, false
	}
	w := binary.LittleEndian.Uint64(b)
	if !eightDigits(w) {
		return 0, false
	}
	ts := int64(eightDigitsValue(w))
	for _, c := range b[8:] {
		if c-'0' > 9 {
			return 0, false
		}
		ts = ts*10 + int64(c-'0')
	}
	return ts, true
}
