package sip

// Options tune the parser.
type Options struct {
	// CorrelationHeaders are header names (case-insensitive) copied into
	// Message.Correlation. A name that starts with "*" matches as a suffix
	// ("*-trace-id"). Nil means DefaultCorrelationHeaders.
	CorrelationHeaders []string
}

// DefaultCorrelationHeaders are the correlation headers kept when Options
// names none.
var DefaultCorrelationHeaders = []string{"x-inin-cnv", "x-trace-id", "x-request-id", "inin-correlation-id", "traceparent", "*-correlation-id", "*-trace-id"}
