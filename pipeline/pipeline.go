// Package pipeline runs ceiling's one job: open the inputs, tell them
// apart, stream captures and JTL files through correlate, and hand the
// result to report as a Document. The CLI is a thin shell over Run.
package pipeline

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/ceiling-dev/ceiling/correlate"
	"github.com/ceiling-dev/ceiling/parse"
	"github.com/ceiling-dev/ceiling/parse/capture"
	"github.com/ceiling-dev/ceiling/parse/jtl"
	"github.com/ceiling-dev/ceiling/parse/tls/keylog"
	"github.com/ceiling-dev/ceiling/report"
)

// Config is one analysis.
type Config struct {
	// Paths are the inputs, in any order and mix: JTL (CSV, XML),
	// pcap, pcapng, gzip of any. Their kind is told from their content.
	Paths []string
	// DisplayNames, when set, replaces each path in messages and reports
	// (the demo's files live in a temporary folder).
	DisplayNames []string

	// KeyLogs are NSS key log files (SSLKEYLOGFILE) for decrypting TLS.
	KeyLogs []string

	JTL       jtl.Options
	Capture   capture.Options
	Correlate correlate.Options

	// Notify is called for every problem found in any input (the CLI
	// prints the first ones as they happen).
	Notify func(parse.Problem)

	// OnOpen, when set, is given the inputs once they are open, before
	// they are read: the CLI polls their BytesRead for progress.
	OnOpen func([]*parse.Input)

	Tool    string
	Command []string
	// Now stamps the report; zero means time.Now.
	Now time.Time
}

// TempError is a failure of the temporary files that hold the attempts
// beyond what is kept in memory (a full disk): the analysis is void.
type TempError struct{ Err error }

func (e *TempError) Error() string {
	return e.Err.Error() + " (the attempts go to a temporary file beyond a few MB: give a folder with room with --temp-dir or TMPDIR)"
}
func (e *TempError) Unwrap() error { return e.Err }

// recycleEvents lets the tests compare runs that take the capture's
// memory back with runs that leave it all to the collector.
var recycleEvents = true

// ErrNoInput is returned when Config names no input.
var ErrNoInput = errors.New("no input files given")

