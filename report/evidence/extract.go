package evidence

import (
	"bytes"
	"os"

	"container/heap"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/ceiling-dev/ceiling/correlate"
	"github.com/ceiling-dev/ceiling/parse/pcap"
	"github.com/ceiling-dev/ceiling/parse/sip"
	"github.com/ceiling-dev/ceiling/parse/tls/keylog"
	"github.com/ceiling-dev/ceiling/report"
)

// Options tune Extract.
type Options struct {
	// Paths are the run's inputs, as the analysis was given them
	// (pipeline.Config.Paths): Attempt.File indexes them. The captures
	// among them that hold chosen attempts are read again; the others are
	// not opened.
	Paths []string
	// Names, when set, replace the paths in messages and in the file's
	// metadata (pipeline.Config.DisplayNames).
	Names []string
	// Pcap and SIP should be the analysis's own (pipeline.Config.Capture),
	// so that packets decode as they did then.
	Pcap pcap.Options
	SIP  sip.Options

	// Rewrite, when set, is applied to every frame before it is written,
	// with the frame's link type: redaction plugs in here. It may return
	// the slice it was given, changed in place, or a new one. An error
	// stops the extraction: a frame that could not be redacted must not
	// be written as it was.
	Rewrite func(data []byte, link layers.LinkType) ([]byte, error)
	// Bare writes nothing but the frames and their comments: no section
	// or interface metadata (the tool, the host's OS and architecture, the
	// names of the input files).
	Bare bool
	// NoComments leaves out the comments too (they name Call-IDs and
	// addresses).
	NoComments bool
	// Comment, when set, rewrites each comment before it is written:
	// redaction passes them through its pseudonyms, so that they keep
	// naming the finding without naming the client.
	Comment func(string) string
	// Tool names the writer in the section header ("ceiling v0.3.0").
	Tool string
	// MaxSteps bounds the messages drawn per ladder; zero means 60. The
	// pcapng holds every packet whatever the bound.
	MaxSteps int
	// Secrets, when set (the run's key logs), puts the secrets of the
	// chosen TLS connections, and only theirs, into the pcapng as a
	// Decryption Secrets Block: Wireshark then opens them on its own.
	Secrets *keylog.Log
}

// Summary is what Extract found.
type Summary struct {
	// Frames is how many frames were written.
	Frames int64
	// Secrets is how many key log lines went into the file's secrets
	// block (Options.Secrets).
	Secrets int
	// Attempts has an entry per chosen item, in the selection's order.
	Attempts []AttemptFrames
	// Ladders has the message ladder of each chosen item, in the
	// selection's order.
	Ladders []report.Ladder
	// Lost counts packets parse/pcap decoded whose record the second
	// reader did not find at the same place (a damaged capture read
	// differently by the two): they are not written.
	Lost int64
}

// AttemptFrames is one chosen attempt's share of the output.
type AttemptFrames struct {
	Attempt int
	Why     string
	Frames  int64
	// Wire says whether the attempt was seen on the wire at all (false
	// for an attempt known only from the JTL).
	Wire bool
}

type extraction struct {
	sel Selection
	// chosen are sel's attempts, in its order.
	chosen  []correlate.Attempt
	opts    Options
	ladders []*ladderBuilder
	frames  []int64
	// until is the capture time past which nothing chosen can come (0:
	// read to the end).
	until int64
	// randoms are the client randoms of the chosen TLS connections.
	randoms map[[32]byte]bool
}

func (x *extraction) name(file int) string {
	if file < len(x.opts.Names) && x.opts.Names[file] != "" {
		return x.opts.Names[file]
	}
	return x.opts.Paths[file]
}

