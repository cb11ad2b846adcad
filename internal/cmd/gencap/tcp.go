package main

import "encoding/binary"

// Steps of a connection's life that are not data.
const (
	kSyn        uint8 = iota + 1 // the client's SYN reaches the server
	kSynAck                      // the server accepts
	kAck                         // the client completes the handshake
	kRst                         // the server refuses: RST to the SYN
	kUpgrade                     // the client asks for a WebSocket
	kUp101                       // the server switches protocols
	kUp503                       // the server refuses the upgrade
	kFinSrv                      // the server closes (after the client did, or first)
	kFinCli                      // the client closes after the server
	kLastAck                     // the final ACK; the connection is gone
	kWSCloseSrv                  // the server answers a close frame
)

const (
	mss    = 1448 // 1500-byte MTU less IPv4, TCP and the timestamps option
	winCli = 502  // window, scaled by 2^7
	winSrv = 509
)

func (g *gen) newConn() int32 {
	if n := len(g.freeK); n > 0 {
		id := g.freeK[n-1]
		g.freeK = g.freeK[:n-1]
		return id
	}
	g.conns = append(g.conns, conn{})
	return int32(len(g.conns) - 1)
}

// openConn starts a connection from thread owner to srv:port; slot says
// it counts against the edge's TCP connection limit.
func (g *gen) openConn(owner int32, srv *host, port uint16, t int64, slot bool) {
	id := g.newConn()
	k := &g.conns[id]
	*k = conn{
		owner: owner, gen: k.gen + 1, cli: &g.client, srv: srv,
		cport: g.nextPort(t), sport: port, slot: slot,
		seq: [2]uint32{uint32(g.r.next()), uint32(g.r.next())},
	}
	g.threads[owner].conn = id
	g.exp.tcpAttempt()
	k.step = kSyn
	g.at(t+g.jmeter(), evConn, id, 0, k.gen)
}

// freeConn forgets a connection at t. A client that closed first keeps
// its port in TIME_WAIT for 60 s.
func (g *gen) freeConn(id int32, t int64) {
	k := &g.conns[id]
	g.portBusy[k.cport] = t
	if k.finCli && k.lastAck == 0 {
		g.portBusy[k.cport] = t + 60e9
	}
	k.gen++
	k.free = true
	g.freeK = append(g.freeK, id)
}

func (g *gen) connStep(id int32, t int64) {
	k := &g.conns[id]
	switch k.step {
	case kSyn:
		g.segment(id, 0, t, tcpSYN, nil)
		if k.slot {
			if g.tcpOpen >= g.cfg.tcpLimit {
				g.exp.tcpRefused(g, k, t, g.tcpOpen+1)
				g.tcpOpen++ // opening until the RST
				k.step = kRst
				g.at(t+g.r.between(us(20), us(80)), evConn, id, 0, k.gen)
				return
			}
			g.tcpOpen++
			if g.tcpOpen > g.maxTCP {
				g.maxTCP = g.tcpOpen
			}
		}
		k.step = kSynAck
		g.at(t+g.r.between(us(30), us(120)), evConn, id, 0, k.gen)
	case kSynAck:
		g.segment(id, 1, t, tcpSYN|tcpACK, nil)
		k.step = kAck
		g.at(t+g.rtt(), evConn, id, 0, k.gen)
	case kAck:
		g.segment(id, 0, t, tcpACK, nil)
		g.established(id, t)
	case kRst:
		g.rst(id, t)
		g.tcpOpen--
		owner := k.owner
		g.freeConn(id, t)
		g.threads[owner].conn = -1
		g.refused(owner, t+g.rtt()/2)
	case kUpgrade:
		g.upgradeRequest(id, t)
	case kUp101:
		g.upgradeAnswer(id, t, true)
	case kUp503:
		g.upgradeAnswer(id, t, false)
	case kFinSrv:
		g.segment(id, 1, t, tcpFIN|tcpACK, nil)
		k.finSrv = true
		if k.finCli {
			g.bothClosed(k)
			k.step, k.lastAck = kLastAck, 0
			g.at(t+g.rtt(), evConn, id, 0, k.gen)
			return
		}
		k.step = kFinCli
		g.at(t+g.rtt()+g.jmeter(), evConn, id, 0, k.gen)
	case kFinCli:
		g.segment(id, 0, t, tcpFIN|tcpACK, nil)
		k.finCli = true
		g.bothClosed(k)
		k.step, k.lastAck = kLastAck, 1
		g.at(t+g.edgeProc()/4, evConn, id, 0, k.gen)
	case kLastAck:
		// The side that closed first acknowledges the other's FIN.
		g.segment(id, int(k.lastAck), t, tcpACK, nil)
		g.freeConn(id, t)
	case kWSCloseSrv:
		g.pay = g.wsFrame(g.pay[:0], wsClose, []byte{0x03, 0xe8}, false)
		g.tcpSend(id, 1, t, g.pay)
		k.step = kFinSrv
		g.at(t+g.r.between(us(50), us(200)), evConn, id, 0, k.gen)
	}
}

