package pcap

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"net/netip"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/ceiling-dev/ceiling/parse"
)

// Options tunes a Reader. The zero value is ready to use.
type Options struct {
	// Problems receives what could not be read, with file, frame number
	// and byte offset. When nil, what was skipped shows in Stats only.
	Problems *parse.Problems
	// MaxFragmentSets bounds the IP datagrams being reassembled at once;
	// past it the oldest is given up. Zero means 4096.
	MaxFragmentSets int
	// MaxFragmentBytes bounds the fragment payload held at once. Zero means
	// 64 MiB; less than one full datagram (65535 bytes) is raised to that.
	MaxFragmentBytes int
	// FragmentTimeout is how long, in capture time, a datagram may wait for
	// its missing fragments after its first one. Zero means 30 s, Linux's
	// default (net.ipv4.ipfrag_time).
	FragmentTimeout time.Duration
	// OnSecrets, when set, receives each pcapng Decryption Secrets Block
	// (secrets.go) as the reader meets it: before the packets after it.
	OnSecrets func(*Secrets)
	// OnPassed, when set, is given each record of a classic pcap file
	// that yields no packet (an IP fragment of a datagram not yet whole,
	// a frame that is not IP or does not decode) as the reader passes it.
	// With Reader.Record, which gives the record of each packet, it lets
	// a caller that wants the frames as they are in the file have every
	// one of them from this reader, rather than read the file twice.
	OnPassed func(*Record)
}

// Record is a record of a classic pcap file as it lies in the file.
type Record struct {
	Offset int64    // of the record header
	Header [16]byte // as in the file, in its byte order
	// Data is the captured bytes, valid until the reader reads on (the
	// next call to Next, or the end of the OnPassed call).
	Data []byte
}

const (
	// maxCaplen is the largest packet record accepted: libpcap's and
	// Wireshark's limit for every link type ceiling reads. A record
	// claiming more is a damaged header, not a packet.
	maxCaplen = 262144
	// bufSize is the reader's own buffer, which it peeks into: at record
	// headers, and at whole pcapng blocks up to this size to check their
	// trailing length. Readers are made per file, and per input when
	// fuzzing: it is not larger than it needs to be.
	bufSize = 64 << 10
	// bigFile is the size past which a file is read through a buffer
	// larger than the one parse.Open put in front of it (see readSize).
	bigFile = 8 << 20
)

// Reader reads one capture file, pcap or pcapng, and hands out its IP
// packets one at a time. It is not safe for concurrent use.
//
// Byte offsets. A pcap record's offset is exact (24-byte file header, then
// 16-byte record headers and the captured bytes). For pcapng the reader
// walks the block headers itself and gives pcapgo exactly one block at a
// time, so a packet's offset is the exact start of its block.
type Reader struct {
	name     string
	problems *parse.Problems

	src  countingReader
	br   *bufio.Reader
	pcap *pcapgo.Reader

	// classic pcap
	order   binary.ByteOrder
	big     bool // order is big-endian: read without a call through it
	nano    bool
	snaplen uint32
	link    uint16
	odd     []byte // for the records pcapgo refuses
	head    [24]byte
	rec     Record // the last record read
	passed  func(*Record)
	// win is what r.br holds past the records taken from it without its
	// knowing: they are walked in place, and r.br is told (see sync) only
	// when more must be read, which saves two Peeks and a Discard per
	// record. win is r.br's buffered bytes when taken, so it ends where
	// r.src is; nil when r.br knows of every record taken. The records
	// taken are its first used bytes: moving an offset on costs less per
	// record than cutting the slice, a pointer written with its barrier.
	win  []byte
	used int

	// pcapng
	ng    *pcapgo.NgReader
	gate  gate
	ngbr  *bufio.Reader // pcapgo's buffer, fed through gate
	ngBig bool          // byte order of the current section
	// binRes holds, per interface of the current section, the exponent of
	// a binary timestamp resolution (if_tsresol 2^-n), 0 for a decimal one.
	binRes []uint8

	// NetMon 2.x, read whole
	netmon *netmonFile

	num   int64 // frames so far
	pkt   Packet
	stats Stats
	links []linkCount
	dec   *decoder
	frag  *defrag
	fr    fragment
	done  bool
	err   error // the underlying reader's, returned again by every Next
	// slow turns off the reader's shortcuts (the record window, the
	// frame path of ip4Frame), for the tests that compare the two.
	slow bool

	onSecrets func(*Secrets)
}

type linkCount struct {
	link uint16
	n    int64
}

// frameInfo is what the record layer knows of a frame.
type frameInfo struct {
	off   int64
	time  int64
	iface int
	link  uint16
}

// NewReader reads the capture behind in (which parse.Open has opened and
// sniffed). A header that cannot be read is an error naming the file.
func NewReader(in *parse.Input, opts Options) (*Reader, error) {
	if in == nil || in.R == nil {
		return nil, errors.New("pcap: no input")
	}
	if !in.Kind.IsCapture() {
		return nil, fmt.Errorf("%s: not a pcap or pcapng capture (%v)", in.Path, in.Kind)
	}
	return newReader(in.R, in.Path, in.Kind, readSize(in.R, in.Size), opts)
}

