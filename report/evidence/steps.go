package evidence

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/ceiling-dev/ceiling/parse/http"
	"github.com/ceiling-dev/ceiling/parse/pcap"
	"github.com/ceiling-dev/ceiling/parse/sip"
	"github.com/ceiling-dev/ceiling/parse/tls"
	"github.com/ceiling-dev/ceiling/report"
)

// Column indexes of a ladder: the parties, left to right.
const (
	colClient = iota
	colEdge
	colBackend
)

var roleNames = [...]string{"load generator", "edge", "backend"}

// ladderBuilder collects one chosen attempt's messages.
type ladderBuilder struct {
	l report.Ladder
	// role of each endpoint known so far.
	role map[netip.AddrPort]int
	// backends are the endpoints known to be backends from the start
	// (the far ends of the edge's own legs).
	backends map[netip.AddrPort]bool
	seen     map[string]bool // messages already drawn, to mark retransmissions
	max      int
	frames   int64 // packets written for this attempt
	order    []stepKey
}

type stepKey struct {
	file int
	num  int64
}

func newLadderBuilder(title string, attempt int, failed bool, max int) *ladderBuilder {
	b := &ladderBuilder{
		l:        report.Ladder{Title: title, Attempt: attempt, Failed: failed},
		role:     map[netip.AddrPort]int{},
		backends: map[netip.AddrPort]bool{},
		seen:     map[string]bool{},
		max:      max,
	}
	for _, r := range roleNames[:2] {
		b.l.Columns = append(b.l.Columns, report.LadderColumn{Role: r})
	}
	return b
}

// place puts an endpoint in a column, once.
func (b *ladderBuilder) place(ap netip.AddrPort, col int) {
	if !ap.IsValid() {
		return
	}
	if _, ok := b.role[ap]; ok {
		return
	}
	for len(b.l.Columns) <= col {
		b.l.Columns = append(b.l.Columns, report.LadderColumn{Role: roleNames[len(b.l.Columns)]})
	}
	b.role[ap] = col
	b.l.Columns[col].Addrs = append(b.l.Columns[col].Addrs, ap.String())
}

// columnOf finds the party an endpoint plays, given the other end of the
// packet. An endpoint not met before (a BYE from the edge to a Contact
// port, the edge's own socket towards a backend) is placed by its peer:
// the edge talks to the load generator and to backends, and backends are
// known from the edge's legs; the load generator and backends talk only to
// the edge.
func (b *ladderBuilder) columnOf(ap, peer netip.AddrPort) int {
	if c, ok := b.role[ap]; ok {
		return c
	}
	col := colEdge
	if pc, ok := b.role[peer]; ok && pc == colEdge {
		col = colClient
		if b.backends[ap] {
			col = colBackend
		}
	}
	b.place(ap, col)
	return col
}

// touchesBackend reports whether a packet is on a leg between the edge
// and a backend.
func (b *ladderBuilder) touchesBackend(p *pcap.Packet) bool {
	s, sok := b.role[p.SrcAddrPort()]
	d, dok := b.role[p.DstAddrPort()]
	return (sok && s == colBackend) || (dok && d == colBackend)
}

// add records a message. frame is the packet's number in its file.
func (b *ladderBuilder) add(file int, p *pcap.Packet, label string, bad bool, dedup string) {
	if label == "" {
		return
	}
	if dedup != "" {
		if b.seen[dedup] {
			label += " (retransmission)"
		}
		b.seen[dedup] = true
	}
	if len(b.l.Steps) >= b.max {
		b.l.Omitted++
		return
	}
	src, dst := p.SrcAddrPort(), p.DstAddrPort()
	from := b.columnOf(src, dst)
	to := b.columnOf(dst, src)
	b.l.Steps = append(b.l.Steps, report.LadderStep{Time: p.Time, From: from, To: to, Label: label, Frame: p.Num, Bad: bad})
	b.order = append(b.order, stepKey{file, p.Num})
}

// finish puts the steps in time order: several captures are read side by
// side, and a message of one can come between two of another.
func (b *ladderBuilder) finish() report.Ladder {
	idx := make([]int, len(b.l.Steps))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool {
		si, sj := b.l.Steps[idx[i]], b.l.Steps[idx[j]]
		if si.Time != sj.Time {
			return si.Time < sj.Time
		}
		ki, kj := b.order[idx[i]], b.order[idx[j]]
		if ki.file != kj.file {
			return ki.file < kj.file
		}
		return ki.num < kj.num
	})
	steps := make([]report.LadderStep, len(idx))
	for i, k := range idx {
		steps[i] = b.l.Steps[k]
	}
	b.l.Steps = steps
	return b.l
}

