package evidence

import (
	"bytes"
	"container/heap"
	"fmt"
	"io"

	"github.com/ceiling-dev/ceiling/parse"
	"github.com/ceiling-dev/ceiling/parse/pcap"
	"github.com/ceiling-dev/ceiling/parse/sip"
)

// twoReaders makes the scanner read a classic pcap file twice too, as it
// reads the other formats: for the test that holds the shared read to it.
var twoReaders = false

// outFrame is a frame to write: the original record's bytes and time.
type outFrame struct {
	file     int
	num      int64 // frame number in its capture (0 for a held fragment whose number is unknown)
	off      int64 // offset of its record, to keep the file's order among frames of one time
	time     int64
	link     uint16
	wire     int
	data     []byte
	comments []string
}

// scanner reads one capture twice over, in step: parse/pcap decodes the
// packets (the same decoding the analysis saw, fragments reassembled,
// tunnels opened), and a frameReader over a second opening of the file
// gives each packet's record as it is in the file, found by its offset.
// What it keeps: the keys, the fragments of datagrams still incomplete,
// and the frames about to be written.
// lateRun is how many packets in a row past every chosen attempt's end
// stop the read.
const lateRun = 10000

type scanner struct {
	late int // packets in a row past extraction.until
	x    *extraction
	file int
	name string
	keys *fileKeys
	dec  *pcap.Reader
	raw  *frameReader
	ins  []*parse.Input
	// shared: raw gives no frames, parse/pcap does (classic pcap); rec is
	// the record of the packet at hand until curFrame makes it cur.
	shared bool
	rec    *pcap.Record
	cur    frame
	have   bool // cur holds a frame not yet passed
	eof    bool // the frame reader is done
	hold   *fragHold
	// queue holds the frames found, in time order, until no fragment
	// still held can come before them: the fragments of a datagram are
	// written when its last one arrives, and frames found meanwhile wait.
	queue frameQueue
	// streams frame as SIP the TCP connections between hosts that
	// exchanged chosen dialogs.
	streams map[tuple]*sipStream
	done    bool  // parse/pcap has no more packets
	now     int64 // the latest packet time so far
	sip     sip.Options
	// parser and msg are reused from datagram to datagram: most are not
	// evidence, and need not cost an allocation each.
	parser    sip.Parser
	msg       sip.Message
	callBytes [][]byte    // the chosen Call-IDs, when few
	callTail  []byte      // the end they share
	smsg      sip.Message // for the messages framed out of TCP streams
	// lost counts packets whose record was not where parse/pcap said: a
	// damaged file the two readers read differently.
	lost int64
}

func (x *extraction) openScanner(file int, keys *fileKeys) (*scanner, error) {
	path := x.opts.Paths[file]
	name := x.name(file)
	dIn, err := parse.Open(path)
	if err != nil {
		return nil, err
	}
	s := &scanner{x: x, file: file, name: name, keys: keys, ins: []*parse.Input{dIn}}
	if !dIn.Kind.IsCapture() {
		s.close()
		return nil, fmt.Errorf("%s: not a capture (%v), but attempts name it as theirs", name, dIn.Kind)
	}
	dIn.Path = name
	po := x.opts.Pcap
	// The analysis reported every problem of the file already.
	po.Problems = &parse.Problems{}
	// A classic pcap file's records come from parse/pcap itself, read
	// once: it walks them as frameReader does (both stop at the same
	// damaged or cut record), and hands out their bytes and headers.
	// pcapng and NetMon files are read a second time by frameReader.
	s.shared = dIn.Kind == parse.KindPcap && !twoReaders
	if s.shared {
		po.OnPassed = s.passed
	}
	if s.dec, err = pcap.NewReader(dIn, po); err != nil {
		s.close()
		return nil, err
	}
	if s.shared {
		s.raw = &frameReader{kind: parse.KindPcap}
		if !s.raw.pcapHeader(s.dec.FileHeader()) {
			s.close()
			return nil, fmt.Errorf("%s: not a pcap file", name)
		}
	} else {
		rIn, err := parse.Open(path)
		if err != nil {
			s.close()
			return nil, err
		}
		rIn.Path = name
		s.ins = append(s.ins, rIn)
		if s.raw, err = newFrameReader(rIn); err != nil {
			s.close()
			return nil, err
		}
	}
	sets, bytes, timeout := po.MaxFragmentSets, po.MaxFragmentBytes, int64(po.FragmentTimeout)
	if sets <= 0 {
		sets = 4096
	}
	if bytes <= 0 {
		bytes = 64 << 20
	}
	if timeout <= 0 {
		timeout = 30e9
	}
	s.hold = newFragHold(sets, bytes, timeout)
	s.sip = x.opts.SIP
	s.sip.Datagram = true
	return s, nil
}

func (s *scanner) close() {
	for _, in := range s.ins {
		in.Close()
	}
}

