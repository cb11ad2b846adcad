// Package report turns an analysis into bytes: the JSON summary
// (schema ceiling.summary/v1), a text summary for a terminal, a
// self-contained HTML report, and PNG charts. One file per format.
package report

import (
	"time"

	"github.com/ceiling-dev/ceiling/correlate"
	"github.com/ceiling-dev/ceiling/parse"
)

// Document is what every format renders.
type Document struct {
	Tool      string    // "ceiling v0.1.0"
	Generated time.Time // when the report was made
	Command   []string  // the command line, for the record
	Inputs    []Input
	// Problems are the first few things the readers skipped, with where.
	Problems []parse.Problem
	Result   *correlate.Result
	// Ladders are the message ladders of chosen attempts (the first
	// failures and one answered just before), when the captures were read
	// again for evidence (report/evidence); nil otherwise.
	Ladders []Ladder
}

// Input is one input file's account.
type Input struct {
	Path      string
	Kind      string // "jtl-csv", "jtl-xml", "pcap", "pcapng"
	Gzip      bool
	Size      int64
	Records   int64 // samples or packets read
	Skipped   int64
	Truncated bool
	// Detail is one line about what was in it ("12 034 SIP messages,
	// 3 IP fragments reassembled", "header: 17 columns, delimiter ','").
	Detail string
	// SkippedBy counts skips per reason.
	SkippedBy map[string]int64
}

// Skipped sums what every input skipped.
func (d *Document) Skipped() int64 {
	var n int64
	for _, in := range d.Inputs {
		n += in.Skipped
	}
	return n
}
