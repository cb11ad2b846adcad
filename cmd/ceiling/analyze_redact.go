package main

import (
	"net/netip"

	"github.com/spf13/pflag"

	"github.com/ceiling-dev/ceiling/report/evidence"
	"github.com/ceiling-dev/ceiling/report/redact"
)

// analyze --redact: every output for sharing. One Redactor for the run,
// so that a number or an address has the same pseudonym in the report,
// the JSON, the CSV and the pcapng. It runs first (Order 5): the evidence
// (10) is cut through it, the reports show its copy.
func init() {
	registerAnalyze(analyzeExtension{Order: 5, flags: redactFlags, report: redactReport})
	evidenceHooks = append(evidenceHooks, func(o *evidence.Options) error {
		if r := redactState.r; r != nil {
			// Never secrets in what is shared.
			o.Secrets = nil
			o.Rewrite = r.Rewrite
			o.Comment = r.String
			o.Bare = true // no host or file names in the file's metadata
		}
		return nil
	})
}

var redactState struct {
	on bool
	r  *redact.Redactor
}

func redactFlags(fl *pflag.FlagSet) {
	fl.BoolVar(&redactState.on, "redact", false, "in every output (text, HTML, JSON, evidence, bundle), replace phone numbers, SIP user parts and the client side's addresses (everything but the edge's) with stable pseudonyms, the pcapng included; Call-IDs and trace IDs are kept")
}

func redactReport(run *analyzeRun) error {
	redactState.r = nil
	redactLadders = nil
	if !redactState.on {
		return nil
	}
	edges := redact.Edges(run.Doc.Result)
	for _, e := range run.Cfg.Correlate.Edges {
		edges = append(edges, e.Addr())
	}
	r := redact.New(redact.Options{Edges: uniqueAddrs(edges)})
	// The Document first: it teaches the Redactor the Call-IDs, so that
	// the ladders and comments that name them match.
	run.Shown = r.Document(run.Doc)
	redactState.r = r
	redactLadders = r.Ladders
	return nil
}

func uniqueAddrs(as []netip.Addr) []netip.Addr {
	seen := map[netip.Addr]bool{}
	var out []netip.Addr
	for _, a := range as {
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out
}
