package parse

import (
	"fmt"
	"strings"
)

// Problem is one piece of input that a reader could not use: a malformed
// JTL line, a packet that does not decode, a truncated record. It names the
// file and the position so that a person can look at the bytes themselves.
// Zero position fields are unknown and left out of the message.
type Problem struct {
	File   string // path as the user gave it
	Line   int64  // 1-based line (text inputs)
	Packet int64  // 1-based packet number, as Wireshark numbers frames
	Offset int64  // byte offset in the (decompressed) input, -1 when unknown
	Reason string // what was wrong, lower case, no trailing period
}

func (p Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	if p.Packet > 0 {
		fmt.Fprintf(&b, ": packet %d", p.Packet)
	}
	if p.Offset >= 0 {
		fmt.Fprintf(&b, " (offset %d)", p.Offset)
	}
	b.WriteString(": ")
	b.WriteString(p.Reason)
	return b.String()
}

// Problems counts what a reader skipped and keeps the first few for the
// report. It never grows with the input: a broken 10 GB file must not turn
// into a 10 GB list of complaints.
type Problems struct {
	Count int64
	// ByReason counts skips per short reason ("bad timestamp", "ip fragment
	// never completed"), so the report can say what kind of damage it was.
	ByReason map[string]int64
	First    []Problem
	// Limit is how many problems First keeps; zero means 20.
	Limit int
	// Notify, when set, is called for every problem (the CLI prints the
	// first ones to stderr as they happen).
	Notify func(Problem)
}

// Add records p under the short reason key.
func (ps *Problems) Add(key string, p Problem) {
	ps.Count++
	if ps.ByReason == nil {
		ps.ByReason = make(map[string]int64)
	}
	ps.ByReason[key]++
	limit := ps.Limit
	if limit == 0 {
		limit = 20
	}
	if len(ps.First) < limit {
		ps.First = append(ps.First, p)
	}
	if ps.Notify != nil {
		ps.Notify(p)
	}
}
