package pcap

import (
	"encoding/binary"
	"fmt"
	"io"
	"time"
)

// Microsoft Network Monitor 2.x captures ("GMBU"): a 128-byte header, the
// frames, and a table of frame offsets at the end. Wireshark's sample
// captures still include some. Since the frame table comes last, the file
// is read whole; NetMon itself wrote files of a few MB, and a larger one is
// refused with the conversion to use.
const (
	netmonHeader  = 128
	netmonMaxFile = 256 << 20
	// NetMon media types this reader decodes.
	netmonEthernet = 1
)

type netmonFile struct {
	data    []byte
	offsets []uint32
	next    int
	start   int64 // the capture's start, Unix ns
	minor   uint8
	media   uint16
}

func (r *Reader) openNetmon() error {
	data, err := io.ReadAll(io.LimitReader(r.br, netmonMaxFile+1))
	if err != nil {
		return fmt.Errorf("%s: %v", r.name, err)
	}
	if len(data) > netmonMaxFile {
		return fmt.Errorf("%s: a NetMon capture over %d MB; convert it with: editcap -F pcapng IN OUT", r.name, netmonMaxFile>>20)
	}
	if len(data) < netmonHeader || string(data[:4]) != "GMBU" {
		return fmt.Errorf("%s: NetMon header cut short (%d bytes)", r.name, len(data))
	}
	minor, major := data[4], data[5]
	if major != 2 {
		return fmt.Errorf("%s: NetMon version %d.%d; ceiling reads 2.x (convert it with: editcap -F pcapng IN OUT)", r.name, major, minor)
	}
	le := binary.LittleEndian
	st := func(i int) int { return int(le.Uint16(data[8+2*i:])) }
	// SYSTEMTIME: year, month, day of week, day, hour, minute, second, ms.
	// NetMon wrote it in UTC, as Wireshark reads it.
	start := time.Date(st(0), time.Month(st(1)), st(3), st(4), st(5), st(6), st(7)*1e6, time.UTC)
	tableOff, tableLen := le.Uint32(data[24:]), le.Uint32(data[28:])
	if uint64(tableOff)+uint64(tableLen) > uint64(len(data)) || tableLen%4 != 0 {
		return fmt.Errorf("%s: NetMon frame table (offset %d, %d bytes) lies outside the file (%d bytes)", r.name, tableOff, tableLen, len(data))
	}
	nm := &netmonFile{data: data, start: start.UnixNano(), minor: minor, media: le.Uint16(data[6:])}
	for i := uint32(0); i < tableLen; i += 4 {
		nm.offsets = append(nm.offsets, le.Uint32(data[tableOff+i:]))
	}
	r.netmon = nm
	return nil
}

func (r *Reader) nextNetmon() ([]byte, frameInfo, error) {
	nm := r.netmon
	if nm.next >= len(nm.offsets) {
		return nil, frameInfo{}, io.EOF
	}
	off := int64(nm.offsets[nm.next])
	nm.next++
	le := binary.LittleEndian
	if off+16 > int64(len(nm.data)) {
		return nil, frameInfo{}, r.damaged(off, fmt.Sprintf("NetMon frame %d at offset %d lies past the end of the file", nm.next, off))
	}
	h := nm.data[off:]
	delta := le.Uint64(h)
	caplen := int64(le.Uint32(h[12:]))
	if caplen > maxCaplen || off+16+caplen > int64(len(nm.data)) {
		return nil, frameInfo{}, r.damaged(off, fmt.Sprintf("NetMon frame %d at offset %d claims %d bytes", nm.next, off, caplen))
	}
	fi := frameInfo{off: off, time: nm.start + int64(delta)*1000, link: linkEthernet}
	media := nm.media
	if nm.minor >= 1 {
		// From 2.1 a trailer after each frame names its media type.
		if t := off + 16 + caplen; t+2 <= int64(len(nm.data)) {
			media = le.Uint16(nm.data[t:])
		}
	}
	if media != netmonEthernet {
		fi.link = 0xffff // reported as an unsupported link type
	}
	return h[16 : 16+caplen], fi, nil
}
