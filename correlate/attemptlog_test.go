package correlate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/ceiling-dev/ceiling/internal/spill"
)

// fullAttempt has every field set.
func fullAttempt() Attempt {
	return Attempt{
		Time: 1_700_000_000_123_456_789, Answered: 1_700_000_000_223_456_789, Ended: 1_700_000_001_000_000_000,
		Last: 1_700_000_001_000_451_001, Concurrency: 1001, Threads: -1, Status: "503",
		CallID: "8e5b913ce750f14e-t1041-i000001@10.10.0.5", TraceID: "4bf92f3577b34da6a3ce929d0e0e4736",
		Edge:   netip.MustParseAddrPort("10.20.0.10:5060"),
		Client: netip.MustParseAddrPort("[fe80::1%eth0]:40000"),
		File:   3, Packet: 123456789, Retransmits: 2, lazy: 77,
		Layer: LayerWebSocket, Hop: 1, Outcome: Rejected, Failed: true, Kind: KindRateLimit, Source: FromCapture | FromJTL, Match: ByTraceID,
		Detail: &Detail{
			ReasonPhrase: "Service Unavailable", ReasonHeader: `Q.850;cause=34`, RetryAfter: 30,
			Warning: "399 edge", Server: "kamailio", Relayed: netip.MustParseAddrPort("10.30.0.1:5060"), FinalPacket: 99,
			Sample: &SampleRef{Start: 1_700_000_000_000, Elapsed: 12, Label: "INVITE", Code: "503", Message: "m",
				Thread: "tg 1-1", Host: "gen1", AllThreads: 200, File: 1, Line: 42},
		},
	}
}

// TestAttemptCodec: an attempt with every field set comes back equal
// from the log's file, Detail and sample included; and the codec knows
// every field (a field added to Attempt, Detail or SampleRef and not to
// the codec fails here rather than vanish from spilled runs).
func TestAttemptCodec(t *testing.T) {
	full := fullAttempt()
	for _, typ := range []struct {
		v    any
		want int
	}{{Attempt{}, 23}, {Detail{}, 8}, {SampleRef{}, 10}} {
		if n := reflect.TypeOf(typ.v).NumField(); n != typ.want {
			t.Errorf("%T has %d fields; attemptCodec knows %d: teach it the new ones, then this test", typ.v, n, typ.want)
		}
	}
	noSample := full
	d := *full.Detail
	d.Sample = nil
	noSample.Detail = &d
	bare := Attempt{Layer: LayerSIP, Threads: -1}
	// Times written as distances from Time, which wrap; numbers at
	// their ends.
	extreme := Attempt{Time: math.MinInt64, Answered: math.MaxInt64, Packet: math.MinInt64, Concurrency: math.MinInt32,
		Threads: math.MaxInt32, File: -7, Retransmits: math.MaxInt32, lazy: math.MaxUint32, Failed: true, Outcome: TimedOut}
	unanswered := Attempt{Time: 5, Ended: -5, Layer: LayerTCP}
	// A last packet before the end (a connection closed by a timer), and
	// one with no end at all.
	quiet := Attempt{Time: 5, Ended: 50_000_000_000, Last: 20_000_000_123, Layer: LayerTCP}
	lastOnly := Attempt{Time: math.MaxInt64, Last: math.MinInt64, Layer: LayerSIP}
	// A JTL's times, whole ms apart, and ones that wrap in ms.
	millis := Attempt{Time: 1_700_000_000_000_000_000, Answered: 1_700_000_000_003_000_000, Ended: 1_699_999_000_000_000_000}
	wrapMillis := Attempt{Time: math.MaxInt64 - 1e6 + 1, Answered: math.MinInt64 + 1e6, Ended: math.MaxInt64 - 4e6 + 1}
	// Tails longer than a byte and than two say (their length's width).
	long, huge := full, bare
	long.CallID = strings.Repeat("c", 300)
	huge.TraceID = strings.Repeat("t", 70_000)
	want := []Attempt{full, noSample, bare, full, extreme, unanswered, millis, wrapMillis, quiet, lastOnly, long, huge, bare}
	var l *attemptLog
	// Statuses numbered, and written out (a table full); records kept
	// (Append) and written at once (Write: pages in memory encoded).
	for _, codec := range []*attemptCodec{{words: spill.NewWords(0)}, newAttemptCodec()} {
		for _, write := range []bool{true, false} {
			l = spill.New[Attempt](codec, spill.Options{Dir: t.TempDir(), PageItems: 2, Resident: 2})
			for _, a := range want {
				if write {
					l.Write(&a)
				} else {
					l.Append(a)
				}
				l.Settle()
			}
			checkAttemptLog(t, l, want)
		}
	}
	for i, a := range AttemptsOf(want).Heads() {
		if a.CallID != "" || a.TraceID != "" || a.Detail != nil || a.Time != want[i].Time || a.Client != want[i].Client {
			t.Errorf("AttemptsOf: head %d = %+v", i, a)
		}
	}
	// HeadsBackwardFrom on the log, on attempts in memory and on a view,
	// from within, past the end and below the start.
	for name, s := range map[string]*Attempts{
		"log": {log: l}, "memory": AttemptsOf(want), "view": AttemptsOf(want).Map(func(*Attempt) {}),
	} {
		for _, from := range []int{0, 3, 4, len(want) - 1, len(want) + 5, -1} {
			next := min(from, len(want)-1)
			for i, a := range s.HeadsBackwardFrom(from) {
				head := want[i]
				head.CallID, head.TraceID, head.Detail = "", "", nil
				if i != next || !reflect.DeepEqual(*a, head) {
					t.Errorf("%s from %d: head %d (want %d) = %+v", name, from, i, next, a)
				}
				next--
			}
			if next != -1 {
				t.Errorf("%s from %d: stopped before attempt %d", name, from, next)
			}
		}
	}
}

