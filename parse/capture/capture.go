// Package capture turns packet captures into the protocol events ceiling
// correlates: SIP messages today, TCP connections, HTTP upgrades and TLS
// handshakes as those parsers arrive. Several captures are merged into one
// stream in capture-time order.
//
// It sits between parse/pcap (packets) and the protocol parsers
// (parse/sip, …), and knows nothing of dialogs or verdicts.
package capture

import (
	"container/heap"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"

	"github.com/ceiling-dev/ceiling/internal/nearorder"
	"github.com/ceiling-dev/ceiling/parse"
	"github.com/ceiling-dev/ceiling/parse/http"
	"github.com/ceiling-dev/ceiling/parse/pcap"
	"github.com/ceiling-dev/ceiling/parse/sip"
	"github.com/ceiling-dev/ceiling/parse/tcp"
	"github.com/ceiling-dev/ceiling/parse/tls"
	"github.com/ceiling-dev/ceiling/parse/tls/keylog"
)

// Kind says what an Event reports.
type Kind uint8

const (
	// KindSIP: a SIP message (over UDP, TCP or WebSocket).
	KindSIP Kind = iota
	// KindConnOpen: a TCP connection's first SYN, or its first packet
	// when the capture began mid-stream. Only Conn's identity and Start
	// may be read: the rest changes as the connection goes on.
	KindConnOpen
	// KindConnClose: a TCP connection ended; Conn is final.
	KindConnClose
	// KindRequest: an HTTP request head (a WebSocket upgrade among them).
	KindRequest
	// KindResponse: an HTTP response head.
	KindResponse
	// KindWSClose: a WebSocket close frame.
	KindWSClose
	// KindTLS: a TLS handshake reached its end: completed, or failed
	// (an alert, the connection closed during it).
	KindTLS
	// KindTLSHello: a TLS ClientHello: a handshake began.
	KindTLSHello
)

// Event is one protocol event seen in a capture.
type Event struct {
	Kind   Kind
	Time   int64 // Unix ns, the capture host's clock
	File   int   // index of the capture among all the inputs
	Packet int64 // frame number in that file (the completing frame of a reassembled datagram)
	Offset int64 // byte offset of that frame's record

	Src, Dst  netip.AddrPort
	Transport string // "udp", "tcp", "ws", "tls"

	// SIP is set for KindSIP.
	SIP *sip.Message
	// Conn is the TCP connection the event happened on, nil over UDP.
	Conn *tcp.Conn
	// Request and Response are set for KindRequest and KindResponse.
	Request  *http.Request
	Response *http.Response
	// WSClose is set for KindWSClose.
	WSClose *WSClose
	// TLS is set for KindTLS and KindTLSHello.
	TLS *TLSHandshake

	// job is the parse of the event's SIP message, until the event leaves
	// its file's reorder window.
	job *sipJob
}

// WSClose is a WebSocket close frame.
type WSClose struct {
	FromClient bool
	Code       int // 0 when the frame had no status code
	Reason     string
}

// TLSHandshake is what a connection's TLS handshake came to, seen without
// keys.
type TLSHandshake struct {
	SNI string
	// Version is the version the server chose ("TLS 1.3"), "" before a
	// ServerHello.
	Version string
	Cipher  string
	// Completed is set when the handshake finished.
	Completed bool
	// Status is DESIGN.md's tls status of a failure: "alert:<description>",
	// "closed"; "" when it completed.
	Status string
	// AlertFromServer is set when the failing alert came from the server.
	AlertFromServer bool
}

// TLSUnreadKey names a group of TLS connections that could not be read:
// the server port and the reason ("missing": no key for them in the key
// log, "wrong", "partial", "no-hello", "unsupported", "not-tried": no key
// log at all).
type TLSUnreadKey struct {
	Port   uint16
	Reason string
}

