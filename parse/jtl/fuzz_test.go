package jtl

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/ceiling-dev/ceiling/parse"
)

// fuzzOptions varies the options with the input so that one corpus covers
// the late-sample path (a tiny window), timestamps at the end, a custom
// timestamp format, and reading with and without Vars.
func fuzzOptions(data []byte, ps *parse.Problems) Options {
	o := Options{Problems: ps, Location: time.UTC, Vars: len(data)/4%2 == 0}
	switch len(data) % 4 {
	case 1:
		o.Window = time.Millisecond
	case 2:
		o.TimestampAtEnd = true
	case 3:
		o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"
		o.Window = 10 * time.Millisecond
	}
	return o
}

// checkStream reads r to the end and checks what must hold whatever the
// input: it ends (no loop), every sample counted once, samples in start
// order except those counted late.
//
// fatal tells the one kind of error allowed: a file that cannot be read at
// all (an XML encoding that is not supported).
func checkStream(t *testing.T, r Reader, fatal func() bool) []Sample {
	var out []Sample
	for i := 0; ; i++ {
		s, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if fatal() {
				return nil
			}
			t.Fatalf("Next: %v (malformed input must be skipped, not fail the read)", err)
		}
		if i > 1<<20 {
			t.Fatal("no end")
		}
		out = append(out, s)
	}
	// After EOF, EOF again.
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("Next after EOF: %v", err)
	}
	st := r.Stats()
	if int64(len(out)) != st.Records {
		t.Fatalf("%d samples delivered, Records %d", len(out), st.Records)
	}
	counted := int64(0)
	for _, s := range out {
		if s.Counts() {
			counted++
		}
	}
	if counted != st.Counted {
		t.Fatalf("%d samples count, Counted %d", counted, st.Counted)
	}
	var inversions, runMax int64
	for i := range out {
		if i > 0 && out[i].Start < runMax {
			inversions++
		}
		if i == 0 || out[i].Start > runMax {
			runMax = out[i].Start
		}
	}
	if inversions != st.OutOfOrder {
		t.Fatalf("%d samples out of order, OutOfOrder %d", inversions, st.OutOfOrder)
	}
	return out
}

func FuzzCSV(f *testing.F) {
	f.Add([]byte(hdr + "1000,5,A,200,OK,T 1-1,true,1\n"))
	f.Add([]byte(stockHeader + "1795600799650,3,SIP call udp,200,OK,SIP callers 1-3,text,true,,129,241,3,4,sip:a@b,3,0,1,x@h,\n" +
		"1795600799700,3,SIP call udp-1,503,,SIP callers 1-3,text,false,,129,241,3,4,null,3,0,1,,t\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// fillStock and fill read alike, and recordScanner.fast and
		// next's other ways.
		readBoth(t, data, func(ps *parse.Problems) Options { return fuzzOptions(data, ps) })
		sameScan(t, data, ',', 16)
		sameScan(t, data, ',', 64<<10)

		var ps parse.Problems
		r, err := NewCSVReader(bytes.NewReader(data), "fuzz.csv", fuzzOptions(data, &ps))
		if err != nil {
			t.Fatal(err)
		}
		checkStream(t, r, func() bool { return false })
		st := r.Stats()
		cr := r.(*csvReader)
		// Every data row is a sample or a skip, and every skip a problem.
		if st.Records+st.Skipped != cr.rows {
			t.Fatalf("Records %d + Skipped %d != %d rows", st.Records, st.Skipped, cr.rows)
		}
		if st.Skipped != ps.Count {
			t.Fatalf("Skipped %d, %d problems", st.Skipped, ps.Count)
		}
		for _, p := range ps.First {
			if p.Line < 1 || p.Offset < 0 || p.Offset > int64(len(data)) {
				t.Fatalf("problem without a position: %v", p)
			}
		}
	})
}

func FuzzXML(f *testing.F) {
	f.Add([]byte(xmlHead + `<sample t="5" ts="1000" s="true" lb="A" rc="200"/></testResults>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var ps parse.Problems
		r, err := NewXMLReader(bytes.NewReader(data), "fuzz.xml", fuzzOptions(data, &ps))
		if err != nil {
			t.Fatal(err)
		}
		xr := r.(*xmlReader)
		out := checkStream(t, r, func() bool { return xr.charsetErr != nil })
		st := r.Stats()
		// A skipped element is a problem; a sample begun is read or
		// skipped (a malformed parent takes its children with it).
		if st.Skipped > ps.Count {
			t.Fatalf("Skipped %d, %d problems", st.Skipped, ps.Count)
		}
		if st.Records > xr.rows {
			t.Fatalf("Records %d > %d sample elements", st.Records, xr.rows)
		}
		for _, p := range ps.First {
			if p.Line < 1 || p.Offset > int64(len(data)) {
				t.Fatalf("problem without a position: %v", p)
			}
		}
		for _, s := range out {
			if s.Line < 1 {
				t.Fatalf("sample without a line: %+v", s)
			}
		}
	})
}