// readSize is the size of the reader's buffer over src, a file of size
// bytes. A bufio.Reader hands a read at least as large as its own buffer
// straight to what it wraps, and copies a smaller one through its buffer:
// over a large file, the reader's buffer is made larger than src's by more
// than the most it peeks at, so that its reads, made when less than that
// is left in it, go from the file to it without that second copy, and
// take a thousandth of the system calls. It is only a buffer: what the
// reader peeks at and checks stays bounded by bufSize.
func readSize(src *bufio.Reader, size int64) int {
	if src == nil || size < bigFile || src.Size() < bufSize {
		return bufSize
	}
	return src.Size() + 2*bufSize
}

// NewReaderFrom reads a capture from r, telling pcap from pcapng (and
// gzip) by the content. name is used in problems and errors.
func NewReaderFrom(r io.Reader, name string, opts Options) (*Reader, error) {
	br := bufio.NewReaderSize(r, 4096)
	head, err := br.Peek(2)
	if len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%s: gzip header: %v", name, err)
		}
		br = bufio.NewReaderSize(zr, 4096)
	} else if len(head) == 0 {
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		return nil, fmt.Errorf("%s: empty file", name)
	}
	head, _ = br.Peek(512)
	kind := parse.Sniff(head)
	if !kind.IsCapture() {
		return nil, fmt.Errorf("%s: not a pcap, pcapng or NetMon capture", name)
	}
	return newReader(br, name, kind, bufSize, opts)
}

