package main

import (
	"bufio"
	"encoding/binary"
)

// capFile writes frames as classic pcap (nanosecond timestamps) or as
// pcapng (one Ethernet interface, if_tsresol 10^-9), and counts what it
// wrote. Timestamps never go back: a frame stamped before the previous
// one is written at the previous one's time.
type capFile struct {
	w       *bufio.Writer
	ng      bool
	hdr     [32]byte
	bytes   int64
	packets int64
	first   int64
	last    int64
}

const snapLen = 262144

func newCapFile(w *bufio.Writer, ng bool) (*capFile, error) {
	c := &capFile{w: w, ng: ng}
	var err error
	if ng {
		// Section header block.
		shb := make([]byte, 28)
		binary.LittleEndian.PutUint32(shb[0:], 0x0a0d0d0a)
		binary.LittleEndian.PutUint32(shb[4:], 28)
		binary.LittleEndian.PutUint32(shb[8:], 0x1a2b3c4d)
		binary.LittleEndian.PutUint16(shb[12:], 1)
		binary.LittleEndian.PutUint16(shb[14:], 0)
		binary.LittleEndian.PutUint64(shb[16:], ^uint64(0)) // section length unknown
		binary.LittleEndian.PutUint32(shb[24:], 28)
		// Interface description block: Ethernet, if_tsresol = 9.
		idb := make([]byte, 32)
		binary.LittleEndian.PutUint32(idb[0:], 1)
		binary.LittleEndian.PutUint32(idb[4:], 32)
		binary.LittleEndian.PutUint16(idb[8:], 1)
		binary.LittleEndian.PutUint32(idb[12:], snapLen)
		binary.LittleEndian.PutUint16(idb[16:], 9) // if_tsresol
		binary.LittleEndian.PutUint16(idb[18:], 1)
		idb[20] = 9
		// idb[24:28] opt_endofopt
		binary.LittleEndian.PutUint32(idb[28:], 32)
		_, err = w.Write(append(shb, idb...))
		c.bytes = 60
	} else {
		h := make([]byte, 24)
		binary.LittleEndian.PutUint32(h[0:], 0xa1b23c4d) // nanosecond pcap
		binary.LittleEndian.PutUint16(h[4:], 2)
		binary.LittleEndian.PutUint16(h[6:], 4)
		binary.LittleEndian.PutUint32(h[16:], snapLen)
		binary.LittleEndian.PutUint32(h[20:], 1) // LINKTYPE_ETHERNET
		_, err = w.Write(h)
		c.bytes = 24
	}
	return c, err
}

// packet writes one frame captured at t (Unix ns).
func (c *capFile) packet(t int64, frame []byte) {
	if t < c.last {
		t = c.last
	}
	if c.packets == 0 {
		c.first = t
	}
	c.last = t
	n := len(frame)
	h := c.hdr[:]
	if c.ng {
		pad := (4 - n%4) % 4
		total := 32 + n + pad
		binary.LittleEndian.PutUint32(h[0:], 6)
		binary.LittleEndian.PutUint32(h[4:], uint32(total))
		binary.LittleEndian.PutUint32(h[8:], 0)
		binary.LittleEndian.PutUint32(h[12:], uint32(uint64(t)>>32))
		binary.LittleEndian.PutUint32(h[16:], uint32(t))
		binary.LittleEndian.PutUint32(h[20:], uint32(n))
		binary.LittleEndian.PutUint32(h[24:], uint32(n))
		c.w.Write(h[:28])
		c.w.Write(frame)
		var tail [8]byte
		binary.LittleEndian.PutUint32(tail[pad:], uint32(total))
		c.w.Write(tail[:pad+4])
		c.bytes += int64(total)
	} else {
		binary.LittleEndian.PutUint32(h[0:], uint32(t/1e9))
		binary.LittleEndian.PutUint32(h[4:], uint32(t%1e9))
		binary.LittleEndian.PutUint32(h[8:], uint32(n))
		binary.LittleEndian.PutUint32(h[12:], uint32(n))
		c.w.Write(h[:16])
		c.w.Write(frame)
		c.bytes += int64(16 + n)
	}
	c.packets++
}
