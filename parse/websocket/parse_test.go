package websocket

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func unhex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// Three SIP messages deflated by compress/flate, sync-flushed and
// stripped of the flush tail as permessage-deflate sends them: first with
// the context taken over from message to message (the second and third
// refer back to the first), then each compressed alone.
var (
	deflated = [][]byte{
		unhex("f2f40bf30c715528ce2cb04aca4f7248ad48cc2dc849d54bcecf5508f60cd037d233e0e5724eccc9d1f574b15248b43049324936374b35333337044904a7165a29181b9a189a5a2a404ce2e5e2e50200"),
		unhex("22df4c436433cd0c90cc0400"),
		unhex("826a5430353056084e2d2acb4c4e5508cd4b2c4bcccc494cca4925dd400000"),
	}
	deflatedAlone = [][]byte{
		unhex("f2f40bf30c715528ce2cb04aca4f7248ad48cc2dc849d54bcecf5508f60cd037d233e0e5724eccc9d1f574b15248b43049324936374b35333337044904a7165a29181b9a189a5a2a404ce2e5e2e50200"),
		unhex("f2f40bf30c715528ce2cb04aca4f7248ad48cc2dc849d54bcecf5508f60cd037d233e0e5724eccc9d1f574b15248b43049324936374b3533333734e4e5720e4e2db452303634313433508098c4cbc5cb0500"),
		unhex("0af60cd037d2335030353056084e2d2acb4c4e5508cd4b2c4bcccc494cca49e5e5724eccc9d1f574b15248b43049324936374b3533333734e4e5720e4e2db45230363431343350f0f40bf30c71e5e5e2e50200"),
	}
)

const deflateExt = "permessage-deflate; client_max_window_bits=15"

type frameCase struct {
	name string
	opts Options
	ops  []op
}

var (
	client = Options{FromClient: true}
	server = Options{}
	b256   = bytes.Repeat([]byte("0123456789abcdef"), 16)
	b64k   = bytes.Repeat([]byte("x"), 65536)
)