func newReader(src io.Reader, name string, kind parse.Kind, size int, opts Options) (*Reader, error) {
	if opts.MaxFragmentSets <= 0 {
		opts.MaxFragmentSets = 4096
	}
	if opts.MaxFragmentBytes <= 0 {
		opts.MaxFragmentBytes = 64 << 20
	}
	opts.MaxFragmentBytes = max(opts.MaxFragmentBytes, maxDatagram)
	if opts.FragmentTimeout <= 0 {
		opts.FragmentTimeout = 30 * time.Second
	}
	r := &Reader{name: name, problems: opts.Problems, dec: newDecoder(), onSecrets: opts.OnSecrets, passed: opts.OnPassed}
	if r.problems == nil {
		r.problems = &parse.Problems{}
	}
	r.frag = newDefrag(opts.MaxFragmentSets, opts.MaxFragmentBytes, int64(opts.FragmentTimeout), r.incomplete)
	r.src.r = src
	r.br = bufio.NewReaderSize(&r.src, size)
	var err error
	switch kind {
	case parse.KindPcapng:
		err = r.openPcapng()
	case parse.KindNetmon:
		err = r.openNetmon()
	default:
		err = r.openPcap()
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

func (r *Reader) openPcap() error {
	h, _ := r.br.Peek(24)
	if len(h) < 24 {
		if r.src.err != nil {
			return fmt.Errorf("%s: %w", r.name, r.src.err)
		}
		return fmt.Errorf("%s: pcap file header cut short (%d of 24 bytes)", r.name, len(h))
	}
	switch binary.LittleEndian.Uint32(h[:4]) {
	case 0xa1b2c3d4:
		r.order = binary.LittleEndian
	case 0xd4c3b2a1:
		r.order, r.big = binary.BigEndian, true
	case 0xa1b23c4d:
		r.order, r.nano = binary.LittleEndian, true
	case 0x4d3cb2a1:
		r.order, r.big, r.nano = binary.BigEndian, true, true
	default:
		return fmt.Errorf("%s: not a pcap file (magic %x)", r.name, h[:4])
	}
	r.head = [24]byte(h)
	r.snaplen = r.order.Uint32(h[16:20])
	// The link type is the low 16 bits; the high ones carry the FCS length
	// flags some writers set.
	r.link = uint16(r.order.Uint32(h[20:24]))
	// pcapgo reuses r.br as its buffer (bufio does not wrap a large
	// enough *bufio.Reader twice), so r.br's position is pcapgo's.
	var err error
	r.pcap, err = pcapgo.NewReader(r.br)
	if err != nil {
		return fmt.Errorf("%s: unreadable pcap file header: %v", r.name, err)
	}
	return nil
}

func (r *Reader) openPcapng() error {
	h, _ := r.br.Peek(12)
	if len(h) < 12 {
		if r.src.err != nil {
			return fmt.Errorf("%s: %w", r.name, r.src.err)
		}
		return fmt.Errorf("%s: pcapng section header cut short (%d bytes)", r.name, len(h))
	}
	blen, ok := r.sectionHeader(h)
	if !ok || blen < 28 {
		return fmt.Errorf("%s: unreadable pcapng section header", r.name)
	}
	r.gate.r = r.br
	// pcapgo uses a *bufio.Reader of 4096 bytes or more as it is, so
	// this one is its buffer; what it reads past goes straight through.
	r.ngbr = bufio.NewReaderSize(&r.gate, 8<<10)
	r.gate.allow(int64(blen))
	var err error
	r.ng, err = pcapgo.NewNgReader(r.ngbr, pcapgo.NgReaderOptions{WantMixedLinkType: true})
	if err != nil {
		if r.src.err != nil {
			return fmt.Errorf("%s: %w", r.name, r.src.err)
		}
		return fmt.Errorf("%s: unreadable pcapng section header: %v", r.name, err)
	}
	if !r.ngDrained() {
		return fmt.Errorf("%s: unreadable pcapng section header", r.name)
	}
	return nil
}

// sectionHeader reads the byte order and length of the section header
// block at the start of h (12 bytes at least).
func (r *Reader) sectionHeader(h []byte) (uint32, bool) {
	switch binary.BigEndian.Uint32(h[8:12]) {
	case 0x1a2b3c4d:
		r.ngBig = true
		return binary.BigEndian.Uint32(h[4:8]), true
	case 0x4d3c2b1a:
		r.ngBig = false
		return binary.LittleEndian.Uint32(h[4:8]), true
	}
	return 0, false
}

// Next returns the next IP packet, or io.EOF after the last one. The
// Packet, and every slice in it, is reused by the next call: copy what you
// keep. Frames that cannot be decoded are reported to Options.Problems and
// skipped; a file that ends inside a record sets Stats.Truncated and ends
// the stream with io.EOF. Other errors are the underlying reader's.
func (r *Reader) Next() (*Packet, error) {
	if r.err != nil {
		return nil, r.err
	}
	for !r.done {
		// Nobody holds the last packet's payload any more: a reassembled
		// datagram's buffer can be used again.
		if len(r.frag.done) > 0 {
			r.frag.recycle()
		}
		var data []byte
		var fi frameInfo
		var err error
		if r.netmon != nil {
			data, fi, err = r.nextNetmon()
		} else if r.ng != nil {
			data, fi, err = r.nextPcapng()
		} else {
			data, fi, err = r.nextPcap()
		}
		if err != nil {
			if err == io.EOF {
				r.frag.flush()
				r.done = true
				break
			}
			r.err = err
			return nil, err
		}
		if r.frame(data, fi) {
			return &r.pkt, nil
		}
		if r.passed != nil && r.pcap != nil {
			r.passed(&r.rec)
		}
	}
	return nil, io.EOF
}

// Record is the record of the packet Next returned last, in a classic
// pcap file read with Options.OnPassed set (the zero Record otherwise): a
// reassembled datagram's is the one of its last fragment. Its Data is
// valid until the next call to Next.
func (r *Reader) Record() *Record { return &r.rec }

// FileHeader is a classic pcap file's 24-byte header, as in the file; nil
// for other formats.
func (r *Reader) FileHeader() []byte {
	if r.pcap == nil {
		return nil
	}
	return r.head[:]
}

// Stats says what the reader has seen so far.
func (r *Reader) Stats() Stats {
	s := r.stats
	s.LinkTypes = make(map[string]int64, len(r.links))
	for _, l := range r.links {
		s.LinkTypes[linkName(l.link)] += l.n
	}
	return s
}

// pos is the offset in the (decompressed) file of the next byte to read.
func (r *Reader) pos() int64 {
	if r.win != nil {
		return r.src.n - int64(len(r.win)-r.used)
	}
	return r.src.n - int64(r.br.Buffered())
}

// sync tells r.br of the records taken from r.win, before anything else
// reads from r.br.
func (r *Reader) sync() {
	if r.win != nil {
		r.br.Discard(r.br.Buffered() - (len(r.win) - r.used))
		r.win, r.used = nil, 0
	}
}

func (r *Reader) nextPcap() ([]byte, frameInfo, error) {
	if w := r.win[r.used:]; len(w) >= 16 && !r.slow {
		// A record whole in the window, and one the path below would
		// read from r.br's buffer: read it the same way, in place.
		var sec, frac, caplen, wire uint32
		if r.big {
			sec, frac = binary.BigEndian.Uint32(w[0:4]), binary.BigEndian.Uint32(w[4:8])
			caplen, wire = binary.BigEndian.Uint32(w[8:12]), binary.BigEndian.Uint32(w[12:16])
		} else {
			sec, frac = binary.LittleEndian.Uint32(w[0:4]), binary.LittleEndian.Uint32(w[4:8])
			caplen, wire = binary.LittleEndian.Uint32(w[8:12]), binary.LittleEndian.Uint32(w[12:16])
		}
		if n := 16 + int(caplen); caplen <= wire && n <= bufSize && n <= len(w) {
			fi := frameInfo{off: r.src.n - int64(len(w)), link: r.link}
			if !r.nano {
				frac *= 1000
			}
			fi.time = int64(sec)*1e9 + int64(frac)
			data := w[16:n:n]
			if r.passed != nil {
				r.rec.Offset, r.rec.Header, r.rec.Data = fi.off, [16]byte(w[:16]), data
			}
			r.used += n
			return data, fi, nil
		}
	}
	r.sync()
	fi := frameInfo{off: r.pos(), link: r.link}
	h, _ := r.br.Peek(16)
	if len(h) < 16 {
		if len(h) == 0 && r.src.err == nil {
			return nil, fi, io.EOF
		}
		return nil, fi, r.cut(fi.off, fmt.Sprintf("the file ends inside a record header (%d of 16 bytes)", len(h)))
	}
	if r.passed != nil {
		// Only for a caller that wants the records: for the others the
		// copy would be the first touch of each record's bytes.
		r.rec.Offset, r.rec.Header = fi.off, [16]byte(h)
	}
	caplen, wire := r.order.Uint32(h[8:12]), r.order.Uint32(h[12:16])
	if caplen > maxCaplen {
		// pcapgo refuses records past max(snap length, 262144), tshark
		// past 262144 for these link types: both stop here too.
		return nil, fi, r.damaged(fi.off, fmt.Sprintf("record header claims a %d-byte packet, more than any capture holds (%d): the file is damaged here and the rest was not read", caplen, maxCaplen))
	}
	if caplen > wire {
		// pcapgo refuses such a record; Wireshark reads it. Some writers
		// put a too small original length (0 even): read it ourselves.
		return r.oddRecord(fi, h, int(caplen))
	}
	if n := 16 + int(caplen); n <= bufSize {
		// The record is read where it lies in r.br's buffer, without
		// pcapgo's copy of every packet, as pcapgo would read it: the
		// fraction times the resolution wraps as its uint32 product does.
		if rec, _ := r.br.Peek(n); len(rec) == n {
			// Not h: the Peek may have moved the buffered bytes.
			sec := int64(r.order.Uint32(rec[0:4]))
			frac := r.order.Uint32(rec[4:8])
			if !r.nano {
				frac *= 1000
			}
			fi.time = sec*1e9 + int64(frac)
			r.br.Discard(n)
			// The rest of the buffer is the window the next records are
			// read from; Peek of what is buffered reads nothing.
			r.win, _ = r.br.Peek(r.br.Buffered())
			if r.passed != nil {
				r.rec.Data = rec[16:n:n]
			}
			return rec[16:n:n], fi, nil
		}
		// The file ends inside the record: pcapgo tells how far.
	}
	data, ci, err := r.pcap.ZeroCopyReadPacketData()
	if err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			got := r.pos() - fi.off - 16
			return nil, fi, r.cut(fi.off, fmt.Sprintf("the file ends inside packet %d (%d of %d bytes)", r.num+1, got, caplen))
		}
		if r.src.err != nil {
			return nil, fi, fmt.Errorf("%s: %w", r.name, r.src.err)
		}
		return nil, fi, r.damaged(fi.off, fmt.Sprintf("unreadable record: %v", err))
	}
	fi.time = unixNano(ci.Timestamp)
	if r.passed != nil {
		r.rec.Data = data
	}
	return data, fi, nil
}

