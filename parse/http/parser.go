package http

import (
	"bytes"
	"strconv"
)

// Options tune a parser. The zero value (or nil) gives the defaults.
type Options struct {
	// TraceHeaders names the headers copied into TraceIDs
	// (case-insensitive; a leading "*" matches a suffix, see
	// DefaultTraceHeaders). Nil means DefaultTraceHeaders; an empty,
	// non-nil slice keeps none.
	TraceHeaders []string
	// MaxHeaderBytes bounds a head (start line, fields, final CRLF) and a
	// chunked trailer; 0 means DefaultMaxHeaderBytes, and less than 1024
	// is raised to 1024. It is also how many bytes a RequestParser holds
	// while it waits to learn how an upgrade request was answered.
	MaxHeaderBytes int
	// MaxHeaders bounds the header fields of one head; 0 means
	// DefaultMaxHeaders.
	MaxHeaders int
	// BodyEvidence is how many first bytes of each body are kept in
	// Body.Head; 0 means DefaultBodyEvidence, negative keeps none.
	BodyEvidence int
	// Blocks, when set, is what the messages and the text of their heads
	// are cut from (see Blocks); nil gives each its own allocations.
	Blocks *Blocks
}

// The defaults are far above what real clients and servers send (a big
// head is a few KB, nginx refuses more than 32 KB) and keep what a broken
// or hostile stream can make a parser hold small.
const (
	DefaultMaxHeaderBytes = 64 << 10
	DefaultMaxHeaders     = 500
	DefaultBodyEvidence   = 256
)

// maxChunkLine bounds a chunk-size line with its extensions.
const maxChunkLine = 4096

// maxPending bounds the requests a parser remembers as unanswered (the
// ExpectMethod queue, the requests waiting for Answer): deeper pipelining
// than this is not a client, and the oldest are dropped.
const maxPending = 1024

// While bytes are held, maxHeldPieces bounds the stretches kept apart for
// their times (later ones merge), and maxHeldGaps the gaps: so many lost
// stretches say the answer will not be told.
const (
	maxHeldPieces = 64
	maxHeldGaps   = 16
)

// Stats counts what a parser did. They never decrease.
type Stats struct {
	Bytes    int64 // bytes fed
	GapBytes int64 // bytes the capture lost (Gap)
	Heads    int64 // request or response heads read
	Problems int64 // KindProblem events
	// Resyncs counts the times a start line was found again after a
	// problem or a gap, and Skipped the bytes passed over looking for one.
	Resyncs int64
	Skipped int64
	// BadHeaderLines counts header lines that broke the rules without
	// breaking the framing: no colon (skipped), space before the colon,
	// a fold with nothing to continue.
	BadHeaderLines int64
	// Unmatched counts responses with no ExpectMethod queued, and answers
	// given to a RequestParser with no request waiting.
	Unmatched int64
	// Guessed counts upgrade requests whose answer never came and whose
	// fate a RequestParser decided from the bytes that followed (see
	// RequestParser.Answer).
	Guessed int64
	// UpgradeBytes counts the bytes handed on as KindUpgrade data.
	UpgradeBytes int64
}

type state uint8

const (
	stHead       state = iota // reading a head (or the CRLFs before one)
	stHunt                    // looking for a start line after a problem
	stLength                  // in a Content-Length body
	stChunkSize               // reading a chunk-size line
	stChunkData               // in a chunk's data
	stChunkEnd                // expecting the CRLF after chunk data
	stTrailer                 // reading the trailer of a chunked body
	stUntilClose              // in a body that the end of the stream ends
	stHeld                    // after an upgrade request: holding bytes until its answer is known
	stUpgraded                // no longer HTTP
)

// Kinds of request, as Answer needs to know them.
const (
	reqPlain   = iota
	reqUpgrade // Upgrade with Connection: upgrade
	reqConnect
	reqPreface // the HTTP/2 connection preface
)

// What Answer said about the upgrade request whose body is being read.
const (
	answerNone = iota
	answerSwitch
	answerRefused
)

// heldPiece is a stretch of held bytes (n > 0, in held) or a gap.
type heldPiece struct {
	t   int64
	n   int
	gap int64
}

