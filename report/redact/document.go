package redact

import (
	"net/netip"
	"strings"

	"github.com/ceiling-dev/ceiling/correlate"
	"github.com/ceiling-dev/ceiling/parse"
	"github.com/ceiling-dev/ceiling/report"
)

// Document returns a redacted deep copy of d, which is left as it is.
// Every string that can carry a number, a URI, a name or an address goes
// through String (verdict and notes, details, reasons, warnings, sample
// labels and messages, the command line); addresses through Addr, the
// JMeter host's name through Host; Call-IDs keep all but a client
// address in them (CallID) and trace IDs are kept. Input paths are kept:
// they are the user's own file names, and every format cites them.
//
// The copy's attempts are a view of d's, redacted as they are read: d's
// must stay open (correlate.Attempts.Close) while the copy is in use.
func (r *Redactor) Document(d *report.Document) *report.Document {
	if d == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	out := *d
	paths := map[string]bool{}
	out.Inputs = make([]report.Input, len(d.Inputs))
	for i, in := range d.Inputs {
		paths[in.Path] = true
		in.Detail = r.text(in.Detail)
		in.SkippedBy = r.counts(in.SkippedBy)
		out.Inputs[i] = in
	}
	if d.Command != nil {
		out.Command = make([]string, len(d.Command))
		for i, a := range d.Command {
			if paths[a] {
				out.Command[i] = a
			} else {
				out.Command[i] = r.text(a)
			}
		}
	}
	if d.Problems != nil {
		out.Problems = make([]parse.Problem, len(d.Problems))
		for i, p := range d.Problems {
			if !paths[p.File] {
				p.File = r.text(p.File)
			}
			p.Reason = r.text(p.Reason)
			out.Problems[i] = p
		}
	}
	// Call-IDs are learnt first, so that a sentence naming one (a
	// ladder's title) writes it as the Call-ID fields do.
	if d.Result != nil {
		for _, a := range d.Result.Attempts.All() {
			r.callID(a.CallID)
		}
	}
	out.Result = r.result(d.Result)
	out.Ladders = r.ladders(d.Ladders)
	return &out
}

// Ladders returns redacted copies of message ladders: titles, labels and
// notes as text, the parties' addresses as addresses.
func (r *Redactor) Ladders(ls []report.Ladder) []report.Ladder {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ladders(ls)
}

func (r *Redactor) ladders(ls []report.Ladder) []report.Ladder {
	if ls == nil {
		return nil
	}
	out := make([]report.Ladder, len(ls))
	for i, l := range ls {
		l.Title = r.text(l.Title)
		l.Note = r.text(l.Note)
		cols := make([]report.LadderColumn, len(l.Columns))
		for k, c := range l.Columns {
			c.Role = r.text(c.Role)
			addrs := make([]string, len(c.Addrs))
			for j, a := range c.Addrs {
				addrs[j] = r.text(a)
			}
			c.Addrs = addrs
			cols[k] = c
		}
		l.Columns = cols
		steps := make([]report.LadderStep, len(l.Steps))
		for k, s := range l.Steps {
			s.Label = r.text(s.Label)
			steps[k] = s
		}
		l.Steps = steps
		out[i] = l
	}
	return out
}

func (r *Redactor) result(res *correlate.Result) *correlate.Result {
	if res == nil {
		return nil
	}
	out := *res
	v := res.Verdict
	v.FirstFailure = r.breakpoint(v.FirstFailure)
	v.Sustained = r.breakpoint(v.Sustained)
	v.Text = r.text(v.Text)
	out.Verdict = v
	if res.Layers != nil {
		out.Layers = make([]*correlate.LayerResult, len(res.Layers))
		for i, lr := range res.Layers {
			out.Layers[i] = r.layer(lr)
		}
	}
	c := res.Correlation
	c.OffsetBasis = r.text(c.OffsetBasis)
	out.Correlation = c
	out.SIP.Requests = r.counts(res.SIP.Requests)
	out.SIP.Responses = copyMap(res.SIP.Responses)
	out.Conn.CloseCodes = copyMap(res.Conn.CloseCodes)
	b := res.Breaches
	b.First = r.breakpoint(b.First)
	b.ByLabel = r.counts(b.ByLabel)
	b.Messages = r.counts(b.Messages)
	out.Breaches = b
	if res.Attempts != nil {
		// A view, redacting each attempt as it is read: a second copy of
		// a run's attempts is what their store is there to avoid. Each is
		// redacted once here all the same, in order, for the pseudonyms
		// it hands out: which one an input gets depends on the order of
		// first appearance, and what is redacted later (the capture, the
		// ladders) must find the same ones made as before.
		for _, a := range res.Attempts.All() {
			r.attempt(res, &a)
		}
		out.Attempts = res.Attempts.Map(func(a *correlate.Attempt) {
			r.mu.Lock()
			defer r.mu.Unlock()
			*a = r.attempt(res, a)
		})
	}
	out.Threads = append([]correlate.Point(nil), res.Threads...)
	if res.Notes != nil {
		out.Notes = make([]string, len(res.Notes))
		for i, n := range res.Notes {
			out.Notes[i] = r.text(n)
		}
	}
	return &out
}