var frameCases = []frameCase{
	// RFC 6455 §5.7's examples.
	{"rfc-masked-hello", client, []op{feed(unhex("818537fa213d7f9f4d5158"))}},
	{"rfc-unmasked-hello", server, []op{feed(unhex("810548656c6c6f"))}},
	{"rfc-fragmented-with-ping", server, []op{feed(unhex("010348656c"), unhex("890548656c6c6f"), unhex("80026c6f"))}},
	{"rfc-256-and-64k", server, []op{feed(frame(true, 0, OpBinary, nil, b256), frame(true, 0, OpBinary, nil, b64k))}},
	{"ping-pong", client, []op{feed(frame(true, 0, OpPing, key, []byte("are you there")), frame(true, 0, OpPong, key, nil))}},
	{"empty-messages", server, []op{feed(frame(true, 0, OpText, nil, nil), frame(false, 0, OpBinary, nil, nil), frame(true, 0, OpContinuation, nil, nil))}},
	{"close-normal", client, []op{feed(frame(true, 0, OpClose, key, closePayload(1000, "bye")))}},
	{"close-empty", server, []op{feed(frame(true, 0, OpClose, nil, nil))}},
	{"close-one-byte", server, []op{feed(frame(true, 0, OpClose, nil, []byte{3}))}},
	{"close-codes", server, []op{feed(
		frame(true, 0, OpClose, nil, closePayload(1001, "going away")),
		frame(true, 0, OpClose, nil, closePayload(1009, "too big")),
		frame(true, 0, OpClose, nil, closePayload(1006, "never on the wire")),
		frame(true, 0, OpClose, nil, closePayload(1005, "")),
		frame(true, 0, OpClose, nil, closePayload(999, "")),
		frame(true, 0, OpClose, nil, closePayload(3000, "app")),
		frame(true, 0, OpClose, nil, closePayload(5000, "")),
		frame(true, 0, OpClose, nil, closePayload(1000, "\xff\xfe")))}},
	{"close-200-bytes", server, []op{feed(frame(true, 0, OpClose, nil, closePayload(1000, strings.Repeat("C", 198))))}},
	{"control-fragmented", server, []op{feed(frame(false, 0, OpPing, nil, []byte("x")))}},
	{"mask-violations", server, []op{feed(frame(true, 0, OpText, key, []byte("masked by the server")))}},
	{"mask-violations-client", client, []op{feed(frame(true, 0, OpText, nil, []byte("unmasked from the client")))}},
	{"reserved-opcodes", server, []op{feed(frame(true, 0, 3, nil, []byte("three")), frame(true, 0, 0xB, nil, []byte("eleven")), frame(true, 0, OpText, nil, []byte("ok")))}},
	{"reserved-bits", server, []op{feed(frame(true, RSV2|RSV3, OpText, nil, []byte("a")), frame(true, RSV1, OpText, nil, []byte("b")))}},
	{"orphan-continuation", server, []op{feed(frame(true, 0, OpContinuation, nil, []byte("lost")), frame(true, 0, OpText, nil, []byte("ok")))}},
	{"new-message-mid-fragment", server, []op{feed(frame(false, 0, OpText, nil, []byte("first ")), frame(true, 0, OpBinary, nil, []byte("second")))}},
	{"after-close", server, []op{feed(frame(true, 0, OpClose, nil, closePayload(1000, "")), frame(true, 0, OpText, nil, []byte("late")))}},
	{"non-minimal-length", server, []op{feed(unhex("817e0005")[:4], []byte("hello"), unhex("827f0000000000000003"), []byte("abc"))}},
	{"length-2^63", server, []op{feed(unhex("827f8000000000000000"), []byte("the rest is never framed"))}},
	{"gap-in-payload", client, []op{feed(frame(true, 0, OpText, key, []byte("0123456789"))[:10]), gap(4), feed(frame(true, 0, OpText, key, []byte("0123456789"))[14:], frame(true, 0, OpText, key, []byte("next")))}},
	{"gap-ends-frame", server, []op{feed(frame(true, 0, OpText, nil, []byte("0123456789"))[:7]), gap(5), feed(frame(true, 0, OpText, nil, []byte("next")))}},
	{"gap-in-fragmented", server, []op{feed(frame(false, 0, OpText, nil, []byte("0123456789"))[:7]), gap(5), feed(frame(true, 0, OpContinuation, nil, []byte("tail")))}},
	{"gap-across-boundary", server, []op{feed(frame(false, 0, OpText, nil, []byte("0123456789"))[:7]), gap(20), feed([]byte("anything"))}},
	{"gap-in-header", server, []op{feed([]byte{0x81}), gap(1), feed([]byte("hello"))}},
	{"gap-in-close", server, []op{feed(frame(true, 0, OpClose, nil, closePayload(1000, "reason"))[:5]), gap(2), feed(frame(true, 0, OpClose, nil, closePayload(1000, "reason"))[7:])}},
	{"close-mid-header", server, []op{feed(unhex("817e00")), closeOp()}},
	{"close-mid-payload", server, []op{feed(frame(false, 0, OpText, nil, []byte("first ")), frame(true, 0, OpContinuation, nil, []byte("second"))[:5]), closeOp(), feed([]byte("ignored"))}},
	{"max-message", Options{MaxMessage: 8}, []op{feed(frame(false, 0, OpText, nil, []byte("0123456")), frame(true, 0, OpContinuation, nil, []byte("789abc")))}},
	{"deflate-takeover", Options{Extensions: deflateExt}, []op{feed(
		frame(true, RSV1, OpText, nil, deflated[0]), frame(true, RSV1, OpText, nil, deflated[1]),
		frame(true, 0, OpText, nil, []byte("not compressed")), frame(true, RSV1, OpText, nil, deflated[2]))}},
	{"deflate-takeover-client-masked", Options{FromClient: true, Extensions: deflateExt}, []op{feed(
		frame(true, RSV1, OpText, key, deflated[0]), frame(true, RSV1, OpText, key, deflated[1]), frame(true, RSV1, OpText, key, deflated[2]))}},
	{"deflate-no-takeover", Options{Extensions: "permessage-deflate; server_no_context_takeover"}, []op{feed(
		frame(true, RSV1, OpText, nil, deflatedAlone[0]), frame(true, RSV1, OpText, nil, deflatedAlone[1]), frame(true, RSV1, OpText, nil, deflatedAlone[2]))}},
	{"deflate-fragmented", Options{Extensions: deflateExt}, []op{feed(
		frame(false, RSV1, OpText, nil, deflated[0][:20]), frame(true, 0, OpPing, nil, nil), frame(false, 0, OpContinuation, nil, deflated[0][20:40]), frame(true, 0, OpContinuation, nil, deflated[0][40:]))}},
	{"deflate-rsv1-on-continuation", Options{Extensions: deflateExt}, []op{feed(frame(false, 0, OpText, nil, []byte("a")), frame(true, RSV1, OpContinuation, nil, []byte("b")))}},
	{"deflate-context-lost", Options{Extensions: deflateExt}, []op{feed(frame(true, RSV1, OpText, nil, deflated[0])[:20]), gap(10),
		feed(frame(true, RSV1, OpText, nil, deflated[0])[30:], frame(true, RSV1, OpText, nil, deflated[1]))}},
	{"deflate-corrupt", Options{Extensions: "permessage-deflate; server_no_context_takeover"}, []op{feed(frame(true, RSV1, OpBinary, nil, []byte{0xff, 0xff, 0xff, 0xff}), frame(true, RSV1, OpText, nil, deflatedAlone[1]))}},
	{"deflate-too-big", Options{Extensions: deflateExt, MaxCompressed: 16}, []op{feed(frame(true, RSV1, OpText, nil, deflated[0]), frame(true, RSV1, OpText, nil, deflated[1]))}},
	{"deflate-cut-by-close", Options{Extensions: deflateExt}, []op{feed(frame(false, RSV1, OpText, nil, deflated[0][:30])), closeOp()}},
	{"deflate-not-negotiated", Options{Extensions: "x-webkit-deflate-frame"}, []op{feed(frame(true, RSV1, OpText, nil, deflated[0]))}},
}

