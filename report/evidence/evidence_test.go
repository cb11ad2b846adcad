package evidence

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/ceiling-dev/ceiling/correlate"
	"github.com/ceiling-dev/ceiling/pipeline"
	"github.com/ceiling-dev/ceiling/report"
)

// The oracle is tshark: the frames of a dialog are those it finds with
// sip.Call-ID (and the IP fragments it rebuilt them from), the frames of a
// connection those of its tcp.stream. The evidence file must hold exactly
// the union of those for the chosen attempts, byte for byte and with the
// same times, and tshark must read every packet's comments back.

func needTshark(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("tshark"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tshark not installed; CI must have it")
		}
		t.Skip("tshark not installed")
	}
}

// tshark runs tshark and returns its lines of fields.
func tshark(t *testing.T, args ...string) [][]string {
	t.Helper()
	cmd := exec.Command("tshark", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	var rows [][]string
	for _, line := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if line == "" {
			continue
		}
		rows = append(rows, strings.Split(line, "\t"))
	}
	return rows
}

// oracle is what tshark says of an original capture, frame by frame.
type oracle struct {
	stream    map[int]string             // frame → tcp.stream
	streams   map[string][]int           // tcp.stream → frames
	callIDs   map[string][]int           // sip.Call-ID → frames
	fragments map[int][]int              // reassembling frame → its IP fragment frames
	dialogs   map[string]map[string]bool // tcp.stream → the Call-IDs on it
}

func askOracle(t *testing.T, capture string, decodeAs ...string) *oracle {
	t.Helper()
	o := &oracle{stream: map[int]string{}, streams: map[string][]int{}, callIDs: map[string][]int{}, fragments: map[int][]int{}, dialogs: map[string]map[string]bool{}}
	args := append([]string{"-r", capture}, decodeAs...)
	rows := tshark(t, append(args, "-T", "fields", "-e", "frame.number", "-e", "tcp.stream", "-e", "sip.Call-ID",
		"-e", "ip.fragment", "-e", "ipv6.fragment", "-e", "tcp.segment", "-E", "occurrence=a", "-E", "aggregator=|")...)
	for _, r := range rows {
		for len(r) < 6 {
			r = append(r, "")
		}
		n, err := strconv.Atoi(r[0])
		if err != nil {
			t.Fatalf("tshark frame number %q", r[0])
		}
		if r[1] != "" {
			o.stream[n] = r[1]
			o.streams[r[1]] = append(o.streams[r[1]], n)
		}
		if r[2] != "" {
			for _, id := range uniq(strings.Split(r[2], "|")) {
				o.callIDs[id] = append(o.callIDs[id], n)
				if r[1] != "" {
					if o.dialogs[r[1]] == nil {
						o.dialogs[r[1]] = map[string]bool{}
					}
					o.dialogs[r[1]][id] = true
				}
			}
		}
		// The frames a datagram was rebuilt from, and the segments of a
		// message that took several (only the last carries its Call-ID).
		for _, f := range []string{r[3], r[4], r[5]} {
			if f == "" {
				continue
			}
			for _, s := range strings.Split(f, "|") {
				k, _ := strconv.Atoi(s)
				o.fragments[n] = append(o.fragments[n], k)
			}
		}
	}
	return o
}

