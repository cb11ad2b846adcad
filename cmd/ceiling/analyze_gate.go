package main

import (
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/ceiling-dev/ceiling/gate"
	"github.com/ceiling-dev/ceiling/pipeline"
	"github.com/ceiling-dev/ceiling/report"
)

// The CI gate: analyze --fail-on and --junit. It runs last (Order 90), so
// that every other report and the bundle are written before the exit code
// says the job failed: a failed gate is when they are needed most.
func init() {
	registerAnalyze(analyzeExtension{Order: 90, flags: gateFlags, prepare: gatePrepare, after: gateAfter})
}

// gateState is one analyze command's gate. The extension hooks carry no
// state of their own, so it lives here; newAnalyze binds the flags anew
// for every command, which resets it.
var gateState struct {
	failOn   []string
	junit    string
	flags    *pflag.FlagSet
	criteria []gate.Criterion
}

func gateFlags(fl *pflag.FlagSet) {
	gateState.criteria = nil
	gateState.flags = fl
	// StringArray, not StringSlice: StringSlice splits on commas as CSV,
	// which would break a quoted word holding a comma; gate.Parse splits
	// criteria itself, minding quotes.
	fl.StringArrayVar(&gateState.failOn, "fail-on", nil, "exit 1 when a `CRITERION` holds, e.g. 'layer!=none' or 'sip.first_failure.concurrency<200,sip.failure_ratio>1%' (comma-separated, repeatable; see README, CI)")
	fl.StringVar(&gateState.junit, "junit", "", "write JUnit XML to `FILE` for CI: a test case per layer and per --fail-on criterion (- for stdout)")
	// Another extension may define --verbose first; the gate then follows it.
	if fl.Lookup("verbose") == nil {
		fl.Bool("verbose", false, "also print the --fail-on criteria that passed")
	}
}

// gatePrepare reads the criteria before the analysis, so that a typo
// costs a second, not a whole analysis.
func gatePrepare(*pipeline.Config) error {
	gateState.criteria = nil
	for _, s := range gateState.failOn {
		cs, err := gate.Parse(s)
		if err != nil {
			return usageErr("--fail-on: %v", err)
		}
		gateState.criteria = append(gateState.criteria, cs...)
	}
	return nil
}

func gateAfter(run *analyzeRun) error {
	if len(gateState.criteria) == 0 && gateState.junit == "" {
		return nil
	}
	verbose := false
	if gateState.flags != nil {
		// A --verbose defined by another extension as something else than
		// a bool reads as false.
		verbose, _ = gateState.flags.GetBool("verbose")
	}
	outcomes := gate.Evaluate(report.NewSummary(run.Doc), gateState.criteria)
	failed := gate.Failures(outcomes)
	for _, o := range outcomes {
		if o.Failed || verbose {
			fmt.Fprintln(run.Stderr, o)
		}
	}
	if len(outcomes) > 0 && !run.Quiet {
		switch {
		case failed > 0:
			fmt.Fprintf(run.Stderr, "ceiling: --fail-on: %d of %d criteria failed\n", failed, len(outcomes))
		case verbose:
			fmt.Fprintf(run.Stderr, "ceiling: --fail-on: all %d criteria passed\n", len(outcomes))
		}
	}

	if gateState.junit != "" {
		checks := make([]report.JUnitCheck, 0, len(outcomes))
		for _, o := range outcomes {
			checks = append(checks, report.JUnitCheck{Name: o.Criterion.Text, Failed: o.Failed, Message: o.Message()})
		}
		err := writeTo(gateState.junit, run.Stdout, whole(run.Doc, func(w io.Writer) error { return report.WriteJUnit(w, run.Doc, checks) }))
		if err != nil {
			return &exitError{code: ExitOutput, err: err}
		}
		if !run.Quiet && gateState.junit != "-" {
			fmt.Fprintf(run.Stderr, "ceiling: wrote %s\n", gateState.junit)
		}
	}
	// Raise the exit code, never replace another extension's.
	if failed > 0 && run.Exit == ExitOK {
		run.Exit = ExitFailed
	}
	return nil
}
