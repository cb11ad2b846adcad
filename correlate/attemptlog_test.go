package correlate

import (
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
		Concurrency: 1001, Threads: -1, Status: "503",
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
	}{{Attempt{}, 22}, {Detail{}, 8}, {SampleRef{}, 10}} {
		if n := reflect.TypeOf(typ.v).NumField(); n != typ.want {
			t.Errorf("%T has %d fields; attemptCodec knows %d: teach it the new ones, then this test", typ.v, n, typ.want)
		}
	}
	noSample := full
	d := *full.Detail
	d.Sample = nil
	noSample.Detail = &d
	bare := Attempt{Layer: LayerSIP, Threads: -1}
	l := spill.New[Attempt](newAttemptCodec(), spill.Options{Dir: t.TempDir(), PageItems: 2, Resident: 2})
	want := []Attempt{full, noSample, bare, full, bare}
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
	if l.Err() != nil {
		t.Fatal(l.Err())
	}
}
