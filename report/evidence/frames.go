package evidence

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"time"

	"github.com/ceiling-dev/ceiling/parse"
)

// frame is one record of a capture as it is in the file: its bytes, where
// its record starts, its time and its link type. parse/pcap hands out
// decoded packets and keeps the bytes to itself, so the evidence pass
// reads each capture a second time with this reader, in step with
// parse/pcap's, and takes the bytes to write from here: the byte offset of
// a record is what both readers agree on.
type frame struct {
	off    int64  // offset of the record (pcap record header, pcapng block, NetMon frame) in the decompressed file
	time   int64  // Unix ns
	link   uint16 // LINKTYPE_ value
	iface  int    // pcapng interface index within its section
	wire   int    // length on the wire
	data   []byte // the captured bytes; reused by the next call
	linkOK bool   // false for a NetMon frame of a medium ceiling does not read
}

// maxCaplen is parse/pcap's bound on a record: a larger one is a damaged
// header, where parse/pcap stops reading, and so does this reader.
const maxCaplen = 262144

// frameReader reads the records of a pcap, pcapng or NetMon file.
type frameReader struct {
	br  *bufio.Reader
	pos int64 // offset of the next byte br hands out
	buf []byte

	// pcap
	order binary.ByteOrder
	nano  bool
	link  uint16

	// pcapng: the byte order and interfaces of the current section.
	ngBig  bool
	ifaces []ngIface

	netmon *netmonFrames
	kind   parse.Kind
}

type ngIface struct {
	link    uint16
	snaplen uint32
	// Units per second of the timestamps: 10^exp or 2^exp.
	binary bool
	exp    uint8
	offset int64 // if_tsoffset, seconds
}

var errDamaged = errors.New("damaged record")

func newFrameReader(in *parse.Input) (*frameReader, error) {
	r := &frameReader{br: in.R, kind: in.Kind}
	switch in.Kind {
	case parse.KindPcap:
		h, err := r.read(24)
		if err != nil {
			return nil, fmt.Errorf("%s: pcap header: %w", in.Path, err)
		}
		if !r.pcapHeader(h) {
			return nil, fmt.Errorf("%s: not a pcap file", in.Path)
		}
	case parse.KindPcapng:
	case parse.KindNetmon:
		nm, err := readNetmon(in.R)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", in.Path, err)
		}
		r.netmon = nm
	default:
		return nil, fmt.Errorf("%s: not a capture (%v)", in.Path, in.Kind)
	}
	return r, nil
}

// pcapHeader reads a pcap file's 24-byte header.
func (r *frameReader) pcapHeader(h []byte) bool {
	if len(h) < 24 {
		return false
	}
	switch binary.LittleEndian.Uint32(h[:4]) {
	case 0xa1b2c3d4:
		r.order = binary.LittleEndian
	case 0xd4c3b2a1:
		r.order = binary.BigEndian
	case 0xa1b23c4d:
		r.order, r.nano = binary.LittleEndian, true
	case 0x4d3cb2a1:
		r.order, r.nano = binary.BigEndian, true
	default:
		return false
	}
	// The high bits carry FCS flags some writers set, as parse/pcap
	// reads it.
	r.link = uint16(r.order.Uint32(h[20:24]))
	return true
}

// read takes the next n bytes into r.buf.
func (r *frameReader) read(n int) ([]byte, error) {
	if cap(r.buf) < n {
		r.buf = make([]byte, n)
	}
	b := r.buf[:n]
	k, err := io.ReadFull(r.br, b)
	r.pos += int64(k)
	if err == io.ErrUnexpectedEOF || (err == io.EOF && k > 0) {
		return nil, io.ErrUnexpectedEOF
	}
	return b, err
}

func (r *frameReader) discard(n int64) error {
	for n > 0 {
		k, err := r.br.Discard(int(min(n, math.MaxInt32)))
		r.pos += int64(k)
		n -= int64(k)
		if err != nil {
			return err
		}
	}
	return nil
}

// next returns the next frame, or io.EOF at the end of the file or where
// the file cannot be read on (cut short, damaged): parse/pcap reports those
// places, and stops there too.
func (r *frameReader) next(f *frame) error {
	switch {
	case r.netmon != nil:
		return r.netmon.next(f)
	case r.kind == parse.KindPcap:
		return r.nextPcap(f)
	}
	return r.nextPcapng(f)
}