// oddRecord reads a pcap record whose captured length exceeds its length
// on the wire, into a buffer of its own. caplen is at most maxCaplen.
func (r *Reader) oddRecord(fi frameInfo, h []byte, caplen int) ([]byte, frameInfo, error) {
	sec, frac := int64(r.order.Uint32(h[0:4])), int64(r.order.Uint32(h[4:8]))
	if !r.nano {
		frac *= 1000
	}
	fi.time = sec*1e9 + frac
	r.br.Discard(16)
	if cap(r.odd) < caplen {
		r.odd = make([]byte, caplen)
	}
	data := r.odd[:caplen]
	if n, err := io.ReadFull(r.br, data); err != nil {
		return nil, fi, r.cut(fi.off, fmt.Sprintf("the file ends inside packet %d (%d of %d bytes)", r.num+1, n, caplen))
	}
	if r.passed != nil {
		r.rec.Data = data
	}
	return data, fi, nil
}

// Block types pcapgo is given; every other block is stepped over here.
const (
	blockSHB = 0x0a0d0d0a
	blockIDB = 1
	blockPB  = 2 // the obsolete Packet Block
	blockSPB = 3
	blockEPB = 6
)

// maxInterfaces bounds the interfaces a section may declare: pcapgo keeps
// each, and a file of nothing but interface blocks must not take the memory.
const maxInterfaces = 1 << 16

