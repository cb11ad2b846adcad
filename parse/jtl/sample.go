// Package jtl reads JMeter result files (JTL), CSV and XML, as a stream of
// samples in start-time order.
//
// JMeter writes a row when a sample ends, so a file is ordered by end time,
// and threads interleave. Readers restore start-time order with a bounded
// window (see Options.Window) and never load a whole file.
//
// NewReader reads one opened input (parse.Open), NewCSVReader and
// NewXMLReader read any io.Reader. Merge joins the files of several load
// generators into one stream; Threads adds up their allThreads, which
// JMeter counts per generator.
//
// Damage is never fatal: a row or element that cannot be used is skipped,
// counted in Stats.Skipped and reported to Options.Problems with its file,
// line and byte offset. Next returns an error only when the input itself
// cannot be read on.
//
// Which rows are parts of others follows what JMeter's writers do; see
// family.go for CSV (parents are written before their sub-results) and
// xml.go for XML (sub-results are nested).
package jtl

// Sample is one JMeter sample result, as the rest of ceiling needs it.
// Times are Unix milliseconds, as JMeter keeps them.
type Sample struct {
	// Start is when the sample began (JMeter's timeStamp, converted when the
	// file was written with timeStamp at the end: see Options.TimestampAtEnd).
	Start   int64
	Elapsed int64 // ms
	Latency int64 // ms to first byte; 0 when absent
	Connect int64 // ms to connect; 0 when absent
	Idle    int64 // ms

	Label          string
	Code           string // responseCode as written: "200", "503", "Non HTTP response code: java.net.ConnectException"
	Message        string // responseMessage
	Thread         string // threadName
	DataType       string
	Success        bool
	FailureMessage string // failureMessage, or the first failing assertion's message in XML
	Bytes          int64
	SentBytes      int64
	GrpThreads     int
	AllThreads     int // active threads in this load generator when the sample ended
	URL            string
	SampleCount    int
	ErrorCount     int

	// Host is the load generator that ran the sample: the Hostname column or
	// hn attribute, else a thread-name prefix of distributed mode
	// ("jmeter-server-1-", "10.0.0.5-"), else the input's own name.
	Host string

	// Kind says whether the sample counts on its own. Sub-results and
	// Transaction Controller parents are kept (a report may show them) but
	// must not be counted twice: see Kind.
	Kind Kind
	// Parent is the label of the enclosing sample for a sub-result.
	Parent string

	// CallID and TraceID are what correlation joins on: from a sample
	// variable (callId, call_id, Call-ID, …), a request or response header
	// in XML, or the Call-ID line inside samplerData/responseData. Each is
	// its own copy or lies in a block of such IDs that is never written
	// again, never in a row's or a body's buffer: correlation keeps them
	// as they are, one per sample, without cloning.
	CallID  string
	TraceID string

	// Vars holds the sample variables (the columns after the standard ones,
	// attributes beyond the standard ones in XML) as name, value pairs,
	// when Options.Vars asks for them.
	Vars []Var

	// Where the sample came from, for messages and evidence.
	File int   // index of the input among those given
	Line int64 // CSV: line of the row's first byte (1-based); XML: line of the element
}

// Var is one sample variable.
type Var struct{ Name, Value string }

// Kind tells a sample that counts from one that is part of another.
type Kind uint8

const (
	// Plain is a sample that stands for itself.
	Plain Kind = iota
	// SubResult is a child of a sample that is itself counted (a redirect,
	// an embedded resource): CSV rows labelled "<parent>-N" that follow
	// their parent, nested XML samples. The children of a Transaction parent
	// are the samplers that ran; they are Plain, with Parent set.
	SubResult
	// Transaction is a Transaction Controller parent, whose responseMessage
	// reads "Number of samples in transaction : N, number of failing samples : M";
	// its children are counted, it is not.
	Transaction
)

func (k Kind) String() string {
	switch k {
	case SubResult:
		return "sub-result"
	case Transaction:
		return "transaction"
	}
	return "plain"
}

// Counts reports whether the sample should be counted as an attempt on its
// own (neither a sub-result nor a transaction parent).
func (s *Sample) Counts() bool { return s.Kind == Plain }

// End is when the sample ended, in Unix ms.
func (s *Sample) End() int64 { return s.Start + s.Elapsed }
