package jtl

import (
	"io"
	"strings"
	"testing"
)

func TestThreadHost(t *testing.T) {
	tests := map[string]string{
		"jmeter-server-1-Thread Group 1-1":                   "jmeter-server-1",
		"jmeter-server-2-setUp Thread Group 1-1":             "jmeter-server-2",
		"172.28.5.20-Thread Group Auth 2-1":                  "172.28.5.20",
		"10.0.0.5:1099-Thread Group 1-3":                     "10.0.0.5:1099",
		"ip-10-0-0-5-Thread Group 1-3":                       "ip-10-0-0-5",
		"lg1.example.com-Users 1-10":                         "lg1.example.com",
		"java-app-1.ee.dom_Thread group 1 1-8":               "java-app-1.ee.dom",
		"e82dff22858c-Thread Group 1-1":                      "e82dff22858c",
		"Thread Group 1-1":                                   "",
		"TG-TCPClientImpl 1-1":                               "",
		"TG0-SNL 1-1":                                        "",
		"[TG] - Zero Catch Users 2-1":                        "",
		"sko-desktop 1-1":                                    "",
		"Groupe d'unités 1-1":                                "",
		"jmeter-server-1-NotAThreadName":                     "",
		"":                                                   "",
		"Distribute Testing Practice 1-495":                  "",
		"Users-2-Checkout 1-1":                               "Users-2", // a known false positive: the group name looks like a host
		"jmeter-server-1-Thread Group Client Inspection 3-1": "jmeter-server-1",
	}
	for in, want := range tests {
		if got := threadHost(in); got != want {
			t.Errorf("threadHost(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMergeAndThreads(t *testing.T) {
	a := "timeStamp,elapsed,label,responseCode,threadName,success,allThreads\n" +
		"1000,5,INVITE,200,jmeter-server-1-TG 1-1,true,1\n" +
		"1020,5,INVITE,200,jmeter-server-1-TG 1-2,true,2\n" +
		"1040,5,INVITE,503,jmeter-server-1-TG 1-3,false,3\n"
	b := "timeStamp,elapsed,label,responseCode,threadName,success,allThreads\n" +
		"1010,5,INVITE,200,jmeter-server-2-TG 1-1,true,1\n" +
		"1020,5,INVITE,200,jmeter-server-2-TG 1-2,true,2\n" +
		"1030,5,INVITE,bad\n" +
		"1050,5,INVITE,503,jmeter-server-2-TG 1-3,false,3\n"
	ra, err := NewCSVReader(strings.NewReader(a), "a.jtl", Options{FileIndex: 0})
	if err != nil {
		t.Fatal(err)
	}
	rb, err := NewCSVReader(strings.NewReader(b), "b.jtl", Options{FileIndex: 1})
	if err != nil {
		t.Fatal(err)
	}
	m := Merge(ra, rb)
	var th Threads
	var got []string
	var totals []int
	for {
		s, err := m.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		th.Observe(s)
		got = append(got, s.Host+"/"+s.Code)
		totals = append(totals, th.Total())
		if want := map[string]int{"jmeter-server-1": 0, "jmeter-server-2": 1}[s.Host]; s.File != want {
			t.Errorf("%s: File %d, want %d", s.Host, s.File, want)
		}
	}
	wantOrder := "jmeter-server-1/200 jmeter-server-2/200 jmeter-server-1/200 jmeter-server-2/200 jmeter-server-1/503 jmeter-server-2/503"
	if g := strings.Join(got, " "); g != wantOrder {
		t.Errorf("order:\n got %s\nwant %s", g, wantOrder)
	}
	wantTotals := []int{1, 2, 3, 4, 5, 6}
	for i := range wantTotals {
		if i >= len(totals) || totals[i] != wantTotals[i] {
			t.Fatalf("totals %v, want %v", totals, wantTotals)
		}
	}
	if th.Hosts() != 2 {
		t.Errorf("hosts %d", th.Hosts())
	}
	st := m.Stats()
	if st.Records != 6 || st.Counted != 6 || st.Skipped != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestMergeNone(t *testing.T) {
	if _, err := Merge().Next(); err != io.EOF {
		t.Fatalf("err %v", err)
	}
}
