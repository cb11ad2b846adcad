package http

// Header is one header field as it appeared on the wire: the name in its
// own case, the value without surrounding whitespace.
type Header struct{ Name, Value string }

// Body describes a message body once it has ended (Event KindEnd). Bodies
// are skipped, never buffered: only their first bytes are kept.
type Body struct {
	// Len counts the body's bytes: after chunked decoding, gaps included.
	Len int64
	// Gap counts the bytes of Len that the capture lost.
	Gap int64
	// Head holds the first bytes of the body (Options.BodyEvidence of
	// them), up to the first gap: what an error page said.
	Head []byte
	// Complete says the body ended where its framing said: its
	// Content-Length, its last chunk and trailer, or the end of the stream
	// for a body delimited by the connection closing. False when the
	// stream ended, or a gap or damage cut the framing, before that.
	Complete bool
	// End is the stream offset just after the message (chunk framing and
	// trailer included), and EndTime the time of the bytes that ended it.
	End     int64
	EndTime int64
}

// Request is one request head and, once Event KindEnd has been delivered
// for it, its body.
type Request struct {
	Method, Target string
	// Proto is "HTTP/1.1", "HTTP/1.0", …; empty for a request line with
	// no version (a well-known method and a target only, which servers
	// answer with 400 and Wireshark still calls a request).
	Proto   string
	Host    string
	Headers []Header

	// The values of these headers, several fields joined with ", ".
	Upgrade, Connection string
	WebSocketKey        string // Sec-WebSocket-Key
	WebSocketProtocol   string // Sec-WebSocket-Protocol
	WebSocketVersion    string // Sec-WebSocket-Version
	WebSocketExtensions string // Sec-WebSocket-Extensions

	// TraceIDs are the headers Options.TraceHeaders names, in order. A W3C
	// traceparent adds a second entry named "traceparent.trace-id" holding
	// its trace-id field alone.
	TraceIDs []Header

	// ContentLength is the Content-Length header's value, -1 when there
	// is none or it is unreadable. Chunked says Transfer-Encoding ends in
	// chunked, which overrides it.
	ContentLength int64
	Chunked       bool

	Offset int64 // stream offset of the request's first byte
	Time   int64 // the t given with that byte

	Body Body
}

// Response is one response head and, once Event KindEnd has been
// delivered for it, its body.
type Response struct {
	Proto  string
	Code   int
	Reason string
	// Method is the method of the request this response answers, as given
	// to ResponseParser.ExpectMethod; empty when none was queued.
	Method  string
	Headers []Header

	Upgrade, Connection string
	WebSocketAccept     string // Sec-WebSocket-Accept
	WebSocketProtocol   string // Sec-WebSocket-Protocol
	WebSocketExtensions string // Sec-WebSocket-Extensions: what was negotiated
	Date                string

	// RetryAfter is Retry-After in seconds: the delay form as is, an
	// HTTP-date relative to the Date header, or when there is none to the
	// response's time (taken as Unix ns). -1 when absent or unreadable.
	RetryAfter int

	TraceIDs []Header

	// ContentLength and Chunked: as in Request. Whether the response has
	// a body also depends on its code and the request's method.
	ContentLength int64
	Chunked       bool

	Offset int64 // stream offset of the response's first byte
	Time   int64 // the t given with that byte

	Body Body
}

// Kind says what an Event reports.
type Kind uint8

// The kinds of Event, in the order they come for one message: a head, then
// its end; KindUpgrade after the end of a message that switched protocols.
const (
	// KindRequest: a request head was read (Event.Request).
	KindRequest Kind = iota + 1
	// KindResponse: a response head was read (Event.Response).
	KindResponse
	// KindEnd: the message whose head came before ended; its Body is now
	// filled in (Event.Request or Event.Response, the same pointer).
	KindEnd
	// KindUpgrade: the bytes are no longer HTTP (after a 101, a 2xx to
	// CONNECT, an HTTP/2 preface). The first KindUpgrade marks the switch
	// and may carry no data. Event.Data holds bytes of the new protocol,
	// or Event.Gap says that many were lost.
	KindUpgrade
	// KindProblem: the input could not be parsed at Event.Err.Offset; the
	// parser has skipped ahead (see the package documentation).
	KindProblem
)

func (k Kind) String() string {
	switch k {
	case KindRequest:
		return "request"
	case KindResponse:
		return "response"
	case KindEnd:
		return "end"
	case KindUpgrade:
		return "upgrade"
	case KindProblem:
		return "problem"
	}
	return "kind?"
}

// Event is one thing a parser found. Events come in stream order.
type Event struct {
	Kind Kind
	// Time is the t of the call that completed the event.
	Time int64
	// Offset is the stream offset the event is about: the first byte of a
	// head, the byte after a message's end, the first byte of upgraded
	// data or of a gap, the place of a problem.
	Offset   int64
	Request  *Request
	Response *Response
	// Data (KindUpgrade) aliases the caller's buffer or the parser's: it
	// is valid until the next call on the parser.
	Data []byte
	// Gap (KindUpgrade) is a count of lost bytes of the upgraded stream.
	Gap int64
	Err *Error // KindProblem
}
