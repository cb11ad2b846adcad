package tls

import (
	"fmt"

	"github.com/ceiling-dev/ceiling/parse"
)

// Error is a malformed piece of one side's stream.
type Error struct {
	Side Side
	// Offset is the byte offset in that side's stream (bytes the capture
	// missed included), of the record or message at fault.
	Offset int64
	// Packet is the packet given with the bytes that revealed the fault.
	Packet int64
	// Key is a short fixed reason, fit for parse.Problems.ByReason:
	// "record too long", "not a tls record", "malformed client_hello", ….
	Key string
	// Detail says more ("length 20000"), or is empty.
	Detail string
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return fmt.Sprintf("tls: %s stream offset %d: %s", e.Side, e.Offset, e.Key)
	}
	return fmt.Sprintf("tls: %s stream offset %d: %s: %s", e.Side, e.Offset, e.Key, e.Detail)
}

// Problem gives e as a parse.Problem of the capture file: the packet
// number, and in the reason the stream offset, which is not an offset in
// the file (Offset is -1). The caller may prefix the reason with the
// connection's addresses.
func (e *Error) Problem(file string) parse.Problem {
	return parse.Problem{File: file, Packet: e.Packet, Offset: -1, Reason: e.Error()}
}
