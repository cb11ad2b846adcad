// Package sip parses SIP messages (RFC 3261): the start line, the headers
// ceiling needs (full and compact forms, any case, folded lines,
// comma-separated values), and the body's extent by Content-Length. It
// knows nothing of transports or dialogs: it turns bytes into a Message.
//
// Parse handles one message at the start of a buffer and says how many
// bytes it took, so a stream framer (SIP over TCP) calls it in a loop;
// Options.Datagram switches to the rules of a UDP payload, where the
// datagram is all there is. Looks and KeepAlive are cheap checks made
// before parsing, to tell SIP from other payloads on any port.
package sip

// Message is one parsed SIP message. Its strings are copies: a Message
// outlives the buffer it was parsed from. Body is the exception (see Body),
// and so are all the strings but Method and CSeqMethod of a message from
// ParseShared or ParseSharedInto, whose caller hands the buffer over until
// every consumer is done with the message. Those two stay valid for good,
// which is why a consumer may keep them as they are.
//
// A Parser hands out Messages, and copies their header sections, from
// blocks of a few KB that it fills and never writes again, so that a
// message costs a fraction of an allocation. The strings point into such
// a block (or into ParseShared's buffer), so keeping any of them (or the
// Message) keeps the block alive: up to messageBlock messages and
// textBlock bytes of headers. A consumer that keeps a string for long
// should clone it. The Call-ID too: it is the string a consumer keeps per
// call, and the consumer's one copy per call costs less than the Parser's
// look-up of a copy for every message did. Method, CSeqMethod,
// Via.Transport and the usual reason phrases are interned constants; a
// method that is not standard is a copy in a header block, even from
// ParseShared, since consumers count by method.
type Message struct {
	Request bool
	// CSeq is the CSeq header's number, CSeqMethod its method. It sits
	// beside Request, rather than with CSeqMethod, so that the two share
	// one word: see messageBlock.
	CSeq uint32

	// Request line.
	Method     string // "INVITE" (interned for the standard methods)
	RequestURI string
	// Status line.
	StatusCode int
	Reason     string // reason phrase: "Service Unavailable"

	CallID     string
	CSeqMethod string

	// Via is the top Via header's first value.
	Via Via
	// ViaCount is the number of Via values (a proxy adds one).
	ViaCount int

	From, To          string // the header values as written, for display and redaction
	FromTag, ToTag    string // the tag parameter of From and To, not a tag inside the <URI>
	Contact           string // the first Contact value as written ("*" in a REGISTER removing all)
	PAssertedIdentity string // the first P-Asserted-Identity value as written

	// ReasonHeader is the Reason header (RFC 3326) as written, e.g.
	// `Q.850;cause=34;text="No circuit/channel available"`. Several Reason
	// header fields are joined with ", ", as RFC 3261 7.3.1 allows. See
	// Causes and Cause to read it.
	ReasonHeader string
	// RetryAfter is the Retry-After header's seconds, -1 when absent or
	// not a number.
	RetryAfter int
	Warning    string // Warning header(s) as written, joined with ", "
	Server     string
	UserAgent  string

	ContentType string
	// ContentLength is the Content-Length header, -1 when absent or not a
	// number, math.MaxInt when too big for an int.
	ContentLength int
	// Body is the message body as a slice of the parsed buffer: valid only
	// as long as that buffer is. It is not copied because ceiling rarely
	// looks inside bodies and SDP would double the bytes copied.
	Body []byte

	// Correlation holds the headers whose names the Options mark as
	// correlation or trace IDs (X-Inin-Cnv, *-Correlation-Id, *-Trace-Id),
	// in the order they appear. Like Messages, the slices are cut from
	// blocks a Parser fills and never writes again.
	Correlation []Header

	// Headers is the number of header fields.
	Headers int

	// Start is the offset in the parsed buffer of the start line: leading
	// CRLF keep-alives and junk come before it.
	Start int
	// Skipped is how many bytes before Start were junk: those from the
	// first byte that is not CR or LF (RFC 3261 7.5 lets CRLFs precede a
	// message; anything else is damage worth reporting).
	Skipped int
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

// Cause is one value of a Reason header (RFC 3326):
// `Q.850;cause=34;text="No circuit/channel available"`.
type Cause struct {
	Protocol string // "SIP", "Q.850", as written
	Code     int    // the cause parameter, -1 when absent or not a number
	Text     string // the text parameter, unquoted
}

// Causes returns the values of m's Reason header, nil when it has none.
func (m *Message) Causes() []Cause { return ParseReason(m.ReasonHeader) }

// Cause returns the first Reason value whose protocol is protocol (case
// insensitive: "Q.850", "SIP").
func (m *Message) Cause(protocol string) (Cause, bool) {
	rest := m.ReasonHeader
	for rest != "" {
		var v string
		v, rest = nextValue(rest)
		c := parseCause(v)
		if equalFold(c.Protocol, protocol) {
			return c, true
		}
	}
	return Cause{Code: -1}, false
}

// ParseReason splits a Reason header value into its causes. Values it
// cannot read are returned with what could be read (Code -1 when the
// cause is missing), so a damaged header still shows its protocol.
func ParseReason(v string) []Cause {
	var cs []Cause
	for v != "" {
		var one string
		one, v = nextValue(v)
		if one == "" {
			continue
		}
		cs = append(cs, parseCause(one))
	}
	return cs
}

func parseCause(v string) Cause {
	c := Cause{Code: -1}
	proto, params := cutParams(v)
	c.Protocol = proto
	for params != "" {
		var name, val string
		name, val, params = nextParam(params)
		switch {
		case equalFold(name, "cause"):
			if n, ok := atoi(val); ok {
				c.Code = n
			}
		case equalFold(name, "text"):
			c.Text = unquote(val)
		}
	}
	return c
}
