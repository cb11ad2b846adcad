package main

import (
	"crypto/sha1"
	"encoding/base64"
	"strconv"
)

const (
	wsText  = 0x1
	wsClose = 0x8
)

// wsFrame appends one unfragmented frame; a client's frames are masked
// (RFC 6455 5.3) with a fresh key.
func (g *gen) wsFrame(b []byte, op byte, payload []byte, masked bool) []byte {
	b = append(b, 0x80|op)
	var m byte
	if masked {
		m = 0x80
	}
	n := len(payload)
	switch {
	case n < 126:
		b = append(b, m|byte(n))
	case n < 65536:
		b = append(b, m|126, byte(n>>8), byte(n))
	default:
		b = append(b, m|127, 0, 0, 0, 0, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	if !masked {
		return append(b, payload...)
	}
	key := uint32(g.r.next())
	k := [4]byte{byte(key >> 24), byte(key >> 16), byte(key >> 8), byte(key)}
	b = append(b, k[:]...)
	start := len(b)
	b = append(b, payload...)
	p := b[start:]
	for i := range p {
		p[i] ^= k[i&3]
	}
	return b
}

func wsKey(r *rng) string {
	var k [16]byte
	a, c := r.next(), r.next()
	for i := 0; i < 8; i++ {
		k[i], k[8+i] = byte(a>>(8*i)), byte(c>>(8*i))
	}
	return base64.StdEncoding.EncodeToString(k[:])
}

func wsAccept(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}

func appendUUID(b []byte, u *[16]byte) []byte {
	for i, x := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hexDigits[x>>4], hexDigits[x&0xf])
	}
	return b
}

// upgradeRequest: the client's HTTP/1.1 upgrade. The event API refuses
// it with 503 when it already has its limit of WebSockets up or being
// opened; the SIP edge's WebSocket listener takes every one.
func (g *gen) upgradeRequest(id int32, t int64) {
	k := &g.conns[id]
	th := &g.threads[k.owner]
	key := wsKey(&g.r)
	g.keys[id] = key
	b := g.msg[:0]
	if th.group == grpEvents {
		a, c := g.r.next(), g.r.next()
		for i := 0; i < 8; i++ {
			th.trace[i], th.trace[8+i] = byte(a>>(8*i)), byte(c>>(8*i))
		}
		th.trace[6] = th.trace[6]&0x0f | 0x40
		th.trace[8] = th.trace[8]&0x3f | 0x80
		b = append(b, "GET /api/v2/notifications/channels/streaming?channelId="...)
		th.iter++
		b = appendHex(b, uint64(th.num)<<16|uint64(th.iter&0xffff), 12)
		b = append(b, " HTTP/1.1\r\nHost: 10.20.0.20\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "...)
		b = append(b, key...)
		b = append(b, "\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer "...)
		b = appendHex(b, uint64(th.num)*0x9e3779b97f4a7c15, 16)
		b = append(b, "\r\nx-trace-id: "...)
		b = appendUUID(b, &th.trace)
		b = append(b, "\r\nUser-Agent: Apache-HttpClient/4.5.14 (Java/17.0.15) JMeter-WebSocket-Samplers/1.2.10\r\n\r\n"...)
	} else {
		b = append(b, "GET / HTTP/1.1\r\nHost: 10.20.0.10:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "...)
		b = append(b, key...)
		b = append(b, "\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sip\r\nOrigin: http://10.10.0.5\r\nUser-Agent: JMeter-WebSocket-Samplers/1.2.10\r\n\r\n"...)
	}
	g.msg = b
	g.tcpSend(id, 0, t, b)
	g.exp.upgrade()
	if th.group == grpEvents {
		if g.wsUnits >= g.cfg.wsLimit {
			g.exp.wsRefused(g, th, t, g.wsUnits+1)
			g.wsUnits++ // awaiting its answer
			k.step = kUp503
			g.at(t+g.r.between(us(800), ms(3)), evConn, id, 0, k.gen)
			return
		}
		g.wsUnits++
		k.wsUnit = true
		if g.wsUnits > g.maxWS {
			g.maxWS = g.wsUnits
		}
	}
	k.step = kUp101
	g.at(t+g.r.between(us(500), ms(2)), evConn, id, 0, k.gen)
}