// sipLabel names a SIP message for a ladder: the method of a request, the
// code and reason of a response, with the method it answers when that is
// not an INVITE.
func sipLabel(m *sip.Message) (label string, bad bool) {
	if m.Request {
		return m.Method, false
	}
	label = strconv.Itoa(m.StatusCode)
	if m.Reason != "" {
		label += " " + m.Reason
	}
	if m.CSeqMethod != "" && m.CSeqMethod != "INVITE" {
		label += " (" + m.CSeqMethod + ")"
	}
	return label, m.StatusCode >= 400
}

// sipDedup identifies a SIP message between two endpoints, so that a copy
// sent again is drawn as a retransmission.
func sipDedup(p *pcap.Packet, m *sip.Message) string {
	kind := m.Method
	if !m.Request {
		kind = strconv.Itoa(m.StatusCode)
	}
	return fmt.Sprintf("sip %v %v %s %d %s %s", p.SrcAddrPort(), p.DstAddrPort(), kind, m.CSeq, m.CSeqMethod, m.Via.Branch)
}

// tcpLabel names a TCP segment for a ladder: its control flags and what
// its payload starts with (an HTTP head, a SIP message, TLS records,
// WebSocket frames). A segment that is only an acknowledgement, or data
// that starts no message, gets no label and is not drawn.
func tcpLabel(p *pcap.Packet, cs *connSel, fromClient bool) (label string, bad bool) {
	var parts []string
	switch {
	case p.Flags&pcap.RST != 0:
		parts = append(parts, "RST")
		bad = true
	case p.Flags&(pcap.SYN|pcap.ACK) == pcap.SYN:
		parts = append(parts, "SYN")
	case p.Flags&(pcap.SYN|pcap.ACK) == pcap.SYN|pcap.ACK:
		parts = append(parts, "SYN-ACK")
	}
	if len(p.Payload) > 0 {
		l, b := payloadLabel(p.Payload, cs, fromClient)
		if l != "" {
			parts = append(parts, l)
		}
		bad = bad || b
	}
	if p.Flags&pcap.FIN != 0 {
		parts = append(parts, "FIN")
	}
	return strings.Join(parts, " + "), bad
}

func payloadLabel(b []byte, cs *connSel, fromClient bool) (string, bool) {
	if cs != nil && cs.wsUp {
		return wsLabel(b)
	}
	if l, bad, ok := tlsLabel(b, cs, fromClient); ok {
		return l, bad
	}
	if sip.Looks(b) {
		m, _, _ := sip.Parse(b, &sip.Options{Datagram: true, CorrelationHeaders: []string{}})
		if m != nil && (m.Method != "" || m.StatusCode != 0) {
			return sipLabel(m)
		}
	}
	if http.LooksLikeRequest(b) {
		line := firstLine(b)
		f := strings.Fields(line)
		label := line
		if len(f) >= 2 {
			label = f[0] + " " + f[1]
		}
		if hasHeaderToken(b, "upgrade", "websocket") {
			label += " (Upgrade: websocket)"
		}
		return label, false
	}
	if http.LooksLikeResponse(b) {
		line := firstLine(b)
		label := line
		code := 0
		if sp := strings.IndexByte(line, ' '); sp > 0 {
			label = line[sp+1:]
			if f := strings.Fields(label); len(f) > 0 {
				code, _ = strconv.Atoi(f[0])
			}
		}
		if code == 101 && cs != nil {
			// From here the connection carries WebSocket frames.
			cs.wsUp = true
		}
		return label, code >= 400
	}
	return "", false
}

func firstLine(b []byte) string {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	if len(b) > 200 {
		b = b[:200]
	}
	return strings.TrimRight(string(b), "\r")
}

