package jtl

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ceiling-dev/ceiling/parse"
)

// xmlReader reads an XML JTL (<testResults>) with encoding/xml's RawToken,
// one token at a time: memory is bounded by one top-level sample, not by
// the file. Nested samples are the sub-results JMeter wrote inside their
// parent.
type xmlReader struct {
	name string
	host string // fallback Host
	opts Options
	ids  idNames

	in  *byteCounter
	dec *xml.Decoder
	// The decoder is replaced after a syntax error (encoding/xml cannot go
	// on past one); these place its positions in the file.
	baseOffset int64
	baseLine   int64

	frames   []xframe
	open     []*openSample // samples whose start tag was read, innermost last
	root     bool          // <testResults> seen
	rootName string
	ended    bool // </testResults> seen

	order  reorder
	label  *interner
	code   *interner
	msg    *interner
	thread *interner
	dtype  *interner

	threadHosts map[string]string

	// charsetErr is set when the declared encoding is refused: nothing of
	// the file can be read then.
	charsetErr error
	latin1     *latin1Reader // the file declared a Latin-1 encoding

	stats Stats
	rows  int64 // sample elements begun (top-level and nested)
	eof   bool
	err   error

	// where the token being handled began
	tokLine   int64
	tokOffset int64
}

type frameKind uint8

const (
	fIgnore frameKind = iota
	fRoot
	fSample
	fFieldSample // a SampleResult subclass XStream wrote field by field
	fAssertion
	fText
)

type textKind uint8

const (
	tNone textKind = iota
	tResponseHeader
	tRequestHeader
	tSamplerData
	tResponseData
	tURL
	tFailure
	tError
	tFailureMessage
	tField // a field of an fFieldSample
)

type xframe struct {
	name string // to match the end tag: RawToken does not
	kind frameKind
	text textKind
	buf  []byte // accumulated text for short fields
}

// openSample is a sample between its start and end tags.
type openSample struct {
	s          Sample
	offset     int64 // of the start tag
	seq        uint64
	callSrc    int
	traceSrc   int
	bad        string // why the sample cannot be used; reported at its end
	fieldMode  bool
	ts         int64
	hasEnd     bool // fieldMode: endTime given
	end        int64
	assertFail bool // the current assertionResult failed
	assertMsg  string
}

// byteCounter hands the decoder single bytes and counts them, so that
// after a syntax error the reader knows where the decoder stopped and can
// look for the next sample from there. Giving encoding/xml an
// io.ByteReader also stops it from buffering ahead on its own.
type byteCounter struct {
	br    *bufio.Reader
	n     int64
	lines int64
	last  byte
	eof   bool
	err   error // a read error other than EOF: the input cannot be read on
}

func (c *byteCounter) ReadByte() (byte, error) {
	b, err := c.br.ReadByte()
	if err != nil {
		if err == io.EOF {
			c.eof = true
		} else {
			c.err = err
		}
		return 0, err
	}
	c.n++
	c.last = b
	if b == '\n' {
		c.lines++
	}
	return b, nil
}

func (c *byteCounter) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	b, err := c.ReadByte()
	if err != nil {
		return 0, err
	}
	p[0] = b
	return 1, nil
}

// NewXMLReader reads an XML JTL from r; name is as for NewCSVReader.
func NewXMLReader(r io.Reader, name string, opts Options) (Reader, error) {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 256<<10)
	}
	xr := &xmlReader{
		name:   name,
		host:   filepath.Base(name),
		opts:   opts,
		ids:    newIDNames(&opts),
		in:     &byteCounter{br: br},
		order:  newReorder(opts.Window),
		label:  newInterner(4096),
		code:   newInterner(1024),
		msg:    newInterner(4096),
		thread: newInterner(1 << 16),
		dtype:  newInterner(64),

		threadHosts: make(map[string]string),
	}
	if b, _ := br.Peek(3); bytes.Equal(b, utf8BOM) {
		br.Discard(3)
		xr.in.n = 3
	}
	xr.newDecoder()
	return xr, nil
}

func (r *xmlReader) newDecoder() {
	r.baseOffset, r.baseLine = r.in.n, r.in.lines
	if r.latin1 != nil {
		// A decoder started after a resync sees no declaration: give it
		// the conversion the first one was asked for.
		r.latin1 = &latin1Reader{r: r.in}
		r.dec = xml.NewDecoder(r.latin1)
		return
	}
	d := xml.NewDecoder(r.in)
	d.CharsetReader = r.charsetReader
	r.dec = d
}

