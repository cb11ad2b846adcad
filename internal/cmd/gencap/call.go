package main

// Steps of a call, in the order they happen.
const (
	cInvite uint8 = iota // the INVITE reaches the edge, which admits or refuses it
	c100                 // 100 Trying
	c180                 // 180 Ringing (with the 100, when coalesced)
	c200                 // 200 OK with the SDP answer
	cAck                 // ACK to the 200
	cBye                 // BYE after the hold
	c200Bye              // 200 OK to the BYE: the dialog ends
	c503                 // 503 Service Unavailable: the dialog ends
	cAck503              // ACK to the 503
	cDone                // the sample is written, the thread goes on
)

// threadStep runs a thread's next action.
func (g *gen) threadStep(id int32, t int64) {
	th := &g.threads[id]
	if !th.active {
		th.active = true
		g.activeThreads[th.group]++
	}
	if g.stopping {
		g.endThread(id, t)
		return
	}
	if th.group == grpEvents {
		th.connStart = t
		g.openConn(id, &g.events, eventsPort, t, false)
		return
	}
	if th.transport != tUDP && th.conn < 0 {
		th.connStart = t
		port := uint16(sipPort)
		if th.transport == tWS {
			port = sipWSPort
		}
		g.openConn(id, &g.edge, port, t, th.transport == tTCP)
		return
	}
	g.startCall(id, t, false)
}

// endThread stops a thread: it closes its connection and leaves.
func (g *gen) endThread(id int32, t int64) {
	th := &g.threads[id]
	if th.conn >= 0 {
		g.closeConn(th.conn, t)
		th.conn = -1
	}
	if th.active {
		th.active = false
		g.activeThreads[th.group]--
	}
}

func (g *gen) newCall() int32 {
	if n := len(g.freeC); n > 0 {
		id := g.freeC[n-1]
		g.freeC = g.freeC[:n-1]
		return id
	}
	g.calls = append(g.calls, call{})
	return int32(len(g.calls) - 1)
}

// startCall begins a SIP call sample at t (the client's time); connected
// says the sample began earlier, with the TCP connect.
func (g *gen) startCall(tid int32, t int64, connected bool) {
	th := &g.threads[tid]
	th.iter++
	id := g.newCall()
	c := &g.calls[id]
	gen := c.gen + 1
	*c = call{
		thread: tid, transport: th.transport, gen: gen, iter: th.iter,
		id: g.r.next(), fromTag: uint32(g.r.next()), brInv: uint32(g.r.next()),
		brAck: uint32(g.r.next()), brBye: uint32(g.r.next()), sess: uint32(g.r.next()>>34) + 1e9,
		rtpPort: g.rtpNext, start: t, connected: connected,
		hold: g.r.between(int64(g.cfg.hold)*2/3, int64(g.cfg.hold)*4/3),
	}
	if connected {
		c.start = th.connStart
	}
	g.rtpNext += 2
	if g.rtpNext > 59998 {
		g.rtpNext = 10000
	}
	switch th.transport {
	case tUDP:
		c.sport = g.nextPort(t)
	case tWS:
		c.listener = lis8080
		fallthrough
	case tTCP:
		c.coalesce = g.r.chance(0.15)
		c.split = g.r.chance(0.10)
	}
	th.call = id
	c.step = cInvite
	g.at(t+g.jmeter(), evCall, id, 0, c.gen)
}

