package sip

import "math"

// Frame tells where the message at the start of b ends, as Parse would,
// without reading its headers' values: n is what Parse's n would be and
// err is nil exactly when Parse would return a message (sound or
// damaged). A stream's framer calls it to cut each message on the
// goroutine that reads the stream and leaves the parsing, the larger part
// of the work, to another: Parse given b[:n] then returns what it returns
// given b (TestFrameCutsWhereParseDoes).
func (p *Parser) Frame(b []byte, opts *Options) (n int, err error) {
	lim := limitsOf(opts)
	var f frame
	// The general path: what is cut needs only the end of the headers
	// and Content-Length, not the names the fast path reads and saves
	// for fill, which are most of its work. Both frame alike
	// (TestFastPathsAgree).
	if err := p.frame(&f, b, &lim, true); err != nil {
		return f.n, err
	}
	return f.n, nil
}

// frame is the part of parsing that Frame shares: a keep-alive is no
// message, and frame.find tells the rest. full is find's.
func (p *Parser) frame(f *frame, b []byte, lim *limits, full bool) error {
	if KeepAlive(b) {
		f.n = len(b)
		return errKeepAlive
	}
	if !p.full {
		f.ends = &p.ends
	}
	return f.find(b, lim, full)
}

// Framed is what FrameInto learnt of a message cut from a stream: where
// its start line, header lines and body lie, and the name of each header
// line. Its parse (ParseSharedIntoFramed), on another goroutine, starts
// from there rather than reading the start line and finding the header
// lines again, the second of the two passes a stream's message took over
// its headers (Frame's and Parse's). The offsets are from the start of
// the bytes framed.
type Framed struct {
	lines                               [savedLines]savedLine
	start, lineEnd, methodEnd, uriStart int32
	headers, hdrEnd, cl, n              int32
	nls                                 uint8
	status, allSaved, plain, ok         bool
}

// FrameInto is Frame keeping in *fr what the parse of the message needs
// (see Framed). It reads each header line's name, as Parse does and Frame
// does not, which costs it about as much as Frame's reading costs Parse.
func (p *Parser) FrameInto(b []byte, fr *Framed, opts *Options) (n int, err error) {
	lim := limitsOf(opts)
	f := frame{lines: &fr.lines}
	fr.ok = false
	if err := p.frame(&f, b, &lim, p.full); err != nil {
		return f.n, err
	}
	fr.keep(&f)
	return f.n, nil
}

// keep notes f in fr. A message find found a problem in (rare) is not
// handed over: its parse frames it again, and reports the problem.
func (fr *Framed) keep(f *frame) {
	if f.fault != nil || f.n > math.MaxInt32 {
		return
	}
	fr.start, fr.lineEnd, fr.methodEnd, fr.uriStart = int32(f.start), int32(f.lineEnd), int32(f.methodEnd), int32(f.uriStart)
	fr.headers, fr.hdrEnd, fr.cl, fr.n = int32(f.headers), int32(f.hdrEnd), int32(f.cl), int32(f.n)
	fr.nls, fr.status, fr.allSaved, fr.plain = uint8(f.nls), f.status, f.allSaved, f.plain
	fr.ok = true
}

// ParseSharedIntoFramed is ParseSharedInto for the message FrameInto cut
// from the start of b, with what it learnt in fr and the same opts: it
// returns what ParseSharedInto would. A Framed that FrameInto did not
// fill (it found no message, or a problem) is read from scratch.
func (p *Parser) ParseSharedIntoFramed(m *Message, b []byte, fr *Framed, opts *Options) (ok bool, n int, err error) {
	if !fr.ok || int(fr.n) > len(b) || p.full {
		return p.ParseSharedInto(m, b, opts)
	}
	lim := limitsOf(opts)
	p.correlationOf(opts)
	f := frame{lines: &fr.lines,
		start: int(fr.start), lineEnd: int(fr.lineEnd), methodEnd: int(fr.methodEnd), uriStart: int(fr.uriStart),
		headers: int(fr.headers), hdrEnd: int(fr.hdrEnd), cl: int(fr.cl), n: int(fr.n),
		nls: int(fr.nls), status: fr.status, allSaved: fr.allSaved, plain: fr.plain}
	// In a stream a message's body is what follows its headers up to
	// its end: Content-Length bytes, or none.
	f.body = b[f.hdrEnd:f.n]
	reuse := m.Correlation[:0]
	*m = Message{}
	p.fill(m, b, &f, &lim, true, reuse)
	if f.fault != nil {
		return true, f.n, f.fault
	}
	return true, f.n, nil
}

// correlationOf compiles the correlation header list of opts, unless
// it is the one the Parser has.
func (p *Parser) correlationOf(opts *Options) {
	names := DefaultCorrelationHeaders
	if opts != nil && opts.CorrelationHeaders != nil {
		names = opts.CorrelationHeaders
	}
	if !p.corrOK || !p.corr.same(names) {
		p.corr, p.corrOK = newCorrelation(names), true
	}
}
