package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ceiling-dev/ceiling/correlate"
	"github.com/ceiling-dev/ceiling/report"
	"github.com/ceiling-dev/ceiling/report/evidence"
)

// TestSpilledSame: with the attempts, the matched samples' thread
// references and the JTL failures' Details kept in pages of eight with two
// in memory, nearly all of them go through the temporary file; every
// report (text, JSON, HTML, failures CSV, the evidence pcapng) is the
// same byte for byte as with the default memory.
func TestSpilledSame(t *testing.T) {
	runs := append(fixtureRuns(t), []string{"../testdata/demo/spike.jtl"}, []string{"../testdata/demo/spike.pcapng.gz"})
	outputs := func(paths []string, spill correlate.SpillOptions) (map[string][]byte, *report.Document) {
		cfg := Config{Paths: paths, Now: time.Unix(0, 0).UTC()}
		cfg.Correlate.Spill = spill
		doc, err := Run(cfg)
		if err != nil {
			t.Fatal(err)
		}
		out := renderAll(t, doc, paths)
		if err := doc.Result.Err(); err != nil {
			t.Fatal(err)
		}
		if spill.Pages > 0 {
			// A pass that forgets to let the log settle holds every page.
			if g, s := doc.Result.Attempts.MostResident(); g > spill.Pages+2 || s > spill.Pages+2 {
				t.Errorf("%v: up to %d pages in memory while gathering, %d since; want ≤ %d", paths, g, s, spill.Pages+2)
			}
		}
		return out, doc
	}
	for _, paths := range runs {
		want, plain := outputs(paths, correlate.SpillOptions{})
		got, spilled := outputs(paths, correlate.SpillOptions{Dir: t.TempDir(), Pages: 2, PageItems: 8})
		if n := spilled.Result.Attempts.Len(); n > 100 && !spilled.Result.Attempts.Spilled() {
			t.Errorf("%v: %d attempts and nothing spilled", paths, n)
		}
		for name := range want {
			if !bytes.Equal(want[name], got[name]) {
				t.Errorf("%v: %s differs when the attempts are spilled", paths, name)
			}
		}
		plain.Result.Close()
		spilled.Result.Close()
	}
}

// TestSpillNowhere: attempts that cannot go to disk (the folder is
// missing; a full disk is the same to the log) void the analysis with a
// TempError that names the folder, rather than a report made from
// attempts read back wrong.
func TestSpillNowhere(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing")
	cfg := Config{Paths: []string{"../testdata/demo/spike.pcapng.gz", "../testdata/demo/spike.jtl"}}
	cfg.Correlate.Spill = correlate.SpillOptions{Dir: dir, Pages: 2, PageItems: 8}
	doc, err := Run(cfg)
	var te *TempError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "--temp-dir") {
		t.Fatalf("Run = %v, %v; want a TempError naming %s and --temp-dir", doc, err, dir)
	}
}

// renderAll writes every report of doc: text, JSON, HTML, failures CSV,
// and for inputs with a capture the evidence pcapng with its selection.
func renderAll(t *testing.T, doc *report.Document, paths []string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for name, write := range map[string]func(*bytes.Buffer) error{
		"text": func(b *bytes.Buffer) error { return report.WriteText(b, doc) },
		"json": func(b *bytes.Buffer) error { return report.WriteJSON(b, doc) },
		"html": func(b *bytes.Buffer) error { return report.WriteHTML(b, doc) },
		"csv":  func(b *bytes.Buffer) error { return report.WriteFailuresCSV(b, doc) },
		"evidence": func(b *bytes.Buffer) error {
			if len(paths) == 1 && filepath.Ext(paths[0]) == ".jtl" {
				return nil
			}
			sel := evidence.Default(doc.Result, 3)
			fmt.Fprintf(b, "%+v\n", sel)
			_, err := evidence.Extract(b, doc.Result, sel, evidence.Options{Paths: paths})
			return err
		},
	} {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			t.Fatalf("%v %s: %v", paths, name, err)
		}
		out[name] = b.Bytes()
	}
	return out
}

// TestEvidenceBesideHTML: cmd/ceiling cuts the evidence on one goroutine
// while another makes the HTML report's charts and tables (report.NewHTML)
// from the same Result; both read the attempts, spilled or not. What each
// makes is the same as one after the other, and -race finds no read of
// the Result that is not safe from two goroutines.
func TestEvidenceBesideHTML(t *testing.T) {
	runs := append(fixtureRuns(t), []string{"../testdata/demo/spike.pcapng.gz", "../testdata/demo/spike.jtl"})
	for _, spill := range []correlate.SpillOptions{{}, {Dir: t.TempDir(), Pages: 2, PageItems: 8}} {
		for _, paths := range runs {
			if len(paths) == 1 && filepath.Ext(paths[0]) == ".jtl" {
				continue
			}
			cfg := Config{Paths: paths, Now: time.Unix(0, 0).UTC()}
			cfg.Correlate.Spill = spill
			doc, err := Run(cfg)
			if err != nil {
				t.Fatal(err)
			}
			want := renderAll(t, doc, paths)
			var ev bytes.Buffer
			done := make(chan error)
			go func() {
				sel := evidence.Default(doc.Result, 3)
				fmt.Fprintf(&ev, "%+v\n", sel)
				_, err := evidence.Extract(&ev, doc.Result, sel, evidence.Options{Paths: paths})
				done <- err
			}()
			html := report.NewHTML(doc)
			if err := <-done; err != nil {
				t.Fatalf("%v: evidence: %v", paths, err)
			}
			var b bytes.Buffer
			if err := html.Write(&b); err != nil {
				t.Fatalf("%v: html: %v", paths, err)
			}
			if !bytes.Equal(b.Bytes(), want["html"]) {
				t.Errorf("%v (spill %+v): the HTML made beside the evidence differs", paths, spill)
			}
			if !bytes.Equal(ev.Bytes(), want["evidence"]) {
				t.Errorf("%v (spill %+v): the evidence cut beside the HTML differs", paths, spill)
			}
			if err := doc.Result.Err(); err != nil {
				t.Error(err)
			}
			doc.Result.Close()
		}
	}
}