func uniq(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// expected is, per the oracle, the frames of one attempt: its dialog's
// frames by Call-ID on every leg (with their fragments), and the whole TCP
// stream its first packet was on, unless that stream carries other
// dialogs too.
func (o *oracle) expected(a *correlate.Attempt) map[int]bool {
	want := map[int]bool{}
	add := func(n int) {
		want[n] = true
		for _, f := range o.fragments[n] {
			want[f] = true
		}
	}
	if a.Layer == correlate.LayerSIP && a.CallID != "" {
		for _, n := range o.callIDs[a.CallID] {
			add(n)
		}
	}
	if s, ok := o.stream[int(a.Packet)]; ok && a.Packet > 0 && len(o.dialogs[s]) <= 1 {
		for _, n := range o.streams[s] {
			add(n)
		}
	}
	return want
}

// record is one frame as stored.
type record struct {
	time int64
	data string
}

// readFrames reads every frame of a pcap or pcapng (gzip or not), in order.
func readFrames(t *testing.T, path string) []record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	var out []record
	if bytes.HasPrefix(b, []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		ng, err := pcapgo.NewNgReader(bytes.NewReader(b), pcapgo.NgReaderOptions{WantMixedLinkType: true})
		if err != nil {
			t.Fatal(err)
		}
		for {
			data, ci, err := ng.ReadPacketData()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			out = append(out, record{ci.Timestamp.UnixNano(), string(data)})
		}
		return out
	}
	// Classic pcap, read here: pcapgo refuses a record whose captured
	// length exceeds its length on the wire, which real files have.
	if len(b) < 24 {
		t.Fatalf("%s: no pcap header", path)
	}
	var order binary.ByteOrder = binary.LittleEndian
	nano := false
	switch binary.LittleEndian.Uint32(b) {
	case 0xa1b2c3d4:
	case 0xa1b23c4d:
		nano = true
	case 0xd4c3b2a1:
		order = binary.BigEndian
	case 0x4d3cb2a1:
		order, nano = binary.BigEndian, true
	default:
		t.Fatalf("%s: not a pcap file", path)
	}
	for b = b[24:]; len(b) >= 16; {
		sec, frac, n := int64(order.Uint32(b)), int64(order.Uint32(b[4:])), int(order.Uint32(b[8:]))
		if !nano {
			frac *= 1000
		}
		if 16+n > len(b) {
			break
		}
		out = append(out, record{sec*1e9 + frac, string(b[16 : 16+n])})
		b = b[16+n:]
	}
	return out
}

// run is an analysis and its evidence.
type run struct {
	paths   []string
	capture string
	doc     *report.Document
	sel     Selection
	sum     *Summary
	out     string
}

func analyse(t *testing.T, paths ...string) *report.Document {
	t.Helper()
	return analyseWith(t, pipeline.Config{Paths: paths})
}

