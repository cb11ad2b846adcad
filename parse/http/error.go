package http

import (
	"errors"
	"fmt"
)

// The classes of Error, to be told apart with errors.Is.
var (
	// ErrStartLine: a line where a request or status line had to be is
	// not one.
	ErrStartLine = errors.New("http: bad start line")
	// ErrHeaderTooLarge: the head (or a chunked trailer) passed
	// Options.MaxHeaderBytes without ending.
	ErrHeaderTooLarge = errors.New("http: header too large")
	// ErrTooManyHeaders: the head has more than Options.MaxHeaders fields.
	ErrTooManyHeaders = errors.New("http: too many header fields")
	// ErrFraming: the head says nothing usable about where the body ends
	// (a bad or conflicting Content-Length, a request Transfer-Encoding
	// that is not chunked).
	ErrFraming = errors.New("http: bad message framing")
	// ErrChunk: a chunk-size line or the CRLF after chunk data is wrong.
	ErrChunk = errors.New("http: bad chunk")
	// ErrGap: the capture lost bytes where framing depends on them.
	ErrGap = errors.New("http: gap")
	// ErrTruncated: the stream ended inside a message head.
	ErrTruncated = errors.New("http: stream ended inside a head")
)

// Error is what a KindProblem event carries: what was wrong and where.
type Error struct {
	// Offset is the stream offset of the message (or line) at fault.
	Offset int64
	Reason string
	Err    error // one of the Err* classes above
}

func (e *Error) Error() string {
	return fmt.Sprintf("http: offset %d: %s", e.Offset, e.Reason)
}

func (e *Error) Unwrap() error { return e.Err }
