package evidence

import (
	"net/netip"
	"sort"

	"github.com/ceiling-dev/ceiling/correlate"
)

// The keys the second pass looks packets up by. They are built from the
// selection before any packet is read, and are all it keeps besides the
// ladders: the packets themselves go straight to the output.

// ref ties a key to a chosen item.
type ref struct {
	item int // index in Selection.Items
}

// tuple is a TCP connection's two ends, in a fixed order so that both
// directions find it.
type tuple struct{ a, b netip.AddrPort }

func makeTuple(x, y netip.AddrPort) tuple {
	if y.Compare(x) < 0 {
		x, y = y, x
	}
	return tuple{x, y}
}

// connSel follows one TCP connection of a chosen attempt, from its first
// packet to the next connection on the same ends (a new SYN with another
// initial sequence number), which is how tshark tells its streams apart:
// every segment in between is the attempt's, the SYN retransmissions, the
// RST of a refusal, and stragglers after the close included.
type connSel struct {
	refs   []ref
	client netip.AddrPort
	// start is the frame number of the connection's first packet (its
	// first SYN); 0 when the connection began before the capture, and then
	// it starts at the first packet on these ends.
	start   int64
	active  bool
	done    bool
	isn     uint32
	haveISN bool
	// What the ladder's labels need to know of the stream so far.
	wsUp   bool
	tlsCCS [2]bool // each side has switched to encryption
}

// fileKeys are the keys for one capture.
type fileKeys struct {
	calls map[string][]ref // SIP over UDP, by Call-ID
	conns map[tuple][]*connSel
	// hosts are, per pair of addresses that exchanged chosen dialogs, the
	// dialogs: every TCP connection between them is framed as SIP, since
	// a dialog's messages may take any of them (a shared connection, the
	// far end's own connection for its requests).
	hosts map[hostPair]*sipCalls
}

// hostPair is two addresses, in a fixed order.
type hostPair struct{ a, b netip.Addr }

func makeHostPair(x, y netip.Addr) hostPair {
	if y.Compare(x) < 0 {
		x, y = y, x
	}
	return hostPair{x, y}
}

// sipCalls are chosen dialogs by Call-ID.
type sipCalls struct {
	refs map[string][]ref
	ids  []string // the keys of refs, sorted, for a stable order
}

func (c *sipCalls) add(callID string, r ref) {
	if _, ok := c.refs[callID]; !ok {
		c.ids = append(c.ids, callID)
		sort.Strings(c.ids)
	}
	c.refs[callID] = append(c.refs[callID], r)
}

func (k *fileKeys) empty() bool {
	return len(k.calls) == 0 && len(k.conns) == 0 && len(k.hosts) == 0
}

type fileTuple struct {
	file int
	t    tuple
}

// sipLegs reads, in one pass over the attempts, the edge's own legs
// (hop > 0) of the chosen SIP dialogs, in time order: the ladders and the
// plan both want them, and they are few, those of a few dialogs.
func sipLegs(res *correlate.Result, chosen []correlate.Attempt) []correlate.Attempt {
	calls := map[string]bool{}
	for k := range chosen {
		if a := &chosen[k]; a.Layer == correlate.LayerSIP && a.CallID != "" {
			calls[a.CallID] = true
		}
	}
	if len(calls) == 0 || !sipBackends(res) {
		return nil
	}
	var legs []correlate.Attempt
	for i, a := range res.Attempts.Heads() {
		if a.Layer != correlate.LayerSIP || a.Hop == 0 {
			continue
		}
		if a := res.Attempts.At(i); calls[a.CallID] {
			legs = append(legs, a)
		}
	}
	return legs
}

// sipBackends says whether the edge made SIP attempts of its own (hop >
// 0), as the layers' accounts count them: when it made none, a pass over
// every attempt would find no leg. Without accounts (a Result made by
// hand), it may have.
func sipBackends(res *correlate.Result) bool {
	if len(res.Layers) == 0 {
		return true
	}
	for _, lr := range res.Layers {
		if lr.Layer == correlate.LayerSIP {
			return lr.Backend > 0
		}
	}
	return false
}

// tcpConn is what plan needs of a tcp attempt.
type tcpConn struct {
	time, ended, packet int64
	// last is the connection's last packet (Attempt.Last), 0 if unknown.
	last   int64
	client netip.AddrPort
}

