package capture

import (
	"fmt"
	"io"
	"math/rand"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"

	"github.com/ceiling-dev/ceiling/parse/sip"
)

// udp writes one datagram from a to b, at the capture's clock moved by dt
// (which may go back).
func (c *capFile) udp(t testing.TB, a, b ep, dt time.Duration, payload []byte) {
	u := &layers.UDP{SrcPort: layers.UDPPort(a.port), DstPort: layers.UDPPort(b.port)}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.ParseIP(a.ip), DstIP: net.ParseIP(b.ip)}
	u.SetNetworkLayerForChecksum(ip)
	c.write(t, dt, ip, u, payload)
}

// TestUDPSIPInOrder: datagrams parsed on the file's parsing goroutine come
// out as a plain parse in the reader would give them: every message in
// time order with its own text (bodies included, which used to point into
// the reader's reused buffer), the ones that do not parse counted and
// reported, RTP left alone;
// across batch boundaries and with the clock stepping back.
func TestUDPSIPInOrder(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	c := newCapFile(t)
	gen, edge := ep{"10.0.0.1", 40000}, ep{"10.0.0.9", 5060}
	type want struct {
		callID string
		body   string
	}
	var wants []want
	var broken int
	for i := 0; i < 5000; i++ {
		dt := time.Duration(rng.Intn(3)) * time.Millisecond
		if rng.Intn(200) == 0 {
			dt = -time.Duration(rng.Intn(1500)) * time.Millisecond // within the 2 s window
		}
		id := fmt.Sprintf("call-%d@test", i)
		body := fmt.Sprintf("v=0\r\no=- %d 1 IN IP4 10.0.0.1\r\n", i)
		msg := fmt.Sprintf("INVITE sip:edge@10.0.0.9 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:40000;branch=z9hG4bK%d\r\n"+
			"From: <sip:gen@10.0.0.1>;tag=%d\r\nTo: <sip:edge@10.0.0.9>\r\nCall-ID: %s\r\nCSeq: 1 INVITE\r\n"+
			"Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s", i, i, id, len(body), body)
		switch rng.Intn(20) {
		case 0: // no Call-ID: kept, with a problem
			msg = fmt.Sprintf("OPTIONS sip:edge@10.0.0.9 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKo%d\r\nCSeq: 1 OPTIONS\r\n\r\n", i)
			id, body = "", ""
			broken++
		case 1: // an RTP packet
			rtp := make([]byte, 172)
			rtp[0] = 0x80
			c.udp(t, ep{"10.0.0.1", 20000}, ep{"10.0.0.9", 30000}, dt, rtp)
			continue
		}
		c.udp(t, gen, edge, dt, []byte(msg))
		if dt < 0 {
			c.t = c.t.Add(-dt) // a late packet: the clock goes on from where it was
		}
		wants = append(wants, want{id, body})
	}
	evs, st := c.run(t, Options{})
	var got []*sip.Message
	last := int64(0)
	for _, ev := range evs {
		if ev.Kind != KindSIP {
			continue
		}
		if ev.Time < last {
			t.Fatalf("event at %d after one at %d", ev.Time, last)
		}
		last = ev.Time
		got = append(got, ev.SIP)
	}
	if len(got) != len(wants) || st.SIPMessages != int64(len(wants)) {
		t.Fatalf("%d messages (%d counted), want %d", len(got), st.SIPMessages, len(wants))
	}
	// Time order with ties by packet: compare as sets of Call-IDs with
	// their bodies.
	seen := map[string]string{}
	for _, m := range got {
		seen[m.CallID] += string(m.Body)
	}
	for _, w := range wants {
		if w.callID != "" && seen[w.callID] != w.body {
			t.Fatalf("%s: body %q, want %q", w.callID, seen[w.callID], w.body)
		}
	}
	if st.SIPErrors != int64(broken) || st.Problems.Count != int64(broken) {
		t.Errorf("%d SIP errors, %d problems; want %d", st.SIPErrors, st.Problems.Count, broken)
	}
	if st.Media.RTPPackets == 0 || st.OutOfOrder != 0 {
		t.Errorf("%d RTP packets, %d events out of order", st.Media.RTPPackets, st.OutOfOrder)
	}
}

