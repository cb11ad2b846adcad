package capture

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand"
	"os"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ceiling-dev/ceiling/parse"
	"github.com/ceiling-dev/ceiling/parse/sip"
)

// streamCapture writes n SIP messages over a TCP connection and a
// WebSocket one, cut into segments at random (several messages to a
// segment, one over several), with keep-alives, broken messages, bodies
// past a quarter of a chunk, and UDP messages between them. It returns the
// capture and, in order per transport, the bytes of each message sent.
func streamCapture(t testing.TB, seed int64, n int) (*capFile, map[string][]string) {
	rng := rand.New(rand.NewSource(seed))
	c := newCapFile(t)
	tcpCl, tcpSv := ep{"10.0.0.1", 40001}, ep{"10.0.0.9", 5060}
	wsCl, wsSv := ep{"10.0.0.1", 40002}, ep{"10.0.0.9", 80}
	gen, edge := ep{"10.0.0.1", 40000}, ep{"10.0.0.9", 5060}
	sent := map[string][]string{}
	c.handshake(t, tcpCl, tcpSv)
	c.handshake(t, wsCl, wsSv)
	c.tcp(t, wsCl, wsSv, "PA", []byte("GET /ws HTTP/1.1\r\nHost: e\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: sip\r\n\r\n"))
	c.tcp(t, wsSv, wsCl, "PA", []byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: sip\r\n\r\n"))
	var pending []byte // TCP bytes not sent yet
	for i := 0; i < n; i++ {
		body := fmt.Sprintf("v=0\r\no=- %d 1 IN IP4 10.0.0.1\r\n", i)
		switch r := rng.Intn(1000); {
		case r < 25:
			body += string(bytes.Repeat([]byte("a=x\r\n"), 300+rng.Intn(3000)))
		case r == 25:
			body += string(bytes.Repeat([]byte("a=y\r\n"), 20000)) // past a quarter of a chunk in any case
		}
		msg := fmt.Sprintf("INVITE sip:edge@10.0.0.9 SIP/2.0\r\nVia: SIP/2.0/TCP 10.0.0.1:40001;branch=z9hG4bK%d\r\n"+
			"From: <sip:gen@10.0.0.1>;tag=%d\r\nTo: <sip:edge@10.0.0.9>\r\nCall-ID: call-%d@test\r\nCSeq: 1 INVITE\r\n"+
			"X-Trace-Id: t%d\r\nContent-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s", i, i, i, i, len(body), body)
		switch rng.Intn(20) {
		case 0:
			msg = fmt.Sprintf("OPTIONS sip:edge@10.0.0.9 SIP/2.0\r\nVia: SIP/2.0/TCP 10.0.0.1;branch=z9hG4bKo%d\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n", i)
		case 1:
			msg = fmt.Sprintf("SIP/2.0 503 Service Unavailable\r\nVia: SIP/2.0/TCP 10.0.0.1:40001;branch=z9hG4bK%d\r\nCall-ID: call-%d@test\r\nCSeq: 1 INVITE\r\nReason: Q.850;cause=34\r\nContent-Length: 0\r\n\r\n", i-1, i-1)
		case 2:
			msg = "\r\n\r\n" // a keep-alive
		}
		tr := rng.Intn(4)
		if len(msg) > 60000 && tr < 2 {
			tr = 2 // past what a datagram or a WebSocket message holds
		}
		switch tr {
		case 0:
			c.udp(t, gen, edge, time.Duration(rng.Intn(20))*time.Millisecond, []byte(msg))
			sent["udp"] = append(sent["udp"], msg)
		case 1:
			c.tcp(t, wsCl, wsSv, "PA", wsFrame(rng, msg))
			sent["ws"] = append(sent["ws"], msg)
		default:
			pending = append(pending, msg...)
			sent["tcp"] = append(sent["tcp"], msg)
			for len(pending) > 0 && rng.Intn(3) != 0 {
				k := min(len(pending), 1+rng.Intn(3000))
				c.tcp(t, tcpCl, tcpSv, "PA", pending[:k])
				pending = pending[k:]
			}
		}
	}
	if len(pending) > 0 {
		c.tcp(t, tcpCl, tcpSv, "PA", pending)
	}
	c.tcp(t, tcpCl, tcpSv, "FA", nil)
	c.tcp(t, tcpSv, tcpCl, "FA", nil)
	c.tcp(t, wsCl, wsSv, "FA", nil)
	c.tcp(t, wsSv, wsCl, "FA", nil)
	return c, sent
}

// wsFrame is a masked text frame from the client carrying msg.
func wsFrame(rng *rand.Rand, msg string) []byte {
	b := []byte{0x81}
	switch n := len(msg); {
	case n < 126:
		b = append(b, 0x80|byte(n))
	case n <= 0xffff:
		b = append(b, 0x80|126, byte(n>>8), byte(n))
	default:
		b = append(b, 0x80|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	var key [4]byte
	rng.Read(key[:])
	b = append(b, key[:]...)
	for i := 0; i < len(msg); i++ {
		b = append(b, msg[i]^key[i&3])
	}
	return b
}

// TestStreamRecycle: the messages read over TCP and WebSocket come back
// through Recycle as a datagram's do, whatever way the caller hands them
// back, and read until then as a caller that does not recycle sees them;
// and the memory is used again.
func TestStreamRecycle(t *testing.T) {
	t.Setenv(PoisonEnv, "1")
	c, _ := streamCapture(t, 1, 6000)
	plain, _ := c.run(t, Options{})
	for _, hb := range []handBack{
		{size: 256, delay: 5},
		{size: 1},
		{size: 7, delay: 1},
		{size: 64, delay: 3, drop: 5},
		{size: 16, delay: 2, swap: true},
		{size: 3, drop: 2, swap: true},
	} {
		t.Run(fmt.Sprintf("%+v", hb), func(t *testing.T) {
			src := c.open(t, Options{})
			defer src.Close()
			got := readRecycled(t, src, hb)
			checkRecycled(t, plain, got)
			seen := map[*sip.Message]bool{}
			reused := map[string]int{}
			for _, r := range got {
				if m := r.ev.SIP; m != nil {
					if seen[m] {
						reused[r.ev.Transport]++
					}
					seen[m] = true
				}
			}
			if reused["tcp"] == 0 || reused["ws"] == 0 {
				t.Errorf("messages used again: %v, want some over tcp and ws", reused)
			}
			ss := src.files[0].sipStreams
			if ss.free.Len() > ss.free.Max || ss.chunks.Len() > ss.chunks.Max || ss.back.size > settledMax {
				t.Errorf("%d jobs, %d chunks, %d followed: past their bounds", ss.free.Len(), ss.chunks.Len(), ss.back.size)
			}
		})
	}
}

// TestStreamMessages: each message read over TCP and WebSocket is what
// sip.Parse makes of the bytes sent, as a datagram's is.
func TestStreamMessages(t *testing.T) {
	for _, poison := range []string{"", "1"} {
		t.Run("poison="+poison, func(t *testing.T) {
			t.Setenv(PoisonEnv, poison)
			c, sent := streamCapture(t, 2, 2000)
			evs, _ := c.run(t, Options{})
			got := map[string][]*sip.Message{}
			for _, ev := range evs {
				if ev.Kind == KindSIP {
					got[ev.Transport] = append(got[ev.Transport], ev.SIP)
				}
			}
			for _, tr := range []string{"tcp", "ws"} {
				var want []*sip.Message
				if tr == "ws" {
					for _, b := range sent[tr] {
						if m, _, _ := sip.Parse([]byte(b), &sip.Options{Datagram: true}); m != nil && (m.Method != "" || m.StatusCode != 0) {
							want = append(want, m)
						}
					}
				} else {
					// The stream whole, framed as the capture stage did
					// before it parsed from chunks.
					b := []byte(strings.Join(sent[tr], ""))
					for len(b) > 0 {
						m, n, _ := sip.Parse(b, &sip.Options{})
						if m != nil {
							want = append(want, m)
						}
						if n <= 0 {
							n = len(b)
						}
						b = b[n:]
					}
				}
				if len(got[tr]) != len(want) {
					t.Fatalf("%s: %d messages, want %d", tr, len(got[tr]), len(want))
				}
				for i := range want {
					// Where a message starts depends on where the keep-alives
					// before it fell in the segments, as it did before.
					g, w := *got[tr][i], *want[i]
					g.Start, g.Skipped, w.Start, w.Skipped = 0, 0, 0, 0
					if !reflect.DeepEqual(g, w) {
						t.Fatalf("%s message %d:\n%+v\nwant\n%+v", tr, i, got[tr][i], want[i])
					}
				}
			}
		})
	}
}

// TestStreamLargeMessage: a SIP message of most of a megabyte over TCP, in
// segments of a typical size, is read whole, and held as it comes at a
// cost in proportion to its size, not its square.
func TestStreamLargeMessage(t *testing.T) {
	c := newCapFile(t)
	cl, sv := ep{"10.0.0.1", 40001}, ep{"10.0.0.9", 5060}
	c.handshake(t, cl, sv)
	body := bytes.Repeat([]byte("a=z\r\n"), 150000)
	msg := []byte(fmt.Sprintf("INVITE sip:edge@10.0.0.9 SIP/2.0\r\nVia: SIP/2.0/TCP 10.0.0.1:40001;branch=z9hG4bKbig\r\n"+
		"From: <sip:gen@10.0.0.1>;tag=1\r\nTo: <sip:edge@10.0.0.9>\r\nCall-ID: big@test\r\nCSeq: 1 INVITE\r\n"+
		"Content-Length: %d\r\n\r\n%s", len(body), body))
	for len(msg) > 0 {
		k := min(len(msg), 1448)
		c.tcp(t, cl, sv, "PA", msg[:k])
		msg = msg[k:]
	}
	c.tcp(t, cl, sv, "FA", nil)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	evs, _ := c.run(t, Options{})
	runtime.ReadMemStats(&after)
	var got []*sip.Message
	for _, ev := range evs {
		if ev.Kind == KindSIP {
			got = append(got, ev.SIP)
		}
	}
	if len(got) != 1 || !bytes.Equal(got[0].Body, body) {
		t.Fatalf("%d messages, want the one with its body of %d bytes", len(got), len(body))
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 32<<20 {
		t.Errorf("%d MB allocated to read a message of %d KB", n>>20, len(body)>>10)
	}
}

// BenchmarkCaptureFileRecycled is BenchmarkCaptureFile for a caller that
// hands the events back as the pipeline does (batches of 512, six out at
// once): what the capture stage costs in a run, the memory of its SIP
// messages coming back.
func BenchmarkCaptureFileRecycled(b *testing.B) {
	path := os.Getenv("CEILING_BENCH_CAPTURE")
	if path == "" {
		b.Skip("CEILING_BENCH_CAPTURE not set")
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	b.ReportAllocs()
	for range b.N {
		in, err := parse.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		src, err := Open([]*parse.Input{in}, nil, Options{})
		if err != nil {
			b.Fatal(err)
		}
		var out [][]Event
		batch := make([]Event, 0, 512)
		for {
			ev, err := src.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			batch = append(batch, ev)
			if len(batch) == cap(batch) {
				out = append(out, batch)
				batch = make([]Event, 0, 512)
				if len(out) > 6 {
					src.Recycle(out[0])
					out = out[1:]
				}
			}
		}
		src.Close()
		in.Close()
	}
}

// TestHTTPRecycle: the HTTP heads of WebSocket upgrades come back through
// Recycle and the next heads are read into them, while each reads, until
// handed back, what a caller that does not recycle sees; a 101 that comes
// after its request's event was handed back still starts a WebSocket for
// SIP (the flow keeps what it needs of the request, not the request).
func TestHTTPRecycle(t *testing.T) {
	cf := newCapFile(t)
	const upgrades = 100
	for i := range upgrades {
		cl, sv := ep{"10.0.0.1", uint16(20000 + i)}, ep{"10.0.0.2", 8080}
		cf.handshake(t, cl, sv)
		cf.tcp(t, cl, sv, "PA", []byte(fmt.Sprintf("GET /ws HTTP/1.1\r\nHost: e\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: sip\r\nX-Request-Id: r-%04d\r\n\r\n", i)))
		// Past the reorder window, plain requests on another
		// connection, read into heads handed back; then, past the
		// window again, the upgrade's answer.
		cf.t = cf.t.Add(3 * time.Second)
		pl := ep{"10.0.0.3", uint16(20000 + i)}
		cf.handshake(t, pl, sv)
		for range 3 {
			cf.tcp(t, pl, sv, "PA", []byte("GET /health HTTP/1.1\r\nHost: e\r\n\r\n"))
			cf.tcp(t, sv, pl, "PA", []byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
		}
		cf.t = cf.t.Add(3 * time.Second)
		cf.tcp(t, sv, cl, "PA", []byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
			"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"))
		cf.tcp(t, cl, sv, "PA", wsFrame(rand.New(rand.NewSource(int64(i))), "OPTIONS sip:e SIP/2.0\r\nVia: SIP/2.0/WSS h;branch=z9hG4bK"+
			fmt.Sprint(i)+"\r\nCall-ID: ws-"+fmt.Sprint(i)+"\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"))
		// Not SIP by its looks: taken for SIP (and found damaged) only
		// because the upgrade asked for the sip protocol.
		cf.tcp(t, cl, sv, "PA", wsFrame(rand.New(rand.NewSource(int64(i))), "keepalive"))
	}
	plain, st := cf.run(t, Options{})
	if st.Problems.Count == 0 {
		t.Fatal("no problem reported: the keepalives were not taken for SIP")
	}
	if st.WebSockets != upgrades {
		t.Fatalf("%d WebSockets, want %d", st.WebSockets, upgrades)
	}
	src := cf.open(t, Options{})
	defer src.Close()
	got := readRecycled(t, src, handBack{size: 1})
	checkRecycled(t, plain, got)
	seen := map[any]bool{}
	reused, sip := 0, 0
	for _, r := range got {
		var p any
		switch {
		case r.ev.Request != nil:
			p = r.ev.Request
		case r.ev.Response != nil:
			p = r.ev.Response
		case r.ev.SIP != nil && r.ev.Transport == "ws":
			sip++
		}
		if p != nil {
			if seen[p] {
				reused++
			}
			seen[p] = true
		}
	}
	if reused < upgrades {
		t.Errorf("%d HTTP heads read into one given back, of %d: recycling does not happen", reused, 8*upgrades)
	}
	if sip != upgrades {
		t.Errorf("%d SIP messages over WebSocket, want %d: an upgrade was lost or not taken for SIP's", sip, upgrades)
	}
}