// TestFrames plays each case whole, a byte at a time and in random
// pieces: the events must not depend on the cuts; a golden file pins them.
func TestFrames(t *testing.T) {
	for _, c := range frameCases {
		t.Run(c.name, func(t *testing.T) {
			want := run(c.opts, c.ops, whole)
			if got := run(c.opts, c.ops, bytewise); got != want {
				t.Errorf("byte at a time:\n%s\nwhole:\n%s", got, want)
			}
			for seed := uint64(1); seed <= 20; seed++ {
				if got := run(c.opts, c.ops, randomSplits(seed)); got != want {
					t.Fatalf("random splits (seed %d):\n%s\nwhole:\n%s", seed, got, want)
				}
			}
			golden(t, c.name, want)
		})
	}
}

func TestParseExtensions(t *testing.T) {
	for _, c := range []struct {
		in    string
		want  *Deflate
		names string
	}{
		{"", nil, ""},
		{"permessage-deflate", &Deflate{}, "permessage-deflate"},
		{"Permessage-Deflate; client_max_window_bits=10 ; server_no_context_takeover", &Deflate{ServerNoContextTakeover: true, ClientMaxWindowBits: 10}, "permessage-deflate"},
		{`foo; a="x,y", permessage-deflate; client_no_context_takeover; server_max_window_bits="12"`, &Deflate{ClientNoContextTakeover: true, ServerMaxWindowBits: 12}, "foo permessage-deflate"},
		{"permessage-deflate; client_max_window_bits, permessage-deflate; server_no_context_takeover", &Deflate{}, "permessage-deflate permessage-deflate"},
		{"x-webkit-deflate-frame", nil, "x-webkit-deflate-frame"},
	} {
		d, names := ParseExtensions(c.in)
		if (d == nil) != (c.want == nil) || d != nil && *d != *c.want || strings.Join(names, " ") != c.names {
			t.Errorf("ParseExtensions(%q) = %+v %q, want %+v %q", c.in, d, names, c.want, c.names)
		}
	}
}