// Options tune the capture stage.
type Options struct {
	SIP sip.Options
	// Window is how far back in capture time a packet may arrive after a
	// later one and still be put in order (pcapng files with several
	// interfaces interleave by buffer, not by time). Zero means 2 s.
	Window int64
	// Pcap is passed to each packet reader; its Problems is set per file.
	Pcap pcap.Options
	// TCP tunes stream reassembly; File, FileName and Problems are set per
	// file.
	TCP tcp.Options
	// TraceHeaders names the HTTP headers that carry trace IDs; nil means
	// parse/http's defaults.
	TraceHeaders []string
	// KeyLog holds the TLS secrets given with --keylog; the Decryption
	// Secrets Blocks of pcapng inputs are merged into it as they are read.
	// Nil means an empty log (secrets blocks only).
	KeyLog *keylog.Log
	// Notify, when set, is called for every problem in any file.
	Notify func(parse.Problem)
}

// FileStats is what one capture contributed.
type FileStats struct {
	Path string
	Kind parse.Kind
	pcap.Stats
	SIPMessages                 int64 // SIP messages parsed (retransmissions included)
	SIPErrors                   int64 // payloads that looked like SIP and did not parse
	KeepAlives                  int64 // CRLF keep-alives (RFC 5626)
	UDPOther                    int64 // UDP datagrams that are not SIP, nor RTP or RTCP
	Media                       MediaStats
	TCPSegments                 int64 // TCP segments
	TCPConns                    int64 // TCP connections
	TLSConns                    int64 // of them, carrying TLS
	HTTPConns                   int64 // carrying HTTP
	WebSockets                  int64 // upgraded to WebSocket (101)
	HTTPRequests, HTTPResponses int64
	OutOfOrder                  int64 // events later than the reorder window allowed
	// TCP is the reassembler's own account.
	TCP tcp.Stats
	// TLSDecrypted counts TLS connections read with keys (some records of
	// a partial key log included); TLSUnread those whose application data
	// could not be read, by server port and why.
	TLSDecrypted int64
	TLSUnread    map[TLSUnreadKey]int64
	// Problems holds what this file skipped and where.
	Problems *parse.Problems
}

// Source merges the events of several captures.
type Source struct {
	opts    Options
	files   []*fileSource
	dec     *tls.KeyLogDecrypter
	merge   mergeHeap
	started bool
}

// Open prepares a Source over the given inputs, which must be captures.
// Reading starts with the first call to Next.
func Open(inputs []*parse.Input, fileIndex []int, opts Options) (*Source, error) {
	if opts.Window == 0 {
		opts.Window = 2e9
	}
	if opts.KeyLog == nil {
		opts.KeyLog = keylog.New()
	}
	s := &Source{opts: opts}
	// One decrypter for every connection of every file: a secrets block
	// in one capture opens the connections of all of them.
	s.dec = tls.NewDecrypter(opts.KeyLog)
	for i, in := range inputs {
		probs := &parse.Problems{Notify: opts.Notify}
		po := opts.Pcap
		po.Problems = probs
		path := in.Path
		po.OnSecrets = func(sec *pcap.Secrets) {
			s.opts.KeyLog.Merge(keylog.FromSecretsBlock(sec.Type, sec.Data, path, sec.Offset, probs))
		}
		r, err := pcap.NewReader(in, po)
		if err != nil {
			return nil, err
		}
		idx := i
		if fileIndex != nil {
			idx = fileIndex[i]
		}
		fs := &fileSource{
			in: in, r: r, index: idx, opts: &s.opts, decrypter: s.dec, pending: newReorder(),
			stats: FileStats{Path: in.Path, Kind: in.Kind, Problems: probs},
		}
		to := opts.TCP
		to.File, to.FileName, to.Problems = idx, in.Path, probs
		fs.asm = tcp.NewAssembler(streams{fs}, to)
		s.files = append(s.files, fs)
	}
	return s, nil
}

