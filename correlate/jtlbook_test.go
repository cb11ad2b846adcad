package correlate

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/ceiling-dev/ceiling/internal/spill"
	"github.com/ceiling-dev/ceiling/parse/capture"
	"github.com/ceiling-dev/ceiling/parse/jtl"
	"github.com/ceiling-dev/ceiling/parse/tcp"
)

// TestJTLBookStableOrder: attempts known only from the JTL come out as a
// stable sort of the samples by start, however far out of order some of
// them came (late ones at once, long runs of them, ties with the ones in
// order on both sides), each failure with its own sample; with the book
// in memory and with nearly all of it on disk.
func TestJTLBookStableOrder(t *testing.T) {
	base := t0 / 1e6
	rng := rand.New(rand.NewSource(7))
	var samples []jtl.Sample
	now := int64(0)
	for i := range 3000 {
		start := now
		switch r := rng.Intn(20); {
		case r == 0:
			start = now - int64(rng.Intn(400)) // late, often by the same ms as others
		case r == 1 && i > 1000 && i < 1200:
			start = now - 1000 // a run of late ones
		default:
			now += int64(rng.Intn(3)) // ties with the ones around it
			start = now
		}
		s := jtl.Sample{Start: base + start, Elapsed: int64(rng.Intn(50)), Label: "INVITE", Code: "200", Message: "OK", Success: true,
			Thread: fmt.Sprintf("tg 1-%d", i%7), Host: "g", URL: "sip:x", CallID: fmt.Sprintf("c%d", i), AllThreads: 7, File: 1, Line: int64(i + 2)}
		if i%3 == 0 {
			s.Code, s.Message, s.Success = "503", "Service Unavailable", false
		}
		samples = append(samples, s)
	}
	want := slices.Clone(samples)
	slices.SortStableFunc(want, func(a, b jtl.Sample) int { return int(a.Start - b.Start) })
	for _, o := range []SpillOptions{{}, {Dir: t.TempDir(), Pages: 2, PageItems: 8}} {
		r := run(t, &wire{}, slices.Clone(samples), Options{Spill: o})
		if n := r.Attempts.Len(); n != len(want) {
			t.Fatalf("%d attempts, want %d", n, len(want))
		}
		for i, w := range want {
			a := r.Attempts.At(i)
			if a.CallID != w.CallID || a.Time != w.Start*1e6 || a.Ended != (w.Start+w.Elapsed)*1e6 || a.Failed == w.Success {
				t.Fatalf("%+v: attempt %d is %s at %d, want %s at %d", o, i, a.CallID, a.Time, w.CallID, w.Start*1e6)
			}
			if d := r.Detail(&a); a.Failed && (d == nil || d.Sample == nil || d.Sample.Line != w.Line || d.Sample.Thread != w.Thread || d.Sample.File != 1) {
				t.Fatalf("%+v: attempt %d (%s): detail %+v", o, i, a.CallID, d)
			}
		}
		// The first failure's IDs outlive the pages Finish read them from.
		first := want[slices.IndexFunc(want, func(s jtl.Sample) bool { return !s.Success })]
		if len(r.Layers) != 1 || r.Layers[0].FirstFailure == nil || r.Layers[0].FirstFailure.CallID != first.CallID {
			t.Fatalf("%+v: first failure %+v, want Call-ID %s", o, r.Layers[0].FirstFailure, first.CallID)
		}
		if err := r.Err(); err != nil {
			t.Fatal(err)
		}
		if g, _ := r.Attempts.MostResident(); o.Pages > 0 && g > o.Pages+2 {
			t.Errorf("%d pages in memory while gathering", g)
		}
		r.Close()
	}
}

