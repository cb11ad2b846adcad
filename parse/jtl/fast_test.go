package jtl

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand"
	"reflect"
	"strings"
	"testing"
)

// scanned is what recordScanner.next gives of one record.
type scanned struct {
	fields                       []string
	offset, line                 int64
	eofInQuote, noNewline, tooLg bool
	err                          error
}

// scanAll is every record of data read by a recordScanner on a reader of
// size bytes, with fast or without.
func scanAll(data []byte, delim byte, size int, noFast bool) []scanned {
	s := newRecordScanner(bufio.NewReaderSize(bytes.NewReader(data), size))
	s.delim, s.noFast = delim, noFast
	var out []scanned
	for {
		err := s.next()
		if err == io.EOF {
			return out
		}
		r := scanned{offset: s.recOffset, line: s.recLine, eofInQuote: s.eofInQuote, noNewline: s.noNewline, tooLg: s.tooLong, err: err}
		for i := range s.nfields() {
			r.fields = append(r.fields, string(s.field(i)))
		}
		out = append(out, r)
		if err != nil {
			return out
		}
	}
}

// sameScan fails unless data scans alike with fast and without.
func sameScan(t *testing.T, data []byte, delim byte, size int) {
	t.Helper()
	a, b := scanAll(data, delim, size, false), scanAll(data, delim, size, true)
	if reflect.DeepEqual(a, b) {
		return
	}
	for i := range min(len(a), len(b)) {
		if !reflect.DeepEqual(a[i], b[i]) {
			t.Fatalf("buffer %d, record %d:\nfast %+v\nnext %+v", size, i, a[i], b[i])
		}
	}
	t.Fatalf("buffer %d: %d records fast, %d without", size, len(a), len(b))
}

// fast against next's other ways, on lines of every length around the
// block sizes and past fastMax, with CRLF and lone CRs, quotes (a record
// over lines), blank lines, no final line feed, and buffers from 16 bytes
// (records across their refills) to 64 kB.
func TestFastScan(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	alphabet := []byte{'a', 'b', ',', ';', '\r', '"', 0x80, 0xff, '\t', '|'}
	for _, delim := range []byte{',', ';', '\t', '|'} {
		for k := range 60 {
			var b bytes.Buffer
			for range 1 + rng.Intn(40) {
				n := rng.Intn(80)
				switch rng.Intn(10) {
				case 0:
					n = rng.Intn(fastMax + 200)
				case 1:
					n = 0
				}
				for range n {
					c := alphabet[rng.Intn(len(alphabet))]
					// Quotes and CRs from none to a few a line.
					if (c == '"' || c == '\r') && rng.Intn(40) > k%4 {
						c = 'x'
					}
					b.WriteByte(c)
				}
				b.WriteString([]string{"\n", "\r\n", "\n", ""}[rng.Intn(4)])
			}
			if rng.Intn(2) == 0 {
				b.WriteString("1,2,3\n")
			}
			for _, size := range []int{16, 100, 4096, 64 << 10} {
				sameScan(t, b.Bytes(), delim, size)
			}
		}
	}
	// A JTL's rows, all through fast but the last, whose line feed is in
	// the buffer's last partial block.
	row := "1795600799650,3,SIP call udp,200,OK,SIP callers 1-3,text,true,,129,241,3,4,sip:a@b,3,0,1,x@h,\n"
	data := []byte(stockHeader + strings.Repeat(row, 500))
	sameScan(t, data, ',', 64<<10)
	s := newRecordScanner(bufio.NewReaderSize(bytes.NewReader(data), 64<<10))
	for i := 0; s.next() == nil; i++ {
		if i > 0 && i < 500 && s.win == nil {
			t.Fatalf("row %d not read by fast", i)
		}
	}
	if got := fmt.Sprint(s.offset); got != fmt.Sprint(len(data)) {
		t.Fatalf("offset %s, want %d", got, len(data))
	}
}
