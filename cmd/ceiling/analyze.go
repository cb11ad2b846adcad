package main

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ceiling-dev/ceiling"
	"github.com/ceiling-dev/ceiling/parse"
	"github.com/ceiling-dev/ceiling/pipeline"
	"github.com/ceiling-dev/ceiling/report"
)

type analyzeFlags struct {
	demo        bool
	html        string
	jsonOut     string
	pngDir      string
	quiet       bool
	clockOffset string
	ts          string
	columns     string
	tsFormat    string
	tz          string
	window      time.Duration
	edges       []string
	timerB      time.Duration
	callIDVars  []string
	traceHdrs   []string
	sipCorr     []string
	keylogs     []string
	tempDir     string
}

func newAnalyze(stdout, stderr io.Writer) *cobra.Command {
	var f analyzeFlags
	cmd := &cobra.Command{
		Use:   "analyze [flags] FILE...",
		Short: "Analyse JTL files and captures: the verdict, breakpoints and reports",
		Long: `analyze reads JMeter results and packet captures, in any mix and order, and
says at what concurrency the edge began refusing work and at which layer.

Inputs are told apart by their content, not their names: JTL CSV (with or
without a header, delimiters , ; tab |), JTL XML, pcap, pcapng, and gzip of
any of them. Give every JTL of a distributed run (one per load generator):
they are merged in time order and their threads are summed.

What comes out:
  stdout             a short text summary: the verdict, breakpoints, counts
  -o, --html FILE    one self-contained HTML report (charts, tables; no network)
  --json FILE        the JSON summary (schema ceiling.summary/v1) for CI jobs
  --png DIR          the report's charts as PNG files
  --evidence FILE    a pcapng of the first failures' packets (and a few answered
                     just before them), each packet commented with the finding
  --junit FILE       JUnit XML: a test case per layer and per --fail-on criterion
  --fail-on CRIT     exit 1 when a criterion holds ('sip.first_failure.concurrency<200')

Concurrency is counted in the failing layer's own units from the capture
(SIP: dialogs in progress at the edge, counting the rejected INVITE
itself); without a capture, as samples in flight in the JTL. JMeter's
allThreads is reported beside it.

Examples:
  ceiling analyze --demo -o report.html
  ceiling analyze results.jtl edge.pcapng -o report.html --json summary.json
  ceiling analyze gen1.jtl gen2.jtl capture.pcap.gz --edge 10.0.0.5:5060
  ceiling analyze results.csv --ts end --timestamp-format "yyyy/MM/dd HH:mm:ss.SSS"`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAnalyze(cmd, &f, args, stdout, stderr)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.html, "html", "o", "", "write the HTML report to `FILE`")
	fl.StringVar(&f.jsonOut, "json", "", "write the JSON summary to `FILE` (- for stdout)")
	fl.StringVar(&f.pngDir, "png", "", "write the charts as PNG files into `DIR`")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "print nothing on stdout unless asked (--json -)")
	f.analysisFlags(fl)
	for _, ext := range analyzeExtensions {
		ext.flags(fl)
	}
	return cmd
}