// TestNoSYNFiles: the load generator's own failures that matchByTime finds
// come after every sample; some start before the last sample (late), some
// after it. Each is an attempt of no file, whose Detail shows its sample's
// file, wherever it was kept.
func TestNoSYNFiles(t *testing.T) {
	w := &wire{}
	srv := netip.MustParseAddrPort("10.0.0.9:8080")
	c := &tcp.Conn{ID: 1, Client: netip.AddrPortFrom(gen.Addr(), 40001), Server: srv, Start: t0, FirstPacket: 1}
	w.events = append(w.events, capture.Event{Kind: capture.KindConnOpen, Time: c.Start, Conn: c, Src: c.Client, Dst: srv})
	end := *c
	end.State, end.End, end.Ending = tcp.REJ, c.Start+1e6, tcp.EndRST
	w.events = append(w.events, capture.Event{Kind: capture.KindConnClose, Time: end.End, Conn: &end, Src: c.Client, Dst: srv})
	base := t0 / 1e6
	refused := "Non HTTP response code: java.net.ConnectException"
	var samples []jtl.Sample
	for i, ms := range []int64{0, 2000, 4000, 6000, 8000, 9000} {
		s := jtl.Sample{Start: base + ms, Elapsed: 1, Code: refused, Message: "Non HTTP response message: Connection refused",
			URL: "http://10.0.0.9:8080/", AllThreads: 1, Host: "g", File: 2, Line: int64(10 + i)}
		if ms == 8000 {
			// Known only from the JTL: the latest start but one.
			s.Code, s.Message, s.URL, s.Label = "Non HTTP response code: java.net.UnknownHostException", "Non HTTP response message: edge", "", "x"
		}
		samples = append(samples, s)
	}
	for _, o := range []SpillOptions{{}, {Dir: t.TempDir(), Pages: 2, PageItems: 2}} {
		r := run(t, w, slices.Clone(samples), Options{Spill: o})
		if r.Correlation.NoSYN != 4 {
			t.Errorf("correlation %+v", r.Correlation)
		}
		var lines []int64
		for i := range r.Attempts.Len() {
			a := r.Attempts.At(i)
			if a.Layer != LayerClient {
				continue
			}
			d := r.Detail(&a)
			if d == nil || d.Sample == nil || d.Sample.File != 2 || a.File != 0 && a.Status != "dns" {
				t.Errorf("%+v: attempt %d %+v: detail %+v", o, i, a, d)
				continue
			}
			if d.Sample.Start*1e6 != a.Time {
				t.Errorf("attempt %d at %d shows the sample at %d", i, a.Time, d.Sample.Start)
			}
			lines = append(lines, d.Sample.Line)
		}
		if !slices.Equal(lines, []int64{11, 12, 13, 14, 15}) {
			t.Errorf("%+v: client failures from lines %v", o, lines)
		}
		r.Close()
	}
}

// TestClassMemo: what the memo answers is what classify says, for a
// sample seen before, for one whose strings are equal but elsewhere, and
// for one that differs in a single field or flag.
func TestClassMemo(t *testing.T) {
	var m classMemo
	samples := []jtl.Sample{
		{Code: "503", CallID: "x"},
		{Code: "503"},
		{Code: "503", URL: "https://a/"},
		{Code: "503", URL: "WSS://a/", Label: "ws"},
		{Code: "200", Success: true, URL: "http://a/"},
		{Code: "200", URL: "http://a/"},
		{Code: "Non HTTP response code: java.net.ConnectException", Message: "Non HTTP response message: Connection refused"},
		{Code: "Non HTTP response code: java.net.ConnectException", Message: "Non HTTP response message: Connection timed out"},
		{Code: "", Message: "Got unexpected status 429", Label: "WebSocket Open Connection"},
		{Code: "", Message: "Got unexpected status 429", Label: "SIP"},
	}
	check := func(s *jtl.Sample) {
		t.Helper()
		want := classify(s)
		url := strings.ToLower(s.URL)
		secure := strings.HasPrefix(url, "https://") || strings.HasPrefix(url, "wss://")
		if got, sec := m.classify(s); got != want || sec != secure {
			t.Errorf("%+v: memo %+v %v, classify %+v %v", s, got, sec, want, secure)
		}
	}
	for range 3 {
		for i := range samples {
			check(&samples[i])
			// The same values in strings of their own.
			c := samples[i]
			c.Code, c.Message, c.URL, c.Label = strings.Clone(c.Code), strings.Clone(c.Message), strings.Clone(c.URL), strings.Clone(c.Label)
			check(&c)
		}
	}
}

// TestShapeOf: failures with the same strings share a shape, whether the
// strings are the same bytes or copies; different strings never do, also
// with more shapes than the cache holds.
func TestShapeOf(t *testing.T) {
	var b jtlBook
	const threads = 3 * shapeSets
	names := make([]string, threads)
	for i := range names {
		names[i] = fmt.Sprintf("tg 1-%d", i)
	}
	shape := map[string]uint32{}
	for round := range 3 {
		for i, th := range names {
			msg := []string{"Service Unavailable", "Busy Here"}[i%2]
			if round == 2 {
				th, msg = strings.Clone(th), strings.Clone(msg)
			}
			ref := SampleRef{Label: "INVITE", Code: "503", Message: msg, Thread: th, Host: "g"}
			got := b.shapeOf(&ref)
			sh := b.shapes[got]
			if b.text.get(sh.thread) != th || b.text.get(sh.message) != msg || b.text.get(sh.label) != "INVITE" || b.text.get(sh.host) != "g" {
				t.Fatalf("%s %s: shape %d holds %+v", th, msg, got, sh)
			}
			if prev, ok := shape[th]; ok && prev != got {
				t.Fatalf("%s: shape %d, was %d", th, got, prev)
			}
			shape[th] = got
		}
	}
	if len(b.shapes) != threads {
		t.Errorf("%d shapes for %d", len(b.shapes), threads)
	}
}

