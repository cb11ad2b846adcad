package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/ceiling-dev/ceiling/gate"
	"github.com/ceiling-dev/ceiling/report"
)

func newCompare(stdout, stderr io.Writer) *cobra.Command {
	var tolerance, jsonOut string
	cmd := &cobra.Command{
		Use:   "compare [flags] OLD.json NEW.json",
		Short: "Compare two JSON summaries: did the ceiling move, which layer changed",
		Long: `compare reads two JSON summaries written by analyze --json (schema
ceiling.summary/v1), the last good run and this one, and prints one table:
per layer, attempts, failures, failure ratio, first failure (status and
concurrency) and sustained breakpoint, each as OLD → NEW; then a verdict
line (the ceiling moved up or down by N, the layer changed from X to Y).

It exits 5 on a regression, when in NEW:
  - a layer failed that had not failed in OLD;
  - a layer's first failure came at a concurrency lower than OLD's by more
    than --tolerance (default 5%);
  - a lower layer failed first (websocket instead of sip).
and 0 otherwise; 3 when a file is not a v1 summary, 2 on a usage error.

Examples:
  ceiling compare baseline.json summary.json
  ceiling compare --tolerance 10% baseline.json summary.json
  ceiling compare --json - baseline.json summary.json | jq .regressions`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCompare(args[0], args[1], tolerance, jsonOut, stdout)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&tolerance, "tolerance", "5%", "how far a first failure may fall before it is a regression: a percentage (5%) or a fraction (0.05)")
	fl.StringVar(&jsonOut, "json", "", "write the comparison as JSON (schema ceiling.compare/v1) to `FILE`; - for stdout, instead of the table")
	return cmd
}

func runCompare(oldPath, newPath, tolerance, jsonOut string, stdout io.Writer) error {
	tol, err := gate.ParseRatio(tolerance)
	if err != nil {
		return usageErr("--tolerance: %v", err)
	}
	before, err := readSummary(oldPath)
	if err != nil {
		return err
	}
	after, err := readSummary(newPath)
	if err != nil {
		return err
	}
	c := gate.Compare(before, after, tol)
	c.Old, c.New = oldPath, newPath

	if jsonOut != "-" {
		if err := c.WriteText(stdout); err != nil {
			return &exitError{code: ExitOutput, err: err}
		}
	}
	if jsonOut != "" {
		err := writeTo(jsonOut, stdout, func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(c)
		})
		if err != nil {
			return &exitError{code: ExitOutput, err: err}
		}
	}
	if c.Regression {
		// The table already says why; the code is for the CI job.
		return &exitError{code: ExitRegression, err: errors.New("")}
	}
	return nil
}

// readSummary opens and checks one summary; any failure is bad input,
// named with the path.
func readSummary(path string) (*report.Summary, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &exitError{code: ExitBadInput, err: err}
	}
	defer f.Close()
	s, err := gate.ReadSummary(f)
	if err != nil {
		return nil, &exitError{code: ExitBadInput, err: fmt.Errorf("%s: %v", path, err)}
	}
	return s, nil
}
