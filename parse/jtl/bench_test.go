package jtl

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gocarina/gocsv"

	"github.com/ceiling-dev/ceiling/internal/cpuclock"
)

const benchRows = 100_000

type genRow struct {
	start, elapsed int64
	label, code    string
	msg, thread    string
	success        bool
	url            string
	callID         string
	all            int
}

var genOnce sync.Once
var genRows []genRow

// generate makes a spike test's rows: INVITEs and REGISTERs from up to 200
// threads, 503s past a ceiling, the odd connection error whose message
// needs quoting, in end-time order as JMeter writes them.
func generate() []genRow {
	genOnce.Do(func() {
		rng := rand.New(rand.NewSource(1))
		labels := []string{"INVITE", "REGISTER", "BYE", "WS upgrade", "Login", "Get token"}
		t := int64(1_764_000_000_000)
		for i := 0; i < benchRows; i++ {
			t += int64(rng.Intn(20))
			threads := 1 + i*200/benchRows
			r := genRow{
				start:   t,
				elapsed: int64(1 + rng.Intn(3000)),
				label:   labels[rng.Intn(len(labels))],
				code:    "200",
				msg:     "OK",
				thread:  fmt.Sprintf("Thread Group 1-%d", 1+rng.Intn(threads)),
				success: true,
				url:     fmt.Sprintf("https://edge.example.com/v2/calls?id=%d", rng.Intn(5000)),
				callID:  fmt.Sprintf("%08x-%04x@lg1.example.com", rng.Uint32(), i&0xffff),
				all:     threads,
			}
			switch x := rng.Intn(100); {
			case threads > 120 && x < 40:
				r.code, r.msg, r.success = "503", "Service Unavailable", false
			case x == 99:
				r.code = "Non HTTP response code: org.apache.http.conn.HttpHostConnectException"
				r.msg = "Non HTTP response message: Connect to edge.example.com:443 [edge.example.com/10.0.0.1] failed: Connection refused, \"retry\""
				r.success = false
			}
			genRows = append(genRows, r)
		}
		sort.SliceStable(genRows, func(i, j int) bool {
			return genRows[i].start+genRows[i].elapsed < genRows[j].start+genRows[j].elapsed
		})
	})
	return genRows
}

var benchCSVOnce, benchXMLOnce sync.Once
var benchCSVData, benchXMLData []byte

func quoteCSV(s string) string {
	if bytes.ContainsAny([]byte(s), ",\"\r\n") {
		return `"` + string(bytes.ReplaceAll([]byte(s), []byte(`"`), []byte(`""`))) + `"`
	}
	return s
}

func csvData() []byte {
	benchCSVOnce.Do(func() {
		var b bytes.Buffer
		b.WriteString("timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect,\"callId\"\n")
		for _, r := range generate() {
			fmt.Fprintf(&b, "%d,%d,%s,%s,%s,%s,text,%v,,%d,%d,%d,%d,%s,%d,0,%d,%s\n",
				r.start, r.elapsed, r.label, quoteCSV(r.code), quoteCSV(r.msg), r.thread, r.success,
				512+r.elapsed%900, 300, r.all, r.all, r.url, r.elapsed/2, r.elapsed/10, r.callID)
		}
		benchCSVData = b.Bytes()
	})
	return benchCSVData
}

func xmlData() []byte {
	benchXMLOnce.Do(func() {
		var b bytes.Buffer
		b.WriteString(xmlHead)
		esc := func(s string) string {
			var e bytes.Buffer
			_ = xmlEscape(&e, s)
			return e.String()
		}
		for _, r := range generate() {
			fmt.Fprintf(&b, `<httpSample t="%d" it="0" lt="%d" ct="%d" ts="%d" s="%v" lb="%s" rc="%s" rm="%s" tn="%s" dt="text" by="%d" sby="300" ng="%d" na="%d" callId="%s">
  <java.net.URL>%s</java.net.URL>
</httpSample>
`, r.elapsed, r.elapsed/2, r.elapsed/10, r.start, r.success, r.label, esc(r.code), esc(r.msg), r.thread,
				512+r.elapsed%900, r.all, r.all, r.callID, esc(r.url))
		}
		b.WriteString("</testResults>\n")
		benchXMLData = b.Bytes()
	})
	return benchXMLData
}

func xmlEscape(w *bytes.Buffer, s string) error {
	for _, c := range []byte(s) {
		switch c {
		case '<':
			w.WriteString("&lt;")
		case '>':
			w.WriteString("&gt;")
		case '&':
			w.WriteString("&amp;")
		case '"':
			w.WriteString("&quot;")
		default:
			w.WriteByte(c)
		}
	}
	return nil
}

// cpuMeter measures the CPU time of a benchmark's loop: see cpuTime.
type cpuMeter struct{ start time.Duration }

func startCPU(b *testing.B) cpuMeter {
	b.ResetTimer()
	return cpuMeter{cpuclock.Used()}
}

