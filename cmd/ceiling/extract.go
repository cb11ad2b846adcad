package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ceiling-dev/ceiling/correlate"
	"github.com/ceiling-dev/ceiling/pipeline"
	"github.com/ceiling-dev/ceiling/report/evidence"
)

type extractFlags struct {
	analyzeFlags
	out        string
	callIDs    []string
	traceIDs   []string
	layers     []string
	statuses   []string
	from, to   string
	max        int
	bare       bool
	noComments bool
}

func newExtract(stdout, stderr io.Writer) *cobra.Command {
	var f extractFlags
	cmd := &cobra.Command{
		Use:   "extract [flags] FILE...",
		Short: "Cut the packets of chosen attempts out of the captures, as a commented pcapng",
		Long: `extract runs the analysis on the same inputs as analyze, then reads the
captures a second time and writes the packets of chosen attempts to one
pcapng file that opens in Wireshark and tshark. Every packet carries a
comment naming the finding and the attempt ("first SIP 503 at 101 dialogs,
Call-ID …", "contrast: answered 200 at 100 dialogs, …").

Which attempts: with no filter, the first failures of the failing layer
from the first-failure breakpoint on, the attempt at the sustained
breakpoint, and a few attempts answered just before the first failure, for
contrast. With filters, the attempts the load generator made that match
every filter given (a list matches when any of its values does).

An attempt's packets: a SIP dialog is every datagram with its Call-ID, on
every leg (the edge's legs to backends included), and over TCP or
WebSocket its connection; a TCP, TLS, HTTP or WebSocket attempt is its TCP
connection from the first SYN (retransmissions, the RST of a refusal, the
close). A datagram rebuilt from IP fragments is written as its fragments.
The captures are streamed: memory does not grow with their size.

The attempts chosen are listed on stdout (on stderr with -o -).

Examples:
  ceiling extract --demo -o evidence.pcapng
  ceiling extract results.jtl edge.pcapng --call-id 'a84b4c76e66710@pc33' -o call.pcapng
  ceiling extract edge.pcapng --layer tcp --status refused --max 10 -o refused.pcapng
  ceiling extract edge.pcapng --from 40 --to 45 --status failed -o wall.pcapng
  ceiling extract edge.pcapng -o - | tshark -r - -T fields -e frame.comment`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExtract(&f, args, stdout, stderr)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.out, "output", "o", "evidence.pcapng", "write the pcapng to `FILE` (- for stdout)")
	fl.StringSliceVar(&f.callIDs, "call-id", nil, "the SIP dialogs with this `Call-ID` (repeatable, or comma-separated)")
	fl.StringSliceVar(&f.traceIDs, "trace-id", nil, "the attempts with this trace `ID` (repeatable, or comma-separated)")
	fl.StringSliceVar(&f.layers, "layer", nil, "the attempts at this `LAYER`: client, tcp, tls, http, websocket, sip")
	fl.StringSliceVar(&f.statuses, "status", nil, "the attempts whose layer said `STATUS`: 503, 429, refused, timeout, alert:handshake_failure, …; failed for every failure, answered for every success")
	fl.StringVar(&f.from, "from", "", "the attempts made at or after `TIME`: RFC 3339 (2026-11-25T10:00:41Z) or seconds since the first attempt (41.2)")
	fl.StringVar(&f.to, "to", "", "the attempts made at or before `TIME` (as --from)")
	fl.IntVar(&f.max, "max", 0, "at most `N` attempts, the earliest first (with no filter: the first N failures; default 3)")
	fl.BoolVar(&f.bare, "bare", false, "write the packets and their comments only: no tool, host or input file names in the file")
	fl.BoolVar(&f.noComments, "no-comments", false, "leave out the packet comments (they name Call-IDs and addresses)")
	fl.BoolVar(&embedSecrets, "embed-secrets", false, "put the TLS secrets of the chosen connections, and only theirs, into the pcapng (a Decryption Secrets Block, from --keylog)")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "list nothing")
	f.analysisFlags(fl)
	return cmd
}

func runExtract(f *extractFlags, args []string, stdout, stderr io.Writer) error {
	// Everything that can be wrong with the command line is found before
	// the analysis, which may take a while.
	var filter evidence.Filter
	filter.CallIDs, filter.TraceIDs = f.callIDs, f.traceIDs
	for _, s := range f.layers {
		l, ok := correlate.ParseLayer(strings.ToLower(strings.TrimSpace(s)))
		if !ok || l == correlate.LayerNone {
			return usageErr("--layer %q: want client, tcp, tls, http, websocket or sip", s)
		}
		filter.Layers = append(filter.Layers, l)
	}
	for _, s := range f.statuses {
		filter.Statuses = append(filter.Statuses, strings.TrimSpace(s))
	}
	from, err := parseWhen(f.from)
	if err != nil {
		return usageErr("--from: %v", err)
	}
	to, err := parseWhen(f.to)
	if err != nil {
		return usageErr("--to: %v", err)
	}
	if f.max < 0 {
		return usageErr("--max must be positive")
	}

	cfg, cleanup, err := f.analysisConfig(args, stderr)
	defer cleanup()
	if err != nil {
		return err
	}
	doc, err := pipeline.Run(cfg)
	if err != nil {
		return runError(err)
	}
	defer doc.Result.Close()
	res := doc.Result
	filter.From, filter.To = from.at(res.Start), to.at(res.Start)

	var sel evidence.Selection
	if filter.Empty() {
		n := f.max
		if n == 0 {
			n = defaultFailures
		}
		sel = evidence.Default(res, n)
	} else {
		filter.Max = f.max
		sel = filter.Select(res)
	}
	list := stdout
	if f.out == "-" {
		list = stderr
	}
	if len(sel.Items) == 0 {
		fmt.Fprintln(stderr, "ceiling: extract: no attempt matches; the file holds no packet")
	}
	opts := evidence.Options{Bare: f.bare, NoComments: f.noComments}
	sum, err := cutEvidence(&cfg, doc, sel, f.out, opts, stdout)
	if err != nil {
		return err
	}
	if f.quiet {
		return nil
	}
	for _, a := range sum.Attempts {
		what := plural(int(a.Frames), "packet")
		if !a.Wire {
			what = "no packet (known only from the JTL)"
		}
		fmt.Fprintf(list, "%-12s %s\n", what, a.Why)
	}
	if f.out != "-" {
		fmt.Fprintf(list, "ceiling: wrote %s (%s)\n", f.out, evidenceCount(sum))
	}
	return nil
}

// when is a time given on the command line: absolute, or seconds since the
// first attempt.
type when struct {
	abs int64 // Unix ns
	rel float64
	set bool
	isR bool
}

func parseWhen(s string) (when, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return when{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return when{abs: t.UnixNano(), set: true}, nil
	}
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "s"), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || v > 1e9 {
		return when{}, errors.New("want an RFC 3339 time (2026-11-25T10:00:41.5Z) or seconds since the first attempt (41.5)")
	}
	return when{rel: v, set: true, isR: true}, nil
}

// at is the time in Unix ns, given the first attempt's; zero when unset.
func (w when) at(start int64) int64 {
	switch {
	case !w.set:
		return 0
	case w.isR:
		return start + int64(math.Round(w.rel*1e9))
	}
	return w.abs
}