// next returns the next frame of this capture to write, or io.EOF.
func (s *scanner) next() (outFrame, error) {
	for {
		if len(s.queue) > 0 {
			if t, held := s.oldestHeld(); s.done || !held || s.queue[0].time <= t {
				return heap.Pop(&s.queue).(outFrame), nil
			}
		}
		if s.done {
			return outFrame{}, io.EOF
		}
		p, err := s.dec.Next()
		if err == io.EOF {
			s.done = true
			continue
		}
		if err != nil {
			return outFrame{}, err
		}
		if s.shared {
			s.rec = s.dec.Record()
		} else if !s.seek(p.Offset) {
			s.lost++
			continue
		}
		s.now = max(s.now, p.Time)
		if s.x.until != 0 && p.Time > s.x.until {
			// Past the end of every chosen attempt (and its stragglers):
			// nothing later can be theirs. Most first failures come early
			// in a test; the rest of a long capture need not be read. A
			// lone packet with a broken clock does not end the read: a
			// run of them does.
			if s.late++; s.late >= lateRun {
				s.done = true
				continue
			}
		} else {
			s.late = 0
		}
		if p.Transport == pcap.UDP && !p.Reassembled && !s.maySIP(p.Payload) {
			// What packet does with a datagram that is not SIP, which is
			// most of a capture with media: nothing but pass its record.
			s.have = false
			continue
		}
		s.packet(p)
	}
}

// oldestHeld is the time of the oldest frame held back: a fragment of a
// datagram not yet whole, a segment of a SIP message not yet whole. No
// frame later than it may be written yet.
func (s *scanner) oldestHeld() (int64, bool) {
	t, ok := s.hold.oldest()
	for _, st := range s.streams {
		if u, held := st.oldest(s.now); held && (!ok || u < t) {
			t, ok = u, true
		}
	}
	return t, ok
}

// frameQueue orders frames by time, then by their place in the file.
type frameQueue []outFrame

