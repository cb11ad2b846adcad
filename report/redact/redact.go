package redact

import (
	"crypto/rand"
	"errors"
	"net/netip"
	"strings"
	"sync"

	"github.com/gopacket/gopacket"

	"github.com/ceiling-dev/ceiling/correlate"
	"github.com/ceiling-dev/ceiling/parse/http"
	"github.com/ceiling-dev/ceiling/parse/sip"
)

// Options say what a Redactor keeps and how it keys its pseudonyms.
type Options struct {
	// Edges are addresses kept as they are: the edge's, which support
	// must see to find the trunk. Edges(result) gives the edges an
	// analysis found.
	Edges []netip.Addr
	// Keep, when set, is asked about every address that is not in Edges
	// and not always kept (see the package doc): true keeps it.
	Keep func(netip.Addr) bool
	// KeepPrivate keeps private-range addresses (RFC 1918, RFC 6598
	// shared space, IPv6 ULA). Off by default: the load generator
	// usually sits in a private range, and its address is exactly what
	// a shared report must not show.
	KeepPrivate bool
	// Secret keys the pseudonyms (HMAC-SHA256). Nil draws 32 random
	// bytes, so the pseudonyms of two runs cannot be compared, nor
	// reversed by trying every phone number. Tests give a fixed one.
	Secret []byte
	// KeepHeaders names SIP and HTTP headers whose values are trace or
	// correlation IDs, kept as they are (case-insensitive; a leading "*"
	// matches a suffix). Nil means DefaultKeepHeaders. Call-ID is always
	// kept, save for a client address inside it.
	KeepHeaders []string
	// SameLength makes Packet keep every frame's length: addresses
	// written as text in SIP over UDP are then fitted to the length of
	// the original like they always are over TCP (see the package doc),
	// instead of written in full with Content-Length and the IP and UDP
	// lengths fixed.
	SameLength bool
}

// DefaultKeepHeaders are the headers kept when Options names none: the
// correlation and trace headers that ceiling reads from SIP and HTTP.
var DefaultKeepHeaders = defaultKeepHeaders()

func defaultKeepHeaders() []string {
	seen := map[string]bool{}
	var out []string
	for _, h := range append(append([]string{}, sip.DefaultCorrelationHeaders...), http.DefaultTraceHeaders...) {
		h = strings.ToLower(h)
		if !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	return out
}

// ErrDropped is wrapped by the error Packet returns for a frame that
// must not be written: one that cannot be decoded far enough to be
// redacted, or whose protocol carries addresses or names this package
// does not rewrite. The frame is counted in Stats.
var ErrDropped = errors.New("redact: frame dropped")

// Stats counts what Packet did.
type Stats struct {
	Frames    int64 // frames given to Packet
	Rewritten int64 // frames that came out different
	// Dropped counts frames that came back with ErrDropped, and
	// DroppedBy per reason ("link type 105", "ip protocol 50", "dns").
	Dropped   int64
	DroppedBy map[string]int64
	// Blanked counts payloads written as zeros because they could not be
	// read to be redacted: compressed WebSocket messages, masked
	// WebSocket data after a gap in the capture.
	Blanked int64
	// StaleChecksums counts IP fragments whose changes could not be
	// reflected in a transport checksum sent in an earlier fragment
	// (fragmented TCP; see the package doc for UDP).
	StaleChecksums int64
	// Pseudonyms made so far: distinct addresses, phone numbers, users
	// and other names.
	Addresses, Numbers, Names int
}

// Redactor replaces personal data with pseudonyms. One Redactor serves a
// whole run, so that one input gets the same pseudonym in the report,
// the JSON, the CSV and the capture. It is safe for concurrent use.
type Redactor struct {
	mu sync.Mutex

	secret      []byte
	edges       map[netip.Addr]bool
	keep        func(netip.Addr) bool
	keepPrivate bool
	keepHeaders []string
	sameLength  bool

	p pseudonyms

	flows flowTable
	stats Stats
	// words are the redacted strings that attempts repeat (word).
	words map[string]string
	// quoting is set while a packet quoted in an ICMP error is decoded:
	// it is not a frame of the capture.
	quoting bool
}

// New makes a Redactor.
func New(opts Options) *Redactor {
	r := &Redactor{
		secret:      opts.Secret,
		edges:       map[netip.Addr]bool{},
		keep:        opts.Keep,
		keepPrivate: opts.KeepPrivate,
		keepHeaders: opts.KeepHeaders,
		sameLength:  opts.SameLength,
	}
	if r.secret == nil {
		r.secret = make([]byte, 32)
		if _, err := rand.Read(r.secret); err != nil {
			// crypto/rand does not fail on the systems Go supports; a
			// fixed key would make pseudonyms guessable, so refuse.
			panic("redact: no randomness for the secret: " + err.Error())
		}
	}
	if r.keepHeaders == nil {
		r.keepHeaders = DefaultKeepHeaders
	}
	for _, a := range opts.Edges {
		r.edges[a.Unmap().WithZone("")] = true
	}
	r.p.init(r)
	r.flows.init()
	return r
}

// Edges returns the addresses that received the hop-0 attempts of r, the
// edges the load generator talked to: what Options.Edges keeps. Backends
// the edge itself called are left out (they are redacted like any other
// address unless named).
func Edges(r *correlate.Result) []netip.Addr {
	if r == nil {
		return nil
	}
	seen := map[netip.Addr]bool{}
	var out []netip.Addr
	add := func(ap netip.AddrPort) {
		a := ap.Addr().Unmap().WithZone("")
		if ap.IsValid() && !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	for _, lr := range r.Layers {
		for _, e := range lr.Edges {
			add(e.Edge)
		}
	}
	for _, a := range r.Attempts.All() {
		if a.Hop == 0 {
			add(a.Edge)
		}
	}
	return out
}

// Stats returns a copy of the counts so far.
func (r *Redactor) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.stats
	s.DroppedBy = make(map[string]int64, len(r.stats.DroppedBy))
	for k, v := range r.stats.DroppedBy {
		s.DroppedBy[k] = v
	}
	s.Addresses = len(r.p.addrs)
	s.Numbers = len(r.p.phones)
	s.Names = len(r.p.tokens)
	return s
}

// Addr returns the pseudonym of a, or a itself when it is kept (an edge,
// loopback, unspecified, multicast, broadcast; see the package doc).
func (r *Redactor) Addr(a netip.Addr) netip.Addr {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.p.addr(a)
}

// AddrPort redacts the address and keeps the port: ports say which
// socket, not who.
func (r *Redactor) AddrPort(ap netip.AddrPort) netip.AddrPort {
	if !ap.IsValid() {
		return ap
	}
	return netip.AddrPortFrom(r.Addr(ap.Addr()), ap.Port())
}

// Kept reports whether a is written as it is.
func (r *Redactor) Kept(a netip.Addr) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.kept(a)
}

