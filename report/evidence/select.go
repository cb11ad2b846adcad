package evidence

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ceiling-dev/ceiling/correlate"
)

// Role says why an attempt was chosen.
type Role uint8

const (
	// RoleFirstFailure: the attempt that marks the first-failure
	// breakpoint.
	RoleFirstFailure Role = iota
	// RoleFailure: another failure of the failing layer, near a breakpoint.
	RoleFailure
	// RoleSustained: the attempt that marks the sustained breakpoint.
	RoleSustained
	// RoleContrast: an answered attempt made just before the first
	// failure, to compare with.
	RoleContrast
	// RolePeak: with no failure at all, an attempt at the highest load.
	RolePeak
	// RoleChosen: named by a Filter.
	RoleChosen
)

// Item is one chosen attempt.
type Item struct {
	// Attempt is the index in Result.Attempts.
	Attempt int
	Role    Role
	// Why is the sentence every packet of the attempt carries as its
	// pcapng comment, and the title of its ladder: what the attempt shows
	// and which attempt it is ("first SIP 503 at 101 dialogs, Call-ID …").
	Why string
}

// Selection is the attempts evidence is extracted for, in the order their
// ladders are shown: failures first, then the contrast.
type Selection struct {
	Items []Item
}

// Attempts lists the chosen attempts' indexes.
func (s Selection) Attempts() []int {
	out := make([]int, len(s.Items))
	for i, it := range s.Items {
		out[i] = it.Attempt
	}
	return out
}

// Default chooses what evidence of a verdict a person looks at first: the
// first n failures of the failing layer from the first-failure
// breakpoint on, the attempt that marks the sustained breakpoint with the
// failures right after it (when it is not among those), and the last
// (n+1)/2 hop-0 attempts of that layer that were answered before the first
// failure, for contrast (TCP connections when the load generator itself
// failed, which leaves nothing on the wire). With no failure, it chooses the n answered
// attempts at the highest concurrency of the highest layer. Attempts seen
// on the wire are preferred to those known only from the JTL, which have no
// packets to show.
func Default(res *correlate.Result, n int) Selection {
	var sel Selection
	if res == nil || n <= 0 {
		return sel
	}
	if !res.Verdict.Failed || res.Verdict.FirstFailure == nil {
		return peak(res, n)
	}
	v := &res.Verdict
	layer := v.Layer
	count := res.Attempts.Len()
	taken := map[int]bool{}
	// The pieces of work chosen, which the contrast must not show again.
	ids := map[string]bool{}
	add := func(i int, a *correlate.Attempt, role Role) {
		taken[i] = true
		ids[workID(a)] = true
		sel.Items = append(sel.Items, Item{Attempt: i, Role: role, Why: why(a, role)})
	}
	addAt := func(i int, role Role) {
		if i < 0 || i >= count || taken[i] {
			return
		}
		a := res.Attempts.At(i)
		add(i, &a, role)
	}
	failuresFrom := func(start, k int, role Role) {
		for i := start; i < count && k > 0; i++ {
			if taken[i] {
				continue
			}
			a := res.Attempts.At(i)
			if a.Hop != 0 || a.Layer != layer || !a.Failed {
				continue
			}
			add(i, &a, role)
			k--
		}
	}
	ff := v.FirstFailure.Attempt
	if ff >= 0 && ff < count {
		addAt(ff, RoleFirstFailure)
		failuresFrom(ff+1, n-1, RoleFailure)
	}
	if s := v.Sustained; s != nil && s.Attempt >= 0 && !taken[s.Attempt] {
		addAt(s.Attempt, RoleSustained)
		failuresFrom(s.Attempt+1, (n-1)/2, RoleFailure)
	}
	// Contrast: the answered attempts just before the first failure,
	// latest first so that they are the closest in load; at the same edge
	// as the first failure, seen on the wire, and each a different piece
	// of work (a trace ID seen at a proxy and at its backend, both on one
	// host, is one).
	want := (n + 1) / 2
	before := v.FirstFailure.Time
	edge := v.FirstFailure.Edge
	if layer == correlate.LayerClient {
		// The load generator's own failures left nothing on the wire:
		// the connections it did open before are what there is to see.
		layer = correlate.LayerTCP
	}
	type pick struct {
		i int
		a correlate.Attempt
	}
	var picked []pick
	chosen := map[int]bool{}
	// The attempts are in time order: those made by the first failure's
	// time end with the last of its instant. The passes start there, not
	// at the end of the run: a spike test mostly fails after its first
	// failure, and a pass back from the end read those attempts only to
	// skip them.
	from := count - 1
	if ff >= 0 && ff < count {
		from = ff
		for from+1 < count && res.Attempts.At(from+1).Time <= before {
			from++
		}
	}
	for pass := 0; pass < 4 && len(picked) < want; pass++ {
		sameEdge, wire := pass&1 == 0, pass < 2
		for i, a := range res.Attempts.HeadsBackwardFrom(from) {
			if a.Hop != 0 || a.Layer != layer || a.Outcome != correlate.Answered || a.Failed || a.Time > before || chosen[i] {
				continue
			}
			if (sameEdge && edge.IsValid() && a.Edge != edge) || (wire && a.Packet == 0) {
				continue
			}
			a := res.Attempts.At(i) // whole: its IDs, and picked keeps it
			if id := workID(&a); id != "" {
				if ids[id] {
					continue
				}
				ids[id] = true
			}
			chosen[i] = true
			picked = append(picked, pick{i, a})
			if len(picked) == want {
				break
			}
		}
	}
	for _, p := range picked {
		if !taken[p.i] {
			add(p.i, &p.a, RoleContrast)
		}
	}
	return sel
}

