package http

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// op is one step of a scripted stream: bytes, a gap, an answer, an
// expected method, or the end.
type op struct {
	data   []byte
	gap    int64
	answer int
	expect string
	close  bool
}

func feed(s string) op   { return op{data: []byte(s)} }
func gap(n int64) op     { return op{gap: n} }
func answer(code int) op { return op{answer: code} }
func expect(m string) op { return op{expect: m} }
func closeOp() op        { return op{close: true} }

// side is what the tests need of either parser.
type side interface {
	Feed([]byte, int64) []Event
	Gap(int64, int64) []Event
	Close(int64) []Event
	Stats() Stats
}

// splitter cuts one feed into chunks.
type splitter func(b []byte) [][]byte

func whole(b []byte) [][]byte { return [][]byte{b} }

func bytewise(b []byte) [][]byte {
	out := make([][]byte, len(b))
	for i := range b {
		out[i] = b[i : i+1]
	}
	return out
}

func randomSplits(seed uint64) splitter {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	return func(b []byte) [][]byte {
		var out [][]byte
		for len(b) > 0 {
			n := 1 + r.IntN(min(len(b), 1+r.IntN(64)))
			out = append(out, b[:n])
			b = b[n:]
		}
		return out
	}
}

// run plays a script on a fresh parser and renders every event and the
// final stats. Each chunk is copied into a buffer that is then scribbled
// over, so that a parser keeping a reference to the caller's bytes shows.
func run(t testing.TB, resp bool, o *Options, ops []op, split splitter) string {
	return runRecycling(t, resp, o, ops, split, false)
}

// runRecycling is run; with recycle, every message is given back to
// o.Blocks once its end is rendered, as a capture done with it would.
func runRecycling(t testing.TB, resp bool, o *Options, ops []op, split splitter, recycle bool) string {
	r := renderer{recycle: recycle}
	if recycle {
		r.blocks = o.Blocks
	}
	var p side
	var rp *RequestParser
	var sp *ResponseParser
	if resp {
		sp = NewResponseParser(o)
		p = sp
	} else {
		rp = NewRequestParser(o)
		p = rp
	}
	var now int64 = 1_700_000_000_000_000_000
	for _, o := range ops {
		switch {
		case o.data != nil:
			for _, c := range split(o.data) {
				buf := append([]byte(nil), c...)
				r.add(p.Feed(buf, now))
				for i := range buf {
					buf[i] = '#'
				}
			}
		case o.gap != 0:
			r.add(p.Gap(o.gap, now))
		case o.answer != 0:
			if rp != nil {
				r.add(rp.Answer(o.answer, now))
			}
		case o.expect != "":
			if sp != nil {
				sp.ExpectMethod(o.expect)
			}
		case o.close:
			r.add(p.Close(now))
		}
	}
	r.flush()
	st := p.Stats()
	fmt.Fprintf(&r.b, "stats: bytes=%d gap=%d heads=%d problems=%d resyncs=%d skipped=%d badlines=%d unmatched=%d guessed=%d upgraded=%d\n",
		st.Bytes, st.GapBytes, st.Heads, st.Problems, st.Resyncs, st.Skipped, st.BadHeaderLines, st.Unmatched, st.Guessed, st.UpgradeBytes)
	// Released, so that the next run may get this parser back: whatever
	// a parser keeps across Release must not change what it reports.
	if rp != nil {
		rp.Release()
	} else {
		sp.Release()
	}
	return r.b.String()
}

// renderer writes events as text, merging consecutive upgraded data so
// that the rendering does not depend on how the input was cut.
type renderer struct {
	b       strings.Builder
	up      []byte
	upOff   int64
	pending bool
	recycle bool
	blocks  *Blocks
}

func (r *renderer) flush() {
	if r.pending {
		s := r.up
		more := ""
		if len(s) > 80 {
			s, more = s[:80], fmt.Sprintf("…(%d bytes)", len(r.up))
		}
		fmt.Fprintf(&r.b, "upgrade-data @%d %q%s\n", r.upOff, s, more)
		r.up, r.pending = r.up[:0], false
	}
}