func analyseWith(t *testing.T, cfg pipeline.Config) *report.Document {
	t.Helper()
	doc, err := pipeline.Run(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func extractTo(t *testing.T, doc *report.Document, sel Selection, paths []string, opts Options) (*Summary, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "evidence.pcapng")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	opts.Paths = paths
	if opts.Tool == "" {
		opts.Tool = "ceiling test"
	}
	sum, err := Extract(f, doc.Result, sel, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return sum, out
}

const backendSuffix = " (the edge's leg to a backend)"

// check compares the evidence file with the oracle: exactly the expected
// frames, the same bytes and times, in time order, each with the comments
// of the attempts it belongs to. It returns the frames by original number.
func check(t *testing.T, capture, evidence string, res *correlate.Result, sel Selection, tsharkArgs ...string) map[int][]string {
	t.Helper()
	// tshark dissects SIP on the ports it knows; the edges' ports are
	// named to it, as a person would with Decode As.
	var decodeAs []string
	ports := map[uint16]bool{}
	for _, a := range res.Attempts.All() {
		if p := a.Edge.Port(); a.Layer == correlate.LayerSIP && p != 0 && !ports[p] {
			ports[p] = true
			decodeAs = append(decodeAs, "-d", fmt.Sprintf("tcp.port==%d,sip", p), "-d", fmt.Sprintf("udp.port==%d,sip", p))
		}
	}
	o := askOracle(t, capture, append(decodeAs, tsharkArgs...)...)
	orig := readFrames(t, capture)
	byRecord := map[record]int{}
	for i, r := range orig {
		byRecord[r] = i + 1
	}
	want := map[int][]string{}
	for _, it := range sel.Items {
		a := res.Attempts.At(it.Attempt)
		exp := o.expected(&a)
		if len(exp) == 0 && a.Packet > 0 {
			t.Errorf("%s: tshark finds no frame of it", it.Why)
		}
		for n := range exp {
			want[n] = append(want[n], it.Why)
		}
	}

	got := readFrames(t, evidence)
	// tshark must read the file, and every frame's comments.
	rows := tshark(t, "-r", evidence, "-T", "fields", "-e", "frame.number", "-e", "frame.comment", "-E", "occurrence=a", "-E", "aggregator=\x1f")
	if len(rows) != len(got) {
		t.Fatalf("tshark reads %d frames, pcapgo %d", len(rows), len(got))
	}
	seen := map[int][]string{}
	var last int64
	lastN := 0
	for i, r := range got {
		n, ok := byRecord[r]
		if !ok {
			t.Errorf("evidence frame %d (time %d, %d bytes) is no frame of the capture", i+1, r.time, len(r.data))
			continue
		}
		if _, dup := seen[n]; dup {
			t.Errorf("frame %d written twice", n)
		}
		if r.time < last && n < lastN {
			// In time order, or in the capture's own order where it is
			// not in time order itself.
			t.Errorf("evidence frame %d (capture frame %d) comes before frame %d, in time and in the capture", i+1, n, lastN)
		}
		last, lastN = r.time, n
		var comments []string
		if len(rows[i]) > 1 && rows[i][1] != "" {
			comments = strings.Split(rows[i][1], "\x1f")
		}
		if len(comments) == 0 {
			t.Errorf("evidence frame %d (capture frame %d) has no comment", i+1, n)
		}
		seen[n] = comments
	}
	var missing, extra []int
	for n := range want {
		if _, ok := seen[n]; !ok {
			missing = append(missing, n)
		}
	}
	for n := range seen {
		if _, ok := want[n]; !ok {
			extra = append(extra, n)
		}
	}
	sort.Ints(missing)
	sort.Ints(extra)
	if len(missing) > 0 {
		t.Errorf("frames tshark counts as the chosen attempts' and the evidence lacks: %v", missing)
	}
	if len(extra) > 0 {
		t.Errorf("frames in the evidence that tshark counts as no chosen attempt's: %v", extra)
	}
	for n, comments := range seen {
		w := append([]string(nil), want[n]...)
		g := make([]string, len(comments))
		for i, c := range comments {
			g[i] = strings.TrimSuffix(c, backendSuffix)
		}
		sort.Strings(w)
		sort.Strings(g)
		if strings.Join(w, "\n") != strings.Join(g, "\n") {
			t.Errorf("frame %d: comments\n%q\nwant\n%q", n, g, w)
		}
	}
	return seen
}

func TestDemoDefault(t *testing.T) {
	needTshark(t)
	paths := []string{"../../testdata/demo/spike.jtl", "../../testdata/demo/spike.pcapng.gz"}
	doc := analyse(t, paths...)
	sel := Default(doc.Result, 3)
	if len(sel.Items) != 5 {
		t.Fatalf("chose %d attempts, want 3 failures and 2 for contrast: %+v", len(sel.Items), sel.Items)
	}
	first := sel.Items[0]
	if first.Role != RoleFirstFailure || first.Attempt != doc.Result.Verdict.FirstFailure.Attempt {
		t.Fatalf("first item %+v is not the first failure", first)
	}
	wantWhy := fmt.Sprintf("first SIP 503 at %d dialogs, Call-ID %s", doc.Result.Verdict.FirstFailure.Concurrency, doc.Result.Verdict.FirstFailure.CallID)
	if first.Why != wantWhy {
		t.Errorf("why %q, want %q", first.Why, wantWhy)
	}
	for _, it := range sel.Items[3:] {
		a := doc.Result.Attempts.At(it.Attempt)
		if it.Role != RoleContrast || a.Status != "200" || a.Time > doc.Result.Verdict.FirstFailure.Time {
			t.Errorf("contrast %+v: %s at %d", it, a.Status, a.Time)
		}
	}
	sum, out := extractTo(t, doc, sel, paths, Options{})
	seen := check(t, paths[1], out, doc.Result, sel)
	if sum.Frames != int64(len(seen)) {
		t.Errorf("summary says %d frames, the file holds %d", sum.Frames, len(seen))
	}
	// The answered dialogs went on to the backend (sipp on :5070): their
	// comments say which frames are that leg.
	backend := 0
	for _, cs := range seen {
		for _, c := range cs {
			if strings.HasSuffix(c, backendSuffix) {
				backend++
			}
		}
	}
	if backend == 0 {
		t.Error("no frame is marked as the edge's leg to a backend")
	}
	for i, l := range sum.Ladders {
		if l.Title != sel.Items[i].Why || len(l.Steps) == 0 {
			t.Errorf("ladder %d: %q, %d steps", i, l.Title, len(l.Steps))
		}
	}
	l := sum.Ladders[0]
	if got := labels(l); got != "INVITE, 503 Service Unavailable, ACK" {
		t.Errorf("first failure's ladder: %s", got)
	}
	if !l.Steps[1].Bad || l.Steps[1].From != colEdge || l.Steps[1].To != colClient {
		t.Errorf("the 503 goes edge → load generator, in red: %+v", l.Steps[1])
	}
	c := sum.Ladders[3]
	if len(c.Columns) != 3 || c.Columns[2].Role != "backend" || c.Columns[2].Addrs[0] != "127.0.0.1:5070" {
		t.Errorf("contrast columns %+v", c.Columns)
	}
	t.Logf("%d frames: %v", sum.Frames, sum.Attempts)
}

func labels(l report.Ladder) string {
	var s []string
	for _, st := range l.Steps {
		s = append(s, st.Label)
	}
	return strings.Join(s, ", ")
}

// TestEdgeFixtures: the default evidence of every edge fixture (TCP
// refusals, WebSocket upgrades answered 503, SIP over TCP, TLS alerts, …)
// is exactly the frames of the chosen attempts' connections and dialogs.
func TestEdgeFixtures(t *testing.T) {
	needTshark(t)
	dirs, _ := filepath.Glob("../../testdata/fixtures/*")
	tlsDirs, _ := filepath.Glob("../../testdata/fixtures-tls/*")
	if len(dirs) == 0 {
		t.Fatal("no fixtures")
	}
	for _, dir := range append(dirs, tlsDirs...) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			caps, _ := filepath.Glob(filepath.Join(dir, "capture.*"))
			if len(caps) != 1 {
				t.Skip("no capture")
			}
			paths := []string{filepath.Join(dir, "results.jtl"), caps[0]}
			cfg := pipeline.Config{Paths: paths}
			var keys []string
			if kl := filepath.Join(dir, "keylog.txt"); filepath.Base(filepath.Dir(dir)) == "fixtures-tls" {
				// SIP over TLS read with its key log, by ceiling and by
				// tshark alike; the evidence is the TLS connection.
				cfg.KeyLogs = []string{kl}
				keys = []string{"-o", "tls.keylog_file:" + kl}
			}
			doc := analyseWith(t, cfg)
			sel := Default(doc.Result, 3)
			if len(sel.Items) == 0 {
				t.Fatal("nothing chosen")
			}
			sum, out := extractTo(t, doc, sel, paths, Options{})
			if doc.Result.Verdict.Layer == correlate.LayerClient {
				// The load generator's own failures never reached the
				// wire: nothing to cut out, and the ladder says so.
				for i, a := range sum.Attempts {
					if !a.Wire && (a.Frames != 0 || sum.Ladders[i].Note == "") {
						t.Errorf("JTL-only attempt %+v: ladder note %q", a, sum.Ladders[i].Note)
					}
				}
			}
			check(t, caps[0], out, doc.Result, sel, keys...)
			for i, a := range sum.Attempts {
				if a.Wire && a.Frames == 0 {
					t.Errorf("%s: no frames", a.Why)
				}
				if a.Wire && len(sum.Ladders[i].Steps) == 0 {
					t.Errorf("%s: empty ladder", a.Why)
				}
			}
			t.Logf("%s: %d frames for %d attempts", doc.Result.Verdict.Text, sum.Frames, len(sel.Items))
		})
	}
}

