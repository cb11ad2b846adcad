package redact

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ceiling-dev/ceiling/pipeline"
)

// TestDocumentJTLDetails: the Details of failures known only from a JTL
// are made on demand (correlate.Result.Detail); the redacted document
// holds each of them, redacted, so that its reports lose none.
func TestDocumentJTLDetails(t *testing.T) {
	// The demo's JTL, and one whose failures name a phone number in
	// their label, message and thread.
	var b strings.Builder
	b.WriteString("timeStamp,elapsed,label,responseCode,responseMessage,threadName,success,allThreads\n")
	for i := 0; i < 1200; i++ {
		fmt.Fprintf(&b, "%d,20,call +18005550%03d,503,Busy for +18005550%03d,caller +18005550%03d,false,5\n", 1795600800000+int64(i)*10, i%1000, i%1000, i%1000)
	}
	phones := filepath.Join(t.TempDir(), "phones.jtl")
	if err := os.WriteFile(phones, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"../../testdata/demo/spike.jtl", phones} {
		checkJTLDetails(t, path)
	}
}

func checkJTLDetails(t *testing.T, path string) {
	doc, err := pipeline.Run(pipeline.Config{Paths: []string{path}})
	if err != nil {
		t.Fatal(err)
	}
	out := New(Options{Secret: []byte("test")}).Document(doc)
	res, red := doc.Result, out.Result
	failures := 0
	if n, m := res.Attempts.Len(), red.Attempts.Len(); n != m {
		t.Fatalf("%d attempts, %d redacted", n, m)
	}
	for i, a := range res.Attempts.All() {
		ra := red.Attempts.At(i)
		d, rd := res.Detail(&a), red.Detail(&ra)
		if (d == nil) != (rd == nil) {
			t.Fatalf("attempt %d: detail %v, redacted %v", i, d, rd)
		}
		if d == nil {
			continue
		}
		failures++
		if a.Detail != nil {
			t.Fatalf("attempt %d: a JTL failure's Detail is held, not made", i)
		}
		if rd.Sample == nil || d.Sample == nil || rd.Sample.Line != d.Sample.Line || rd.Sample.Start != d.Sample.Start || rd.ReasonPhrase == "" {
			t.Fatalf("attempt %d: %+v %+v, redacted %+v %+v", i, d, d.Sample, rd, rd.Sample)
		}
		if all := rd.ReasonPhrase + rd.Sample.Label + rd.Sample.Message + rd.Sample.Thread; strings.Contains(all, "8005550") {
			t.Fatalf("attempt %d: a phone number left in the redacted detail: %q", i, all)
		}
	}
	if failures < 1000 {
		t.Fatalf("%s: %d failures with details, want over a thousand", path, failures)
	}
}