// checkAttemptLog: the attempts and their heads read back as they were
// written, from the file and from memory alike.
func checkAttemptLog(t *testing.T, l *attemptLog, want []Attempt) {
	t.Helper()
	if !l.Spilled() {
		t.Fatal("nothing went to the file")
	}
	// Heads first: a Get takes pages into memory.
	n := 0
	l.Heads(func(i int, h *Attempt) bool {
		head := want[i]
		head.CallID, head.TraceID, head.Detail = "", "", nil
		if !reflect.DeepEqual(*h, head) {
			t.Errorf("head %d:\n got %+v\nwant %+v", i, *h, head)
		}
		n++
		return true
	})
	if n != len(want) {
		t.Errorf("%d heads of %d attempts", n, len(want))
	}
	for i := range want {
		if got := l.Get(i); !reflect.DeepEqual(got, want[i]) {
			t.Errorf("attempt %d:\n got %+v\nwant %+v", i, got, want[i])
		}
	}
	if l.Err() != nil {
		t.Fatal(l.Err())
	}
}

// TestAttemptCutShort: a record cut short anywhere, or whose head says
// its tail is longer than the bytes left, reads as cut short to each of
// the codec's decoders; one whose tail does not read as its length says
// reads so to Decode, which reads the tail, and its head still reads.
func TestAttemptCutShort(t *testing.T) {
	long := fullAttempt()
	long.CallID = strings.Repeat("c", 300)
	c := newAttemptCodec()
	decoders := map[string]func([]byte, *Attempt, *spill.Arena) (int, error){
		"Decode": c.Decode, "DecodeIDs": c.DecodeIDs, "DecodeHead": c.DecodeHead,
	}
	for _, a := range []Attempt{fullAttempt(), long, {}} {
		b := c.Encode(nil, &a)
		for cut := range len(b) {
			for name, decode := range decoders {
				var v Attempt
				var ar spill.Arena
				if n, err := decode(b[:cut], &v, &ar); err != spill.ErrShort {
					t.Fatalf("%s of %d bytes of %d: read %d, %v", name, cut, len(b), n, err)
				}
			}
		}
	}
	// The tail's length, the last of the numbers, a byte less and a byte
	// more than the tail (a byte after it) reads.
	for _, by := range []int{-1, 1} {
		a := fullAttempt()
		b := append(c.Encode(nil, &a), 0)
		at := headWidths
		for w := uint32(b[headFixed]) | uint32(b[headFixed+1])<<8 | uint32(b[headFixed+2])<<16; w > 7; w >>= 3 {
			at += widthBytes[w&7]
		}
		b[at] += byte(by)
		var v Attempt
		var ar spill.Arena
		if _, err := c.Decode(b, &v, &ar); err != spill.ErrShort {
			t.Errorf("Decode of a tail %d bytes off what it reads: %v", by, err)
		}
		if n, err := c.DecodeHead(b, &v, &ar); err != nil || n != len(b)-1+by || v.Time != a.Time || v.Client != a.Client {
			t.Errorf("DecodeHead of a tail %d bytes off what it reads: %d of %d, %v, %+v", by, n, len(b), err, v)
		}
	}
}

