package parse

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
)

// Kind is what an input holds, told from its content.
type Kind int

const (
	KindUnknown Kind = iota
	KindJTLCSV
	KindJTLXML
	KindPcap
	KindPcapng
	// KindNetmon is a Microsoft Network Monitor 2.x capture.
	KindNetmon
)

// String gives the names the JSON summary uses for inputs[].kind.
func (k Kind) String() string {
	switch k {
	case KindJTLCSV:
		return "jtl-csv"
	case KindJTLXML:
		return "jtl-xml"
	case KindPcap:
		return "pcap"
	case KindPcapng:
		return "pcapng"
	case KindNetmon:
		return "netmon"
	}
	return "unknown"
}

// IsCapture reports whether k is a packet capture.
func (k Kind) IsCapture() bool { return k == KindPcap || k == KindPcapng || k == KindNetmon }

// IsJTL reports whether k is a JMeter results file.
func (k Kind) IsJTL() bool { return k == KindJTLCSV || k == KindJTLXML }

// Sniff tells the kind of an input from its first bytes (512 are plenty).
// It does not look through gzip; Open does that.
func Sniff(head []byte) Kind {
	if len(head) >= 4 {
		switch {
		case bytes.Equal(head[:4], []byte{0xd4, 0xc3, 0xb2, 0xa1}),
			bytes.Equal(head[:4], []byte{0xa1, 0xb2, 0xc3, 0xd4}),
			bytes.Equal(head[:4], []byte{0x4d, 0x3c, 0xb2, 0xa1}),
			bytes.Equal(head[:4], []byte{0xa1, 0xb2, 0x3c, 0x4d}):
			return KindPcap
		case bytes.Equal(head[:4], []byte{0x0a, 0x0d, 0x0d, 0x0a}):
			return KindPcapng
		case string(head[:4]) == "GMBU":
			return KindNetmon
		}
	}
	text := bytes.TrimPrefix(head, []byte{0xef, 0xbb, 0xbf})
	text = bytes.TrimLeft(text, " \t\r\n")
	if len(text) == 0 {
		return KindUnknown
	}
	if text[0] == '<' {
		if bytes.HasPrefix(text, []byte("<?xml")) || bytes.HasPrefix(text, []byte("<testResults")) ||
			bytes.HasPrefix(text, []byte("<!--")) {
			return KindJTLXML
		}
		return KindUnknown
	}
	if looksLikeJTLCSV(text) {
		return KindJTLCSV
	}
	return KindUnknown
}

// looksLikeJTLCSV accepts a JMeter CSV header (it always names timeStamp or
// elapsed, or, for files written with a custom column set, label or
// responseCode) or a header-less row that starts with an epoch in
// milliseconds or a date. A binary file is refused: JTL is text.
func looksLikeJTLCSV(text []byte) bool {
	line := text
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	for _, c := range line {
		if c < 0x20 && c != '\t' && c != '\r' {
			return false
		}
	}
	lower := bytes.ToLower(line)
	for _, col := range []string{"timestamp", "elapsed", "responsecode", "label"} {
		if bytes.Contains(lower, []byte(col)) {
			return true
		}
	}
	// Header-less: a leading number of at least 8 digits (epoch ms), or a
	// date such as 2024/01/31 or 2024-01-31.
	digits := 0
	for digits < len(line) && line[digits] >= '0' && line[digits] <= '9' {
		digits++
	}
	if digits >= 8 {
		return true
	}
	if digits == 4 && len(line) > 5 && (line[4] == '/' || line[4] == '-') {
		return true
	}
	return false
}

// Input is an opened input file: the decompressed content behind a buffered
// reader, its kind, and a count of the bytes read from the file itself (for
// progress, which runs on the compressed size when the file is gzip).
type Input struct {
	Path string
	Kind Kind
	Gzip bool
	Size int64 // size of the file on disk
	R    *bufio.Reader

	file  *os.File
	read  atomic.Int64
	close []io.Closer
}

// BytesRead is how much of the file on disk has been consumed so far. It is
// safe to call from another goroutine.
func (in *Input) BytesRead() int64 { return in.read.Load() }

// Close releases the file.
func (in *Input) Close() error {
	var err error
	for i := len(in.close) - 1; i >= 0; i-- {
		if e := in.close[i].Close(); e != nil && err == nil {
			err = e
		}
	}
	return err
}

type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// readBuffer is the size of an input's buffer, and so of its reads: small
// enough that what the kernel copies into it is still in the core's L2
// cache (1 MB here, beside everything else the readers touch) when the
// parsers first read it. With 1 MB buffers the first touch of every
// packet missed: on 100 MB of signalling, 0.8 M more misses past a 1 MB
// cache (cachegrind), for a saving of three read calls in four.
const readBuffer = 256 << 10

// ErrUnknownKind is wrapped by Open's error for a file that is none of the
// kinds ceiling reads.
var ErrUnknownKind = errors.New("not a JMeter JTL (CSV or XML), pcap, pcapng or NetMon file")

// Open opens path, looks through gzip, and tells its kind. A file that
// cannot be opened, an empty file, and a file of no known kind are errors
// that name the file.
func Open(path string) (*Input, error) { return OpenAs(path, KindUnknown) }

// OpenAs is Open, with a kind to assume for a text file whose content says
// nothing: a JTL CSV written without a header whose first column is not a
// time, when the user has named its columns.
func OpenAs(path string, fallback Kind) (*Input, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if st.IsDir() {
		f.Close()
		return nil, fmt.Errorf("%s: is a directory", path)
	}
	in := &Input{Path: path, Size: st.Size(), file: f}
	in.close = append(in.close, f)
	var r io.Reader = countingReader{f, &in.read}
	br := bufio.NewReaderSize(r, readBuffer)
	head, _ := br.Peek(2)
	if len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			in.Close()
			return nil, fmt.Errorf("%s: gzip header: %v", path, err)
		}
		in.Gzip = true
		in.close = append(in.close, zr)
		br = bufio.NewReaderSize(zr, readBuffer)
	}
	in.R = br
	head, err = br.Peek(512)
	if len(head) == 0 {
		in.Close()
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		return nil, fmt.Errorf("%s: empty file", path)
	}
	in.Kind = Sniff(head)
	if in.Kind == KindUnknown && fallback == KindJTLCSV && isText(head) {
		in.Kind = KindJTLCSV
	}
	if in.Kind == KindUnknown {
		in.Close()
		return nil, fmt.Errorf("%s: %w", path, ErrUnknownKind)
	}
	return in, nil
}

// isText reports whether the first line of head is text (no control bytes
// but tab and CR).
func isText(head []byte) bool {
	line := head
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	for _, c := range line {
		if c < 0x20 && c != '\t' && c != '\r' {
			return false
		}
	}
	return len(line) > 0
}
