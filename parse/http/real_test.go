package http

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// streamFile is one line of testdata/streams.tsv (written by extract.sh).
type streamFile struct {
	file, capture, stream string
	node                  int
	addr                  string
	size                  int64
	sha                   string
}

func readStreams(t testing.TB) []streamFile {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "streams.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []streamFile
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		c := strings.Split(sc.Text(), "\t")
		if len(c) != 7 {
			t.Fatalf("streams.tsv line %q", sc.Text())
		}
		node, _ := strconv.Atoi(c[3])
		size, _ := strconv.ParseInt(c[5], 10, 64)
		out = append(out, streamFile{c[0], c[1], c[2], node, c[4], size, c[6]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// conn is one TCP stream of the corpus: the bytes each side sent.
type conn struct {
	name           string // <capture>-s<N>
	client, server []byte // nil when that side sent nothing
	clientFile     string
	serverFile     string
}

// readConns pairs the stream files into connections. The client is the
// side whose bytes start with a request; a stream where neither does
// (WebSocket caught mid-stream) has no client.
func readConns(t testing.TB) []conn {
	var conns []conn
	byName := map[string]int{}
	for _, s := range readStreams(t) {
		b, err := os.ReadFile(filepath.Join("testdata", "streams", s.file))
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(b)) != s.size {
			t.Fatalf("%s: %d bytes, streams.tsv says %d", s.file, len(b), s.size)
		}
		name := strings.TrimSuffix(s.file, fmt.Sprintf("-%d.bin", s.node))
		i, ok := byName[name]
		if !ok {
			i = len(conns)
			byName[name] = i
			conns = append(conns, conn{name: name})
		}
		c := &conns[i]
		if LooksLikeRequest(b) {
			c.client, c.clientFile = b, s.file
		} else {
			c.server, c.serverFile = b, s.file
		}
	}
	return conns
}

// oracleLine is one line of testdata/oracle.tsv (written by oracle.sh).
type oracleLine struct{ file, kind, detail string }

func readOracle(t testing.TB) []oracleLine {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "oracle.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []oracleLine
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		c := strings.SplitN(sc.Text(), "\t", 3)
		if len(c) != 3 {
			t.Fatalf("oracle.tsv line %q", sc.Text())
		}
		out = append(out, oracleLine{c[0], c[1], c[2]})
	}
	return out
}

// connResult is what the parsers made of one connection.
type connResult struct {
	requests  []*Request
	responses []*Response
	problems  []string
	clientUp  []byte // upgraded bytes, each side
	serverUp  []byte
	cStats    Stats
	sStats    Stats
	rendered  string // every event of both sides, for the chunking check
}

// parseConn runs both parsers over a connection the way the capture stage
// wires them: the client's requests first (each method queued on the
// server side), then the server's responses (each code passed back as an
// answer). Each side is cut by split.
func parseConn(c conn, split splitter) connResult {
	var res connResult
	var rc, rs renderer
	cp, sp := NewRequestParser(nil), NewResponseParser(nil)
	onClient := func(evs []Event) {
		rc.add(evs)
		for _, e := range evs {
			switch e.Kind {
			case KindRequest:
				res.requests = append(res.requests, e.Request)
				sp.ExpectMethod(e.Request.Method)
			case KindUpgrade:
				res.clientUp = append(res.clientUp, e.Data...)
			case KindProblem:
				res.problems = append(res.problems, "client: "+e.Err.Error())
			}
		}
	}
	onServer := func(evs []Event) {
		rs.add(evs)
		for _, e := range evs {
			switch e.Kind {
			case KindResponse:
				res.responses = append(res.responses, e.Response)
				onClient(cp.Answer(e.Response.Code, 0))
			case KindUpgrade:
				res.serverUp = append(res.serverUp, e.Data...)
			case KindProblem:
				res.problems = append(res.problems, "server: "+e.Err.Error())
			}
		}
	}
	for _, ch := range split(c.client) {
		onClient(cp.Feed(ch, 0))
	}
	for _, ch := range split(c.server) {
		onServer(sp.Feed(ch, 0))
	}
	onServer(sp.Close(0))
	onClient(cp.Close(0))
	rc.flush()
	rs.flush()
	res.cStats, res.sStats = cp.Stats(), sp.Stats()
	res.rendered = rc.b.String() + "--\n" + rs.b.String()
	return res
}

// knownDiffs are the places where the parsers and Wireshark disagree on
// purpose, by oracle line: what tshark said, and why we differ.
var knownDiffs = map[string]string{
	// "OPTIONS" with nothing after it: Wireshark takes any line starting
	// with a method it knows for a request, with an empty URI. There is
	// no target, so no request line; the server answered 400.
	"zeek_http_methods-s3-0.bin\trequest\tOPTIONS ": "no target",
}

// TestRealStreams parses every HTTP connection of the corpus and holds the
// requests and responses against what tshark dissected, in order, side by
// side; and every way of cutting the bytes must give the same events.
func TestRealStreams(t *testing.T) {
	oracle := readOracle(t)
	want := map[string][]string{}
	for _, o := range oracle {
		if o.kind == "request" || o.kind == "response" {
			want[o.file] = append(want[o.file], o.kind+"\t"+o.detail)
		}
	}
	var nreq, nresp, n101, agree int
	codes := map[int]int{}
	for _, c := range readConns(t) {
		res := parseConn(c, whole)
		for _, s := range []splitter{bytewise, randomSplits(7), randomSplits(99)} {
			if got := parseConn(c, s); got.rendered != res.rendered {
				t.Errorf("%s: events depend on how the bytes are cut:\n%s\nwhole:\n%s", c.name, got.rendered, res.rendered)
			}
		}
		var gotC, gotS []string
		for _, r := range res.requests {
			gotC = append(gotC, "request\t"+r.Method+" "+r.Target)
		}
		for _, r := range res.responses {
			gotS = append(gotS, "response\t"+strconv.Itoa(r.Code))
			codes[r.Code]++
			if r.Code == 101 {
				n101++
			}
		}
		nreq += len(gotC)
		nresp += len(gotS)
		for _, side := range []struct {
			file string
			got  []string
		}{{c.clientFile, gotC}, {c.serverFile, gotS}} {
			if side.file == "" {
				continue
			}
			var exp []string
			for _, w := range want[side.file] {
				if why, ok := knownDiffs[side.file+"\t"+w]; ok {
					t.Logf("%s: tshark %q, not ours: %s", side.file, w, why)
					continue
				}
				exp = append(exp, w)
			}
			if !slices.Equal(side.got, exp) {
				t.Errorf("%s:\n got %q\nwant %q (tshark)\nproblems: %q", side.file, side.got, exp, res.problems)
			} else {
				agree += len(exp)
			}
		}
		if len(res.problems) > 0 {
			t.Logf("%s: %d problems, first %q", c.name, len(res.problems), res.problems[0])
		}
	}
	t.Logf("%d requests, %d responses (%d of them 101) in agreement with tshark: %d lines; codes %v", nreq, nresp, n101, agree, codes)
}

// TestRealUpgrades checks every upgrade of the corpus: which are
// WebSocket, which 101s carry a valid Sec-WebSocket-Accept, and that the
// bytes after a 101 on each side come out as upgraded data, all of them.
func TestRealUpgrades(t *testing.T) {
	type upgrade struct {
		websocket, answered, valid bool
	}
	want := map[string]upgrade{
		"zeek_http_websocket-s0":                   {true, true, true},
		"zeek_websocket_fragmented-http-reply-s0":  {true, true, true},
		"zeek_websocket_jupyter-websocket-s0":      {true, true, true},
		"zeek_websocket_message-too-big-status-s0": {true, true, true},
		"zeek_websocket_oversized-close-frame-s0":  {true, true, true},
		"zeek_websocket_two-binary-fragments-s0":   {true, true, true},
		"zeek_websocket_wrong-accept-header-s0":    {true, true, false},
		"zeek_websocket_wstunnel-http-s0":          {true, true, true},
		"suricataverify_websocket_compressed-s0":   {true, true, true},
		"suricataverify_ws_upgrade_unanswered-s0":  {true, false, false},
		"heplify_sip_tcp_websocket-s0":             {true, true, true},
		"zeek_http_docker-http-upgrade-s1":         {false, true, false}, // Upgrade: tcp
	}
	seen := map[string]bool{}
	for _, c := range readConns(t) {
		res := parseConn(c, whole)
		var req *Request
		for _, r := range res.requests {
			if r.Upgrade != "" {
				req = r
			}
		}
		if req == nil {
			continue
		}
		seen[c.name] = true
		w, ok := want[c.name]
		if !ok {
			t.Errorf("%s: unexpected upgrade request %q", c.name, req.Upgrade)
			continue
		}
		var resp *Response
		for _, r := range res.responses {
			if r.Code == 101 {
				resp = r
			}
		}
		got := upgrade{IsWebSocketUpgrade(req), resp != nil, ValidAccept(req, resp)}
		if got != w {
			t.Errorf("%s: websocket=%v answered=%v valid accept=%v, want %+v", c.name, got.websocket, got.answered, got.valid, w)
		}
		if resp == nil {
			continue
		}
		// After the switch, every byte is the new protocol's.
		wantS := c.server[resp.Body.End:]
		if !bytes.Equal(res.serverUp, wantS) {
			t.Errorf("%s: %d upgraded server bytes, want %d", c.name, len(res.serverUp), len(wantS))
		}
		wantC := c.client[req.Body.End:]
		if !bytes.Equal(res.clientUp, wantC) {
			t.Errorf("%s: %d upgraded client bytes, want %d", c.name, len(res.clientUp), len(wantC))
		}
		if res.cStats.Guessed != 0 {
			t.Errorf("%s: the client side guessed though the answer was given", c.name)
		}
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("%s: no upgrade request found", name)
		}
	}
}

