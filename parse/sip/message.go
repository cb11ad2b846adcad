// Package sip parses SIP messages (RFC 3261): the start line, the headers
// ceiling needs (full and compact forms, any case, folded lines,
// comma-separated values), and the body's extent by Content-Length. It
// knows nothing of transports or dialogs: it turns bytes into a Message.
package sip

// Message is one parsed SIP message. Its strings are copies: a Message
// outlives the buffer it was parsed from. Body is the exception (see Body).
type Message struct {
	Request bool
	// Request line.
	Method     string // "INVITE" (interned for the standard methods)
	RequestURI string
	// Status line.
	StatusCode int
	Reason     string // reason phrase: "Service Unavailable"

	CallID     string
	CSeq       uint32
	CSeqMethod string

	// Via is the top Via header's first value.
	Via Via
	// ViaCount is the number of Via values (a proxy adds one).
	ViaCount int

	From, To          string // the header values as written, for display and redaction
	FromTag, ToTag    string
	Contact           string
	PAssertedIdentity string

	// ReasonHeader is the Reason header (RFC 3326) as written, e.g.
	// `Q.850;cause=34;text="No circuit/channel available"`.
	ReasonHeader string
	// RetryAfter is the Retry-After header's seconds, -1 when absent.
	RetryAfter int
	Warning    string
	Server     string
	UserAgent  string

	// ContentLength is the Content-Length header, -1 when absent.
	ContentLength int
	// Body is the message body as a slice of the parsed buffer: valid only
	// as long as that buffer is.
	Body []byte

	// Correlation holds the headers whose names the Options mark as
	// correlation or trace IDs (X-Inin-Cnv, *-Correlation-Id, *-Trace-Id).
	Correlation []Header

	// Headers is the number of header fields.
	Headers int
}

// Via is one Via value.
type Via struct {
	Transport string // "UDP", "TCP", "TLS", "WS", "WSS"
	SentBy    string // host[:port]
	Branch    string
	Received  string
	RPort     string // the rport value, "" when absent, "-" when present without a value
}

// Header is a name and its value.
type Header struct{ Name, Value string }

// IsResponse reports whether m is a response.
func (m *Message) IsResponse() bool { return !m.Request }

// Final reports whether m is a final response (>= 200).
func (m *Message) Final() bool { return !m.Request && m.StatusCode >= 200 }
