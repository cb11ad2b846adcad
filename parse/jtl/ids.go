package jtl

import (
	"bytes"
	"strings"
)

var defaultCallIDVars = []string{"callId", "call_id", "call-id", "sipCallId"}

var defaultTraceHeaders = []string{"x-trace-id", "X-Request-Id", "ININ-Correlation-Id", "traceparent"}

// idNames decides which variable and header names carry a Call-ID or a
// trace ID, from Options.
type idNames struct {
	callID []string // lower case
	trace  []string // lower case
	// traceSuffix is set when the defaults are in force: any name ending in
	// trace-id or correlation-id (x-b3-traceid, x-amzn-trace-id,
	// x-correlation-id) counts, written with - or _ or nothing between.
	traceSuffix bool
}

func newIDNames(o *Options) idNames {
	var n idNames
	cv := o.CallIDVars
	if cv == nil {
		cv = defaultCallIDVars
	}
	for _, v := range cv {
		n.callID = append(n.callID, strings.ToLower(v))
	}
	th := o.TraceHeaders
	if th == nil {
		th = defaultTraceHeaders
		n.traceSuffix = true
	}
	for _, v := range th {
		n.trace = append(n.trace, strings.ToLower(v))
	}
	return n
}

func (n *idNames) isCallID(name string) bool {
	for _, c := range n.callID {
		if strings.EqualFold(name, c) {
			return true
		}
	}
	return false
}

func (n *idNames) isTrace(name string) bool {
	for _, t := range n.trace {
		if strings.EqualFold(name, t) {
			return true
		}
	}
	if !n.traceSuffix {
		return false
	}
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '-' || c == '_' {
			continue
		}
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	s := b.String()
	return strings.HasSuffix(s, "traceid") || strings.HasSuffix(s, "correlationid")
}

// Where an ID came from, lowest trust first: a later source only replaces
// an earlier one of lower rank.
const (
	srcNone = iota
	srcBody // a Call-ID line inside samplerData or responseData
	srcHeader
	srcVar
)

// scanHeaders looks through header text ("Name: value" lines, as JMeter
// stores request and response headers) for a Call-ID and a trace ID.
// sipBody also accepts the compact SIP form "i:", which in an HTTP header
// block would be far-fetched but in a SIP message is the Call-ID.
func (n *idNames) scanHeaders(text []byte, sipBody bool, callID, traceID *string) {
	for len(text) > 0 && (*callID == "" || *traceID == "" && !sipBody) {
		line := text
		if i := bytes.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			text = nil
		}
		line = bytes.TrimRight(line, "\r")
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || colon > 64 {
			continue
		}
		name := string(bytes.TrimSpace(line[:colon]))
		value := string(bytes.TrimSpace(line[colon+1:]))
		if value == "" {
			continue
		}
		switch {
		case *callID == "" && (strings.EqualFold(name, "Call-ID") || sipBody && strings.EqualFold(name, "i")):
			*callID = value
		case *traceID == "" && !sipBody && n.isTrace(name):
			*traceID = value
		}
	}
}