// workID names the piece of work an attempt is part of, when it says.
func workID(a *correlate.Attempt) string {
	switch {
	case a.CallID != "":
		return "call " + a.CallID
	case a.TraceID != "":
		return "trace " + a.TraceID
	}
	return ""
}

// peak chooses, when nothing failed, the answered attempts at the highest
// concurrency of the highest layer that had any.
func peak(res *correlate.Result, n int) Selection {
	var sel Selection
	if len(res.Layers) == 0 {
		return sel
	}
	top := res.Layers[len(res.Layers)-1]
	layer, most := top.Layer, top.MaxConcurrency
	// The n best so far, by concurrency, the earlier first at one: kept
	// as one pass meets them, rather than a pass per concurrency down
	// from the highest.
	type pick struct {
		i int
		a correlate.Attempt
	}
	var best []pick
	for i, a := range res.Attempts.Heads() {
		if a.Hop != 0 || a.Layer != layer || a.Outcome != correlate.Answered || a.Concurrency <= 0 || a.Concurrency > most {
			continue
		}
		k := sort.Search(len(best), func(j int) bool { return best[j].a.Concurrency < a.Concurrency })
		if k >= n {
			continue
		}
		if len(best) < n {
			best = append(best, pick{})
		}
		copy(best[k+1:], best[k:len(best)-1])
		best[k] = pick{i, *a}
	}
	for _, p := range best {
		a := res.Attempts.At(p.i) // whole: best holds heads
		sel.Items = append(sel.Items, Item{Attempt: p.i, Role: RolePeak, Why: why(&a, RolePeak)})
	}
	return sel
}

// Filter names attempts. Every field that is set must match; a list
// matches when any of its values does. Only hop-0 attempts (the ones the
// load generator made) are named: the legs an edge opened towards its
// backends come with their dialog.
type Filter struct {
	CallIDs  []string
	TraceIDs []string
	Layers   []correlate.Layer
	// Statuses are in DESIGN.md's vocabulary: "503", "refused",
	// "alert:handshake_failure", "timeout". "failed" matches every
	// failure, "answered" every attempt answered.
	Statuses []string
	// From and To bound the attempt's time (Unix ns, capture clock); zero
	// leaves that side open. To is inclusive.
	From, To int64
	// Max bounds how many attempts are chosen, the earliest first; zero
	// means no bound.
	Max int
}

// Empty reports whether the filter names nothing, so that Default applies.
func (f *Filter) Empty() bool {
	return len(f.CallIDs) == 0 && len(f.TraceIDs) == 0 && len(f.Layers) == 0 && len(f.Statuses) == 0 && f.From == 0 && f.To == 0
}

// Select chooses the attempts the filter names, in time order.
func (f *Filter) Select(res *correlate.Result) Selection {
	var sel Selection
	if res == nil {
		return sel
	}
	for i, a := range res.Attempts.All() {
		if a.Hop != 0 || !f.match(&a) {
			continue
		}
		sel.Items = append(sel.Items, Item{Attempt: i, Role: RoleChosen, Why: why(&a, RoleChosen)})
		if f.Max > 0 && len(sel.Items) == f.Max {
			break
		}
	}
	return sel
}

