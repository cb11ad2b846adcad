package websocket

import (
	"errors"
	"fmt"
)

// Opcode is a frame's opcode (RFC 6455 §5.2).
type Opcode uint8

// The opcodes RFC 6455 defines; the others are reserved.
const (
	OpContinuation Opcode = 0x0
	OpText         Opcode = 0x1
	OpBinary       Opcode = 0x2
	OpClose        Opcode = 0x8
	OpPing         Opcode = 0x9
	OpPong         Opcode = 0xA
)

// IsControl reports whether o is a control opcode (close, ping, pong and
// the reserved 0xB-0xF): those frames stand alone and are never
// fragmented.
func (o Opcode) IsControl() bool { return o&0x8 != 0 }

func (o Opcode) known() bool {
	switch o {
	case OpContinuation, OpText, OpBinary, OpClose, OpPing, OpPong:
		return true
	}
	return false
}

func (o Opcode) String() string {
	switch o {
	case OpContinuation:
		return "continuation"
	case OpText:
		return "text"
	case OpBinary:
		return "binary"
	case OpClose:
		return "close"
	case OpPing:
		return "ping"
	case OpPong:
		return "pong"
	}
	return fmt.Sprintf("opcode-%#x", uint8(o))
}

// The reserved bits of a frame header, as Frame.RSV holds them.
const (
	RSV1 = 0x4 // "per-message compressed" under permessage-deflate
	RSV2 = 0x2
	RSV3 = 0x1
)

// Frame is one frame header.
type Frame struct {
	Offset int64 // stream offset of the frame's first byte
	Time   int64 // the t given with the byte that completed the header
	Fin    bool
	RSV    uint8 // RSV1|RSV2|RSV3
	Opcode Opcode
	Masked bool
	Mask   [4]byte
	// Length is the payload length the header announces.
	Length int64
	// HeaderLen is the header's size on the wire (2 to 14 bytes).
	HeaderLen int
}

// Message is one data message (a text or binary frame and its
// continuations) or one control frame.
type Message struct {
	// Opcode is text, binary, close, ping, pong, or a reserved one.
	Opcode Opcode
	Offset int64 // stream offset of its first frame
	Time   int64 // the t of its first frame's header
	// EndTime is the t of the bytes that ended it.
	EndTime int64
	Frames  int
	// Complete says the last frame had FIN and all its payload arrived.
	// False for a message that the stream's end, a fatal problem or a
	// new message cut short.
	Complete bool

	// Compressed says the message was sent deflated (RSV1 under a
	// negotiated permessage-deflate).
	Compressed bool
	// WireLen counts the payload bytes of its frames as sent (compressed
	// if Compressed), gaps included; Len the payload after inflating (the
	// bytes inflated so far when inflating stopped early), or WireLen.
	WireLen int64
	Len     int64
	// Gap counts wire payload bytes the capture lost.
	Gap int64
	// Payload holds the first Options.MaxMessage bytes of the payload:
	// unmasked, inflated, up to a gap. Truncated says it holds less than
	// Len.
	Payload   []byte
	Truncated bool
	// InflateErr says why a compressed message was not, or not wholly,
	// inflated; empty when it was.
	InflateErr string

	// CloseCode is a close frame's status code: 1005 ("no status") when
	// its payload is empty, 0 when it is one byte or the frame is no
	// close frame. CloseReason is the rest of the payload.
	CloseCode   int
	CloseReason string
}

// Kind says what an Event reports.
type Kind uint8

const (
	// KindFrame: a frame header was read (Event.Frame).
	KindFrame Kind = iota + 1
	// KindMessage: a message ended (Event.Message): a data message with
	// its last frame, a control frame with its payload, or anything cut
	// short.
	KindMessage
	// KindProblem: a protocol violation or a lost frame boundary
	// (Event.Err).
	KindProblem
)

func (k Kind) String() string {
	switch k {
	case KindFrame:
		return "frame"
	case KindMessage:
		return "message"
	case KindProblem:
		return "problem"
	}
	return "kind?"
}

// Event is one thing the parser found; events come in stream order.
type Event struct {
	Kind Kind
	// Time is the t of the call that completed the event.
	Time    int64
	Offset  int64
	Frame   Frame    // KindFrame
	Message *Message // KindMessage
	Err     *Error   // KindProblem
}

// The classes of Error, to be told apart with errors.Is.
var (
	// ErrMask: a client frame without a mask, or a server frame with one
	// (RFC 6455 §5.1). Parsing goes on.
	ErrMask = errors.New("websocket: wrong masking")
	// ErrReserved: a reserved bit set that no negotiated extension
	// defines, or RSV1 where permessage-deflate does not allow it.
	ErrReserved = errors.New("websocket: reserved bit set")
	// ErrOpcode: a reserved opcode.
	ErrOpcode = errors.New("websocket: reserved opcode")
	// ErrControl: a control frame longer than 125 bytes or fragmented.
	ErrControl = errors.New("websocket: bad control frame")
	// ErrLength: a payload length not in its shortest form, or (fatal)
	// one with the most significant bit set.
	ErrLength = errors.New("websocket: bad payload length")
	// ErrSequence: a continuation with no message to continue, a new
	// message before the last one ended, a frame after a close.
	ErrSequence = errors.New("websocket: frame out of sequence")
	// ErrClose: a one-byte close payload, a status code not allowed on
	// the wire, a reason that is not UTF-8.
	ErrClose = errors.New("websocket: bad close frame")
	// ErrInflate: a compressed message that would not inflate, or
	// inflated past Options.MaxInflate.
	ErrInflate = errors.New("websocket: inflate failed")
	// ErrGap: the capture lost bytes where a frame boundary was (fatal).
	ErrGap = errors.New("websocket: frame boundary lost")
	// ErrTruncated: the stream ended inside a frame header.
	ErrTruncated = errors.New("websocket: stream ended inside a frame")
)

// Error is what a KindProblem event carries.
type Error struct {
	Offset int64 // stream offset of the frame at fault
	Reason string
	Err    error // one of the Err* classes
	// Fatal says the parser has stopped: it reads nothing more.
	Fatal bool
}

func (e *Error) Error() string {
	return fmt.Sprintf("websocket: offset %d: %s", e.Offset, e.Reason)
}

func (e *Error) Unwrap() error { return e.Err }
