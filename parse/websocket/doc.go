// Package websocket reads RFC 6455 frames from the bytes one side of a
// connection sent after the HTTP handshake (parse/http hands them over as
// KindUpgrade data), in chunks of any size, with gaps where the capture
// lost data. It knows nothing of TCP or of what the messages carry.
//
// A Parser reads one direction; Options.FromClient says which, because
// client frames must be masked and server frames must not
// (Stats.MaskViolations counts the others), and Options.Extensions passes
// the Sec-WebSocket-Extensions of the 101 response, because only a
// negotiated permessage-deflate (RFC 7692) makes RSV1 mean "compressed".
//
// Feed returns events in stream order: KindFrame for each frame header,
// KindMessage for each data message once its last frame is in (fragments
// reassembled, control frames interleaved between them delivered on their
// own) and for each control frame, KindProblem for each rule broken.
// Message.Payload holds the first Options.MaxMessage bytes (64 KiB) of a
// message, unmasked and inflated: one SIP message per WebSocket message
// under RFC 7118, ready for parse/sip. The rest is counted, not kept.
// Cutting the same bytes differently gives the same events.
//
// # Compression
//
// A compressed message is held (up to Options.MaxCompressed) until its
// last frame, then inflated with compress/flate, with the previous
// messages' last 32 KiB as the dictionary unless the negotiation said
// no_context_takeover for that direction. Inflating stops at
// Options.MaxInflate bytes, so a deflate bomb costs bounded time and
// memory. A message that cannot be inflated whole (too big, corrupt, cut
// by a gap) is reported, and under context takeover so is every later one,
// since they may refer back into it.
//
// # Damage and gaps
//
// Protocol violations that leave the framing intact are reported and
// parsing goes on: bad masking, reserved bits or opcodes, control frames
// over 125 bytes or fragmented, a length not in its shortest form, a
// continuation out of sequence, a bad close payload. Two things end the
// parsing of a direction, with a fatal KindProblem (Error.Fatal) after
// which the parser reads nothing (Stats.Unparsed): a 64-bit length with
// its top bit set, and a gap that is not wholly inside one frame's
// payload. Frames carry no marker to find a boundary again, and a guess
// made inside binary or compressed data would produce frames that never
// were; so the parser does not guess. A gap inside a payload only shortens
// that message (Message.Gap; its Payload stops at the gap).
//
// Close frames give their status code and reason (Message.CloseCode,
// 1005 for a close frame without one, as RFC 6455 §7.1.5 names it). 1005,
// 1006 and 1015 are never sent; one that is, is a problem. 1006 is what a
// reader of both sides concludes when the connection ended without a close
// frame: that is the caller's to say, seeing both directions and the TCP
// close.
package websocket
