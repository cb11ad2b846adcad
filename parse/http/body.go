package http

import (
	"bytes"
	"math"
	"strconv"
)

// pendingReq is a request not yet answered, as the request side keeps it.
type pendingReq struct {
	kind uint8
	seq  int64
}

// requestFields slices the request line of a complete head, as
// startLine measured it, out of s, the head as a string: the returned
// strings share s.
func (p *parser) requestFields(s string) (method, target, proto string) {
	method = s[:p.slMethod]
	ts := p.slMethod + 1
	target = s[ts : ts+p.slTarget]
	if p.slProto {
		proto = s[ts+p.slTarget+1 : ts+p.slTarget+9]
	}
	return
}

func (p *parser) pushPending(kind uint8) {
	if len(p.pending) >= maxPending {
		p.pending = popFront(p.pending)
		p.stats.Unmatched++
	}
	p.seq++
	p.pending = append(p.pending, pendingReq{kind, p.seq})
}

func (p *parser) requestHead(r *Request, s string, f *fields, at, t int64) {
	method, target, proto := p.requestFields(s)
	*r = Request{
		Method: method, Target: target, Proto: proto,
		Host: f.host, Headers: f.headers,
		Upgrade: f.upgrade, Connection: f.connection,
		WebSocketKey: f.wsKey, WebSocketProtocol: f.wsProto,
		WebSocketVersion: f.wsVersion, WebSocketExtensions: f.wsExt,
		TraceIDs: f.trace, ContentLength: f.contentLength,
		Offset: p.headOff, Time: p.headT,
	}
	if f.clBad != "" {
		r.ContentLength = -1
	}
	kind := uint8(reqPlain)
	switch {
	case method == "PRI" && proto == "HTTP/2.0":
		// The HTTP/2 connection preface: what follows is HTTP/2 frames,
		// with no answer to wait for.
		kind = reqPreface
	case method == "CONNECT":
		kind = reqConnect
	case f.upgrade != "" && hasUpgrade(f.connection):
		kind = reqUpgrade
	}
	if kind != reqPreface {
		p.pushPending(kind)
	}
	p.req, p.rsp, p.body = r, nil, &r.Body
	p.upgrade, p.curSeq, p.answered = kind, p.seq, 0
	p.emit(Event{Kind: KindRequest, Time: t, Offset: r.Offset, Request: r})
	switch {
	case f.te != "":
		if lastCoding(f.te) != "chunked" {
			// RFC 9112 §6.3: the server cannot tell where the body ends.
			p.badFraming("request Transfer-Encoding "+strconv.Quote(clip(f.te))+" does not end in chunked", at, t)
			return
		}
		r.Chunked = true
		p.startChunked()
	case f.clBad != "":
		p.badFraming(f.clBad, at, t)
	case f.contentLength > 0:
		p.startLength(f.contentLength)
	default:
		p.end(true, at, t)
		p.next(at, t)
	}
}

func (p *parser) responseHead(r *Response, line []byte, s string, f *fields, at, t int64) {
	code := p.slCode
	final := code >= 200 || code == 101
	method := ""
	if len(p.methods) > 0 {
		method = p.methods[0]
		if final {
			p.methods = popFront(p.methods)
		}
	} else if final {
		p.stats.Unmatched++
	}
	*r = Response{
		Proto: s[:8], Code: code, Method: method,
		Headers: f.headers,
		Upgrade: f.upgrade, Connection: f.connection,
		WebSocketAccept: f.wsAccept, WebSocketProtocol: f.wsProto,
		WebSocketExtensions: f.wsExt, Date: f.date,
		RetryAfter: retryAfter(f.retryAfter, f.date, p.headT),
		TraceIDs:   f.trace, ContentLength: f.contentLength,
		Offset: p.headOff, Time: p.headT,
	}
	if f.clBad != "" {
		r.ContentLength = -1
	}
	if f.te != "" {
		r.Chunked = lastCoding(f.te) == "chunked"
	}
	if len(line) > 13 {
		// The reason, after "HTTP/1.1 200 ".
		r.Reason = s[13:len(line)]
	}
	p.req, p.rsp, p.body = nil, r, &r.Body
	p.emit(Event{Kind: KindResponse, Time: t, Offset: r.Offset, Response: r})
	// RFC 9112 §6.3, in its order.
	switch {
	case code < 200 || code == 204 || code == 304 || method == "HEAD" ||
		method == "CONNECT" && code/100 == 2:
		p.end(true, at, t)
		p.next(at, t)
	case r.Chunked:
		p.startChunked()
	case f.te != "":
		p.state = stUntilClose
	case f.clBad != "":
		p.badFraming(f.clBad, at, t)
	case f.contentLength > 0:
		p.startLength(f.contentLength)
	case f.contentLength == 0:
		p.end(true, at, t)
		p.next(at, t)
	default:
		p.state = stUntilClose
	}
}