func (g *gen) upgradeAnswer(id int32, t int64, ok bool) {
	k := &g.conns[id]
	tid := k.owner
	th := &g.threads[tid]
	b := g.msg[:0]
	if ok {
		b = append(b, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "...)
		b = append(b, wsAccept(g.keys[id])...)
		if th.group == grpSIP {
			b = append(b, "\r\nSec-WebSocket-Protocol: sip"...)
		}
		b = append(b, "\r\n\r\n"...)
	} else {
		body := `{"status":503,"code":"too.many.connections","message":"WebSocket connection limit reached"}`
		b = append(b, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 5\r\nx-trace-id: "...)
		b = appendUUID(b, &th.trace)
		b = append(b, "\r\nContent-Length: "...)
		b = strconv.AppendInt(b, int64(len(body)), 10)
		b = append(b, "\r\nConnection: close\r\n\r\n"...)
		b = append(b, body...)
	}
	g.msg = b
	g.tcpSend(id, 1, t, b)
	delete(g.keys, id)
	end := t + g.rtt()/2
	if !ok {
		g.wsUnits-- // answered
		g.jtl.wsRow(g, tid, end, 503)
		// The server closes; the thread pauses and tries again.
		k.step = kFinSrv
		g.at(t+g.r.between(us(50), us(200)), evConn, id, 0, k.gen)
		k.owner = -1
		th.conn = -1
		g.at(end+g.r.between(ms(2000), ms(2500)), evThread, tid, 0, 0)
		return
	}
	k.wsOpen = true
	g.jtl.wsRow(g, tid, end, 101)
	if th.group == grpSIP {
		g.startCall(tid, end, false)
		return
	}
	// An event-API listener stays subscribed 20-40 s and is pushed an
	// event every 2-6 s.
	g.at(t+g.r.between(ms(200), ms(2000)), evPush, id, 0, k.gen)
	g.at(end+g.r.between(ms(20000), ms(40000)), evHold, id, 0, k.gen)
}

// push: the event API sends a notification.
func (g *gen) push(id int32, gen uint32, t int64) {
	k := &g.conns[id]
	if k.gen != gen || !k.wsOpen {
		return
	}
	if g.stopping {
		g.holdEnd(id, gen, t)
		return
	}
	th := &g.threads[k.owner]
	b := g.msg[:0]
	b = append(b, `{"topicName":"v2.users.`...)
	b = appendHex(b, uint64(th.num)*0x2545f4914f6cdd1d, 16)
	b = append(b, `.conversations.calls","version":"2","eventBody":{"id":"`...)
	var u [16]byte
	a, c := g.r.next(), g.r.next()
	for i := 0; i < 8; i++ {
		u[i], u[8+i] = byte(a>>(8*i)), byte(c>>(8*i))
	}
	b = appendUUID(b, &u)
	b = append(b, `","participants":[{"purpose":"agent","state":"connected","direction":"inbound","queue":"spike-test"}],"sequence":`...)
	b = strconv.AppendInt(b, int64(g.r.intn(1000)), 10)
	b = append(b, `},"metadata":{"CorrelationId":"`...)
	b = appendUUID(b, &th.trace)
	b = append(b, `"}}`...)
	g.msg = b
	g.pay = g.wsFrame(g.pay[:0], wsText, b, false)
	g.tcpSend(id, 1, t, g.pay)
	g.at(t+g.r.between(ms(2000), ms(6000)), evPush, id, 0, k.gen)
}

// holdEnd: the listener unsubscribes: close frame, then the thread opens
// a new WebSocket a second later.
func (g *gen) holdEnd(id int32, gen uint32, t int64) {
	k := &g.conns[id]
	if k.gen != gen || !k.wsOpen {
		return
	}
	tid := k.owner
	g.wsClientClose(id, t)
	k.owner = -1
	g.threads[tid].conn = -1
	g.at(t+g.r.between(ms(800), ms(1200)), evThread, tid, 0, 0)
}

// wsClientClose: the client's close frame (1000), the server's answer,
// then the server closes TCP first (RFC 6455 7.1.1).
func (g *gen) wsClientClose(id int32, t int64) {
	k := &g.conns[id]
	g.pay = g.wsFrame(g.pay[:0], wsClose, []byte{0x03, 0xe8}, true)
	g.tcpSend(id, 0, t, g.pay)
	k.wsOpen = false
	if k.wsUnit {
		k.wsUnit = false
		g.wsUnits--
	}
	k.step = kWSCloseSrv
	g.at(t+g.edgeProc(), evConn, id, 0, k.gen)
}
