package tls

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ceiling-dev/ceiling/parse/pcap"
)

// corpusDir finds the shared capture corpus: $CEILING_CORPUS/pcap, or
// shared/corpus/pcap beside the repository, as the workplace lays it out.
func corpusDir() string {
	if d := os.Getenv("CEILING_CORPUS"); d != "" {
		return filepath.Join(d, "pcap")
	}
	return filepath.Join("..", "..", "..", "shared", "corpus", "pcap")
}

// needCorpus skips a test when the shared corpus is not there, on a
// developer's machine, and fails it in CI, where it must be.
func needCorpus(t testing.TB) string {
	t.Helper()
	d := corpusDir()
	if _, err := os.Stat(d); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s missing: the shared corpus must be beside the repository in CI", d)
		}
		t.Skipf("shared corpus not found: %v", err)
	}
	return d
}

// Captures with TLS in them. The corpus ones are read from the corpus at
// test time (see testdata/README.md for which are also copied here as
// streams); gen ones are committed.
var (
	corpusCaptures = []string{
		"zeek_tls_tls-1.2-handshake-failure.pcap",
		"heplify_sip_ipv4_tcp_retrans.pcap",
		"wsample_sip-tls-1.3-and-rtcp_sip.pcap",
	}
	genCaptures = []string{
		"server-fin-mid-handshake.pcap",
		"server-rst-mid-handshake.pcap",
		"tls-version-mismatch.pcap",
		"tls12-client-rejects-cert.pcap",
		"tls12-ecdhe-aes128gcm.pcap",
		"tls12-ecdhe-chacha20.pcap",
		"tls12-no-common-cipher.pcap",
		"tls12-resumed.pcap",
		"tls12-rsa-aes256gcm.pcap",
		"tls13-aes128gcm.pcap",
		"tls13-aes256gcm-bulk.pcap",
		"tls13-chacha20-hrr.pcap",
		"tls13-client-rejects-cert.pcap",
		"tls13-capture-loss.pcap",
		"tls12-ecdhe-rsa-aes256gcm.pcap",
		"tls12-ecdhe-ecdsa-aes128gcm.pcap",
		"tls12-ecdhe-ecdsa-aes256gcm.pcap",
		"tls12-ecdhe-ecdsa-chacha20.pcap",
		"tls13-keyupdate.pcap",
		"tls13-early-data.pcap",
		"tls13-go-client-rejects-cert.pcap",
	}
)

// capturePath gives where a capture of either list is.
func capturePath(t testing.TB, name string) string {
	t.Helper()
	if slices.Contains(corpusCaptures, name) {
		return filepath.Join(needCorpus(t), name)
	}
	return filepath.Join("testdata", "gen", name)
}

// tlsPort says which TCP ports the tests treat as TLS whatever the bytes:
// the captures' servers.
func tlsPort(p uint16) bool { return p == 443 || p == 5061 || (p >= 45001 && p <= 45020) }

// conn is one TCP connection of a capture, as the tests' small reassembler
// feeds it to a Conn.
type conn struct {
	index          int // as tshark's tcp.stream numbers them
	client, server netip.AddrPort
	c              *Conn
	tls            bool
	sniffed        bool // the first payload was looked at
	dirs           [2]tcpDir
	states         []string // OnState transitions
	problems       []string
	ops            []op // what was fed, for replays
	// data is what OnData was given, when the options set it.
	data []Plaintext
}

// op is one call on a Conn.
type op struct {
	kind   byte // 'f' Feed, 'g' Gap, 'c' Close
	side   Side
	data   []byte
	n      int64
	reason CloseReason
	t, pkt int64
}

// tcpDir is one direction of the tests' reassembler: in-order delivery by
// sequence number, retransmissions trimmed, out-of-order segments held
// until the hole fills (or reported as a gap at the end).
type tcpDir struct {
	synced  bool
	next    uint32
	pending map[uint32][]byte
}

// readConns reads a capture and runs a Conn over each TCP connection that
// looks like TLS or uses a TLS port. All ops are recorded.
func readConns(t testing.TB, path string, opts *Options) []*conn {
	t.Helper()
	return readConnsWith(t, path, opts, pcap.Options{})
}

