package capture

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand"
	"testing"
	"time"

	"github.com/ceiling-dev/ceiling/parse"
	"github.com/ceiling-dev/ceiling/parse/sip"
)

// handBack says how a test caller hands events back to Recycle: in
// batches of size events, each handed back once delay more batches have
// been read (the pipeline has up to six out), every drop-th batch never,
// and with swap each pair of batches in the wrong order.
type handBack struct {
	size, delay, drop int
	swap              bool
}

// recycled is one event as a recycling caller saw it: what its message
// read when Next gave it, and when it was handed back.
type recycled struct {
	ev           Event
	read, handed string
}

func fingerprint(ev *Event) string {
	s := fmt.Sprintf("%d %d %d %v %v %s", ev.Kind, ev.Time, ev.Packet, ev.Src, ev.Dst, ev.Transport)
	if ev.SIP != nil {
		s += fmt.Sprintf(" %+v %q", *ev.SIP, ev.SIP.Body)
	}
	// HTTP heads are given back too (stream.go): one read into before
	// it was handed back would change here.
	if ev.Request != nil {
		s += fmt.Sprintf(" %+v", *ev.Request)
	}
	if ev.Response != nil {
		s += fmt.Sprintf(" %+v", *ev.Response)
	}
	return s
}

// readRecycled reads src to its end, handing the events back as hb says.
func readRecycled(t testing.TB, src *Source, hb handBack) []*recycled {
	var all []*recycled
	var out [][]*recycled // batches read, not yet handed back
	var batch []*recycled
	n := 0
	back := func(b []*recycled) {
		evs := make([]Event, len(b))
		for i, r := range b {
			r.handed = fingerprint(&r.ev)
			evs[i] = r.ev
		}
		src.Recycle(evs)
	}
	flush := func() {
		n++
		if hb.drop > 0 && n%hb.drop == 0 {
			batch = nil
			return
		}
		out = append(out, batch)
		batch = nil
		for len(out) > hb.delay+1 {
			first := 0
			if hb.swap && len(out) > 1 {
				first = 1
			}
			back(out[first])
			out = append(out[:first], out[first+1:]...)
		}
	}
	for {
		ev, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		r := &recycled{ev: ev, read: fingerprint(&ev)}
		all = append(all, r)
		batch = append(batch, r)
		if len(batch) == hb.size {
			flush()
		}
	}
	for _, b := range out {
		back(b)
	}
	return all
}

// checkRecycled compares a recycling read of a capture with a plain one:
// the same events, each reading as the plain one did from Next until it
// was handed back. It returns how many messages were ones used before.
func checkRecycled(t testing.TB, plain []Event, got []*recycled) int {
	t.Helper()
	if len(got) != len(plain) {
		t.Fatalf("%d events, %d without recycling", len(got), len(plain))
	}
	seen := map[*sip.Message]bool{}
	reused := 0
	for i, r := range got {
		want := fingerprint(&plain[i])
		if r.read != want {
			t.Fatalf("event %d read\n%s\nwithout recycling\n%s", i, r.read, want)
		}
		if r.handed != "" && r.handed != want {
			t.Fatalf("event %d changed before it was handed back:\n%s\nwas\n%s", i, r.handed, want)
		}
		if m := r.ev.SIP; m != nil {
			if seen[m] {
				reused++
			}
			seen[m] = true
		}
	}
	return reused
}

// sipCapture writes n SIP messages over UDP, of sizes from a few hundred
// bytes to over a quarter of a chunk, some broken, with RTP and clock
// steps back between them.
func sipCapture(t testing.TB, seed int64, n int) *capFile {
	rng := rand.New(rand.NewSource(seed))
	c := newCapFile(t)
	gen, edge := ep{"10.0.0.1", 40000}, ep{"10.0.0.9", 5060}
	for i := 0; i < n; i++ {
		// Ten milliseconds apart on average: the reorder window holds 200
		// events, so that jobs come back before the capture ends.
		dt := time.Duration(rng.Intn(20)) * time.Millisecond
		if rng.Intn(100) == 0 {
			dt = -time.Duration(rng.Intn(1500)) * time.Millisecond
		}
		body := fmt.Sprintf("v=0\r\no=- %d 1 IN IP4 10.0.0.1\r\n", i)
		if rng.Intn(50) == 0 {
			body += string(bytes.Repeat([]byte("a=x\r\n"), 300+rng.Intn(4000))) // past a quarter of a chunk
		}
		msg := fmt.Sprintf("INVITE sip:edge@10.0.0.9 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:40000;branch=z9hG4bK%d\r\n"+
			"From: <sip:gen@10.0.0.1>;tag=%d\r\nTo: <sip:edge@10.0.0.9>\r\nCall-ID: call-%d@test\r\nCSeq: 1 INVITE\r\n"+
			"X-Trace-Id: t%d\r\nContent-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s", i, i, i, i, len(body), body)
		switch rng.Intn(20) {
		case 0:
			msg = fmt.Sprintf("OPTIONS sip:edge@10.0.0.9 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKo%d\r\nCSeq: 1 OPTIONS\r\n\r\n", i)
		case 1:
			msg = "\x00\x01 not SIP at all INVITE sip:x SIP/2.0\r\n"
		case 2:
			msg = fmt.Sprintf("SIP/2.0 503 Service Unavailable\r\nVia: SIP/2.0/UDP 10.0.0.1:40000;branch=z9hG4bK%d\r\nCall-ID: call-%d@test\r\nCSeq: 1 INVITE\r\nReason: Q.850;cause=34\r\n\r\n", i-1, i-1)
		case 3:
			rtp := make([]byte, 172)
			rtp[0] = 0x80
			c.udp(t, ep{"10.0.0.1", 20000}, ep{"10.0.0.9", 30000}, dt, rtp)
			continue
		}
		c.udp(t, gen, edge, dt, []byte(msg))
		if dt < 0 {
			c.t = c.t.Add(-dt)
		}
	}
	return c
}