// charsetReader accepts the encodings a JMeter install writes in
// practice. Latin-1 is widened to UTF-8 byte by byte (windows-1252 too,
// its 0x80-0x9f then read as Latin-1 controls); anything else is refused
// rather than misread.
func (r *xmlReader) charsetReader(label string, in io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "us-ascii", "ascii", "utf8":
		return in, nil
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "windows-1252", "cp1252":
		br, ok := in.(io.ByteReader)
		if !ok {
			br = bufio.NewReader(in)
		}
		r.latin1 = &latin1Reader{r: br}
		return r.latin1, nil
	}
	r.charsetErr = fmt.Errorf("XML encoding %q is not supported (re-save the file as UTF-8)", label)
	return nil, r.charsetErr
}

type latin1Reader struct {
	r       io.ByteReader
	pending byte
	// extra counts the bytes the widening added, to turn the decoder's
	// offsets (in UTF-8) back into the file's.
	extra int64
}

func (l *latin1Reader) ReadByte() (byte, error) {
	if l.pending != 0 {
		b := l.pending
		l.pending = 0
		return b, nil
	}
	b, err := l.r.ReadByte()
	if err != nil || b < 0x80 {
		return b, err
	}
	l.pending = 0x80 | b&0x3f
	l.extra++
	return 0xc0 | b>>6, nil
}

func (l *latin1Reader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	b, err := l.ReadByte()
	if err != nil {
		return 0, err
	}
	p[0] = b
	return 1, nil
}

func (r *xmlReader) Stats() Stats {
	s := r.stats
	s.OutOfOrder = r.order.outOfOrder
	return s
}

func (r *xmlReader) Read(dst []Sample) (int, error) { return readEach(r.Next, dst) }

func (r *xmlReader) Next() (Sample, error) {
	for {
		if r.order.ready(r.eof) {
			s := r.order.at(r.order.popSlot())
			r.stats.Records++
			if s.Counts() {
				r.stats.Counted++
			}
			return *s, nil
		}
		if r.eof {
			if r.err != nil {
				return Sample{}, r.err
			}
			return Sample{}, io.EOF
		}
		r.step()
	}
}

func (r *xmlReader) problem(key string, line, offset int64, reason string, skipped bool) {
	if skipped {
		r.stats.Skipped++
	}
	if r.opts.Problems != nil {
		r.opts.Problems.Add(key, parse.Problem{File: r.name, Line: line, Offset: offset, Reason: reason})
	}
}

func (r *xmlReader) pos() (int64, int64) {
	line, _ := r.dec.InputPos()
	off := r.baseOffset + r.dec.InputOffset()
	if r.latin1 != nil {
		off -= r.latin1.extra
	}
	return r.baseLine + int64(line), off
}

// step handles one token.
func (r *xmlReader) step() {
	r.tokLine, r.tokOffset = r.pos()
	tok, err := r.dec.RawToken()
	if err != nil {
		r.tokenError(err)
		return
	}
	switch t := tok.(type) {
	case xml.StartElement:
		r.start(t)
	case xml.EndElement:
		r.end(t.Name.Local)
	case xml.CharData:
		r.text(t)
	}
}

func (r *xmlReader) top() *xframe {
	if len(r.frames) == 0 {
		return nil
	}
	return &r.frames[len(r.frames)-1]
}