func (r *Reader) nextPcapng() ([]byte, frameInfo, error) {
	for {
		off := r.pos()
		fi := frameInfo{off: off}
		h, _ := r.br.Peek(28)
		if len(h) < 12 {
			if len(h) == 0 && r.src.err == nil {
				return nil, fi, io.EOF
			}
			if len(h) < 8 {
				return nil, fi, r.cut(off, fmt.Sprintf("the file ends inside a block header (%d of 8 bytes)", len(h)))
			}
		}
		var typ, blen uint32
		if binary.BigEndian.Uint32(h[:4]) == blockSHB {
			typ = blockSHB
			if len(h) < 12 {
				return nil, fi, r.cut(off, fmt.Sprintf("the file ends inside a section header (%d of 12 bytes)", len(h)))
			}
			var ok bool
			if blen, ok = r.sectionHeader(h); !ok {
				return nil, fi, r.damaged(off, "section header block with a bad byte-order magic: the rest of the file was not read")
			}
		} else {
			typ, blen = r.u32(h[0:4]), r.u32(h[4:8])
		}
		if blen < 12 || blen%4 != 0 {
			return nil, fi, r.damaged(off, fmt.Sprintf("block of type %#x claims %d bytes, which no block has: the rest of the file was not read", typ, blen))
		}
		// A block ends with its length again. When the two differ the
		// length cannot be trusted to find the next block, and Wireshark
		// stops there too. (A block larger than the buffer is not checked;
		// one cut short by the end of the file is found when it is read.)
		if blen <= bufSize {
			// Peek may move the buffer's contents: h is taken again.
			whole, _ := r.br.Peek(int(blen))
			h = whole[:min(len(whole), 28)]
			if len(whole) == int(blen) {
				if end := r.u32(whole[blen-4:]); end != blen {
					return nil, fi, r.damaged(off, fmt.Sprintf("block of type %#x claims %d bytes at its start and %d at its end: the rest of the file was not read", typ, blen, end))
				}
			}
		}
		switch typ {
		case blockSHB, blockIDB:
			if typ == blockIDB && r.ng.NInterfaces() >= maxInterfaces {
				r.problem("bad pcapng block", 0, off, fmt.Sprintf("more than %d interfaces in one section: interface block skipped", maxInterfaces))
				if err := r.skip(off, int64(blen)); err != nil {
					return nil, fi, err
				}
				continue
			}
			r.gate.allow(int64(blen))
			_, _, err := r.ng.ZeroCopyReadPacketData()
			if err == io.EOF && r.ngDrained() {
				// The block was read, and pcapgo found the gate shut after it.
				r.noteInterfaces(typ)
				continue
			}
			if err == nil {
				err = errors.New("pcapgo returned a packet from a block that holds none")
			}
			if err := r.ngFailed(off, blen, 0, err); err != nil {
				return nil, fi, err
			}
			continue
		case blockEPB, blockPB, blockSPB:
		case blockDSB:
			if r.onSecrets != nil {
				if err := r.secrets(off, int64(blen)); err != nil {
					return nil, fi, err
				}
				continue
			}
			fallthrough
		default:
			// Statistics, name resolution, decryption secrets, custom
			// blocks: nothing ceiling uses, and pcapgo would keep the
			// names and secrets for the whole section.
			if err := r.skip(off, int64(blen)); err != nil {
				return nil, fi, err
			}
			continue
		}
		num := r.num + 1
		if why := r.badPacketBlock(typ, blen, h); why != "" {
			r.num++
			r.stats.Frames++
			r.stats.Skipped++
			r.problem("bad pcapng block", num, off, why)
			if err := r.skip(off, int64(blen)); err != nil {
				return nil, fi, err
			}
			continue
		}
		var ts uint64 // the raw timestamp, for a binary resolution
		if typ != blockSPB && len(h) >= 20 {
			ts = uint64(r.u32(h[12:16]))<<32 | uint64(r.u32(h[16:20]))
		}
		r.gate.allow(int64(blen))
		data, ci, err := r.ng.ZeroCopyReadPacketData()
		if err != nil || !r.ngDrained() {
			if err == nil {
				err = errors.New("block not read to its end")
			}
			if err := r.ngFailed(off, blen, num, err); err != nil {
				return nil, fi, err
			}
			continue
		}
		fi.iface = ci.InterfaceIndex
		// With WantMixedLinkType pcapgo names each packet's link type, the
		// one of the interface it was captured on.
		if len(ci.AncillaryData) > 0 {
			if lt, ok := ci.AncillaryData[0].(layers.LinkType); ok {
				fi.link = uint16(lt)
			}
		}
		switch {
		case typ == blockSPB:
			fi.time = 0 // a simple packet block has no timestamp
		case fi.iface < len(r.binRes) && r.binRes[fi.iface] != 0:
			// pcapgo scales a binary fraction by an integer factor:
			// 1e9/2^20 becomes 953 (0.7 ms off at most), 2^30/1e9
			// becomes 1 (7% of a second off).
			i, _ := r.ng.Interface(fi.iface)
			fi.time = binaryTime(ts, r.binRes[fi.iface], int64(i.TimestampOffset))
		default:
			fi.time = unixNano(ci.Timestamp)
		}
		return data, fi, nil
	}
}

// noteInterfaces keeps what the timestamps need of the interfaces pcapgo
// has just read: a section header forgets them, an interface block adds one.
func (r *Reader) noteInterfaces(typ uint32) {
	if typ == blockSHB {
		r.binRes = r.binRes[:0]
		return
	}
	var exp uint8
	if i, err := r.ng.Interface(r.ng.NInterfaces() - 1); err == nil && i.TimestampResolution.Binary() {
		exp = i.TimestampResolution.Exponent()
	}
	r.binRes = append(r.binRes, exp)
}

// binaryTime converts a timestamp in units of 2^-exp seconds, plus an
// if_tsoffset in seconds, to Unix ns, clamped to what an int64 holds.
func binaryTime(ts uint64, exp uint8, offset int64) int64 {
	sec := ts >> exp
	hi, lo := bits.Mul64(ts&(1<<exp-1), 1e9)
	ns := lo>>exp | hi<<(64-exp) // exp is 1 to 63: pcapgo refuses more
	const maxSec = math.MaxInt64/int64(time.Second) - 1
	if sec > uint64(maxSec) {
		return math.MaxInt64
	}
	s := int64(sec) + max(min(offset, maxSec), -maxSec)
	switch {
	case s > maxSec:
		return math.MaxInt64
	case s < -maxSec:
		return math.MinInt64
	}
	return s*int64(time.Second) + int64(ns)
}

// badPacketBlock checks what pcapgo would trust in a packet block's header:
// a captured length that overruns the block would make it read on into the
// next blocks.
func (r *Reader) badPacketBlock(typ, blen uint32, h []byte) string {
	if typ == blockSPB {
		if len(h) < 12 {
			return "" // cut short: pcapgo will find the end of the file
		}
		wire := r.u32(h[8:12])
		if blen < 16 || wire > maxCaplen || (wire > blen-16 && !r.snapFits(blen-16)) {
			return fmt.Sprintf("simple packet block of %d bytes claims a %d-byte packet", blen, wire)
		}
		return ""
	}
	if len(h) < 28 {
		return ""
	}
	caplen := r.u32(h[20:24])
	if blen < 32 || caplen > blen-32 || caplen > maxCaplen {
		return fmt.Sprintf("packet block of %d bytes claims a %d-byte packet", blen, caplen)
	}
	return ""
}

