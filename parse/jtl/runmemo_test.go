package jtl

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// heads against the rows' own fields: runs whose hashes collide or whose
// ends are alike, long runs, a column of unique messages
// (the memo keeps no more, and what it holds stays as it is) and one whose values mostly repeat (its interner
// must count the memo's finds, or it takes the column for unique values
// and stops sharing them).
func TestRunMemo(t *testing.T) {
	long := strings.Repeat("m", 300)
	tests := []struct {
		name string
		rows int
		run  func(i int) [3]string
		// kept: the last row's run is in the memo at the end; bypass:
		// the message interner gave up on sharing.
		kept, bypass bool
	}{
		{"twins", 2000, func(i int) [3]string {
			// Same length, same first and last eight bytes.
			return [3]string{"SIP call " + []string{"udp", "tcp"}[i%2], "503", "Service Unavailable"}
		}, true, false},
		{"same hash", 2000, func(i int) [3]string {
			// Same length, label end and message end: only the code differs.
			return [3]string{"SIP call udp", []string{"503", "504", "200"}[i%3], "Service Unavailable"}
		}, true, false},
		{"long", 500, func(i int) [3]string { return [3]string{"L", fmt.Sprint(i % 2), long} }, true, false},
		{"unique", 10000, func(i int) [3]string { return [3]string{"SIP call udp", "500", fmt.Sprintf("error %d", i)} }, false, true},
		// Keeping no more halfway, with runs kept: the rows after must
		// not change them.
		{"off, then repeats", 20000, func(i int) [3]string {
			if i%2 == 0 {
				return [3]string{"SIP call udp", "500", fmt.Sprintf("error %d", i)}
			}
			return [3]string{"SIP call udp", "200", "OK"}
		}, true, false},
		{"mostly repeated", 30000, func(i int) [3]string {
			if i%5 == 0 {
				return [3]string{"SIP call udp", "500", fmt.Sprintf("error %d", i)}
			}
			return [3]string{"SIP call udp", "200", "OK"}
		}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			b.WriteString(stockHeader)
			for i := range tt.rows {
				v := tt.run(i)
				fmt.Fprintf(&b, "%d,5,%s,%s,%s,T 1-1,text,true,,10,10,1,1,null,1,0,0,,\n", 1795600799650+int64(i), v[0], v[1], v[2])
			}
			r, err := NewCSVReader(bytes.NewReader([]byte(b.String())), "in.csv", Options{Window: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			cr := r.(*csvReader)
			for i := 0; ; i++ {
				s, err := r.Next()
				if err == io.EOF {
					if i != tt.rows {
						t.Fatalf("%d rows read, want %d", i, tt.rows)
					}
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if got, want := [3]string{s.Label, s.Code, s.Message}, tt.run(i); got != want {
					t.Fatalf("row %d: %q, want %q", i, got, want)
				}
			}
			if !cr.stock {
				t.Fatal("not read by fillStock")
			}
			v := tt.run(tt.rows - 1)
			last := strings.Join(v[:], ",")
			kept := false
			for _, e := range cr.runs.recent {
				kept = kept || e.run == last
			}
			if kept != tt.kept || cr.msg.bypass != tt.bypass {
				t.Errorf("last run kept %v, message interner bypassed %v; want %v, %v", kept, cr.msg.bypass, tt.kept, tt.bypass)
			}
		})
	}
}
