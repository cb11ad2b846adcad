package jtl

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"math/bits"
)

// maxRecord bounds one CSV record. A quoted field that never closes would
// otherwise swallow the rest of a multi-GB file into one row; JMeter's own
// messages are far shorter than this.
const maxRecord = 4 << 20

// recordScanner splits CSV records the way JMeter's CSVSaveService writes
// them: a field is quoted when it holds the delimiter, a quote, CR or LF;
// quotes inside are doubled; a record may span lines inside quotes.
//
// It is hand-rolled rather than encoding/csv or gocsv because it is the hot
// loop of the whole tool: BenchmarkSplit measured it at about 1.4x
// encoding/csv and 10x gocsv (figures there). It hands out fields as
// slices of the read buffer, which the reader interns without allocating.
//
// Lines end in LF or CRLF, as JMeter's println writes them; a lone CR (which
// JMeter's own reader would also accept) is kept as a character.
//
// It is lenient where JMeter's reader throws: a quote in the middle of a
// plain field is kept as a character, and a quoted field closed before
// more text ("ab"cd) goes on as plain text. Both keep a damaged line from
// running on to the end of the file.
type recordScanner struct {
	br    *bufio.Reader
	delim byte

	offset int64 // bytes consumed so far
	line   int64 // 1-based line number where the next record starts

	// Filled by next: where the record began, and its fields (see field).
	// Fields point into the bufio buffer or into unq, so they are valid
	// only until the following call.
	recOffset int64
	recLine   int64
	// rec holds the record's fields, ends where each ends: a field starts
	// one byte past the previous one's end (at 0 for the first), past the
	// delimiter of a plain line or the byte left for one in unq. Offsets
	// rather than a [][]byte: storing a slice header per field, pointer
	// and all (with its write barrier check), cost more than finding the
	// field's delimiter.
	rec  []byte
	ends []int32
	// eofInQuote is set when the input ended inside a quoted field;
	// noNewline when the last record had no line end (a cut-off file, or
	// just a missing final newline).
	eofInQuote bool
	noNewline  bool
	tooLong    bool

	// win is what fast reads records from: the bytes buffered in br
	// when it was taken, of which the first pos are read, and not yet
	// discarded from br (sync). Discarding as it goes, a Peek and a
	// Discard a row, cost half as much as they saved.
	win []byte
	pos int
	// noFast leaves every record to the ways before fast, for tests that
	// compare the two.
	noFast bool

	buf []byte // a record copied out of the bufio buffer (slow path)
	unq []byte // unquoted field contents (slow path)
}

func newRecordScanner(br *bufio.Reader) *recordScanner {
	return &recordScanner{br: br, delim: ',', line: 1}
}

// next reads one record. It returns io.EOF when there is nothing left, and
// passes any other read error on. A blank line is returned as a record of
// one empty field; the caller decides what to make of it.
func (s *recordScanner) next() error {
	s.recOffset, s.recLine = s.offset, s.line
	s.eofInQuote, s.noNewline, s.tooLong = false, false, false
	s.rec, s.ends = nil, s.ends[:0]
	if !s.noFast && s.fast() {
		return nil
	}
	line, err := s.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		// A line longer than the buffer: gather it in buf, then take the
		// slow path, which works on owned bytes.
		s.buf = append(s.buf[:0], line...)
		for err == bufio.ErrBufferFull && len(s.buf) < maxRecord {
			line, err = s.br.ReadSlice('\n')
			s.buf = append(s.buf, line...)
		}
		s.offset += int64(len(s.buf))
		if err == bufio.ErrBufferFull {
			s.tooLong = true
			s.skipLine()
			return nil
		}
		if err != nil && err != io.EOF {
			return err
		}
		return s.slow(err == io.EOF)
	}
	if err != nil && err != io.EOF {
		return err
	}
	if len(line) == 0 {
		return io.EOF
	}
	s.offset += int64(len(line))
	atEOF := err == io.EOF
	// Fast path: no quotes, so fields are plain slices of the line.
	if !s.splitPlain(trimEOL(line)) {
		s.buf = append(s.buf[:0], line...)
		return s.slow(atEOF)
	}
	if atEOF {
		s.noNewline = true
	} else {
		s.line++
	}
	return nil
}

// Bytes repeated over a word, for splitPlain.
const (
	ones  = 0x0101010101010101
	low7s = 0x7f7f7f7f7f7f7f7f
)

// zeroBytes has the high bit of each byte of x that is zero set, and no
// other bit.
func zeroBytes(x uint64) uint64 {
	return ^((x&low7s + low7s) | x | low7s)
}

// nfields is the number of fields of the current record.
func (s *recordScanner) nfields() int { return len(s.ends) }

// field is the i-th field of the current record.
func (s *recordScanner) field(i int) []byte {
	start := 0
	if i > 0 {
		start = int(s.ends[i-1]) + 1
	}
	end := int(s.ends[i])
	return s.rec[start:end:end]
}

// Why splitBlocks stopped.
const (
	stopEnd   = iota // at the last partial block
	stopQuote        // at a quote
	stopLine         // at a line feed
)

// fastMax is how far fast looks for a record's end: a record longer is
// left to next's other ways. Far above a row's length, it bounds ends.
const fastMax = 4 << 10

