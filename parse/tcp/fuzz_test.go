package tcp

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/ceiling-dev/ceiling/parse"
	"github.com/ceiling-dev/ceiling/parse/pcap"
)

// fuzzPackets turns fuzz input into options and a packet sequence among a
// few address pairs. Each packet takes 8 bytes:
//
//	0 flags (as on the wire)
//	1 bit 0: from the client; bits 1-2: which of 4 port pairs; bit 3:
//	  payload differs from the first copy; bit 4: the snap length cut it;
//	  bit 5: zero window; bits 6-7: how seq is chosen (relative to the
//	  sender's cursor, to the cursor's start, random, or near 2^32)
//	2-3 seq delta (int16)
//	4 ack delta (int8, from what the peer has sent)
//	5 payload length (0-63), and bit 6: a 1 GiB jump
//	6 time step: 0-127 ms, or with bit 7 set (n&0x7f) minutes
//	7 random seq bits, with 6-7
//
// Payload bytes are a function of the sequence number, so that copies of
// the same range agree unless bit 3 says otherwise.
func fuzzPackets(data []byte) (Options, []*pcap.Packet) {
	var opts Options
	if len(data) > 0 {
		o := data[0]
		data = data[1:]
		opts.MaxConns = 1 + int(o&7)
		opts.MaxBuffered = 16 << (o >> 3 & 3)
		if o&0x20 != 0 {
			opts.HistoryBytes = 64
		}
		if o&0x40 != 0 {
			opts.MaxBufferedTotal = 200
		}
		if o&0x80 != 0 {
			opts.IdleTimeout = -1
		}
	}
	var cursor [4][2]uint32
	for i := range cursor {
		cursor[i] = [2]uint32{uint32(i) * 0x40000000, 0xfffffff0 - uint32(i)}
	}
	start := cursor
	t := int64(1e18)
	var pkts []*pcap.Packet
	for num := int64(1); len(data) >= 8; num++ {
		b := data[:8]
		data = data[8:]
		pair, side := int(b[1]>>1&3), 0
		if b[1]&1 == 0 {
			side = 1
		}
		var seq uint32
		d := uint32(int32(int16(binary.BigEndian.Uint16(b[2:4]))))
		switch b[1] >> 6 {
		case 0:
			seq = cursor[pair][side] + d
		case 1:
			seq = start[pair][side] + d
		case 2:
			seq = uint32(b[7])<<24 | d
		case 3:
			seq = 0xffffff00 + d
		}
		n := int(b[5] & 63)
		if b[5]&64 != 0 {
			seq += 1 << 30
		}
		ack := cursor[pair][1-side] + uint32(int32(int8(b[4])))
		payload := make([]byte, n)
		for i := range payload {
			payload[i] = byte(seq + uint32(i))
			if b[1]&8 != 0 {
				payload[i] ^= 0x5a
			}
		}
		if step := int64(b[6]); step&0x80 != 0 {
			t += (step & 0x7f) * 60e9
		} else {
			t += step * 1e6
		}
		p := &pcap.Packet{Num: num, Offset: num * 100, Time: t, Transport: pcap.TCP,
			Seq: seq, Ack: ack, Flags: b[0], Window: 65535, Payload: payload, PayloadLen: n}
		if b[1]&16 != 0 && n > 0 {
			p.Payload = payload[:n/2]
		}
		if b[1]&32 != 0 {
			p.Window = 0
		}
		cli := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, 1}), 40000+uint16(pair%2))
		srv := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(2 + pair/2)}), 5060)
		src, dst := cli, srv
		if side == 1 {
			src, dst = srv, cli
		}
		p.Src, p.SrcPort, p.Dst, p.DstPort = src.Addr(), src.Port(), dst.Addr(), dst.Port()
		pkts = append(pkts, p)
		if end := seq + uint32(n); int32(end-cursor[pair][side]) > 0 {
			cursor[pair][side] = end
		}
		if b[0]&(pcap.SYN|pcap.FIN) != 0 {
			cursor[pair][side] = seq + uint32(n) + 1
		}
	}
	return opts, pkts
}

func FuzzAssembler(f *testing.F) {
	f.Add([]byte{0x01,
		pcap.SYN, 1, 0xff, 0xff, 0, 0, 1, 0,
		pcap.SYN | pcap.ACK, 0, 0xff, 0xff, 1, 0, 1, 0,
		pcap.ACK, 1, 0, 0, 1, 10, 1, 0,
		pcap.ACK | pcap.PSH, 0, 0, 0, 0, 20, 1, 0,
		pcap.FIN | pcap.ACK, 1, 0, 0, 0, 0, 1, 0,
		pcap.FIN | pcap.ACK, 0, 0, 0, 1, 0, 1, 0,
	})
	f.Add([]byte{0x22,
		pcap.SYN, 1, 0xff, 0xff, 0, 0, 1, 0,
		pcap.ACK, 1, 0, 30, 0, 10, 1, 0,
		pcap.ACK, 1 | 8, 0, 5, 0, 10, 1, 0,
		pcap.ACK, 1, 0, 0, 0, 40, 1, 0,
		pcap.RST, 0, 0, 0, 0, 0, 0x85, 0,
		pcap.RST, 0, 0, 0, 0, 0, 1, 0,
	})
	f.Add([]byte{0xc7,
		pcap.ACK, 1 | 0x80, 0x10, 0, 0, 50, 1, 7,
		pcap.ACK, 1 | 0x40, 0, 0, 0, 50 | 64, 1, 0,
		pcap.ACK, 1 | 0xc0, 0, 0, 0, 30, 0x90, 0,
		pcap.ACK, 0 | 0x20, 0, 0, 100, 0, 1, 0,
		pcap.ACK, 1 | 0x10, 0, 0, 0, 40, 1, 0,
	})
	f.Fuzz(func(t *testing.T, data []byte) {
		opts, pkts := fuzzPackets(data)
		rec := newRecorder()
		rec.quiet = true
		opts.Problems = &parse.Problems{}
		a := NewAssembler(rec, opts)
		var sent int64
		for _, p := range pkts {
			sent += int64(p.PayloadLen)
			a.Packet(p)
		}
		var end int64
		if len(pkts) > 0 {
			end = pkts[len(pkts)-1].Time
		}
		a.Finish(end)
		rec.check(t)
		s := a.Stats()
		if s.Open != 0 || s.Held != 0 || s.Tracked != 0 {
			t.Fatalf("after Finish: open %d, held %d, tracked %d", s.Open, s.Held, s.Tracked)
		}
		var delivered, bytes int64
		for _, c := range rec.conns {
			delivered += c.Delivered[0] + c.Delivered[1]
			bytes += c.Bytes[0] + c.Bytes[1]
		}
		if delivered != s.DeliveredBytes || delivered > sent || bytes > sent {
			t.Fatalf("delivered %d (stats %d), counted %d, sent %d", delivered, s.DeliveredBytes, bytes, sent)
		}
		if s.Conns != int64(len(rec.conns)) {
			t.Fatalf("stats count %d connections, handler saw %d", s.Conns, len(rec.conns))
		}
		// The shortcut for a packet of the last packet's connection
		// changes nothing.
		if fast, general := runAssembler(t, pkts, opts, false), runAssembler(t, pkts, opts, true); fast != general {
			t.Fatalf("the shortcut changed what the handler heard:\n--- shortcut\n%s\n--- lookup every packet\n%s", fast, general)
		}
	})
}