func (r *renderer) add(evs []Event) {
	for _, e := range evs {
		if e.Kind == KindUpgrade && len(e.Data) > 0 {
			if !r.pending {
				r.pending, r.upOff = true, e.Offset
			}
			r.up = append(r.up, e.Data...)
			continue
		}
		r.flush()
		r.event(e)
		if r.recycle && e.Kind == KindEnd {
			r.blocks.RecycleRequest(e.Request)
			r.blocks.RecycleResponse(e.Response)
		}
	}
}

func (r *renderer) event(e Event) {
	w := &r.b
	switch e.Kind {
	case KindRequest:
		q := e.Request
		fmt.Fprintf(w, "request @%d: %q %q %q host=%q cl=%d chunked=%v headers=%d", q.Offset, q.Method, q.Target, q.Proto, q.Host, q.ContentLength, q.Chunked, len(q.Headers))
		if q.Upgrade != "" || q.Connection != "" {
			fmt.Fprintf(w, " upgrade=%q connection=%q", q.Upgrade, q.Connection)
		}
		if q.WebSocketKey != "" || q.WebSocketProtocol != "" || q.WebSocketVersion != "" || q.WebSocketExtensions != "" {
			fmt.Fprintf(w, " ws-key=%q ws-protocol=%q ws-version=%q ws-ext=%q websocket=%v", q.WebSocketKey, q.WebSocketProtocol, q.WebSocketVersion, q.WebSocketExtensions, IsWebSocketUpgrade(q))
		}
		if len(q.TraceIDs) > 0 {
			fmt.Fprintf(w, " trace=%q", q.TraceIDs)
		}
	case KindResponse:
		s := e.Response
		fmt.Fprintf(w, "response @%d: %q %d %q method=%q cl=%d chunked=%v headers=%d retry-after=%d", s.Offset, s.Proto, s.Code, s.Reason, s.Method, s.ContentLength, s.Chunked, len(s.Headers), s.RetryAfter)
		if s.Upgrade != "" || s.Connection != "" {
			fmt.Fprintf(w, " upgrade=%q connection=%q", s.Upgrade, s.Connection)
		}
		if s.WebSocketAccept != "" || s.WebSocketProtocol != "" || s.WebSocketExtensions != "" {
			fmt.Fprintf(w, " ws-accept=%q ws-protocol=%q ws-ext=%q", s.WebSocketAccept, s.WebSocketProtocol, s.WebSocketExtensions)
		}
		if len(s.TraceIDs) > 0 {
			fmt.Fprintf(w, " trace=%q", s.TraceIDs)
		}
	case KindEnd:
		var b *Body
		what := ""
		if e.Request != nil {
			b, what = &e.Request.Body, "request"
		} else {
			b, what = &e.Response.Body, "response"
		}
		if b.End != e.Offset {
			fmt.Fprintf(w, "MISMATCH body end %d ", b.End)
		}
		fmt.Fprintf(w, "end @%d: %s body len=%d gap=%d complete=%v head=%q", e.Offset, what, b.Len, b.Gap, b.Complete, b.Head)
	case KindUpgrade:
		if e.Gap > 0 {
			fmt.Fprintf(w, "upgrade-gap @%d %d", e.Offset, e.Gap)
		} else {
			fmt.Fprintf(w, "upgrade @%d", e.Offset)
		}
	case KindProblem:
		fmt.Fprintf(w, "problem @%d: [%v] %s", e.Offset, e.Err.Err, e.Err.Reason)
		if e.Err.Offset != e.Offset {
			fmt.Fprintf(w, " MISMATCH err offset %d", e.Err.Offset)
		}
	default:
		fmt.Fprintf(w, "BAD KIND %d", e.Kind)
	}
	w.WriteByte('\n')
}

// golden compares got with testdata/golden/name.golden, or rewrites it
// with -update. A mismatch leaves name.got beside it.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(want, []byte(got)) {
		os.WriteFile(path[:len(path)-len(".golden")]+".got", []byte(got), 0o644)
		t.Errorf("%s differs from the golden file; see %s.got\n--- got\n%s", name, name, got)
	}
}