// snapFits says whether interface 0's snap length cuts a simple packet
// block's data to at most n bytes, as pcapgo then reads only that much.
func (r *Reader) snapFits(n uint32) bool {
	if r.ng.NInterfaces() == 0 {
		return false
	}
	i, err := r.ng.Interface(0)
	return err == nil && i.SnapLength != 0 && i.SnapLength <= n
}

func (r *Reader) u32(b []byte) uint32 {
	if r.ngBig {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

// ngDrained says whether pcapgo consumed exactly what the gate allowed.
func (r *Reader) ngDrained() bool { return r.gate.n == 0 && r.ngbr.Buffered() == 0 }

// ngFailed handles an error from pcapgo on the block at off. A block that
// is cut short is the end of a truncated file; any other error costs that
// block (and the frame, if it held one) and reading goes on after it.
func (r *Reader) ngFailed(off int64, blen uint32, num int64, err error) error {
	if r.src.err != nil {
		return fmt.Errorf("%s: %w", r.name, r.src.err)
	}
	if r.gate.short {
		what := "block"
		if num > 0 {
			what = fmt.Sprintf("packet %d", num)
		}
		return r.cut(off, fmt.Sprintf("the file ends inside %s (%d of %d bytes)", what, r.src.n-off, blen))
	}
	// Put the stream back on the next block boundary.
	r.ngbr.Discard(r.ngbr.Buffered())
	rest := r.gate.n
	r.gate.n = 0
	if err := r.skip(off, rest); err != nil {
		return err
	}
	reason := fmt.Sprintf("unreadable block: %v", err)
	if num > 0 {
		r.num++
		r.stats.Frames++
		r.stats.Skipped++
	}
	r.problem("bad pcapng block", num, off, reason)
	return nil
}

// skip steps over the block at off without pcapgo.
func (r *Reader) skip(off, blen int64) error {
	n, _ := r.br.Discard(int(min(blen, math.MaxInt32)))
	for blen -= int64(n); blen > 0 && n > 0; blen -= int64(n) {
		n, _ = r.br.Discard(int(min(blen, math.MaxInt32)))
	}
	if blen > 0 {
		if r.src.err != nil {
			return fmt.Errorf("%s: %w", r.name, r.src.err)
		}
		return r.cut(off, "the file ends inside a block")
	}
	return nil
}

// cut records that the file ends inside a record and ends the stream.
func (r *Reader) cut(off int64, reason string) error {
	if r.src.err != nil {
		return fmt.Errorf("%s: %w", r.name, r.src.err)
	}
	r.stats.Truncated = true
	r.problem("truncated file", 0, off, reason)
	return io.EOF
}

// damaged records that reading cannot go on past off and ends the stream.
func (r *Reader) damaged(off int64, reason string) error {
	r.stats.Damaged = true
	r.problem("damaged file", 0, off, reason)
	return io.EOF
}

func (r *Reader) problem(key string, num, off int64, reason string) {
	r.problems.Add(key, parse.Problem{File: r.name, Packet: num, Offset: off, Reason: reason})
}

// unixNano is t in Unix nanoseconds, clamped to what an int64 holds
// (years 1678 to 2262); the zero time, a record without one, is 0.
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	switch s := t.Unix(); {
	case s >= math.MaxInt64/int64(time.Second):
		return math.MaxInt64
	case s <= math.MinInt64/int64(time.Second):
		return math.MinInt64
	}
	return t.UnixNano()
}

// countingReader counts the bytes read through it, which is how the reader
// knows its offset in the file, and keeps the first error that was not the
// end of the file: that one is the caller's, not a damaged capture.
type countingReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF && c.err == nil {
		c.err = err
	}
	return n, err
}

// gate passes pcapgo the bytes of the block the reader has looked at and
// not one more. pcapgo then cannot read past a block whose insides lie
// (an option overrunning it, a length that underflows), and after any error
// the stream is found again at the next block boundary.
type gate struct {
	r     *bufio.Reader
	n     int64 // bytes still allowed
	short bool  // the file ended before the allowed bytes did
}

func (g *gate) allow(n int64) { g.n, g.short = n, false }

func (g *gate) Read(p []byte) (int, error) {
	if g.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > g.n {
		p = p[:g.n]
	}
	n, err := g.r.Read(p)
	g.n -= int64(n)
	if err == io.EOF {
		g.short = true
	}
	return n, err
}