// fast reads a record that is a line with no quote, its line feed among
// the bytes buffered (nearly every record), from win: splitBlocks stops
// at the line feed as it splits the line, where ReadSlice looked for it
// in a pass of its own, and its call cost as much again (some 150
// instructions a row of 200 bytes). false, with nothing read and win let
// go (sync), leaves the record to next's other ways.
func (s *recordScanner) fast() bool {
	if s.pos == len(s.win) {
		s.sync()
		s.win, _ = s.br.Peek(s.br.Buffered())
	}
	buf := s.win[s.pos:]
	if len(buf) > fastMax {
		buf = buf[:fastMax]
	}
	if cap(s.ends) <= fastMax {
		s.ends = make([]int32, 0, fastMax+1+fastMax/2)
	}
	ends := s.ends[:len(buf)+1]
	n, end, stop := splitBlocks(buf, s.delim, ends)
	if stop != stopLine {
		s.sync()
		return false
	}
	s.pos += end + 1
	s.offset += int64(end + 1)
	s.line++
	line := buf[:end]
	if end > 0 && line[end-1] == '\r' {
		line = line[:end-1]
	}
	ends[n] = int32(len(line))
	s.rec, s.ends = line, ends[:n+1]
	return true
}

// sync discards from br what fast read of win, and lets win go: br is to
// be read otherwise.
func (s *recordScanner) sync() {
	if s.pos > 0 {
		s.br.Discard(s.pos)
	}
	s.win, s.pos = nil, 0
}

// splitPlain splits a line that holds no quote into fields. splitBlocks
// does what it can in blocks of sixteen bytes or more; the rest, or all
// of the line where it has no assembly, goes eight bytes at a time: one
// pass finds the delimiters, where a call of bytes.IndexByte per field
// cost more in call overhead than in scanning on fields this short (an
// 18-column row of 200 bytes). It returns false, with no fields, when the
// line holds a quote.
func (s *recordScanner) splitPlain(line []byte) bool {
	// A line has at most one field more than it has bytes. With room for
	// that made first, the loops store through an index and have no call
	// to growslice on their path, whose spills and reloads cost more than
	// the scanning itself.
	if cap(s.ends) <= len(line) {
		s.ends = make([]int32, 0, len(line)+1+len(line)/2)
	}
	ends := s.ends[:len(line)+1]
	n, i, stop := splitBlocks(line, s.delim, ends)
	if stop != stopEnd || bytes.IndexByte(line[i:], '"') >= 0 {
		return false
	}
	delims := uint64(s.delim) * ones
	for ; i+8 <= len(line); i += 8 {
		w := binary.LittleEndian.Uint64(line[i : i+8])
		for m := zeroBytes(w ^ delims); m != 0; m &= m - 1 {
			ends[n] = int32(i + bits.TrailingZeros64(m)/8)
			n++
		}
	}
	for ; i < len(line); i++ {
		if line[i] == s.delim {
			ends[n] = int32(i)
			n++
		}
	}
	ends[n] = int32(len(line))
	s.rec, s.ends = line, ends[:n+1]
	return true
}

// skipLine discards the rest of an over-long physical line.
func (s *recordScanner) skipLine() {
	for {
		line, err := s.br.ReadSlice('\n')
		s.offset += int64(len(line))
		if err != bufio.ErrBufferFull {
			if err == nil {
				s.line++
			}
			return
		}
	}
}

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}

// slow parses the record that starts in s.buf (one physical line, already
// counted in offset), reading more lines while a quoted field is open.
func (s *recordScanner) slow(atEOF bool) error {
	const (
		fieldStart = iota
		plain
		quoted
		quoteInQuoted // saw a quote inside a quoted field
	)
	s.unq = s.unq[:0]
	s.ends = s.ends[:0]
	state := fieldStart
	p := 0
	for {
		for ; p < len(s.buf); p++ {
			c := s.buf[p]
			switch state {
			case fieldStart, plain:
				switch {
				case c == '"' && state == fieldStart:
					state = quoted
				case c == s.delim:
					s.ends = append(s.ends, int32(len(s.unq)))
					s.unq = append(s.unq, c) // skipped: see rec
					state = fieldStart
				case c == '\n' || c == '\r' && p+1 < len(s.buf) && s.buf[p+1] == '\n':
					goto done
				default:
					s.unq = append(s.unq, c)
					state = plain
				}
			case quoted:
				if c == '"' {
					state = quoteInQuoted
				} else {
					s.unq = append(s.unq, c)
				}
			case quoteInQuoted:
				switch {
				case c == '"':
					s.unq = append(s.unq, '"')
					state = quoted
				case c == s.delim:
					s.ends = append(s.ends, int32(len(s.unq)))
					s.unq = append(s.unq, c) // skipped: see rec
					state = fieldStart
				case c == '\n' || c == '\r' && p+1 < len(s.buf) && s.buf[p+1] == '\n':
					goto done
				default:
					s.unq = append(s.unq, c)
					state = plain
				}
			}
		}
		// End of what we have. Inside quotes the record goes on in the
		// next line; otherwise this was the last line, without newline.
		if state != quoted {
			s.noNewline = true
			break
		}
		if atEOF {
			s.eofInQuote = true
			break
		}
		if len(s.buf) >= maxRecord {
			s.tooLong = true
			s.ends = s.ends[:0]
			s.countLines()
			return nil
		}
		line, err := s.br.ReadSlice('\n')
		for err == bufio.ErrBufferFull && len(s.buf)+len(line) < maxRecord {
			s.buf = append(s.buf, line...)
			s.offset += int64(len(line))
			line, err = s.br.ReadSlice('\n')
		}
		s.buf = append(s.buf, line...)
		s.offset += int64(len(line))
		if err == io.EOF {
			atEOF = true
		} else if err != nil && err != bufio.ErrBufferFull {
			return err
		}
	}
done:
	s.rec, s.ends = s.unq, append(s.ends, int32(len(s.unq)))
	s.countLines()
	return nil
}

// countLines advances the line counter past the record in buf.
func (s *recordScanner) countLines() {
	s.line += int64(bytes.Count(s.buf, []byte{'\n'}))
}