// analysisFlags are the flags that say how to read the inputs, shared by
// every command that runs the analysis (analyze, extract).
func (f *analyzeFlags) analysisFlags(fl *pflag.FlagSet) {
	fl.BoolVar(&f.demo, "demo", false, "analyse the demo spike test shipped inside ceiling (JMeter against kamailio limited to 100 dialogs)")
	fl.StringVar(&f.clockOffset, "clock-offset", "", "capture clock minus JMeter clock (e.g. 1.5s, -200ms), instead of estimating it from matched calls")
	fl.StringVar(&f.ts, "ts", "start", "what JTL timeStamp means: start (stock JMeter) or end (sampleresult.timestamp.start=false)")
	fl.StringVar(&f.columns, "jtl-columns", "", "comma-separated column names of a header-less JTL CSV (default: JMeter 5.x's)")
	fl.StringVar(&f.tsFormat, "timestamp-format", "", "JTL timestamp format if not epoch ms: jmeter.save.saveservice.timestamp_format, e.g. \"yyyy/MM/dd HH:mm:ss.SSS\"")
	fl.StringVar(&f.tz, "tz", "Local", "time zone of formatted JTL timestamps (IANA name, e.g. Europe/Paris, or UTC)")
	fl.DurationVar(&f.window, "reorder-window", 60*time.Second, "how late a JTL row may come after later-starting rows and still be put in order")
	fl.StringSliceVar(&f.edges, "edge", nil, "edge `ADDR:PORT` the load generator targets (repeatable); default: wherever its INVITEs went")
	fl.DurationVar(&f.timerB, "timer-b", 32*time.Second, "how long an INVITE waits for a final answer before it counts as timed out")
	fl.StringSliceVar(&f.callIDVars, "call-id-var", nil, "JTL sample variable(s) holding the SIP Call-ID (default: callId, call_id, call-id, sipCallId)")
	fl.StringSliceVar(&f.traceHdrs, "trace-header", nil, "header or variable names carrying a trace ID (default: x-trace-id, X-Request-Id, ININ-Correlation-Id, traceparent, *-trace-id, *-correlation-id)")
	fl.StringSliceVar(&f.sipCorr, "sip-correlation-header", nil, "SIP headers to keep as correlation IDs (default: X-Inin-Cnv, *-correlation-id, *-trace-id, …)")
	fl.StringVar(&f.tempDir, "temp-dir", "", "folder for the temporary file that holds the attempts beyond a few MB of memory (default: $TMPDIR or /tmp; deleted at once; about 110 bytes an attempt, twice that at the end: 125 MB for 1 GB of signalling)")
	fl.StringArrayVar(&f.keylogs, "keylog", nil, "NSS key log `FILE` (SSLKEYLOGFILE) to decrypt TLS: SIP over TLS, HTTPS, WSS (repeatable; pcapng secrets blocks are read too)")
}

// analyzeRun is what an extension of analyze sees once the analysis ran.
type analyzeRun struct {
	Cfg *pipeline.Config
	// Doc is the analysis as it is; Shown is what the reports show: Doc,
	// or its redacted copy (--redact). Evidence is cut with Doc, whose
	// addresses are the capture's.
	Doc    *report.Document
	Shown  *report.Document
	Stdout io.Writer
	Stderr io.Writer
	Quiet  bool
	// Exit is the exit code so far; an extension may raise it (a failed
	// CI criterion).
	Exit int
}

// analyzeExtension adds flags to analyze and a step after its reports:
// evidence, the support bundle, the CI gate. Each lives in its own file
// and registers itself in an init function; steps run in order of Order,
// lowest first.
type analyzeExtension struct {
	Order int
	flags func(*pflag.FlagSet)
	// prepare may change the configuration before the analysis runs.
	prepare func(*pipeline.Config) error
	// report runs once the analysis is done and before any report is
	// written: what it adds to the Document (ladders) is in every format.
	report func(*analyzeRun) error
	// background is report for a step that may run beside the reports'
	// own work (the evidence cut, a second read of the captures, beside
	// the HTML report's charts): it starts the step on a goroutine, which
	// only reads the Document, and returns what waits for the step and
	// finishes it (its messages, what it adds to the Document). analyze
	// waits before it writes any report, and on every way out.
	background func(*analyzeRun) (wait func() error)
	after      func(*analyzeRun) error
}

var analyzeExtensions []analyzeExtension

func registerAnalyze(e analyzeExtension) {
	analyzeExtensions = append(analyzeExtensions, e)
	sort.SliceStable(analyzeExtensions, func(i, j int) bool { return analyzeExtensions[i].Order < analyzeExtensions[j].Order })
}

func usageErr(format string, a ...interface{}) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, a...)}
}

