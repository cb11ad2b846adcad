package main

import "encoding/binary"

// RTP: G.711 µ-law, 20 ms packets (160 samples, 160 bytes) behind a
// 12-byte header, from the SDP ports of both sides, for the call's hold.
const (
	rtpPayload = 160
	rtpPeriod  = 20e6 // ns
)

// voice is a few seconds of µ-law "speech" (tones under noise), read at
// a different place by every stream. It is twice as long as it is used,
// so that a packet's payload never wraps.
var voice = makeVoice()

const voiceLen = 8000 * 4 // 4 s

func makeVoice() []byte {
	b := make([]byte, 2*voiceLen)
	r := rng{s: 0x5eed}
	for i := 0; i < voiceLen; i++ {
		// A slow sum of partials, loud and quiet in turns, plus noise.
		ph := i % 8000
		env := int64(ph % 2000)
		if ph >= 4000 {
			env = 30
		}
		x := (int64(i*37%200) - 100) * env / 40
		x += r.between(-60, 60)
		b[i] = linearToMulaw(int16(x * 8))
	}
	copy(b[voiceLen:], b[:voiceLen])
	return b
}

// linearToMulaw is G.711's µ-law encoding of one 16-bit sample.
func linearToMulaw(s int16) byte {
	const bias, clip = 0x84, 32635
	x := int(s)
	sign := 0
	if x < 0 {
		x, sign = -x, 0x80
	}
	if x > clip {
		x = clip
	}
	x += bias
	exp := 7
	for m := 0x4000; x&m == 0 && exp > 0; m >>= 1 {
		exp--
	}
	mant := (x >> (exp + 3)) & 0x0f
	return ^byte(sign | exp<<4 | mant)
}

func (g *gen) newStream() int32 {
	if n := len(g.freeS); n > 0 {
		id := g.freeS[n-1]
		g.freeS = g.freeS[:n-1]
		return id
	}
	g.streams = append(g.streams, stream{})
	return int32(len(g.streams) - 1)
}

// startStream starts one direction of the call's media at t, to run until
// the BYE.
func (g *gen) startStream(c *call, t int64, fromClient bool) {
	id := g.newStream()
	s := &g.streams[id]
	*s = stream{
		src: &g.edge, dst: &g.client, sport: c.edgeRTP, dport: c.rtpPort,
		seq: uint16(g.rr.next()), ts: uint32(g.rr.next()), ssrc: uint32(g.rr.next()),
		off: int32(g.rr.intn(voiceLen)), first: true,
	}
	if fromClient {
		s.src, s.dst, s.sport, s.dport = &g.client, &g.edge, c.rtpPort, c.edgeRTP
		s.jitter = true
	}
	// Both directions stop with the BYE: hold plus the ACK's round trip.
	s.left = int32((c.hold + ms(2)) / rtpPeriod)
	g.rtpLeft += int64(s.left)
	g.activeStreams++
	g.exp.rtpStream()
	s.nominal = t
	g.at(t, evRTP, id, 0, 0)
}

func (g *gen) rtpStep(id int32, t int64) {
	s := &g.streams[id]
	if g.cap != nil {
		var p [12 + rtpPayload]byte
		p[0] = 0x80
		p[1] = 0 // PCMU
		if s.first {
			p[1] |= 0x80 // marker: talkspurt begins
			s.first = false
		}
		binary.BigEndian.PutUint16(p[2:], s.seq)
		binary.BigEndian.PutUint32(p[4:], s.ts)
		binary.BigEndian.PutUint32(p[8:], s.ssrc)
		copy(p[12:], voice[s.off:s.off+rtpPayload])
		g.emit(t, g.fr.udp(s.src, s.dst, s.sport, s.dport, tosVoice, p[:]), true)
	} else {
		g.wrote(t, ethLen+ipv4Len+udpLen+12+rtpPayload, true)
	}
	s.seq++
	s.ts += rtpPayload
	s.off += rtpPayload
	if s.off >= voiceLen {
		s.off -= voiceLen
	}
	s.left--
	g.rtpLeft--
	if s.left <= 0 {
		g.activeStreams--
		g.freeS = append(g.freeS, id)
		return
	}
	s.nominal += rtpPeriod
	next := s.nominal
	if s.jitter {
		// The load generator's packets cross the network: ±0.5 ms.
		next += g.rr.between(-us(500), us(500))
	}
	g.at(next, evRTP, id, 0, 0)
}
