package http

import "unsafe"

// Blocks cuts the messages that parsers report, their header lists and
// the text of their heads from arrays that many messages share, for a
// caller that reads heads by the hundred thousand (a capture): allocating
// each of those apart costs more than reading the head does.
//
// The blocks are written once: a message, once reported, stays as it is
// whatever its parser or the others sharing the Blocks read next, but for
// its Body, which its own parser fills in until the message's end (the
// Body.Head of a short body is cut from the text block too). The
// price is that a message kept pins the blocks it was cut from, a few KB
// at most. A caller that keeps a string of a message for long (a
// Sec-WebSocket-Key until its answer) and wants to pin no more than that
// string copies it.
//
// A Blocks is not safe for concurrent use: the parsers sharing one must
// be fed from one goroutine. The zero value is ready to use.
type Blocks struct {
	reqs []Request
	rsps []Response
	hdrs []Header
	text []byte
}

// The sizes of the blocks: a few dozen typical heads (350 bytes of text,
// eight header fields) to a block, so that what one kept message pins
// stays small. Each block of messages or headers is 8 KiB less the 8-byte
// header the runtime puts before an allocation of more than 512 bytes
// that holds pointers: a round 8 KiB of them (256 Headers) took the next
// size class, 9472 bytes, and left 13% of every block unused.
const (
	blockBytes = 8<<10 - 8
	reqBlock   = int(blockBytes / unsafe.Sizeof(Request{}))
	rspBlock   = int(blockBytes / unsafe.Sizeof(Response{}))
	hdrBlock   = int(blockBytes / unsafe.Sizeof(Header{}))
	textBlock  = 8 << 10
	// A head's text, or its header list, longer than a quarter of a block
	// is allocated apart rather than waste most of one.
	bigText    = textBlock / 4
	bigHeaders = hdrBlock / 4
)

func (b *Blocks) request() *Request {
	if b == nil {
		return new(Request)
	}
	if len(b.reqs) == 0 {
		b.reqs = make([]Request, reqBlock)
	}
	r := &b.reqs[0]
	b.reqs = b.reqs[1:]
	return r
}

func (b *Blocks) response() *Response {
	if b == nil {
		return new(Response)
	}
	if len(b.rsps) == 0 {
		b.rsps = make([]Response, rspBlock)
	}
	r := &b.rsps[0]
	b.rsps = b.rsps[1:]
	return r
}

// headers returns an empty list with room for n fields; its capacity is
// n, so that appending past it cannot write into a neighbour's.
func (b *Blocks) headers(n int) []Header {
	if b == nil || n > bigHeaders || n == 0 {
		return make([]Header, 0, n)
	}
	if len(b.hdrs) < n {
		b.hdrs = make([]Header, hdrBlock)
	}
	h := b.hdrs[:0:n]
	b.hdrs = b.hdrs[n:]
	return h
}

// copyHeaders returns a copy of hs, nil for none.
func (b *Blocks) copyHeaders(hs []Header) []Header {
	if len(hs) == 0 {
		return nil
	}
	return append(b.headers(len(hs)), hs...)
}

// bytes returns an empty slice with room for n bytes, cut from the text
// block: a body's evidence, written as the body comes. Its capacity is n,
// so that appending past it cannot write into a neighbour's.
func (b *Blocks) bytes(n int) []byte {
	if b == nil || n > bigText || n == 0 {
		return make([]byte, 0, n)
	}
	if len(b.text) < n {
		b.text = make([]byte, textBlock)
	}
	d := b.text[:0:n]
	b.text = b.text[n:]
	return d
}

// str returns a copy of h as a string.
func (b *Blocks) str(h []byte) string {
	n := len(h)
	if b == nil || n > bigText || n == 0 {
		return string(h)
	}
	if len(b.text) < n {
		b.text = make([]byte, textBlock)
	}
	dst := b.text[:n:n]
	b.text = b.text[n:]
	copy(dst, h)
	return unsafe.String(&dst[0], n)
}
