package main

import "strconv"

// SIP messages of a call, shaped on what the demo's kamailio edge and
// JMeter sampler exchange (testdata/demo), with the headers a real
// carrier-facing edge adds.
const (
	mInvite uint8 = iota + 1
	m100
	m180
	m200Inv
	mAck
	mBye
	m200Bye
	m503
	mAck503
)

func fromClient(kind uint8) bool {
	return kind == mInvite || kind == mAck || kind == mBye || kind == mAck503
}

const hexDigits = "0123456789abcdef"

func appendHex(b []byte, v uint64, width int) []byte {
	for i := width - 1; i >= 0; i-- {
		b = append(b, hexDigits[(v>>(4*uint(i)))&0xf])
	}
	return b
}

func appendDec(b []byte, v int64, width int) []byte {
	var tmp [20]byte
	s := strconv.AppendInt(tmp[:0], v, 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// appendCallID writes the call's Call-ID, which the JTL's callId column
// repeats.
func (g *gen) appendCallID(b []byte, c *call) []byte {
	b = appendHex(b, c.id, 16)
	b = append(b, "-t"...)
	b = appendDec(b, int64(g.threads[c.thread].num), 4)
	b = append(b, "-i"...)
	b = appendDec(b, int64(c.iter), 6)
	return append(b, "@10.10.0.5"...)
}

// clientAddr is where the client's SIP lives: its address and port over
// UDP and TCP, a random .invalid name over WebSocket (RFC 7118).
func (g *gen) appendClientHost(b []byte, c *call) []byte {
	switch c.transport {
	case tWS:
		b = appendHex(b, uint64(g.threads[c.thread].host), 8)
		return append(b, ".invalid"...)
	case tTCP:
		b = append(b, "10.10.0.5:"...)
		return strconv.AppendInt(b, int64(g.conns[g.threads[c.thread].conn].cport), 10)
	}
	b = append(b, "10.10.0.5:"...)
	return strconv.AppendInt(b, int64(c.sport), 10)
}

func (g *gen) appendVia(b []byte, c *call, branch uint32, received bool) []byte {
	b = append(b, "Via: SIP/2.0/"...)
	switch c.transport {
	case tUDP:
		b = append(b, "UDP "...)
	case tTCP:
		b = append(b, "TCP "...)
	case tWS:
		b = append(b, "WS "...)
	}
	b = g.appendClientHost(b, c)
	if c.transport == tUDP && !received {
		b = append(b, ";rport"...)
	}
	b = append(b, ";branch=z9hG4bK"...)
	b = appendHex(b, uint64(branch), 8)
	b = appendHex(b, c.id>>32, 8)
	if received {
		b = append(b, ";received=10.10.0.5"...)
		if c.transport == tUDP {
			b = append(b, ";rport="...)
			b = strconv.AppendInt(b, int64(c.sport), 10)
		}
	}
	return append(b, "\r\n"...)
}

func (g *gen) appendFrom(b []byte, c *call) []byte {
	n := int64(g.threads[c.thread].num)
	b = append(b, "From: \"Load test "...)
	b = appendDec(b, n, 4)
	b = append(b, "\" <sip:loadtest-"...)
	b = appendDec(b, n, 4)
	b = append(b, "@10.10.0.5>;tag="...)
	b = appendHex(b, uint64(c.fromTag), 8)
	return append(b, "\r\n"...)
}

func (g *gen) appendTo(b []byte, c *call, tag bool) []byte {
	b = append(b, "To: <sip:+18005550100@10.20.0.10;user=phone>"...)
	if tag {
		b = append(b, ";tag="...)
		b = appendHex(b, uint64(c.toTag), 8)
	}
	return append(b, "\r\n"...)
}

func appendCSeq(b []byte, n int, method string) []byte {
	b = append(b, "CSeq: "...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, ' ')
	b = append(b, method...)
	return append(b, "\r\n"...)
}

func (g *gen) edgeListener(c *call) string {
	switch c.transport {
	case tTCP:
		return "10.20.0.10:5060;transport=tcp"
	case tWS:
		return "10.20.0.10:8080;transport=ws"
	}
	return "10.20.0.10:5060;transport=udp"
}

func (g *gen) appendRecordRoute(b []byte, c *call) []byte {
	b = append(b, "Record-Route: <sip:"...)
	b = append(b, g.edgeListener(c)...)
	b = append(b, ";lr;ftag="...)
	b = appendHex(b, uint64(c.fromTag), 8)
	b = append(b, ";did="...)
	b = appendHex(b, uint64(c.toTag), 6)
	return append(b, ">\r\n"...)
}

const (
	allow     = "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, NOTIFY\r\n"
	server    = "Server: edge-sbc 5.6.3 (ceiling gencap)\r\n"
	userAgent = "User-Agent: ceiling-spike SipCallSampler (Apache JMeter 5.6.3)\r\n"
)

func (g *gen) appendSDP(b []byte, c *call, offer bool) []byte {
	b = append(b, "v=0\r\no="...)
	ip := "10.10.0.5"
	port := c.rtpPort
	if offer {
		b = append(b, "jmeter "...)
	} else {
		b = append(b, "edge-sbc "...)
		ip = "10.20.0.10"
		port = c.edgeRTP
	}
	b = strconv.AppendInt(b, int64(c.sess), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(c.sess), 10)
	b = append(b, " IN IP4 "...)
	b = append(b, ip...)
	b = append(b, "\r\ns=ceiling spike call\r\nc=IN IP4 "...)
	b = append(b, ip...)
	b = append(b, "\r\nt=0 0\r\nm=audio "...)
	b = strconv.AppendInt(b, int64(port), 10)
	if offer {
		b = append(b, " RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"...)
	} else {
		b = append(b, " RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"...)
	}
	b = append(b, "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=rtcp:"...)
	b = strconv.AppendInt(b, int64(port)+1, 10)
	return append(b, "\r\na=sendrecv\r\n"...)
}

func appendBody(b []byte, ctype string, body []byte) []byte {
	if ctype != "" {
		b = append(b, "Content-Type: "...)
		b = append(b, ctype...)
		b = append(b, "\r\n"...)
	}
	b = append(b, "Content-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, "\r\n\r\n"...)
	return append(b, body...)
}

// sipMessage appends one message of the call.
func (g *gen) sipMessage(b []byte, c *call, kind uint8) []byte {
	var sdp [600]byte
	switch kind {
	case mInvite:
		b = append(b, "INVITE sip:+18005550100@"...)
		b = append(b, g.edgeListener(c)...)
		b = append(b, ";user=phone SIP/2.0\r\n"...)
		b = g.appendVia(b, c, c.brInv, false)
		b = append(b, "Max-Forwards: 70\r\n"...)
		b = g.appendFrom(b, c)
		b = g.appendTo(b, c, false)
		b = append(b, "Call-ID: "...)
		b = g.appendCallID(b, c)
		b = append(b, "\r\n"...)
		b = appendCSeq(b, 1, "INVITE")
		b = append(b, "Contact: <sip:loadtest-"...)
		b = appendDec(b, int64(g.threads[c.thread].num), 4)
		b = append(b, '@')
		b = g.appendClientHost(b, c)
		b = append(b, ";transport="...)
		b = append(b, transportName[c.transport]...)
		b = append(b, ">\r\n"...)
		b = append(b, allow...)
		b = append(b, "Supported: timer, replaces\r\nSession-Expires: 1800;refresher=uac\r\n"...)
		b = append(b, "P-Asserted-Identity: <sip:+14155550"...)
		b = appendDec(b, int64(g.threads[c.thread].num%1000), 3)
		b = append(b, "@10.10.0.5;user=phone>\r\n"...)
		b = append(b, userAgent...)
		b = appendBody(b, "application/sdp", g.appendSDP(sdp[:0], c, true))
	case m100, m180, m200Inv, m503:
		switch kind {
		case m100:
			b = append(b, "SIP/2.0 100 Trying\r\n"...)
		case m180:
			b = append(b, "SIP/2.0 180 Ringing\r\n"...)
		case m200Inv:
			b = append(b, "SIP/2.0 200 OK\r\n"...)
		case m503:
			b = append(b, "SIP/2.0 503 Service Unavailable\r\n"...)
		}
		b = g.appendVia(b, c, c.brInv, true)
		if kind == m180 || kind == m200Inv {
			b = g.appendRecordRoute(b, c)
		}
		b = g.appendFrom(b, c)
		b = g.appendTo(b, c, kind != m100)
		b = append(b, "Call-ID: "...)
		b = g.appendCallID(b, c)
		b = append(b, "\r\n"...)
		b = appendCSeq(b, 1, "INVITE")
		switch kind {
		case m180:
			b = append(b, "Contact: <sip:edge@"...)
			b = append(b, g.edgeListener(c)...)
			b = append(b, ">\r\n"...)
			b = append(b, server...)
			b = appendBody(b, "", nil)
		case m200Inv:
			b = append(b, "Contact: <sip:edge@"...)
			b = append(b, g.edgeListener(c)...)
			b = append(b, ">\r\n"...)
			b = append(b, allow...)
			b = append(b, "Supported: timer\r\nRequire: timer\r\nSession-Expires: 1800;refresher=uac\r\n"...)
			b = append(b, server...)
			b = appendBody(b, "application/sdp", g.appendSDP(sdp[:0], c, false))
		case m503:
			b = append(b, "Retry-After: 5\r\nReason: Q.850;cause=34;text=\"Edge dialog limit reached\"\r\n"...)
			b = append(b, server...)
			b = appendBody(b, "", nil)
		default:
			b = append(b, server...)
			b = appendBody(b, "", nil)
		}
	case mAck, mBye:
		method, br, n := "ACK", c.brAck, 1
		if kind == mBye {
			method, br, n = "BYE", c.brBye, 2
		}
		b = append(b, method...)
		b = append(b, " sip:edge@"...)
		b = append(b, g.edgeListener(c)...)
		b = append(b, " SIP/2.0\r\n"...)
		b = g.appendVia(b, c, br, false)
		b = append(b, "Max-Forwards: 70\r\nRoute: <sip:"...)
		b = append(b, g.edgeListener(c)...)
		b = append(b, ";lr;ftag="...)
		b = appendHex(b, uint64(c.fromTag), 8)
		b = append(b, ";did="...)
		b = appendHex(b, uint64(c.toTag), 6)
		b = append(b, ">\r\n"...)
		b = g.appendFrom(b, c)
		b = g.appendTo(b, c, true)
		b = append(b, "Call-ID: "...)
		b = g.appendCallID(b, c)
		b = append(b, "\r\n"...)
		b = appendCSeq(b, n, method)
		b = append(b, userAgent...)
		b = appendBody(b, "", nil)
	case m200Bye:
		b = append(b, "SIP/2.0 200 OK\r\n"...)
		b = g.appendVia(b, c, c.brBye, true)
		b = g.appendFrom(b, c)
		b = g.appendTo(b, c, true)
		b = append(b, "Call-ID: "...)
		b = g.appendCallID(b, c)
		b = append(b, "\r\n"...)
		b = appendCSeq(b, 2, "BYE")
		b = append(b, server...)
		b = appendBody(b, "", nil)
	case mAck503:
		// The ACK to a non-2xx final answer is part of the INVITE
		// transaction: same branch, the request URI of the INVITE.
		b = append(b, "ACK sip:+18005550100@"...)
		b = append(b, g.edgeListener(c)...)
		b = append(b, ";user=phone SIP/2.0\r\n"...)
		b = g.appendVia(b, c, c.brInv, false)
		b = append(b, "Max-Forwards: 70\r\n"...)
		b = g.appendFrom(b, c)
		b = g.appendTo(b, c, true)
		b = append(b, "Call-ID: "...)
		b = g.appendCallID(b, c)
		b = append(b, "\r\n"...)
		b = appendCSeq(b, 1, "ACK")
		b = append(b, userAgent...)
		b = appendBody(b, "", nil)
	}
	return b
}

// sendSIP puts one message (two when k2 is set: they leave together) of
// the call on the wire, by the call's transport.
func (g *gen) sendSIP(c *call, t int64, k1, k2 uint8) {
	g.msg = g.sipMessage(g.msg[:0], c, k1)
	var cut []int
	if k2 != 0 {
		cut = []int{len(g.msg)}
		g.msg = g.sipMessage(g.msg, c, k2)
	}
	n := int64(len(g.msg))
	client := fromClient(k1)
	if client {
		c.sent += n
	} else {
		c.recv += n
	}
	switch c.transport {
	case tUDP:
		if client {
			g.udp(t, &g.client, &g.edge, c.sport, sipPort, tosSignalling, g.msg[:cutAt(cut, len(g.msg))], false)
		} else {
			g.udp(t, &g.edge, &g.client, sipPort, c.sport, tosSignalling, g.msg[:cutAt(cut, len(g.msg))], false)
		}
		if k2 != 0 {
			g.udp(t+us(3), &g.edge, &g.client, sipPort, c.sport, tosSignalling, g.msg[cut[0]:], false)
		}
	case tTCP:
		side := sideOf(client)
		k := g.threads[c.thread].conn
		if k1 == mInvite && c.split {
			// The client's stack writes the head and the body apart.
			at := len(g.msg) - 40 - g.r.intn(200)
			g.tcpSend(k, side, t, g.msg[:at])
			g.tcpSend(k, side, t+us(40), g.msg[at:])
			return
		}
		g.tcpSend(k, side, t, g.msg)
	case tWS:
		side := sideOf(client)
		k := g.threads[c.thread].conn
		g.pay = g.pay[:0]
		if k2 != 0 {
			g.pay = g.wsFrame(g.pay, wsText, g.msg[:cut[0]], client)
			g.pay = g.wsFrame(g.pay, wsText, g.msg[cut[0]:], client)
		} else {
			g.pay = g.wsFrame(g.pay, wsText, g.msg, client)
		}
		if k1 == mInvite && c.split {
			at := len(g.pay) / 2
			g.tcpSend(k, side, t, g.pay[:at])
			g.tcpSend(k, side, t+us(40), g.pay[at:])
			return
		}
		g.tcpSend(k, side, t, g.pay)
	}
}

func cutAt(cut []int, n int) int {
	if len(cut) > 0 {
		return cut[0]
	}
	return n
}

func sideOf(client bool) int {
	if client {
		return 0
	}
	return 1
}
