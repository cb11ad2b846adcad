package correlate

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"
)

// rtBudget is how many response times layerResults holds at once for
// the percentiles of each concurrency level. A run with more is read
// again, a group of levels at a time: exact percentiles in bounded
// memory (the largest single level is held whole).
var rtBudget = 1 << 22

// layerResults builds each layer's account from the hop-0 attempts.
func layerResults(attempts *Attempts) []*LayerResult {
	acc := newLayerAcc()
	for i, at := range attempts.Heads() {
		acc.add(i, at, attempts)
	}
	return acc.results(attempts)
}

// layerAcc is layerResults' pass over the attempts, one at a time: Finish
// feeds it the attempts as it writes them, rather than read them all back
// after (on a JTL alone, a tenth of the run).
type layerAcc struct {
	byLayer map[Layer]*LayerResult
	levels  map[Layer]map[int32]*levelAcc
	edges   map[Layer]map[netip.AddrPort]*EdgeCount
	held    int
	over    bool
	// By layer, found without hashing: on a JTL alone, the maps' lookups
	// were most of the pass. The outcomes are counted here and go into
	// LayerResult.Outcomes at the end; dense holds the levels' accounts
	// (also in levels) for the concurrencies up to denseLevels.
	lrs      [numLayers]*LayerResult
	outcomes [numLayers][8]int64
	dense    [numLayers][]*levelAcc
	// lastEdge is the account of each layer's edge that add counted last.
	lastEdge [numLayers]*EdgeCount
	// codes counts the statuses before LayerResult.Codes does, each in
	// the slot its length and a few of its bytes choose: a layer has a
	// handful, and a map update per attempt was most of add on a JTL
	// alone. A status that finds its slot taken puts the count held
	// there into Codes and takes it over; results puts in the rest.
	codes [numLayers][32]codeCount
	// stable holds a copy of each status a slot took, which it compares
	// and counts under: the attempts' own strings may lie in a buffer
	// read over by the next page (Finish's merge).
	stable map[string]string
}

type codeCount struct {
	status string
	n      int64
}

const denseLevels = 1 << 16

func newLayerAcc() *layerAcc {
	return &layerAcc{byLayer: map[Layer]*LayerResult{}, levels: map[Layer]map[int32]*levelAcc{},
		edges: map[Layer]map[netip.AddrPort]*EdgeCount{}, stable: map[string]string{}}
}

// wantsWhole reports whether add may need at whole (its IDs and Detail)
// rather than its head: a failure of a layer whose first failure is not
// yet known. Once known it stays, so a head read after that is enough.
func (c *layerAcc) wantsWhole(at *Attempt) bool {
	if !at.Failed {
		return false
	}
	var lr *LayerResult
	if int(at.Layer) < numLayers {
		lr = c.lrs[at.Layer]
	} else {
		lr = c.byLayer[at.Layer]
	}
	return lr == nil || lr.FirstFailure == nil
}