// Read fills dst with the events Next would return one after the other
// and returns how many it wrote; the error, io.EOF at the end, comes
// with the events before it. With one capture each event is written where
// it goes: an Event is 176 bytes, and Next's result was copied twice more
// on its way into a caller's batch.
func (s *Source) Read(dst []Event) (int, error) {
	if len(s.files) == 1 {
		f := s.files[0]
		for i := range dst {
			if err := f.next(&dst[i]); err != nil {
				return i, err
			}
		}
		return len(dst), nil
	}
	for i := range dst {
		ev, err := s.Next()
		if err != nil {
			return i, err
		}
		dst[i] = ev
	}
	return len(dst), nil
}

// Next returns the next event in time order, or io.EOF.
func (s *Source) Next() (ev Event, err error) {
	if len(s.files) == 1 {
		// One capture, nothing to merge: its events come in order, and
		// going through the heap would copy each of them twice more.
		err = s.files[0].next(&ev)
		return ev, err
	}
	if !s.started {
		s.started = true
		for _, f := range s.files {
			var ev Event
			err := f.next(&ev)
			if err == io.EOF {
				continue
			}
			if err != nil {
				return Event{}, err
			}
			heap.Push(&s.merge, mergeItem{ev, f})
		}
	}
	if len(s.merge) == 0 {
		return Event{}, io.EOF
	}
	top := s.merge[0]
	err = top.f.next(&ev)
	switch {
	case err == io.EOF:
		heap.Pop(&s.merge)
	case err != nil:
		return Event{}, err
	default:
		s.merge[0] = mergeItem{ev, top.f}
		heap.Fix(&s.merge, 0)
	}
	return top.ev, nil
}

// Close ends the goroutines reading ahead (see udpsip.go) of a Source
// given up before io.EOF; after io.EOF it has nothing to do. Next may
// still be called after Close.
func (s *Source) Close() {
	for _, f := range s.files {
		if f.parsing != nil {
			f.parsing.stop()
		}
	}
}

// Decryption is what the decrypter did over the whole run.
func (s *Source) Decryption() tls.DecryptStats { return s.dec.Stats() }

// Stats returns per-file statistics (complete once Next has returned io.EOF).
func (s *Source) Stats() []FileStats {
	out := make([]FileStats, len(s.files))
	for i, f := range s.files {
		f.stats.Stats = f.r.Stats()
		f.stats.TCP = f.asm.Stats()
		f.stats.Media = f.media.stats
		out[i] = f.stats
	}
	return out
}

type mergeItem struct {
	ev Event
	f  *fileSource
}

type mergeHeap []mergeItem

