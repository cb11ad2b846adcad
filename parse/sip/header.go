package sip

import "strings"

// header identifies the header fields the parser reads.
type header uint8

const (
	hOther header = iota
	hVia
	hFrom
	hTo
	hCallID
	hCSeq
	hContact
	hContentLength
	hContentType
	hPAssertedIdentity
	hReason
	hRetryAfter
	hWarning
	hServer
	hUserAgent
	// numRead ends the headers the parser reads. Those after it are
	// common headers it does not read, known to the scanner (see
	// scanName) so that their names are not read byte by byte, and so
	// that whether they are correlation headers is known in advance.
	// lookupHeader, the general path, calls them all hOther.
	numRead
	hMaxForwards header = iota - 1
	hSupported
	hSessionExpires
	hAllow
	hRecordRoute
	hRoute
	hRequire
	hAuthorization
	hProxyAuthorization
	hWWWAuthenticate
	hProxyAuthenticate
	hExpires
	hEvent
	hSubscriptionState
	hAllowEvents
	hAccept
	hMinSE
	hPrivacy
	hContentDisposition
	hDate
	hSubject
	hReferTo
	hReferredBy
	hXIninCnv
	hXTraceID
	hXRequestID
	numHeaders
)

// headerNames are the full names of the headers the parser knows.
var headerNames = [numHeaders]string{
	hVia: "Via", hFrom: "From", hTo: "To", hCallID: "Call-ID", hCSeq: "CSeq",
	hContact: "Contact", hContentLength: "Content-Length", hContentType: "Content-Type",
	hPAssertedIdentity: "P-Asserted-Identity", hReason: "Reason", hRetryAfter: "Retry-After",
	hWarning: "Warning", hServer: "Server", hUserAgent: "User-Agent",

	hMaxForwards: "Max-Forwards", hSupported: "Supported", hSessionExpires: "Session-Expires",
	hAllow: "Allow", hRecordRoute: "Record-Route", hRoute: "Route", hRequire: "Require",
	hAuthorization: "Authorization", hProxyAuthorization: "Proxy-Authorization",
	hWWWAuthenticate: "WWW-Authenticate", hProxyAuthenticate: "Proxy-Authenticate",
	hExpires: "Expires", hEvent: "Event", hSubscriptionState: "Subscription-State",
	hAllowEvents: "Allow-Events", hAccept: "Accept", hMinSE: "Min-SE", hPrivacy: "Privacy",
	hContentDisposition: "Content-Disposition", hDate: "Date", hSubject: "Subject",
	hReferTo: "Refer-To", hReferredBy: "Referred-By", hXIninCnv: "X-Inin-Cnv",
	hXTraceID: "X-Trace-Id", hXRequestID: "X-Request-Id",
}

// compactForms maps RFC 3261 7.3.3's one-letter names, and those later
// RFCs registered with IANA, to the full names.
var compactForms = [26]struct {
	h    header
	full string
}{
	'a' - 'a': {hOther, "Accept-Contact"},
	'b' - 'a': {hOther, "Referred-By"},
	'c' - 'a': {hContentType, "Content-Type"},
	'd' - 'a': {hOther, "Request-Disposition"},
	'e' - 'a': {hOther, "Content-Encoding"},
	'f' - 'a': {hFrom, "From"},
	'i' - 'a': {hCallID, "Call-ID"},
	'j' - 'a': {hOther, "Reject-Contact"},
	'k' - 'a': {hOther, "Supported"},
	'l' - 'a': {hContentLength, "Content-Length"},
	'm' - 'a': {hContact, "Contact"},
	'n' - 'a': {hOther, "Identity-Info"},
	'o' - 'a': {hOther, "Event"},
	'r' - 'a': {hOther, "Refer-To"},
	's' - 'a': {hOther, "Subject"},
	't' - 'a': {hTo, "To"},
	'u' - 'a': {hOther, "Allow-Events"},
	'v' - 'a': {hVia, "Via"},
	'x' - 'a': {hOther, "Session-Expires"},
	'y' - 'a': {hOther, "Identity"},
}

