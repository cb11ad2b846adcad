package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/ceiling-dev/ceiling/report"
	"github.com/ceiling-dev/ceiling/report/bundle"
	"github.com/ceiling-dev/ceiling/report/evidence"
)

// analyze --bundle FILE.zip: what a support ticket needs in one file:
// report.html, summary.json, evidence.pcapng, failures.csv, and
// README.txt saying how it was made. It runs after the evidence (Order
// 10) and before the CI gate (90), so that a failed gate still leaves the
// bundle for the CI job to keep.
func init() {
	registerAnalyze(analyzeExtension{Order: 50, flags: bundleFlags, after: bundleAfter})
}

var bundleState struct {
	out string
}

func bundleFlags(fl *pflag.FlagSet) {
	fl.StringVar(&bundleState.out, "bundle", "", "write a support bundle to `FILE.zip`: report.html, summary.json, evidence.pcapng, failures.csv, README.txt (inputs' sizes and SHA-256, the command, the clock offset)")
}

func bundleAfter(run *analyzeRun) error {
	if bundleState.out == "" {
		return nil
	}
	doc := run.Shown
	redacted := run.Shown != run.Doc
	var files []bundle.File
	if hasCapture(run.Doc) {
		// The evidence is cut from the original Document's attempts (the
		// redacted copy has the same ones, under pseudonyms).
		tmp, err := os.CreateTemp(filepath.Dir(bundleState.out), ".evidence-*.pcapng")
		if err != nil {
			return &exitError{code: ExitOutput, err: err}
		}
		tmp.Close()
		defer os.Remove(tmp.Name())
		eo := evidence.Options{}
		sel := evidence.Default(run.Doc.Result, defaultFailures)
		sum, err := cutEvidence(run.Cfg, run.Doc, sel, tmp.Name(), eo, run.Stdout)
		if err != nil {
			return err
		}
		if doc.Ladders == nil {
			ladders := reportLadders(sel, sum)
			if redacted && redactLadders != nil {
				ladders = redactLadders(ladders)
			}
			cp := *doc
			cp.Ladders = ladders
			doc = &cp
		}
		files = append(files, bundle.File{Name: "evidence.pcapng", Body: func(w io.Writer) error {
			f, err := os.Open(tmp.Name())
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = io.Copy(w, f)
			return err
		}})
	}
	files = append([]bundle.File{
		{Name: "report.html", Body: func(w io.Writer) error { return report.WriteHTML(w, doc) }},
		{Name: "summary.json", Body: func(w io.Writer) error { return report.WriteJSON(w, doc) }},
		{Name: "failures.csv", Body: func(w io.Writer) error { return report.WriteFailuresCSV(w, doc) }},
	}, files...)

	bo := bundle.Options{Command: doc.Command, KeyLogs: run.Cfg.KeyLogs, Redacted: redacted}
	for i, p := range run.Cfg.Paths {
		name := p
		if i < len(run.Cfg.DisplayNames) && run.Cfg.DisplayNames[i] != "" {
			name = run.Cfg.DisplayNames[i]
		}
		bo.Sources = append(bo.Sources, bundle.Source{Name: name, Path: p})
	}
	// Straight to the file (a temporary one, renamed when whole): a
	// failures.csv of millions of rows is not held in memory first.
	var n countWriter
	if err := writeTo(bundleState.out, run.Stdout, whole(doc, func(w io.Writer) error {
		n.w = w
		if err := bundle.Write(&n, doc, files, bo); err != nil {
			return fmt.Errorf("bundle: %w", err)
		}
		return nil
	})); err != nil {
		return &exitError{code: ExitOutput, err: err}
	}
	if !run.Quiet {
		fmt.Fprintf(run.Stderr, "ceiling: wrote %s (%d KB)\n", bundleState.out, n.n/1024)
	}
	return nil
}

// countWriter counts what goes through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	k, err := c.w.Write(p)
	c.n += int64(k)
	return k, err
}

// redactLadders, when set (--redact), redacts ladders drawn from the
// evidence.
var redactLadders func([]report.Ladder) []report.Ladder