// frame decodes one frame. It reports whether r.pkt now holds a packet to
// deliver: not for frames that are not IP, that fail to decode, or that are
// fragments of a datagram still incomplete.
func (r *Reader) frame(data []byte, fi frameInfo) bool {
	r.num++
	st := &r.stats
	st.Frames++
	st.Bytes += int64(len(data))
	// Most frames come later than all before them: that is asked first.
	switch {
	case fi.time > st.LastTime && st.Frames > 1:
		st.LastTime = fi.time
	case st.Frames == 1:
		st.FirstTime, st.LastTime = fi.time, fi.time
	case fi.time < st.FirstTime:
		st.FirstTime = fi.time
	}
	if n := len(r.links); n > 0 && r.links[n-1].link == fi.link {
		r.links[n-1].n++
	} else {
		r.countLink(fi.link)
	}
	if r.frag.oldest != nil {
		r.frag.expire(fi.time)
	}
	if fi.link == linkEthernet && !r.slow && r.ip4Frame(data, fi) {
		return true
	}

	ether, ip, supported, err := network(fi.link, data)
	switch {
	case !supported:
		st.Skipped++
		r.problem("unsupported link type", r.num, fi.off, fmt.Sprintf("link type %d (%s) is not one ceiling decodes", fi.link, linkName(fi.link)))
		return false
	case err != nil:
		st.Skipped++
		r.problem("bad link header", r.num, fi.off, err.Error())
		return false
	case ether == etherIPv4:
		st.IPv4++
	case ether == etherIPv6:
		st.IPv6++
	default:
		st.NotIP++
		return false
	}

	p := &r.pkt
	*p = Packet{Num: r.num, Offset: fi.off, Time: fi.time, Interface: fi.iface}
	isFragment, err := r.dec.ip(ether, ip, p, &r.fr)
	if err != nil {
		st.Skipped++
		r.problem("undecodable packet", r.num, fi.off, err.Error())
		return false
	}
	if isFragment && !r.fragment(p, fi) {
		return false
	}
	if !r.decapsulate(p, fi) {
		return false
	}
	if p.Transport != UDP && p.Transport != TCP {
		st.OtherProto++
	}
	st.Packets++
	return true
}

// ip4Frame delivers an Ethernet frame of UDP or TCP in IPv4, without IP
// options, not a fragment, that decoder.udp4 or decoder.tcp4 would take
// and that no tunnel's port names, as the path through network,
// decoder.ip and decapsulate would, filling the packet in one go: RTP,
// most of an RTP-heavy capture, and the signalling over UDP and TCP. It
// reports false, having changed nothing, for any other frame.
func (r *Reader) ip4Frame(data []byte, fi frameInfo) bool {
	if len(data) < 14+28 || binary.BigEndian.Uint16(data[12:14]) != etherIPv4 {
		return false
	}
	b := data[14:]
	if b[0] != 0x45 || binary.BigEndian.Uint16(b[6:8])&0x3fff != 0 {
		return false
	}
	total := int(binary.BigEndian.Uint16(b[2:4]))
	if total > len(b) {
		return false
	}
	switch b[9] {
	case 17:
		return total >= 28 && r.udp4Frame(b[:total], fi)
	case 6:
		return total >= 40 && r.tcp4Frame(b[:total], fi)
	}
	return false
}

// udp4Frame is ip4Frame's for UDP; b is the IP packet, its length the
// header's total.
func (r *Reader) udp4Frame(b []byte, fi frameInfo) bool {
	// By offsets in b, as tcp4Frame reads its header.
	_ = b[27]
	total := len(b)
	src, dst := binary.BigEndian.Uint16(b[20:22]), binary.BigEndian.Uint16(b[22:24])
	if src == portGTPU || dst == portGTPU || dst == portVXLAN {
		return false
	}
	// The payload is never longer than its length here (transport cuts
	// one that is): the header's length bounds it, or without one it runs
	// to the IP packet's end, which is its length.
	var payload []byte
	var plen int
	switch ulen := int(binary.BigEndian.Uint16(b[24:26])); {
	case ulen >= 8:
		payload, plen = b[28:min(20+ulen, total)], ulen-8
	case ulen == 0:
		// No length (a jumbogram's, or a writer's that left it out).
		payload, plen = b[28:], total-28
	default:
		return false
	}
	p := r.ip4Packet(b, fi)
	p.SrcPort, p.DstPort, p.Transport = src, dst, UDP
	p.Seq, p.Ack, p.Flags, p.Window = 0, 0, 0, 0
	p.Payload, p.PayloadLen = payload, plen
	return true
}

// tcp4Frame is ip4Frame's for TCP; b is the IP packet, its length the
// header's total. The segment's header must be whole, options included.
func (r *Reader) tcp4Frame(b []byte, fi frameInfo) bool {
	// The header's fixed part by its offsets in b, not in a slice cut
	// from it: each cut costs as much as a field read.
	_ = b[39]
	end := 20 + int(b[32]>>4)*4
	if end < 40 || end > len(b) {
		return false
	}
	p := r.ip4Packet(b, fi)
	p.SrcPort, p.DstPort, p.Transport = binary.BigEndian.Uint16(b[20:22]), binary.BigEndian.Uint16(b[22:24]), TCP
	p.Seq, p.Ack = binary.BigEndian.Uint32(b[24:28]), binary.BigEndian.Uint32(b[28:32])
	p.Flags, p.Window = b[33], binary.BigEndian.Uint16(b[34:36])
	p.Payload, p.PayloadLen = b[end:], len(b)-end
	return true
}