func TestTCPRefusedLadder(t *testing.T) {
	dir := "../../testdata/fixtures/tcp-refused"
	paths := []string{filepath.Join(dir, "results.jtl"), filepath.Join(dir, "capture.pcapng.gz")}
	doc := analyse(t, paths...)
	sel := Default(doc.Result, 1)
	sum, err := Extract(nil, doc.Result, sel, Options{Paths: paths})
	if err != nil {
		t.Fatal(err)
	}
	l := sum.Ladders[0]
	if !strings.HasPrefix(l.Title, "first failure, refused: SYN answered by RST at 21 connections, 127.0.0.1:") {
		t.Errorf("title %q", l.Title)
	}
	if got := labels(l); got != "SYN, RST" || !l.Steps[1].Bad {
		t.Errorf("refusal ladder %s", got)
	}
	if got := labels(sum.Ladders[1]); !strings.HasPrefix(got, "SYN, SYN-ACK, GET /hold?ms=14000, 200 OK") {
		t.Errorf("contrast ladder %s", got)
	}
}

func TestWebSocketLadder(t *testing.T) {
	dir := "../../testdata/fixtures/ws-limit-conn"
	paths := []string{filepath.Join(dir, "results.jtl"), filepath.Join(dir, "capture.pcapng.gz")}
	doc := analyse(t, paths...)
	sum, err := Extract(nil, doc.Result, Default(doc.Result, 1), Options{Paths: paths})
	if err != nil {
		t.Fatal(err)
	}
	if got := labels(sum.Ladders[0]); got != "SYN, SYN-ACK, GET /events (Upgrade: websocket), 503 Service Temporarily Unavailable, FIN, FIN" {
		t.Errorf("refused upgrade %s", got)
	}
	if got := labels(sum.Ladders[1]); !strings.Contains(got, "101 Switching Protocols") || !strings.Contains(got, "close 1000") {
		t.Errorf("contrast %s", got)
	}
}