// analysisConfig turns the analysis flags and the inputs into the
// pipeline's configuration. cleanup removes what it made (the demo's files);
// it is not nil even on error.
func (f *analyzeFlags) analysisConfig(args []string, stderr io.Writer) (cfg pipeline.Config, cleanup func(), err error) {
	cleanup = func() {}
	cfg = pipeline.Config{
		Paths:   args,
		Tool:    "ceiling " + toolVersion(),
		Command: append([]string{"ceiling"}, invocation...),
	}
	if f.demo {
		dir, err := os.MkdirTemp("", "ceiling-demo-")
		if err != nil {
			return cfg, cleanup, &exitError{code: ExitOutput, err: err}
		}
		cleanup = func() { os.RemoveAll(dir) }
		paths, names, err := ceiling.WriteDemo(dir)
		if err != nil {
			return cfg, cleanup, &exitError{code: ExitOutput, err: err}
		}
		cfg.Paths = append(paths, cfg.Paths...)
		cfg.DisplayNames = append(names, cfg.Paths[len(paths):]...)
	}
	if len(cfg.Paths) == 0 {
		return cfg, cleanup, usageErr("no input files: give JTL files and captures, or --demo")
	}
	switch f.ts {
	case "start":
	case "end":
		cfg.JTL.TimestampAtEnd = true
	default:
		return cfg, cleanup, usageErr("--ts must be start or end, not %q", f.ts)
	}
	if f.columns != "" {
		for _, c := range strings.Split(f.columns, ",") {
			cfg.JTL.Columns = append(cfg.JTL.Columns, strings.TrimSpace(c))
		}
	}
	cfg.JTL.TimestampFormat = f.tsFormat
	loc, err := time.LoadLocation(f.tz)
	if err != nil {
		return cfg, cleanup, usageErr("--tz: %v", err)
	}
	cfg.JTL.Location = loc
	cfg.JTL.Window = f.window
	cfg.JTL.CallIDVars = f.callIDVars
	cfg.JTL.TraceHeaders = f.traceHdrs
	cfg.Capture.SIP.CorrelationHeaders = f.sipCorr
	cfg.Capture.TraceHeaders = f.traceHdrs
	cfg.KeyLogs = f.keylogs
	if f.clockOffset != "" {
		d, err := time.ParseDuration(f.clockOffset)
		if err != nil {
			return cfg, cleanup, usageErr("--clock-offset: %v", err)
		}
		cfg.Correlate.ClockOffset = &d
	}
	for _, e := range f.edges {
		ap, err := netip.ParseAddrPort(e)
		if err != nil {
			return cfg, cleanup, usageErr("--edge %q: want ADDR:PORT, e.g. 10.0.0.5:5060 or [2001:db8::1]:5061", e)
		}
		cfg.Correlate.Edges = append(cfg.Correlate.Edges, ap)
	}
	if f.timerB <= 0 {
		return cfg, cleanup, usageErr("--timer-b must be positive")
	}
	cfg.Correlate.TimerB = f.timerB
	cfg.Correlate.Spill.Dir = f.tempDir

	// The first problems are printed as they are found; the rest are
	// counted in the summary.
	shown := 0
	cfg.Notify = func(p parse.Problem) {
		shown++
		if shown <= 10 {
			fmt.Fprintf(stderr, "ceiling: skipped: %s\n", p.Error())
		} else if shown == 11 {
			fmt.Fprintf(stderr, "ceiling: more problems skipped; the summary counts them all\n")
		}
	}
	return cfg, cleanup, nil
}

