package sip

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"unsafe"
)

// Options tune the parser. The zero value (or nil) parses a byte stream
// with the default limits and correlation headers.
type Options struct {
	// CorrelationHeaders are header names (case-insensitive) copied into
	// Message.Correlation. A name that starts with "*" matches as a suffix
	// ("*-trace-id"). Nil means DefaultCorrelationHeaders; an empty,
	// non-nil slice keeps none.
	CorrelationHeaders []string

	// Datagram says the buffer is a whole datagram (a UDP payload, an SCTP
	// or WebSocket message): nothing more will come. Without
	// Content-Length the body is the rest of the datagram, and a message
	// that ends early is reported as ErrTruncated together with what was
	// read. When false the buffer is the head of a byte stream (TCP, TLS):
	// a message that ends early is ErrIncomplete, and a message without
	// Content-Length has no body.
	Datagram bool

	// MaxHeaders caps the number of header fields read; 0 means
	// DefaultMaxHeaders.
	MaxHeaders int
	// MaxHeaderBytes caps the start line plus headers, and how far junk is
	// scanned for a start line in a stream; 0 means DefaultMaxHeaderBytes.
	MaxHeaderBytes int
	// MaxBody caps the Content-Length a stream is waited for; 0 means
	// DefaultMaxBody. It bounds what a framer buffers per connection.
	MaxBody int
}

// DefaultCorrelationHeaders are the correlation headers kept when Options
// names none.
var DefaultCorrelationHeaders = []string{"x-inin-cnv", "x-trace-id", "x-request-id", "inin-correlation-id", "traceparent", "*-correlation-id", "*-trace-id"}

// The default limits are far above real SIP (a big INVITE is a few KB)
// and low enough that a hostile or broken stream cannot make a framer
// hold much.
const (
	DefaultMaxHeaders     = 1000
	DefaultMaxHeaderBytes = 64 << 10
	DefaultMaxBody        = 1 << 20
)

// Errors wrapped by ParseError, to be told apart with errors.Is.
var (
	// ErrIncomplete (stream mode only): the buffer holds the start of a
	// message, not all of it; call again with more bytes. The message is
	// nil and n is 0.
	ErrIncomplete = errors.New("sip: message incomplete")
	// ErrTruncated (datagram mode only): the datagram ends inside the
	// headers or before Content-Length bytes of body. The message is
	// returned with what was read, as Wireshark shows such a message and
	// flags it.
	ErrTruncated = errors.New("sip: message truncated")
	// ErrKeepAlive: the buffer is a keep-alive (see KeepAlive), not a
	// message; n covers it.
	ErrKeepAlive = errors.New("sip: keep-alive")
)

// ParseError says what was wrong and where. Offset counts bytes from the
// start of the buffer given to Parse.
type ParseError struct {
	Offset int
	Reason string
	// Err is ErrIncomplete, ErrTruncated, ErrKeepAlive or nil.
	Err error
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("sip: offset %d: %s", e.Offset, e.Reason)
}

func (e *ParseError) Unwrap() error { return e.Err }

// Parser parses messages one after the other, reusing what it learnt:
// the compiled correlation header list, and the blocks that Messages and
// header copies are cut from. It is not safe for concurrent use; give
// each goroutine (or each capture) its own.
type Parser struct {
	corr   correlation
	corrOK bool

	// msgs and text are what is left of the current blocks that
	// Messages and header copies are cut from (see Message).
	msgs []Message
	text []byte
	hdrs []Header
	// corrs gathers a message's correlation headers before they are
	// cut from hdrs, when their number is known. It is empty between
	// messages.
	corrs []Header

	// lines are the header lines frame.find saves for fill, kept here
	// rather than in the frame on the stack so that they are not cleared
	// for each message: only those of the message are read. They hold no
	// pointers, so that writing them costs no write barrier.
	lines [savedLines]savedLine
	// ends are the line ends the header loops read the lines by (see
	// frame.ends), here for the same reason.
	ends [lineEndsLen]int

	// full makes the parser take the general path everywhere rather than
	// the fast paths for common spellings, so that tests can compare the
	// two on the same bytes.
	full bool
}

// The blocks a Parser cuts Messages and header copies from. Small enough
// that a consumer keeping one message pins little, large enough that
// allocating costs a message a fraction of what it did.
//
// A block of messageBlock Messages fills the 4 KB size class the allocator
// would round it up to: keep Message at most 4096/messageBlock bytes
// (TestMessageSize), or the last message of each block costs a size class
// of its own.
const (
	messageBlock = 9
	textBlock    = 8 << 10
	headerBlock  = 64
	// bigText is the header section that gets an allocation of its own
	// rather than most of a block.
	bigText = textBlock / 4
)

// newMessage returns a zeroed Message of the current block.
func (p *Parser) newMessage() *Message {
	if len(p.msgs) == 0 {
		p.msgs = make([]Message, messageBlock)
	}
	m := &p.msgs[0]
	p.msgs = p.msgs[1:]
	return m
}

// copyText returns a copy of b as a string. The copy lies in the current
// text block, whose bytes are written once: the string stays as it is
// however many messages follow.
func (p *Parser) copyText(b []byte) string {
	n := len(b)
	if n == 0 {
		return ""
	}
	if n > bigText {
		return string(b)
	}
	if len(p.text) < n {
		p.text = make([]byte, textBlock)
	}
	dst := p.text[:n:n]
	p.text = p.text[n:]
	copy(dst, b)
	return unsafe.String(&dst[0], n)
}

