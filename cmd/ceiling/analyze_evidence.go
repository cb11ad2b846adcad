package main

import (
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/ceiling-dev/ceiling/pipeline"
	"github.com/ceiling-dev/ceiling/report"
	"github.com/ceiling-dev/ceiling/report/evidence"
)

// analyze --evidence FILE and --ladders: the packets of the first failures
// and of a few answered attempts just before them, cut out of the captures
// into a commented pcapng, and their message ladders in the HTML report.
// It runs first among the extensions (Order 10), so that the support bundle
// and the CI gate find the evidence written.
func init() {
	registerAnalyze(analyzeExtension{Order: 10, flags: evidenceFlags, prepare: evidencePrepare, background: evidenceReport})
}

// defaultFailures is how many first failures the default evidence holds;
// half as many answered attempts come with them for contrast.
const defaultFailures = 3

// maxReportLadders bounds the failures drawn in the HTML report: the first
// few tell the story, the pcapng holds the rest.
const maxReportLadders = 3

// evidenceState is one analyze command's evidence flags; newAnalyze binds
// them anew for every command, which resets it (as the gate does).
var evidenceState struct {
	out     string
	ladders bool
	flags   *pflag.FlagSet
}

func evidenceFlags(fl *pflag.FlagSet) {
	evidenceState.flags = fl
	fl.StringVar(&evidenceState.out, "evidence", "", "write the packets of the first failures, and of a few attempts answered just before them, to `FILE` (pcapng; each packet's comment names the finding); their ladders go into the HTML report")
	fl.BoolVar(&embedSecrets, "embed-secrets", false, "put the TLS secrets of the evidence's connections, and only theirs, into the pcapng (a Decryption Secrets Block, from --keylog), so that Wireshark opens them on its own")
	fl.BoolVar(&evidenceState.ladders, "ladders", true, "draw the message ladders of the first failures and of one answered attempt in the HTML report (the captures are read a second time; --ladders=false skips it)")
}

// evidencePrepare refuses what cannot work before the analysis runs.
func evidencePrepare(*pipeline.Config) error {
	if evidenceState.out == "-" {
		return usageErr("--evidence -: stdout carries the text summary; give a file, or use ceiling extract -o -")
	}
	return nil
}

// evidenceReport cuts the evidence before any report is written, so that
// the ladders are in the HTML report the first time it is written. The
// cut runs in the background (analyzeExtension.background); what it
// prints, and the ladders, wait for the wait it returns.
func evidenceReport(run *analyzeRun) (wait func() error) {
	none := func() error { return nil }
	html := ""
	if evidenceState.flags != nil {
		if f := evidenceState.flags.Lookup("html"); f != nil {
			html = f.Value.String()
		}
	}
	wantLadders := evidenceState.ladders && html != ""
	if evidenceState.out == "" && !wantLadders {
		return none
	}
	if !hasCapture(run.Doc) {
		if evidenceState.out != "" {
			fmt.Fprintln(run.Stderr, "ceiling: --evidence: no capture among the inputs, no packets to write")
		}
		return none
	}
	// The state is read here, not on the goroutine: it is the command's,
	// and another command (a test's) may bind it anew.
	out := evidenceState.out
	var (
		sum  *evidence.Summary
		sel  evidence.Selection
		err  error
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		sel = evidence.Default(run.Doc.Result, defaultFailures)
		sum, err = cutEvidence(run.Cfg, run.Doc, sel, out, evidence.Options{}, run.Stdout)
	}()
	return func() error {
		<-done
		if err != nil {
			return err
		}
		if out != "" && !run.Quiet {
			fmt.Fprintf(run.Stderr, "ceiling: wrote %s (%s)\n", out, evidenceCount(sum))
		}
		if wantLadders {
			run.Doc.Ladders = reportLadders(sel, sum)
			if run.Shown != run.Doc && redactLadders != nil {
				run.Shown.Ladders = redactLadders(run.Doc.Ladders)
			}
		}
		return nil
	}
}

func hasCapture(d *report.Document) bool {
	for _, in := range d.Inputs {
		switch in.Kind {
		case "pcap", "pcapng", "netmon":
			return true
		}
	}
	return false
}

// evidenceHooks adjust the evidence options of every command that writes
// evidence (analyze --evidence, extract): redaction registers its
// Options.Rewrite here, from its own file, in an init function.
var evidenceHooks []func(*evidence.Options) error

// embedSecrets is --embed-secrets: the chosen TLS connections' secrets
// (from --keylog) go into the evidence pcapng as a secrets block.
var embedSecrets bool

// cutEvidence reads the run's captures again for the chosen attempts,
// writes the pcapng to path (none when path is ""), and returns what it
// found, the ladders among it.
func cutEvidence(cfg *pipeline.Config, doc *report.Document, sel evidence.Selection, path string, opts evidence.Options, stdout io.Writer) (*evidence.Summary, error) {
	opts.Paths, opts.Names = cfg.Paths, cfg.DisplayNames
	opts.Pcap, opts.SIP = cfg.Capture.Pcap, cfg.Capture.SIP
	if embedSecrets && len(cfg.KeyLogs) > 0 && path != "" {
		// The run's key logs, read again: only the chosen connections'
		// lines go into the file.
		log, _, err := pipeline.ReadKeyLogs(cfg.KeyLogs, nil)
		if err != nil {
			return nil, &exitError{code: ExitBadInput, err: err}
		}
		opts.Secrets = log
	}
	if opts.Tool == "" {
		opts.Tool = cfg.Tool
	}
	for _, h := range evidenceHooks {
		if err := h(&opts); err != nil {
			return nil, err
		}
	}
	var sum *evidence.Summary
	extract := func(w io.Writer) error {
		var err error
		sum, err = evidence.Extract(w, doc.Result, sel, opts)
		return err
	}
	var err error
	if path == "" {
		err = extract(nil)
	} else {
		err = writeTo(path, stdout, whole(doc, extract))
	}
	if err != nil {
		return nil, &exitError{code: ExitOutput, err: fmt.Errorf("evidence: %w", err)}
	}
	return sum, nil
}

// reportLadders keeps, for the HTML report, the ladders of the first few
// failures and of one answered attempt.
func reportLadders(sel evidence.Selection, sum *evidence.Summary) []report.Ladder {
	var out []report.Ladder
	failures, answered := 0, 0
	for i, it := range sel.Items {
		switch it.Role {
		case evidence.RoleContrast, evidence.RolePeak:
			if answered == 0 {
				out = append(out, sum.Ladders[i])
			}
			answered++
		default:
			if failures < maxReportLadders {
				out = append(out, sum.Ladders[i])
			}
			failures++
		}
	}
	return out
}

// evidenceCount says in a few words what the file holds.
func evidenceCount(sum *evidence.Summary) string {
	onWire := 0
	for _, a := range sum.Attempts {
		if a.Wire {
			onWire++
		}
	}
	s := fmt.Sprintf("%s of %s", plural(int(sum.Frames), "packet"), plural(len(sum.Attempts), "attempt"))
	if n := len(sum.Attempts) - onWire; n > 0 {
		s += fmt.Sprintf("; %d known only from the JTL have none", n)
	}
	if sum.Lost > 0 {
		s += fmt.Sprintf("; %d packets could not be found again in a damaged capture", sum.Lost)
	}
	return s
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