// TestUDPRecycle: a caller that hands events back, in batches as the
// pipeline does or in worse ways (late, never, in the wrong order), sees
// every message as a caller that does not until it hands it back, with
// the memory that came back poisoned; and the memory is used again.
func TestUDPRecycle(t *testing.T) {
	t.Setenv(PoisonEnv, "1")
	c := sipCapture(t, 1, 6000)
	plain, _ := c.run(t, Options{})
	for _, hb := range []handBack{
		{size: 256, delay: 5}, // the pipeline's way, the batches smaller for a test-sized capture
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
			if reused := checkRecycled(t, plain, got); reused == 0 {
				t.Error("no message's memory was used again")
			}
			u := src.files[0].udpSIP
			if u.free.Len() > u.free.Max || u.chunks.Len() > u.chunks.Max || u.back.size > settledMax {
				t.Errorf("%d jobs, %d chunks, %d followed: past their bounds", u.free.Len(), u.chunks.Len(), u.back.size)
			}
		})
	}
}

// TestUDPRecycleMerged: with several captures, each event goes back to
// the file it came from.
func TestUDPRecycleMerged(t *testing.T) {
	t.Setenv(PoisonEnv, "1")
	caps := []*capFile{sipCapture(t, 2, 3000), sipCapture(t, 3, 2000)}
	open := func() *Source {
		var ins []*parse.Input
		for i, c := range caps {
			ins = append(ins, &parse.Input{Path: fmt.Sprintf("built%d.pcap", i), Kind: parse.KindPcap, R: bufio.NewReader(bytes.NewReader(c.buf.Bytes()))})
		}
		src, err := Open(ins, []int{3, 1}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return src
	}
	plain := events(t, open())
	src := open()
	defer src.Close()
	got := readRecycled(t, src, handBack{size: 32, delay: 2})
	if reused := checkRecycled(t, plain, got); reused == 0 {
		t.Error("no message's memory was used again")
	}
	for _, f := range src.files {
		if f.udpSIP.back == nil || f.udpSIP.free.Len() == 0 {
			t.Errorf("file %d: nothing came back", f.index)
		}
	}
}

// TestSettledRing: takeBack finds a job at the front or further in, and
// forgets those before it; one it does not follow changes nothing; the
// ring forgets the oldest when full.
func TestSettledRing(t *testing.T) {
	jobs := make([]*sipJob, settledMax+10)
	for i := range jobs {
		jobs[i] = &sipJob{seq: uint64(i)}
		jobs[i].m = &jobs[i].msg
	}
	for _, c := range []struct {
		name   string
		pushed int   // jobs 0..pushed-1 pushed
		take   []int // taken back in turn
		want   []int // the seqs found, -1 for none
		left   int   // jobs followed after
	}{
		{"in order", 5, []int{0, 1, 2}, []int{0, 1, 2}, 2},
		{"skips", 5, []int{2, 4}, []int{2, 4}, 0},
		{"late one", 5, []int{3, 1}, []int{3, -1}, 1},
		{"not ours", 3, []int{settledMax + 5}, []int{-1}, 3},
		{"full", settledMax + 10, []int{5, 10, 11}, []int{-1, 10, 11}, settledMax - 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			var q settled
			for i := 0; i < c.pushed; i++ {
				q.push(jobs[i])
			}
			for k, i := range c.take {
				j := q.takeBack(jobs[i].m)
				got := -1
				if j != nil {
					got = int(j.seq)
				}
				if got != c.want[k] {
					t.Fatalf("take %d: got %d, want %d", i, got, c.want[k])
				}
			}
			if q.size != c.left {
				t.Fatalf("%d followed, want %d", q.size, c.left)
			}
		})
	}
}
