package report

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
)

// junitXML is the part of JUnit XML that CI systems read, to parse the
// writer's output back.
type junitXML struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Suite    struct {
		Tests     int    `xml:"tests,attr"`
		Failures  int    `xml:"failures,attr"`
		Time      string `xml:"time,attr"`
		Timestamp string `xml:"timestamp,attr"`
		Cases     []struct {
			Name      string `xml:"name,attr"`
			Classname string `xml:"classname,attr"`
			Time      string `xml:"time,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			SystemOut string `xml:"system-out"`
		} `xml:"testcase"`
		SystemOut string `xml:"system-out"`
	} `xml:"testsuite"`
}

func writeJUnit(t *testing.T, d *Document, checks []JUnitCheck) (junitXML, string) {
	t.Helper()
	var b bytes.Buffer
	if err := WriteJUnit(&b, d, checks); err != nil {
		t.Fatal(err)
	}
	var j junitXML
	if err := xml.Unmarshal(b.Bytes(), &j); err != nil {
		t.Fatalf("not XML: %v\n%s", err, b.String())
	}
	return j, b.String()
}

func TestJUnit(t *testing.T) {
	checks := []JUnitCheck{
		{Name: "layer!=none", Failed: true, Message: "sip (first SIP 503 at 101 dialogs)"},
		{Name: `websocket.status=="<&>"`, Message: "none"},
	}
	cases := []struct {
		name     string
		d        *Document
		checks   []JUnitCheck
		cases    string // name:failed of each case
		failures int
	}{
		{"spike", realisticSpike(), checks, "sip:true|layer!=none:true|websocket.status==\"<&>\":false", 2},
		{"two layers", twoLayers(), nil, "websocket:true|sip:true", 2},
		{"no failures", noFailures(), checks[1:], "sip:false|websocket.status==\"<&>\":false", 0},
		{"empty", emptyDocument(), nil, "", 0},
		{"empty with a criterion", emptyDocument(), checks[:1], "layer!=none:true", 1},
	}
	for _, c := range cases {
		j, raw := writeJUnit(t, c.d, c.checks)
		var got []string
		for _, tc := range j.Suite.Cases {
			got = append(got, tc.Name+":"+map[bool]string{true: "true", false: "false"}[tc.Failure != nil])
		}
		if strings.Join(got, "|") != c.cases || j.Tests != len(got) || j.Suite.Tests != len(got) || j.Failures != c.failures || j.Suite.Failures != c.failures {
			t.Errorf("%s: cases %q (tests %d, failures %d), want %q and %d failures\n%s", c.name, got, j.Tests, j.Failures, c.cases, c.failures, raw)
		}
		if !strings.HasPrefix(raw, `<?xml version="1.0" encoding="UTF-8"?>`) {
			t.Errorf("%s: no XML declaration", c.name)
		}
		// Deterministic: the same document gives the same bytes.
		if _, again := writeJUnit(t, c.d, c.checks); again != raw {
			t.Errorf("%s: two writes differ", c.name)
		}
	}
}

func TestJUnitContent(t *testing.T) {
	d := realisticSpike()
	j, _ := writeJUnit(t, d, nil)
	sip := j.Suite.Cases[0]
	if sip.Classname != "ceiling.layer" || sip.Failure == nil || sip.Failure.Type != "sip.503" {
		t.Fatalf("%+v", sip)
	}
	ff := d.Result.Verdict.FirstFailure
	if want := FailurePhrase("sip", point(ff)); !strings.HasPrefix(sip.Failure.Message, want+": ") {
		t.Errorf("message %q, want it to begin with %q", sip.Failure.Message, want)
	}
	for _, want := range []string{"first failure: " + FormatTimeJSON(ff.Time), "Call-ID " + ff.CallID, "verdict: " + d.Result.Verdict.Text} {
		if !strings.Contains(sip.Failure.Text, want) {
			t.Errorf("failure text lacks %q:\n%s", want, sip.Failure.Text)
		}
	}
	if j.Suite.SystemOut != d.Result.Verdict.Text {
		t.Errorf("suite system-out %q", j.Suite.SystemOut)
	}
	// The load test's times: the suite spans the test, the layer its
	// attempts.
	if want := seconds(d.Result.End - d.Result.Start); j.Suite.Time != want || j.Suite.Timestamp != "2026-11-25T10:00:00" {
		t.Errorf("suite time %s at %s, want %s", j.Suite.Time, j.Suite.Timestamp, want)
	}
	if sip.Time == "0.000" || sip.Time == "" {
		t.Errorf("sip case time %q", sip.Time)
	}
}

// Whatever a Call-ID, a JTL message or a criterion holds, the XML stays
// well formed: control characters and broken UTF-8 become U+FFFD, and a
// CDATA end inside a text is split.
func TestJUnitHostileText(t *testing.T) {
	d := realisticSpike()
	ff := d.Result.Verdict.FirstFailure
	ff.CallID = "a\x00b\x1b[31m]]>c\xff"
	d.Result.Verdict.Text = "text with ]]> and \x07 bell"
	checks := []JUnitCheck{{Name: "x\x01y]]>", Failed: true, Message: "m\x02 ]]> <tag>"}, {Name: "ok\x03", Message: "]]>"}}
	j, raw := writeJUnit(t, d, checks)
	if j.Tests != 3 {
		t.Fatalf("%d tests\n%s", j.Tests, raw)
	}
	if !strings.Contains(j.Suite.Cases[0].Failure.Text, "Call-ID a\uFFFDb\uFFFD[31m]]>c\uFFFD") {
		t.Errorf("call-id: %q", j.Suite.Cases[0].Failure.Text)
	}
	if j.Suite.SystemOut != "text with ]]> and \uFFFD bell" || j.Suite.Cases[1].Name != "x\uFFFDy]]>" || j.Suite.Cases[2].SystemOut != "ok\uFFFD: ]]>\n" {
		t.Errorf("%q %q %q", j.Suite.SystemOut, j.Suite.Cases[1].Name, j.Suite.Cases[2].SystemOut)
	}
}

func TestFailurePhrase(t *testing.T) {
	threads := int32(7)
	cases := []struct {
		layer string
		p     *SummaryPoint
		want  string
	}{
		{"sip", &SummaryPoint{Concurrency: 101, Status: "503"}, "SIP 503 at 101 dialogs"},
		{"websocket", &SummaryPoint{Concurrency: 13, Status: "429", Threads: &threads}, "WebSocket 429 at 13 connections"},
		{"tcp", &SummaryPoint{Concurrency: 21, Status: "refused"}, "TCP refused at 21 connections"},
		{"http", &SummaryPoint{Concurrency: 3, Status: "502"}, "HTTP 502 at 3 requests"},
		{"client", &SummaryPoint{Concurrency: 51, Status: "ephemeral-ports"}, "client ephemeral-ports at 51 connections"},
		{"sip", &SummaryPoint{Concurrency: 4}, "SIP failure at 4 dialogs"},
		{"sip", nil, ""},
	}
	for _, c := range cases {
		if got := FailurePhrase(c.layer, c.p); got != c.want {
			t.Errorf("%s %+v: %q, want %q", c.layer, c.p, got, c.want)
		}
	}
}