// readConnsWith is readConns with the capture reader's options (the
// secrets blocks' callback).
func readConnsWith(t testing.TB, path string, opts *Options, popts pcap.Options) []*conn {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcap.NewReaderFrom(f, path, popts)
	if err != nil {
		t.Fatal(err)
	}
	type key struct{ a, b netip.AddrPort }
	flows := map[key]*conn{}
	var all []*conn
	var lastT, lastN int64
	for {
		p, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		lastT, lastN = p.Time, p.Num
		if p.Transport != pcap.TCP {
			continue
		}
		src, dst := p.SrcAddrPort(), p.DstAddrPort()
		k := key{src, dst}
		if k.b.Compare(k.a) < 0 {
			k = key{dst, src}
		}
		fl := flows[k]
		if fl == nil {
			fl = &conn{index: len(all), client: src, server: dst}
			switch {
			case p.Flags&pcap.SYN != 0 && p.Flags&pcap.ACK == 0:
			case p.Flags&pcap.SYN != 0, tlsPort(src.Port()) && !tlsPort(dst.Port()):
				fl.client, fl.server = dst, src
			}
			fl.tls = tlsPort(fl.server.Port())
			fl.newConn(opts)
			flows[k] = fl
			all = append(all, fl)
		}
		side := Client
		if src != fl.client {
			side = Server
		}
		if !fl.tls && !fl.sniffed && len(p.Payload) > 0 {
			fl.sniffed = true
			fl.tls = Looks(p.Payload)
		}
		fl.segment(side, p)
	}
	var out []*conn
	for _, fl := range all {
		for s := Client; s <= Server; s++ {
			fl.flush(s, lastT, lastN)
		}
		fl.do(op{kind: 'c', reason: EndOfCapture, t: lastT, pkt: lastN})
		if fl.tls {
			out = append(out, fl)
		}
	}
	return out
}

func (fl *conn) newConn(opts *Options) {
	o := Options{}
	if opts != nil {
		o = *opts
	}
	o.OnState = func(h *Handshake) {
		s := h.State.String()
		if h.Reason != "" {
			s += " " + h.Reason
		}
		fl.states = append(fl.states, fmt.Sprintf("%s @%d", s, fl.c.now.Packet))
	}
	o.OnProblem = func(e *Error) { fl.problems = append(fl.problems, e.Error()+fmt.Sprintf(" (packet %d)", e.Packet)) }
	if next := o.OnData; next != nil {
		o.OnData = func(p *Plaintext) {
			q := *p
			q.Data = append([]byte(nil), p.Data...)
			fl.data = append(fl.data, q)
			next(p)
		}
	}
	fl.c = NewConn(&o)
}

// do applies an op to the Conn (once the flow is known to be TLS) and
// records it.
func (fl *conn) do(o op) {
	if !fl.tls {
		return
	}
	fl.ops = append(fl.ops, o)
	o.apply(fl.c)
}

func (o op) apply(c *Conn) {
	switch o.kind {
	case 'f':
		c.Feed(o.side, o.data, o.t, o.pkt)
	case 'g':
		c.Gap(o.side, o.n)
	case 'c':
		c.Close(o.reason, o.t, o.pkt)
	}
}

func (fl *conn) segment(side Side, p *pcap.Packet) {
	d := &fl.dirs[side]
	if d.pending == nil {
		d.pending = map[uint32][]byte{}
	}
	seq := p.Seq
	if p.Flags&pcap.SYN != 0 {
		d.synced, d.next = true, seq+1
		seq++
	}
	if len(p.Payload) > 0 {
		if !d.synced {
			d.synced, d.next = true, seq
		}
		if diff := int32(seq - d.next); diff > 0 {
			d.pending[seq] = append([]byte(nil), p.Payload...)
		} else {
			fl.deliver(side, p.Payload[min(len(p.Payload), int(-diff)):], p.Time, p.Num)
			fl.drain(side, p.Time, p.Num)
		}
	}
	switch {
	case p.Flags&pcap.RST != 0:
		fl.flush(Client, p.Time, p.Num)
		fl.flush(Server, p.Time, p.Num)
		reason := ClientRST
		if side == Server {
			reason = ServerRST
		}
		fl.do(op{kind: 'c', reason: reason, t: p.Time, pkt: p.Num})
	case p.Flags&pcap.FIN != 0:
		fl.flush(side, p.Time, p.Num)
		reason := ClientFIN
		if side == Server {
			reason = ServerFIN
		}
		fl.do(op{kind: 'c', reason: reason, t: p.Time, pkt: p.Num})
	}
}

func (fl *conn) deliver(side Side, b []byte, t, n int64) {
	if len(b) == 0 {
		return
	}
	fl.dirs[side].next += uint32(len(b))
	fl.do(op{kind: 'f', side: side, data: append([]byte(nil), b...), t: t, pkt: n})
}

// drain delivers held segments that the stream has reached.
func (fl *conn) drain(side Side, t, n int64) {
	d := &fl.dirs[side]
	for again := true; again; {
		again = false
		for seq, b := range d.pending {
			diff := int32(seq - d.next)
			if diff > 0 {
				continue
			}
			delete(d.pending, seq)
			if -diff < int32(len(b)) {
				fl.deliver(side, b[-diff:], t, n)
			}
			again = true
		}
	}
}

