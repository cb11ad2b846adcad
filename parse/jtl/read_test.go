package jtl

import (
	"errors"
	"fmt"
	"io"
	"math/rand"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// disorderedCSV is n stock rows written in end order, as JMeter does, so
// that the window reorders them, with Call-IDs and a sub-result now and
// then.
func disorderedCSV(n int) string {
	rng := rand.New(rand.NewSource(1))
	var b strings.Builder
	b.WriteString(stockHeader)
	for i := range n {
		elapsed := rng.Intn(5000)
		label := fmt.Sprintf("L%d", i%7)
		if i%11 == 5 {
			label = "L4-0"
		}
		fmt.Fprintf(&b, "%d,%d,%s,200,OK,T 1-%d,text,true,,10,5,1,3,null,1,0,0,c%d@h,\n",
			1700000000000+int64(i)*10-int64(elapsed), elapsed, label, i%5, i)
	}
	return b.String()
}

// TestRead: Read delivers what Next does, in batches of any size, and
// ends with its error: io.EOF, or a failing input's after the samples
// read before it.
func TestRead(t *testing.T) {
	csv := disorderedCSV(300)
	boom := errors.New("boom")
	inputs := map[string]func() io.Reader{
		"whole": func() io.Reader { return strings.NewReader(csv) },
		"failed": func() io.Reader {
			return iotest.DataErrReader(io.MultiReader(strings.NewReader(csv[:len(csv)/2]), iotest.ErrReader(boom)))
		},
		"empty": func() io.Reader { return strings.NewReader("") },
	}
	readers := map[string]func(io.Reader) Reader{
		"csv": func(in io.Reader) Reader {
			r, err := NewCSVReader(in, "in.csv", Options{})
			if err != nil {
				t.Fatal(err)
			}
			return r
		},
		"merged": func(in io.Reader) Reader {
			r, err := NewCSVReader(in, "in.csv", Options{})
			if err != nil {
				t.Fatal(err)
			}
			return Merge(r, mustCSV(t, disorderedCSV(40)))
		},
	}
	for rname, open := range readers {
		for iname, input := range inputs {
			want, wantErr := drain(open(input()))
			if iname == "whole" && len(want) < 300 || iname == "failed" && (len(want) == 0 || !errors.Is(wantErr, boom)) {
				t.Fatalf("%s %s: %d samples by Next, then %v", rname, iname, len(want), wantErr)
			}
			for _, size := range []int{1, 3, outBatch, outBatch + 1, 1000} {
				r := open(input())
				var got []Sample
				var err error
				for err == nil {
					dst := make([]Sample, size)
					var n int
					n, err = r.Read(dst)
					if err == nil && n != size {
						t.Fatalf("%s %s size %d: %d samples and no error", rname, iname, size, n)
					}
					got = append(got, dst[:n]...)
				}
				if fmt.Sprint(err) != fmt.Sprint(wantErr) {
					t.Errorf("%s %s size %d: error %v, Next's %v", rname, iname, size, err, wantErr)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s %s size %d: %d samples, Next's %d, or not the same", rname, iname, size, len(got), len(want))
				}
			}
		}
	}
}

// TestReadXML: Read of the XML reader is its Next's.
func TestReadXML(t *testing.T) {
	const doc = `<testResults version="1.2">
<sample t="5" ts="1000" s="true" lb="A" rc="200" tn="T 1-1"/>
<sample t="50" ts="990" s="true" lb="B" rc="200" tn="T 1-2"/>
<sample t="5" ts="1010" s="false" lb="C" rc="500" tn="T 1-1"/>
</testResults>`
	open := func() Reader {
		r, err := NewXMLReader(strings.NewReader(doc), "in.xml", Options{})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	want, _ := drain(open())
	dst := make([]Sample, 5)
	n, err := open().Read(dst)
	if err != io.EOF || !reflect.DeepEqual(dst[:n], want) || n != 3 {
		t.Errorf("Read: %d samples, %v; want Next's 3, io.EOF", n, err)
	}
}

func mustCSV(t *testing.T, input string) Reader {
	r, err := NewCSVReader(strings.NewReader(input), "other.csv", Options{FileIndex: 1})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// drain is every sample Next delivers and the error it ends with.
func drain(r Reader) ([]Sample, error) {
	var out []Sample
	for {
		s, err := r.Next()
		if err != nil {
			return out, err
		}
		out = append(out, s)
	}
}

// TestVarsXML: without Options.Vars, an XML sample has no Vars and the
// same IDs from its variables.
func TestVarsXML(t *testing.T) {
	const doc = `<testResults version="1.2">
<sample t="5" ts="1000" s="true" lb="A" rc="200" tn="T 1-1" callId="c1@h" x-trace-id="t1" extra="e"/>
</testResults>`
	read := func(vars bool) []Sample {
		r, err := NewXMLReader(strings.NewReader(doc), "in.xml", Options{Vars: vars})
		if err != nil {
			t.Fatal(err)
		}
		s, _ := drain(r)
		return s
	}
	with, without := read(true), read(false)
	if len(with) != 1 || len(with[0].Vars) != 3 || with[0].CallID != "c1@h" || with[0].TraceID != "t1" {
		t.Fatalf("with Vars: %+v", with)
	}
	if without[0].Vars != nil {
		t.Errorf("without Vars: %+v", without[0].Vars)
	}
	with[0].Vars = nil
	if !reflect.DeepEqual(with, without) {
		t.Errorf("with Vars %+v\nwithout %+v", with, without)
	}
}