// add counts attempt i, of which at holds at least the head. The first
// failure of a layer is read whole from src, or is at itself when src is
// nil.
func (c *layerAcc) add(i int, at *Attempt, src *Attempts) {
	levels := c.levels
	var lr *LayerResult
	if int(at.Layer) < numLayers {
		lr = c.lrs[at.Layer]
	}
	if lr == nil {
		lr = c.byLayer[at.Layer]
	}
	if lr == nil {
		lr = &LayerResult{Layer: at.Layer, Codes: map[string]int64{}, Outcomes: map[string]int64{}, Basis: "jtl"}
		c.byLayer[at.Layer] = lr
		if int(at.Layer) < numLayers {
			c.lrs[at.Layer] = lr
		}
		levels[at.Layer] = map[int32]*levelAcc{}
		c.edges[at.Layer] = map[netip.AddrPort]*EdgeCount{}
	}
	if at.Hop > 0 {
		lr.Backend++
		return
	}
	if at.Source&FromCapture != 0 {
		lr.Basis = "capture"
	}
	lr.Attempts++
	if int(at.Layer) < numLayers && int(at.Outcome) < len(c.outcomes[0]) {
		c.outcomes[at.Layer][at.Outcome]++
	} else {
		lr.Outcomes[at.Outcome.String()]++
	}
	if at.Outcome == Challenged {
		return
	}
	if s := at.Status; s != "" {
		if int(at.Layer) < numLayers {
			n := len(s)
			cc := &c.codes[at.Layer][(n*7^int(s[0])^int(s[n/2])<<1^int(s[n-1])<<3)&31]
			if cc.status != s {
				if cc.n > 0 {
					lr.Codes[cc.status] += cc.n
				}
				st, ok := c.stable[s]
				if !ok {
					st = strings.Clone(s)
					c.stable[st] = st
				}
				cc.status, cc.n = st, 0
			}
			cc.n++
		} else {
			if _, ok := lr.Codes[s]; !ok {
				s = strings.Clone(s)
			}
			lr.Codes[s]++
		}
	}
	if at.Concurrency > lr.MaxConcurrency {
		lr.MaxConcurrency = at.Concurrency
	}
	if at.Edge.IsValid() {
		e := c.edge(at.Layer, at.Edge)
		e.Attempts++
		if at.Failed {
			e.Failures++
		}
	}
	if !at.Outcome.Decided() {
		return
	}
	lr.Decided++
	lv := c.level(at.Layer, at.Concurrency)
	lv.attempts++
	if rt, ok := timed(at); ok {
		lv.timed++
		if !c.over {
			lv.rts = append(lv.rts, rt)
			if c.held++; c.held > rtBudget {
				c.over = true
				for _, ls := range levels {
					for _, lv := range ls {
						lv.rts = nil
					}
				}
			}
		}
	}
	if at.Failed {
		lr.Failures++
		lv.failures++
		if lr.FirstFailure == nil {
			whole := *at
			if src != nil {
				whole = src.At(i)
			}
			lr.FirstFailure = firstFailure(&whole, i)
		}
	}
}

// edge is the account of layer l's edge e. A load test's attempts go to
// one edge or a few, mostly the last one's again: a compare finds it,
// where hashing the address for the map cost as much as the rest of add.
func (c *layerAcc) edge(l Layer, e netip.AddrPort) *EdgeCount {
	var last **EdgeCount
	if int(l) < numLayers {
		last = &c.lastEdge[l]
		if *last != nil && (*last).Edge == e {
			return *last
		}
	}
	ec := c.edges[l][e]
	if ec == nil {
		ec = &EdgeCount{Edge: e}
		c.edges[l][e] = ec
	}
	if last != nil {
		*last = ec
	}
	return ec
}

// level is the account of layer l's level of concurrency k.
func (c *layerAcc) level(l Layer, k int32) *levelAcc {
	dense := k >= 0 && k < denseLevels && int(l) < numLayers
	if dense && int(k) < len(c.dense[l]) {
		if lv := c.dense[l][k]; lv != nil {
			return lv
		}
	}
	lv := c.levels[l][k]
	if lv == nil {
		lv = &levelAcc{}
		c.levels[l][k] = lv
	}
	if dense {
		if int(k) >= len(c.dense[l]) {
			c.dense[l] = append(c.dense[l], make([]*levelAcc, int(k)+1-len(c.dense[l]))...)
		}
		c.dense[l][k] = lv
	}
	return lv
}