// badFraming ends a message whose body cannot be delimited and looks for
// the next one.
func (p *parser) badFraming(reason string, at, t int64) {
	p.end(false, at, t)
	p.problem(ErrFraming, at, t, reason)
	p.hunt(false)
}

func (p *parser) startLength(n int64) {
	p.state = stLength
	p.remain = n
}

func (p *parser) startChunked() {
	p.state = stChunkSize
	p.line = p.line[:0]
}

// end delivers the end of the current message.
func (p *parser) end(complete bool, at, t int64) {
	b := p.body
	if b == nil {
		return
	}
	b.Complete, b.End, b.EndTime = complete, at, t
	p.emit(Event{Kind: KindEnd, Time: t, Offset: at, Request: p.req, Response: p.rsp})
	p.body, p.evStop, p.remain = nil, false, 0
}

// next picks the state after a message that ended well at offset at.
func (p *parser) next(at, t int64) {
	p.state = stHead
	if p.resp {
		if r := p.rsp; r != nil && (r.Code == 101 || r.Method == "CONNECT" && r.Code/100 == 2) {
			p.switchNow(at, t)
		}
		return
	}
	switch p.upgrade {
	case reqPreface:
		p.switchNow(at, t)
	case reqUpgrade, reqConnect:
		switch p.answered {
		case answerSwitch:
			p.switchNow(at, t)
		case answerRefused:
		default:
			p.state = stHeld
			p.heldOff, p.heldGaps = at, 0
			p.held, p.pieces = p.held[:0], p.pieces[:0]
		}
	}
	p.answered = 0
}

func (p *parser) switchNow(at, t int64) {
	p.state = stUpgraded
	p.emit(Event{Kind: KindUpgrade, Time: t, Offset: at})
}

// keep adds body bytes to the evidence.
func (p *parser) keep(d []byte) {
	b := p.body
	if p.evStop || len(b.Head) >= p.evidence || len(d) == 0 {
		return
	}
	if b.Head == nil {
		n := p.evidence
		if p.state == stLength && p.remain < int64(n) {
			n = int(p.remain)
		}
		b.Head = p.blocks.bytes(n)
	}
	n := min(len(d), p.evidence-len(b.Head))
	b.Head = append(b.Head, d[:n]...)
}

func (p *parser) inBody(b []byte, t int64) int {
	n := len(b)
	if p.state != stUntilClose && int64(n) > p.remain {
		n = int(p.remain)
	}
	p.keep(b[:n])
	p.body.Len += int64(n)
	if p.state == stUntilClose {
		return n
	}
	p.remain -= int64(n)
	if p.remain == 0 {
		if p.state == stLength {
			at := p.off + int64(n)
			p.end(true, at, t)
			p.next(at, t)
		} else {
			p.state, p.sawCR = stChunkEnd, false
		}
	}
	return n
}