// flush gives up on the holes before held segments: a Gap for each.
func (fl *conn) flush(side Side, t, n int64) {
	d := &fl.dirs[side]
	for len(d.pending) > 0 {
		var first uint32
		found := false
		for seq := range d.pending {
			if !found || int32(seq-first) < 0 {
				first, found = seq, true
			}
		}
		fl.do(op{kind: 'g', side: side, n: int64(first - d.next)})
		d.next = first
		fl.drain(side, t, n)
	}
}

// dump writes what the tests compare: everything in the Handshake but the
// times (packets stand for them).
func dump(w io.Writer, fl *conn) {
	h := fl.c.Handshake()
	fmt.Fprintf(w, "stream %d client %s server %s\n", fl.index, fl.client, fl.server)
	writeHandshake(w, h)
	for _, s := range fl.states {
		fmt.Fprintf(w, "  state-change %s\n", s)
	}
	for _, p := range fl.problems {
		fmt.Fprintf(w, "  problem %s\n", p)
	}
}

func writeHandshake(w io.Writer, h *Handshake) {
	fmt.Fprintf(w, "  state %s reason %q done @%d\n", h.State, h.Reason, h.Done.Packet)
	if ch := h.ClientHello; ch != nil {
		fmt.Fprintf(w, "  client_hello @%d offset %d sslv2 %v version %s supported %s suites %d session_id %v sni %q alpn %q key_shares %s early_data %v psk %v (hellos %d)\n",
			ch.Packet, ch.Offset, ch.SSLv2, VersionName(ch.LegacyVersion), versions(ch.SupportedVersions), ch.CipherSuites, ch.SessionID, ch.SNI, ch.ALPN, groups(ch.KeyShares), ch.EarlyData, ch.PSK, h.ClientHellos)
	}
	for _, sh := range []*ServerHello{h.HelloRetry, h.ServerHello} {
		if sh == nil {
			continue
		}
		name := "server_hello"
		if sh.HelloRetryRequest {
			name = "hello_retry_request"
		}
		fmt.Fprintf(w, "  %s @%d offset %d version %s legacy %s suite %s alpn %q key_share %s\n",
			name, sh.Packet, sh.Offset, VersionName(sh.Version), VersionName(sh.LegacyVersion), sh.CipherSuiteName(), sh.ALPN, GroupName(sh.KeyShare))
	}
	if h.Version != 0 {
		fmt.Fprintf(w, "  negotiated %s %s\n", VersionName(h.Version), CipherSuiteName(h.CipherSuite))
	}
	if h.Certificates > 0 {
		fmt.Fprintf(w, "  certificates %d cn %q\n", h.Certificates, h.CommonName)
	}
	for _, a := range h.Alerts {
		fmt.Fprintf(w, "  alert @%d %s offset %d level %d %s encrypted %v\n", a.Packet, a.From, a.Offset, a.Level, a.Name(), a.Encrypted)
	}
	if h.AlertCount > len(h.Alerts) {
		fmt.Fprintf(w, "  alerts %d in all\n", h.AlertCount)
	}
	for s := Client; s <= Server; s++ {
		d := h.Dir(s)
		var msgs []string
		for _, m := range d.Messages {
			msgs = append(msgs, m.String())
		}
		fmt.Fprintf(w, "  %s bytes %d gap %d skipped %d records %d messages [%s] ccs @%d encrypted %d appdata %d/%d undecrypted %d truncated %v\n",
			s, d.Bytes, d.Gap, d.Skipped, d.Records, strings.Join(msgs, " "), d.ChangeCipherSpec.Packet, d.Encrypted, d.AppDataRecords, d.AppDataBytes, d.Undecrypted, d.Truncated)
	}
	fmt.Fprintf(w, "  closed %s @%d problems %d\n", h.Closed, h.ClosedAt.Packet, h.Problems)
}

func versions(vs []uint16) string {
	var s []string
	for _, v := range vs {
		s = append(s, VersionName(v))
	}
	return "[" + strings.Join(s, ",") + "]"
}

func groups(gs []uint16) string {
	var s []string
	for _, g := range gs {
		s = append(s, GroupName(g))
	}
	return "[" + strings.Join(s, ",") + "]"
}

// followStream is a TCP stream as `tshark -z follow,tcp,raw` prints it:
// the segments' payloads in capture order, each with its side.
type followStream struct {
	name  string
	nodes [2]string
	segs  []op
}