func (q frameQueue) Len() int { return len(q) }
func (q frameQueue) Less(i, j int) bool {
	if q[i].time != q[j].time {
		return q[i].time < q[j].time
	}
	return q[i].off < q[j].off
}
func (q frameQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *frameQueue) Push(x any)   { *q = append(*q, x.(outFrame)) }
func (q *frameQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

// seek moves the frame reader to the record at off, holding the IP
// fragments it passes: parse/pcap delivers a reassembled datagram with its
// last fragment, and only then is it known whether the datagram, and so
// every fragment of it, is evidence.
func (s *scanner) seek(off int64) bool {
	for {
		if !s.have {
			if s.eof || s.raw.next(&s.cur) != nil {
				s.eof = true
				return false
			}
			s.have = true
		}
		switch {
		case s.cur.off == off:
			return true
		case s.cur.off > off:
			return false
		}
		if k, ok := fragmentOf(&s.cur); ok {
			s.hold.add(k, &s.cur)
		}
		s.have = false
	}
}

// passed is seek's work for a classic pcap file, whose records parse/pcap
// hands over: it holds the IP fragments among those that gave no packet.
func (s *scanner) passed(rec *pcap.Record) {
	var f frame
	s.raw.pcapFrame(rec.Offset, &rec.Header, rec.Data, &f)
	if k, ok := fragmentOf(&f); ok {
		s.hold.add(k, &f)
	}
}

// curFrame is the record of the packet at hand. From parse/pcap's record
// it is made only when wanted: most packets are not evidence.
func (s *scanner) curFrame() *frame {
	if rec := s.rec; rec != nil {
		s.rec = nil
		s.raw.pcapFrame(rec.Offset, &rec.Header, rec.Data, &s.cur)
	}
	return &s.cur
}

// hit is one chosen item a packet belongs to, with its ladder step.
type hit struct {
	ref   ref
	label string
	bad   bool
	dedup string
}

// packet looks the packet up in the keys and queues its frame (and the
// fragments it was rebuilt from) when it belongs to a chosen attempt.
func (s *scanner) packet(p *pcap.Packet) {
	hits := s.match(p)
	s.have = false // this record is passed, whatever comes of it
	var frags []heldFrame
	if p.Reassembled {
		if k, ok := fragmentOf(s.curFrame()); ok {
			frags = s.hold.take(k)
		}
	}
	var st *sipStream
	if p.Transport == pcap.TCP {
		st = s.stream(p)
	}
	if len(hits) == 0 && st == nil {
		return
	}
	// f borrows the record's bytes, which the next record overwrites:
	// whatever keeps it copies them.
	cur := s.curFrame()
	f := outFrame{file: s.file, num: p.Num, off: cur.off, time: cur.time, link: cur.link, wire: cur.wire, data: cur.data}
	if len(hits) > 0 {
		if p.Transport == pcap.TCP && s.x.opts.Secrets != nil {
			s.x.noteHello(p)
		}
		comments := s.x.record(s.file, p, hits)
		for _, h := range frags {
			heap.Push(&s.queue, outFrame{file: s.file, off: h.off, time: h.time, link: h.link, wire: h.wire, data: h.data, comments: comments})
		}
		out := f
		out.data = append([]byte(nil), f.data...)
		out.comments = comments
		heap.Push(&s.queue, out)
		s.x.count(hits, int64(len(frags)+1))
	}
	if st != nil {
		// A segment between hosts that exchanged chosen dialogs. (One
		// rebuilt from IP fragments is written without them: TCP is
		// seldom fragmented.)
		s.streamSegment(st, p, f, len(hits) > 0)
	}
}

// match finds the chosen items a packet belongs to.
func (s *scanner) match(p *pcap.Packet) []hit {
	k := s.keys
	var hits []hit
	switch p.Transport {
	case pcap.UDP:
		// next has asked maySIP of every datagram but the reassembled.
		if (p.Reassembled && !s.maySIP(p.Payload)) || !s.mayHoldCall(p.Payload) {
			return nil
		}
		ok, _, _ := s.parser.ParseInto(&s.msg, p.Payload, &s.sip)
		m := &s.msg
		if !ok || m.CallID == "" {
			return nil
		}
		refs := k.calls[m.CallID]
		if len(refs) == 0 {
			return nil
		}
		label, bad := sipLabel(m)
		dedup := sipDedup(p, m)
		for _, r := range refs {
			hits = append(hits, hit{r, label, bad, dedup})
		}
	case pcap.TCP:
		t := makeTuple(p.SrcAddrPort(), p.DstAddrPort())
		for _, cs := range k.conns[t] {
			if !s.inConn(cs, p) {
				continue
			}
			fromClient := p.SrcAddrPort() == cs.client
			label, bad := tcpLabel(p, cs, fromClient)
			dedup := fmt.Sprintf("tcp %v %d %d %s", p.SrcAddrPort(), p.Seq, p.Flags&^(pcap.PSH|pcap.ACK), label)
			for _, r := range cs.refs {
				hits = append(hits, hit{r, label, bad, dedup})
			}
		}
	}
	return hits
}

// maySIP tells whether a datagram can be of a chosen dialog without
// looking for the dialogs: it must look like SIP, and some must be chosen.
func (s *scanner) maySIP(b []byte) bool {
	return len(s.keys.calls) > 0 && sip.Looks(b)
}

// maxScanCalls is how many Call-IDs are looked for in a datagram's bytes
// before parsing it; with more, every SIP datagram is parsed.
const maxScanCalls = 16

// mayHoldCall tells, without parsing, whether a datagram can be of a
// chosen dialog: with a few dialogs chosen, most datagrams are not theirs,
// and searching their bytes is cheaper than parsing them.
func (s *scanner) mayHoldCall(b []byte) bool {
	if s.callBytes == nil {
		if len(s.keys.calls) > maxScanCalls {
			return true
		}
		for id := range s.keys.calls {
			s.callBytes = append(s.callBytes, []byte(id))
		}
		s.callTail = commonSuffix(s.callBytes)
	}
	return holdsAny(b, s.callBytes, s.callTail)
}

// minCallTail is the shortest common end of the Call-IDs searched for
// first: a shorter one is in too many places.
const minCallTail = 4

// holdsAny reports whether b holds any of ids, whose common end is tail.
// A tool's Call-IDs often end alike ("-i000001@10.10.0.5"): an id lies in
// b only where the tail does, so one search for it, and a look at what
// comes before each place it is found, does the work of a search for each.
func holdsAny(b []byte, ids [][]byte, tail []byte) bool {
	if len(tail) < minCallTail {
		for _, id := range ids {
			if bytes.Contains(b, id) {
				return true
			}
		}
		return false
	}
	for off := 0; ; {
		i := bytes.Index(b[off:], tail)
		if i < 0 {
			return false
		}
		end := off + i + len(tail)
		for _, id := range ids {
			if len(id) <= end && bytes.Equal(b[end-len(id):end], id) {
				return true
			}
		}
		off += i + 1
	}
}

// commonSuffix is the longest end all of ids share.
func commonSuffix(ids [][]byte) []byte {
	if len(ids) == 0 {
		return nil
	}
	tail := ids[0]
	for _, id := range ids[1:] {
		n := 0
		for n < len(tail) && n < len(id) && tail[len(tail)-1-n] == id[len(id)-1-n] {
			n++
		}
		tail = tail[len(tail)-n:]
	}
	return tail
}

// inConn follows a chosen connection through its packets.
func (s *scanner) inConn(cs *connSel, p *pcap.Packet) bool {
	if cs.done {
		return false
	}
	if !cs.active {
		if cs.start != 0 && p.Num != cs.start {
			return false
		}
		cs.active = true
	}
	if p.Flags&(pcap.SYN|pcap.ACK) == pcap.SYN && p.SrcAddrPort() == cs.client {
		if cs.haveISN && p.Seq != cs.isn {
			// The client opened a new connection on the same port.
			cs.done = true
			return false
		}
		cs.isn, cs.haveISN = p.Seq, true
	}
	return true
}
