package correlate

import (
	"strings"
	"unsafe"

	"github.com/ceiling-dev/ceiling/parse/jtl"
)

// sampleClass is what a JTL sample says about itself.
type sampleClass struct {
	layer  Layer
	status string // DESIGN.md's vocabulary, or the code for a success
	failed bool
	// breach is a sample that JMeter marked failed although the edge said
	// yes (2xx/3xx): the test's own criteria (an assertion, a duration
	// limit) were not met; that is not a rejection.
	breach bool
}

const nonHTTPCode = "Non HTTP response code: "

// classMemo remembers what classify said of the samples like one: the
// JTL reader interns the strings classify reads, and a test repeats a few
// dozen of their combinations over millions of rows, each of which
// classify would take apart again (trimming, lowering, splitting labels).
// A sample is like an entry when its strings are the same bytes, not
// only equal ones; the entry's pointers hold those bytes alive, so they
// cannot be reused for others while it is there.
type classMemo struct {
	e [256]classEntry
}

type classEntry struct {
	p     [4]unsafe.Pointer // code, message, URL, label
	n     [4]uint32
	flags uint8
	class sampleClass
	// secure: the URL is https:// or wss:// (visibleBelow).
	secure bool
}

const (
	memoSet = 1 << iota
	memoSuccess
	memoCallID
)

// classify is classify(s), and whether s's URL is https:// or wss://.
func (m *classMemo) classify(s *jtl.Sample) (sampleClass, bool) {
	k := classEntry{flags: memoSet}
	if s.Success {
		k.flags |= memoSuccess
	}
	if s.CallID != "" {
		k.flags |= memoCallID
	}
	k.p[0], k.n[0] = stringKey(s.Code)
	k.p[1], k.n[1] = stringKey(s.Message)
	k.p[2], k.n[2] = stringKey(s.URL)
	k.p[3], k.n[3] = stringKey(s.Label)
	h := (uint64(uintptr(k.p[0])) ^ uint64(uintptr(k.p[1]))<<5 ^ uint64(uintptr(k.p[2]))<<11 ^
		uint64(uintptr(k.p[3]))<<17 ^ uint64(k.flags)) * 0x9e3779b97f4a7c15
	e := &m.e[h>>56]
	if e.flags == k.flags && e.p == k.p && e.n == k.n {
		return e.class, e.secure
	}
	k.class = classify(s)
	url := strings.ToLower(s.URL)
	k.secure = strings.HasPrefix(url, "https://") || strings.HasPrefix(url, "wss://")
	*e = k
	return k.class, k.secure
}

// stringKey is where s's bytes lie and its length, for a memo keyed by
// them: nil for "", whose pointer Go leaves open. Four calls rather than
// a loop over an array of the strings, which copied them first (a third
// of a memo hit).
func stringKey(s string) (unsafe.Pointer, uint32) {
	p := unsafe.Pointer(unsafe.StringData(s))
	if len(s) == 0 {
		p = nil
	}
	return p, uint32(len(s))
}

// classify decides a sample's layer and status from what JMeter wrote.
func classify(s *jtl.Sample) sampleClass {
	code := strings.TrimSpace(s.Code)
	if strings.HasPrefix(code, nonHTTPCode) {
		class := strings.TrimSpace(code[len(nonHTTPCode):])
		msg := strings.TrimPrefix(s.Message, "Non HTTP response message: ")
		l, st := exceptionLayer(class, msg)
		return sampleClass{layer: l, status: st, failed: true}
	}
	layer := sampleLayer(s)
	if n, ok := statusNumber(code); ok {
		c := sampleClass{layer: layer, status: code}
		switch {
		case layer == LayerWebSocket && n == 101:
		case n >= 400 && !(layer == LayerSIP && n == 487):
			c.failed = true
		case n < 400 && !s.Success:
			c.breach = true
		}
		return c
	}
	// Not a number: a sampler that names its own outcome ("timeout"), or
	// a WebSocket sampler's message.
	lower := strings.ToLower(code + " " + s.Message)
	switch {
	case strings.Contains(lower, "timeout") || strings.Contains(lower, "timed out"):
		return sampleClass{layer: layer, status: "timeout", failed: true}
	case layer == LayerWebSocket && strings.Contains(lower, "unexpected status"):
		// JMeter WebSocket Samplers: "Got unexpected status 503 …"
		if st := firstNumber(lower[strings.Index(lower, "unexpected status"):]); st != "" {
			return sampleClass{layer: LayerWebSocket, status: st, failed: true}
		}
	}
	if !s.Success {
		st := code
		if st == "" {
			st = "error"
		}
		return sampleClass{layer: LayerClient, status: st, failed: true}
	}
	return sampleClass{layer: layer, status: code}
}