// report adds rows/s (wall clock), and MB/cpu-s and rows/cpu-s when the
// platform tells CPU time.
func (m cpuMeter) report(b *testing.B, bytes, rows int) {
	b.StopTimer()
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	cpu := (cpuclock.Used() - m.start).Seconds()
	if cpu > 0 {
		b.ReportMetric(float64(bytes)*float64(b.N)/cpu/1e6, "MB/cpu-s")
		b.ReportMetric(float64(rows)*float64(b.N)/cpu, "rows/cpu-s")
	}
}

// BenchmarkCSV is the whole reader: splitting, conversion, interning,
// sub-result detection and reordering with the default 60 s window, which
// on this data (about 100 samples per second of sample time) holds some
// 6000 samples. On the shared development machine (load average 3-8) it
// ran at 1.2-1.4 M rows per CPU-second before the window became a bucket
// queue, samples left it in batches, fields were split a word at a time
// and interners got a direct-mapped cache; 1.5-1.65 M after (2.0 M once,
// on a quiet moment), against the 2 M rows/s aimed at. On the bench's
// real 5 M-row JTL (200-byte rows, 1400 threads) the same changes took
// the reader from 1.0-1.06 M to 1.36-1.56 M rows per CPU-second. What is
// left (pprof): splitting 16%, conversion and interning 40% (the thread
// lookup misses the cache: a row's thread last wrote a row 1400 rows ago),
// reading 10%, the window 8%, GC the rest. Then fields became offsets
// into the line (no slice header, pointer and write barrier, per field),
// quotes were looked for in one IndexByte, the interners' caches grew
// with their maps (the URL column here has 5000 values: a map lookup on
// nearly every row, and an allocation on a fifth of them), a thread's
// family stack moved into its state and timestamps' first eight digits
// were converted at once: 1.77-1.88 M to 2.05-2.13 M rows per CPU-second
// here, 2.0-2.08 M to 2.31-2.41 M with the 1 s window, allocations per
// run 25.6 k to 13.1 k; the 5 M-row JTL's analyze took 7.6-8.0 s of user
// CPU where it took 7.7-8.7 s. Then the interners became open-addressed
// tables over packed bytes (the URL column here went to the map on a
// quarter of its rows, past its limit on a fifth), the window's slab grew
// by pages rather than by copying, and thread names moved into their
// states: allocations per run 13.1 k to 0.87 k, 19.7 MB to 11.0 MB; run
// side by side with the old reader, at the same moment (the machine was
// loaded: 1.3-1.55 M rows per CPU-second for the old), 1.07-1.18x, mean
// 1.12x. Under load most of what is left is cache misses: the URL's
// lookup (13%), each sample read back a window later, the thread state.
func BenchmarkCSV(b *testing.B) { benchCSV(b, Options{}) }

// BenchmarkCSVSmallWindow is the same with a 1 s window: the difference is
// what holding 60 s of samples costs (the cache misses of taking each
// sample back out a window later).
func BenchmarkCSVSmallWindow(b *testing.B) { benchCSV(b, Options{Window: time.Second}) }

func benchCSV(b *testing.B, opts Options) {
	data := csvData()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	rows := 0
	m := startCPU(b)
	for i := 0; i < b.N; i++ {
		r, err := NewCSVReader(bytes.NewReader(data), "bench.jtl", opts)
		if err != nil {
			b.Fatal(err)
		}
		rows = 0
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			rows++
		}
	}
	if rows != benchRows {
		b.Fatalf("%d rows", rows)
	}
	m.report(b, len(data), rows)
}

func BenchmarkXML(b *testing.B) {
	data := xmlData()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	rows := 0
	m := startCPU(b)
	for i := 0; i < b.N; i++ {
		r, err := NewXMLReader(bytes.NewReader(data), "bench.jtl", Options{})
		if err != nil {
			b.Fatal(err)
		}
		rows = 0
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			rows++
		}
	}
	if rows != benchRows {
		b.Fatalf("%d rows", rows)
	}
	m.report(b, len(data), rows)
}

// splitRow is what each splitter candidate must produce per row: the
// typed columns, so that gocsv (which converts as it reads) is compared
// like for like.
type splitRow struct {
	TimeStamp       int64  `csv:"timeStamp"`
	Elapsed         int64  `csv:"elapsed"`
	Label           string `csv:"label"`
	ResponseCode    string `csv:"responseCode"`
	ResponseMessage string `csv:"responseMessage"`
	ThreadName      string `csv:"threadName"`
	DataType        string `csv:"dataType"`
	Success         bool   `csv:"success"`
	FailureMessage  string `csv:"failureMessage"`
	Bytes           int64  `csv:"bytes"`
	SentBytes       int64  `csv:"sentBytes"`
	GrpThreads      int    `csv:"grpThreads"`
	AllThreads      int    `csv:"allThreads"`
	URL             string `csv:"URL"`
	Latency         int64  `csv:"Latency"`
	IdleTime        int64  `csv:"IdleTime"`
	Connect         int64  `csv:"Connect"`
	CallID          string `csv:"callId"`
}