// results is the layers' accounts once every attempt is added.
func (c *layerAcc) results(attempts *Attempts) []*LayerResult {
	byLayer, levels, edges := c.byLayer, c.levels, c.edges
	for l, lr := range c.lrs {
		for o, n := range c.outcomes[l] {
			if lr != nil && n > 0 {
				lr.Outcomes[Outcome(o).String()] += n
			}
		}
		for k := range c.codes[l] {
			if cc := &c.codes[l][k]; cc.n > 0 {
				lr.Codes[cc.status] += cc.n
				*cc = codeCount{}
			}
		}
	}
	if c.over {
		percentilesInGroups(attempts, levels)
	}
	var out []*LayerResult
	for _, l := range Layers {
		lr := byLayer[l]
		if lr == nil {
			continue
		}
		for conc, lv := range levels[l] {
			lr.Levels = append(lr.Levels, lv.level(conc))
		}
		sort.Slice(lr.Levels, func(i, j int) bool { return lr.Levels[i].Concurrency < lr.Levels[j].Concurrency })
		for _, e := range edges[l] {
			lr.Edges = append(lr.Edges, *e)
		}
		sort.Slice(lr.Edges, func(i, j int) bool {
			if lr.Edges[i].Attempts != lr.Edges[j].Attempts {
				return lr.Edges[i].Attempts > lr.Edges[j].Attempts
			}
			return lr.Edges[i].Edge.String() < lr.Edges[j].Edge.String()
		})
		lr.Sustained = sustained(attempts, lr)
		out = append(out, lr)
	}
	return out
}

// timed is the response time that counts in a level's percentiles: of a
// decided attempt that did not fail and was answered.
func timed(at *Attempt) (int64, bool) {
	rt := at.ResponseTime()
	return rt, rt >= 0 && !at.Failed
}

// percentilesInGroups reads the attempts again once per group of levels
// whose response times fit rtBudget together, and settles each level's
// percentiles from exactly its own.
func percentilesInGroups(attempts *Attempts, levels map[Layer]map[int32]*levelAcc) {
	type key struct {
		layer Layer
		c     int32
	}
	var keys []key
	for l, ls := range levels {
		for c := range ls {
			keys = append(keys, key{l, c})
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].layer != keys[j].layer {
			return keys[i].layer < keys[j].layer
		}
		return keys[i].c < keys[j].c
	})
	for len(keys) > 0 {
		group := map[key]*levelAcc{}
		n := 0
		for len(keys) > 0 {
			lv := levels[keys[0].layer][keys[0].c]
			if len(group) > 0 && n+int(lv.timed) > rtBudget {
				break
			}
			group[keys[0]] = lv
			n += int(lv.timed)
			keys = keys[1:]
		}
		for _, at := range attempts.Heads() {
			if at.Hop > 0 || at.Outcome == Challenged || !at.Outcome.Decided() {
				continue
			}
			if lv := group[key{at.Layer, at.Concurrency}]; lv != nil {
				if rt, ok := timed(at); ok {
					lv.rts = append(lv.rts, rt)
				}
			}
		}
		for k, lv := range group {
			lv.settle(k.c)
		}
	}
}

type levelAcc struct {
	attempts, failures int64
	// timed counts the response times; rts holds them while they are
	// needed, done the level once they are settled.
	timed int64
	rts   []int64
	done  *Level
}

// settle works out the level's percentiles and lets its times go.
func (lv *levelAcc) settle(c int32) {
	l := lv.level(c)
	lv.done, lv.rts = &l, nil
}

func (lv *levelAcc) level(c int32) Level {
	if lv.done != nil {
		return *lv.done
	}
	l := Level{Concurrency: c, Attempts: lv.attempts, Failures: lv.failures, P50: -1, P90: -1, P99: -1}
	if n := len(lv.rts); n > 0 {
		q := func(p float64) int {
			return min(max(int(p*float64(n)+0.5)-1, 0), n-1)
		}
		i50, i90, i99 := q(0.50), q(0.90), q(0.99)
		selectAt(lv.rts, i50, i90, i99)
		l.P50, l.P90, l.P99 = lv.rts[i50], lv.rts[i90], lv.rts[i99]
	}
	return l
}

func firstFailure(at *Attempt, i int) *Breakpoint {
	// Copies: Finish's merge reads the attempts' strings from buffers it
	// uses again for the next page.
	return &Breakpoint{
		Time: at.Time, Concurrency: at.Concurrency, Threads: at.Threads,
		CallID: strings.Clone(at.CallID), TraceID: strings.Clone(at.TraceID), Edge: at.Edge, Status: strings.Clone(at.Status), Attempt: i,
		Method: "the earliest attempt that failed, with the " + at.Layer.Unit() + " at its edge when it was made, itself included",
	}
}