// ip4Packet counts a packet ip4Frame takes and fills what its IPv4 header
// and its frame say; the caller fills the transport's fields.
func (r *Reader) ip4Packet(b []byte, fi frameInfo) *Packet {
	r.stats.IPv4++
	r.stats.Packets++
	// Field by field: the composite literal is built aside and copied
	// over with its pointers, which costs more than the rest of the frame.
	_ = b[19] // the addresses below without a check each
	p := &r.pkt
	p.Num, p.Offset, p.Time, p.Interface = r.num, fi.off, fi.time, fi.iface
	p.Src, p.Dst = netip.AddrFrom4([4]byte(b[12:16])), netip.AddrFrom4([4]byte(b[16:20]))
	p.Reassembled, p.Fragments = false, 0
	if p.Tunnel != "" {
		p.Tunnel = ""
	}
	return p
}

// decapsulate replaces p by what a tunnel carries, as often as tunnels are
// nested. It reports false when the inner packet is dropped (it does not
// decode, or it is a fragment of an inner datagram still incomplete).
func (r *Reader) decapsulate(p *Packet, fi frameInfo) bool {
	outer := ""
	for depth := 0; depth < maxTunnelDepth; depth++ {
		// Only a packet of no known transport is opened by its IP
		// protocol: most packets, UDP and TCP, need no look at the layers.
		var proto uint8
		if p.Transport == OtherTransport {
			proto = r.dec.proto()
		}
		ether, inner, kind := tunnelOf(p, proto)
		if kind == "" {
			break
		}
		if outer == "" {
			outer = kind
			r.stats.Tunneled++
		}
		num, off, t, iface := p.Num, p.Offset, p.Time, p.Interface
		*p = Packet{Num: num, Offset: off, Time: t, Interface: iface, Tunnel: outer}
		isFragment, err := r.dec.ip(ether, inner, p, &r.fr)
		if err != nil {
			r.stats.Skipped++
			r.problem("undecodable packet", r.num, fi.off, "inside "+kind+": "+err.Error())
			return false
		}
		if isFragment {
			if !r.fragment(p, fi) {
				return false
			}
			p.Tunnel = outer
		}
	}
	return true
}

// fragment takes the IP fragment r.fr, of the frame p was filled from. It
// reports whether p now holds a datagram to deliver: the one this fragment
// completed, or a first fragment that the snap length cut.
func (r *Reader) fragment(p *Packet, fi frameInfo) bool {
	st := &r.stats
	st.Fragments++
	f := &r.fr
	f.key.iface = int32(fi.iface)
	if f.off+f.wire > maxDatagram {
		st.Skipped++
		r.problem("bad ip fragment", r.num, fi.off, fmt.Sprintf("IP fragment at offset %d of %d bytes ends past the largest datagram (65535 bytes)", f.off, f.wire))
		return false
	}
	if len(f.data) < f.wire {
		// Its missing bytes would leave a hole in the datagram. A first
		// fragment still has the transport header, and the start of
		// the payload (a SIP start line and headers, with tcpdump -s
		// 200): it is delivered cut short, as an unfragmented packet
		// cut by the snap length would be. tshark does the same for
		// IPv4 (not for IPv6).
		if f.off == 0 {
			p.Fragments = 1
			if err := r.dec.datagram(f.key.proto, f.data, f.wire, p); err != nil {
				st.Skipped++
				r.problem("undecodable packet", r.num, fi.off, err.Error())
				return false
			}
			return true
		}
		st.Skipped++
		r.problem("bad ip fragment", r.num, fi.off, fmt.Sprintf("IP fragment cut short by the capture's snap length (%d of %d bytes)", len(f.data), f.wire))
		return false
	}
	s := r.frag.add(f, frame{r.num, fi.off, fi.time})
	if s == nil {
		return false
	}
	st.Reassembled++
	if s.conflict || s.tooLong {
		r.problem("ip fragment overlap", r.num, fi.off, fmt.Sprintf("fragments of IP datagram %v → %v id %#x overlap with different data or run past its end: kept the bytes that came first", s.key.src, s.key.dst, s.key.id))
	}
	p.Reassembled, p.Fragments = true, s.n
	if err := r.dec.datagram(s.key.proto, s.buf, len(s.buf), p); err != nil {
		st.Skipped++
		r.problem("undecodable packet", r.num, fi.off, err.Error())
		return false
	}
	return true
}

// incomplete reports a fragment set given up.
func (r *Reader) incomplete(s *fragSet, why string) {
	r.stats.Incomplete++
	have := 0
	for _, h := range s.have {
		have += h.hi - h.lo
	}
	total := "?"
	if s.total >= 0 {
		total = fmt.Sprint(s.total)
	}
	r.problem("ip fragment never completed", s.firstNum, s.firstOffset,
		fmt.Sprintf("IP datagram %v → %v id %#x never completed (%d fragments, %d of %s bytes): %s", s.key.src, s.key.dst, s.key.id, s.n, have, total, why))
}

func (r *Reader) countLink(lt uint16) {
	// Almost every file has one link type: the last entry is the one.
	if n := len(r.links); n > 0 && r.links[n-1].link == lt {
		r.links[n-1].n++
		return
	}
	for i := range r.links {
		if r.links[i].link == lt {
			r.links[i].n++
			// Keep the busiest last, so the fast path above stays hit.
			last := len(r.links) - 1
			r.links[i], r.links[last] = r.links[last], r.links[i]
			return
		}
	}
	r.links = append(r.links, linkCount{lt, 1})
}