// TestFilter: attempts named by Call-ID, layer and status, time.
func TestFilter(t *testing.T) {
	needTshark(t)
	paths := []string{"../../testdata/demo/spike.jtl", "../../testdata/demo/spike.pcapng.gz"}
	doc := analyse(t, paths...)
	res := doc.Result
	id := res.Verdict.FirstFailure.CallID
	f := Filter{CallIDs: []string{id, "no-such-call"}}
	sel := f.Select(res)
	if len(sel.Items) != 1 || res.Attempts.At(sel.Items[0].Attempt).CallID != id {
		t.Fatalf("--call-id chose %+v", sel.Items)
	}
	_, out := extractTo(t, doc, sel, paths, Options{})
	check(t, paths[1], out, res, sel)

	f = Filter{Layers: []correlate.Layer{correlate.LayerSIP}, Statuses: []string{"200"}, From: res.Verdict.FirstFailure.Time, Max: 4}
	sel = f.Select(res)
	if len(sel.Items) != 4 {
		t.Fatalf("chose %d", len(sel.Items))
	}
	for _, it := range sel.Items {
		a := res.Attempts.At(it.Attempt)
		if a.Status != "200" || a.Time < res.Verdict.FirstFailure.Time || a.Hop != 0 {
			t.Errorf("chose %+v", a)
		}
	}
	_, out = extractTo(t, doc, sel, paths, Options{})
	check(t, paths[1], out, res, sel)

	f = Filter{Statuses: []string{"failed"}, To: res.Verdict.FirstFailure.Time}
	if sel := f.Select(res); len(sel.Items) != 1 || sel.Items[0].Attempt != res.Verdict.FirstFailure.Attempt {
		t.Errorf("failures up to the first: %+v", sel.Items)
	}
	if (&Filter{}).Select(res).Items == nil || !(&Filter{Max: 3}).Empty() {
		t.Error("an empty filter names every attempt, and is Empty")
	}
}

