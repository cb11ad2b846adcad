package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// exitError carries an exit code out of a cobra command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

// invocation is the command line run was given, for the reports' record
// (tests run the CLI in-process, where os.Args is the test binary's).
var invocation []string

// run is the whole CLI with its world injected, so tests run it in-process.
func run(args []string, stdout, stderr io.Writer) int {
	invocation = args
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintf(stderr, "ceiling: %v\n", ee.err)
		}
		return ee.code
	}
	// Cobra's own errors: unknown flags, wrong arguments.
	fmt.Fprintf(stderr, "ceiling: %v\nRun 'ceiling --help' for usage.\n", err)
	return ExitUsage
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "ceiling",
		Short: "Find the concurrency at which a SIP edge began refusing work, and the layer that refused",
		Long: `ceiling reads what a JMeter spike test wrote (JTL files, CSV or XML) and what a
packet capture saw (pcap, pcapng, gzip of either), ties them together call by
call (by SIP Call-ID, trace ID, or time), and answers one question with
evidence: at what concurrency did the edge start refusing work (503, 429,
refused connections, timeouts), and at which layer did it refuse first?

Start with the demo, which ships inside the binary:

  ceiling analyze --demo -o report.html

Then run it on your own test:

  ceiling analyze results.jtl capture.pcapng -o report.html --json summary.json`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newAnalyze(stdout, stderr), newExtract(stdout, stderr), newCompare(stdout, stderr), newVersion(stdout))
	return root
}