// Extract reads the captures again and writes to w, as pcapng, the frames
// of the chosen attempts, each with a comment naming the finding and the
// attempt (Item.Why); it returns each attempt's message ladder. w may be
// nil: then only the ladders are made.
//
// The frames are the original records: their bytes (through
// Options.Rewrite), their times, their link types (one interface per link
// type). A datagram rebuilt from IP fragments is written as every fragment
// frame that made it. Frames of several captures are merged in time
// order.
//
// Memory is bounded by the selection, not the captures: the keys (Call-IDs,
// connection ends), the ladders (Options.MaxSteps messages each), and per
// capture its readers' buffers and the fragments of datagrams still being
// rebuilt (parse/pcap's bounds).
func Extract(w io.Writer, res *correlate.Result, sel Selection, opts Options) (*Summary, error) {
	if opts.Secrets == nil || w == nil {
		sum, _, err := extract(w, res, sel, opts)
		return sum, err
	}
	// The secrets block must come before the packets it opens, and which
	// secrets are the chosen connections' is known only once they are
	// read: the file is written aside, then copied with the block in.
	tmp, err := os.CreateTemp("", "ceiling-evidence-*.pcapng")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	sum, x, err := extract(tmp, res, sel, opts)
	if err != nil {
		return nil, err
	}
	text := x.secretsText(opts.Secrets)
	if len(text) == 0 {
		if _, err := tmp.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
		_, err = io.Copy(w, tmp)
		return sum, err
	}
	sum.Secrets = bytes.Count(text, []byte("\n"))
	return sum, withSecrets(w, tmp, text)
}

func extract(w io.Writer, res *correlate.Result, sel Selection, opts Options) (*Summary, *extraction, error) {
	if res == nil {
		return nil, nil, errors.New("evidence: no analysis result")
	}
	n := res.Attempts.Len()
	// The chosen attempts are read once, here; the rest in passes.
	chosen := make([]correlate.Attempt, len(sel.Items))
	for k, it := range sel.Items {
		if it.Attempt < 0 || it.Attempt >= n {
			return nil, nil, fmt.Errorf("evidence: attempt %d is not in the result (%d attempts)", it.Attempt, n)
		}
		chosen[k] = res.Attempts.At(it.Attempt)
	}
	if opts.MaxSteps <= 0 {
		opts.MaxSteps = 60
	}
	x := &extraction{sel: sel, chosen: chosen, opts: opts, frames: make([]int64, len(sel.Items))}
	for k, it := range sel.Items {
		a := &chosen[k]
		lb := newLadderBuilder(it.Why, it.Attempt, a.Failed, opts.MaxSteps)
		lb.place(a.Client, colClient)
		lb.place(a.Edge, colEdge)
		x.ladders = append(x.ladders, lb)
	}
	legs := sipLegs(res, chosen)
	x.placeBackends(legs)
	keys, until := plan(res, chosen, legs)
	x.until = until
	files := make([]int, 0, len(keys))
	for f := range keys {
		if f < 0 || f >= len(opts.Paths) {
			return nil, nil, fmt.Errorf("evidence: attempts name input %d, but %d inputs were given", f, len(opts.Paths))
		}
		files = append(files, f)
	}
	sort.Ints(files)

	var out *ngOut
	if w != nil {
		out = newNgOut(w, x, files)
	}
	var scanners []*scanner
	defer func() {
		for _, s := range scanners {
			s.close()
		}
	}()
	for _, f := range files {
		s, err := x.openScanner(f, keys[f])
		if err != nil {
			return nil, nil, err
		}
		scanners = append(scanners, s)
	}

	// Merge the captures' frames in time order.
	var h frameHeap
	for _, s := range scanners {
		f, err := s.next()
		if err == io.EOF {
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", s.name, err)
		}
		heap.Push(&h, headFrame{f, s})
	}
	sum := &Summary{}
	for len(h) > 0 {
		top := h[0]
		if out != nil {
			if err := out.write(&top.f); err != nil {
				return nil, nil, err
			}
		}
		sum.Frames++
		f, err := top.s.next()
		switch {
		case err == io.EOF:
			heap.Pop(&h)
		case err != nil:
			return nil, nil, fmt.Errorf("%s: %w", top.s.name, err)
		default:
			h[0] = headFrame{f, top.s}
			heap.Fix(&h, 0)
		}
	}
	if out != nil {
		if err := out.close(); err != nil {
			return nil, nil, err
		}
	}
	for _, s := range scanners {
		sum.Lost += s.lost
	}
	for k, it := range sel.Items {
		a := &chosen[k]
		sum.Attempts = append(sum.Attempts, AttemptFrames{Attempt: it.Attempt, Why: it.Why, Frames: x.frames[k], Wire: a.Packet > 0})
		l := x.ladders[k].finish()
		if a.Packet == 0 {
			l.Note = "known only from the JTL: there is nothing of this attempt on the wire"
		} else if x.frames[k] == 0 {
			l.Note = "no packet of this attempt was found in the capture"
		}
		sum.Ladders = append(sum.Ladders, l)
	}
	return sum, x, nil
}

