package http

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// msgs plays one side of a connection on a fresh parser and returns the
// messages it reported, with a deep copy of each taken when it was done
// with (its end, when its body is filled in).
func msgs(b []byte, resp bool, o *Options, split splitter) (got, then []any) {
	var p side
	if resp {
		p = NewResponseParser(o)
	} else {
		p = NewRequestParser(o)
	}
	take := func(evs []Event) {
		for _, e := range evs {
			switch {
			case e.Kind == KindRequest:
				got = append(got, e.Request)
				then = append(then, cloneRequest(e.Request))
			case e.Kind == KindResponse:
				got = append(got, e.Response)
				then = append(then, cloneResponse(e.Response))
			case e.Kind == KindEnd && e.Request != nil:
				then[len(then)-1] = cloneRequest(e.Request)
			case e.Kind == KindEnd:
				then[len(then)-1] = cloneResponse(e.Response)
			}
		}
	}
	for _, c := range split(b) {
		buf := append([]byte(nil), c...)
		take(p.Feed(buf, 1))
		for i := range buf {
			buf[i] = '#'
		}
	}
	take(p.Close(2))
	return got, then
}

func cloneHeaders(hs []Header) []Header {
	if hs == nil {
		return nil
	}
	out := make([]Header, len(hs))
	for i, h := range hs {
		out[i] = Header{strings.Clone(h.Name), strings.Clone(h.Value)}
	}
	return out
}

// cloneRequest copies r and every string in it, so that bytes of the
// parser's written over later show as a difference.
func cloneRequest(r *Request) *Request {
	c := *r
	c.Method, c.Target, c.Proto, c.Host = strings.Clone(r.Method), strings.Clone(r.Target), strings.Clone(r.Proto), strings.Clone(r.Host)
	c.Upgrade, c.Connection = strings.Clone(r.Upgrade), strings.Clone(r.Connection)
	c.WebSocketKey, c.WebSocketProtocol = strings.Clone(r.WebSocketKey), strings.Clone(r.WebSocketProtocol)
	c.WebSocketVersion, c.WebSocketExtensions = strings.Clone(r.WebSocketVersion), strings.Clone(r.WebSocketExtensions)
	c.Headers, c.TraceIDs = cloneHeaders(r.Headers), cloneHeaders(r.TraceIDs)
	c.Body.Head = append([]byte(nil), r.Body.Head...)
	return &c
}

func cloneResponse(r *Response) *Response {
	c := *r
	c.Proto, c.Reason, c.Method = strings.Clone(r.Proto), strings.Clone(r.Reason), strings.Clone(r.Method)
	c.Upgrade, c.Connection, c.Date = strings.Clone(r.Upgrade), strings.Clone(r.Connection), strings.Clone(r.Date)
	c.WebSocketAccept, c.WebSocketProtocol = strings.Clone(r.WebSocketAccept), strings.Clone(r.WebSocketProtocol)
	c.WebSocketExtensions = strings.Clone(r.WebSocketExtensions)
	c.Headers, c.TraceIDs = cloneHeaders(r.Headers), cloneHeaders(r.TraceIDs)
	c.Body.Head = append([]byte(nil), r.Body.Head...)
	return &c
}

// TestBlocks: parsers that cut their messages from one Blocks report the
// same messages as parsers that allocate each, over every stream of the
// corpus and some made to fill blocks (big heads, many fields, none), cut
// in several ways; and the messages stay as they were reported while the
// parsers sharing the Blocks read on.
func TestBlocks(t *testing.T) {
	type stream struct {
		name string
		resp bool
		b    []byte
	}
	var streams []stream
	for _, c := range readConns(t) {
		if c.client != nil {
			streams = append(streams, stream{c.name + "/client", false, c.client})
		}
		if c.server != nil {
			streams = append(streams, stream{c.name + "/server", true, c.server})
		}
	}
	var many, big strings.Builder
	many.WriteString("GET /many HTTP/1.1\r\n")
	for i := range 300 {
		fmt.Fprintf(&many, "X-Field-%d: %d\r\n", i, i)
	}
	many.WriteString("x-trace-id: t-many\r\n\r\n")
	big.WriteString("GET /big HTTP/1.1\r\nX-Big: " + strings.Repeat("b", 5000) + "\r\ntraceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n\r\n")
	made := strings.Repeat("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.0\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", 40) +
		many.String() + big.String() + strings.Repeat("GET /c HTTP/1.1\r\nHost: c\r\n\r\n", 40)
	streams = append(streams, stream{"made/requests", false, []byte(made)},
		stream{"made/responses", true, []byte(strings.Repeat("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nContent-Length: 0\r\n\r\nHTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", 30))})

	for _, sp := range []struct {
		name  string
		split splitter
	}{{"whole", whole}, {"random", randomSplits(7)}, {"bytewise", bytewise}} {
		t.Run(sp.name, func(t *testing.T) {
			blocks := &Blocks{}
			var got, then, want [][]any
			for _, s := range streams {
				g, th := msgs(s.b, s.resp, &Options{Blocks: blocks}, sp.split)
				w, _ := msgs(s.b, s.resp, nil, sp.split)
				got, then, want = append(got, g), append(then, th), append(want, w)
			}
			for i, s := range streams {
				if !reflect.DeepEqual(got[i], want[i]) {
					t.Errorf("%s: the messages cut from blocks differ from those allocated apart", s.name)
				}
				if !reflect.DeepEqual(got[i], then[i]) {
					t.Errorf("%s: messages changed after they were reported", s.name)
				}
			}
		})
	}
}

