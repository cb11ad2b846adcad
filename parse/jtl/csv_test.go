package jtl

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"
)

const hdr = "timeStamp,elapsed,label,responseCode,responseMessage,threadName,success,allThreads\n"

func TestCSV(t *testing.T) {
	utc := time.UTC
	tests := []struct {
		name  string
		input string
		opts  Options
		want  string
	}{
		{
			name:  "empty file",
			input: "",
			want:  "records=0 counted=0 skipped=0 late=0\n",
		},
		{
			name:  "header only",
			input: hdr,
			want:  "records=0 counted=0 skipped=0 late=0\n",
		},
		{
			name: "semicolon delimiter",
			input: "timeStamp;elapsed;label;responseCode;success\n" +
				"1000;5;INVITE;200;true\n" +
				"1010;7;INVITE;503;false\n",
			want: `
1000+5 "INVITE" rc="200" host=in.csv line=2
1010+7 "INVITE" rc="503" FAIL host=in.csv line=3
records=2 counted=2 skipped=0 late=0 delim=';'
`,
		},
		{
			name: "pipe delimiter with quoted pipe",
			input: "timeStamp|elapsed|label|responseCode|responseMessage|success\n" +
				"1000|5|INVITE|503|\"Service|Unavailable\"|false\n",
			want: `
1000+5 "INVITE" rc="503" FAIL rm="Service|Unavailable" host=in.csv line=2
records=1 counted=1 skipped=0 late=0 delim='|'
`,
		},
		{
			name:  "tab delimiter",
			input: "timeStamp\telapsed\tlabel\tresponseCode\tsuccess\n1000\t5\tA B\t200\ttrue\n",
			want: `
1000+5 "A B" rc="200" host=in.csv line=2
records=1 counted=1 skipped=0 late=0 delim='\t'
`,
		},
		{
			name:  "BOM and CRLF",
			input: "\ufeff" + "timeStamp,elapsed,label,responseCode,success\r\n1000,5,A,200,true\r\n",
			want: `
1000+5 "A" rc="200" host=in.csv line=2
records=1 counted=1 skipped=0 late=0
`,
		},
		{
			name: "embedded newlines and doubled quotes",
			input: hdr +
				"1000,5,A,500,\"line one\nline \"\"two\"\"\r\nline three\",T 1-1,false,3\n" +
				"1001,5,B,200,OK,T 1-2,true,3\n",
			want: `
1000+5 "A" rc="500" FAIL rm="line one\nline \"two\"\r\nline three" tn="T 1-1" host=in.csv na=3 line=2
1001+5 "B" rc="200" tn="T 1-2" host=in.csv na=3 line=5
records=2 counted=2 skipped=0 late=0
`,
		},
		{
			name: "garbage line in the middle",
			input: hdr +
				"1000,5,A,200,OK,T 1-1,true,1\n" +
				"%%% this is not a row %%%\n" +
				"1002,5,C,200,OK,T 1-1,true,1\n",
			want: `
1000+5 "A" rc="200" tn="T 1-1" host=in.csv na=1 line=2
1002+5 "C" rc="200" tn="T 1-1" host=in.csv na=1 line=4
problem in.csv:3 (offset 112): 1 columns, want 8 (as the header says); row skipped
records=2 counted=2 skipped=1 late=0
`,
		},
		{
			name: "wrong column count and bad numbers",
			input: hdr +
				"1000,5,A,200,OK,T 1-1,true,1,extra\n" +
				"1001,5,B,200,OK,T 1-1\n" +
				"12:00,5,C,200,OK,T 1-1,true,1\n" +
				"1003,x,D,200,OK,T 1-1,true,1\n" +
				"1004,5,E,200,OK,T 1-1,true,many\n" +
				"1005,5,F,200,OK,T 1-1,true,\n",
			want: `
1005+5 "F" rc="200" tn="T 1-1" host=in.csv line=7
problem in.csv:2 (offset 83): 9 columns, want 8 (as the header says); row skipped
problem in.csv:3 (offset 118): 6 columns, want 8 (as the header says); row skipped
problem in.csv:4 (offset 140): timeStamp "12:00" is neither epoch milliseconds nor a date in one of JMeter's fallback formats; row skipped
problem in.csv:5 (offset 170): elapsed "x" is not a number; row skipped
problem in.csv:6 (offset 199): allThreads "many" is not a number; row skipped
records=1 counted=1 skipped=5 late=0
`,
		},
		{
			name:  "timestamp at end",
			input: hdr + "1050,50,A,200,OK,T 1-1,true,1\n1040,20,B,200,OK,T 1-2,true,1\n",
			opts:  Options{TimestampAtEnd: true},
			want: `
1000+50 "A" rc="200" tn="T 1-1" host=in.csv na=1 line=2
1020+20 "B" rc="200" tn="T 1-2" host=in.csv na=1 line=3
records=2 counted=2 skipped=0 late=0
`,
		},
		{
			name: "custom timestamp format",
			input: "timeStamp,elapsed,label,responseCode,success\n" +
				"2024-01-31T10:00:00.250+0100,5,A,200,true\n",
			opts: Options{TimestampFormat: "yyyy-MM-dd'T'HH:mm:ss.SSSZ", Location: utc},
			want: `
1706691600250+5 "A" rc="200" host=in.csv line=2
records=1 counted=1 skipped=0 late=0 tsformat="yyyy-MM-dd'T'HH:mm:ss.SSSZ"
`,
		},
		{
			name: "fallback timestamp format",
			input: "timeStamp,elapsed,label,responseCode,success\n" +
				"2024/01/31 09:00:00,5,A,200,true\n" +
				"2024/01/31 09:00:01,5,B,200,true\n",
			opts: Options{Location: utc},
			want: `
1706691600000+5 "A" rc="200" host=in.csv line=2
1706691601000+5 "B" rc="200" host=in.csv line=3
records=2 counted=2 skipped=0 late=0 tsformat="yyyy/MM/dd HH:mm:ss"
`,
		},
		{
			name: "out of order rows restored",
			input: hdr +
				"1030,10,C,200,OK,T 1-3,true,3\n" +
				"1000,45,A,200,OK,T 1-1,true,3\n" +
				"1020,25,B,200,OK,T 1-2,true,3\n",
			want: `
1000+45 "A" rc="200" tn="T 1-1" host=in.csv na=3 line=3
1020+25 "B" rc="200" tn="T 1-2" host=in.csv na=3 line=4
1030+10 "C" rc="200" tn="T 1-3" host=in.csv na=3 line=2
records=3 counted=3 skipped=0 late=0
`,
		},
		{
			name: "late rows beyond the window",
			input: hdr +
				"1000,1,A,200,OK,T 1-1,true,1\n" +
				"5000,1,B,200,OK,T 1-2,true,1\n" +
				"9000,1,C,200,OK,T 1-1,true,1\n" +
				"2000,7500,D,503,Service Unavailable,T 1-3,false,1\n",
			opts: Options{Window: 2 * time.Second},
			want: `
1000+1 "A" rc="200" tn="T 1-1" host=in.csv na=1 line=2
5000+1 "B" rc="200" tn="T 1-2" host=in.csv na=1 line=3
2000+7500 "D" rc="503" FAIL rm="Service Unavailable" tn="T 1-3" host=in.csv na=1 line=5
9000+1 "C" rc="200" tn="T 1-1" host=in.csv na=1 line=4
records=4 counted=4 skipped=0 late=1
`,
		},
		{
			name: "header-less default columns",
			input: "1000,5,INVITE,503,Service Unavailable,TG 1-1,text,false,,0,0,1,1,null,5,0,1\n" +
				"1001,5,INVITE,200,OK,TG 1-2,text,true,,0,0,1,2,sip:edge,5,0,1\n",
			want: `
1000+5 "INVITE" rc="503" FAIL rm="Service Unavailable" tn="TG 1-1" host=in.csv na=1 line=1
1001+5 "INVITE" rc="200" tn="TG 1-2" host=in.csv na=2 url=sip:edge line=2
records=2 counted=2 skipped=0 late=0 headerless
`,
		},
		{
			name:  "header-less wrong columns says so",
			input: "TNP1-JR0-0,200,,TG0-SNL 1-1,text,true,1,1,1,0\n",
			want: `
problem in.csv:1 (offset 0): 10 columns, want 17 (no header: JMeter's default columns assumed; give the file's columns to read it); row skipped
records=0 counted=0 skipped=1 late=0 headerless
`,
		},
		{
			name:  "header-less given columns",
			input: "INVITE,200,OK,TG 1-1,text,true,1,1,1,0\n",
			opts:  Options{Columns: strings.Split("label,responseCode,responseMessage,threadName,dataType,success,grpThreads,allThreads,SampleCount,ErrorCount", ",")},
			want: `
0+0 "INVITE" rc="200" tn="TG 1-1" host=in.csv na=1 line=1
records=1 counted=1 skipped=0 late=0 headerless
`,
		},
		{
			name: "sample variables give Call-ID and trace ID",
			input: "timeStamp,elapsed,label,responseCode,success,URL,\"sipCallId\",\"X-Request-Id\",\"other\"\n" +
				"1000,5,INVITE,503,false,null,a84b4c76e66710@pc33,req-1,x\n" +
				"1001,5,INVITE,200,true,null,null,null,null\n",
			want: `
1000+5 "INVITE" rc="503" FAIL host=in.csv call=a84b4c76e66710@pc33 trace=req-1 sipCallId="a84b4c76e66710@pc33" X-Request-Id="req-1" other="x" line=2
1001+5 "INVITE" rc="200" host=in.csv sipCallId="null" X-Request-Id="null" other="null" line=3
records=2 counted=2 skipped=0 late=0
`,
		},
		{
			name: "CallIDVars override",
			input: "timeStamp,elapsed,label,responseCode,success,\"callId\",\"myCall\"\n" +
				"1000,5,INVITE,200,true,wrong,right\n",
			opts: Options{CallIDVars: []string{"MYCALL"}},
			want: `
1000+5 "INVITE" rc="200" host=in.csv call=right callId="wrong" myCall="right" line=2
records=1 counted=1 skipped=0 late=0
`,
		},
		{
			name: "sub-results and transactions",
			input: "timeStamp,elapsed,label,responseCode,responseMessage,threadName,success,IdleTime\n" +
				// an HTTP sampler and its redirect/resources, renamed -N
				"1000,90,Home,200,OK,T 1-1,true,0\n" +
				"1000,40,Home-0,302,Found,T 1-1,true,0\n" +
				"1000,10,Home-0-0,200,OK,T 1-1,true,0\n" +
				"1040,50,Home-1,200,OK,T 1-1,true,0\n" +
				// another thread's row in between: not a child
				"1005,3,Home-2,200,OK,T 1-2,true,0\n" +
				// a transaction controller in parent mode, timers in IdleTime
				"2000,30,Call,503,\"Number of samples in transaction : 2, number of failing samples : 1\",T 1-1,false,500\n" +
				"2000,10,REGISTER,200,OK,T 1-1,true,0\n" +
				"2510,20,INVITE,503,Service Unavailable,T 1-1,false,0\n" +
				// the next iteration is nobody's child
				"3000,5,REGISTER,200,OK,T 1-1,true,0\n",
			want: `
1000+90 "Home" rc="200" tn="T 1-1" host=in.csv line=2
1000+40 "Home-0" rc="302" rm="Found" tn="T 1-1" host=in.csv sub-result parent="Home" line=3
1000+10 "Home-0-0" rc="200" tn="T 1-1" host=in.csv sub-result parent="Home-0" line=4
1005+3 "Home-2" rc="200" tn="T 1-2" host=in.csv line=6
1040+50 "Home-1" rc="200" tn="T 1-1" host=in.csv sub-result parent="Home" line=5
2000+30 "Call" rc="503" FAIL rm="Number of samples in transaction : 2, number of failing samples : 1" tn="T 1-1" host=in.csv transaction line=7
2000+10 "REGISTER" rc="200" tn="T 1-1" host=in.csv parent="Call" line=8
2510+20 "INVITE" rc="503" FAIL rm="Service Unavailable" tn="T 1-1" host=in.csv parent="Call" line=9
3000+5 "REGISTER" rc="200" tn="T 1-1" host=in.csv line=10
records=9 counted=5 skipped=0 late=0
`,
		},
		{
			name: "hosts from Hostname and thread prefixes",
			input: "timeStamp,elapsed,label,responseCode,threadName,success,allThreads,Hostname\n" +
				"1000,5,A,200,jmeter-server-1-Thread Group 1-1,true,10,\n" +
				"1001,5,A,200,10.0.0.5-Thread Group 1-1,true,20,\n" +
				"1002,5,A,200,TG-Checkout 1-1,true,30,\n" +
				"1003,5,A,200,jmeter-server-1-Thread Group 1-1,true,40,lg-a\n",
			want: `
1000+5 "A" rc="200" tn="jmeter-server-1-Thread Group 1-1" host=jmeter-server-1 na=10 line=2
1001+5 "A" rc="200" tn="10.0.0.5-Thread Group 1-1" host=10.0.0.5 na=20 line=3
1002+5 "A" rc="200" tn="TG-Checkout 1-1" host=in.csv na=30 line=4
1003+5 "A" rc="200" tn="jmeter-server-1-Thread Group 1-1" host=lg-a na=40 line=5
records=4 counted=4 skipped=0 late=0
`,
		},
		{
			name:  "file cut inside a quoted field",
			input: hdr + "1000,5,A,200,OK,T 1-1,true,1\n1001,5,B,500,\"cut off her",
			want: `
1000+5 "A" rc="200" tn="T 1-1" host=in.csv na=1 line=2
problem in.csv:3 (offset 112): file ends inside a quoted field; last row skipped
records=1 counted=1 skipped=1 late=0 truncated
`,
		},
		{
			name:  "file cut in the middle of a row",
			input: hdr + "1000,5,A,200,OK,T 1-1,true,1\n1001,5,B,2",
			want: `
1000+5 "A" rc="200" tn="T 1-1" host=in.csv na=1 line=2
problem in.csv:3 (offset 112): file ends in the middle of a row (4 of 8 columns); last row skipped
records=1 counted=1 skipped=1 late=0 truncated
`,
		},
		{
			name:  "last row without newline is fine",
			input: hdr + "1000,5,A,200,OK,T 1-1,true,1",
			want: `
1000+5 "A" rc="200" tn="T 1-1" host=in.csv na=1 line=2
records=1 counted=1 skipped=0 late=0
`,
		},
		{
			name: "timestamps at the ends of the range",
			input: "timeStamp,elapsed,label\n" +
				"999999999999999999,1,A\n-999999999999999999,1,B\n0,1,C\n",
			want: `
-999999999999999999+1 "B" rc="" FAIL host=in.csv line=3
0+1 "C" rc="" FAIL host=in.csv line=4
999999999999999999+1 "A" rc="" FAIL host=in.csv line=2
records=3 counted=3 skipped=0 late=0
`,
		},
		{
			name:  "blank lines before the header",
			input: "\n\r\n" + hdr + "1000,5,A,200,OK,T 1-1,true,1\n",
			want: `
1000+5 "A" rc="200" tn="T 1-1" host=in.csv na=1 line=4
records=1 counted=1 skipped=0 late=0
`,
		},
		{
			name:  "blank lines are ignored",
			input: hdr + "\n1000,5,A,200,OK,T 1-1,true,1\n\r\n\n",
			want: `
1000+5 "A" rc="200" tn="T 1-1" host=in.csv na=1 line=3
records=1 counted=1 skipped=0 late=0
`,
		},
		{
			name: "stray quotes do not run on",
			input: hdr +
				"1000,5,say \"hi\",200,\"ab\"cd,T 1-1,true,1\n" +
				"1001,5,B,200,OK,T 1-1,true,1\n",
			want: `
1000+5 "say \"hi\"" rc="200" rm="abcd" tn="T 1-1" host=in.csv na=1 line=2
1001+5 "B" rc="200" tn="T 1-1" host=in.csv na=1 line=3
records=2 counted=2 skipped=0 late=0
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkRender(t, readCSV(t, tt.input, tt.opts), tt.want)
		})
	}
}

func TestCSVBadOptions(t *testing.T) {
	_, err := NewCSVReader(strings.NewReader(""), "x.csv", Options{TimestampFormat: "yyyy-MM-dd QQ"})
	if err == nil || !strings.Contains(err.Error(), `pattern letter 'Q' is not supported`) {
		t.Fatalf("err = %v", err)
	}
}

// A sample must own its strings: the reader reuses its buffers, and a
// consumer keeps samples long after the next row was read.
func TestCSVSamplesDoNotAlias(t *testing.T) {
	var b strings.Builder
	b.WriteString("timeStamp,elapsed,label,responseCode,URL,success,\"callId\"\n")
	for i := 0; i < 5000; i++ {
		// unique URLs and Call-IDs overflow the interners
		b.WriteString("1000,1,L,200,http://x/")
		b.WriteString(strings.Repeat("a", i%50))
		b.WriteString(",true,")
		b.WriteString(strings.Repeat("c", i%70))
		b.WriteString("@h\n")
	}
	got := readCSV(t, b.String(), Options{})
	if len(got.samples) != 5000 {
		t.Fatalf("%d samples", len(got.samples))
	}
	for i, s := range got.samples {
		if want := "http://x/" + strings.Repeat("a", i%50); s.URL != want {
			t.Fatalf("sample %d: URL %q, want %q", i, s.URL, want)
		}
		if want := strings.Repeat("c", i%70) + "@h"; s.CallID != want || s.Vars[0].Value != want {
			t.Fatalf("sample %d: CallID %q, want %q", i, s.CallID, want)
		}
	}
}

// A file whose start times never advance must not be held whole.
func TestCSVPendingCap(t *testing.T) {
	var b strings.Builder
	b.WriteString("label,responseCode,success\n")
	n := maxPending + 1000
	for i := 0; i < n; i++ {
		b.WriteString("A,200,true\n")
	}
	r, err := NewCSVReader(strings.NewReader(b.String()), "in.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	cr := r.(*csvReader)
	if cr.order.len() > maxPending+1 {
		t.Fatalf("%d samples held", cr.order.len())
	}
	if got := len(readAll(t, r)) + 1; got != n {
		t.Fatalf("%d samples, want %d", got, n)
	}
}

func TestCSVLongLine(t *testing.T) {
	long := strings.Repeat("x", 300<<10) // past the bufio buffer
	in := hdr + "1000,5,A,200," + long + ",T 1-1,true,1\n1001,5,B,200,OK,T 1-1,true,1\n"
	got := readCSV(t, in, Options{})
	if len(got.samples) != 2 || got.samples[0].Message != long || got.samples[1].Line != 3 {
		t.Fatalf("got %d samples; stats %+v", len(got.samples), got.stats)
	}
}

// genReader writes n JTL rows on demand, so that a test can stream far
// more than it could hold.
type genReader struct {
	n, i int
	buf  []byte
}

func (g *genReader) Read(p []byte) (int, error) {
	for len(g.buf) < len(p) && g.i < g.n {
		if g.i == 0 {
			g.buf = append(g.buf, "timeStamp,elapsed,label,responseCode,responseMessage,threadName,success,URL,\"callId\"\n"...)
		}
		g.buf = fmt.Appendf(g.buf, "%d,%d,INVITE,503,Service Unavailable,TG 1-%d,false,sip:edge/%d,%d@lg\n",
			1_700_000_000_000+int64(g.i)*10, 1+g.i%3000, 1+g.i%200, g.i, g.i)
		g.i++
	}
	if len(g.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, g.buf)
	g.buf = g.buf[:copy(g.buf, g.buf[n:])]
	return n, nil
}

// Several GB must pass in bounded memory: stream 1 M rows (about 90 MB)
// with unique URLs and Call-IDs and watch the heap.
func TestCSVBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 90 MB")
	}
	const n = 1_000_000
	r, err := NewCSVReader(&genReader{n: n}, "big.jtl", Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ms runtime.MemStats
	var peak uint64
	count := 0
	for {
		_, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		count++
		if count%100_000 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	}
	if count != n {
		t.Fatalf("%d rows", count)
	}
	// 60 s of samples at 100/s is 6000 held; interners are capped.
	if peak > 48<<20 {
		t.Fatalf("heap in use reached %d MB", peak>>20)
	}
	t.Logf("peak heap in use %d MB", peak>>20)
}