// straggle is how long after an attempt ended its packets may still come:
// retransmitted final answers and ACKs (SIP timer B/F, 32 s), TCP's last
// ACKs and FINs, a capture slightly out of order. It bounds the read when
// the analysis did not say when it last saw the attempt (Attempt.Last).
const straggle = 40e9

// lastGrace is how long after the last packet the analysis saw of an
// attempt the read goes on: the capture's reorder window (2 s), a
// connection's last ACK, a FIN sent again.
const lastGrace = 5e9

// readUntil is the capture time after which no frame of the chosen
// attempts can come, 0 when one of them never ended in the capture (read
// it all). seen(k) is when the analysis last saw anything of chosen[k]
// that the cut keeps (0: it does not say): then the read stops
// lastGrace after that, if that is sooner than straggle after its end.
// On a capture that goes on long after the first failures (RTP above
// all) that is most of the second read.
func readUntil(chosen []correlate.Attempt, seen func(k int) int64) int64 {
	var until int64
	for k := range chosen {
		end := chosen[k].Ended
		if end == 0 {
			return 0
		}
		u := end + straggle
		if last := seen(k); last != 0 {
			u = min(u, last+lastGrace)
		}
		until = max(until, u)
	}
	return until
}

// placeBackends names, in each SIP ladder, the edge's own legs for the
// dialog (sipLegs): their client end is the edge, their far end a
// backend.
func (x *extraction) placeBackends(legs []correlate.Attempt) {
	byCall := map[string][]int{}
	for k := range x.chosen {
		if a := &x.chosen[k]; a.Layer == correlate.LayerSIP && a.CallID != "" && a.Hop == 0 {
			byCall[a.CallID] = append(byCall[a.CallID], k)
		}
	}
	if len(byCall) == 0 {
		return
	}
	for i := range legs {
		a := &legs[i]
		for _, k := range byCall[a.CallID] {
			lb := x.ladders[k]
			lb.place(a.Client, colEdge)
			lb.backends[a.Edge] = true
			lb.place(a.Edge, colBackend)
		}
	}
}

// record adds a packet's steps to the ladders of the items it belongs to,
// and returns its comments: one per item.
func (x *extraction) record(file int, p *pcap.Packet, hits []hit) []string {
	var comments []string
	seen := map[int]bool{}
	for _, h := range hits {
		if seen[h.ref.item] {
			continue
		}
		seen[h.ref.item] = true
		lb := x.ladders[h.ref.item]
		lb.add(file, p, h.label, h.bad, h.dedup)
		if x.opts.NoComments {
			continue
		}
		c := x.sel.Items[h.ref.item].Why
		if lb.touchesBackend(p) {
			c += " (the edge's leg to a backend)"
		}
		if x.opts.Comment != nil {
			c = x.opts.Comment(c)
		}
		comments = append(comments, c)
	}
	return comments
}

