package websocket

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ceiling-dev/ceiling/parse/http"
	"github.com/ceiling-dev/ceiling/parse/sip"
)

// The real streams and tshark's dissection of them live with parse/http,
// which extracted them (../http/testdata/README.md): a WebSocket stream
// starts after an HTTP handshake, and these tests go through it as the
// capture stage will, parse/http handing over what follows the 101.
const httpTestdata = "../http/testdata"

// wsSide is one direction of a WebSocket connection of the corpus.
type wsSide struct {
	file       string // the stream file
	fromClient bool
	ext        string // Sec-WebSocket-Extensions of the 101
	bytes      []byte // what came after the handshake
}

// realSides finds the WebSocket sides of the corpus: after a 101 (both
// directions of each such connection), and the nDPI capture that starts
// mid-stream with no handshake at all.
func realSides(t testing.TB) []wsSide {
	t.Helper()
	f, err := os.Open(filepath.Join(httpTestdata, "streams.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type pair struct{ files [2]string }
	var names []string
	conns := map[string]*pair{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		c := strings.Split(sc.Text(), "\t")
		node, _ := strconv.Atoi(c[3])
		name := strings.TrimSuffix(c[0], fmt.Sprintf("-%d.bin", node))
		if conns[name] == nil {
			conns[name] = &pair{}
			names = append(names, name)
		}
		conns[name].files[node] = c[0]
	}
	read := func(file string) []byte {
		if file == "" {
			return nil
		}
		b, err := os.ReadFile(filepath.Join(httpTestdata, "streams", file))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var sides []wsSide
	for _, name := range names {
		p := conns[name]
		a, b := read(p.files[0]), read(p.files[1])
		if name == "ndpi_websocket_midstream_noupgrade-s0" {
			// Node 0 is the server (port 12345): its frames are unmasked.
			sides = append(sides, wsSide{p.files[0], false, "", a}, wsSide{p.files[1], true, "", b})
			continue
		}
		cfile, sfile := p.files[0], p.files[1]
		if !http.LooksLikeRequest(a) {
			a, b = b, a
			cfile, sfile = sfile, cfile
		}
		cp, sp := http.NewRequestParser(nil), http.NewResponseParser(nil)
		var req *http.Request
		var resp *http.Response
		var cUp, sUp []byte
		cUpgraded, sUpgraded := false, false
		onClient := func(evs []http.Event) {
			for _, e := range evs {
				switch e.Kind {
				case http.KindRequest:
					req = e.Request
					sp.ExpectMethod(e.Request.Method)
				case http.KindUpgrade:
					cUpgraded = true
					cUp = append(cUp, e.Data...)
				}
			}
		}
		onClient(cp.Feed(a, 0))
		for _, e := range sp.Feed(b, 0) {
			switch e.Kind {
			case http.KindResponse:
				if e.Response.Code == 101 {
					resp = e.Response
				}
				onClient(cp.Answer(e.Response.Code, 0))
			case http.KindUpgrade:
				sUpgraded = true
				sUp = append(sUp, e.Data...)
			}
		}
		onClient(cp.Close(0))
		if resp == nil || !http.IsWebSocketUpgrade(req) {
			continue
		}
		if !cUpgraded || !sUpgraded {
			t.Fatalf("%s: 101 but no upgrade on both sides", name)
		}
		sides = append(sides, wsSide{cfile, true, resp.WebSocketExtensions, cUp}, wsSide{sfile, false, resp.WebSocketExtensions, sUp})
	}
	return sides
}

// oracleFrames reads the frame lines of ../http/testdata/oracle.tsv, per
// stream file.
func oracleFrames(t testing.TB) map[string][]string {
	f, err := os.Open(filepath.Join(httpTestdata, "oracle.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := map[string][]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		c := strings.SplitN(sc.Text(), "\t", 3)
		if len(c) == 3 && c[1] == "frame" {
			m[c[0]] = append(m[c[0]], c[2])
		}
	}
	return m
}

// sideResult is what the parser made of one side.
type sideResult struct {
	lines    []string // one per frame, in oracle.tsv's form
	messages []*Message
	problems []string
	stats    Stats
	rendered string
}

func parseSide(s wsSide, split splitter) sideResult {
	var r sideResult
	var b strings.Builder
	p := NewParser(Options{FromClient: s.fromClient, Extensions: s.ext})
	// The frame line of each message's first frame, to which its text and
	// close code are added once the message is complete.
	first := map[int64]int{}
	frames := map[int64]Frame{}
	on := func(evs []Event) {
		render(&b, evs)
		for _, e := range evs {
			switch e.Kind {
			case KindFrame:
				f := e.Frame
				first[f.Offset] = len(r.lines)
				frames[f.Offset] = f
				r.lines = append(r.lines, fmt.Sprintf("fin=%d rsv=%d op=%d mask=%d len=%d", b2i(f.Fin), f.RSV, f.Opcode, b2i(f.Masked), f.Length))
			case KindMessage:
				m := e.Message
				r.messages = append(r.messages, m)
				i := first[m.Offset]
				if m.Opcode == OpClose && m.WireLen >= 2 {
					r.lines[i] += fmt.Sprintf(" close=%d", m.CloseCode)
					if m.CloseReason != "" {
						r.lines[i] += " reason=" + jsonString(m.CloseReason)
					}
				}
				if m.Opcode == OpText && m.Frames == 1 && m.Complete && m.InflateErr == "" {
					r.lines[i] += " text=" + jsonString(string(m.Payload[:min(64, len(m.Payload))]))
				}
			case KindProblem:
				r.problems = append(r.problems, e.Err.Error())
			}
		}
	}
	for _, c := range split(s.bytes) {
		on(p.Feed(c, 0))
	}
	on(p.Close(0))
	r.stats = p.Stats()
	r.rendered = b.String()
	return r
}

// jsonString quotes s as oracle.sh's Python does: invalid UTF-8 as
// U+FFFD, no HTML escapes.
func jsonString(s string) string {
	var b strings.Builder
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	e.Encode(strings.ToValidUTF8(s, "\uFFFD"))
	return strings.TrimSuffix(b.String(), "\n")
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// stripText drops the text= field, for a frame tshark dissected further
// (SIP in a text frame) instead of showing it as text.
func stripText(l string) string {
	if i := strings.Index(l, " text="); i >= 0 {
		return l[:i]
	}
	return l
}

// wantProblems pins the violations each side of the corpus commits, as
// the parser reports them.
var wantProblems = map[string][]string{
	// wstunnel's client does not mask its frames (RFC 6455 §5.1: it must).
	"zeek_websocket_wstunnel-http-s0-0.bin": {
		"websocket: offset 0: client frame not masked",
		"websocket: offset 74: client frame not masked",
	},
	// Zeek's crafted close frame carries 256 bytes of reason, with a
	// 64-bit length where 16 bits would do.
	"zeek_websocket_oversized-close-frame-s0-1.bin": {
		"websocket: offset 0: payload length 258 not in its shortest form",
		"websocket: offset 0: close frame of 258 bytes (at most 125)",
	},
}

// TestRealFrames parses both sides of every WebSocket connection of the
// corpus and holds each frame against tshark's dissection: FIN, RSV,
// opcode, mask, length, close code and reason, and the text tshark shows
// (unmasked and inflated). Any way of cutting the bytes gives the same
// events.
func TestRealFrames(t *testing.T) {
	oracle := oracleFrames(t)
	total, byOp, closes := 0, map[Opcode]int{}, map[int]int{}
	for _, s := range realSides(t) {
		res := parseSide(s, whole)
		for _, sp := range []splitter{bytewise, randomSplits(3), randomSplits(11)} {
			if got := parseSide(s, sp); got.rendered != res.rendered {
				t.Errorf("%s: events depend on how the bytes are cut:\n%s\nwhole:\n%s", s.file, got.rendered, res.rendered)
			}
		}
		want := oracle[s.file]
		got := slices.Clone(res.lines)
		for i := range got {
			if i < len(want) && !strings.Contains(want[i], " text=") {
				got[i] = stripText(got[i])
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s:\n got %q\nwant %q (tshark)", s.file, got, want)
		}
		if !slices.Equal(res.problems, wantProblems[s.file]) {
			t.Errorf("%s: problems %q, want %q", s.file, res.problems, wantProblems[s.file])
		}
		total += len(res.lines)
		for op, n := range res.stats.Frames {
			byOp[Opcode(op)] += int(n)
		}
		for _, m := range res.messages {
			if m.Opcode == OpClose {
				closes[m.CloseCode]++
			}
		}
	}
	t.Logf("%d frames agree with tshark; by opcode %v; close codes %v", total, byOp, closes)
}

// TestRealSIP: the SIP-over-WebSocket capture (RFC 7118) carries one SIP
// message per WebSocket message; each parses as SIP, and together they
// are the ones tshark found (shared/corpus/MANIFEST.md).
func TestRealSIP(t *testing.T) {
	var got []string
	for _, s := range realSides(t) {
		if !strings.HasPrefix(s.file, "heplify_sip_tcp_websocket") {
			continue
		}
		for _, m := range parseSide(s, whole).messages {
			if m.Opcode != OpText {
				continue
			}
			msg, _, err := sip.Parse(m.Payload, &sip.Options{Datagram: true})
			if err != nil || msg == nil {
				t.Errorf("%s @%d: not SIP: %v", s.file, m.Offset, err)
				continue
			}
			if msg.Request {
				got = append(got, msg.Method)
			} else {
				got = append(got, strconv.Itoa(msg.StatusCode))
			}
		}
	}
	slices.Sort(got)
	// INVITE/ws×2, ACK/ws×2, 200/ws×2, 407/ws×1, 100/ws×1, 180/ws×1,
	// 183/ws×1, BYE/ws×1.
	want := []string{"100", "180", "183", "200", "200", "407", "ACK", "ACK", "BYE", "INVITE", "INVITE"}
	if !slices.Equal(got, want) {
		t.Errorf("SIP over WebSocket: %q, tshark %q", got, want)
	}
}