// parseChunkSize reads the hex size at the front of a chunk-size line;
// chunk extensions after it are ignored.
func parseChunkSize(l []byte) (int64, bool) {
	var n int64
	i := 0
	for ; i < len(l); i++ {
		c := l[i]
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			goto done
		}
		if n > math.MaxInt64>>4 {
			return 0, false
		}
		n = n<<4 | int64(d)
	}
done:
	if i == 0 {
		return 0, false
	}
	rest := bytes.TrimLeft(l[i:], " \t")
	if len(rest) > 0 && rest[0] != ';' {
		return 0, false
	}
	return n, true
}

func (p *parser) inChunkSize(b []byte, t int64) int {
	if len(p.line) == 0 {
		p.lineOff, p.lineT = p.off, t
	}
	end, nl := len(b), false
	if k := bytes.IndexByte(b, '\n'); k >= 0 {
		end, nl = k+1, true
	}
	if len(p.line)+end > maxChunkLine {
		p.stats.Skipped += int64(len(p.line) + end)
		p.end(false, p.lineOff, t)
		p.problem(ErrChunk, p.lineOff, t, "chunk-size line longer than "+strconv.Itoa(maxChunkLine)+" bytes")
		p.hunt(!nl)
		return end
	}
	p.line = append(p.line, b[:end]...)
	if !nl {
		return end
	}
	size, ok := parseChunkSize(trimEOL(p.line))
	if !ok {
		p.end(false, p.lineOff, t)
		p.problem(ErrChunk, p.lineOff, t, "bad chunk size "+strconv.Quote(clip(string(trimEOL(p.line)))))
		// A body that was not chunked after all is often followed by
		// the next message: the bad line may be its start line.
		p.state, p.skip, p.head = stHunt, false, p.head[:0]
		p.resync()
		return end
	}
	p.line = p.line[:0]
	if size == 0 {
		p.state, p.trailer = stTrailer, 0
	} else {
		p.state, p.remain = stChunkData, size
	}
	return end
}

func (p *parser) inChunkEnd(b []byte, t int64) int {
	for i, c := range b {
		switch {
		case c == '\n':
			p.state = stChunkSize
			p.line = p.line[:0]
			return i + 1
		case c == '\r' && !p.sawCR:
			p.sawCR = true
		default:
			at := p.off + int64(i)
			p.end(false, at, t)
			p.problem(ErrChunk, at, t, "chunk data not followed by CRLF")
			p.hunt(false)
			return i
		}
	}
	return len(b)
}

func (p *parser) inTrailer(b []byte, t int64) int {
	i := 0
	for i < len(b) {
		if len(p.line) == 0 {
			p.lineOff = p.off + int64(i)
		}
		end, nl := len(b), false
		if k := bytes.IndexByte(b[i:], '\n'); k >= 0 {
			end, nl = i+k+1, true
		}
		p.trailer += end - i
		if p.trailer > p.maxHead {
			p.stats.Skipped += int64(len(p.line) + end - i)
			p.end(false, p.lineOff, t)
			p.problem(ErrHeaderTooLarge, p.lineOff, t, "trailer longer than "+strconv.Itoa(p.maxHead)+" bytes")
			p.hunt(!nl)
			return end
		}
		p.line = append(p.line, b[i:end]...)
		i = end
		if !nl {
			return i
		}
		empty := len(trimEOL(p.line)) == 0
		p.line = p.line[:0]
		if empty {
			at := p.off + int64(i)
			p.end(true, at, t)
			p.next(at, t)
			return i
		}
	}
	return i
}

// inHeld keeps the bytes after an upgrade request until Answer says what
// they are, or there are too many to wait any longer. Whether to stop
// waiting depends only on the bytes and gaps held, never on how they were
// fed: a stretch fed in many calls is one piece once there are many.
func (p *parser) inHeld(b []byte, t int64) int {
	n := min(len(b), p.maxHead-len(p.held))
	p.held = append(p.held, b[:n]...)
	if k := len(p.pieces) - 1; k >= 0 && p.pieces[k].n > 0 && (p.pieces[k].t == t || len(p.pieces) >= maxHeldPieces) {
		p.pieces[k].n += n
	} else {
		p.pieces = append(p.pieces, heldPiece{t: t, n: n})
	}
	if len(p.held) >= p.maxHead {
		p.mustGuess = true
	}
	return n
}