func (r *xmlReader) start(t xml.StartElement) {
	name := t.Name.Local
	parent := r.top()
	if parent == nil {
		if !r.root && name != "testResults" {
			r.problem("not testResults", r.tokLine, r.tokOffset,
				fmt.Sprintf("root element is <%s>, not <testResults>; reading its children as samples anyway", name), false)
		}
		r.root, r.rootName = true, name
		r.frames = append(r.frames, xframe{name: name, kind: fRoot})
		return
	}
	switch parent.kind {
	case fRoot, fSample:
		switch {
		case name == "sample" || name == "httpSample":
			r.beginSample(t, false)
			return
		case parent.kind == fRoot && strings.Contains(name, "SampleResult"):
			// jmeter-plugins' WebDriver sampler result is written by
			// XStream's reflection converter: the fields are child
			// elements, not attributes.
			r.beginSample(t, true)
			r.frames[len(r.frames)-1].kind = fFieldSample
			return
		case parent.kind == fRoot:
			r.problem("unknown element", r.tokLine, r.tokOffset,
				fmt.Sprintf("<%s> is not a JMeter sample element; skipped", name), true)
		case name == "assertionResult":
			r.curSample().assertFail, r.curSample().assertMsg = false, ""
			r.frames = append(r.frames, xframe{name: name, kind: fAssertion})
			return
		default:
			tk := tNone
			switch name {
			case "responseHeader":
				tk = tResponseHeader
			case "requestHeader":
				tk = tRequestHeader
			case "samplerData":
				tk = tSamplerData
			case "responseData":
				tk = tResponseData
			case "java.net.URL":
				tk = tURL
			}
			if tk != tNone {
				r.frames = append(r.frames, xframe{name: name, kind: fText, text: tk})
				return
			}
		}
	case fFieldSample:
		r.frames = append(r.frames, xframe{name: name, kind: fText, text: tField})
		return
	case fAssertion:
		tk := tNone
		switch name {
		case "failure":
			tk = tFailure
		case "error":
			tk = tError
		case "failureMessage":
			tk = tFailureMessage
		}
		if tk != tNone {
			r.frames = append(r.frames, xframe{name: name, kind: fText, text: tk})
			return
		}
	}
	r.frames = append(r.frames, xframe{name: name, kind: fIgnore})
}

func (r *xmlReader) curSample() *openSample { return r.open[len(r.open)-1] }

func (r *xmlReader) beginSample(t xml.StartElement, fieldMode bool) {
	r.rows++
	os := &openSample{seq: r.order.nextSeq(), fieldMode: fieldMode, offset: r.tokOffset}
	os.s.File = r.opts.FileIndex
	os.s.Line = r.tokLine
	s := &os.s
	for _, a := range t.Attr {
		v := a.Value
		var err error
		switch a.Name.Local {
		case "t":
			s.Elapsed, err = atoi64(v)
		case "it":
			s.Idle, err = atoi64(v)
		case "lt":
			s.Latency, err = atoi64(v)
		case "ct":
			s.Connect, err = atoi64(v)
		case "ts":
			os.ts, err = atoi64(v)
		case "s":
			s.Success = strings.EqualFold(v, "true")
		case "lb":
			s.Label = r.label.str(v)
		case "rc":
			s.Code = r.code.str(v)
		case "rs": // the name JMeter 2.0 wrote the code under
			if s.Code == "" {
				s.Code = r.code.str(v)
			}
		case "rm":
			s.Message = r.msg.str(v)
		case "tn":
			s.Thread = r.thread.str(v)
		case "dt":
			s.DataType = r.dtype.str(v)
		case "de":
		case "by":
			s.Bytes, err = atoi64(v)
		case "sby":
			s.SentBytes, err = atoi64(v)
		case "sc":
			s.SampleCount, err = atoi(v)
		case "ec":
			s.ErrorCount, err = atoi(v)
		case "ng":
			s.GrpThreads, err = atoi(v)
		case "na":
			s.AllThreads, err = atoi(v)
		case "hn":
			s.Host = v
		default:
			if r.opts.Vars {
				s.Vars = append(s.Vars, Var{Name: a.Name.Local, Value: v})
			}
			r.idFromVar(os, a.Name.Local, v)
		}
		if err != nil && os.bad == "" {
			os.bad = fmt.Sprintf("attribute %s=%q is not a number", a.Name.Local, v)
		}
	}
	r.open = append(r.open, os)
	r.frames = append(r.frames, xframe{name: t.Name.Local, kind: fSample})
}

func (r *xmlReader) idFromVar(os *openSample, name, v string) {
	if v == "" || v == "null" {
		return
	}
	if os.callSrc < srcVar && r.ids.isCallID(name) {
		os.s.CallID, os.callSrc = v, srcVar
	} else if os.traceSrc < srcVar && r.ids.isTrace(name) {
		os.s.TraceID, os.traceSrc = v, srcVar
	}
}

func atoi64(v string) (int64, error) { return strconv.ParseInt(strings.TrimSpace(v), 10, 64) }

func atoi(v string) (int, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
	return int(n), err
}

// maxScan bounds how much of a header block or body is searched for a
// Call-ID: the SIP headers come first, and a response body can be
// megabytes of HTML.
const maxScan = 16 << 10