// readFollow reads a follow file; the node on serverPort is the server.
func readFollow(t testing.TB, path string, serverPort int) *followStream {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fs := &followStream{name: filepath.Base(path)}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	serverNode := -1
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "Node 0: "), strings.HasPrefix(line, "Node 1: "):
			i := int(line[5] - '0')
			fs.nodes[i] = line[8:]
			if ap, err := netip.ParseAddrPort(line[8:]); err == nil && int(ap.Port()) == serverPort {
				serverNode = i
			}
		case line == "" || strings.HasPrefix(line, "===") || strings.HasPrefix(line, "Follow:") || strings.HasPrefix(line, "Filter:"):
		default:
			node := 0
			if line[0] == '\t' {
				node = 1
			}
			data, err := hex.DecodeString(strings.TrimSpace(line))
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			side := Client
			if node == serverNode {
				side = Server
			}
			fs.segs = append(fs.segs, op{kind: 'f', side: side, data: data, pkt: int64(len(fs.segs) + 1), t: int64(len(fs.segs) + 1)})
		}
	}
	if serverNode < 0 {
		t.Fatalf("%s: no node on port %d", path, serverPort)
	}
	return fs
}

// runOps feeds ops to a new Conn and returns its dump, state changes and
// problems included. opts may be nil; its callbacks are replaced.
func runOps(ops []op, opts *Options) (string, *Conn) {
	var o Options
	if opts != nil {
		o = *opts
	}
	var b strings.Builder
	var c *Conn
	o.OnState = func(h *Handshake) {
		fmt.Fprintf(&b, "  state-change %s %q @%d\n", h.State, h.Reason, c.now.Packet)
	}
	o.OnProblem = func(e *Error) { fmt.Fprintf(&b, "  problem %s (packet %d)\n", e, e.Packet) }
	c = NewConn(&o)
	for _, op := range ops {
		op.apply(c)
	}
	writeHandshake(&b, c.Handshake())
	return b.String(), c
}

// split returns ops with each Feed cut into pieces at the given sizes
// (cycled), keeping each piece's time and packet: what a reassembler that
// delivers smaller chunks would do.
func split(ops []op, sizes func() int) []op {
	var out []op
	for _, o := range ops {
		if o.kind != 'f' {
			out = append(out, o)
			continue
		}
		for d := o.data; len(d) > 0; {
			n := min(max(1, sizes()), len(d))
			p := o
			p.data = d[:n]
			out = append(out, p)
			d = d[n:]
		}
	}
	return out
}

// merge joins consecutive Feeds of the same side, stamped with the last
// one's time and packet.
func merge(ops []op) []op {
	var out []op
	for _, o := range ops {
		if n := len(out); n > 0 && o.kind == 'f' && out[n-1].kind == 'f' && out[n-1].side == o.side {
			p := out[n-1]
			p.data = append(append([]byte(nil), p.data...), o.data...)
			p.t, p.pkt = o.t, o.pkt
			out[n-1] = p
			continue
		}
		out = append(out, o)
	}
	return out
}

var packetRE = regexp.MustCompile(`(@|packet )\d+`)

// unstamped removes packet numbers from a dump.
func unstamped(s string) string { return packetRE.ReplaceAllString(s, "$1") }

// encodeOps packs ops into a fuzz input: per op a byte (side in bit 0;
// bits 1-2: 0 Feed, 1 Gap, 2 Close), a 2-byte length, then the data (Feed),
// or nothing (Gap, whose length is the count; Close, whose length is the
// reason).
func encodeOps(ops []op) []byte {
	var b []byte
	for _, o := range ops {
		switch o.kind {
		case 'f':
			for d := o.data; len(d) > 0; {
				n := min(len(d), 0xffff)
				b = append(b, byte(o.side), byte(n>>8), byte(n))
				b = append(b, d[:n]...)
				d = d[n:]
			}
		case 'g':
			n := min(o.n, 0xffff)
			b = append(b, byte(o.side)|2, byte(n>>8), byte(n))
		case 'c':
			b = append(b, 4, 0, byte(o.reason))
		}
	}
	return b
}

// decodeOps unpacks a fuzz input; packets count the ops.
func decodeOps(b []byte) []op {
	var ops []op
	for len(b) >= 3 {
		k, n := b[0], int(b[1])<<8|int(b[2])
		b = b[3:]
		o := op{side: Side(k & 1), pkt: int64(len(ops) + 1), t: int64(len(ops) + 1)}
		switch (k >> 1) & 3 {
		case 0:
			n = min(n, len(b))
			o.kind, o.data = 'f', b[:n]
			b = b[n:]
		case 1:
			o.kind, o.n = 'g', int64(n)
		default:
			o.kind, o.reason = 'c', CloseReason(n)
		}
		ops = append(ops, o)
	}
	return ops
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