// hasHeaderToken reports whether the head in b has header name with the
// token in its value (case-insensitive).
func hasHeaderToken(b []byte, name, token string) bool {
	head := b
	if i := bytes.Index(b, []byte("\r\n\r\n")); i >= 0 {
		head = b[:i]
	}
	for _, line := range bytes.Split(head, []byte("\n")) {
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok || !strings.EqualFold(strings.TrimSpace(string(k)), name) {
			continue
		}
		for _, t := range strings.Split(string(v), ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// tlsLabel names the TLS records a segment starts with, when it starts
// with one: handshake messages by name until a side switches to
// encryption, alerts with their description when they are readable.
func tlsLabel(b []byte, cs *connSel, fromClient bool) (string, bool, bool) {
	if len(b) < 5 || b[0] < 20 || b[0] > 23 || b[1] != 3 || b[2] > 4 {
		return "", false, false
	}
	side := 1
	if fromClient {
		side = 0
	}
	var names []string
	bad := false
	addName := func(s string) {
		if n := len(names); n > 0 {
			last := names[n-1]
			base, count := last, 1
			if i := strings.LastIndex(last, " ×"); i >= 0 {
				base = last[:i]
				count, _ = strconv.Atoi(last[i+len(" ×"):])
			}
			if base == s {
				names[n-1] = fmt.Sprintf("%s ×%d", s, count+1)
				return
			}
		}
		names = append(names, s)
	}
	for len(b) >= 5 && b[0] >= 20 && b[0] <= 23 && b[1] == 3 {
		n := int(binary.BigEndian.Uint16(b[3:5]))
		body := b[5:min(len(b), 5+n)]
		encrypted := cs != nil && cs.tlsCCS[side]
		switch b[0] {
		case 20:
			addName("ChangeCipherSpec")
			if cs != nil {
				cs.tlsCCS[side] = true
			}
		case 21:
			if !encrypted && n == 2 && len(body) == 2 {
				level := "warning"
				if body[0] == 2 {
					level = "fatal"
					bad = true
				}
				addName("Alert " + level + " " + tls.AlertName(body[1]))
			} else {
				addName("Alert (encrypted)")
			}
		case 22:
			if encrypted || len(body) == 0 {
				addName("Handshake (encrypted)")
			} else {
				addName(handshakeName(body[0]))
			}
		case 23:
			addName("Application Data")
		}
		if 5+n > len(b) {
			break
		}
		b = b[5+n:]
	}
	return strings.Join(names, ", "), bad, true
}

func handshakeName(t byte) string {
	switch t {
	case 1:
		return "ClientHello"
	case 2:
		return "ServerHello"
	case 4:
		return "NewSessionTicket"
	case 8:
		return "EncryptedExtensions"
	case 11:
		return "Certificate"
	case 12:
		return "ServerKeyExchange"
	case 13:
		return "CertificateRequest"
	case 14:
		return "ServerHelloDone"
	case 15:
		return "CertificateVerify"
	case 16:
		return "ClientKeyExchange"
	case 20:
		return "Finished"
	}
	return "Handshake " + strconv.Itoa(int(t))
}

// wsLabel names the WebSocket frames a segment starts with (RFC 6455 5.2):
// a close with its code, data frames with their length.
func wsLabel(b []byte) (string, bool) {
	var names []string
	for len(b) >= 2 {
		op := b[0] & 0x0f
		masked := b[1]&0x80 != 0
		n := int64(b[1] & 0x7f)
		h := 2
		switch n {
		case 126:
			if len(b) < 4 {
				return strings.Join(names, ", "), false
			}
			n, h = int64(binary.BigEndian.Uint16(b[2:4])), 4
		case 127:
			if len(b) < 10 {
				return strings.Join(names, ", "), false
			}
			n, h = int64(binary.BigEndian.Uint64(b[2:10])&(1<<63-1)), 10
		}
		var key []byte
		if masked {
			if len(b) < h+4 {
				break
			}
			key = b[h : h+4]
			h += 4
		}
		if n > int64(len(b)) {
			n = int64(len(b)) // a length no segment holds: the frame runs on past it
		}
		payload := b[h:min(len(b), h+int(n))]
		switch op {
		case 0:
			names = append(names, fmt.Sprintf("continuation (%d B)", n))
		case 1:
			names = append(names, fmt.Sprintf("text (%d B)", n))
		case 2:
			names = append(names, fmt.Sprintf("binary (%d B)", n))
		case 8:
			s := "close"
			if len(payload) >= 2 {
				c0, c1 := payload[0], payload[1]
				if key != nil {
					c0, c1 = c0^key[0], c1^key[1]
				}
				s += " " + strconv.Itoa(int(c0)<<8|int(c1))
			}
			names = append(names, s)
		case 9:
			names = append(names, "ping")
		case 10:
			names = append(names, "pong")
		default:
			return strings.Join(names, ", "), false
		}
		if int64(h)+n > int64(len(b)) {
			break
		}
		b = b[int64(h)+n:]
	}
	return strings.Join(names, ", "), false
}