// String redacts free text: a header value, a JTL URL or label, a
// sentence. See the package doc for what it finds.
func (r *Redactor) String(s string) string {
	if s == "" {
		return s
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.text(s)
}

func (r *Redactor) text(s string) string {
	if s == "" {
		return s
	}
	sc := scanner{r: r, final: true, prose: true}
	out := sc.run(nil, []byte(s))
	return string(out)
}

// CallID returns a Call-ID with the client addresses in it replaced,
// the rest kept: support searches the edge's logs by the unique part,
// and a Call-ID is often "random@client-address".
func (r *Redactor) CallID(s string) string {
	if s == "" {
		return s
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.callID(s)
}

// Host returns the pseudonym of a host name of the client side (the
// JMeter host's name), or the address's when s is an address.
func (r *Redactor) Host(s string) string {
	if s == "" {
		return s
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return r.Addr(a).String()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.p.token(kindHost, s)
}

// AdjustInfo returns the capture info of a frame that Packet turned from
// before bytes into after bytes: a SIP message over UDP whose addresses
// got longer or shorter changes the frame's length on the wire too.
func AdjustInfo(ci gopacket.CaptureInfo, before, after int) gopacket.CaptureInfo {
	ci.Length += after - before
	ci.CaptureLength = after
	if ci.Length < ci.CaptureLength {
		ci.Length = ci.CaptureLength
	}
	return ci
}

// kept decides whether an address is written as it is. r.mu is held.
func (r *Redactor) kept(a netip.Addr) bool {
	if !a.IsValid() {
		return true
	}
	a = a.Unmap().WithZone("")
	switch {
	case a.IsLoopback(), a.IsUnspecified(), a.IsMulticast(), a.IsInterfaceLocalMulticast(), a.IsLinkLocalMulticast():
		// They name no one: every host has them.
		return true
	case a.Is4() && a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return true
	case r.edges[a]:
		return true
	case r.keepPrivate && (a.IsPrivate() || shared.Contains(a)):
		return true
	case r.keep != nil && r.keep(a):
		return true
	}
	return false
}

// shared is RFC 6598's carrier-grade NAT space, private in all but name.
var shared = netip.MustParsePrefix("100.64.0.0/10")

func (r *Redactor) drop(reason string) error {
	if r.quoting {
		return &dropError{reason}
	}
	r.stats.Dropped++
	if r.stats.DroppedBy == nil {
		r.stats.DroppedBy = map[string]int64{}
	}
	r.stats.DroppedBy[reason]++
	return &dropError{reason}
}

type dropError struct{ reason string }

func (e *dropError) Error() string { return "redact: frame dropped: " + e.reason }
func (e *dropError) Unwrap() error { return ErrDropped }

// keepHeader reports whether a header's value is a trace or correlation
// ID to keep.
func (r *Redactor) keepHeader(name []byte) bool {
	for _, k := range r.keepHeaders {
		if strings.HasPrefix(k, "*") {
			suf := k[1:]
			if len(name) >= len(suf) && strings.EqualFold(string(name[len(name)-len(suf):]), suf) {
				return true
			}
			continue
		}
		if strings.EqualFold(string(name), k) {
			return true
		}
	}
	return false
}