func (f *Filter) match(a *correlate.Attempt) bool {
	if len(f.CallIDs) > 0 && !contains(f.CallIDs, a.CallID) {
		return false
	}
	if len(f.TraceIDs) > 0 && !contains(f.TraceIDs, a.TraceID) {
		return false
	}
	if len(f.Layers) > 0 {
		ok := false
		for _, l := range f.Layers {
			ok = ok || l == a.Layer
		}
		if !ok {
			return false
		}
	}
	if len(f.Statuses) > 0 {
		ok := false
		for _, s := range f.Statuses {
			switch strings.ToLower(s) {
			case "failed":
				ok = ok || a.Failed
			case "answered":
				ok = ok || a.Outcome == correlate.Answered
			default:
				ok = ok || strings.EqualFold(s, a.Status)
			}
		}
		if !ok {
			return false
		}
	}
	if f.From != 0 && a.Time < f.From {
		return false
	}
	if f.To != 0 && a.Time > f.To {
		return false
	}
	return true
}

func contains(list []string, s string) bool {
	if s == "" {
		return false
	}
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Why says in one line what an attempt shows and which attempt it is: the
// comment its packets carry.
func Why(res *correlate.Result, i int, role Role) string {
	a := res.Attempts.At(i)
	return why(&a, role)
}

func why(a *correlate.Attempt, role Role) string {
	at := fmt.Sprintf("at %d %s", a.Concurrency, unit(a.Layer, a.Concurrency))
	var s string
	switch role {
	case RoleFirstFailure:
		// "first SIP 503 at …", but "first failure, refused: …".
		if f := finding(a); f[0] >= 'a' && f[0] <= 'z' {
			s = "first failure, " + f + " " + at
		} else {
			s = "first " + f + " " + at
		}
	case RoleSustained:
		s = "sustained breakpoint: " + finding(a) + " " + at
	case RoleContrast:
		s = "contrast: " + finding(a) + " " + at + ", before the first failure"
	case RolePeak:
		s = "no failure: " + finding(a) + " " + at + ", the peak"
	default:
		s = finding(a) + " " + at
	}
	return s + ", " + identity(a)
}

// finding names what the layer said, in the words of the layer.
func finding(a *correlate.Attempt) string {
	st := a.Status
	switch a.Layer {
	case correlate.LayerSIP:
		switch {
		case st == "timeout":
			return "SIP INVITE unanswered (timer B)"
		case a.Outcome == correlate.Answered:
			return "answered " + st
		}
		return "SIP " + st
	case correlate.LayerWebSocket:
		switch {
		case st == "101":
			return "WebSocket upgrade answered 101"
		case st == "closed":
			return "WebSocket upgrade closed unanswered"
		}
		return "WebSocket upgrade answered " + st
	case correlate.LayerHTTP:
		if st == "closed" {
			return "HTTP request closed unanswered"
		}
		return "HTTP " + st
	case correlate.LayerTCP:
		switch st {
		case "refused":
			return "refused: SYN answered by RST"
		case "timeout":
			return "SYN never answered"
		case "reset":
			return "reset after the connection was up"
		case "established":
			return "connection established"
		}
		return "TCP " + st
	case correlate.LayerTLS:
		switch {
		case strings.HasPrefix(st, "alert:"):
			return "TLS handshake failed: alert " + strings.TrimPrefix(st, "alert:")
		case st == "closed":
			return "TLS handshake cut: connection closed"
		case st == "completed":
			return "TLS handshake completed"
		}
		return "TLS " + st
	case correlate.LayerClient:
		return "load generator failed: " + st
	}
	return a.Layer.String() + " " + st
}

// unit is the layer's concurrency unit, short: "dialogs", "connections".
func unit(l correlate.Layer, n int32) string {
	one := n == 1
	pick := func(s string) string {
		if one {
			return s
		}
		return s + "s"
	}
	switch l {
	case correlate.LayerSIP:
		return pick("dialog")
	case correlate.LayerWebSocket:
		return pick("WebSocket connection")
	case correlate.LayerTCP, correlate.LayerTLS, correlate.LayerClient:
		return pick("connection")
	case correlate.LayerHTTP:
		return pick("request") + " in flight"
	}
	return ""
}

// identity names the attempt so that a person finds it again: its Call-ID
// or trace ID, else its connection.
func identity(a *correlate.Attempt) string {
	switch {
	case a.CallID != "":
		return "Call-ID " + a.CallID
	case a.TraceID != "":
		return "trace ID " + a.TraceID
	case a.Client.IsValid() && a.Edge.IsValid():
		return a.Client.String() + " → " + a.Edge.String()
	case a.Edge.IsValid():
		return "to " + a.Edge.String()
	}
	return "known only from the JTL"
}