// parser is the machine under both RequestParser and ResponseParser.
type parser struct {
	resp       bool
	maxHead    int
	maxHeaders int
	evidence   int
	tn         *traceNames
	blocks     *Blocks
	// trace gathers a head's trace headers before they are copied into
	// its message.
	trace []Header

	off    int64 // stream offset of the next byte fed
	state  state
	ev     []Event
	closed bool

	head     []byte // the head so far
	headOff  int64
	headT    int64
	lines    int // lines of the head completed, start line included
	lastLine int // where the incomplete line starts in head
	// eol holds where each completed line of the head ends (after its
	// LF), so that finishHead splits the head into fields without
	// looking for the line ends again. It starts in the eolBuf of the
	// RequestParser or ResponseParser (see there).
	eol []int
	// What the start line said, when it was judged: the lengths of the
	// method and target and whether a version follows (a request), or
	// the status code (a response). finishHead slices the head's text
	// with them rather than read the line twice.
	slMethod, slTarget int
	slProto            bool
	slCode             int

	skip    bool   // hunting: discarding up to the next LF
	line    []byte // candidate start line, chunk-size line, trailer line
	lineOff int64
	lineT   int64
	trailer int  // trailer bytes so far
	sawCR   bool // stChunkEnd: the CR came

	req     *Request
	rsp     *Response
	body    *Body
	remain  int64
	evStop  bool  // a gap cut the body: Body.Head keeps what came before
	upgrade uint8 // the kind of the current request (request side)

	// Request side: the unanswered requests, the number of the current
	// one, and the answer to it when that came before its body ended.
	pending  []pendingReq
	seq      int64
	curSeq   int64
	answered int
	// response side: methods of the requests not yet answered.
	methods []string

	held      []byte
	pieces    []heldPiece
	heldOff   int64
	heldGaps  int
	mustGuess bool // holding has gone on too long: decide from the bytes

	stats Stats
}

func (p *parser) init(o *Options, resp bool) {
	if o == nil {
		o = &Options{}
	}
	// A parser may come back from release: start afresh, with its
	// buffers. Cleared in place and the buffers put back, rather than
	// assigned a new value built apart, which wrote the whole parser
	// twice.
	ev, head, line, eol := p.ev[:0], p.head[:0], p.line[:0], p.eol[:0]
	pending, methods := p.pending[:0], p.methods[:0]
	held, pieces, trace := p.held[:0], p.pieces[:0], p.trace[:0]
	*p = parser{}
	p.ev, p.head, p.line, p.eol = ev, head, line, eol
	p.pending, p.methods = pending, methods
	p.held, p.pieces, p.trace = held, pieces, trace
	p.resp = resp
	p.maxHead = o.MaxHeaderBytes
	if p.maxHead == 0 {
		p.maxHead = DefaultMaxHeaderBytes
	}
	// The first line's verdict needs its first maxMethod+1 bytes before
	// the size limit can be reached, or chunking would change the outcome.
	p.maxHead = max(p.maxHead, 1024)
	p.maxHeaders = o.MaxHeaders
	if p.maxHeaders <= 0 {
		p.maxHeaders = DefaultMaxHeaders
	}
	p.evidence = o.BodyEvidence
	switch {
	case p.evidence == 0:
		p.evidence = DefaultBodyEvidence
	case p.evidence < 0:
		p.evidence = 0
	}
	p.tn = newTraceNames(o.TraceHeaders)
	p.blocks = o.Blocks
	if p.ev == nil {
		// A head and its end, or a few of them: enough that feeding
		// does not grow the slice in steps.
		p.ev = make([]Event, 0, 4)
	}
}

// release empties the parser for reuse. Its buffers stay unless they grew
// large; what they point to is dropped, so that a pooled parser keeps no
// message alive.
func (p *parser) release() {
	clear(p.ev[:cap(p.ev)])
	clear(p.methods[:cap(p.methods)])
	if cap(p.ev) > 64 {
		p.ev = nil
	}
	p.head, p.line = empty(p.head), empty(p.line)
	if cap(p.eol) > 64 {
		p.eol = nil
	}
	p.held, p.pieces = empty(p.held), nil
	if cap(p.pending) > 64 {
		p.pending = nil
	}
	if cap(p.methods) > 64 {
		p.methods = nil
	}
	clear(p.trace[:cap(p.trace)])
	if cap(p.trace) > 64 {
		p.trace = nil
	}
	p.req, p.rsp, p.body, p.blocks = nil, nil, nil, nil
}

func (p *parser) emit(e Event) { p.ev = append(p.ev, e) }

func (p *parser) problem(class error, at, t int64, reason string) {
	p.stats.Problems++
	p.emit(Event{Kind: KindProblem, Time: t, Offset: at, Err: &Error{Offset: at, Reason: reason, Err: class}})
}

func (p *parser) feed(b []byte, t int64) []Event {
	p.ev = p.ev[:0]
	if p.closed || len(b) == 0 {
		return p.ev
	}
	p.stats.Bytes += int64(len(b))
	p.run(b, t)
	return p.ev
}