// TestRecycle: messages given back at their end are read into again, and
// the messages read into them are the same as fresh ones: every stream of
// TestBlocks's corpus through one Blocks, each message cloned at its end
// and then given back, against the same with no message given back. The
// strings of messages given back, which a caller may keep, stay as they
// were.
func TestRecycle(t *testing.T) {
	type stream struct {
		resp bool
		b    []byte
	}
	var streams []stream
	for _, c := range readConns(t) {
		streams = append(streams, stream{false, c.client}, stream{true, c.server})
	}
	streams = append(streams,
		stream{false, []byte(strings.Repeat("GET /a HTTP/1.1\r\nHost: h\r\nx-trace-id: t1\r\n\r\nGET /b HTTP/1.1\r\n\r\n"+
			"GET /c HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\ntraceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n\r\n", 30))},
		stream{true, []byte(strings.Repeat("HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nContent-Length: 4\r\n\r\nbusyHTTP/1.1 204 No Content\r\n\r\n", 30))})
	play := func(blocks *Blocks, recycle bool) (ends []any, kept []string, reused int) {
		seen := map[any]bool{}
		for _, s := range streams {
			var p side
			if s.resp {
				p = NewResponseParser(&Options{Blocks: blocks})
			} else {
				p = NewRequestParser(&Options{Blocks: blocks})
			}
			take := func(evs []Event) {
				for _, e := range evs {
					switch {
					case e.Kind == KindRequest && seen[e.Request], e.Kind == KindResponse && seen[e.Response]:
						reused++
					case e.Kind == KindEnd && e.Request != nil:
						ends = append(ends, cloneRequest(e.Request))
						kept = append(kept, e.Request.Method, e.Request.Target, e.Request.WebSocketKey)
						for _, h := range e.Request.Headers {
							kept = append(kept, h.Name, h.Value)
						}
						if recycle {
							seen[e.Request] = true
							blocks.RecycleRequest(e.Request)
						}
					case e.Kind == KindEnd:
						ends = append(ends, cloneResponse(e.Response))
						kept = append(kept, e.Response.Reason, string(e.Response.Body.Head))
						for _, h := range e.Response.TraceIDs {
							kept = append(kept, h.Name, h.Value)
						}
						if recycle {
							seen[e.Response] = true
							blocks.RecycleResponse(e.Response)
						}
					}
				}
			}
			for _, c := range randomSplits(3)(s.b) {
				take(p.Feed(c, 1))
			}
			take(p.Close(2))
		}
		return ends, kept, reused
	}
	want, _, _ := play(&Blocks{}, false)
	got, kept, reused := play(&Blocks{}, true)
	if !reflect.DeepEqual(got, want) {
		t.Error("the messages read into messages given back differ from those read into new ones")
	}
	if reused < len(want)/2 {
		t.Errorf("%d of %d messages were read into one given back", reused, len(want))
	}
	var now []string
	for _, m := range got {
		switch m := m.(type) {
		case *Request:
			now = append(now, m.Method, m.Target, m.WebSocketKey)
			for _, h := range m.Headers {
				now = append(now, h.Name, h.Value)
			}
		case *Response:
			now = append(now, m.Reason, string(m.Body.Head))
			for _, h := range m.TraceIDs {
				now = append(now, h.Name, h.Value)
			}
		}
	}
	if !reflect.DeepEqual(kept, now) {
		t.Error("strings of messages given back changed")
	}
}