// InputError is a file that could not be read at all.
type InputError struct {
	Path string
	Err  error
}

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// Run analyses the inputs and returns the document every report format
// renders. An input that cannot be opened or recognised, or that fails
// mid-way with an I/O error, is an *InputError; damaged records inside a
// readable input are skipped and counted, not errors.
func Run(cfg Config) (*report.Document, error) {
	if len(cfg.Paths) == 0 {
		return nil, ErrNoInput
	}
	name := func(i int) string {
		if i < len(cfg.DisplayNames) && cfg.DisplayNames[i] != "" {
			return cfg.DisplayNames[i]
		}
		return cfg.Paths[i]
	}
	var (
		inputs   []*parse.Input
		caps     []*parse.Input
		capIdx   []int
		jtls     []*parse.Input
		jtlIdx   []int
		closeAll = func() {
			for _, in := range inputs {
				in.Close()
			}
		}
	)
	// Named columns say the user knows a header-less CSV is a JTL, even
	// one whose first column is not a time.
	fallback := parse.KindUnknown
	if len(cfg.JTL.Columns) > 0 {
		fallback = parse.KindJTLCSV
	}
	for i, p := range cfg.Paths {
		in, err := parse.OpenAs(p, fallback)
		if err != nil {
			closeAll()
			if cfg.DisplayNames != nil {
				err = fmt.Errorf("%s: %w", name(i), unwrapPath(err))
			}
			return nil, &InputError{Path: name(i), Err: err}
		}
		in.Path = name(i)
		inputs = append(inputs, in)
		switch {
		case in.Kind.IsCapture():
			caps = append(caps, in)
			capIdx = append(capIdx, i)
		case in.Kind.IsJTL():
			jtls = append(jtls, in)
			jtlIdx = append(jtlIdx, i)
		}
	}
	defer closeAll()
	if cfg.OnOpen != nil {
		cfg.OnOpen(inputs)
	}

	an := correlate.New(cfg.Correlate)
	docInputs := make([]report.Input, len(inputs))
	var problems []*parse.Problems

	// Key logs before the captures they open.
	keys, keyInputs, err := ReadKeyLogs(cfg.KeyLogs, cfg.Notify)
	if err != nil {
		return nil, err
	}

	// Captures first: the join looks JTL samples up in the dialogs the
	// capture saw.
	var unread []string
	if len(caps) > 0 {
		copts := cfg.Capture
		copts.Notify = cfg.Notify
		copts.KeyLog = keys
		src, err := capture.Open(caps, capIdx, copts)
		if err != nil {
			return nil, &InputError{Err: err}
		}
		defer src.Close()
		var last int64
		// Decoding runs on its own goroutine, a batch of events ahead of
		// correlation; the events reach the analyzer in the same order
		// either way, so the result does not depend on GOMAXPROCS.
		//
		// Once the analyzer has taken a batch, the capture stage uses the
		// memory of its SIP-over-UDP messages again (src.Recycle): the
		// analyzer keeps nothing that points into an event (a call keeps
		// a clone of the Call-ID, a transaction a clone of its
		// branch, a failure clones of its Reason and Warning, the counts
		// a constant or a copy of the method). The tests run with
		// capture.PoisonEnv set, so a reference kept past AddEvent reads
		// garbage and changes the report.
		recycle := src.Recycle
		if !recycleEvents {
			recycle = nil
		}
		for b := range readAhead(src.Read, recycle) {
			if b.err != nil {
				return nil, &InputError{Err: b.err}
			}
			// The analyzer reads ahead what the batch's events will have
			// it read (correlate.Analyzer.AddEvents).
			an.AddEvents(b.items)
			if n := len(b.items); n > 0 {
				last = b.items[n-1].Time
			}
			b.done()
		}
		for k, st := range src.Stats() {
			if st.LastTime > last {
				last = st.LastTime
			}
			i := capIdx[k]
			docInputs[i] = report.Input{
				Path: st.Path, Kind: st.Kind.String(), Gzip: inputs[i].Gzip, Size: inputs[i].Size,
				Records: st.Frames, Skipped: st.Problems.Count, Truncated: st.Truncated,
				SkippedBy: st.Problems.ByReason,
				Detail:    captureDetail(&st),
			}
			problems = append(problems, st.Problems)
		}
		unread = unreadTLS(src.Stats(), keys.Len() > 0)
		an.EndCapture(last)
	}

	if len(jtls) > 0 {
		readers := make([]jtl.Reader, len(jtls))
		probs := make([]*parse.Problems, len(jtls))
		for k, in := range jtls {
			opts := cfg.JTL
			probs[k] = &parse.Problems{Notify: cfg.Notify}
			opts.Problems = probs[k]
			opts.FileIndex = jtlIdx[k]
			r, err := jtl.NewReader(in, opts)
			if err != nil {
				return nil, &InputError{Path: in.Path, Err: err}
			}
			readers[k] = r
		}
		var merged jtl.Reader = readers[0]
		if len(readers) > 1 {
			merged = jtl.Merge(readers...)
		}
		for b := range readAhead(merged.Read, nil) {
			if b.err != nil {
				return nil, &InputError{Err: b.err}
			}
			an.AddSamples(b.items)
			b.done()
		}
		for k, r := range readers {
			st := r.Stats()
			i := jtlIdx[k]
			docInputs[i] = report.Input{
				Path: inputs[i].Path, Kind: inputs[i].Kind.String(), Gzip: inputs[i].Gzip, Size: inputs[i].Size,
				Records: st.Records, Skipped: probs[k].Count, Truncated: st.Truncated,
				SkippedBy: probs[k].ByReason,
				Detail:    jtlDetail(&st),
			}
			problems = append(problems, probs[k])
		}
	}

	res := an.Finish()
	if err := res.Err(); err != nil {
		res.Close()
		return nil, &TempError{Err: err}
	}
	now := cfg.Now
	if now.IsZero() {
		now = time.Now()
	}
	res.Notes = append(res.Notes, unread...)
	doc := &report.Document{
		Tool: cfg.Tool, Generated: now, Command: cfg.Command,
		Inputs: append(docInputs, keyInputs...), Result: res,
	}
	for _, p := range problems {
		doc.Problems = append(doc.Problems, p.First...)
	}
	sort.SliceStable(doc.Problems, func(i, j int) bool { return doc.Problems[i].File < doc.Problems[j].File })
	if len(doc.Problems) > 50 {
		doc.Problems = doc.Problems[:50]
	}
	return doc, nil
}

// ReadKeyLogs reads the NSS key logs given, merged. A file that cannot be
// read is an input error; its bad lines are problems.
func ReadKeyLogs(paths []string, notify func(parse.Problem)) (*keylog.Log, []report.Input, error) {
	log := keylog.New()
	var ins []report.Input
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, nil, &InputError{Path: p, Err: err}
		}
		probs := &parse.Problems{Notify: notify}
		l, err := keylog.Read(f, p, probs)
		st, _ := f.Stat()
		f.Close()
		if err != nil {
			return nil, nil, &InputError{Path: p, Err: fmt.Errorf("%s: %w", p, err)}
		}
		log.Merge(l)
		in := report.Input{Path: p, Kind: "keylog", Records: int64(l.Len()), Skipped: probs.Count, SkippedBy: probs.ByReason,
			Detail: fmt.Sprintf("%s TLS sessions' secrets", report.Thousands(int64(l.Len())))}
		if st != nil {
			in.Size = st.Size()
		}
		ins = append(ins, in)
	}
	return log, ins, nil
}