// sustained finds the lowest concurrency at and above which most attempts
// fail. It is the split of the load curve that best separates "mostly
// answered below" from "mostly refused at or above": the level c with the
// fewest attempts on the wrong side of it (failures below c plus successes
// at or above c), the lowest such c on a tie; and at or above it more
// than half of the attempts must have failed, and more than half of all
// the failures must lie there, or there is no sustained breakpoint
// (scattered failures; a rate limit, which does not care about
// concurrency). A per-level rule is fooled by noise (a few
// successes at a sparse high level stop it); a cumulative ratio is fooled
// by volume (a long healthy ramp below hides the wall).
func sustained(attempts *Attempts, lr *LayerResult) *Breakpoint {
	if lr.Failures == 0 || len(lr.Levels) == 0 {
		return nil
	}
	var totalOK int64
	for _, lv := range lr.Levels {
		totalOK += lv.Attempts - lv.Failures
	}
	var failBelow, okBelow int64
	best := -1
	var bestErr int64
	for i, lv := range lr.Levels {
		wrong := failBelow + (totalOK - okBelow)
		if best < 0 || wrong < bestErr {
			best, bestErr = i, wrong
		}
		failBelow += lv.Failures
		okBelow += lv.Attempts - lv.Failures
	}
	var bestA, bestF int64
	for _, lv := range lr.Levels[best:] {
		bestA += lv.Attempts
		bestF += lv.Failures
	}
	if 2*bestF <= bestA || 2*bestF < lr.Failures {
		// Not a wall: at or above it most attempts do not fail, or most
		// failures happen below it (scattered failures, a rate limit that
		// does not care about concurrency).
		return nil
	}
	c := lr.Levels[best].Concurrency
	bp := &Breakpoint{
		Concurrency: c, AtOrAbove: bestA, FailedAtOrAbove: bestF, Attempt: -1, Threads: -1,
		Method: fmt.Sprintf("the concurrency that best splits the attempts into mostly answered below it and mostly failed at or above it (%d attempts fall on the wrong side); %d of the %d attempts at %d or more failed", bestErr, bestF, bestA, c),
	}
	for i, at := range attempts.Heads() {
		if at.Layer == lr.Layer && at.Hop == 0 && at.Failed && at.Concurrency >= c {
			at := attempts.At(i)
			bp.Time, bp.Threads, bp.CallID, bp.TraceID, bp.Edge, bp.Status, bp.Attempt =
				at.Time, at.Threads, at.CallID, at.TraceID, at.Edge, at.Status, i
			break
		}
	}
	return bp
}

// verdict picks the layer that failed first: the earliest first failure,
// and at the same instant the lowest layer, which is the cause.
func verdict(r *Result) Verdict {
	var first *LayerResult
	for _, lr := range r.Layers {
		if lr.FirstFailure == nil {
			continue
		}
		if first == nil || lr.FirstFailure.Time < first.FirstFailure.Time {
			first = lr
		}
	}
	if first == nil {
		v := Verdict{Layer: LayerNone}
		v.Text = noFailureText(r)
		return v
	}
	v := Verdict{
		Failed:       true,
		Layer:        first.Layer,
		Status:       first.FirstFailure.Status,
		Kind:         kindOf(first.Layer, first.FirstFailure.Status),
		FirstFailure: first.FirstFailure,
		Sustained:    first.Sustained,
	}
	if v.Kind == KindError && first.Layer != LayerClient && wall(first) {
		// Whatever the edge said (a TLS alert, a 500), it said it from a
		// concurrency on, and kept saying it above: that is a capacity
		// limit dressed as an error.
		v.Kind = KindCapacity
	}
	v.Text = verdictText(r, first, &v)
	return v
}

func noFailureText(r *Result) string {
	var total int64
	var max int32
	var unit string
	for _, lr := range r.Layers {
		total += lr.Attempts
		if lr.MaxConcurrency > max {
			max, unit = lr.MaxConcurrency, lr.Layer.Unit()
		}
	}
	if total == 0 {
		return "No attempts were found in the inputs: nothing to judge."
	}
	s := fmt.Sprintf("No layer refused work: %s attempts, none rejected", thousands(total))
	if max > 0 {
		s += fmt.Sprintf(", up to %d %s", max, unit)
	}
	s += "."
	if r.Breaches.Count > 0 {
		s += fmt.Sprintf(" %s samples failed the test's own criteria (assertions) while the edge answered.", thousands(r.Breaches.Count))
	}
	return s
}

