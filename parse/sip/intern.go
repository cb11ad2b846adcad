package sip

// Interning keeps the strings that repeat across messages from pinning
// each message's header copy: a consumer that keeps a dialog's method and
// final reason phrase for the report keeps a constant instead.

// methods are the standard methods, those knownMethod knows
// (TestKnownMethod).
var methods = [...]string{
	"INVITE", "ACK", "BYE", "CANCEL", "REGISTER", "OPTIONS", "PRACK",
	"SUBSCRIBE", "NOTIFY", "PUBLISH", "INFO", "REFER", "MESSAGE", "UPDATE",
}

// internMethod returns the constant for a standard method. Methods are
// case-sensitive (RFC 3261 7.1), so "invite" is not INVITE.
func internMethod(s string) string {
	m, _ := knownMethod(s)
	return m
}

// knownMethod is internMethod saying whether s was a standard method,
// for a caller that must copy the others.
func knownMethod(s string) (string, bool) {
	// A switch on constants compares s with a word or two inline, where
	// a loop over methods called memequal for each one of s's length.
	switch s {
	case "INVITE":
		return "INVITE", true
	case "ACK":
		return "ACK", true
	case "BYE":
		return "BYE", true
	case "CANCEL":
		return "CANCEL", true
	case "REGISTER":
		return "REGISTER", true
	case "OPTIONS":
		return "OPTIONS", true
	case "PRACK":
		return "PRACK", true
	case "SUBSCRIBE":
		return "SUBSCRIBE", true
	case "NOTIFY":
		return "NOTIFY", true
	case "PUBLISH":
		return "PUBLISH", true
	case "INFO":
		return "INFO", true
	case "REFER":
		return "REFER", true
	case "MESSAGE":
		return "MESSAGE", true
	case "UPDATE":
		return "UPDATE", true
	}
	return s, false
}

// transports are the standard Via transports, those internTransport
// knows (TestInternTransport).
var transports = [...]string{"UDP", "TCP", "TLS", "SCTP", "WS", "WSS", "TLS-SCTP"}

// internTransport returns the upper-case constant for a standard Via
// transport: transport tokens are case-insensitive.
func internTransport(s string) string {
	// The spellings of the RFCs first, compared inline (see knownMethod).
	switch s {
	case "UDP":
		return "UDP"
	case "TCP":
		return "TCP"
	case "TLS":
		return "TLS"
	case "SCTP":
		return "SCTP"
	case "WS":
		return "WS"
	case "WSS":
		return "WSS"
	case "TLS-SCTP":
		return "TLS-SCTP"
	}
	for _, t := range transports {
		if equalFold(t, s) {
			return t
		}
	}
	return s
}

// reasonPhrases are RFC 3261's (and a few later RFCs') phrases, the ones
// most responses carry word for word.
var reasonPhrases = map[int]string{
	100: "Trying", 180: "Ringing", 181: "Call Is Being Forwarded", 182: "Queued",
	183: "Session Progress", 199: "Early Dialog Terminated",
	200: "OK", 202: "Accepted", 204: "No Notification",
	300: "Multiple Choices", 301: "Moved Permanently", 302: "Moved Temporarily",
	305: "Use Proxy", 380: "Alternative Service",
	400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden",
	404: "Not Found", 405: "Method Not Allowed", 406: "Not Acceptable",
	407: "Proxy Authentication Required", 408: "Request Timeout", 410: "Gone",
	413: "Request Entity Too Large", 414: "Request-URI Too Long", 415: "Unsupported Media Type",
	416: "Unsupported URI Scheme", 420: "Bad Extension", 421: "Extension Required",
	422: "Session Interval Too Small", 423: "Interval Too Brief", 429: "Too Many Requests",
	480: "Temporarily Unavailable", 481: "Call/Transaction Does Not Exist", 482: "Loop Detected",
	483: "Too Many Hops", 484: "Address Incomplete", 485: "Ambiguous", 486: "Busy Here",
	487: "Request Terminated", 488: "Not Acceptable Here", 489: "Bad Event",
	491: "Request Pending", 493: "Undecipherable",
	500: "Server Internal Error", 501: "Not Implemented", 502: "Bad Gateway",
	503: "Service Unavailable", 504: "Server Time-out", 505: "Version Not Supported",
	513: "Message Too Large", 580: "Precondition Failure",
	600: "Busy Everywhere", 603: "Decline", 604: "Does Not Exist Anywhere", 606: "Not Acceptable",
}

// reasonTable is reasonPhrases indexed by code, so the lookup on every
// response is an array index rather than a map probe.
var reasonTable = func() (t [700]string) {
	for c, p := range reasonPhrases {
		t[c] = p
	}
	return t
}()

func internReason(code int, s string) string {
	if code >= 0 && code < len(reasonTable) && reasonTable[code] == s && s != "" {
		return reasonTable[code]
	}
	return s
}