// TestUDPSIPClose: a Source given up half-way ends its parsing goroutine
// with Close, and reading on after Close still gives every message.
func TestUDPSIPClose(t *testing.T) {
	c := newCapFile(t)
	gen, edge := ep{"10.0.0.1", 40000}, ep{"10.0.0.9", 5060}
	const n = 1000
	for i := 0; i < n; i++ {
		c.udp(t, gen, edge, time.Millisecond, []byte(fmt.Sprintf("OPTIONS sip:edge@10.0.0.9 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:40000;branch=z9hG4bK%d\r\nCall-ID: %d@test\r\nCSeq: 1 OPTIONS\r\n\r\n", i, i)))
	}
	before := runtime.NumGoroutine()
	src := c.open(t, Options{})
	got := 0
	for ; got < n/2; got++ {
		if _, err := src.Next(); err != nil {
			t.Fatal(err)
		}
	}
	src.Close()
	for {
		ev, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil || ev.SIP == nil || ev.SIP.CallID != fmt.Sprintf("%d@test", got) {
			t.Fatalf("event %d: %v, %+v", got, err, ev.SIP)
		}
		got++
	}
	if got != n {
		t.Fatalf("%d messages, want %d", got, n)
	}
	// The goroutine is gone once it has seen the channel closed.
	for i := 0; runtime.NumGoroutine() > before && i < 1000; i++ {
		time.Sleep(time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > before {
		t.Errorf("%d goroutines after Close, %d before Open", g, before)
	}
}

// FuzzDatagrams sends arbitrary UDP payloads through a whole capture
// source: SIP parsed on the file's goroutine and settled in order, RTP and
// RTCP counted, the rest counted apart. The input is cut into datagrams
// whose first byte gives the length (times 4) and, in its low bit, a step
// back of the clock. Whatever the bytes: no panic, events in time order
// but for those later than the window (counted), every datagram accounted
// for once, every message as it was until it is handed back for reuse
// (see checkRecycled), and the source's goroutine gone after Close (run
// closes it).
func FuzzDatagrams(f *testing.F) {
	invite := "INVITE sip:e@10.0.0.9 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\nCall-ID: a@b\r\nCSeq: 1 INVITE\r\nContent-Length: 4\r\n\r\nv=0\n"
	rtp := string([]byte{0x80, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 7, 1, 2, 3, 4})
	seed := func(parts ...string) []byte {
		var b []byte
		for i, p := range parts {
			n := (len(p) + 3) / 4
			b = append(b, byte(n<<1|i&1))
			b = append(b, p...)
			b = append(b, make([]byte, n*4-len(p))...)
		}
		return b
	}
	f.Add(seed(invite, rtp, "SIP/2.0 503 Service Unavailable\r\nCall-ID: a@b\r\nCSeq: 1 INVITE\r\n\r\n", "\r\n\r\n", rtp))
	f.Add(seed("OPTIONS sip:x SIP/2.0\r\n\r\n", string([]byte{0x81, 200, 0, 6, 0, 0, 0, 1})))
	// Real messages from the corpus captures (parse/sip/testdata/msg),
	// a call's worth each (a datagram of this encoding holds 508 bytes).
	dirs, _ := filepath.Glob("../sip/testdata/msg/*")
	for _, d := range dirs {
		files, _ := filepath.Glob(filepath.Join(d, "*"))
		var parts []string
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil && len(b) <= 508 && len(parts) < 8 {
				parts = append(parts, string(b))
			}
		}
		if len(parts) > 0 {
			f.Add(seed(append(parts, rtp)...))
		}
	}
	f.Setenv(PoisonEnv, "1")
	f.Fuzz(func(t *testing.T, data []byte) {
		c := newCapFile(t)
		a, b := ep{"10.0.0.1", 40000}, ep{"10.0.0.9", 5060}
		datagrams := 0
		var sum int
		for _, x := range data {
			sum += int(x)
		}
		for len(data) > 0 {
			ctl := data[0]
			data = data[1:]
			n := int(ctl>>1) * 4
			if n > len(data) {
				n = len(data)
			}
			dt := time.Millisecond
			if ctl&1 != 0 {
				dt = -300 * time.Millisecond
			}
			c.udp(t, a, b, dt, data[:n])
			datagrams++
			data = data[n:]
		}
		before := runtime.NumGoroutine()
		evs, st := c.run(t, Options{})
		// An event later than the reorder window (the clock stepped back
		// more than 2 s in all) comes out of order, and is counted so.
		events, last, late := len(evs), int64(0), int64(0)
		for i, ev := range evs {
			if ev.SIP == nil {
				t.Fatalf("event %d: %+v", i, ev)
			}
			if ev.Time < last {
				late++
			} else {
				last = ev.Time
			}
		}
		if late != st.OutOfOrder {
			t.Fatalf("%d events out of order, %d counted", late, st.OutOfOrder)
		}
		dropped := st.SIPErrors // an upper bound: some damaged messages are kept
		m := st.Media
		accounted := int64(events) + st.KeepAlives + st.UDPOther + m.RTPPackets + m.RTCPPackets
		if int64(events) != st.SIPMessages || accounted > int64(datagrams) || accounted+dropped < int64(datagrams) {
			t.Fatalf("%d datagrams: %d events (%d counted), %d keep-alives, %d other, %d RTP, %d RTCP, %d SIP errors",
				datagrams, events, st.SIPMessages, st.KeepAlives, st.UDPOther, m.RTPPackets, m.RTCPPackets, st.SIPErrors)
		}
		// Events handed back in a way the input picks, what comes back
		// poisoned: each message reads the same until it is handed back.
		// A reorder window of a millisecond settles the events while
		// datagrams are still read, so that jobs and chunks are used again.
		short := Options{Window: 1e6}
		plain, _ := c.run(t, short)
		src := c.open(t, short)
		hb := handBack{size: 1 + sum%5, delay: sum / 5 % 3, drop: sum / 15 % 4, swap: sum/60%2 == 1}
		checkRecycled(t, plain, readRecycled(t, src, hb))
		src.Close()
		for i := 0; runtime.NumGoroutine() > before && i < 1000; i++ {
			time.Sleep(time.Millisecond)
		}
		if g := runtime.NumGoroutine(); g > before {
			t.Fatalf("%d goroutines, %d before", g, before)
		}
	})
}