// TestJTLCodecFields: a record comes back from the file as it went in,
// whichever of the fields the codec leaves out when they are zero or
// follow from others are set, with values of one byte and of many.
func TestJTLCodecFields(t *testing.T) {
	full := jtlRecord{start: 1_795_600_799_650, end: 1_795_600_799_653, answered: 1_795_600_799_651, file: 3, all: 1600, line: 5_000_001,
		callID: "8e5b913ce750f14e-t1041-i000001@10.10.0.5", traceID: "4bf92f3577b34da6a3ce929d0e0e4736", shape: 70000, conc: 1001,
		tHost: 2, own: 1600, status: 300, layer: LayerSIP, outcome: Rejected, kind: KindCapacity, failed: true}
	odd := full
	odd.end, odd.answered = odd.start-5, odd.start+1<<40 // a damaged row: ends before it starts
	odd.all, odd.line, odd.shape, odd.callID, odd.failed = 0, 0, 0, "", false
	bare := jtlRecord{start: -1, end: -1, answered: -1, tHost: -1, own: -1}
	roundTrip(t, jtlCodec{}, 17, full, odd, bare, jtlRecord{traceID: "t", end: 2, answered: 2, conc: -3})
}

// TestJTLPack: a record whose numbers fit their fixed fields is written
// packed, one whose number is one past its field's range is written as
// varints, and either comes back as it went in.
func TestJTLPack(t *testing.T) {
	base := jtlRecord{start: 1_795_600_799_650, end: 1_795_600_799_653, answered: 1_795_600_799_651, file: 1, all: 1600, line: 7,
		shape: 9, conc: 1001, tHost: 2, own: 1600, status: 3, failed: true}
	cases := []struct {
		name   string
		set    func(r *jtlRecord, past int64) // past: 0 for the field's last value, 1 for one past it
		sample bool
	}{
		{"elapsed", func(r *jtlRecord, p int64) { r.end, r.answered = r.start+jtlPackMs-1+p, r.start }, true},
		{"answered", func(r *jtlRecord, p int64) { r.end, r.answered = r.start+jtlPackMs-1+p, r.start+jtlPackMs-1+p }, true},
		{"elapsed below zero", func(r *jtlRecord, p int64) { r.end, r.answered = r.start-p, r.start-p }, true},
		{"conc", func(r *jtlRecord, p int64) { r.conc = int32(jtlPackConc - 1 + p) }, true},
		{"conc below zero", func(r *jtlRecord, p int64) { r.conc = int32(-p) }, true},
		{"own", func(r *jtlRecord, p int64) { r.own = int32(jtlPackOwn - 1 + p) }, true},
		{"tHost", func(r *jtlRecord, p int64) { r.tHost = int32(jtlPackHost - 1 + p) }, true},
		{"tHost below zero", func(r *jtlRecord, p int64) { r.tHost = int32(-p) }, true},
		{"file", func(r *jtlRecord, p int64) { r.file = jtlPackFile - 1 + p }, true},
		{"status", func(r *jtlRecord, p int64) { r.status = uint32(jtlPackStatus - 1 + p) }, true},
		{"all", func(r *jtlRecord, p int64) { r.all = jtlPackAll - 1 + p }, true},
		{"shape", func(r *jtlRecord, p int64) { r.shape = uint32(jtlPackShape - 1 + p) }, true},
		{"line", func(r *jtlRecord, p int64) { r.line = jtlPackLine - 1 + p }, true},
		{"no sample", func(r *jtlRecord, p int64) { r.all, r.line, r.shape, r.own = 0, 0, 0, int32(jtlPackOwn-1+p) }, false},
	}
	for _, c := range cases {
		for past := range int64(2) {
			r := base
			r.callID = "c@h"
			c.set(&r, past)
			b := jtlCodec{}.Encode(nil, &r)
			if packed := b[11]&jtlPacked != 0; packed != (past == 0) {
				t.Errorf("%s, %d past: packed %v", c.name, past, packed)
			}
			if sample := b[11]&jtlHasSample != 0; sample != c.sample {
				t.Errorf("%s: sample %v, want %v", c.name, sample, c.sample)
			}
			var got jtlRecord
			var ar spill.Arena
			n, err := jtlCodec{}.Decode(b, &got, &ar)
			if err != nil || n != len(b) || got != r {
				t.Errorf("%s, %d past: read %d of %d (%v)\n got %+v\nwant %+v", c.name, past, n, len(b), err, got, r)
			}
			for cut := range len(b) {
				if n, err := (jtlCodec{}).Decode(b[:cut], &got, &ar); err == nil {
					t.Fatalf("%s, %d past: %d bytes of %d read as a record of %d", c.name, past, cut, len(b), n)
				}
			}
		}
	}
}

