package http

import "sync"

// RequestParser reads the client side of one connection: requests, their
// bodies skipped, and after an upgrade that was accepted, the bytes of the
// new protocol.
//
// Feed, Gap, Answer and Close return the events they completed, in stream
// order. The slice and any Event.Data in it are reused by the next call;
// the *Request values are the caller's to keep.
type RequestParser struct {
	p parser
	// eolBuf is where p.eol starts: room for a typical head's lines, so
	// that a new parser costs no allocation more. It is out of p, which
	// init clears whole, so that reusing a parser does not write it.
	eolBuf [eolRoom]int
}

// eolRoom is how many lines of a head a parser notes without allocating.
const eolRoom = 24

// NewRequestParser returns a parser for a stream that starts with a
// request (or with bytes before one, which are skipped as a problem).
func NewRequestParser(o *Options) *RequestParser {
	r := requestParsers.Get().(*RequestParser)
	if r.p.eol == nil {
		r.p.eol = r.eolBuf[:0]
	}
	r.p.init(o, false)
	return r
}

// Parsers given back by Release, for the next connections: a capture
// opens thousands, each with a parser per side, and their buffers are
// the same size every time.
var (
	requestParsers  = sync.Pool{New: func() any { return new(RequestParser) }}
	responseParsers = sync.Pool{New: func() any { return new(ResponseParser) }}
)

// Release gives the parser back for a later NewRequestParser to reuse.
// Neither it nor any slice it returned may be used afterwards; the
// Requests it reported stay the caller's.
func (r *RequestParser) Release() {
	r.p.release()
	requestParsers.Put(r)
}

// Feed parses the next bytes of the stream; t is their time (Unix ns, as
// the capture stage counts), copied into the events. b is not kept: it may
// be reused once Feed returns, except that KindUpgrade events alias it.
func (r *RequestParser) Feed(b []byte, t int64) []Event { return r.p.feed(b, t) }

// Gap says n bytes of the stream were lost (the capture missed them).
// Inside a body it only shortens the body; anywhere else the parser
// reports a problem and resumes at the next request line.
func (r *RequestParser) Gap(n, t int64) []Event { return r.p.gap(n, t) }

// Close says the stream ended (FIN or RST, or the capture did). A body
// still expecting bytes ends incomplete; a head cut short is a problem.
// The parser takes no more input afterwards.
func (r *RequestParser) Close(t int64) []Event { return r.p.close(t) }

// Answer tells the parser the status code of the next final response on
// the connection (and of a 101). The parser needs it only for a request
// that asks to switch protocols (Upgrade with Connection: upgrade, or
// CONNECT): the client's bytes after such a request are HTTP if the
// answer was a refusal (503, 429, 200 to an h2c upgrade), and the new
// protocol after a 101 (a 2xx to CONNECT). Until the answer comes, the
// parser holds those bytes (up to Options.MaxHeaderBytes); when it does
// not come, because the caller never calls Answer, the response side was
// not captured, or the client did not wait, it decides from the bytes
// themselves once that much is held (or 16 gaps), or the stream closes: an
// HTTP request line means the upgrade was refused. Stats.Guessed counts
// such guesses.
//
// Interim responses (1xx but 101) are ignored, so every response code may
// be passed on as the ResponseParser reports it.
func (r *RequestParser) Answer(code int, t int64) []Event { return r.p.answer(code, t) }

// Offset is the stream offset of the next byte Feed will read.
func (r *RequestParser) Offset() int64 { return r.p.off }

// Upgraded reports whether the stream has switched protocols for good:
// Feed hands every byte on as KindUpgrade data from now on, and a caller
// that only wants those bytes may keep them from the parser.
func (r *RequestParser) Upgraded() bool { return r.p.upgraded() }

// Stats returns the counts so far.
func (r *RequestParser) Stats() Stats { return r.p.stats }

// ResponseParser reads the server side of one connection.
//
// To know which responses have a body, it must be told the method of each
// request, in order, with ExpectMethod, before their responses are fed:
// a response to HEAD has none whatever its headers say, and a 2xx to
// CONNECT starts a tunnel. Without it every response is taken to answer a
// GET, and a response to HEAD with a Content-Length swallows what follows.
type ResponseParser struct {
	p      parser
	eolBuf [eolRoom]int // see RequestParser
}