func (r *Redactor) layer(lr *correlate.LayerResult) *correlate.LayerResult {
	if lr == nil {
		return nil
	}
	out := *lr
	out.Basis = r.text(lr.Basis)
	out.Codes = r.counts(lr.Codes)
	out.Outcomes = r.counts(lr.Outcomes)
	out.FirstFailure = r.breakpoint(lr.FirstFailure)
	out.Sustained = r.breakpoint(lr.Sustained)
	out.Levels = append([]correlate.Level(nil), lr.Levels...)
	if lr.Edges != nil {
		out.Edges = make([]correlate.EdgeCount, len(lr.Edges))
		for i, e := range lr.Edges {
			e.Edge = r.addrPort(e.Edge)
			out.Edges[i] = e
		}
	}
	return &out
}

func (r *Redactor) breakpoint(b *correlate.Breakpoint) *correlate.Breakpoint {
	if b == nil {
		return nil
	}
	out := *b
	out.CallID = r.callID(b.CallID)
	out.Edge = r.addrPort(b.Edge)
	out.Status = r.text(b.Status)
	out.Method = r.text(b.Method)
	return &out
}

// attempt redacts a copy of a; a Detail made on demand (a JTL failure's)
// is made here, redacted, and held by the copy.
func (r *Redactor) attempt(res *correlate.Result, a *correlate.Attempt) correlate.Attempt {
	out := *a
	out.CallID = r.callID(a.CallID)
	out.Edge = r.addrPort(a.Edge)
	out.Client = r.addrPort(a.Client)
	out.Status = r.word(a.Status)
	if d := res.Detail(a); d != nil {
		nd := *d
		nd.ReasonPhrase = r.word(d.ReasonPhrase)
		nd.ReasonHeader = r.word(d.ReasonHeader)
		nd.Warning = r.word(d.Warning)
		nd.Server = r.word(d.Server)
		nd.Relayed = r.addrPort(d.Relayed)
		if s := d.Sample; s != nil {
			ns := *s
			ns.Label = r.word(s.Label)
			ns.Code = r.word(s.Code)
			ns.Message = r.word(s.Message)
			ns.Thread = r.word(s.Thread)
			ns.Host = r.host(s.Host)
			nd.Sample = &ns
		}
		out.Detail = &nd
	}
	return out
}

// word is text for the strings attempts repeat: statuses, reasons,
// labels, threads. A redacted Document's attempts are redacted again at
// every read, and scanning the same few strings each time would cost
// more than the rest of a report. Once text has made a string's
// pseudonyms it gives that string the same answer, so the first is kept.
func (r *Redactor) word(s string) string {
	if s == "" {
		return s
	}
	if q, ok := r.words[s]; ok {
		return q
	}
	q := r.text(s)
	if len(r.words) < maxWords {
		if r.words == nil {
			r.words = map[string]string{}
		}
		// Kept: a copy, not the attempts' page it may point into.
		r.words[strings.Clone(s)] = q
	}
	return q
}

// maxWords bounds the strings word keeps: a run repeats a few hundred;
// past that they are not worth keeping.
const maxWords = 1 << 12

func (r *Redactor) addrPort(ap netip.AddrPort) netip.AddrPort {
	if !ap.IsValid() {
		return ap
	}
	return netip.AddrPortFrom(r.p.addr(ap.Addr()), ap.Port())
}

func (r *Redactor) callID(s string) string {
	if s == "" {
		return s
	}
	if q, ok := r.p.callIDs[s]; ok {
		return q
	}
	sc := scanner{r: r, final: true}
	q := string(sc.addrsOnly(nil, []byte(s), false))
	if len(r.p.callIDs) < maxCallIDs {
		r.p.callIDs[strings.Clone(s)] = q
	}
	return q
}

// maxCallIDs bounds the Call-IDs remembered for free text: a report
// names a few; a run has as many as calls.
const maxCallIDs = 1 << 20

func (r *Redactor) host(s string) string {
	if s == "" {
		return s
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return r.p.addr(a).String()
	}
	return r.p.token(kindHost, s)
}

// counts copies a count map with its keys redacted; keys that become
// one add up.
func (r *Redactor) counts(m map[string]int64) map[string]int64 {
	if m == nil {
		return nil
	}
	out := make(map[string]int64, len(m))
	for k, v := range m {
		out[r.text(k)] += v
	}
	return out
}

func copyMap[K comparable, V any](m map[K]V) map[K]V {
	if m == nil {
		return nil
	}
	out := make(map[K]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