// method returns a request or CSeq method that does not point into a
// shared buffer: consumers count messages by method in maps that keep the
// first key they see, and a caller of ParseShared may write the buffer
// again once it is done with the message (see ParseSharedInto). Standard
// methods are constants, so only the odd ones cost a copy.
func (p *Parser) method(s string, shared bool) string {
	m, known := knownMethod(s)
	if known || !shared || m == "" {
		return m
	}
	return p.copyText(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// keepHeaders returns hs in memory of the message's own: reuse, the
// Correlation of a Message that ParseInto writes again, when it is large
// enough, else a slice of the current header block.
func (p *Parser) keepHeaders(hs, reuse []Header) []Header {
	n := len(hs)
	var dst []Header
	switch {
	case cap(reuse) >= n:
		dst = reuse[:n]
	case n > headerBlock/4:
		dst = make([]Header, n)
	default:
		if len(p.hdrs) < n {
			p.hdrs = make([]Header, headerBlock)
		}
		dst = p.hdrs[:n:n]
		p.hdrs = p.hdrs[n:]
	}
	copy(dst, hs)
	return dst
}

var parsers = sync.Pool{New: func() any { return new(Parser) }}

// Parse parses one message at the start of b with a pooled Parser. See
// Parser.Parse.
func Parse(b []byte, opts *Options) (m *Message, n int, err error) {
	p := parsers.Get().(*Parser)
	m, n, err = p.parse(nil, b, nil, opts, false)
	parsers.Put(p)
	return m, n, err
}

// Parse parses one message at the start of b. n is the number of bytes
// the caller is done with: CRLF keep-alives and junk before the message,
// its start line, headers and body by Content-Length. A stream framer
// drops n bytes and calls again.
//
// The results come in four shapes:
//   - m != nil, err == nil: a message, sound as far as ceiling looks.
//   - m != nil, err != nil: a message that happened on the wire but is
//     damaged (no Call-ID or CSeq, a bad header line, a Content-Length
//     that is not a number or runs past the datagram, ErrTruncated). Its
//     fields hold what could be read; count it and report err.
//   - m == nil, ErrIncomplete (stream mode): wait for more bytes; n is 0.
//   - m == nil, another error: nothing usable; n says how much to drop
//     (ErrKeepAlive, no SIP start line, headers over the limits).
//
// Only the first problem found is reported. If err is nil, m.CallID is
// not empty.
func (p *Parser) Parse(b []byte, opts *Options) (m *Message, n int, err error) {
	return p.parse(nil, b, nil, opts, false)
}

// ParseShared is Parse for a caller that gives b up to the message: b is
// never written again while the Message, or any string of it, is in use.
// The Message's strings then point into b instead of into a copy of the
// header section, which saves copying every message's headers; keeping
// one of them keeps b alive, as Body always did. So does CallID (see
// Message): a consumer that keeps it past b's life clones it.
func (p *Parser) ParseShared(b []byte, opts *Options) (m *Message, n int, err error) {
	return p.parse(nil, b, nil, opts, true)
}

// ParseSharedInto is ParseShared writing into *m, as ParseInto does Parse.
// With it a caller can take a message's memory and its buffer back once
// every consumer is done with them, and parse the next datagram into
// both: only Method and CSeqMethod, which are constants or copies, stay
// valid after that.
func (p *Parser) ParseSharedInto(m *Message, b []byte, opts *Options) (ok bool, n int, err error) {
	got, n, err := p.parse(m, b, nil, opts, true)
	return got != nil, n, err
}

// ParseSharedIntoAt is ParseSharedInto for a datagram that LooksAt said
// looks like SIP, with what it learnt of the start line in st: the parse
// starts there rather than cutting the line again.
func (p *Parser) ParseSharedIntoAt(m *Message, b []byte, st *Start, opts *Options) (ok bool, n int, err error) {
	got, n, err := p.parse(m, b, st, opts, true)
	return got != nil, n, err
}

// ParseInto is Parse writing into *m, so that a caller that is done with
// each message before the next saves allocating it. ok reports whether *m
// holds a message (Parse's m != nil); then nothing of the previous one is
// left in it. Otherwise *m is untouched.
func (p *Parser) ParseInto(m *Message, b []byte, opts *Options) (ok bool, n int, err error) {
	got, n, err := p.parse(m, b, nil, opts, false)
	return got != nil, n, err
}

var errKeepAlive = &ParseError{Reason: "keep-alive, not a message", Err: ErrKeepAlive}

// limits are Options with the defaults filled in.
type limits struct {
	datagram                       bool
	maxHeaders, maxHdrBytes, maxCL int
}

// limitsOf fills in the defaults of opts.
func limitsOf(opts *Options) limits {
	lim := limits{maxHeaders: DefaultMaxHeaders, maxHdrBytes: DefaultMaxHeaderBytes, maxCL: DefaultMaxBody}
	if opts != nil {
		lim.datagram = opts.Datagram
		if opts.MaxHeaders > 0 {
			lim.maxHeaders = opts.MaxHeaders
		}
		if opts.MaxHeaderBytes > 0 {
			lim.maxHdrBytes = opts.MaxHeaderBytes
		}
		if opts.MaxBody > 0 {
			lim.maxCL = opts.MaxBody
		}
	}
	return lim
}

func (p *Parser) parse(dst *Message, b []byte, st *Start, opts *Options, shared bool) (*Message, int, error) {
	lim := limitsOf(opts)
	names := DefaultCorrelationHeaders
	if opts != nil && opts.CorrelationHeaders != nil {
		names = opts.CorrelationHeaders
	}
	if !p.corrOK || !p.corr.same(names) {
		p.corr, p.corrOK = newCorrelation(names), true
	}

	f := frame{lines: &p.lines, given: st}
	if err := p.frame(&f, b, &lim, p.full); err != nil {
		return nil, f.n, err
	}

	m := dst
	var reuse []Header
	if m == nil {
		m = p.newMessage()
	} else {
		// ParseInto's caller is done with the message, its Correlation
		// included: the next one may write there.
		reuse = m.Correlation[:0]
		*m = Message{}
	}
	p.fill(m, b, &f, &lim, shared, reuse)
	if f.fault != nil {
		return m, f.n, f.fault
	}
	return m, f.n, nil
}

// savedLines is how many header lines frame.find keeps for fill, so that
// the lines are scanned once; a message with more is rare enough for fill
// to find the rest again.
const savedLines = 40

// frame is where a message lies in the buffer, found before anything is
// copied so that an incomplete message costs no allocation.
type frame struct {
	start     int // start line
	lineEnd   int // end of the start line, before CR LF
	status    bool
	methodEnd int // a request line's, from start
	uriStart  int // likewise
	headers   int // first header line
	hdrEnd    int // just past the empty line, or len(b) when truncated
	truncated bool
	cl        int // Content-Length, -1 when absent or bad
	body      []byte
	n         int
	fault     *ParseError
	nls       int  // header lines saved
	allSaved  bool // every header line is saved, and the empty line follows
	plain     bool // allSaved, and every line's savedLine.name is set: no line folds nor breaks the grammar
	clNL      int  // the '\n' of the Content-Length line, when find read it
	// headersFast's: the first Content-Length line and its value (see
	// there), and whether a line was not saved or not in the common
	// shape.
	clLine, clValue int
	dropped, odd    bool
	// fill's: the fields read once that were, by header, kept here
	// rather than carried round fill's loop (see headersFast).
	have uint16
	// lines are the first header lines, the Parser's (see Parser.lines).
	lines *[savedLines]savedLine
	// ends is where the header loops keep the line ends lineEnds
	// finds, the Parser's (see Parser.ends); nil when the Parser is
	// full, and headersFull then searches line by line.
	ends *[lineEndsLen]int
	// given is the start line LooksAt found, if any (ParseSharedIntoAt).
	given *Start
}

// savedLine is what frame.find learnt of a header line while looking for
// its end, so that fill need not read the line's name again.
type savedLine struct {
	// nl is the offset of the line's '\n' from the start line.
	nl int32
	// name is the length of the line's name when the line is in the
	// common shape, a token right before a colon, else 0: the general
	// path reads it.
	name uint16
	h    header
}

func (f *frame) add(off int, reason string, err error) {
	if f.fault == nil {
		f.fault = &ParseError{Offset: off, Reason: reason, Err: err}
	}
}

// startGiven sets where find's start line loop begins: at i, the first
// line after the CRLFs, with no start line found yet; or, given the
// start line LooksAt found in a datagram, past the end (n) with the start
// line taken, and next where the headers begin. LooksAt cut that first
// line as the loop does and read it with the same readStartLine: its
// answer is the loop's first, and the loop would stop there.
func (f *frame) startGiven(i, n int, datagram bool) (next, pos int) {
	st := f.given
	if st == nil || !st.ok || !datagram {
		f.start = -1
		return 0, i
	}
	f.start, f.lineEnd, f.status = int(st.at), int(st.end), st.status
	f.methodEnd, f.uriStart = int(st.methodEnd), int(st.uriStart)
	return int(st.next), n
}

// find frames the message at the start of b. full makes it take the
// general path (see Parser.full): it then saves no line for fill.
func (f *frame) find(b []byte, lim *limits, full bool) error {
	f.cl = -1
	i := 0
	for i < len(b) && (b[i] == '\r' || b[i] == '\n') {
		i++
	}
	if i == len(b) {
		if lim.datagram {
			return &ParseError{Offset: 0, Reason: "empty payload"}
		}
		return &ParseError{Offset: 0, Reason: "no bytes yet", Err: ErrIncomplete}
	}

	// Find the start line, skipping lines of junk: a stream that lost sync
	// finds the next message, and a payload with garbage in front is
	// still read (RFC 3261 7.5 only allows CRLFs there, so it is counted).
	// A datagram's may be known already (startGiven).
	next, pos := f.startGiven(i, len(b), lim.datagram)
	for ; pos < len(b); pos = next {
		end, nl := len(b), bytes.IndexByte(b[pos:], '\n')
		next = len(b)
		if nl >= 0 {
			end = pos + nl
			next = end + 1
		} else if !lim.datagram {
			if len(b)-i > lim.maxHdrBytes {
				f.n = len(b)
				return &ParseError{Offset: i, Reason: fmt.Sprintf("no SIP start line in %d bytes", len(b)-i)}
			}
			return &ParseError{Offset: len(b), Reason: "start line not complete", Err: ErrIncomplete}
		}
		line := b[pos:end]
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		if si := readStartLine(line); si.at >= 0 {
			f.start, f.lineEnd = pos+si.at, pos+len(line)
			f.status = si.status
			f.methodEnd, f.uriStart = si.methodEnd-si.at, si.uriStart-si.at
			break
		}
	}
	if f.start < 0 {
		f.n = len(b)
		return &ParseError{Offset: i, Reason: "no SIP start line"}
	}
	f.headers = next

	// Find the empty line that ends the headers, and the first
	// Content-Length on the way: the framing must be known before the
	// message is copied.
	f.hdrEnd = -1
	clLine, clValue := -1, -1
	if full {
		clLine, clValue = f.headersFull(b, next)
	} else {
		clLine, clValue = f.headersFast(b, next)
	}
	if f.hdrEnd < 0 {
		if !lim.datagram {
			if len(b)-f.start > lim.maxHdrBytes {
				f.n = len(b)
				return &ParseError{Offset: f.start, Reason: fmt.Sprintf("header section longer than %d bytes", lim.maxHdrBytes)}
			}
			return &ParseError{Offset: len(b), Reason: "headers not terminated yet", Err: ErrIncomplete}
		}
		f.hdrEnd, f.truncated = len(b), true
	}
	if f.hdrEnd-f.start > lim.maxHdrBytes {
		f.n = f.hdrEnd
		return &ParseError{Offset: f.start, Reason: fmt.Sprintf("header section longer than %d bytes", lim.maxHdrBytes)}
	}

	if clLine >= 0 {
		if n, ok := plainLength(b, clValue, f.clNL); ok {
			f.cl = n
		} else {
			f.readLength(b, clLine, clValue)
		}
	}

	rest := len(b) - f.hdrEnd
	switch {
	case f.truncated:
		f.n = len(b)
		f.add(len(b), "headers not terminated by an empty line", ErrTruncated)
	case f.cl >= 0 && f.cl <= rest:
		f.body = b[f.hdrEnd : f.hdrEnd+f.cl]
		f.n = f.hdrEnd + f.cl
	case f.cl >= 0 && lim.datagram:
		f.body = b[f.hdrEnd:]
		f.n = len(b)
		f.add(f.hdrEnd, fmt.Sprintf("content-length %d exceeds datagram (%d bytes)", f.cl, rest), ErrTruncated)
	case f.cl > lim.maxCL:
		// Waiting for the body would buffer more than allowed. Go on
		// after the headers: the body that follows is junk to the next
		// call, which skips to the next start line.
		f.body = b[f.hdrEnd:f.hdrEnd]
		f.n = f.hdrEnd
		f.add(f.hdrEnd, fmt.Sprintf("content-length %d exceeds the %d-byte limit", f.cl, lim.maxCL), nil)
	case f.cl >= 0:
		return &ParseError{Offset: len(b), Reason: fmt.Sprintf("body has %d of %d bytes", rest, f.cl), Err: ErrIncomplete}
	case lim.datagram:
		f.body = b[f.hdrEnd:]
		f.n = len(b)
	default:
		// RFC 3261 18.3 requires Content-Length on streams; without it
		// the next message starts right after the headers.
		f.body = b[f.hdrEnd:f.hdrEnd]
		f.n = f.hdrEnd
	}
	return nil
}

// plainLength reads the Content-Length value of b[from:to] when it is in
// the shape nearly every message writes it: one space, one to nine digits
// (which cannot overflow) and a CR. ok is false for any other shape, or
// when from is negative (see headersFast): readLength reads it then.
func plainLength(b []byte, from, to int) (n int, ok bool) {
	if from < 0 || to-from < len(" 0\r") || to-from > len(" 123456789\r") || b[from] != ' ' || b[to-1] != '\r' {
		return 0, false
	}
	for _, c := range b[from+1 : to-1] {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// readLength reads the first Content-Length into f.cl, from the line at
// b[clLine], whose value starts at b[clValue] and ends at f.clNL unless
// clValue is negative (see headersFast).
func (f *frame) readLength(b []byte, clLine, clValue int) {
	var v []byte
	if clValue >= 0 {
		v = b[clValue:f.clNL]
		for len(v) > 0 && (isWSP(v[0]) || v[0] == '\r') {
			v = v[1:]
		}
		for len(v) > 0 && (isWSP(v[len(v)-1]) || v[len(v)-1] == '\r') {
			v = v[:len(v)-1]
		}
	} else {
		v = headerValueBytes(b[clLine:f.hdrEnd])
	}
	if n, ok := parseLength(v); ok {
		f.cl = n
	} else {
		f.add(clLine, fmt.Sprintf("bad Content-Length %q", clip(string(v))), nil)
	}
}

// headersFast is the loop of find that looks for the end of the headers,
// in one pass over each line: the name is read up to its colon and
// identified, the line's end is taken from lineEnds, and both are saved
// for fill. It returns where the first Content-Length line starts,
// or -1, and where its value starts (f.clNL ends it) when the line is in
// the common shape and not folded, else -1: headerValueBytes reads it.
func (f *frame) headersFast(b []byte, pos int) (clLine, clValue int) {
	// What the loops learn on the way is kept in f rather than in
	// locals: it rarely changes, and a local would be carried round the
	// loops and spilled around oddLine.
	f.clLine, f.clValue = -1, -1
	// The lines' ends come from lineEnds, many lines a call: li is the
	// next to read. A message without headers does not ask for them.
	li := 0
	if pos < len(b) && b[pos] > '\r' {
		lineEnds(b, pos, f.ends)
	} else {
		f.ends[0] = moreEnds
	}
	// The inner loop reads the lines in the common shape and calls
	// nothing, so that what it carries stays in registers; the outer
	// one calls oddLine for any other line, and saves and loads the
	// registers again on that path only.
lines:
	for pos < len(b) {
		for pos < len(b) {
			c := b[pos]
			// A header line starts with a letter: one test passes it.
			if c <= '\r' {
				if c == '\n' {
					f.hdrEnd, f.allSaved = pos+1, !f.dropped
					f.plain = f.allSaved && !f.odd
					break lines
				}
				if c == '\r' && pos+1 < len(b) && b[pos+1] == '\n' {
					f.hdrEnd, f.allSaved = pos+2, !f.dropped
					f.plain = f.allSaved && !f.odd
					break lines
				}
			}
			// A line in the common shape has a name of namePatterns
			// and an end lineEnds listed already. (li never passes
			// the mark, so the mask only spares the bounds check.)
			nl := f.ends[li&(lineEndsLen-1)]
			if nl < 0 || len(b)-pos < startsLineBytes {
				break
			}
			at := unsafe.Add(unsafe.Pointer(unsafe.SliceData(b)), pos)
			w0 := binary.LittleEndian.Uint64((*[8]byte)(at)[:])
			// scanName's walk, inline: most names are the first of
			// their list (commonNames go first).
			i := nameIndex[nameKey(w0&0x1f1f)]
			for i != 0 && !namePatterns[i].startsLine(w0, at, len(b)-pos) {
				i = namePatterns[i].next
			}
			if i == 0 {
				break
			}
			p := &namePatterns[i]
			if p.h == hContentLength && f.clLine < 0 {
				f.contentLength(b, pos, int(p.n), nl)
			}
			f.save(nl, int(p.n), p.h)
			li++
			pos = nl + 1
		}
		if pos < len(b) {
			if pos, li = f.oddLine(b, pos, li); pos < 0 {
				break
			}
		}
	}
	return f.clLine, f.clValue
}

// oddLine is headersFast's reading of the header line at b[pos] that its
// inner loop leaves: a name of namePatterns near b's end, one it does
// not hold, a line not in the common shape, or the need for more line
// ends (li is the next of f.ends to read). It returns where the next
// line starts and li, or -1 when b ends before the line does.
func (f *frame) oddLine(b []byte, pos, li int) (next, nextLi int) {
	name, h := scanName(b, pos)
	k := pos + name
	if name == 0 {
		for k < len(b) && tokenChar[b[k]] {
			k++
		}
		// A name too long to save is left to the general path, as
		// any line not in the common shape.
		if k > pos && k < len(b) && b[k] == ':' && k-pos <= math.MaxUint16 {
			name = k - pos
			h = lookupHeader(unsafe.String(&b[pos], name))
		}
	}
	// No '\n' lies between pos and k: the end of the line is the first
	// one from pos, which lineEnds lists.
	ends := f.ends
	nl := ends[li&(lineEndsLen-1)]
	if nl == moreEnds {
		lineEnds(b, pos, ends)
		li = 0
		nl = ends[0]
	}
	if name == 0 {
		f.odd = true
		if c := b[pos]; f.clLine < 0 && (c|0x20 == 'c' || c|0x20 == 'l') && contentLengthColon(b[pos:]) >= 0 {
			f.clLine = pos
		}
	} else if h == hContentLength && f.clLine < 0 {
		if nl < 0 {
			f.clLine = pos
		} else {
			f.contentLength(b, pos, name, nl)
		}
	}
	if nl < 0 {
		return -1, li
	}
	f.save(nl, name, h)
	return nl + 1, li + 1
}

// contentLength notes the first Content-Length line, at b[pos], whose
// colon is at b[pos+name] (right after the name, in the common shape)
// and which ends at b[nl]: find reads its value there, unless the line
// is folded.
func (f *frame) contentLength(b []byte, pos, name, nl int) {
	f.clLine, f.clValue, f.clNL = pos, pos+name+1, nl
	if nl+1 < len(b) && isWSP(b[nl+1]) {
		f.clValue = -1
	}
}

// save keeps what the header loop learnt of a line that ends at the '\n'
// at nl for fill, when there is room.
func (f *frame) save(nl, name int, h header) {
	if f.nls < savedLines && nl-f.start <= math.MaxInt32 {
		e := &f.lines[f.nls]
		e.nl, e.name, e.h = int32(nl-f.start), uint16(name), h
		f.nls++
	} else {
		f.dropped = true
	}
}

// headersFull is headersFast without its shortcuts, the general reading
// the tests hold it to. It saves no line. Frame runs it on every message
// of a stream, so it too takes the lines' ends from lineEnds, and notes
// where the first Content-Length's value lies as headersFast does, unless
// the Parser is full: then a search per line, which has no shortcut, is
// the reading the tests hold lineEnds to, and the value is left to
// headerValueBytes.
func (f *frame) headersFull(b []byte, pos int) (clLine, clValue int) {
	f.clLine, f.clValue = -1, -1
	colon := -1
	ends, li := f.ends, 0
	if ends != nil {
		ends[0] = moreEnds
	}
	for pos < len(b) {
		c := b[pos]
		if c == '\n' {
			f.hdrEnd = pos + 1
			break
		}
		if c == '\r' && pos+1 < len(b) && b[pos+1] == '\n' {
			f.hdrEnd = pos + 2
			break
		}
		if f.clLine < 0 && (c|0x20 == 'c' || c|0x20 == 'l') {
			if colon = contentLengthColon(b[pos:]); colon >= 0 {
				f.clLine = pos
			}
		}
		var nl int
		if ends != nil {
			// As in headersFast.
			nl = ends[li&(lineEndsLen-1)]
			if nl == moreEnds {
				lineEnds(b, pos, ends)
				li = 0
				nl = ends[0]
			}
			li++
			if nl >= 0 && f.clLine == pos {
				f.contentLength(b, pos, colon, nl)
			}
		} else if nl = bytes.IndexByte(b[pos:], '\n'); nl >= 0 {
			nl += pos
		}
		if nl < 0 {
			break
		}
		pos = nl + 1
	}
	return f.clLine, f.clValue
}

// contentLengthColon returns the offset in line of the colon of the
// Content-Length header field that line starts, in either form, or -1
// when line starts no such field.
func contentLengthColon(line []byte) int {
	n := 0
	switch {
	case len(line) > 0 && line[0]|0x20 == 'l':
		n = 1
	case len(line) >= 14 && line[7] == '-' && equalFold(line[:14], "Content-Length"):
		n = 14
	default:
		return -1
	}
	for n < len(line) && isWSP(line[n]) {
		n++
	}
	if n < len(line) && line[n] == ':' {
		return n
	}
	return -1
}

// headerValueBytes returns the trimmed value of the header field that
// starts at b[0], continuation lines included (folded into one space).
// Used for Content-Length only, which is digits: folding it is legal,
// merely odd, so only then does it build a new slice.
func headerValueBytes(b []byte) []byte {
	colon := bytes.IndexByte(b, ':')
	if colon < 0 {
		return nil
	}
	var parts []byte
	pos := colon + 1
	for {
		end := len(b)
		if nl := bytes.IndexByte(b[pos:], '\n'); nl >= 0 {
			end = pos + nl
		}
		seg := b[pos:end]
		for len(seg) > 0 && (isWSP(seg[0]) || seg[0] == '\r') {
			seg = seg[1:]
		}
		for len(seg) > 0 && (isWSP(seg[len(seg)-1]) || seg[len(seg)-1] == '\r') {
			seg = seg[:len(seg)-1]
		}
		pos = end + 1
		folded := pos < len(b) && isWSP(b[pos])
		if parts == nil && !folded {
			return seg
		}
		if len(seg) > 0 {
			if len(parts) > 0 {
				parts = append(parts, ' ')
			}
			parts = append(parts, seg...)
		}
		if !folded {
			return parts
		}
	}
}

// parseLength reads a Content-Length. A number too big for an int is
// clamped to math.MaxInt rather than refused: it is still a length no
// buffer holds, which the caller reports as such.
func parseLength[T string | []byte](s T) (int, bool) {
	if len(s) == 0 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int(c - '0')
		if n > (math.MaxInt-d)/10 {
			n = math.MaxInt
			continue
		}
		n = n*10 + d
	}
	return n, true
}

// clip shortens a value quoted in an error message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// fill parses the start line and headers of the framed message into m.
// shared says b is the caller's to give (see ParseShared): the strings
// point into it rather than into a copy. reuse is memory for Correlation
// (see keepHeaders).
func (p *Parser) fill(m *Message, b []byte, f *frame, lim *limits, shared bool, reuse []Header) {
	m.Start = f.start
	skipped := 0
	for i := 0; i < f.start; i++ {
		if b[i] != '\r' && b[i] != '\n' {
			skipped = f.start - i
			break
		}
	}
	m.Skipped = skipped
	m.ContentLength = f.cl
	m.Body = f.body
	m.RetryAfter = -1

	// One copy of the start line and headers backs every string below
	// but the Call-ID: one allocation instead of one per field.
	var text string
	if shared {
		text = unsafe.String(&b[f.start], f.hdrEnd-f.start)
	} else {
		text = p.copyText(b[f.start:f.hdrEnd])
	}
	base := f.start

	sl := text[:f.lineEnd-f.start]
	if !p.full {
		// frame.find read the start line: what it learnt is enough.
		if f.status {
			m.StatusCode = int(sl[8]-'0')*100 + int(sl[9]-'0')*10 + int(sl[10]-'0')
			if len(sl) > 12 {
				m.Reason = internReason(m.StatusCode, trimWSP(sl[12:]))
			}
			if m.StatusCode < 100 || m.StatusCode > 699 {
				f.add(base+8, fmt.Sprintf("status code %d out of range", m.StatusCode), nil)
			}
		} else {
			m.Request = true
			m.Method = p.method(sl[:f.methodEnd], shared)
			m.RequestURI = sl[f.uriStart : len(sl)-len(" SIP/2.0")]
		}
	} else if isStatusLine(sl) {
		m.StatusCode = int(sl[8]-'0')*100 + int(sl[9]-'0')*10 + int(sl[10]-'0')
		if len(sl) > 12 {
			m.Reason = internReason(m.StatusCode, trimWSP(sl[12:]))
		}
		if m.StatusCode < 100 || m.StatusCode > 699 {
			f.add(base+8, fmt.Sprintf("status code %d out of range", m.StatusCode), nil)
		}
	} else {
		// startLine checked the shape: token SP+ URI SP SIP/2.0, the
		// token starting sl.
		uriEnd := len(sl) - len(" SIP/2.0")
		methodEnd := strings.IndexByte(sl, ' ')
		uriStart := methodEnd + 1
		for uriStart < uriEnd && sl[uriStart] == ' ' {
			uriStart++
		}
		m.Request = true
		m.Method = p.method(sl[:methodEnd], shared)
		m.RequestURI = sl[uriStart:uriEnd]
	}

	// When frame.find saw every line in the common shape, a line is its
	// savedLine and nothing more: no line folds, none breaks the grammar,
	// and the number of fields is the number of lines. A line nobody reads
	// is then passed over without even being cut out of text, which is
	// most of the lines of a message.
	plain := f.plain && !p.full && f.nls <= lim.maxHeaders
	if plain {
		m.Headers = f.nls
	}
	pos := f.headers - base
	for li := 0; pos < len(text); li++ {
		lineAt := pos
		var name, value string
		var corr bool
		h := hOther
		if plain {
			if li == f.nls {
				break
			}
			e := &f.lines[li]
			k, end := int(e.name), int(e.nl)
			pos, h = end+1, e.h
			switch {
			case h == hOther:
				name = text[lineAt : lineAt+k]
				corr = (len(name) == 1 || p.corr.last[lower(name[len(name)-1])]) && p.corr.match(name)
				if !corr {
					continue
				}
			case h < numRead:
				corr = p.corr.known[h]
				if corr {
					name = text[lineAt : lineAt+k]
				} else if h == hContentLength && f.have&(1<<hContentLength) == 0 {
					// frame.find read the first Content-Length: only a
					// second one is read again, to be compared.
					f.have |= 1 << hContentLength
					continue
				}
			case !p.corr.known[h]:
				continue
			default:
				name, corr = text[lineAt:lineAt+k], true
			}
			// The line holds its name and colon, so end-1 is in it.
			if text[end-1] == '\r' {
				end--
			}
			// Nearly every value follows one space and ends the line:
			// then there is nothing to trim.
			if v := text[lineAt+k+1 : end]; len(v) > 1 && v[0] == ' ' && !isWSP(v[1]) && !isWSP(v[len(v)-1]) {
				value = v[1:]
			} else {
				value = trimWSP(v)
			}
		} else {
			var line string
			// Nearly every line is "Name: value", the name a token that the
			// colon follows at once: frame.find read the name and saved it,
			// which needs no trimming nor checking. Anything else takes the
			// general path.
			k := 0
			if li < f.nls {
				e := &f.lines[li]
				end := int(e.nl)
				line, pos = text[pos:end], end+1
				if len(line) > 0 && line[len(line)-1] == '\r' {
					line = line[:len(line)-1]
				}
				k, h = int(e.name), e.h
			} else {
				if f.allSaved {
					break
				}
				line, pos = cutLine(text, pos)
				if !p.full {
					for k < len(line) && tokenChar[line[k]] {
						k++
					}
					if k == len(line) || line[k] != ':' {
						k = 0
					} else if k > 0 {
						h = lookupHeader(line[:k])
					}
				}
			}
			if line == "" {
				break
			}
			var raw string
			if k > 0 {
				name, raw = line[:k], line[k+1:]
			} else {
				if isWSP(line[0]) {
					f.add(base+lineAt, "continuation line without a header field", nil)
					continue
				}
				colon := strings.IndexByte(line, ':')
				if colon < 0 {
					f.add(base+lineAt, fmt.Sprintf("header line without a colon: %q", clip(line)), nil)
					continue
				}
				name = trimWSP(line[:colon])
				h = lookupHeader(name)
				// A name lookupHeader knows is a token already.
				if h == hOther && !isToken(name) {
					f.add(base+lineAt, fmt.Sprintf("bad header name %q", clip(name)), nil)
					continue
				}
				raw = line[colon+1:]
			}
			// The value of a header nobody reads is not even trimmed. The
			// last-letter test, inlined here, turns most names away before
			// the call.
			if h != hOther && !p.full {
				corr = p.corr.known[h]
			} else {
				corr = (len(name) == 1 || p.corr.last[lower(name[len(name)-1])]) && p.corr.match(name)
			}
			if (h != hOther && h < numRead) || corr || p.full {
				value = trimWSP(raw)
			}
			if pos < len(text) && isWSP(text[pos]) {
				var folds int
				value, pos, folds = unfold(trimWSP(raw), text, pos)
				li += folds
			}
			m.Headers++
			if m.Headers > lim.maxHeaders {
				f.add(base+lineAt, fmt.Sprintf("more than %d header fields", lim.maxHeaders), nil)
				m.Headers--
				break
			}
		}

		switch h {
		case hVia:
			if f.have&(1<<hVia) == 0 && value != "" && !p.full {
				// A value fastVia reads holds no comma: it is the
				// field's only value, as nextValue would cut it.
				if via, ok := fastVia(value); ok {
					m.Via = via
					f.have |= 1 << hVia
					m.ViaCount++
					break
				}
				// countValues goes through the values as nextValue
				// cuts them: the first is cut already.
				first, rest := nextValue(value)
				m.Via = p.parseVia(first)
				f.have |= 1 << hVia
				if first != "" {
					m.ViaCount++
				}
				if rest != "" {
					m.ViaCount += countValues(rest)
				}
				break
			}
			if f.have&(1<<hVia) == 0 && value != "" {
				first, _ := nextValue(value)
				m.Via = p.parseVia(first)
				f.have |= 1 << hVia
			}
			m.ViaCount += countValues(value)
		case hFrom:
			if f.have&(1<<hFrom) == 0 {
				m.From, m.FromTag = value, p.tagOf(value)
				f.have |= 1 << hFrom
			}
		case hTo:
			if f.have&(1<<hTo) == 0 {
				m.To, m.ToTag = value, p.tagOf(value)
				f.have |= 1 << hTo
			}
		case hCallID:
			if m.CallID == "" && value != "" {
				m.CallID = value
			}
		case hCSeq:
			if f.have&(1<<hCSeq) == 0 {
				f.have |= 1 << hCSeq
				seq, method, ok := parseCSeq(value)
				if !ok {
					f.add(base+lineAt, fmt.Sprintf("bad CSeq %q", clip(value)), nil)
				}
				m.CSeq, m.CSeqMethod = seq, p.method(method, shared)
			}
		case hContact:
			if m.Contact == "" {
				m.Contact, _ = nextValue(value)
			}
		case hContentLength:
			// frame.find read the first one; a second that disagrees
			// makes the framing a guess.
			if f.have&(1<<hContentLength) != 0 {
				if n, ok := parseLength(value); !ok || n != f.cl {
					f.add(base+lineAt, "conflicting Content-Length headers", nil)
				}
			}
			f.have |= 1 << hContentLength
		case hContentType:
			if m.ContentType == "" {
				m.ContentType = value
			}
		case hPAssertedIdentity:
			if m.PAssertedIdentity == "" {
				m.PAssertedIdentity, _ = nextValue(value)
			}
		case hReason:
			m.ReasonHeader = p.join(m.ReasonHeader, value)
		case hRetryAfter:
			if m.RetryAfter < 0 {
				m.RetryAfter = parseRetryAfter(value)
			}
		case hWarning:
			m.Warning = p.join(m.Warning, value)
		case hServer:
			if m.Server == "" {
				m.Server = value
			}
		case hUserAgent:
			if m.UserAgent == "" {
				m.UserAgent = value
			}
		}
		if corr {
			// Appended to the Parser's slice, not a local one: that would
			// be three more words for the loop to carry past its calls.
			p.corrs = append(p.corrs, Header{Name: name, Value: value})
		}
	}
	if m.CallID == "" {
		f.add(base, "missing Call-ID", nil)
	}
	if f.have&(1<<hCSeq) == 0 {
		f.add(base, "missing CSeq", nil)
	}
	if corrs := p.corrs; len(corrs) > 0 {
		m.Correlation = p.keepHeaders(corrs, reuse)
		// The scratch slice keeps no strings of this message alive, and
		// is empty for the next.
		clear(corrs)
		p.corrs = corrs[:0]
	}
}

// cutLine returns the line of s that starts at pos, without its CR LF or
// LF, and where the next line starts.
func cutLine(s string, pos int) (line string, next int) {
	nl := strings.IndexByte(s[pos:], '\n')
	if nl < 0 {
		line, next = s[pos:], len(s)
	} else {
		line, next = s[pos:pos+nl], pos+nl+1
	}
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	return line, next
}

// unfold joins the continuation lines that start at s[pos] to value, each
// fold becoming one space (RFC 3261 7.3.1), and says where the next field
// starts and how many lines it took. Folding is rare, so the new string it
// costs is rare too.
func unfold(value, s string, pos int) (string, int, int) {
	var sb strings.Builder
	sb.WriteString(value)
	lines := 0
	for pos < len(s) && isWSP(s[pos]) {
		var line string
		line, pos = cutLine(s, pos)
		lines++
		if part := trimWSP(line); part != "" {
			if sb.Len() > 0 {
				sb.WriteByte(' ')
			}
			sb.WriteString(part)
		}
	}
	return sb.String(), pos, lines
}

// join appends a header field's value to those of earlier fields of the
// same name, as the one comma-separated value RFC 3261 7.3.1 makes them.
func (p *Parser) join(have, v string) string {
	switch {
	case have == "":
		return v
	case v == "":
		return have
	}
	n := len(have) + 2 + len(v)
	if n > bigText {
		return have + ", " + v
	}
	if len(p.text) < n {
		p.text = make([]byte, textBlock)
	}
	dst := p.text[:0:n]
	p.text = p.text[n:]
	dst = append(append(append(dst, have...), ", "...), v...)
	return unsafe.String(&dst[0], n)
}