// NewResponseParser returns a parser for a stream that starts with a
// response.
func NewResponseParser(o *Options) *ResponseParser {
	r := responseParsers.Get().(*ResponseParser)
	if r.p.eol == nil {
		r.p.eol = r.eolBuf[:0]
	}
	r.p.init(o, true)
	return r
}

// Release gives the parser back for a later NewResponseParser to reuse;
// see RequestParser.Release.
func (r *ResponseParser) Release() {
	r.p.release()
	responseParsers.Put(r)
}

// ExpectMethod queues the method of the next request on the connection.
func (r *ResponseParser) ExpectMethod(m string) {
	if len(r.p.methods) >= maxPending {
		r.p.methods = popFront(r.p.methods)
		r.p.stats.Unmatched++
	}
	r.p.methods = append(r.p.methods, m)
}

// Feed parses the next bytes; see RequestParser.Feed. After a 101 (or a
// 2xx to CONNECT) every byte comes back as KindUpgrade data, the first of
// them in the same call as the response that switched.
func (r *ResponseParser) Feed(b []byte, t int64) []Event { return r.p.feed(b, t) }

// Gap says n bytes were lost; see RequestParser.Gap.
func (r *ResponseParser) Gap(n, t int64) []Event { return r.p.gap(n, t) }

// Close says the stream ended. A body delimited by the connection closing
// (no Content-Length, not chunked) ends complete here.
func (r *ResponseParser) Close(t int64) []Event { return r.p.close(t) }

// Offset is the stream offset of the next byte Feed will read.
func (r *ResponseParser) Offset() int64 { return r.p.off }

// Upgraded reports whether the stream has switched protocols for good;
// see RequestParser.Upgraded.
func (r *ResponseParser) Upgraded() bool { return r.p.upgraded() }

func (p *parser) upgraded() bool { return p.state == stUpgraded && !p.closed }

// Stats returns the counts so far.
func (r *ResponseParser) Stats() Stats { return r.p.stats }

func (p *parser) gap(n, t int64) []Event {
	p.ev = p.ev[:0]
	if p.closed || n <= 0 {
		return p.ev
	}
	p.stats.GapBytes += n
	p.gapAt(n, t)
	p.settle()
	return p.ev
}

func (p *parser) close(t int64) []Event {
	p.ev = p.ev[:0]
	if p.closed {
		return p.ev
	}
	for p.state == stHeld && (len(p.held) > 0 || len(p.pieces) > 0) {
		p.decide(p.guess(), t)
	}
	switch p.state {
	case stHead:
		if len(p.head) > 0 {
			p.problem(ErrTruncated, p.headOff, t, "stream ended inside a head")
		}
	case stLength, stChunkSize, stChunkData, stChunkEnd, stTrailer:
		p.end(false, p.off, t)
	case stUntilClose:
		p.end(true, p.off, t)
	}
	p.closed = true
	return p.ev
}

func (p *parser) answer(code int, t int64) []Event {
	p.ev = p.ev[:0]
	if p.resp || code < 200 && code != 101 {
		return p.ev
	}
	if len(p.pending) == 0 {
		p.stats.Unmatched++
		return p.ev
	}
	e := p.pending[0]
	p.pending = popFront(p.pending)
	if e.kind == reqPlain || e.seq != p.curSeq || p.closed {
		return p.ev
	}
	a := answerRefused
	if e.kind == reqUpgrade && code == 101 || e.kind == reqConnect && code/100 == 2 {
		a = answerSwitch
	}
	switch {
	case p.state == stHeld:
		p.decide(a == answerSwitch, t)
		p.settle()
	case p.body != nil:
		p.answered = a
	}
	return p.ev
}

// popFront drops a queue's first element. It moves the rest down rather
// than reslicing, so that the queue keeps its array instead of allocating
// a new one with every other append; queues are a few entries long.
func popFront[T any](q []T) []T {
	n := copy(q, q[1:])
	var zero T
	q[n] = zero
	return q[:n]
}
