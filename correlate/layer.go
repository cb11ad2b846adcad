package correlate

// Layer is where an attempt failed, lowest first. The order matters: when
// one piece of work fails at several layers, the lowest is the cause.
type Layer uint8

const (
	LayerNone Layer = iota
	LayerClient
	LayerTCP
	LayerTLS
	LayerHTTP
	LayerWebSocket
	LayerSIP

	numLayers = iota // for arrays indexed by Layer
)

// Layers lists the real layers in order, lowest first.
var Layers = []Layer{LayerClient, LayerTCP, LayerTLS, LayerHTTP, LayerWebSocket, LayerSIP}

func (l Layer) String() string {
	switch l {
	case LayerClient:
		return "client"
	case LayerTCP:
		return "tcp"
	case LayerTLS:
		return "tls"
	case LayerHTTP:
		return "http"
	case LayerWebSocket:
		return "websocket"
	case LayerSIP:
		return "sip"
	}
	return "none"
}

// Unit names what concurrency counts in this layer, for sentences.
func (l Layer) Unit() string {
	switch l {
	case LayerSIP:
		return "concurrent dialogs"
	case LayerWebSocket:
		return "concurrent WebSocket connections"
	case LayerTCP, LayerTLS:
		return "concurrent TCP connections"
	case LayerHTTP:
		return "concurrent requests"
	case LayerClient:
		return "connections held by the load generator"
	}
	return ""
}

// ParseLayer is the inverse of String.
func ParseLayer(s string) (Layer, bool) {
	for _, l := range append([]Layer{LayerNone}, Layers...) {
		if l.String() == s {
			return l, true
		}
	}
	return LayerNone, false
}

// FailureKind says what a failure means.
type FailureKind uint8

const (
	KindNone FailureKind = iota
	// KindCapacity is a refusal of work: 503, a refused or unanswered
	// SYN, or any failure that begins at a concurrency and holds above it
	// (see verdict). A load generator out of ephemeral ports is not: the
	// edge refused nothing.
	KindCapacity
	// KindRateLimit is 429: the edge throttles, it is not full.
	KindRateLimit
	// KindError is any other failure.
	KindError
)

func (k FailureKind) String() string {
	switch k {
	case KindCapacity:
		return "capacity"
	case KindRateLimit:
		return "rate_limit"
	case KindError:
		return "error"
	}
	return ""
}

// kindOf classifies a failing status of a layer.
func kindOf(l Layer, status string) FailureKind {
	switch l {
	case LayerSIP:
		switch status {
		case "503", "480", "486", "600":
			// 480/486/600 are the far end (or a gateway's trunk group)
			// saying it has no room; in a load test that is capacity.
			return KindCapacity
		}
	case LayerHTTP, LayerWebSocket:
		switch status {
		case "429":
			return KindRateLimit
		case "503", "502", "504":
			return KindCapacity
		}
	case LayerTCP:
		switch status {
		case "refused", "timeout":
			// A SYN answered by RST or dropped is a full accept queue or a
			// connection limit: no room.
			return KindCapacity
		}
	}
	return KindError
}