// roundTrip writes each value through a log that keeps one page of one
// record in memory, and reads it back.
func roundTrip[T any](t *testing.T, codec spill.Codec[T], fields int, vals ...T) {
	t.Helper()
	var zero T
	if n := reflect.TypeOf(zero).NumField(); n != fields {
		t.Errorf("%T has %d fields; its codec knows %d: teach it the new ones, then this test", zero, n, fields)
	}
	l := spill.New[T](codec, spill.Options{Dir: t.TempDir(), PageItems: 1, Resident: 2})
	vals = append(vals, vals...) // more pages than stay in memory
	for _, v := range vals {
		l.Append(v)
		l.Settle()
	}
	for i, want := range vals {
		if got := l.Get(i); !reflect.DeepEqual(got, want) {
			t.Errorf("%T %d:\n got %+v\nwant %+v", zero, i, got, want)
		}
	}
	if l.Err() != nil || !l.Spilled() {
		t.Fatalf("err %v, spilled %v", l.Err(), l.Spilled())
	}
}

// TestOtherCodecs: the run's other logs keep every field too.
func TestOtherCodecs(t *testing.T) {
	roundTrip(t, newPendingCodec(), 6,
		pendingSample{start: 1_700_000_000_000, connect: 21, class: sampleClass{layer: LayerTCP, status: "refused", failed: true, breach: true},
			sample: SampleRef{Start: 1_700_000_000_000, Elapsed: 30, Label: "connect", Code: "Non HTTP response code: java.net.ConnectException",
				Message: "Connection refused", Thread: "tg 1-3", Host: "gen2", AllThreads: 50, File: 2, Line: 9},
			tref: threadRef{host: 1, own: 50, endMs: 1_700_000_000_030}, linkOnly: true},
		pendingSample{class: sampleClass{layer: LayerHTTP, status: "200"}, tref: threadRef{host: noRef}})
	roundTrip(t, jtlCodec{}, 17,
		jtlRecord{start: 1, end: 2, answered: 3, file: 4, all: 5, line: 6, callID: "c@h", traceID: "t", shape: 7, conc: 8,
			tHost: 9, own: 10, status: 11, layer: LayerWebSocket, outcome: TimedOut, kind: KindError, failed: true},
		jtlRecord{start: -1})
	roundTrip(t, threadRefCodec{}, 3, threadRef{host: noRef}, threadRef{host: 3, own: 200, endMs: -5})
	roundTrip(t, sipRefCodec{}, 3, sipRef{tref: threadRef{host: noRef}},
		sipRef{tref: threadRef{host: 3, own: 200, endMs: -5}, match: ByFlow, lazy: 1 << 31})
	roundTrip(t, lazyCodec{}, 7, lazyDetail{start: 1, elapsed: 2, line: 3, all: 4, file: 5, shape: 6, sampleOnly: true}, lazyDetail{})
}