// connSpan is a TCP connection's ends and lifetime, by which plan counts
// the dialogs it carried.
type connSpan struct {
	ft       fileTuple
	from, to int64 // to is 0 while it was still open
}

// dialogCount counts distinct Call-IDs, up to two: plan only asks whether
// a connection carried one dialog.
type dialogCount struct {
	first string
	n     int
}

func (c *dialogCount) add(id string) {
	switch {
	case c.n == 0:
		c.first, c.n = id, 1
	case c.n == 1 && id != c.first:
		c.n = 2
	}
}

// plan builds the keys of every capture from the selection: chosen holds
// the chosen attempts (sel's items, in order), legs what sipLegs found.
//
// A SIP dialog is its Call-ID: every UDP datagram carrying it, on every
// leg (the edge's legs towards backends share it, as a proxy keeps it).
// Over TCP or WebSocket a dialog is its connection when the connection
// carries that dialog alone; and on every TCP connection between the same
// two hosts, the segments carrying its messages (sipStream). A TCP,
// TLS, HTTP or WebSocket attempt is its TCP connection, found from the
// tcp attempt that encloses it (same ends, opened before, not ended
// before).
func plan(res *correlate.Result, chosen, legs []correlate.Attempt) (map[int]*fileKeys, int64) {
	keys := map[int]*fileKeys{}
	get := func(file int) *fileKeys {
		k := keys[file]
		if k == nil {
			k = &fileKeys{calls: map[string][]ref{}, conns: map[tuple][]*connSel{}, hosts: map[hostPair]*sipCalls{}}
			keys[file] = k
		}
		return k
	}

	// The backend legs of the chosen dialogs.
	legsOf := map[string][]*correlate.Attempt{}
	for i := range legs {
		legsOf[legs[i].CallID] = append(legsOf[legs[i].CallID], &legs[i])
	}
	type related struct {
		a   *correlate.Attempt
		ref ref
	}
	var rel []related
	for k := range chosen {
		a := &chosen[k]
		rel = append(rel, related{a, ref{item: k}})
		if a.Layer == correlate.LayerSIP && a.Hop == 0 {
			for _, l := range legsOf[a.CallID] {
				rel = append(rel, related{l, ref{item: k}})
			}
		}
	}

	// The TCP connections on the ends these attempts used, in one pass
	// over the attempts.
	// Attempts come in time order, and a connection encloses only the
	// attempts made once it was open: the pass ends after the latest
	// attempt that wants one, rather than read the rest of the run.
	want := map[fileTuple]bool{}
	var latest int64
	for _, r := range rel {
		a := r.a
		if a.Packet > 0 && a.Client.IsValid() && a.Edge.IsValid() {
			want[fileTuple{a.File, makeTuple(a.Client, a.Edge)}] = true
			latest = max(latest, a.Time)
		}
	}
	tcpOn := map[fileTuple][]tcpConn{}
	for _, a := range res.Attempts.Heads() {
		if a.Time > latest {
			break
		}
		if a.Packet == 0 || a.Layer != correlate.LayerTCP {
			continue
		}
		if ft := (fileTuple{a.File, makeTuple(a.Client, a.Edge)}); want[ft] {
			tcpOn[ft] = append(tcpOn[ft], tcpConn{a.Time, a.Ended, a.Packet, a.Last, a.Client})
		}
	}
	enclosing := func(a *correlate.Attempt, ft fileTuple) *tcpConn {
		var best *tcpConn
		for j := range tcpOn[ft] {
			t := &tcpOn[ft][j]
			if t.time <= a.Time && (t.ended == 0 || t.ended >= a.Time) && (best == nil || t.time >= best.time) {
				best = t
			}
		}
		return best
	}
	// The dialogs on each connection a chosen dialog took (a dialog that
	// tried again, after a 401, is one), in a pass of their own: there are
	// none to count over UDP, where keeping every dialog on the ends until
	// the connections are known would mean keeping them all.
	dialogs := map[connSpan]*dialogCount{}
	spansOn := map[fileTuple][]connSpan{}
	for _, r := range rel {
		a := r.a
		if a.Layer != correlate.LayerSIP || a.Packet == 0 || !a.Client.IsValid() || !a.Edge.IsValid() {
			continue
		}
		ft := fileTuple{a.File, makeTuple(a.Client, a.Edge)}
		if t := enclosing(a, ft); t != nil {
			sp := connSpan{ft, t.time, t.ended}
			if dialogs[sp] == nil {
				dialogs[sp] = &dialogCount{}
				spansOn[ft] = append(spansOn[ft], sp)
			}
		}
	}
	if len(dialogs) > 0 {
		// A connection known to carry two dialogs needs no more counting:
		// a busy trunk connection carries thousands, each of which would
		// otherwise be read whole for its Call-ID.
		open := len(dialogs)
		for i, s := range res.Attempts.Heads() {
			if s.Packet == 0 || s.Layer != correlate.LayerSIP {
				continue
			}
			id, read := "", false
			for _, sp := range spansOn[fileTuple{s.File, makeTuple(s.Client, s.Edge)}] {
				if dc := dialogs[sp]; dc.n < 2 && s.Time >= sp.from && (sp.to == 0 || s.Time <= sp.to) {
					if !read {
						id, read = res.Attempts.At(i).CallID, true
					}
					if dc.add(id); dc.n == 2 {
						open--
					}
				}
			}
			if open == 0 {
				break
			}
		}
	}
	addConn := func(k *fileKeys, t tuple, client netip.AddrPort, start int64, r ref) {
		for _, cs := range k.conns[t] {
			if cs.start == start {
				cs.refs = append(cs.refs, r)
				return
			}
		}
		k.conns[t] = append(k.conns[t], &connSel{refs: []ref{r}, client: client, start: start})
	}

	for _, r := range rel {
		a := r.a
		if a.Packet == 0 {
			continue // known only from the JTL: nothing on the wire
		}
		k := get(a.File)
		t := makeTuple(a.Client, a.Edge)
		ft := fileTuple{a.File, t}
		switch a.Layer {
		case correlate.LayerSIP:
			if a.CallID != "" {
				k.calls[a.CallID] = append(k.calls[a.CallID], r.ref)
			}
			if !a.Client.IsValid() || !a.Edge.IsValid() {
				continue
			}
			if a.CallID != "" {
				// Over UDP this finds nothing more: no TCP between them.
				hp := makeHostPair(a.Client.Addr(), a.Edge.Addr())
				if k.hosts[hp] == nil {
					k.hosts[hp] = &sipCalls{refs: map[string][]ref{}}
				}
				k.hosts[hp].add(a.CallID, r.ref)
			}
			if tc := enclosing(a, ft); tc != nil && dialogs[connSpan{ft, tc.time, tc.ended}].n <= 1 {
				addConn(k, t, tc.client, tc.packet, r.ref)
			}
		case correlate.LayerTCP:
			addConn(k, t, a.Client, a.Packet, r.ref)
		case correlate.LayerTLS, correlate.LayerHTTP, correlate.LayerWebSocket:
			if tc := enclosing(a, ft); tc != nil {
				addConn(k, t, tc.client, tc.packet, r.ref)
			} else {
				addConn(k, t, a.Client, 0, r.ref)
			}
		}
	}
	for f, k := range keys {
		if k.empty() {
			delete(keys, f)
		}
	}
	return keys, readUntil(chosen, func(k int) int64 {
		a := &chosen[k]
		if a.Packet == 0 || !a.Client.IsValid() || !a.Edge.IsValid() {
			return 0
		}
		ft := fileTuple{a.File, makeTuple(a.Client, a.Edge)}
		switch a.Layer {
		case correlate.LayerSIP:
			// The dialog's messages, on any transport and on the edge's
			// own legs (which share its Call-ID, and may go on after the
			// client's leg has ended), and the connection it had to
			// itself, if it had one, whole.
			last := a.Last
			if a.Hop == 0 {
				for _, l := range legsOf[a.CallID] {
					if l.Last == 0 {
						return 0
					}
					last = max(last, l.Last)
				}
			}
			if tc := enclosing(a, ft); last != 0 && tc != nil && dialogs[connSpan{ft, tc.time, tc.ended}].n <= 1 {
				if tc.last == 0 {
					return 0
				}
				last = max(last, tc.last)
			}
			return last
		case correlate.LayerTCP:
			return a.Last
		case correlate.LayerTLS, correlate.LayerHTTP, correlate.LayerWebSocket:
			if tc := enclosing(a, ft); tc != nil {
				return tc.last
			}
		}
		return 0
	})
}
