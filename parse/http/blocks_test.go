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
