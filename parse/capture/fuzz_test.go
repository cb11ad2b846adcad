package capture

import (
	"net/netip"
	"testing"

	"github.com/ceiling-dev/ceiling/parse"
	"github.com/ceiling-dev/ceiling/parse/tcp"
)

// FuzzStreams drives the stream handler (protocol detection, SIP framing,
// HTTP, WebSocket after an upgrade, TLS) with arbitrary bytes: the input
// is cut into chunks whose first byte says the side (low bit), whether the
// chunk is a gap (bit 1), and its length (the rest, times 4). Whatever the
// bytes, nothing panics, every event names the connection, and the
// connection closes once.
func FuzzStreams(f *testing.F) {
	seeds := [][]byte{
		chunks(0, "GET /ws HTTP/1.1\r\nHost: e\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: sip\r\n\r\n",
			1, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: sip\r\n\r\n",
			0, "\x81\x85\x01\x02\x03\x04INVITE", 1, "\x88\x02\x03\xe8"),
		chunks(0, "INVITE sip:b@e SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n", 1, "SIP/2.0 503 Service Unavailable\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"),
		chunks(0, "\x16\x03\x01\x00\x2f\x01\x00\x00\x2b\x03\x03"+string(make([]byte, 32))+"\x00\x00\x02\x00\x2f\x01\x00", 1, "\x15\x03\x03\x00\x02\x02\x28"),
		chunks(0, "GET / HTTP/1.1\r\nHost: e\r\n\r\nGET /2 HTTP/1.1\r\n\r\n", 1, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nHTTP/1.1 429 Too Many\r\nContent-Length: 0\r\n\r\n"),
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fs := &fileSource{in: &parse.Input{Path: "fuzz"}, opts: &Options{Window: 2e9}, index: 0, pending: newReorder(),
			stats: FileStats{Problems: &parse.Problems{}}}
		h := streams{fs}
		c := &tcp.Conn{ID: 1, Client: netip.MustParseAddrPort("10.0.0.1:40000"), Server: netip.MustParseAddrPort("10.0.0.9:80"), Start: 1, FirstPacket: 1}
		h.Open(c)
		tm, pkt := int64(1), int64(1)
		for len(data) > 0 {
			ctl := data[0]
			data = data[1:]
			n := int(ctl>>2) * 4
			if n > len(data) {
				n = len(data)
			}
			side := tcp.Side(ctl & 1)
			tm += 1e6
			pkt++
			if ctl&2 != 0 {
				h.Gap(c, side, int64(n+1))
			} else {
				h.Data(c, side, data[:n], tm, pkt)
			}
			data = data[n:]
		}
		c.End, c.Last, c.LastPacket, c.Ending = tm, tm, pkt, tcp.EndFIN
		h.Close(c)
		closes := 0
		for _, ev := range fs.pending.all() {
			if ev.Conn != c {
				t.Fatalf("event %v without its connection", ev.Kind)
			}
			if ev.Kind == KindConnClose {
				closes++
			}
		}
		if closes != 1 {
			t.Fatalf("%d closes", closes)
		}
	})
}

// chunks builds a fuzz input: side, text, side, text, …
func chunks(parts ...interface{}) []byte {
	var out []byte
	for i := 0; i+1 < len(parts); i += 2 {
		side := byte(parts[i].(int))
		b := []byte(parts[i+1].(string))
		for len(b) > 0 {
			n := len(b)
			if n > 252 {
				n = 252
			}
			n -= n % 4
			if n == 0 {
				n = len(b)
				b = append(b, make([]byte, 4-n)...)
				n = 4
			}
			out = append(out, byte(n/4)<<2|side)
			out = append(out, b[:n]...)
			b = b[n:]
		}
	}
	return out
}