func verdictText(r *Result, lr *LayerResult, v *Verdict) string {
	ff := v.FirstFailure
	at := r.Attempts.At(ff.Attempt)
	det := r.Detail(&at)
	var b strings.Builder
	who := "The edge"
	if ff.Edge.IsValid() {
		who = "The edge " + ff.Edge.String()
	}
	switch lr.Layer {
	case LayerSIP:
		if ff.Status == "timeout" {
			fmt.Fprintf(&b, "%s stopped answering INVITEs (timer B) at %d %s", who, ff.Concurrency, lr.Layer.Unit())
		} else {
			phrase := ""
			if det != nil && det.ReasonPhrase != "" {
				phrase = " " + det.ReasonPhrase
			}
			fmt.Fprintf(&b, "%s began answering INVITE with SIP %s%s at %d %s", who, ff.Status, phrase, ff.Concurrency, lr.Layer.Unit())
		}
	case LayerClient:
		fmt.Fprintf(&b, "The load generator itself failed first (%s) at %d %s", ff.Status, ff.Concurrency, lr.Layer.Unit())
	default:
		fmt.Fprintf(&b, "%s first failed at the %s layer (%s) at %d %s", who, lr.Layer, ff.Status, ff.Concurrency, lr.Layer.Unit())
	}
	if ff.Threads >= 0 {
		fmt.Fprintf(&b, " (JMeter: %d threads)", ff.Threads)
	}
	fmt.Fprintf(&b, ", at %s", formatTime(ff.Time))
	b.WriteString(".")
	if s := v.Sustained; s != nil {
		fmt.Fprintf(&b, " From %d %s up, most attempts failed (%s of %s).", s.Concurrency, lr.Layer.Unit(), thousands(s.FailedAtOrAbove), thousands(s.AtOrAbove))
	}
	fmt.Fprintf(&b, " %s of %s attempts failed", thousands(lr.Failures), thousands(lr.Decided))
	if n := lr.Codes[ff.Status]; n > 0 && n != lr.Failures {
		fmt.Fprintf(&b, ", %s of them with %s", thousands(n), ff.Status)
	}
	b.WriteString(".")
	if d := det; d != nil {
		var extra []string
		if d.RetryAfter >= 0 {
			extra = append(extra, fmt.Sprintf("Retry-After: %d s", d.RetryAfter))
		}
		if d.ReasonHeader != "" {
			extra = append(extra, "Reason: "+d.ReasonHeader)
		}
		if d.Warning != "" {
			extra = append(extra, "Warning: "+d.Warning)
		}
		if d.Relayed.IsValid() {
			extra = append(extra, "relayed from the backend "+d.Relayed.String()+", which refused first")
		}
		if len(extra) > 0 {
			fmt.Fprintf(&b, " The first rejection said %s.", strings.Join(extra, "; "))
		}
	}
	switch v.Kind {
	case KindCapacity:
		b.WriteString(" This is a capacity limit, not a rate limit (which would answer 429).")
	case KindRateLimit:
		b.WriteString(" This is a rate limit (429), not a capacity limit.")
	}
	return b.String()
}

func formatTime(ns int64) string {
	return time.Unix(0, ns).UTC().Format("2006-01-02 15:04:05.000 UTC")
}

func thousands(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// wall reports whether a layer's failures follow the load: the first
// failure is at the sustained breakpoint (within 5 %), where most attempts
// fail from then on.
func wall(lr *LayerResult) bool {
	s, ff := lr.Sustained, lr.FirstFailure
	if s == nil || ff == nil || s.Concurrency < 2 {
		return false
	}
	return float64(ff.Concurrency) >= 0.95*float64(s.Concurrency)
}
