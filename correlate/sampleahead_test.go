package correlate

import (
	"fmt"
	"testing"

	"github.com/ceiling-dev/ceiling/parse/jtl"
)

// TestTouchShapes: the read-ahead reads the set of the shape cache where
// shapeOf files a sample's strings, empty ones among them (one cut from
// a longer string, whose bytes lie somewhere all the same), and the
// thread names of one length and of another.
func TestTouchShapes(t *testing.T) {
	row := "Call SIP503Service UnavailableSIP callers 1-10gen-1"
	for _, s := range []jtl.Sample{
		{Label: row[:8], Code: row[8:11], Message: row[11:30], Thread: row[30:45], Host: row[45:]},
		{Label: row[:8], Code: row[8:11], Message: row[11:11], Thread: row[30:45], Host: row[45:]},
		{Label: row[:8], Code: row[8:11], Message: row[11:30], Thread: row[30:44], Host: row[45:]},
		{Label: row[:8], Thread: row[30:45]},
		{},
	} {
		b := &jtlBook{}
		b.shapeOf(&SampleRef{}) // the cache, made at the first shape
		ref := SampleRef{Label: s.Label, Code: s.Code, Message: s.Message, Thread: s.Thread, Host: s.Host}
		i := b.shapeOf(&ref)
		if got := b.touchShapes([]jtl.Sample{s}); got != uint64(i)+1 {
			t.Errorf("%+v: touchShapes read %d, want the entry shapeOf filed, %d", s, got, i+1)
		}
	}
}

// TestReadAheadSamples: the look-up made ahead for each sample is the one
// AddSample's join makes, in the index it looks in: by Call-ID when the
// capture's SIP attempts were indexed, by trace ID when there are trace
// IDs to look in, none otherwise (an earlier batch's gone); and it holds
// whether the ID is there or not.
func TestReadAheadSamples(t *testing.T) {
	ids := []string{}
	idOf := func(i int32) string { return ids[i] }
	for i := range 200 {
		ids = append(ids, fmt.Sprintf("id-%d", i))
	}
	index := func(from, to int) *idIndex {
		x := newIDIndex(idOf)
		for i := from; i < to; i++ {
			x.put(ids[i], int32(i))
		}
		return x
	}
	samples := []jtl.Sample{
		{CallID: "id-3"},
		{CallID: "id-3", TraceID: "id-150"},
		{TraceID: "id-150"},
		{CallID: "id-none", TraceID: "id-160"},
		{TraceID: "id-none"},
		{},
	}
	for _, tc := range []struct {
		name        string
		call, trace *idIndex
		want        []string // the index each sample is looked up in
	}{
		{"both", index(0, 100), index(100, 200), []string{"call", "call", "trace", "call", "trace", ""}},
		{"no calls", index(0, 0), index(100, 200), []string{"", "trace", "trace", "trace", "trace", ""}},
		{"no traces", index(0, 100), index(0, 0), []string{"call", "call", "", "call", "", ""}},
		{"neither", index(0, 0), index(0, 0), []string{"", "", "", "", "", ""}},
	} {
		a := &Analyzer{callIndex: tc.call, traceIndex: tc.trace}
		// What an earlier batch left, had it not been cleared.
		for range samples {
			a.hashes = append(a.hashes, idMemo{x: tc.call, id: "id-3", run: keyRun{1, 2}})
		}
		a.readAheadSamples(samples)
		for i, s := range samples {
			m := a.hashes[i]
			x, id := map[string]*idIndex{"call": tc.call, "trace": tc.trace, "": nil}[tc.want[i]], s.CallID
			switch tc.want[i] {
			case "trace":
				id = s.TraceID
			case "":
				id = ""
			}
			if m.x != x || m.id != id {
				t.Errorf("%s: sample %d looked up %q in %p, want %q in %p", tc.name, i, m.id, m.x, id, x)
				continue
			}
			if x != nil && m.run != x.find(id) {
				t.Errorf("%s: sample %d: run %v, want %v", tc.name, i, m.run, x.find(id))
			}
		}
	}
}
