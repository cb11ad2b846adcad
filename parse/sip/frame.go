package sip

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
