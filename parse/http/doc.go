// Package http reads HTTP/1.x from the bytes one side of a TCP connection
// sent, as a reassembler hands them over: in order, in chunks of any size,
// with gaps where the capture lost data. It knows nothing of TCP, and
// nothing of what its messages will be matched with.
//
// A RequestParser reads the client side, a ResponseParser the server side.
// Each Feed returns the events the bytes completed: a head (KindRequest,
// KindResponse), the end of its body (KindEnd), the switch to another
// protocol and its bytes (KindUpgrade), or a problem (KindProblem). Cutting
// the same bytes differently gives the same events (only their Time, the t
// of the call that completed them, can differ).
//
// The two sides need each other in two places, and the caller, who sees
// both, wires them:
//
//	for each KindRequest from the client side:  server.ExpectMethod(req.Method)
//	for each KindResponse from the server side: client.Answer(resp.Code, t)
//
// ExpectMethod lets a response to HEAD (or a 2xx to CONNECT) be read
// without the body its headers announce. Answer tells the client side
// whether the bytes after an upgrade request are still HTTP (the upgrade
// was refused: a 503 or 429 to a WebSocket handshake) or the new protocol
// (a 101). After a 101 every further byte of both sides comes back as
// KindUpgrade data: hand it to parse/websocket.
//
// # Bodies
//
// Bodies are skipped, never buffered: a Content-Length of 1 GB costs a
// counter. Body.Head keeps the first Options.BodyEvidence bytes (256) of
// each body, after chunked decoding, as evidence of what an error page
// said. The length rules are RFC 9112 §6.3's: no body for 1xx, 204, 304
// and answers to HEAD; Transfer-Encoding ending in chunked (extensions and
// trailer read and dropped); Content-Length; otherwise, for a response,
// everything until the connection closes (Close ends such a body).
//
// # Damage, gaps and resynchronisation
//
// Nothing panics and nothing grows without bound: a head is limited to
// Options.MaxHeaderBytes (64 KiB) and Options.MaxHeaders fields. Input
// that breaks the framing (a line that is not a start line where one must
// be, a head over the limits, a bad Content-Length or chunk size) gives a
// KindProblem whose Error carries the stream offset and one of the Err*
// classes, and the parser then hunts: it drops bytes up to the next line
// that is a start line beyond doubt (a version and an upper-case method,
// or "HTTP/d.d ddd") and carries on from there (Stats.Resyncs,
// Stats.Skipped). A caller that would rather give up on a broken stream
// simply stops feeding it. Header lines that bend the rules without
// breaking the framing (no colon, a space before it) are counted in
// Stats.BadHeaderLines and the head is kept.
//
// Gap(n) says n bytes were lost. Inside a body of known length it only
// shortens the body (Body.Gap, and Body.Head stops there). Anywhere the
// framing depends on the lost bytes (a head, a chunk-size line, the end of
// a chunk) the message ends incomplete, a problem is reported and the
// parser hunts from the bytes after the gap, which may well start a line.
// After an upgrade a gap is passed on as a KindUpgrade event with Gap set,
// for the next protocol's parser to deal with.
//
// Requests and responses keep every header field, the ones that matter to
// an upgrade decoded, and the trace or correlation ID headers the options
// name (TraceIDs). AcceptKey, IsWebSocketUpgrade and ValidAccept check a
// WebSocket handshake; LooksLikeRequest and LooksLikeResponse tell a new
// stream's protocol from its first bytes.
package http