// run consumes b. Each step consumes a prefix of b and may change the
// state; p.off is the offset of b[0] during a step and moves after it.
func (p *parser) run(b []byte, t int64) {
	for len(b) > 0 {
		var n int
		switch p.state {
		case stHead:
			n = p.inHead(b, t)
		case stHunt:
			n = p.inHunt(b, t)
		case stLength, stChunkData, stUntilClose:
			n = p.inBody(b, t)
		case stChunkSize:
			n = p.inChunkSize(b, t)
		case stChunkEnd:
			n = p.inChunkEnd(b, t)
		case stTrailer:
			n = p.inTrailer(b, t)
		case stHeld:
			n = p.inHeld(b, t)
		case stUpgraded:
			p.stats.UpgradeBytes += int64(len(b))
			p.emit(Event{Kind: KindUpgrade, Time: t, Offset: p.off, Data: b})
			n = len(b)
		}
		p.off += int64(n)
		b = b[n:]
		p.settle()
	}
}

// settle decides a held upgrade when holding has gone on too long.
func (p *parser) settle() {
	if p.mustGuess {
		p.mustGuess = false
		p.decide(p.guess(), p.pieces[len(p.pieces)-1].t)
	}
}

// prefix returns the first maxMethod+1 bytes of a followed by b, which is
// all plausibleStart looks at.
func prefix(a, b []byte, buf *[maxMethod + 1]byte) []byte {
	if len(a) > maxMethod {
		return a[:maxMethod+1]
	}
	n := copy(buf[:], a)
	n += copy(buf[n:], b)
	return buf[:n]
}

func trimEOL(l []byte) []byte {
	if n := len(l); n > 0 && l[n-1] == '\n' {
		l = l[:n-1]
	}
	if n := len(l); n > 0 && l[n-1] == '\r' {
		l = l[:n-1]
	}
	return l
}

func (p *parser) startName() string {
	if p.resp {
		return "status line"
	}
	return "request line"
}

// hunt starts looking for a start line. skip says the bytes up to the next
// LF are the rest of a line already judged.
func (p *parser) hunt(skip bool) {
	p.state = stHunt
	p.skip = skip
	p.line, p.head = empty(p.line), empty(p.head)
}

// empty returns b emptied for reuse, or nil when it is large: one huge
// head or line must not pin its buffer for the connection's life, and a
// capture may hold thousands of connections at once.
func empty(b []byte) []byte {
	if cap(b) > 8<<10 {
		return nil
	}
	return b[:0]
}

func (p *parser) inHead(b []byte, t int64) int {
	i := 0
	if len(p.head) == 0 {
		// RFC 9112 §2.2: empty lines before a request line are ignored.
		for i < len(b) && (b[i] == '\r' || b[i] == '\n') {
			i++
		}
		if i == len(b) {
			return i
		}
		p.headOff, p.headT = p.off+int64(i), t
		p.lines, p.lastLine = 0, 0
		p.eol = p.eol[:0]
	}
	// h is the head so far. A head that starts in b is read where it
	// lies (most heads come whole in one segment) and copied into p.head
	// only if b ends before it does.
	h, inPlace, start := p.head, len(p.head) == 0, i
	for i < len(b) {
		if inPlace && p.lines > 0 {
			var end int
			if i, end = p.fieldLines(b, start, i); end > 0 {
				p.finishHead(b[start:end], p.off+int64(end), t)
				return end
			}
			// A line the steps below take: incomplete, too long, one
			// field too many.
			h = b[start:i]
		}
		end, nl := len(b), false
		if k := bytes.IndexByte(b[i:], '\n'); k >= 0 {
			end, nl = i+k+1, true
		}
		seg := b[i:end]
		if p.lines == 0 {
			var buf [maxMethod + 1]byte
			if !plausibleStart(prefix(h, seg, &buf), p.resp) {
				p.stats.Skipped += int64(len(h) + len(seg))
				p.problem(ErrStartLine, p.headOff, t, "bad "+p.startName())
				p.hunt(!nl)
				return end
			}
		}
		if len(h)+len(seg) > p.maxHead {
			p.stats.Skipped += int64(len(h) + len(seg))
			p.problem(ErrHeaderTooLarge, p.headOff, t, "head longer than "+strconv.Itoa(p.maxHead)+" bytes")
			p.hunt(!nl)
			return end
		}
		if inPlace {
			h = b[start:end]
		} else {
			h = append(h, seg...)
			p.head = h
		}
		i = end
		if !nl {
			break
		}
		line := trimEOL(h[p.lastLine:])
		switch {
		case p.lines == 0:
			if !p.startLine(line, false) {
				p.stats.Skipped += int64(len(h))
				p.problem(ErrStartLine, p.headOff, t, "bad "+p.startName())
				p.hunt(false)
				return i
			}
		case len(line) == 0:
			p.finishHead(h, p.off+int64(i), t)
			return i
		case p.lines > p.maxHeaders:
			p.stats.Skipped += int64(len(h))
			p.problem(ErrTooManyHeaders, p.headOff, t, "more than "+strconv.Itoa(p.maxHeaders)+" header fields")
			p.hunt(false)
			return i
		}
		p.lines++
		p.lastLine = len(h)
		p.eol = append(p.eol, len(h))
	}
	if inPlace {
		// The head goes on in the next bytes: keep what came.
		if cap(p.head) < len(h) {
			// Room for a typical head, so that the rest of it does not
			// grow the slice in steps.
			p.head = make([]byte, 0, max(1024, 2*len(h)))
		}
		p.head = append(p.head[:0], h...)
	}
	return i
}

