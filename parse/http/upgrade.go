package http

import (
	"crypto/sha1"
	"encoding/base64"
	"strings"
)

// wsGUID is the fixed string RFC 6455 §1.3 appends to Sec-WebSocket-Key.
const wsGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// AcceptKey returns the Sec-WebSocket-Accept value a server must send for
// a request's Sec-WebSocket-Key (RFC 6455 §4.2.2).
func AcceptKey(key string) string {
	h := sha1.Sum([]byte(strings.TrimSpace(key) + wsGUID))
	return base64.StdEncoding.EncodeToString(h[:])
}

// IsWebSocketUpgrade reports whether r asks to open a WebSocket: an
// Upgrade naming websocket and a Connection naming upgrade (case aside).
// A request missing Sec-WebSocket-Key or with the wrong method still
// counts: it is an attempt, which the server should refuse.
func IsWebSocketUpgrade(r *Request) bool {
	return r != nil && hasWebSocket(r.Upgrade) && hasUpgrade(r.Connection)
}

// ValidAccept reports whether resp completes the WebSocket handshake req
// began (RFC 6455 §4.1, the client's checks): a 101 with Upgrade
// websocket, Connection upgrade, and the Sec-WebSocket-Accept that
// req's key calls for. A 101 that fails it is a failed upgrade, whatever
// its status code says.
func ValidAccept(req *Request, resp *Response) bool {
	return req != nil && resp != nil && resp.Code == 101 &&
		hasWebSocket(resp.Upgrade) && hasUpgrade(resp.Connection) &&
		req.WebSocketKey != "" && resp.WebSocketAccept == AcceptKey(req.WebSocketKey)
}