func (r *xmlReader) text(t xml.CharData) {
	f := r.top()
	if f == nil || f.kind != fText || len(r.open) == 0 {
		return
	}
	os := r.curSample()
	switch f.text {
	case tResponseHeader, tRequestHeader:
		if len(t) > maxScan {
			t = t[:maxScan]
		}
		var call, trace string
		r.ids.scanHeaders(t, false, &call, &trace)
		if call != "" && os.callSrc < srcHeader {
			os.s.CallID, os.callSrc = call, srcHeader
		}
		if trace != "" && os.traceSrc < srcHeader {
			os.s.TraceID, os.traceSrc = trace, srcHeader
		}
	case tSamplerData, tResponseData:
		if os.callSrc >= srcBody {
			return
		}
		if len(t) > maxScan {
			t = t[:maxScan]
		}
		var call, none string
		r.ids.scanHeaders(t, true, &call, &none)
		if call != "" {
			os.s.CallID, os.callSrc = call, srcBody
		}
	default:
		if len(f.buf) < 64<<10 {
			f.buf = append(f.buf, t...)
		}
	}
}

func (r *xmlReader) end(name string) {
	if len(r.frames) == 0 {
		return // a stray end tag after a resync
	}
	f := r.frames[len(r.frames)-1]
	if f.name != name {
		r.malformed(fmt.Sprintf("</%s> closes <%s>", name, f.name))
		return
	}
	r.frames = r.frames[:len(r.frames)-1]
	switch f.kind {
	case fRoot:
		r.ended = true
	case fSample, fFieldSample:
		r.finishSample()
	case fAssertion:
		os := r.curSample()
		if os.assertFail && os.assertMsg != "" && os.s.FailureMessage == "" {
			os.s.FailureMessage = os.assertMsg
		}
	case fText:
		if len(r.open) == 0 {
			return
		}
		os := r.curSample()
		v := strings.TrimSpace(string(f.buf))
		switch f.text {
		case tURL:
			os.s.URL = v
		case tFailure, tError:
			if v == "true" {
				os.assertFail = true
			}
		case tFailureMessage:
			os.assertMsg = v
		case tField:
			r.setField(os, f.name, v)
		}
	}
}

// setField reads one field of an XStream-serialised SampleResult.
func (r *xmlReader) setField(os *openSample, name, v string) {
	s := &os.s
	var err error
	switch name {
	case "label":
		s.Label = r.label.str(v)
	case "responseCode":
		s.Code = r.code.str(v)
	case "responseMessage":
		s.Message = r.msg.str(v)
	case "threadName":
		s.Thread = r.thread.str(v)
	case "dataType":
		s.DataType = r.dtype.str(v)
	case "success":
		s.Success = strings.EqualFold(v, "true")
	case "startTime":
		os.ts, err = atoi64(v)
	case "endTime":
		os.end, err = atoi64(v)
		os.hasEnd = true
	case "elapsedTime":
		s.Elapsed, err = atoi64(v)
	case "latency":
		s.Latency, err = atoi64(v)
	case "connectTime":
		s.Connect, err = atoi64(v)
	case "idleTime":
		s.Idle, err = atoi64(v)
	case "bytes":
		s.Bytes, err = atoi64(v)
	case "sentBytes":
		s.SentBytes, err = atoi64(v)
	case "groupThreads":
		s.GrpThreads, err = atoi(v)
	case "allThreads":
		s.AllThreads, err = atoi(v)
	case "sampleCount":
		s.SampleCount, err = atoi(v)
	case "errorCount":
		s.ErrorCount, err = atoi(v)
	}
	if err != nil && os.bad == "" {
		os.bad = fmt.Sprintf("<%s>%s</%s> is not a number", name, v, name)
	}
}

// finishSample completes the innermost open sample and hands it to the
// reorder buffer. Children end before their parent, so the parent is known
// here only through the stack; it sets Kind and Parent.
func (r *xmlReader) finishSample() {
	os := r.open[len(r.open)-1]
	r.open = r.open[:len(r.open)-1]
	if os.bad != "" {
		r.problem("bad attribute", os.s.Line, os.offset, fmt.Sprintf("<sample> %s; sample skipped", os.bad), true)
		return
	}
	r.deliver(os)
}

func (r *xmlReader) deliver(os *openSample) {
	s := &os.s
	if os.fieldMode && s.Elapsed == 0 && os.hasEnd && os.end > os.ts {
		s.Elapsed = os.end - os.ts
	}
	s.Start = os.ts
	if r.opts.TimestampAtEnd && !os.fieldMode {
		s.Start = os.ts - s.Elapsed
	}
	if isTransaction(s.Message) {
		s.Kind = Transaction
	}
	if len(r.open) > 0 {
		p := r.open[len(r.open)-1]
		s.Parent = p.s.Label
		if s.Kind != Transaction && !isTransaction(p.s.Message) {
			s.Kind = SubResult
		}
	}
	if s.Host == "" {
		s.Host = r.hostOf(s.Thread)
	}
	r.order.push(s, os.seq)
}