// TestOptions: the rewrite hook sees every frame with its link type and
// what it returns is written; Bare and NoComments leave the metadata and
// the comments out; an error from the hook stops the extraction.
func TestOptions(t *testing.T) {
	needTshark(t)
	paths := []string{"../../testdata/demo/spike.pcapng.gz"}
	doc := analyse(t, paths...)
	sel := Default(doc.Result, 1)
	calls := 0
	rewrite := func(b []byte, link layers.LinkType) ([]byte, error) {
		calls++
		if link != 1 {
			t.Errorf("link type %d", link)
		}
		return append([]byte(nil), bytes.ToUpper(b)...), nil
	}
	sum, out := extractTo(t, doc, sel, paths, Options{Rewrite: rewrite, Bare: true, NoComments: true})
	if int64(calls) != sum.Frames || calls == 0 {
		t.Errorf("rewrite called %d times for %d frames", calls, sum.Frames)
	}
	for _, r := range readFrames(t, out) {
		if r.data != strings.ToUpper(r.data) {
			t.Fatal("a frame was written as it was, not as rewritten")
		}
	}
	rows := tshark(t, "-r", out, "-T", "fields", "-e", "frame.comment")
	for _, r := range rows {
		if len(r) > 0 && r[0] != "" {
			t.Fatalf("comment %q with NoComments", r[0])
		}
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ng, err := pcapgo.NewNgReader(f, pcapgo.NgReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if si := ng.SectionInfo(); si != (pcapgo.NgSectionInfo{}) {
		t.Errorf("Bare section header says %+v", si)
	}
	if i, err := ng.Interface(0); err != nil || i.Name != "" || i.Description != "" || i.OS != "" || i.Comment != "" {
		t.Errorf("Bare interface says %+v (%v)", i, err)
	}

	_, err = Extract(io.Discard, doc.Result, sel, Options{Paths: paths, Rewrite: func([]byte, layers.LinkType) ([]byte, error) {
		return nil, fmt.Errorf("cannot redact")
	}})
	if err == nil || !strings.Contains(err.Error(), "cannot redact") {
		t.Errorf("hook error: %v", err)
	}
}

// TestEmpty: no attempt chosen is still a capture tshark opens.
func TestEmpty(t *testing.T) {
	needTshark(t)
	paths := []string{"../../testdata/demo/spike.pcapng.gz"}
	doc := analyse(t, paths...)
	sum, out := extractTo(t, doc, Selection{}, paths, Options{})
	if sum.Frames != 0 {
		t.Fatal(sum.Frames)
	}
	if rows := tshark(t, "-r", out, "-T", "fields", "-e", "frame.number"); len(rows) != 0 {
		t.Fatal(rows)
	}
	if _, err := Extract(io.Discard, doc.Result, Selection{Items: []Item{{Attempt: -1}}}, Options{Paths: paths}); err == nil {
		t.Error("an attempt out of range is an error")
	}
}

// TestSIPBackends: the pass for the edge's own SIP legs is skipped only
// when the layers' accounts say it made none.
func TestSIPBackends(t *testing.T) {
	for _, tc := range []struct {
		name   string
		layers []*correlate.LayerResult
		want   bool
	}{
		{"no accounts (a Result made by hand)", nil, true},
		{"sip without legs", []*correlate.LayerResult{{Layer: correlate.LayerTCP, Backend: 3}, {Layer: correlate.LayerSIP}}, false},
		{"sip with legs", []*correlate.LayerResult{{Layer: correlate.LayerSIP, Backend: 2}}, true},
		{"no sip", []*correlate.LayerResult{{Layer: correlate.LayerTCP, Backend: 3}}, false},
	} {
		if got := sipBackends(&correlate.Result{Layers: tc.layers}); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
