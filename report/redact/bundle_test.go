package redact

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ceiling-dev/ceiling/report"
	"github.com/ceiling-dev/ceiling/report/bundle"
	"github.com/ceiling-dev/ceiling/report/evidence"
)

// TestBundle makes a redacted support bundle as analyze --bundle
// --redact is meant to (one Redactor: the Document for the reports,
// Rewrite for the evidence, Ladders for its ladders), unzips it, and
// searches every file for the demo's secrets, the evidence pcapng as
// tshark shows it too.
func TestBundle(t *testing.T) {
	needTshark(t)
	dir := t.TempDir()
	pcapPath, jtlPath := distinctDemo(t, dir)
	doc := analyze(t, pcapPath, jtlPath)
	r := New(Options{Edges: Edges(doc.Result), Secret: testSecret})
	red := r.Document(doc)

	var ev bytes.Buffer
	sel := evidence.Default(doc.Result, 4)
	// The evidence's comments name Call-IDs and addresses as the
	// analysis saw them, and Rewrite sees only frames: they are left out.
	sum, err := evidence.Extract(&ev, doc.Result, sel, evidence.Options{Paths: []string{pcapPath, jtlPath}, Rewrite: r.Rewrite, Tool: "ceiling test", NoComments: true})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Frames == 0 {
		t.Fatal("no evidence frames: the test proves nothing")
	}
	red.Ladders = r.Ladders(sum.Ladders)
	files := []bundle.File{
		{Name: "report.html", Body: func(w io.Writer) error { return report.WriteHTML(w, red) }},
		{Name: "summary.json", Body: func(w io.Writer) error { return report.WriteJSON(w, red) }},
		{Name: "failures.csv", Body: func(w io.Writer) error { return report.WriteFailuresCSV(w, red) }},
		{Name: "evidence.pcapng", Body: func(w io.Writer) error { _, err := w.Write(ev.Bytes()); return err }},
	}
	var zbuf bytes.Buffer
	err = bundle.Write(&zbuf, red, files, bundle.Options{Command: red.Command, Redacted: true,
		Sources: []bundle.Source{{Name: "distinct.pcapng", Path: pcapPath}, {Name: "distinct.jtl", Path: jtlPath}}})
	if err != nil {
		t.Fatal(err)
	}

	zr, err := zip.NewReader(bytes.NewReader(zbuf.Bytes()), int64(zbuf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	secrets := append(append([]string{}, demoSecrets...), "Load test", "loadtest-")
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(rc)
		rc.Close()
		texts := []string{string(body)}
		if strings.HasSuffix(f.Name, ".pcapng") {
			p := filepath.Join(dir, f.Name)
			if err := os.WriteFile(p, body, 0o644); err != nil {
				t.Fatal(err)
			}
			texts = append(texts, tshark(t, "-r", p, "-V"))
			if bad := tshark(t, append(checkArgs, "-r", p, "-Y", checkBad)...); bad != "" {
				t.Errorf("%s: checksum errors:\n%s", f.Name, firstLines(bad, 5))
			}
		}
		for _, text := range texts {
			for _, s := range secrets {
				if i := strings.Index(text, s); i >= 0 && (findWord(text, s) >= 0 || !strings.ContainsAny(s, ".")) {
					t.Errorf("%s: %q left: …%s…", f.Name, s, text[max(0, i-60):min(len(text), i+60)])
				}
			}
		}
	}
}
