package main

import (
	"bufio"
	"strconv"
)

// jtlHeader is JMeter 5.x's default CSV columns plus the two sample
// variables the test plan saves (sample_variables=callId,traceId).
const jtlHeader = "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect,callId,traceId\n"

// jtlFile writes rows as JMeter does: when a sample ends, so in
// completion order, with times on the JMeter host's clock (ms).
type jtlFile struct {
	w    *bufio.Writer
	b    []byte
	rows int64
	off  int64 // capture clock minus JMeter clock, ns
}

func newJTLFile(w *bufio.Writer, offset int64) *jtlFile {
	w.WriteString(jtlHeader)
	return &jtlFile{w: w, off: offset}
}

// jms is a capture-clock instant as the JMeter host's clock reads it.
func (j *jtlFile) jms(t int64) int64 { return (t - j.off) / 1e6 }

type row struct {
	start, end       int64 // capture clock, ns
	label, code, msg string
	success          bool
	bytes, sent      int64
	url              string
	latency, connect int64 // ns
	callID           bool
	trace            *[16]byte
}

func (j *jtlFile) write(g *gen, th *thread, r *row, c *call) {
	b := j.b[:0]
	start := j.jms(r.start)
	b = strconv.AppendInt(b, start, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, j.jms(r.end)-start, 10)
	b = append(b, ',')
	b = append(b, r.label...)
	b = append(b, ',')
	b = append(b, r.code...)
	b = append(b, ',')
	b = append(b, r.msg...)
	b = append(b, ',')
	if th.group == grpSIP {
		b = append(b, "SIP callers 1-"...)
	} else {
		b = append(b, "Event listeners 2-"...)
	}
	b = strconv.AppendInt(b, int64(th.num), 10)
	b = append(b, ",text,"...)
	b = strconv.AppendBool(b, r.success)
	b = append(b, ",,"...) // failureMessage
	b = strconv.AppendInt(b, r.bytes, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, r.sent, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(g.activeThreads[th.group]), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(g.activeThreads[0]+g.activeThreads[1]), 10)
	b = append(b, ',')
	b = append(b, r.url...)
	b = append(b, ',')
	b = strconv.AppendInt(b, r.latency/1e6, 10)
	b = append(b, ",0,"...) // IdleTime
	b = strconv.AppendInt(b, r.connect/1e6, 10)
	b = append(b, ',')
	if r.callID {
		b = g.appendCallID(b, c)
	}
	b = append(b, ',')
	if r.trace != nil {
		b = appendUUID(b, r.trace)
	}
	b = append(b, '\n')
	j.w.Write(b)
	j.b = b
	j.rows++
}

var sipURL = [...]string{
	tUDP: "sip:+18005550100@10.20.0.10:5060;transport=udp",
	tTCP: "sip:+18005550100@10.20.0.10:5060;transport=tcp",
	tWS:  "sip:+18005550100@10.20.0.10:8080;transport=ws",
}

var callLabel = [...]string{tUDP: "SIP call udp", tTCP: "SIP call tcp", tWS: "SIP call ws"}

// callRow: one call, INVITE to the answer to the BYE, or to the 503.
func (j *jtlFile) callRow(g *gen, c *call, end int64) {
	r := row{start: c.start, end: end, label: callLabel[c.transport], url: sipURL[c.transport],
		bytes: c.recv, sent: c.sent, callID: true, latency: c.firstAt + g.rtt()/2 - c.start}
	if c.code == 200 {
		r.code, r.msg, r.success = "200", "OK", true
	} else {
		r.code, r.msg = "503", "Service Unavailable"
	}
	if c.connected {
		r.connect = c.inviteAt - c.start
	}
	j.write(g, &g.threads[c.thread], &r, c)
}

// refusedRow: the SIP sampler could not connect.
func (j *jtlFile) refusedRow(g *gen, tid int32, end int64) {
	th := &g.threads[tid]
	r := row{start: th.connStart, end: end, label: callLabel[tTCP], url: sipURL[tTCP],
		code: "Non HTTP response code: java.net.ConnectException",
		msg:  "Non HTTP response message: Connection refused", bytes: 1843}
	r.connect = end - th.connStart
	j.write(g, th, &r, nil)
}

// wsRow: a WebSocket Open Connection sample (connect and upgrade).
func (j *jtlFile) wsRow(g *gen, tid int32, end int64, code int) {
	th := &g.threads[tid]
	r := row{start: th.connStart, end: end, latency: end - th.connStart, connect: int64(float64(end-th.connStart) * 0.4)}
	if th.group == grpEvents {
		r.label, r.url, r.trace = "Events WebSocket open", "ws://10.20.0.20:80/api/v2/notifications/channels/streaming", &th.trace
	} else {
		r.label, r.url = "SIP WebSocket connect", "ws://10.20.0.10:8080/"
	}
	if code == 101 {
		r.code, r.msg, r.success, r.bytes, r.sent = "101", "Switching Protocols", true, 129, 241
	} else {
		r.code, r.msg, r.bytes, r.sent = "503", "Service Unavailable", 312, 401
	}
	j.write(g, th, &r, nil)
}