// hostOf remembers what threadHost says per thread name.
func (r *xmlReader) hostOf(thread string) string {
	h, ok := r.threadHosts[thread]
	if !ok {
		if h = threadHost(thread); h == "" {
			h = r.host
		}
		if len(r.threadHosts) < 1<<16 {
			r.threadHosts[thread] = h
		}
	}
	return h
}

// tokenError handles a decoder error: the end of the input, a file cut
// off, or malformed XML, after which reading resumes at the next sample.
func (r *xmlReader) tokenError(err error) {
	var se *xml.SyntaxError
	if err == io.EOF || errors.As(err, &se) && r.in.eof {
		r.finishInput()
		return
	}
	if r.in.err != nil || r.charsetErr != nil {
		r.eof = true
		r.err = fmt.Errorf("%s: %w", r.name, err)
		return
	}
	// Anything else the decoder refuses (a syntax error, an XML version it
	// does not know) is damage to skip.
	msg := err.Error()
	if se != nil {
		msg = se.Msg
	}
	r.malformed(msg)
}

// malformed drops the top-level sample being read, if any, reports it
// and resumes at the next sample.
func (r *xmlReader) malformed(msg string) {
	what := "malformed XML"
	if len(r.open) > 0 {
		what = fmt.Sprintf("malformed XML in the sample at line %d", r.open[0].s.Line)
		r.open = r.open[:0]
	}
	r.problem("malformed xml", r.tokLine, r.tokOffset,
		fmt.Sprintf("%s: %s; skipped to the next sample", what, msg), true)
	r.resync()
}

// finishInput ends the file: a missing </testResults> or open samples mean
// the run was killed or the file copied while JMeter was writing it. What
// was begun is kept: a sample's numbers are all in its start tag.
func (r *xmlReader) finishInput() {
	r.eof = true
	if !r.root {
		return // no XML at all: nothing to read, nothing to complain about
	}
	if len(r.open) > 0 {
		first := r.open[0]
		for len(r.open) > 0 {
			os := r.open[len(r.open)-1]
			r.open = r.open[:len(r.open)-1]
			if os.bad != "" {
				r.problem("bad attribute", os.s.Line, os.offset, fmt.Sprintf("<sample> %s; sample skipped", os.bad), true)
				continue
			}
			r.deliver(os)
		}
		r.stats.Truncated = true
		r.problem("truncated xml", first.s.Line, first.offset,
			"file ends inside a sample element (no </testResults>: the run was killed or the file was copied while being written); samples begun are kept from their attributes", false)
		return
	}
	if !r.ended {
		r.stats.Truncated = true
		r.problem("truncated xml", r.in.lines+1, r.in.n,
			"file ends without </testResults> (the run was killed or the file was copied while being written); every complete sample was read", false)
	}
}

// resync skips to the next line that starts a top-level sample (JMeter
// writes those at the start of a line, nested ones indented) and starts a
// fresh decoder there.
func (r *xmlReader) resync() {
	br := r.in.br
	// The decoder may have read one byte past where it stopped; if that
	// was a newline we are already at the start of a line. If it read
	// nothing since the last resync, skip a line anyway so that a line it
	// cannot start on is never tried twice.
	if r.in.n > 0 && r.in.last != '\n' || r.in.n == r.baseOffset {
		r.skipLine()
	}
	for {
		head, _ := br.Peek(16)
		if len(head) == 0 {
			r.frames = r.frames[:min(len(r.frames), 1)]
			r.finishInput()
			return
		}
		if bytes.HasPrefix(head, []byte("<sample ")) || bytes.HasPrefix(head, []byte("<sample>")) ||
			bytes.HasPrefix(head, []byte("<httpSample ")) || bytes.HasPrefix(head, []byte("<httpSample>")) ||
			bytes.HasPrefix(head, []byte("</testResults")) {
			break
		}
		r.skipLine()
	}
	// Back to "inside <testResults>".
	r.frames = append(r.frames[:0], xframe{name: r.rootName, kind: fRoot})
	r.root = true
	r.newDecoder()
}

func (r *xmlReader) skipLine() {
	for {
		b, err := r.in.ReadByte()
		if err != nil || b == '\n' {
			return
		}
	}
}