// sampleLayer tells which protocol a sample exercised.
func sampleLayer(s *jtl.Sample) Layer {
	if s.CallID != "" {
		return LayerSIP
	}
	url := strings.ToLower(s.URL)
	switch {
	case strings.HasPrefix(url, "sip:") || strings.HasPrefix(url, "sips:"):
		return LayerSIP
	case strings.HasPrefix(url, "ws://") || strings.HasPrefix(url, "wss://"):
		return LayerWebSocket
	case strings.HasPrefix(url, "http://") || strings.HasPrefix(url, "https://"):
		return LayerHTTP
	}
	// No URL (SIP samplers, WebSocket samplers, Java samplers write none):
	// the label's words say it.
	for _, w := range strings.FieldsFunc(strings.ToLower(s.Label), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	}) {
		switch w {
		case "invite", "sip", "sips", "register", "call":
			return LayerSIP
		case "ws", "wss", "websocket", "websockets", "upgrade":
			return LayerWebSocket
		}
	}
	if strings.Contains(strings.ToLower(s.Label), "websocket") {
		return LayerWebSocket
	}
	return LayerHTTP
}

func statusNumber(code string) (int, bool) {
	if len(code) != 3 {
		return 0, false
	}
	n := 0
	for i := 0; i < 3; i++ {
		c := code[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, n >= 100
}

func firstNumber(s string) string {
	start := -1
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			return s[start:i]
		}
	}
	if start >= 0 {
		return s[start:]
	}
	return ""
}

// exceptionRule maps a Java exception JMeter reported to the layer that
// failed. Rules are tried in order; the first whose class and message
// fragment match wins.
type exceptionRule struct {
	class   string // simple or full class name suffix
	message string // lower-case fragment of the message, "" for any
	layer   Layer
	status  string
}

var exceptionRules = []exceptionRule{
	// The load generator could not even try: no local port, no route,
	// no name.
	{"java.net.BindException", "", LayerClient, "ephemeral-ports"},
	{"java.net.NoRouteToHostException", "cannot assign requested address", LayerClient, "ephemeral-ports"},
	{"java.net.SocketException", "cannot assign requested address", LayerClient, "ephemeral-ports"},
	{"java.net.UnknownHostException", "", LayerClient, "dns"},
	{"java.lang.OutOfMemoryError", "", LayerClient, "java.lang.OutOfMemoryError"},
	// TCP: refused, unanswered, reset.
	{"java.net.ConnectException", "refused", LayerTCP, "refused"},
	{"java.net.ConnectException", "timed out", LayerTCP, "timeout"},
	{"org.apache.http.conn.HttpHostConnectException", "refused", LayerTCP, "refused"},
	{"org.apache.http.conn.HttpHostConnectException", "timed out", LayerTCP, "timeout"},
	{"org.apache.http.conn.HttpHostConnectException", "", LayerTCP, "refused"},
	{"org.apache.http.conn.ConnectTimeoutException", "", LayerTCP, "timeout"},
	{"java.net.SocketTimeoutException", "connect", LayerTCP, "timeout"},
	{"java.net.NoRouteToHostException", "", LayerTCP, "timeout"},
	{"java.net.SocketException", "connection reset", LayerTCP, "reset"},
	{"java.net.SocketException", "broken pipe", LayerTCP, "reset"},
	{"org.apache.http.NoHttpResponseException", "", LayerTCP, "reset"},
	// TLS.
	{"javax.net.ssl.SSLHandshakeException", "", LayerTLS, "closed"},
	{"javax.net.ssl.SSLException", "", LayerTLS, "closed"},
	// A read timeout: the connection was up, the answer never came.
	{"java.net.SocketTimeoutException", "", LayerHTTP, "timeout"},
}

func exceptionLayer(class, message string) (Layer, string) {
	msg := strings.ToLower(message)
	for _, r := range exceptionRules {
		if class != r.class && !strings.HasSuffix(r.class, "."+class) {
			continue
		}
		if r.message != "" && !strings.Contains(msg, r.message) {
			continue
		}
		if r.layer == LayerTLS {
			// "Received fatal alert: handshake_failure" names the alert as
			// the TLS registry does.
			if i := strings.Index(msg, "fatal alert: "); i >= 0 {
				alert := strings.Fields(msg[i+len("fatal alert: "):])
				if len(alert) > 0 {
					return LayerTLS, "alert:" + alert[0]
				}
			}
		}
		return r.layer, r.status
	}
	return LayerClient, class
}