func (x *extraction) count(hits []hit, n int64) {
	seen := map[int]bool{}
	for _, h := range hits {
		if !seen[h.ref.item] {
			seen[h.ref.item] = true
			x.frames[h.ref.item] += n
		}
	}
}

type headFrame struct {
	f outFrame
	s *scanner
}

type frameHeap []headFrame

func (h frameHeap) Len() int { return len(h) }
func (h frameHeap) Less(i, j int) bool {
	if h[i].f.time != h[j].f.time {
		return h[i].f.time < h[j].f.time
	}
	return h[i].s.file < h[j].s.file
}
func (h frameHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *frameHeap) Push(x any)   { *h = append(*h, x.(headFrame)) }
func (h *frameHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// ngOut writes the pcapng: a section, then an interface per link type as
// each first appears, and the frames.
type ngOut struct {
	w      io.Writer
	x      *extraction
	ng     *pcapgo.NgWriter
	ifaces map[uint16]int
	from   string // the inputs the frames come from, for the interfaces' description
}

func newNgOut(w io.Writer, x *extraction, files []int) *ngOut {
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(x.name(f)))
	}
	return &ngOut{w: w, x: x, ifaces: map[uint16]int{}, from: strings.Join(names, ", ")}
}

func (o *ngOut) iface(link uint16) (int, error) {
	if id, ok := o.ifaces[link]; ok {
		return id, nil
	}
	intf := pcapgo.NgInterface{LinkType: layers.LinkType(link), TimestampResolution: 9}
	if !o.x.opts.Bare {
		intf.Name = fmt.Sprintf("link type %d", link)
		intf.Description = "frames of the chosen attempts, from " + o.from
	}
	var id int
	var err error
	if o.ng == nil {
		info := pcapgo.NgWriterOptions{}
		if !o.x.opts.Bare {
			tool := o.x.opts.Tool
			if tool == "" {
				tool = "ceiling"
			}
			info.SectionInfo = pcapgo.NgSectionInfo{Application: tool, Comment: o.sectionComment()}
		}
		o.ng, err = pcapgo.NewNgWriterInterface(o.w, intf, info)
	} else {
		id, err = o.ng.AddInterface(intf)
	}
	if err != nil {
		return 0, err
	}
	o.ifaces[link] = id
	return id, nil
}

// sectionComment says what the file is, for whoever opens it later.
func (o *ngOut) sectionComment() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ceiling evidence: the packets of %d chosen attempts, from %s.", len(o.x.sel.Items), o.from)
	if !o.x.opts.NoComments {
		for _, it := range o.x.sel.Items {
			if b.Len() > 3000 {
				b.WriteString("\n…")
				break
			}
			why := it.Why
			if o.x.opts.Comment != nil {
				why = o.x.opts.Comment(why)
			}
			b.WriteString("\n" + why)
		}
	}
	return b.String()
}

func (o *ngOut) write(f *outFrame) error {
	id, err := o.iface(f.link)
	if err != nil {
		return err
	}
	data, wire := f.data, f.wire
	if o.x.opts.Rewrite != nil {
		n := len(data)
		data, err = o.x.opts.Rewrite(data, layers.LinkType(f.link))
		if err != nil {
			return fmt.Errorf("evidence: rewriting frame %d of %s: %w", f.num, o.x.name(f.file), err)
		}
		// What the capture did not hold stays missing.
		wire += len(data) - n
	}
	ci := gopacket.CaptureInfo{Timestamp: time.Unix(0, f.time), CaptureLength: len(data), Length: max(wire, len(data)), InterfaceIndex: id}
	return o.ng.WritePacketWithOptions(ci, data, pcapgo.NgPacketOptions{Comments: f.comments})
}

// close finishes the file. With no frame to write it is still a valid
// capture: a section and an Ethernet interface.
func (o *ngOut) close() error {
	if o.ng == nil {
		if _, err := o.iface(1); err != nil {
			return err
		}
	}
	return o.ng.Flush()
}