// fieldLines notes the ends of the field lines of a head that lies in b
// from start, from b[i] on, as inHead's steps would, in fewer of them:
// most heads come whole in one segment. It stops at the empty line that
// ends the head, and returns the index after it as end; or at a line it
// leaves to inHead (incomplete, too long, one field too many), and
// returns where that starts as next.
func (p *parser) fieldLines(b []byte, start, i int) (next, end int) {
	eol, lines := p.eol, p.lines
	for lines <= p.maxHeaders {
		k := bytes.IndexByte(b[i:], '\n')
		if k < 0 || i+k+1-start > p.maxHead {
			break
		}
		if k == 0 || k == 1 && b[i] == '\r' {
			end = i + k + 1
			break
		}
		i += k + 1
		lines++
		eol = append(eol, i-start)
	}
	p.eol, p.lines, p.lastLine = eol, lines, i-start
	return i, end
}

// inHunt looks for a line that is a start line beyond doubt (a version,
// an upper-case method) and resumes there.
func (p *parser) inHunt(b []byte, t int64) int {
	i := 0
	for i < len(b) {
		if p.skip {
			k := bytes.IndexByte(b[i:], '\n')
			if k < 0 {
				p.stats.Skipped += int64(len(b) - i)
				return len(b)
			}
			p.stats.Skipped += int64(k + 1)
			i += k + 1
			p.skip = false
			continue
		}
		if len(p.line) == 0 {
			if b[i] == '\r' || b[i] == '\n' {
				p.stats.Skipped++
				i++
				continue
			}
			p.lineOff, p.lineT = p.off+int64(i), t
		}
		end, nl := len(b), false
		if k := bytes.IndexByte(b[i:], '\n'); k >= 0 {
			end, nl = i+k+1, true
		}
		seg := b[i:end]
		var buf [maxMethod + 1]byte
		if !plausibleStart(prefix(p.line, seg, &buf), p.resp) || len(p.line)+len(seg) > p.maxHead {
			p.stats.Skipped += int64(len(p.line) + len(seg))
			p.line = p.line[:0]
			p.skip = !nl
			i = end
			continue
		}
		p.line = append(p.line, seg...)
		i = end
		if !nl {
			return i
		}
		if p.resync() {
			return i
		}
	}
	return i
}

// resync checks the complete line in p.line; when it is a start line the
// head begins with it. Otherwise the line is dropped.
func (p *parser) resync() bool {
	if !p.startLine(trimEOL(p.line), true) {
		p.stats.Skipped += int64(len(p.line))
		p.line = p.line[:0]
		return false
	}
	p.stats.Resyncs++
	p.head = append(p.head[:0], p.line...)
	p.line = empty(p.line)
	p.headOff, p.headT = p.lineOff, p.lineT
	p.lines, p.lastLine = 1, len(p.head)
	p.eol = append(p.eol[:0], len(p.head))
	p.state = stHead
	return true
}

// startLine judges a start line (without its line end) and notes what
// finishHead needs of it; strict is requestLine's.
func (p *parser) startLine(line []byte, strict bool) bool {
	if p.resp {
		_, code, _, ok := statusLine(line)
		p.slCode = code
		return ok
	}
	m, tg, pr, ok := requestLine(line, strict)
	p.slMethod, p.slTarget, p.slProto = len(m), len(tg), len(pr) > 0
	return ok
}

// finishHead turns the complete head h (p.head, or where it lies in the
// bytes fed) into a message; at is the offset just after it.
func (p *parser) finishHead(h []byte, at, t int64) {
	p.stats.Heads++
	s := p.blocks.str(h)
	line := trimEOL(h[:p.eol[0]])
	// The message first: one given back brings arrays for the headers.
	var req *Request
	var rsp *Response
	if p.resp {
		rsp = p.blocks.response()
	} else {
		req = p.blocks.request()
	}
	f := fields{contentLength: -1, headers: p.blocks.headers(p.lines - 1), trace: p.trace[:0]}
	readFields(&f, s, p.eol, p.tn)
	p.trace = f.trace
	f.trace = p.blocks.copyHeaders(f.trace)
	p.stats.BadHeaderLines += int64(f.badLines)
	if p.resp {
		p.responseHead(rsp, line, s, &f, at, t)
	} else {
		p.requestHead(req, s, &f, at, t)
	}
	p.head = empty(p.head)
}