// unreadTLS says, per server port and reason, which TLS streams could not
// be read, so that nobody takes the silence of a layer inside them for
// health.
func unreadTLS(stats []capture.FileStats, keylogs bool) []string {
	total := map[capture.TLSUnreadKey]int64{}
	for _, st := range stats {
		for k, n := range st.TLSUnread {
			total[k] += n
		}
	}
	keys := make([]capture.TLSUnreadKey, 0, len(total))
	for k := range total {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].Port != keys[j].Port {
			return keys[i].Port < keys[j].Port
		}
		return keys[i].Reason < keys[j].Reason
	})
	var out []string
	for _, k := range keys {
		why := map[string]string{
			"not-tried":   "no key log given (--keylog, or a pcapng with a secrets block)",
			"missing":     "the key log has no secrets for them",
			"wrong":       "the key log's secrets for them do not decrypt them",
			"partial":     "the key log has the secrets of only part of their records",
			"no-hello":    "their handshakes are not in the capture, so their keys cannot be looked up",
			"unsupported": "a TLS version or cipher suite ceiling does not decrypt",
		}[k.Reason]
		if !keylogs {
			switch k.Reason {
			case "missing", "not-tried":
				why = "no key log given (--keylog, or a pcapng with a secrets block)"
			case "unsupported":
				why = "no key log given, and a TLS version or cipher suite ceiling does not decrypt in any case"
			}
		}
		port := fmt.Sprintf("TLS to port %d", k.Port)
		switch k.Port {
		case 5061:
			port += " (SIP over TLS)"
		case 443, 8443:
			port += " (HTTPS, WSS)"
		}
		conns := "connections"
		if total[k] == 1 {
			conns = "connection"
		}
		out = append(out, fmt.Sprintf("%s: %s %s could not be read: %s. What they carried is known from the JTL alone; the TCP and TLS facts come from the capture.",
			port, report.Thousands(total[k]), conns, why))
	}
	return out
}

func captureDetail(st *capture.FileStats) string {
	s := fmt.Sprintf("%s frames, %s SIP messages", report.Thousands(st.Frames), report.Thousands(st.SIPMessages))
	if st.Reassembled > 0 {
		s += fmt.Sprintf(", %s datagrams reassembled from IP fragments", report.Thousands(st.Reassembled))
	}
	if m := st.Media; m.RTPPackets > 0 {
		s += fmt.Sprintf(", %s RTP packets in %s streams", report.Thousands(m.RTPPackets), report.Thousands(m.RTPStreams))
	}
	if m := st.Media; m.RTCPPackets > 0 {
		s += fmt.Sprintf(", %s RTCP packets", report.Thousands(m.RTCPPackets))
	}
	if st.TCPConns > 0 {
		s += fmt.Sprintf(", %s TCP connections", report.Thousands(st.TCPConns))
	}
	if st.TLSConns > 0 {
		s += fmt.Sprintf(" (%s TLS, %s decrypted)", report.Thousands(st.TLSConns), report.Thousands(st.TLSDecrypted))
	}
	if st.WebSockets > 0 {
		s += fmt.Sprintf(", %s WebSockets", report.Thousands(st.WebSockets))
	}
	if st.SIPErrors > 0 {
		s += fmt.Sprintf(", %s SIP messages that did not parse", report.Thousands(st.SIPErrors))
	}
	return s
}

func jtlDetail(st *jtl.Stats) string {
	s := fmt.Sprintf("%s samples (%s counted)", report.Thousands(st.Records), report.Thousands(st.Counted))
	if st.Delimiter != 0 {
		d := string(st.Delimiter)
		if st.Delimiter == '\t' {
			d = `\t`
		}
		s += fmt.Sprintf(", delimiter '%s', %d columns", d, len(st.Columns))
		if st.HeaderLess {
			s += " (no header: default column set)"
		}
	}
	if st.OutOfOrder > 0 {
		s += fmt.Sprintf(", %s rows later than the reorder window", report.Thousands(st.OutOfOrder))
	}
	return s
}

// unwrapPath drops the temporary path parse.Open put in front of its
// message, for inputs shown under another name.
func unwrapPath(err error) error {
	if u := errors.Unwrap(err); u != nil {
		return u
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