// FuzzDecode: a page of the temporary file that reads back wrong (a disk
// that lies, a file cut short) makes a codec fail or read within its
// bytes; it never panics.
func FuzzDecode(f *testing.F) {
	ac := newAttemptCodec()
	full := Attempt{Time: 1, CallID: "a@b", Status: "503", Edge: netip.MustParseAddrPort("10.0.0.1:5060"),
		Client: netip.MustParseAddrPort("[fe80::1%eth0]:5"), Detail: &Detail{ReasonPhrase: "Busy", Sample: &SampleRef{Label: "x"}}}
	f.Add(ac.Encode(nil, &full))
	f.Add(ac.Encode(nil, &Attempt{}))
	// Times in ms from Time, and numbers whose varints take all their bytes.
	f.Add(ac.Encode(nil, &Attempt{Time: 1_700_000_000_000_000_000, Answered: 1_700_000_000_003_000_000, Ended: 1_700_000_000_020_000_000,
		Failed: true, Status: "503", lazy: 4_000_000, Concurrency: 1001, Threads: 1302}))
	f.Add(ac.Encode(nil, &Attempt{Time: math.MinInt64, Answered: math.MaxInt64, Ended: 1, Packet: math.MinInt64, lazy: math.MaxUint32}))
	f.Add(ac.Encode(nil, &Attempt{Time: 1_700_000_000_000_000_000, Ended: 1_700_000_000_020_000_000, Last: 1_700_000_000_020_000_017}))
	f.Add(jtlCodec{}.Encode(nil, &jtlRecord{callID: "c", traceID: "t", failed: true}))
	f.Add(newPendingCodec().Encode(nil, &pendingSample{class: sampleClass{status: "refused"}}))
	f.Add(sipRefCodec{}.Encode(nil, &sipRef{tref: threadRef{host: 1, own: 2, endMs: 3}, match: ByFlow, lazy: 9}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var ar spill.Arena
		check := func(n int, err error) {
			if err == nil && (n < 0 || n > len(b)) {
				t.Fatalf("read %d bytes of %d", n, len(b))
			}
		}
		var a, h, ids Attempt
		n, err := ac.Decode(b, &a, &ar)
		check(n, err)
		in, ierr := ac.DecodeIDs(b, &ids, &ar)
		check(in, ierr)
		hn, herr := ac.DecodeHead(b, &h, &ar)
		check(hn, herr)
		// The head, with its IDs or without, reads past exactly what
		// Decode reads, and is the attempt less its Detail, and its IDs;
		// it steps over a tail it does not read, which may be wrong
		// where Decode finds so.
		if err == nil && (ierr != nil || in != n) {
			t.Fatalf("Decode read %d (%v), DecodeIDs %d (%v)", n, err, in, ierr)
		}
		if ierr == nil && (herr != nil || hn != in) {
			t.Fatalf("DecodeIDs read %d (%v), DecodeHead %d (%v)", in, ierr, hn, herr)
		}
		if err == nil {
			trimIDs(&a)
			if !reflect.DeepEqual(a, ids) {
				t.Fatalf("head with IDs %+v, want %+v", ids, a)
			}
			trimHead(&a)
			if !reflect.DeepEqual(a, h) {
				t.Fatalf("head %+v, want %+v", h, a)
			}
		}
		var j jtlRecord
		check(jtlCodec{}.Decode(b, &j, &ar))
		var p pendingSample
		check(newPendingCodec().Decode(b, &p, &ar))
		var r threadRef
		check(threadRefCodec{}.Decode(b, &r, &ar))
		var sr sipRef
		check(sipRefCodec{}.Decode(b, &sr, &ar))
		var d lazyDetail
		check(lazyCodec{}.Decode(b, &d, &ar))
	})
}

// benchAttempts is n attempts shaped as a signalling run's (the 300 MB
// one's records: 64% carry a Detail; times in ns, their distances three
// to six bytes as varints, packets three or four).
func benchAttempts(n int) []Attempt {
	rng := rand.New(rand.NewPCG(1, 2))
	edge, client := netip.MustParseAddrPort("10.20.0.10:5060"), netip.MustParseAddrPort("10.10.0.5:40000")
	out := make([]Attempt, n)
	t := int64(1_700_000_000_000_000_000)
	for i := range out {
		t += rng.Int64N(2_000_000)
		a := Attempt{Time: t, Answered: t + 1 + rng.Int64N(100_000_000), Concurrency: int32(rng.IntN(1200)), Threads: 1000,
			Status: "200", CallID: fmt.Sprintf("8e5b913ce750f14e-t1041-i%06d@10.10.0.5", i), Edge: edge, Client: client,
			Packet: int64(5 * i), Layer: LayerSIP, Outcome: Answered, Source: FromCapture | FromJTL, Match: ByCallID}
		a.Ended = a.Answered + rng.Int64N(20_000_000_000)
		a.Last = a.Ended
		if rng.IntN(3) == 0 {
			a.Layer, a.Status, a.CallID, a.Last = LayerTCP, "open", "", a.Ended+rng.Int64N(1_000_000)
		}
		if rng.IntN(100) < 64 {
			a.Failed, a.Outcome, a.Status = true, Rejected, "503"
			a.Detail = &Detail{ReasonPhrase: "Service Unavailable", Server: "edge", FinalPacket: a.Packet + 3}
		}
		out[i] = a
	}
	return out
}

