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

// plan builds the keys of every capture from the selection.
//
// A SIP dialog is its Call-ID: every UDP datagram carrying it, on every
// leg (the edge's legs towards backends share it, as a proxy keeps it).
// Over TCP or WebSocket a dialog is its connection when the connection
// carries that dialog alone; and on every TCP connection between the same
// two hosts, the segments carrying its messages (sipStream). A TCP,
// TLS, HTTP or WebSocket attempt is its TCP connection, found from the
// tcp attempt that encloses it (same ends, opened before, not ended
// before).
func plan(res *correlate.Result, sel Selection) map[int]*fileKeys {
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
	calls := map[string]bool{}
	for _, it := range sel.Items {
		if a := &res.Attempts[it.Attempt]; a.Layer == correlate.LayerSIP && a.CallID != "" {
			calls[a.CallID] = true
		}
	}
	legs := map[string][]int{}
	if len(calls) > 0 {
		for i := range res.Attempts {
			a := &res.Attempts[i]
			if a.Layer == correlate.LayerSIP && a.Hop > 0 && calls[a.CallID] {
				legs[a.CallID] = append(legs[a.CallID], i)
			}
		}
	}
	type related struct {
		attempt int
		ref     ref
	}
	var rel []related
	for k, it := range sel.Items {
		rel = append(rel, related{it.Attempt, ref{item: k}})
		if a := &res.Attempts[it.Attempt]; a.Layer == correlate.LayerSIP && a.Hop == 0 {
			for _, j := range legs[a.CallID] {
				rel = append(rel, related{j, ref{item: k}})
			}
		}
	}

	// The TCP connections and SIP dialogs on the ends these attempts
	// used, in one pass over the attempts.
	want := map[fileTuple]bool{}
	for _, r := range rel {
		a := &res.Attempts[r.attempt]
		if a.Packet > 0 && a.Client.IsValid() && a.Edge.IsValid() {
			want[fileTuple{a.File, makeTuple(a.Client, a.Edge)}] = true
		}
	}
	tcpOn := map[fileTuple][]int{}
	sipOn := map[fileTuple][]int{}
	for i := range res.Attempts {
		a := &res.Attempts[i]
		if a.Packet == 0 || (a.Layer != correlate.LayerTCP && a.Layer != correlate.LayerSIP) {
			continue
		}
		ft := fileTuple{a.File, makeTuple(a.Client, a.Edge)}
		if !want[ft] {
			continue
		}
		if a.Layer == correlate.LayerTCP {
			tcpOn[ft] = append(tcpOn[ft], i)
		} else {
			sipOn[ft] = append(sipOn[ft], i)
		}
	}
	enclosing := func(a *correlate.Attempt, ft fileTuple) int {
		best := -1
		for _, j := range tcpOn[ft] {
			t := &res.Attempts[j]
			if t.Time <= a.Time && (t.Ended == 0 || t.Ended >= a.Time) && (best < 0 || t.Time >= res.Attempts[best].Time) {
				best = j
			}
		}
		return best
	}
	// dialogsOn counts the dialogs on a connection: a dialog that tried
	// again (after a 401) is one.
	dialogsOn := func(t *correlate.Attempt, ft fileTuple) int {
		ids := map[string]bool{}
		for _, j := range sipOn[ft] {
			s := &res.Attempts[j]
			if s.Time >= t.Time && (t.Ended == 0 || s.Time <= t.Ended) {
				ids[s.CallID] = true
			}
		}
		return len(ids)
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
		a := &res.Attempts[r.attempt]
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
			if j := enclosing(a, ft); j >= 0 {
				if tc := &res.Attempts[j]; dialogsOn(tc, ft) <= 1 {
					addConn(k, t, tc.Client, tc.Packet, r.ref)
				}
			}
		case correlate.LayerTCP:
			addConn(k, t, a.Client, a.Packet, r.ref)
		case correlate.LayerTLS, correlate.LayerHTTP, correlate.LayerWebSocket:
			if j := enclosing(a, ft); j >= 0 {
				addConn(k, t, res.Attempts[j].Client, res.Attempts[j].Packet, r.ref)
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
	return keys
}