func (r *frameReader) nextPcap(f *frame) error {
	off := r.pos
	h, err := r.read(16)
	if err != nil {
		return io.EOF
	}
	caplen := r.order.Uint32(h[8:12])
	if caplen > maxCaplen {
		return io.EOF
	}
	var head [16]byte
	copy(head[:], h)
	data, err := r.read(int(caplen))
	if err != nil {
		return io.EOF
	}
	r.pcapFrame(off, &head, data, f)
	return nil
}

// pcapFrame fills f from a pcap record: its offset, header and captured
// bytes.
func (r *frameReader) pcapFrame(off int64, h *[16]byte, data []byte, f *frame) {
	sec, frac := int64(r.order.Uint32(h[0:4])), int64(r.order.Uint32(h[4:8]))
	caplen, wire := r.order.Uint32(h[8:12]), r.order.Uint32(h[12:16])
	if !r.nano {
		frac *= 1000
	}
	*f = frame{off: off, time: sec*1e9 + frac, link: r.link, wire: int(max(wire, caplen)), data: data, linkOK: true}
}

// pcapng block types.
const (
	blockSHB = 0x0a0d0d0a
	blockIDB = 1
	blockPB  = 2
	blockSPB = 3
	blockEPB = 6
)

func (r *frameReader) u32(b []byte) uint32 {
	if r.ngBig {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

func (r *frameReader) u16(b []byte) uint16 {
	if r.ngBig {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func (r *frameReader) nextPcapng(f *frame) error {
	for {
		off := r.pos
		h, _ := r.br.Peek(12)
		if len(h) < 8 {
			return io.EOF
		}
		var typ, blen uint32
		if binary.BigEndian.Uint32(h[:4]) == blockSHB {
			if len(h) < 12 {
				return io.EOF
			}
			switch binary.BigEndian.Uint32(h[8:12]) {
			case 0x1a2b3c4d:
				r.ngBig = true
			case 0x4d3c2b1a:
				r.ngBig = false
			default:
				return io.EOF
			}
			typ, blen = blockSHB, r.u32(h[4:8])
		} else {
			typ, blen = r.u32(h[0:4]), r.u32(h[4:8])
		}
		if blen < 12 || blen%4 != 0 {
			return io.EOF
		}
		switch typ {
		case blockSHB:
			r.ifaces = r.ifaces[:0]
			if err := r.discard(int64(blen)); err != nil {
				return io.EOF
			}
			continue
		case blockIDB, blockEPB, blockSPB, blockPB:
			if blen > maxCaplen+1<<16 {
				// Longer than any packet block parse/pcap reads: it stops
				// here as damaged.
				return io.EOF
			}
			b, err := r.read(int(blen))
			if err != nil {
				return io.EOF
			}
			if typ == blockIDB {
				r.idb(b)
				continue
			}
			if r.packet(typ, b, f) {
				f.off = off
				return nil
			}
			// A block parse/pcap would not give a packet for either.
			continue
		default:
			if err := r.discard(int64(blen)); err != nil {
				return io.EOF
			}
		}
	}
}

// idb reads an interface description block's link type, snap length and
// timestamp options.
func (r *frameReader) idb(b []byte) {
	if len(b) < 20 {
		r.ifaces = append(r.ifaces, ngIface{exp: 6})
		return
	}
	ifc := ngIface{link: r.u16(b[8:10]), snaplen: r.u32(b[12:16]), exp: 6}
	opts := b[16 : len(b)-4]
	for len(opts) >= 4 {
		code, n := r.u16(opts[0:2]), int(r.u16(opts[2:4]))
		if code == 0 || 4+n > len(opts) {
			break
		}
		v := opts[4 : 4+n]
		switch {
		case code == 9 && n >= 1: // if_tsresol
			ifc.binary, ifc.exp = v[0]&0x80 != 0, v[0]&0x7f
		case code == 14 && n >= 8: // if_tsoffset
			if r.ngBig {
				ifc.offset = int64(binary.BigEndian.Uint64(v))
			} else {
				ifc.offset = int64(binary.LittleEndian.Uint64(v))
			}
		}
		opts = opts[min(len(opts), 4+(n+3)&^3):]
	}
	r.ifaces = append(r.ifaces, ifc)
}

// packet reads a packet block into f.
func (r *frameReader) packet(typ uint32, b []byte, f *frame) bool {
	var iface int
	var ts uint64
	var caplen, wire uint32
	var data []byte
	switch typ {
	case blockEPB:
		if len(b) < 32 {
			return false
		}
		iface = int(r.u32(b[8:12]))
		ts = uint64(r.u32(b[12:16]))<<32 | uint64(r.u32(b[16:20]))
		caplen, wire = r.u32(b[20:24]), r.u32(b[24:28])
		if caplen > uint32(len(b)-32) {
			return false
		}
		data = b[28 : 28+caplen]
	case blockPB:
		if len(b) < 32 {
			return false
		}
		iface = int(r.u16(b[8:10]))
		ts = uint64(r.u32(b[12:16]))<<32 | uint64(r.u32(b[16:20]))
		caplen, wire = r.u32(b[20:24]), r.u32(b[24:28])
		if caplen > uint32(len(b)-32) {
			return false
		}
		data = b[28 : 28+caplen]
	case blockSPB:
		if len(b) < 16 || len(r.ifaces) == 0 {
			return false
		}
		wire = r.u32(b[8:12])
		caplen = min(wire, uint32(len(b)-16))
		if s := r.ifaces[0].snaplen; s != 0 && caplen > s {
			caplen = s
		}
		data = b[12 : 12+caplen]
	}
	if iface >= len(r.ifaces) {
		return false
	}
	ifc := &r.ifaces[iface]
	*f = frame{time: ngTime(ts, ifc), link: ifc.link, iface: iface, wire: int(max(wire, caplen)), data: data, linkOK: true}
	return true
}

// ngTime converts a pcapng timestamp to Unix ns.
func ngTime(ts uint64, ifc *ngIface) int64 {
	off := ifc.offset * 1e9
	if ifc.binary {
		if ifc.exp == 0 || ifc.exp > 63 {
			return off + int64(ts)*1e9
		}
		sec := ts >> ifc.exp
		hi, lo := bits.Mul64(ts&(1<<ifc.exp-1), 1e9)
		ns := lo>>ifc.exp | hi<<(64-ifc.exp)
		return off + int64(sec)*1e9 + int64(ns)
	}
	switch {
	case ifc.exp == 9:
		return off + int64(ts)
	case ifc.exp < 9:
		return off + int64(ts)*pow10(9-ifc.exp)
	}
	return off + int64(ts/uint64(pow10(ifc.exp-9)))
}

func pow10(n uint8) int64 {
	p := int64(1)
	for ; n > 0 && p < 1e18; n-- {
		p *= 10
	}
	return p
}

// netmonFrames is a NetMon 2.x file, read whole as parse/pcap reads it
// (its frame table is at the end).
type netmonFrames struct {
	data    []byte
	offsets []uint32
	next_   int
	start   int64
	minor   uint8
	media   uint16
}

func readNetmon(r io.Reader) (*netmonFrames, error) {
	const maxFile = 256 << 20
	data, err := io.ReadAll(io.LimitReader(r, maxFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFile || len(data) < 128 || string(data[:4]) != "GMBU" || data[5] != 2 {
		return nil, errors.New("not a NetMon 2.x capture ceiling reads")
	}
	le := binary.LittleEndian
	st := func(i int) int { return int(le.Uint16(data[8+2*i:])) }
	// SYSTEMTIME, in UTC as Wireshark and parse/pcap read it.
	start := time.Date(st(0), time.Month(st(1)), st(3), st(4), st(5), st(6), st(7)*1e6, time.UTC).UnixNano()
	tableOff, tableLen := le.Uint32(data[24:]), le.Uint32(data[28:])
	if uint64(tableOff)+uint64(tableLen) > uint64(len(data)) || tableLen%4 != 0 {
		return nil, errors.New("NetMon frame table outside the file")
	}
	nm := &netmonFrames{data: data, start: start, minor: data[4], media: le.Uint16(data[6:])}
	for i := uint32(0); i < tableLen; i += 4 {
		nm.offsets = append(nm.offsets, le.Uint32(data[tableOff+i:]))
	}
	return nm, nil
}

func (nm *netmonFrames) next(f *frame) error {
	if nm.next_ >= len(nm.offsets) {
		return io.EOF
	}
	off := int64(nm.offsets[nm.next_])
	nm.next_++
	le := binary.LittleEndian
	if off+16 > int64(len(nm.data)) {
		return io.EOF
	}
	h := nm.data[off:]
	delta := le.Uint64(h)
	wire := int64(le.Uint32(h[8:]))
	caplen := int64(le.Uint32(h[12:]))
	if caplen > maxCaplen || off+16+caplen > int64(len(nm.data)) {
		return io.EOF
	}
	media := nm.media
	if nm.minor >= 1 {
		if t := off + 16 + caplen; t+2 <= int64(len(nm.data)) {
			media = le.Uint16(nm.data[t:])
		}
	}
	*f = frame{off: off, time: nm.start + int64(delta)*1000, link: 1, wire: int(max(wire, caplen)),
		data: h[16 : 16+caplen], linkOK: media == 1}
	return nil
}
