package jtl

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/ceiling-dev/ceiling/parse"
)

// TestDemoCSVMatchesXML reads the spike fixture (one real JMeter run
// against a SIP edge, written as CSV and as XML at once; see
// testdata/demo/README.md) both ways: two readers that share no parsing
// code must deliver the same samples in start order, each with its
// Call-ID. The two listeners saw samples of equal start in different
// orders, so ties are compared as sets. No count is pinned, so the
// fixture can be made again.
func TestDemoCSVMatchesXML(t *testing.T) {
	read := func(path string) ([]Sample, Stats) {
		in, err := parse.Open(path)
		if err != nil {
			t.Skipf("demo fixture: %v", err)
		}
		defer in.Close()
		r, err := NewReader(in, Options{Location: time.UTC})
		if err != nil {
			t.Fatal(err)
		}
		return readAll(t, r), r.Stats()
	}
	csv, cst := read("../../testdata/demo/spike.jtl")
	xml, xst := read("../../testdata/demo/spike.xml.jtl.gz")
	if cst.Skipped != 0 || xst.Skipped != 0 || cst.Truncated || xst.Truncated {
		t.Errorf("damage in the fixture? csv %+v\nxml %+v", cst, xst)
	}
	if len(csv) != len(xml) || len(csv) == 0 {
		t.Fatalf("%d samples from CSV, %d from XML", len(csv), len(xml))
	}
	key := func(s Sample) string {
		return fmt.Sprintf("%d+%d %s %s %v %s %s na=%d call=%s kind=%s", s.Start, s.Elapsed, s.Label, s.Code,
			s.Success, s.Thread, s.Host, s.AllThreads, s.CallID, s.Kind)
	}
	keys := func(ss []Sample) []string {
		var out []string
		for i, s := range ss {
			if i > 0 && s.Start < ss[i-1].Start {
				t.Errorf("sample %d (line %d) out of order", i, s.Line)
			}
			if s.CallID == "" {
				t.Errorf("sample %d (line %d) has no Call-ID", i, s.Line)
			}
			out = append(out, key(s))
		}
		sort.Strings(out)
		return out
	}
	ck, xk := keys(csv), keys(xml)
	for i := range ck {
		if ck[i] != xk[i] {
			t.Fatalf("samples differ:\ncsv %s\nxml %s", ck[i], xk[i])
		}
	}
}
