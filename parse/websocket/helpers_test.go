package websocket

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// frame builds one frame: fin, the reserved bits, the opcode, a masking
// key (nil: unmasked) and the payload, with the shortest length form.
func frame(fin bool, rsv uint8, op Opcode, key []byte, payload []byte) []byte {
	var b []byte
	b0 := rsv<<4 | byte(op)
	if fin {
		b0 |= 0x80
	}
	b = append(b, b0)
	var m byte
	if key != nil {
		m = 0x80
	}
	switch n := len(payload); {
	case n < 126:
		b = append(b, m|byte(n))
	case n <= 0xffff:
		b = append(b, m|126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, m|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	if key == nil {
		return append(b, payload...)
	}
	b = append(b, key...)
	for i, c := range payload {
		b = append(b, c^key[i&3])
	}
	return b
}

var key = []byte{0x37, 0xfa, 0x21, 0x3d}

func closePayload(code uint16, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, code), reason...)
}

// op is one step of a scripted stream.
type op struct {
	data  []byte
	gap   int64
	close bool
}

func feed(b ...[]byte) op { return op{data: bytes.Join(b, nil)} }
func gap(n int64) op      { return op{gap: n} }
func closeOp() op         { return op{close: true} }

type splitter func([]byte) [][]byte

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
// stats. Chunks are scribbled over after each Feed, so that a parser
// keeping the caller's bytes shows.
func run(o Options, ops []op, split splitter) string {
	p := NewParser(o)
	var b strings.Builder
	for _, o := range ops {
		switch {
		case o.data != nil:
			for _, c := range split(o.data) {
				buf := append([]byte(nil), c...)
				render(&b, p.Feed(buf, 1))
				for i := range buf {
					buf[i] = '#'
				}
			}
		case o.gap != 0:
			render(&b, p.Gap(o.gap, 1))
		case o.close:
			render(&b, p.Close(1))
		}
	}
	st := p.Stats()
	var frames []string
	for op, n := range st.Frames {
		if n > 0 {
			frames = append(frames, fmt.Sprintf("%v:%d", Opcode(op), n))
		}
	}
	fmt.Fprintf(&b, "stats: bytes=%d gap=%d frames=%v messages=%d problems=%d mask=%d inflated=%d inflate-failed=%d stopped=%v unparsed=%d\n",
		st.Bytes, st.GapBytes, frames, st.Messages, st.Problems, st.MaskViolations, st.Inflated, st.InflateFailed, st.Stopped, st.Unparsed)
	// Released, so that the next run may get this parser back: whatever
	// a parser keeps across Release must not change what it reports.
	p.Release()
	return b.String()
}

func render(w *strings.Builder, evs []Event) {
	for _, e := range evs {
		switch e.Kind {
		case KindFrame:
			f := e.Frame
			fmt.Fprintf(w, "frame @%d: fin=%v rsv=%03b %v masked=%v len=%d header=%d\n", f.Offset, f.Fin, f.RSV, f.Opcode, f.Masked, f.Length, f.HeaderLen)
		case KindMessage:
			m := e.Message
			pl := m.Payload
			more := ""
			if len(pl) > 80 {
				pl, more = pl[:80], "…"
			}
			fmt.Fprintf(w, "message @%d: %v frames=%d complete=%v compressed=%v wire=%d len=%d gap=%d payload=%q%s (%d kept) truncated=%v",
				m.Offset, m.Opcode, m.Frames, m.Complete, m.Compressed, m.WireLen, m.Len, m.Gap, pl, more, len(m.Payload), m.Truncated)
			if m.InflateErr != "" {
				fmt.Fprintf(w, " inflate-err=%q", m.InflateErr)
			}
			if m.Opcode == OpClose {
				fmt.Fprintf(w, " close=%d reason=%q", m.CloseCode, m.CloseReason)
			}
			w.WriteByte('\n')
		case KindProblem:
			fmt.Fprintf(w, "problem @%d: [%v] %s fatal=%v\n", e.Offset, e.Err.Err, e.Err.Reason, e.Err.Fatal)
		default:
			fmt.Fprintf(w, "BAD KIND %d\n", e.Kind)
		}
	}
}

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