func runAnalyze(cmd *cobra.Command, f *analyzeFlags, args []string, stdout, stderr io.Writer) error {
	cfg, cleanup, err := f.analysisConfig(args, stderr)
	defer cleanup()
	if err != nil {
		return err
	}

	for _, ext := range analyzeExtensions {
		if ext.prepare != nil {
			if err := ext.prepare(&cfg); err != nil {
				return err
			}
		}
	}

	var prog *progress
	if !f.quiet && isTerminal(stderr) {
		cfg.OnOpen = func(in []*parse.Input) { prog = startProgress(stderr, in, 250*time.Millisecond) }
	}
	doc, err := pipeline.Run(cfg)
	prog.end()
	if err != nil {
		return runError(err)
	}
	defer doc.Result.Close()

	run := &analyzeRun{Cfg: &cfg, Doc: doc, Shown: doc, Stdout: stdout, Stderr: stderr, Quiet: f.quiet}
	// The steps in the background are waited for in order, each to the
	// end, so that their messages and errors come as if they had run in
	// line: the first error among them is the one reported.
	var pending []func() error
	wait := func() error {
		var first error
		for _, w := range pending {
			if err := w(); err != nil && first == nil {
				first = err
			}
		}
		pending = nil
		return first
	}
	for _, ext := range analyzeExtensions {
		switch {
		case ext.report != nil:
			if err := ext.report(run); err != nil {
				if werr := wait(); werr != nil {
					return werr
				}
				return err
			}
		case ext.background != nil:
			pending = append(pending, ext.background(run))
		}
	}
	doc = run.Shown
	var html *report.HTML
	if f.html != "" && len(pending) > 0 && run.Shown == run.Doc {
		// The HTML report's charts and tables, a pass over every attempt,
		// while the evidence is cut on the other core. Both only read the
		// Result, whose reads are safe from several goroutines. Not with
		// --redact: the Redactor names numbers and addresses in the order
		// it meets them, and the pcapng and the report must name them the
		// same from run to run.
		html = report.NewHTML(doc)
	}
	if err := wait(); err != nil {
		return err
	}
	if !f.quiet && f.jsonOut != "-" {
		if err := report.WriteText(stdout, doc); err != nil {
			return &exitError{code: ExitOutput, err: err}
		}
	}
	if f.jsonOut != "" {
		if err := writeTo(f.jsonOut, stdout, whole(doc, func(w io.Writer) error { return report.WriteJSON(w, doc) })); err != nil {
			return &exitError{code: ExitOutput, err: err}
		}
	}
	if f.html != "" {
		if html == nil {
			html = report.NewHTML(doc)
		}
		if err := writeTo(f.html, stdout, whole(doc, html.Write)); err != nil {
			return &exitError{code: ExitOutput, err: err}
		}
		if !f.quiet {
			fmt.Fprintf(stderr, "ceiling: wrote %s\n", f.html)
		}
	}
	if f.pngDir != "" {
		files, err := report.WritePNG(f.pngDir, doc)
		if err != nil {
			return &exitError{code: ExitOutput, err: err}
		}
		if !f.quiet {
			fmt.Fprintf(stderr, "ceiling: wrote %d charts to %s\n", len(files), f.pngDir)
		}
	}
	for _, ext := range analyzeExtensions {
		if ext.after != nil {
			if err := ext.after(run); err != nil {
				return err
			}
		}
	}
	if err := doc.Result.Err(); err != nil {
		// Read back wrong while the reports were written: they are void.
		return &exitError{code: ExitOutput, err: &pipeline.TempError{Err: err}}
	}
	if run.Exit != ExitOK {
		return &exitError{code: run.Exit, err: errors.New("")}
	}
	return nil
}

// whole writes a report, then makes sure the attempts it was made from
// read back whole from their temporary file: writeTo does not put a
// report made from records that read back wrong in place.
func whole(d *report.Document, write func(io.Writer) error) func(io.Writer) error {
	return func(w io.Writer) error {
		if err := write(w); err != nil {
			return err
		}
		if d != nil && d.Result != nil {
			if err := d.Result.Err(); err != nil {
				return &pipeline.TempError{Err: err}
			}
		}
		return nil
	}
}

// runError is the exit for a failed analysis: the temporary files are an
// output the machine could not write; anything else, the inputs.
func runError(err error) error {
	var te *pipeline.TempError
	if errors.As(err, &te) {
		return &exitError{code: ExitOutput, err: err}
	}
	return &exitError{code: ExitBadInput, err: err}
}

// writeTo writes to path atomically (a temporary file renamed into place,
// so a CI artifact is never half a report), or to stdout for "-".
func writeTo(path string, stdout io.Writer, write func(io.Writer) error) error {
	if path == "-" {
		return write(stdout)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	if err := write(tmp); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