// bothClosed: the connection no longer holds the edge's slot.
func (g *gen) bothClosed(k *conn) {
	if k.slot {
		g.tcpOpen--
	}
	if k.wsUnit {
		// The first FIN ended it for the WebSocket count, if no close
		// frame did.
		k.wsUnit = false
		g.wsUnits--
	}
}

// closeConn: the client closes its connection (a thread that ends).
func (g *gen) closeConn(id int32, t int64) {
	k := &g.conns[id]
	if k.wsOpen {
		g.wsClientClose(id, t)
		return
	}
	g.segment(id, 0, t, tcpFIN|tcpACK, nil)
	k.finCli = true
	k.step = kFinSrv
	g.at(t+g.edgeProc(), evConn, id, 0, k.gen)
}

// established: the handshake is done; the owner starts talking.
func (g *gen) established(id int32, t int64) {
	k := &g.conns[id]
	th := &g.threads[k.owner]
	if th.group == grpEvents || th.transport == tWS {
		k.step = kUpgrade
		g.at(t+g.jmeter(), evConn, id, 0, k.gen)
		return
	}
	g.startCall(k.owner, t, true)
}

// refused: the client learns its SYN was refused. JMeter writes the
// sample (java.net.ConnectException) and the thread pauses, then retries.
func (g *gen) refused(tid int32, t int64) {
	g.jtl.refusedRow(g, tid, t)
	g.at(t+g.r.between(ms(2000), ms(2500)), evThread, tid, 0, 0)
}

// segment writes one TCP segment from side (0 client, 1 server).
func (g *gen) segment(id int32, side int, t int64, flags byte, payload []byte) {
	k := &g.conns[id]
	src, dst, sport, dport, win := k.cli, k.srv, k.cport, k.sport, uint16(winCli)
	if side == 1 {
		src, dst, sport, dport, win = k.srv, k.cli, k.sport, k.cport, winSrv
	}
	seq := k.seq[side]
	var ack uint32
	if flags&tcpACK != 0 {
		ack = k.seq[1-side]
		k.owes[side] = false
	}
	tsval := src.tsBase + uint32(t/1e6)
	var opts [20]byte
	var o []byte
	if flags&tcpSYN != 0 {
		o = opts[:20]
		copy(o, []byte{2, 4, 0x05, 0xb4, 4, 2, 8, 10})
		binary.BigEndian.PutUint32(o[8:], tsval)
		binary.BigEndian.PutUint32(o[12:], k.tsEcho[side])
		copy(o[16:], []byte{1, 3, 3, 7})
		win = 64240
		if side == 1 {
			win = 65160
		}
	} else {
		o = opts[:12]
		o[0], o[1], o[2], o[3] = 1, 1, 8, 10
		binary.BigEndian.PutUint32(o[4:], tsval)
		binary.BigEndian.PutUint32(o[8:], k.tsEcho[side])
	}
	k.tsEcho[1-side] = tsval
	n := uint32(len(payload))
	if flags&(tcpSYN|tcpFIN) != 0 {
		n++
	}
	k.seq[side] += n
	if len(payload) > 0 {
		// The peer acknowledges within 40 ms unless it has something
		// to send first.
		peer := 1 - side
		k.owes[peer] = true
		k.ackGen[peer]++
		d := ms(40) + g.r.between(0, ms(2))
		if peer == 0 {
			d += g.rtt()
		}
		g.at(t+d, evAck, id, uint32(peer)|k.ackGen[peer]<<1, k.gen)
	}
	if g.cap == nil {
		g.wrote(t, ethLen+ipv4Len+20+len(o)+len(payload), false)
		return
	}
	g.emit(t, g.fr.tcp(src, dst, sport, dport, seq, ack, flags, win, o, payload), false)
}

// rst refuses a SYN: RST+ACK acknowledging it, no options, window 0.
func (g *gen) rst(id int32, t int64) {
	k := &g.conns[id]
	if g.cap == nil {
		g.wrote(t, ethLen+ipv4Len+20, false)
		return
	}
	g.emit(t, g.fr.tcp(k.srv, k.cli, k.sport, k.cport, 0, k.seq[0], tcpRST|tcpACK, 0, nil, nil), false)
}

// tcpSend writes b from side in MSS-sized segments.
func (g *gen) tcpSend(id int32, side int, t int64, b []byte) {
	for len(b) > 0 {
		n := len(b)
		flags := byte(tcpACK | tcpPSH)
		if n > mss {
			n = mss
			flags = tcpACK
		}
		g.segment(id, side, t, flags, b[:n])
		b = b[n:]
		t += us(2)
	}
}

func (g *gen) delayedAck(id int32, side int, ackGen, gen uint32, t int64) {
	k := &g.conns[id]
	if k.gen != gen || !k.owes[side] || k.ackGen[side] != ackGen {
		return
	}
	g.segment(id, side, t, tcpACK, nil)
}