// callStep sends the call's next message and schedules the one after.
func (g *gen) callStep(id int32, t int64) {
	c := &g.calls[id]
	switch c.step {
	case cInvite:
		c.inviteAt = t
		g.sendSIP(c, t, mInvite, 0)
		g.exp.invite(c)
		if g.dialogs >= g.cfg.limit {
			g.exp.sipReject(g, c, t)
			c.step = c503
			g.dialogs++ // counted until the 503 leaves
			g.dialogsAt[c.listener]++
			g.at(t+g.edgeProc(), evCall, id, 0, c.gen)
			return
		}
		g.dialogs++
		g.dialogsAt[c.listener]++
		if g.dialogs > g.maxDialogs {
			g.maxDialogs = g.dialogs
		}
		c.toTag = uint32(g.r.next())
		c.step = c100
		g.at(t+g.edgeProc(), evCall, id, 0, c.gen)
	case c100:
		if c.coalesce {
			// The edge's stack holds the 100 and writes it with the 180.
			c.step = c180
			g.at(t+g.r.between(ms(15), ms(80)), evCall, id, 0, c.gen)
			return
		}
		g.sendSIP(c, t, m100, 0)
		c.firstAt = t
		c.step = c180
		g.at(t+g.r.between(ms(15), ms(80)), evCall, id, 0, c.gen)
	case c180:
		if c.coalesce {
			g.sendSIP(c, t, m100, m180)
			c.firstAt = t
		} else {
			g.sendSIP(c, t, m180, 0)
		}
		c.step = c200
		g.at(t+g.r.between(ms(150), ms(900)), evCall, id, 0, c.gen)
	case c200:
		c.edgeRTP = g.edgeRTPNext
		g.edgeRTPNext += 2
		if g.edgeRTPNext > 39998 {
			g.edgeRTPNext = 20000
		}
		g.sendSIP(c, t, m200Inv, 0)
		c.code = 200
		c.media = g.wantMedia(c)
		if c.media {
			g.startStream(c, t+g.rr.between(ms(8), ms(20)), false)
		}
		c.step = cAck
		g.at(t+g.rtt()+g.jmeter(), evCall, id, 0, c.gen)
	case cAck:
		g.sendSIP(c, t, mAck, 0)
		if c.media {
			g.startStream(c, t+g.rr.between(ms(5), ms(20)), true)
		}
		c.step = cBye
		g.at(t+c.hold, evCall, id, 0, c.gen)
	case cBye:
		g.sendSIP(c, t, mBye, 0)
		c.step = c200Bye
		g.at(t+g.edgeProc(), evCall, id, 0, c.gen)
	case c200Bye:
		g.sendSIP(c, t, m200Bye, 0)
		g.dialogs--
		g.dialogsAt[c.listener]--
		g.exp.answered(c)
		c.step = cDone
		g.sampleDone(id, t+g.rtt()/2)
	case c503:
		g.sendSIP(c, t, m503, 0)
		c.firstAt = t
		c.code = 503
		g.dialogs--
		g.dialogsAt[c.listener]--
		c.step = cAck503
		g.at(t+g.rtt()+g.jmeter(), evCall, id, 0, c.gen)
	case cAck503:
		g.sendSIP(c, t, mAck503, 0)
		c.step = cDone
		g.sampleDone(id, t-g.jmeter())
	}
}

// sampleDone writes the call's JTL row at end (when the client had its
// final answer) and lets the thread go on: after a refusal it pauses
// 2-2.5 s, after a call 0.5-1.5 s.
func (g *gen) sampleDone(id int32, end int64) {
	c := &g.calls[id]
	g.jtl.callRow(g, c, end)
	tid := c.thread
	g.threads[tid].call = -1
	if c.transport == tUDP {
		g.portBusy[c.sport] = end
	}
	pause := g.r.between(ms(500), ms(1500))
	if c.code != 200 {
		pause = g.r.between(ms(2000), ms(2500))
	}
	c.gen++
	g.freeC = append(g.freeC, id)
	g.at(end+pause, evThread, tid, 0, 0)
}

// wantMedia decides whether the capture carries this call's media. Only
// a share of the calls' RTP passes the capture point (the edge anchors the
// media of some calls, the rest flows around it), and that share is what
// keeps RTP at the requested fraction of packets: a call gets media when
// the streams running now send fewer packets than the target rate, itself
// corrected by the share written so far.
func (g *gen) wantMedia(c *call) bool {
	p := g.cfg.rtpShare
	if p <= 0 {
		return false
	}
	q := p / (1 - p)
	target := q * g.otherRate
	if g.otherPackets > 0 && g.rtpPackets > 0 {
		corr := q * float64(g.otherPackets) / float64(g.rtpPackets)
		if corr > 2 {
			corr = 2
		} else if corr < 0.5 {
			corr = 0.5
		}
		target *= corr
	}
	return float64(g.activeStreams)*50 < target
}