// guess decides an upgrade whose answer never came from the bytes the
// client sent after it: an HTTP request means it went on with HTTP.
func (p *parser) guess() bool {
	p.stats.Guessed++
	return !LooksLikeRequest(p.held)
}

// decide ends holding: sw says the protocol switched, and the held bytes
// are upgraded data; otherwise they are parsed as HTTP.
func (p *parser) decide(sw bool, t int64) {
	if sw {
		p.switchNow(p.heldOff, t)
		pos, off := 0, p.heldOff
		for _, pc := range p.pieces {
			if pc.n > 0 {
				p.stats.UpgradeBytes += int64(pc.n)
				p.emit(Event{Kind: KindUpgrade, Time: pc.t, Offset: off, Data: p.held[pos : pos+pc.n]})
				pos += pc.n
				off += int64(pc.n)
			} else {
				p.emit(Event{Kind: KindUpgrade, Time: pc.t, Offset: off, Gap: pc.gap})
				off += pc.gap
			}
		}
		// The events alias held until the next call; nothing is held
		// again once the protocol has switched.
		p.held, p.pieces = nil, nil
		return
	}
	// The held bytes are parsed again from where they started. They move
	// out first: parsing them may hold bytes again.
	data, pieces := p.held, p.pieces
	p.held, p.pieces = nil, nil
	p.state = stHead
	p.off = p.heldOff
	pos := 0
	for _, pc := range pieces {
		if pc.n > 0 {
			p.run(data[pos:pos+pc.n], pc.t)
			pos += pc.n
		} else {
			p.gapAt(pc.gap, pc.t)
		}
	}
}

func (p *parser) gapAt(n, t int64) {
	at := p.off
	switch p.state {
	case stHead:
		reason := strconv.FormatInt(n, 10) + " bytes lost between messages"
		if len(p.head) > 0 {
			reason = strconv.FormatInt(n, 10) + " bytes lost inside a head"
			p.stats.Skipped += int64(len(p.head))
		}
		p.problem(ErrGap, at, t, reason)
		p.hunt(false)
	case stHunt:
		p.stats.Skipped += int64(len(p.line))
		p.line = p.line[:0]
		p.skip = false
	case stLength, stChunkData:
		b := p.body
		p.evStop = true
		if n < p.remain || n == p.remain && p.state == stChunkData {
			b.Len += n
			b.Gap += n
			p.remain -= n
			if p.remain == 0 {
				p.state, p.sawCR = stChunkEnd, false
			}
			break
		}
		r := p.remain
		b.Len += r
		b.Gap += r
		if p.state == stLength {
			// The body ended inside the gap; the rest of it belonged to
			// whatever came next.
			p.off += r
			p.end(true, p.off, t)
			p.next(p.off, t)
			if n > r {
				p.gapAt(n-r, t)
			}
			return
		}
		p.end(false, at+r, t)
		p.problem(ErrGap, at, t, strconv.FormatInt(n, 10)+" bytes lost across chunk framing")
		p.hunt(false)
	case stChunkSize, stChunkEnd, stTrailer:
		p.end(false, at, t)
		p.problem(ErrGap, at, t, strconv.FormatInt(n, 10)+" bytes lost inside chunk framing")
		p.hunt(false)
	case stUntilClose:
		p.evStop = true
		p.body.Len += n
		p.body.Gap += n
	case stHeld:
		p.pieces = append(p.pieces, heldPiece{t: t, gap: n})
		if p.heldGaps++; p.heldGaps >= maxHeldGaps {
			p.mustGuess = true
		}
	case stUpgraded:
		p.emit(Event{Kind: KindUpgrade, Time: t, Offset: at, Gap: n})
	}
	p.off += n
}
