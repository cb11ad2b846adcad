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
// A caller that is done with messages can give them back (Recycle), and
// the next heads are read into them instead of new ones.
//
// A Blocks is not safe for concurrent use: the parsers sharing one must
// be fed from one goroutine, which is also the one to call Recycle. The
// zero value is ready to use.
type Blocks struct {
	reqs []Request
	rsps []Response
	hdrs []Header
	text []byte

	// The messages given back, and the arrays of the Headers and
	// TraceIDs of the one taken for the head being read.
	freeReqs   []*Request
	freeRsps   []*Response
	spareHdrs  []Header
	spareTrace []Header
}

// maxFree bounds the messages a Blocks holds for reuse: a caller giving
// back more than parsers read must not make it grow.
const maxFree = 256

// RecycleRequest gives r back for a later head to be read into: r, and
// the arrays of its Headers and TraceIDs, are written over then, so the
// caller must be done with them. Its strings are not (the text of heads
// is never reused): they may be kept. A request whose end has not come
// (Body.End is 0: its parser may still fill in its Body) is left alone,
// as is nil. A message must be given back once at most.
func (b *Blocks) RecycleRequest(r *Request) {
	if r != nil && r.Body.End != 0 && len(b.freeReqs) < maxFree {
		b.freeReqs = append(b.freeReqs, r)
	}
}

// RecycleResponse gives r back; see RecycleRequest.
func (b *Blocks) RecycleResponse(r *Response) {
	if r != nil && r.Body.End != 0 && len(b.freeRsps) < maxFree {
		b.freeRsps = append(b.freeRsps, r)
	}
}

// spare keeps the header arrays of a message taken back for the head it
// will hold, emptied so that they pin no old text.
func (b *Blocks) spare(hs, trace []Header) {
	hs, trace = hs[:cap(hs)], trace[:cap(trace)]
	clear(hs)
	clear(trace)
	b.spareHdrs, b.spareTrace = hs[:0], trace[:0]
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
	return take(b, &b.freeReqs, &b.reqs, reqBlock, func(r *Request) ([]Header, []Header) { return r.Headers, r.TraceIDs })
}

func (b *Blocks) response() *Response {
	if b == nil {
		return new(Response)
	}
	return take(b, &b.freeRsps, &b.rsps, rspBlock, func(r *Response) ([]Header, []Header) { return r.Headers, r.TraceIDs })
}

// take is a message given back (its Headers and TraceIDs arrays kept as
// spares for the head about to be read); else the next of the current
// block, a new block of n when it is used up. A message given back is
// not cleared: the head read into it writes every field.
func take[M any](b *Blocks, free *[]*M, block *[]M, n int, arrays func(*M) (hs, trace []Header)) *M {
	if k := len(*free); k > 0 {
		m := (*free)[k-1]
		(*free)[k-1] = nil
		*free = (*free)[:k-1]
		b.spare(arrays(m))
		return m
	}
	b.spareHdrs, b.spareTrace = nil, nil
	if len(*block) == 0 {
		*block = make([]M, n)
	}
	m := &(*block)[0]
	*block = (*block)[1:]
	return m
}

// headers returns an empty list with room for n fields; its capacity is
// n, so that appending past it cannot write into a neighbour's. The
// message for the head must have been taken first: the Headers array it
// had is used when it is large enough.
func (b *Blocks) headers(n int) []Header {
	if b == nil {
		return make([]Header, 0, n)
	}
	return b.headersFrom(&b.spareHdrs, n)
}

func (b *Blocks) headersFrom(spare *[]Header, n int) []Header {
	if n > 0 && cap(*spare) >= n {
		h := (*spare)[:0:n]
		*spare = nil
		return h
	}
	if n > bigHeaders || n == 0 {
		return make([]Header, 0, n)
	}
	return cut(&b.hdrs, hdrBlock, n)
}

// cut returns an empty slice with room for n, cut from *block, which
// becomes a new block of size when it has not that much left. Its
// capacity is n, so that appending past it cannot write into a
// neighbour's.
func cut[T any](block *[]T, size, n int) []T {
	if len(*block) < n {
		*block = make([]T, size)
	}
	s := (*block)[:0:n]
	*block = (*block)[n:]
	return s
}

// copyHeaders returns a copy of hs (a head's trace headers), nil for
// none.
func (b *Blocks) copyHeaders(hs []Header) []Header {
	if len(hs) == 0 {
		return nil
	}
	if b == nil {
		return append(make([]Header, 0, len(hs)), hs...)
	}
	return append(b.headersFrom(&b.spareTrace, len(hs)), hs...)
}

// bytes returns an empty slice with room for n bytes, cut from the text
// block: a body's evidence, written as the body comes.
func (b *Blocks) bytes(n int) []byte {
	if b == nil || n > bigText || n == 0 {
		return make([]byte, 0, n)
	}
	return cut(&b.text, textBlock, n)
}

// str returns a copy of h as a string.
func (b *Blocks) str(h []byte) string {
	n := len(h)
	if b == nil || n > bigText || n == 0 {
		return string(h)
	}
	dst := append(cut(&b.text, textBlock, n), h...)
	return unsafe.String(&dst[0], n)
}