// TestDeflateBomb sends a message that inflates to 1 GiB: the parser
// stops at MaxInflate, keeps MaxMessage bytes, and the next message, which
// may refer back into the bomb, is not inflated either.
func TestDeflateBomb(t *testing.T) {
	var comp bytes.Buffer
	w, _ := flate.NewWriter(&comp, flate.BestCompression)
	zeros := make([]byte, 1<<20)
	for range 1024 {
		w.Write(zeros)
	}
	w.Flush()
	bomb := bytes.TrimSuffix(comp.Bytes(), []byte{0, 0, 0xff, 0xff})
	p := NewParser(Options{Extensions: "permessage-deflate"})
	var msgs []*Message
	var probs []error
	for _, e := range p.Feed(append(frame(true, RSV1, OpBinary, nil, bomb), frame(true, RSV1, OpText, nil, deflated[0])...), 1) {
		switch e.Kind {
		case KindMessage:
			msgs = append(msgs, e.Message)
		case KindProblem:
			probs = append(probs, e.Err)
		}
	}
	if len(msgs) != 2 || len(probs) != 2 {
		t.Fatalf("%d messages, problems %v", len(msgs), probs)
	}
	m := msgs[0]
	if m.Len != DefaultMaxInflate || len(m.Payload) != DefaultMaxMessage || !m.Truncated || m.InflateErr == "" || !errors.Is(probs[0], ErrInflate) {
		t.Errorf("bomb: len %d kept %d truncated %v err %q", m.Len, len(m.Payload), m.Truncated, m.InflateErr)
	}
	if msgs[1].InflateErr == "" || msgs[1].Len != 0 {
		t.Errorf("message after the bomb inflated: %+v", msgs[1])
	}
	t.Logf("%d compressed bytes (%d MiB inflated) stopped at %d bytes: %v", len(bomb), 1024, m.Len, probs[0])
}

// TestHugeFrame: a 1 GiB binary frame announced and mostly lost is
// counted, never allocated.
func TestHugeFrame(t *testing.T) {
	p := NewParser(Options{})
	hdr := binary.BigEndian.AppendUint64([]byte{0x82, 127}, 1<<30)
	var evs []Event
	allocs := testing.AllocsPerRun(1, func() {
		p = NewParser(Options{})
		evs = append(evs[:0], p.Feed(append(hdr, "first bytes"...), 1)...)
		evs = append(evs, p.Gap(1<<30-22, 1)...)
		evs = append(evs, p.Feed([]byte("last bytes!"), 1)...)
	})
	if allocs > 20 {
		t.Errorf("%v allocations", allocs)
	}
	m := evs[len(evs)-1].Message
	if m == nil || m.WireLen != 1<<30 || m.Gap != 1<<30-22 || string(m.Payload) != "first bytes" || !m.Complete {
		t.Errorf("events %+v", evs)
	}
}

// TestConcurrentInflate runs compressed streams on several goroutines at
// once: the flate decoders are shared through a pool, the contexts are
// not (go test -race).
func TestConcurrentInflate(t *testing.T) {
	var stream []byte
	for _, d := range deflated {
		stream = append(stream, frame(true, RSV1, OpText, nil, d)...)
	}
	want := run(Options{Extensions: deflateExt}, []op{feed(stream)}, whole)
	done := make(chan string)
	for g := range 8 {
		go func() {
			var got string
			for range 50 {
				got = run(Options{Extensions: deflateExt}, []op{feed(stream)}, randomSplits(uint64(g)))
				if got != want {
					break
				}
			}
			done <- got
		}()
	}
	for range 8 {
		if got := <-done; got != want {
			t.Fatalf("concurrent run:\n%s\nwant:\n%s", got, want)
		}
	}
}

// TestXorMask checks the unmasking against the rule (RFC 6455 §5.3: byte
// i XOR key[i mod 4]) over lengths around the loops' steps (32 and 8
// bytes), from every key position, in place and into another buffer.
func TestXorMask(t *testing.T) {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 40, 63, 127, 128, 129, 255, 256, 1000, 4097} {
		for pos := range 4 {
			src := make([]byte, n)
			for i := range src {
				src[i] = byte(i*7 + n)
			}
			want := make([]byte, n)
			for i := range want {
				want[i] = src[i] ^ key[(pos+i)&3]
			}
			into := make([]byte, n)
			xorMask(into, src, key, pos)
			inPlace := bytes.Clone(src)
			xorMask(inPlace, inPlace, key, pos)
			appended := appendUnmasked([]byte("head"), src, key, pos)
			if !bytes.Equal(into, want) || !bytes.Equal(inPlace, want) || string(appended[:4]) != "head" || !bytes.Equal(appended[4:], want) {
				t.Errorf("%d bytes from key position %d: unmasked wrongly", n, pos)
			}
		}
	}
}