func (h mergeHeap) Len() int { return len(h) }
func (h mergeHeap) Less(i, j int) bool {
	if h[i].ev.Time != h[j].ev.Time {
		return h[i].ev.Time < h[j].ev.Time
	}
	if h[i].ev.File != h[j].ev.File {
		return h[i].ev.File < h[j].ev.File
	}
	return h[i].ev.Packet < h[j].ev.Packet
}
func (h mergeHeap) Swap(i, j int)       { h[i], h[j] = h[j], h[i] }
func (h *mergeHeap) Push(x interface{}) { *h = append(*h, x.(mergeItem)) }
func (h *mergeHeap) Pop() interface{} {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// fileSource decodes one capture and restores time order within it.
type fileSource struct {
	in    *parse.Input
	r     *pcap.Reader
	index int
	opts  *Options
	stats FileStats

	asm       *tcp.Assembler
	decrypter *tls.KeyLogDecrypter
	pending   reorder // events held back until the window has passed them
	newest    int64
	advanced  int64 // capture time the assembler's timers were last run at
	released  int64 // time of the last event released, to count late ones
	eof       bool

	// parsing parses the SIP messages on a goroutine of its own (see
	// udpsip.go), made with the first one; udpSIP holds the datagrams.
	parsing *parseWorker
	udpSIP  *udpParser
	// sipStreams holds the SIP messages read over TCP and WebSocket (see
	// stream.go).
	sipStreams *streamSIP
	// httpBlocks is what the HTTP parsers of all the file's connections
	// cut their messages from.
	httpBlocks http.Blocks

	media mediaCounter
}

// next puts the file's next event in *ev, or returns io.EOF. Going by
// pointer spares copies of the event on its way back.
func (f *fileSource) next(ev *Event) error {
	for {
		if (f.pending.first <= f.newest-f.opts.Window || f.eof) && f.pending.len() > 0 {
			f.pending.pop(ev)
			if ev.job != nil && !f.settle(ev) {
				continue
			}
			if ev.Time < f.released {
				f.stats.OutOfOrder++
			} else {
				f.released = ev.Time
			}
			return nil
		}
		if f.eof {
			return io.EOF
		}
		p, err := f.r.Next()
		if err == io.EOF {
			f.eof = true
			f.asm.Finish(f.newest)
			if f.parsing != nil {
				f.parsing.stop()
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %w", f.in.Path, err)
		}
		if p.Time > f.newest {
			f.newest = p.Time
		}
		f.decode(p)
	}
}

// decode turns one packet into zero or more events.
func (f *fileSource) decode(p *pcap.Packet) {
	switch p.Transport {
	case pcap.UDP:
		f.udp(p)
	case pcap.TCP:
		f.stats.TCPSegments++
		f.asm.Packet(p)
		// Timers (unanswered SYNs, idle connections) run on capture time;
		// every 100 ms of it is often enough.
		if p.Time-f.advanced > 1e8 {
			f.asm.Advance(p.Time)
			f.advanced = p.Time
		}
	}
}

// event returns where an event of time t and frame packet goes in the
// reorder window, with what every event says filled in, for the caller to
// fill the rest of in place and then hold: an Event is 176 bytes, and one
// built elsewhere was copied twice more on its way into the window.
// Nothing may be pushed between the two.
func (f *fileSource) event(k Kind, t, packet int64, transport string) *Event {
	ev := f.pending.slot(t, packet)
	ev.Kind, ev.File, ev.Transport = k, f.index, transport
	return ev
}

// hold keeps the event filled in at f.event until the reorder window has
// passed it.
func (f *fileSource) hold(ev *Event) {
	f.pending.commit(ev)
}

func (f *fileSource) udp(p *pcap.Packet) {
	b := p.Payload
	if len(b) == 0 {
		f.stats.UDPOther++
		return
	}
	// A keep-alive starts with NUL, CR or LF; RTP never does.
	if c := b[0]; (c == 0 || c == '\r' || c == '\n') && sip.KeepAlive(b) {
		f.stats.KeepAlives++
		return
	}
	var st sip.Start
	if !sip.LooksAt(b, &st) {
		if !f.media.count(p) {
			f.stats.UDPOther++
		}
		return
	}
	if f.udpSIP == nil {
		f.udpSIP = newUDPParser(f.worker())
	}
	j := f.udpSIP.add(b, &st)
	ev := f.event(KindSIP, p.Time, p.Num, "udp")
	ev.Offset, ev.Src, ev.Dst, ev.job = p.Offset, p.SrcAddrPort(), p.DstAddrPort(), j
	f.hold(ev)
}

// worker returns the file's parsing goroutine, started on first use.
func (f *fileSource) worker() *parseWorker {
	if f.parsing == nil {
		f.parsing = newParseWorker(f.opts.SIP)
	}
	return f.parsing
}

// settle takes the parse of a SIP event's message (see udpsip.go) and
// reports whether the event stands.
func (f *fileSource) settle(ev *Event) bool {
	j := ev.job
	ev.job = nil
	f.parsing.wait(j)
	if j.over != overUDP {
		return f.settleStream(ev, j)
	}
	m, err := j.m, j.err
	f.udpSIP.release(j)
	if err != nil {
		f.stats.SIPErrors++
		f.problem(ev.Packet, ev.Offset, "sip message does not parse", err)
		if m == nil || (m.Method == "" && m.StatusCode == 0) {
			return false
		}
		// A message with a good start line but damaged headers (no
		// Call-ID) or body (a Content-Length past the datagram's end) still
		// happened on the wire, and tshark counts it: keep it. The problem
		// is on record; correlation leaves out what has no Call-ID.
	}
	f.stats.SIPMessages++
	ev.SIP = m
	return true
}

func (f *fileSource) problem(packet, offset int64, key string, err error) {
	reason := key
	var pe *sip.ParseError
	if errors.As(err, &pe) {
		reason = fmt.Sprintf("%s: %s at byte %d of the payload", key, pe.Reason, pe.Offset)
	} else if err != nil {
		reason = fmt.Sprintf("%s: %v", key, err)
	}
	f.stats.Problems.Add(key, parse.Problem{File: f.in.Path, Packet: packet, Offset: offset, Reason: reason})
}

// reorder holds events until the reorder window has passed them and gives
// them back in time order (then frame order). A capture is nearly in
// order: as in nearorder.Queue, most events go to the end of a ring and
// the few earlier than the last one there to a heap. The ring is the
// queue's own here: an Event is 176 bytes, and each is filled in where it
// lies (slot, commit), placed by its time and frame before it is filled,
// where the queue's Push copied it in and reached Less through a function
// value.
type reorder struct {
	// ring holds the events in order, n of them from head, wrapping at
	// its end (its length is 0 or a power of two). What lies outside
	// them is zero: slot hands it out to be filled.
	ring []Event
	head int
	n    int
	late nearorder.Heap[Event]
	// spare is where an event bound for late is filled.
	spare Event
	// first is the earliest time held (MaxInt64 when none): next asks
	// for it after every packet, most of which push nothing.
	first int64
}

func eventLess(a, b *Event) bool {
	if a.Time != b.Time {
		return a.Time < b.Time
	}
	return a.Packet < b.Packet
}

func newReorder() reorder {
	return reorder{late: nearorder.Heap[Event]{Less: eventLess}, first: math.MaxInt64}
}

func (r *reorder) len() int { return r.n + r.late.Len() }

// slot returns where an event of time t and frame packet goes, an Event
// zero but for those two, to fill in place and then commit: the end of
// the ring, where it is held at once; spare when it comes before the last
// event there (as eventLess has it), for commit to move to the heap.
func (r *reorder) slot(t, packet int64) *Event {
	r.first = min(r.first, t)
	if r.n > 0 {
		last := &r.ring[(r.head+r.n-1)&(len(r.ring)-1)]
		if t < last.Time || t == last.Time && packet < last.Packet {
			r.spare.Time, r.spare.Packet = t, packet
			return &r.spare
		}
	}
	if r.n == len(r.ring) {
		r.grow()
	}
	ev := &r.ring[(r.head+r.n)&(len(r.ring)-1)]
	r.n++
	ev.Time, ev.Packet = t, packet
	return ev
}

// commit holds the event filled in at slot.
func (r *reorder) commit(ev *Event) {
	if ev == &r.spare {
		r.late.Push(r.spare)
		r.spare = Event{}
	}
}

// grow doubles the ring, its events unwrapped to the new one's start.
func (r *reorder) grow() {
	ring := make([]Event, max(64, 2*len(r.ring)))
	k := copy(ring, r.ring[r.head:])
	copy(ring[k:], r.ring[:r.head])
	r.ring, r.head = ring, 0
}

// pop removes the earliest event into *ev; len must be > 0. An event of
// the ring comes before a late one of the same time and frame, as
// nearorder.Queue has it.
func (r *reorder) pop(ev *Event) {
	if m := r.late.Min(); m != nil && (r.n == 0 || eventLess(m, &r.ring[r.head])) {
		*ev = r.late.Pop()
	} else {
		p := &r.ring[r.head]
		*ev = *p
		*p = Event{} // let go of what it points to
		r.head = (r.head + 1) & (len(r.ring) - 1)
		r.n--
	}
	r.first = math.MaxInt64
	if r.n > 0 {
		r.first = r.ring[r.head].Time
	}
	if m := r.late.Min(); m != nil {
		r.first = min(r.first, m.Time)
	}
}

// all lists what is held, in no order (for tests).
func (r *reorder) all() []Event {
	all := r.late.All()
	for i := 0; i < r.n; i++ {
		all = append(all, r.ring[(r.head+i)&(len(r.ring)-1)])
	}
	return all
}
