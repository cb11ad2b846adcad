package redact

import (
	"bytes"
	"fmt"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/ceiling-dev/ceiling/correlate"
	"github.com/ceiling-dev/ceiling/report"
)

// render writes every format a bundle holds.
func render(t *testing.T, d *report.Document) string {
	t.Helper()
	var b bytes.Buffer
	for _, w := range []func(*bytes.Buffer, *report.Document) error{
		func(b *bytes.Buffer, d *report.Document) error { return report.WriteJSON(b, d) },
		func(b *bytes.Buffer, d *report.Document) error { return report.WriteText(b, d) },
		func(b *bytes.Buffer, d *report.Document) error { return report.WriteHTML(b, d) },
		func(b *bytes.Buffer, d *report.Document) error { return report.WriteFailuresCSV(b, d) },
	} {
		if err := w(&b, d); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

// withLadder adds a ladder like report/evidence's to a document: its
// title names the first failure's Call-ID, its columns the client's
// address, its steps the request line with the called number.
func withLadder(d *report.Document) *report.Document {
	a := d.Result.Attempts.At(d.Result.Verdict.FirstFailure.Attempt)
	cp := *d
	cp.Ladders = []report.Ladder{{
		Title:   fmt.Sprintf("first SIP %s at %d dialogs, Call-ID %s", a.Status, a.Concurrency, a.CallID),
		Attempt: d.Result.Verdict.FirstFailure.Attempt, Failed: true,
		Columns: []report.LadderColumn{{Role: "load generator", Addrs: []string{a.Client.String()}}, {Role: "edge", Addrs: []string{a.Edge.String()}}},
		Steps: []report.LadderStep{
			{Time: a.Time, From: 0, To: 1, Label: "INVITE sip:+18005550100@" + a.Edge.String()},
			{Time: a.Answered, From: 1, To: 0, Label: "503 Service Unavailable", Bad: true},
		},
	}}
	return &cp
}

// TestDocument redacts the analysis of the demo moved onto distinct
// addresses, with its JTL, and renders every format of a bundle: none
// may show a secret; Call-IDs and trace IDs keep what support needs; the
// original is untouched; and the pseudonyms are the ones the capture
// gets.
func TestDocument(t *testing.T) {
	needTshark(t)
	dir := t.TempDir()
	pcapPath, jtlPath := distinctDemo(t, dir)
	doc := withLadder(analyze(t, pcapPath, jtlPath))
	before := render(t, doc)
	for _, s := range []string{demoClient, "loadgen-17", "pin=4321", "18005550100"} {
		if !strings.Contains(before, s) {
			t.Fatalf("the unredacted report lacks %q: the test proves nothing", s)
		}
	}

	r := New(Options{Edges: Edges(doc.Result), Secret: testSecret})
	red := r.Document(doc)
	out := render(t, red)
	if render(t, doc) != before {
		t.Fatal("Document changed the original")
	}
	for _, s := range append(demoSecrets, "Load test", "loadtest-") {
		if i := findWord(out, s); i >= 0 || strings.Contains(out, s) && !strings.Contains(s, ".") {
			t.Errorf("%q left in the redacted report: …%s…", s, out[max(0, i-60):min(len(out), max(i, 0)+60)])
		}
	}
	if !strings.Contains(out, demoEdge) {
		t.Error("the edge's address was not kept")
	}
	if red.Result.Verdict.Text == doc.Result.Verdict.Text && strings.Contains(doc.Result.Verdict.Text, demoClient) {
		t.Error("verdict text not redacted")
	}

	// Call-IDs keep their unique part, trace IDs whole.
	if n, m := doc.Result.Attempts.Len(), red.Result.Attempts.Len(); n != m {
		t.Fatalf("%d attempts, %d redacted", n, m)
	}
	for i, a := range doc.Result.Attempts.All() {
		b := red.Result.Attempts.At(i)
		if at := strings.LastIndexByte(a.CallID, '@'); at >= 0 && a.CallID[:at] != b.CallID[:at] || len(a.CallID) != len(b.CallID) {
			t.Fatalf("Call-ID %s became %s", a.CallID, b.CallID)
		}
		if a.TraceID != b.TraceID {
			t.Fatalf("trace ID %s became %s", a.TraceID, b.TraceID)
		}
		if a.Hop == 0 && a.Edge != b.Edge {
			t.Fatalf("edge %v became %v", a.Edge, b.Edge)
		}
	}
	title := red.Ladders[0].Title
	if ff := red.Result.Verdict.FirstFailure; !strings.Contains(title, ff.CallID) {
		t.Errorf("the ladder's title %q does not name the first failure's Call-ID %s as the fields do", title, ff.CallID)
	}

	// The capture, redacted by the same Redactor, shows the report's
	// pseudonyms: its Call-IDs and the client's address.
	red2 := filepath.Join(dir, "redacted.pcapng")
	writeCapture(t, red2, redactCapture(t, r, readCapture(t, pcapPath)))
	callIDs := map[string]bool{}
	for _, c := range fields(t, red2, "sip", "sip.Call-ID") {
		callIDs[c] = true
	}
	for _, a := range red.Result.Attempts.All() {
		if a.Source&correlate.FromCapture != 0 && !callIDs[a.CallID] {
			t.Fatalf("the report's Call-ID %s is not in the redacted capture", a.CallID)
		}
	}
	client := red.Result.Verdict.FirstFailure
	addrs := strings.Join(fields(t, red2, "", "ip.src"), " ")
	if cl := red.Result.Attempts.At(client.Attempt).Client.Addr().String(); !strings.Contains(addrs, cl) {
		t.Errorf("the report's client %s is not in the capture's %s", cl, addrs)
	}
}

// TestDocumentFields guards Document against new fields: every string a
// Document holds must be one that Redactor.Document was written for. A
// new one fails here until it is handled there (or named as safe).
func TestDocumentFields(t *testing.T) {
	handled := map[string]string{
		"Document.Tool":                                       "ours",
		"Document.Command[]":                                  "String, paths kept",
		"Document.Inputs[].Path":                              "kept: the user's file names",
		"Document.Inputs[].Kind":                              "ours",
		"Document.Inputs[].Detail":                            "String",
		"Document.Inputs[].SkippedBy{}":                       "String",
		"Document.Problems[].File":                            "kept (input path) or String",
		"Document.Problems[].Reason":                          "String",
		"Document.Result.Basis":                               "ours",
		"Document.Result.Verdict.Status":                      "vocabulary",
		"Document.Result.Verdict.FirstFailure.CallID":         "CallID",
		"Document.Result.Verdict.FirstFailure.TraceID":        "kept",
		"Document.Result.Verdict.FirstFailure.Status":         "String",
		"Document.Result.Verdict.FirstFailure.Method":         "String",
		"Document.Result.Verdict.Text":                        "String",
		"Document.Result.Layers[].Basis":                      "String",
		"Document.Result.Layers[].Codes{}":                    "String",
		"Document.Result.Layers[].Outcomes{}":                 "String",
		"Document.Result.Correlation.OffsetBasis":             "String",
		"Document.Result.SIP.Requests{}":                      "String",
		"Document.Result.Breaches.ByLabel{}":                  "String",
		"Document.Result.Breaches.Messages{}":                 "String",
		"Document.Result.Attempts[].Status":                   "String",
		"Document.Result.Attempts[].CallID":                   "CallID",
		"Document.Result.Attempts[].TraceID":                  "kept",
		"Document.Result.Attempts[].Detail.ReasonPhrase":      "String",
		"Document.Result.Attempts[].Detail.ReasonHeader":      "String",
		"Document.Result.Attempts[].Detail.Warning":           "String",
		"Document.Result.Attempts[].Detail.Server":            "String",
		"Document.Result.Attempts[].Detail.Sample.Label":      "String",
		"Document.Result.Attempts[].Detail.Sample.Code":       "String",
		"Document.Result.Attempts[].Detail.Sample.Message":    "String",
		"Document.Result.Attempts[].Detail.Sample.Thread":     "String",
		"Document.Result.Attempts[].Detail.Sample.Host":       "Host",
		"Document.Result.Notes[]":                             "String",
		"Document.Ladders[].Title":                            "String",
		"Document.Ladders[].Note":                             "String",
		"Document.Ladders[].Columns[].Role":                   "String",
		"Document.Ladders[].Columns[].Addrs[]":                "String",
		"Document.Ladders[].Steps[].Label":                    "String",
		"Document.Result.Verdict.FirstFailure.Edge":           "AddrPort",
		"Document.Result.Layers[].Edges[].Edge":               "AddrPort",
		"Document.Result.Attempts[].Edge":                     "AddrPort",
		"Document.Result.Attempts[].Client":                   "AddrPort",
		"Document.Result.Attempts[].Detail.Relayed":           "AddrPort",
		"Document.Result.Layers[].FirstFailure.CallID":        "same as Verdict's",
		"Document.Result.Layers[].FirstFailure.TraceID":       "kept",
		"Document.Result.Layers[].FirstFailure.Status":        "String",
		"Document.Result.Layers[].FirstFailure.Method":        "String",
		"Document.Result.Layers[].FirstFailure.Edge":          "AddrPort",
		"Document.Result.Verdict.Sustained.CallID":            "CallID",
		"Document.Result.Verdict.Sustained.TraceID":           "kept",
		"Document.Result.Verdict.Sustained.Status":            "String",
		"Document.Result.Verdict.Sustained.Method":            "String",
		"Document.Result.Verdict.Sustained.Edge":              "AddrPort",
		"Document.Result.Layers[].Sustained.CallID":           "CallID",
		"Document.Result.Layers[].Sustained.TraceID":          "kept",
		"Document.Result.Layers[].Sustained.Status":           "String",
		"Document.Result.Layers[].Sustained.Method":           "String",
		"Document.Result.Layers[].Sustained.Edge":             "AddrPort",
		"Document.Result.Breaches.First.CallID":               "CallID",
		"Document.Result.Breaches.First.TraceID":              "kept",
		"Document.Result.Breaches.First.Status":               "String",
		"Document.Result.Breaches.First.Method":               "String",
		"Document.Result.Breaches.First.Edge":                 "AddrPort",
		"Document.Result.Verdict.FirstFailure.Time":           "-",
		"Document.Result.Attempts[].Detail.Sample.AllThreads": "-",
		"Document.Result.Conn.CloseCodes{}":                   "numbers",
		"Document.Result.SIP.Responses{}":                     "numbers",
	}
	var found []string
	var walk func(tp reflect.Type, path string, depth int)
	walk = func(tp reflect.Type, path string, depth int) {
		if depth > 8 {
			return
		}
		switch tp.Kind() {
		case reflect.Pointer:
			walk(tp.Elem(), path, depth+1)
		case reflect.Slice, reflect.Array:
			walk(tp.Elem(), path+"[]", depth+1)
		case reflect.Map:
			if tp.Key().Kind() == reflect.String {
				found = append(found, path+"{}")
			} else {
				found = append(found, path+"{}")
			}
		case reflect.String:
			found = append(found, path)
		case reflect.Struct:
			if tp == reflect.TypeFor[correlate.Attempts]() {
				// Its fields are hidden; what it holds is a list of
				// Attempt, read through At.
				walk(reflect.TypeFor[correlate.Attempt](), path+"[]", depth)
				return
			}
			if tp.PkgPath() == "net/netip" {
				found = append(found, path)
				return
			}
			if tp.PkgPath() == "time" {
				return
			}
			for i := 0; i < tp.NumField(); i++ {
				f := tp.Field(i)
				if f.IsExported() {
					walk(f.Type, path+"."+f.Name, depth+1)
				}
			}
		}
	}
	walk(reflect.TypeOf(report.Document{}), "Document", 0)
	sort.Strings(found)
	for _, f := range found {
		if _, ok := handled[f]; !ok {
			t.Errorf("%s: a string, map or address in Document that Redactor.Document was not written for: redact it there, then name it here", f)
		}
	}
}
