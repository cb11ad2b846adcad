package correlate

import (
	"math"
	"net/netip"
	"reflect"
	"testing"

	"github.com/ceiling-dev/ceiling/internal/spill"
)

// TestAttemptCodec: an attempt with every field set comes back equal
// from the log's file, Detail and sample included; and the codec knows
// every field (a field added to Attempt, Detail or SampleRef and not to
// the codec fails here rather than vanish from spilled runs).
func TestAttemptCodec(t *testing.T) {
	full := Attempt{
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
	l := spill.New[Attempt](newAttemptCodec(), spill.Options{Dir: t.TempDir(), PageItems: 2, Resident: 2})
	want := []Attempt{full, noSample, bare, full, extreme, unanswered, millis, wrapMillis, quiet, lastOnly, bare}
	for _, a := range want {
		l.Append(a)
		l.Settle()
	}
	if !l.Spilled() {
		t.Fatal("nothing went to the file")
	}
	for i := range want {
		if got := l.Get(i); !reflect.DeepEqual(got, want[i]) {
			t.Errorf("attempt %d:\n got %+v\nwant %+v", i, got, want[i])
		}
	}
	// Heads from the file, and from memory (the last page), are the
	// attempts less their IDs and Detail.
	l.Heads(func(i int, h *Attempt) bool {
		head := want[i]
		head.CallID, head.TraceID, head.Detail = "", "", nil
		if !reflect.DeepEqual(*h, head) {
			t.Errorf("head %d:\n got %+v\nwant %+v", i, *h, head)
		}
		return true
	})
	if l.Err() != nil {
		t.Fatal(l.Err())
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
				if i != next || !reflect.DeepEqual(a, head) {
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
		// The head, with its IDs or without, reads past exactly what
		// Decode reads, and is the attempt less its Detail, and its IDs.
		in, ierr := ac.DecodeIDs(b, &ids, &ar)
		if (err == nil) != (ierr == nil) || (err == nil && in != n) {
			t.Fatalf("Decode read %d (%v), DecodeIDs %d (%v)", n, err, in, ierr)
		}
		hn, herr := ac.DecodeHead(b, &h, &ar)
		if (err == nil) != (herr == nil) || (err == nil && hn != n) {
			t.Fatalf("Decode read %d (%v), DecodeHead %d (%v)", n, err, hn, herr)
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