// FullName returns the full form of a compact header name ("i" gives
// "Call-ID") and any other name unchanged.
func FullName(name string) string {
	if len(name) == 1 {
		c := name[0] | 0x20
		if c >= 'a' && c <= 'z' && compactForms[c-'a'].full != "" {
			return compactForms[c-'a'].full
		}
	}
	return name
}

// lookupHeader identifies a header name, case-insensitively. It switches on
// the length and first letter so that a name is compared with at most one
// candidate: this runs for every header field of every message. The
// spelling of the RFCs, which nearly every message uses, is compared
// whole first: a few word compares rather than a fold per byte.
func lookupHeader(name string) header {
	if name == "" {
		return hOther
	}
	c := name[0] | 0x20
	switch len(name) {
	case 1:
		if c >= 'a' && c <= 'z' {
			return compactForms[c-'a'].h
		}
	case 2:
		if c == 't' && (name == "To" || equalFold(name, "To")) {
			return hTo
		}
	case 3:
		if c == 'v' && (name == "Via" || equalFold(name, "Via")) {
			return hVia
		}
	case 4:
		if c == 'f' && (name == "From" || equalFold(name, "From")) {
			return hFrom
		}
		if c == 'c' && (name == "CSeq" || equalFold(name, "CSeq")) {
			return hCSeq
		}
	case 6:
		if c == 'r' && (name == "Reason" || equalFold(name, "Reason")) {
			return hReason
		}
		if c == 's' && (name == "Server" || equalFold(name, "Server")) {
			return hServer
		}
	case 7:
		switch c {
		case 'c':
			if name == "Call-ID" || equalFold(name, "Call-ID") {
				return hCallID
			}
			if name == "Contact" || equalFold(name, "Contact") {
				return hContact
			}
		case 'w':
			if name == "Warning" || equalFold(name, "Warning") {
				return hWarning
			}
		}
	case 10:
		if c == 'u' && (name == "User-Agent" || equalFold(name, "User-Agent")) {
			return hUserAgent
		}
	case 11:
		if c == 'r' && (name == "Retry-After" || equalFold(name, "Retry-After")) {
			return hRetryAfter
		}
	case 12:
		if c == 'c' && (name == "Content-Type" || equalFold(name, "Content-Type")) {
			return hContentType
		}
	case 14:
		if c == 'c' && (name == "Content-Length" || equalFold(name, "Content-Length")) {
			return hContentLength
		}
	case 19:
		if c == 'p' && (name == "P-Asserted-Identity" || equalFold(name, "P-Asserted-Identity")) {
			return hPAssertedIdentity
		}
	}
	return hOther
}

// correlation matches header names against Options.CorrelationHeaders.
type correlation struct {
	from   []string // the list it was built from, to notice a change
	exact  []string
	suffix []string
	// last marks the last letters, lower-cased, of the names and
	// suffixes: one lookup turns most header names away.
	last [256]bool
	// known says, for each header the parser reads, whether its name
	// matches: match gives the same answer for any spelling of the name,
	// compact or full, as it folds case and expands compact forms.
	known [numHeaders]bool
}

func newCorrelation(names []string) correlation {
	c := correlation{from: names}
	for _, n := range names {
		if strings.HasPrefix(n, "*") {
			n = n[1:]
			if n != "" {
				c.suffix = append(c.suffix, n)
			}
		} else if n != "" {
			c.exact = append(c.exact, n)
		}
		if n != "" {
			c.last[lower(n[len(n)-1])] = true
		}
	}
	for h := hOther + 1; h < numHeaders; h++ {
		c.known[h] = c.match(headerNames[h])
	}
	return c
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// same reports whether c was built from names: the same slice, not merely
// equal contents, which is enough to rebuild only when Options change.
func (c *correlation) same(names []string) bool {
	if len(c.from) != len(names) {
		return false
	}
	return len(names) == 0 || &c.from[0] == &names[0]
}

func (c *correlation) match(name string) bool {
	name = FullName(name)
	if name == "" || !c.last[lower(name[len(name)-1])] {
		return false
	}
	for _, e := range c.exact {
		if len(e) == len(name) && equalFold(e, name) {
			return true
		}
	}
	for _, s := range c.suffix {
		if len(name) >= len(s) && equalFold(name[len(name)-len(s):], s) {
			return true
		}
	}
	return false
}