var sinkRow splitRow

func fillRow(r *splitRow, sc *recordScanner) {
	r.TimeStamp, _ = parseInt(sc.field(0))
	r.Elapsed, _ = parseInt(sc.field(1))
	r.Label = string(sc.field(2))
	r.ResponseCode = string(sc.field(3))
	r.ResponseMessage = string(sc.field(4))
	r.ThreadName = string(sc.field(5))
	r.DataType = string(sc.field(6))
	r.Success = string(sc.field(7)) == "true"
	r.FailureMessage = string(sc.field(8))
	r.Bytes, _ = parseInt(sc.field(9))
	r.SentBytes, _ = parseInt(sc.field(10))
	g, _ := parseInt(sc.field(11))
	a, _ := parseInt(sc.field(12))
	r.GrpThreads, r.AllThreads = int(g), int(a)
	r.URL = string(sc.field(13))
	r.Latency, _ = parseInt(sc.field(14))
	r.IdleTime, _ = parseInt(sc.field(15))
	r.Connect, _ = parseInt(sc.field(16))
	r.CallID = string(sc.field(17))
}

// fillRowStrings is fillRow for encoding/csv, whose fields are already
// strings (one allocation per record, sliced).
func fillRowStrings(r *splitRow, f []string) {
	r.TimeStamp, _ = strconv.ParseInt(f[0], 10, 64)
	r.Elapsed, _ = strconv.ParseInt(f[1], 10, 64)
	r.Label, r.ResponseCode, r.ResponseMessage, r.ThreadName, r.DataType = f[2], f[3], f[4], f[5], f[6]
	r.Success = f[7] == "true"
	r.FailureMessage = f[8]
	r.Bytes, _ = strconv.ParseInt(f[9], 10, 64)
	r.SentBytes, _ = strconv.ParseInt(f[10], 10, 64)
	r.GrpThreads, _ = strconv.Atoi(f[11])
	r.AllThreads, _ = strconv.Atoi(f[12])
	r.URL = f[13]
	r.Latency, _ = strconv.ParseInt(f[14], 10, 64)
	r.IdleTime, _ = strconv.ParseInt(f[15], 10, 64)
	r.Connect, _ = strconv.ParseInt(f[16], 10, 64)
	r.CallID = f[17]
}

// BenchmarkSplit compares ways to turn CSV bytes into typed rows (18
// columns, 100k rows, 18 MB). Measured per CPU-second because the
// development machine is shared (2 cores, load average 5-20 from other
// builds); three runs each:
//
//	hand-rolled (recordScanner)    471-495 MB/cpu-s  2.87-3.01 M rows/cpu-s
//	encoding/csv (ReuseRecord)     348-359 MB/cpu-s  2.12-2.18 M rows/cpu-s
//	gocsv (UnmarshalToCallback)     47-49  MB/cpu-s  0.29-0.30 M rows/cpu-s
//
// The hand-rolled splitter won: about 1.4x encoding/csv and 10x gocsv,
// though here it pays for one string per text field (fillRow) where
// encoding/csv allocates one per record; in the reader, interning removes
// those allocations and the gap widens. It slices fields out of the bufio
// buffer when a line has no quote (nearly every JTL line); gocsv adds
// reflection and a channel hand-off per row on top of encoding/csv. See
// split.go.
func BenchmarkSplit(b *testing.B) {
	data := csvData()
	b.Run("hand-rolled", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		rows := 0
		m := startCPU(b)
		for i := 0; i < b.N; i++ {
			sc := newRecordScanner(bufio.NewReaderSize(bytes.NewReader(data), 256<<10))
			sc.next() // header
			rows = 0
			for sc.next() == nil {
				fillRow(&sinkRow, sc)
				rows++
			}
		}
		m.report(b, len(data), rows)
	})
	b.Run("encoding-csv", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		rows := 0
		m := startCPU(b)
		for i := 0; i < b.N; i++ {
			cr := csv.NewReader(bytes.NewReader(data))
			cr.ReuseRecord = true
			cr.FieldsPerRecord = -1
			cr.Read() // header
			rows = 0
			for {
				rec, err := cr.Read()
				if err != nil {
					break
				}
				fillRowStrings(&sinkRow, rec)
				rows++
			}
		}
		m.report(b, len(data), rows)
	})
	b.Run("gocsv", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		rows := 0
		m := startCPU(b)
		for i := 0; i < b.N; i++ {
			rows = 0
			err := gocsv.UnmarshalToCallback(bytes.NewReader(data), func(r splitRow) {
				sinkRow = r
				rows++
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		m.report(b, len(data), rows)
	})
}