// corpusDir finds the shared capture corpus: $CEILING_CORPUS/pcap, or
// shared/corpus/pcap beside the repository, as the workplace lays it out.
func corpusDir() string {
	if d := os.Getenv("CEILING_CORPUS"); d != "" {
		return filepath.Join(d, "pcap")
	}
	return filepath.Join("..", "..", "..", "shared", "corpus", "pcap")
}

// needCorpus skips a test when the shared corpus is not there, on a
// developer's machine, and fails it in CI, where it must be.
func needCorpus(t *testing.T) string {
	t.Helper()
	d := corpusDir()
	if _, err := os.Stat(d); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s missing: the shared corpus must be beside the repository in CI", d)
		}
		t.Skipf("shared corpus not found: %v", err)
	}
	return d
}

// TestStreamsMatchCorpus checks that testdata/streams holds what the
// corpus captures hold: each capture's SHA-256 is the one extract.sh saw,
// and with tshark at hand (it must be in CI) each stream file is what
// tshark follows out of it today.
func TestStreamsMatchCorpus(t *testing.T) {
	dir := needCorpus(t)
	streams := readStreams(t)
	byCap := map[string][]streamFile{}
	var caps []string
	for _, s := range streams {
		if byCap[s.capture] == nil {
			caps = append(caps, s.capture)
		}
		byCap[s.capture] = append(byCap[s.capture], s)
	}
	for _, capName := range caps {
		b, err := os.ReadFile(filepath.Join(dir, capName))
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		sum := sha256.Sum256(b)
		if got := hex.EncodeToString(sum[:]); got != byCap[capName][0].sha {
			t.Errorf("%s: SHA-256 %s, extract.sh saw %s: run testdata/extract.sh and testdata/oracle.sh again", capName, got, byCap[capName][0].sha)
		}
	}
	if _, err := exec.LookPath("tshark"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tshark not installed; CI must have it")
		}
		t.Skip("tshark not installed: stream bytes not re-extracted")
	}
	if testing.Short() {
		t.Skip("-short: stream bytes not re-extracted")
	}
	for _, capName := range caps {
		args := []string{"-r", filepath.Join(dir, capName), "-q"}
		if capName == "ndpi_websocket_midstream_noupgrade.pcap" {
			args = append(args, "-d", "tcp.port==12345,websocket")
		}
		var ids []string
		for _, s := range byCap[capName] {
			if len(ids) == 0 || ids[len(ids)-1] != s.stream {
				ids = append(ids, s.stream)
				args = append(args, "-z", "follow,tcp,raw,"+s.stream)
			}
		}
		out, err := exec.Command("tshark", args...).Output()
		if err != nil {
			t.Errorf("tshark %s: %v", capName, err)
			continue
		}
		got := parseFollow(out)
		for _, s := range byCap[capName] {
			file, err := os.ReadFile(filepath.Join("testdata", "streams", s.file))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got[s.stream+"/"+strconv.Itoa(s.node)], file) {
				t.Errorf("%s: differs from what tshark follows in %s stream %s node %d", s.file, capName, s.stream, s.node)
			}
		}
	}
}

// parseFollow reads the output of tshark -z follow,tcp,raw,N (several of
// them): per "stream/node", the bytes. Node 1's lines are indented.
func parseFollow(out []byte) map[string][]byte {
	m := map[string][]byte{}
	stream := ""
	for _, line := range strings.Split(string(out), "\n") {
		switch {
		case strings.HasPrefix(line, "Filter: tcp.stream eq "):
			stream = strings.TrimPrefix(line, "Filter: tcp.stream eq ")
		case line == "" || strings.HasPrefix(line, "=") || strings.HasPrefix(line, "Follow:") || strings.HasPrefix(line, "Node "):
		default:
			node := "0"
			if line[0] == '\t' {
				node = "1"
			}
			b, err := hex.DecodeString(strings.TrimSpace(line))
			if err == nil {
				m[stream+"/"+node] = append(m[stream+"/"+node], b...)
			}
		}
	}
	return m
}
