package jtl

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/ceiling-dev/ceiling/parse"
)

// readAll drains r. An error other than io.EOF fails the test.
func readAll(t testing.TB, r Reader) []Sample {
	t.Helper()
	var out []Sample
	for {
		s, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		out = append(out, s)
	}
}

type result struct {
	samples  []Sample
	stats    Stats
	problems *parse.Problems
}

func readCSV(t testing.TB, input string, opts Options) result {
	t.Helper()
	var ps parse.Problems
	opts.Problems = &ps
	opts.Vars = true // render shows them
	r, err := NewCSVReader(strings.NewReader(input), "in.csv", opts)
	if err != nil {
		t.Fatalf("NewCSVReader: %v", err)
	}
	s := readAll(t, r)
	return result{s, r.Stats(), &ps}
}

func readXML(t testing.TB, input string, opts Options) result {
	t.Helper()
	var ps parse.Problems
	opts.Problems = &ps
	opts.Vars = true // render shows them
	r, err := NewXMLReader(strings.NewReader(input), "in.xml", opts)
	if err != nil {
		t.Fatalf("NewXMLReader: %v", err)
	}
	s := readAll(t, r)
	return result{s, r.Stats(), &ps}
}

// render prints what a test cares about, one line per sample and problem,
// so that a table can state expectations exactly and a failure shows a
// readable diff.
func (r result) render() string {
	var b strings.Builder
	for _, s := range r.samples {
		fmt.Fprintf(&b, "%d+%d %q rc=%q", s.Start, s.Elapsed, s.Label, s.Code)
		if !s.Success {
			b.WriteString(" FAIL")
		}
		if s.Message != "" && s.Message != "OK" {
			fmt.Fprintf(&b, " rm=%q", s.Message)
		}
		if s.FailureMessage != "" {
			fmt.Fprintf(&b, " fm=%q", s.FailureMessage)
		}
		if s.Thread != "" {
			fmt.Fprintf(&b, " tn=%q", s.Thread)
		}
		fmt.Fprintf(&b, " host=%s", s.Host)
		if s.Kind != Plain {
			fmt.Fprintf(&b, " %s", s.Kind)
		}
		if s.Parent != "" {
			fmt.Fprintf(&b, " parent=%q", s.Parent)
		}
		if s.AllThreads != 0 {
			fmt.Fprintf(&b, " na=%d", s.AllThreads)
		}
		if s.URL != "" {
			fmt.Fprintf(&b, " url=%s", s.URL)
		}
		if s.CallID != "" {
			fmt.Fprintf(&b, " call=%s", s.CallID)
		}
		if s.TraceID != "" {
			fmt.Fprintf(&b, " trace=%s", s.TraceID)
		}
		for _, v := range s.Vars {
			fmt.Fprintf(&b, " %s=%q", v.Name, v.Value)
		}
		fmt.Fprintf(&b, " line=%d\n", s.Line)
	}
	for _, p := range r.problems.First {
		fmt.Fprintf(&b, "problem %s\n", p.Error())
	}
	st := r.stats
	fmt.Fprintf(&b, "records=%d counted=%d skipped=%d late=%d", st.Records, st.Counted, st.Skipped, st.OutOfOrder)
	if st.Truncated {
		b.WriteString(" truncated")
	}
	if st.HeaderLess {
		b.WriteString(" headerless")
	}
	if st.Delimiter != 0 && st.Delimiter != ',' {
		fmt.Fprintf(&b, " delim=%q", st.Delimiter)
	}
	if st.TimestampFormat != "" {
		fmt.Fprintf(&b, " tsformat=%q", st.TimestampFormat)
	}
	b.WriteString("\n")
	return b.String()
}

func checkRender(t *testing.T, got result, want string) {
	t.Helper()
	want = strings.TrimLeft(want, "\n")
	if g := got.render(); g != want {
		t.Errorf("got:\n%s\nwant:\n%s", g, want)
	}
}