// TestVarints holds the inline varint reader to encoding/binary: values
// of every length, cut short and overlong, read one after the other.
func TestVarints(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for range 100_000 {
		b := make([]byte, rng.Intn(24))
		for i := range b {
			// Mostly continuation bytes, so that lengths vary.
			b[i] = byte(rng.Intn(256)) | byte(rng.Intn(2))<<7
		}
		d := varints{b: b}
		for off := 0; ; {
			want, k := binary.Uvarint(b[off:])
			got := d.uint()
			if k <= 0 {
				if !d.bad {
					t.Fatalf("% x at %d: read %d, want a failure", b, off, got)
				}
				break
			}
			if got != want || d.bad || d.n != off+k {
				t.Fatalf("% x at %d: %d (%d bytes, bad %v), want %d (%d bytes)", b, off, got, d.n-off, d.bad, want, k)
			}
			off += k
		}
	}
	for _, v := range []int64{0, -1, 63, -64, 64, 8191, -8192, 8192, math.MaxInt64, math.MinInt64} {
		d := varints{b: binary.AppendVarint(nil, v)}
		if got := d.int(); got != v || d.bad || d.n != len(d.b) {
			t.Errorf("int of % x = %d, want %d", d.b, got, v)
		}
	}
}

// TestJTLFirstFailureKept: the first failure's IDs, read by Finish's merge
// from a page of the book on disk, are still its own once the merge has
// read every later page into the same buffer.
func TestJTLFirstFailureKept(t *testing.T) {
	base := t0 / 1e6
	var samples []jtl.Sample
	for i := range 400 {
		s := jtl.Sample{Start: base + int64(i), Elapsed: 5, Label: "INVITE", Code: "200", Message: "OK", Success: true,
			Thread: "tg 1-1", Host: "g", URL: "sip:x", CallID: fmt.Sprintf("call-%04d@load", i), AllThreads: 1, File: 1, Line: int64(i + 2)}
		if i == 3 {
			s.Code, s.Message, s.Success = "503", "Service Unavailable", false
		}
		samples = append(samples, s)
	}
	r := run(t, &wire{}, samples, Options{Spill: SpillOptions{Dir: t.TempDir(), Pages: 2, PageItems: 8}})
	defer r.Close()
	if len(r.Layers) != 1 || r.Layers[0].FirstFailure == nil {
		t.Fatalf("layers %+v", r.Layers)
	}
	if ff := r.Layers[0].FirstFailure; ff.CallID != "call-0003@load" || ff.Status != "503" {
		t.Errorf("first failure %s %s, want call-0003@load 503", ff.CallID, ff.Status)
	}
}

// TestMergeSpilled: Finish's merge copies the attempts it reads from the
// wire's pages on disk as written, the fields it sets patched: a spilled
// run's attempts, their loads, matches and Details are those of a run
// held in memory, the JTL's among them too.
func TestMergeSpilled(t *testing.T) {
	w := &wire{}
	jt := t0 / 1e6
	var samples []jtl.Sample
	for i := range 40 {
		id, ms := fmt.Sprintf("c%d", i), int64(i*50)
		s := jtl.Sample{Start: jt + ms, Elapsed: 3, Label: "SIP INVITE", CallID: id, AllThreads: i%5 + 1, Host: "g", File: 1, Line: int64(i + 2)}
		if i%3 == 0 {
			w.reject(id, ms, 503)
			s.Code = "503"
		} else {
			w.call(id, ms, 10)
			s.Code, s.Elapsed, s.Success = "200", 30, true
		}
		if i%4 != 1 {
			// The rest are known to the wire alone.
			samples = append(samples, s)
		}
		// Known to the JTL alone, between the wire's.
		samples = append(samples, jtl.Sample{Start: jt + ms + 1, Elapsed: 2, Label: "GET", URL: "http://10.0.0.30/x", Code: "200", Success: true,
			AllThreads: 1, Host: "g", File: 1, Line: int64(100 + i)})
	}
	var want string
	for _, o := range []SpillOptions{{}, {Dir: t.TempDir(), Pages: 2, PageItems: 4}} {
		r := run(t, w, slices.Clone(samples), Options{Spill: o})
		type shown struct {
			Attempt
			Detail *Detail
		}
		var all []shown
		for _, a := range r.Attempts.All() {
			all = append(all, shown{a, r.Detail(&a)})
		}
		got := dump(all)
		if want == "" {
			want = got
		} else if got != want {
			t.Errorf("spilled, the attempts are\n%s\nwant\n%s", got, want)
		}
		r.Close()
	}
}
