package jtl

import (
	"fmt"
	"time"

	"github.com/ceiling-dev/ceiling/parse"
)

// Options tune how a JTL file is read. The zero value reads stock JMeter
// output.
type Options struct {
	// Columns names the columns of a CSV file written without a header
	// (jmeter.save.saveservice.print_field_names=false). Nil means JMeter
	// 5.x's default column set, DefaultColumns. A file with a header is
	// read by its header whatever this says.
	Columns []string
	// TimestampFormat is jmeter.save.saveservice.timestamp_format when it
	// was not "ms": a Java SimpleDateFormat pattern such as
	// "yyyy/MM/dd HH:mm:ss.SSS". Empty means epoch milliseconds, with
	// JMeter's own fallback formats tried when a value is not a number.
	TimestampFormat string
	// Location is the time zone of formatted timestamps (JMeter writes them
	// in the JVM's zone). Nil means time.Local.
	Location *time.Location
	// TimestampAtEnd is set when the run had
	// sampleresult.timestamp.start=false: timeStamp is then the end of the
	// sample, and Start = timeStamp - elapsed. Stock jmeter.properties sets
	// it to true, so the default is a start time.
	TimestampAtEnd bool
	// Window is how far (in sample time) a row may come after a row that
	// started later and still be put back in order. Zero means 60 s. A row
	// later than that is still delivered, counted in Stats.OutOfOrder.
	// Samples are held in memory for that long: at 1000 samples/s the
	// default holds about 60000 (~20 MB). A sample whose elapsed time
	// exceeds the window (a connect timeout of 75 s) is late by nature.
	Window time.Duration
	// CallIDVars are the sample-variable names that hold a SIP Call-ID,
	// matched case-insensitively. Nil means callId, call_id, call-id,
	// sipCallId.
	CallIDVars []string
	// TraceHeaders are the header and variable names that carry a trace or
	// correlation ID. Nil means x-trace-id, X-Request-Id,
	// ININ-Correlation-Id, traceparent, and any name ending in trace-id or
	// correlation-id.
	TraceHeaders []string
	// Vars asks for Sample.Vars: every sample variable, by name. Without
	// it the variables are read only for the IDs they hold (CallID,
	// TraceID), and a row costs no allocation of its own for them.
	Vars bool
	// Problems receives every row or element that was skipped, and notes
	// about the file as a whole (truncation, an unexpected root element)
	// that skip nothing.
	Problems *parse.Problems
	// FileIndex is stored in every Sample's File.
	FileIndex int
}

// Stats describes what a reader has read so far.
type Stats struct {
	Records    int64 // samples delivered (sub-results and transactions included)
	Counted    int64 // samples delivered with Counts() true
	Skipped    int64 // rows or elements that could not be used
	OutOfOrder int64 // samples that arrived later than the reorder window allows
	// Truncated is set when an XML file ended before </testResults> (a
	// killed run, or a copy taken while JMeter was writing) or a CSV file
	// ended inside a quoted field or in the middle of a row.
	Truncated bool
	// Columns is the CSV column set in use (header, Options.Columns or
	// DefaultColumns), for the report.
	Columns []string
	// Delimiter is the CSV delimiter detected.
	Delimiter rune
	// HeaderLess is set when a CSV file had no header line.
	HeaderLess bool
	// TimestampFormat is the pattern CSV timestamps were read with: the
	// one configured, or the JMeter fallback format that matched; empty
	// for epoch milliseconds.
	TimestampFormat string
}

// Reader delivers samples in start-time order. Next returns io.EOF at the
// end; any other error means the file could not be read on (an I/O error),
// never a malformed row, which is skipped and reported to Options.Problems.
type Reader interface {
	Next() (Sample, error)
	// Read is Next for a batch: it fills dst with the next samples and
	// returns how many it wrote, len(dst) unless the input ended (io.EOF)
	// or failed (Next's error) after the first n.
	Read(dst []Sample) (n int, err error)
	Stats() Stats
}

// readEach is Read for a reader that delivers one sample at a time.
func readEach(next func() (Sample, error), dst []Sample) (int, error) {
	for n := range dst {
		s, err := next()
		if err != nil {
			return n, err
		}
		dst[n] = s
	}
	return len(dst), nil
}

// NewReader reads an opened JTL, CSV or XML as in.Kind says. Samples name
// in.Path in problems and, when nothing else tells their load generator,
// take its base name as Host.
func NewReader(in *parse.Input, opts Options) (Reader, error) {
	switch in.Kind {
	case parse.KindJTLCSV:
		return NewCSVReader(in.R, in.Path, opts)
	case parse.KindJTLXML:
		return NewXMLReader(in.R, in.Path, opts)
	}
	return nil, fmt.Errorf("%s: %s is not a JTL", in.Path, in.Kind)
}