// BenchmarkAttemptHeads: the passes a run makes over its attempts' heads
// (with their IDs, and without), from a log written as Finish writes its
// own, most of it on disk. Per attempt.
func BenchmarkAttemptHeads(b *testing.B) {
	const n = 1 << 16
	l := spill.New[Attempt](newAttemptCodec(), spill.Options{Dir: b.TempDir(), PageItems: 4096, Resident: 4})
	for _, a := range benchAttempts(n) {
		l.Write(&a)
	}
	codec := l.Codec().(*attemptCodec)
	for _, bc := range []struct {
		name string
		pass func() int64
	}{
		{"heads", func() (sum int64) {
			for _, a := range (&Attempts{log: l}).Heads() {
				sum += a.Time + int64(a.Concurrency)
			}
			return sum
		}},
		{"ids", func() (sum int64) {
			r := l.PartsFrom(0, spill.Part[Attempt]{Decode: codec.DecodeIDs, Trim: trimIDs, Alias: true})
			for {
				_, a, ok := r.Next()
				if !ok {
					return sum
				}
				sum += a.Time + int64(len(a.CallID))
			}
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				bc.pass()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/attempt")
		})
	}
	if l.Err() != nil {
		b.Fatal(l.Err())
	}
}

// TestRefBook: an array or a log, a book reads every attempt unmatched
// until written, then as written, whatever pages went to disk between.
func TestRefBook(t *testing.T) {
	for _, c := range []struct {
		name  string
		o     SpillOptions
		n     int
		inMem bool
	}{
		{"array", SpillOptions{}, 100, true},
		{"pages sized", SpillOptions{Dir: t.TempDir(), PageItems: 8, Pages: 2}, 100, false},
		{"over memRefs", SpillOptions{Dir: t.TempDir()}, memRefs + 1, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := newRefBook(c.n, c.o)
			defer b.Close()
			if got := b.log == nil; got != c.inMem {
				t.Fatalf("in memory %v, want %v", got, c.inMem)
			}
			none := sipRef{tref: threadRef{host: noRef}}
			set := func(i int) sipRef {
				return sipRef{tref: threadRef{host: int32(i % 5), own: int32(i), endMs: int64(i) * 7}, match: ByFlow, lazy: uint32(i)}
			}
			step := max(1, c.n/1000)
			for i := 0; i < c.n; i += step {
				if got := b.read(i); got != none {
					t.Fatalf("new ref %d = %+v, want %+v", i, got, none)
				}
			}
			for i := 0; i < c.n; i += 3 * step {
				*b.at(i) = set(i)
			}
			for i := 0; i < c.n; i += step {
				want := none
				if i%(3*step) == 0 {
					want = set(i)
				}
				if got := b.read(i); got != want {
					t.Fatalf("ref %d = %+v, want %+v", i, got, want)
				}
			}
			if err := b.Err(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestWireCopyWhole: Finish's merge decodes a failure whole only while
// its layer's first failure is to find (layerAcc.wantsWhole), and the
// head of every other attempt; each read is the record as written.
func TestWireCopyWhole(t *testing.T) {
	codec := newAttemptCodec()
	acc := newLayerAcc()
	wc := wireCopy{codec: codec, acc: acc}
	failed := fullAttempt()
	failed.Hop, failed.Layer = 0, LayerSIP
	answered := failed
	answered.Failed, answered.Outcome, answered.Detail = false, Answered, nil
	otherLayer := failed
	otherLayer.Layer = LayerTCP
	for i, c := range []struct {
		name  string
		at    Attempt
		whole bool
	}{
		{"an answer", answered, false},
		{"the layer's first failure", failed, true},
		{"a later failure of the layer", failed, false},
		{"another layer's first failure", otherLayer, true},
		{"its second", otherLayer, false},
	} {
		rec := codec.Encode(nil, &c.at)
		var got Attempt
		n, err := wc.decode(rec, &got, &spill.Arena{})
		if err != nil || n != len(rec) || string(wc.raw) != string(rec) {
			t.Fatalf("%s: read %d of %d bytes (%v), raw %d", c.name, n, len(rec), err, len(wc.raw))
		}
		if whole := got.CallID != ""; whole != c.whole {
			t.Errorf("%s: decoded whole %v, want %v", c.name, whole, c.whole)
		}
		acc.add(i, &got, nil)
	}
}
