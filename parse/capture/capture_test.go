package capture

import (
	"bufio"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/ceiling-dev/ceiling/parse"
)

const corpus = "../../../shared/corpus/pcap"

// corpusDir returns the shared corpus, skipping when it is absent, except
// in CI, where its absence is a failure.
func corpusDir(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(corpus); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("corpus missing in CI: %v", err)
		}
		t.Skipf("corpus not present: %v", err)
	}
	return corpus
}

// knownDifferences are captures where ceiling's count differs from
// tshark's on purpose, with the reason.
var knownDifferences = map[string]string{
	"wsample_protos_c07-sip-r2.cap": "Microsoft NetMon 2.x files are not read yet",
}

// readOracle loads testdata/oracle/sip-udp.tsv: tshark's counts of SIP
// over UDP per method and status code.
func readOracle(t *testing.T) map[string]map[string]int {
	f, err := os.Open("../../testdata/oracle/sip-udp.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		parts := strings.Split(line, "\t")
		if len(parts) != 3 {
			t.Fatalf("oracle line %q", line)
		}
		n, err := strconv.Atoi(parts[2])
		if err != nil {
			t.Fatal(err)
		}
		if out[parts[0]] == nil {
			out[parts[0]] = map[string]int{}
		}
		out[parts[0]][parts[1]] = n
	}
	return out
}

// countSIP runs a capture through the stage and counts SIP messages per
// method and status code.
func countSIP(t *testing.T, path string) (map[string]int, []FileStats) {
	t.Helper()
	in, err := parse.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	src, err := Open([]*parse.Input{in}, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for {
		ev, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if ev.SIP == nil || ev.Transport != "udp" {
			continue
		}
		got["frames"]++
		if ev.SIP.Request {
			got[ev.SIP.Method]++
		} else {
			got[strconv.Itoa(ev.SIP.StatusCode)]++
		}
	}
	return got, src.Stats()
}

// TestSIPCountsMatchTshark: for every capture of the shared corpus that
// holds SIP over UDP, ceiling counts the same requests per method and
// responses per code as tshark (testdata/oracle/sip-udp.sh).
func TestSIPCountsMatchTshark(t *testing.T) {
	dir := corpusDir(t)
	oracle := readOracle(t)
	names := make([]string, 0, len(oracle))
	for name := range oracle {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		want := oracle[name]
		if want["frames"] == 0 {
			continue
		}
		t.Run(name, func(t *testing.T) {
			if reason, ok := knownDifferences[name]; ok {
				t.Skip(reason)
			}
			got, _ := countSIP(t, filepath.Join(dir, name))
			for k, n := range want {
				if got[k] != n {
					t.Errorf("%s: ceiling %d, tshark %d", k, got[k], n)
				}
			}
			for k, n := range got {
				if _, ok := want[k]; !ok {
					t.Errorf("%s: ceiling %d, tshark none", k, n)
				}
			}
		})
	}
}

// httpDifferences are captures where ceiling's HTTP counts differ from
// tshark's on purpose: key → our count and the reason.
var httpDifferences = map[string]map[string]struct {
	ours int
	why  string
}{
	"zeek_http_methods.pcap": {
		"requests": {17, "a fuzzing capture: tshark takes request lines with a cut version (\"GET / HTTP/1.\") or none for requests; ceiling reports them as damage and counts the responses (all equal to tshark's) without a request"},
	},
	"zeek_tcp_retransmit-timeout.pcapng": {
		"requests": {2, "the request is retransmitted 300 s later, past the TCP idle timeout (5 min, as Zeek): the reassembler gives the first connection up and reads the retransmission on a new one"},
	},
}

// TestHTTPCountsMatchTshark: over every corpus capture with HTTP, the
// capture stage reports as many requests, WebSocket upgrades and responses
// per status code as tshark dissects (testdata/oracle/http.sh).
func TestHTTPCountsMatchTshark(t *testing.T) {
	dir := corpusDir(t)
	f, err := os.Open("../../testdata/oracle/http.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[string]map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		p := strings.Split(line, "\t")
		n, _ := strconv.Atoi(p[2])
		if want[p[0]] == nil {
			want[p[0]] = map[string]int{}
		}
		want[p[0]][p[1]] = n
	}
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			in, err := parse.Open(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			src, err := Open([]*parse.Input{in}, nil, Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int{"requests": 0, "upgrades": 0}
			for {
				ev, err := src.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				switch ev.Kind {
				case KindRequest:
					got["requests"]++
					if strings.Contains(strings.ToLower(ev.Request.Upgrade), "websocket") {
						got["upgrades"]++
					}
				case KindResponse:
					got[strconv.Itoa(ev.Response.Code)]++
				}
			}
			for k, n := range want[name] {
				if d, ok := httpDifferences[name][k]; ok {
					if got[k] != d.ours {
						t.Errorf("%s: ceiling %d, pinned %d (tshark %d): %s", k, got[k], d.ours, n, d.why)
					}
					continue
				}
				if got[k] != n {
					t.Errorf("%s: ceiling %d, tshark %d", k, got[k], n)
				}
			}
			for k, n := range got {
				if _, ok := want[name][k]; !ok && n > 0 {
					t.Errorf("%s: ceiling %d, tshark none", k, n)
				}
			}
		})
	}
}

// TestRTPCountsMatchTshark: RTP is recognised by its header and counted
// per stream; on every corpus capture ceiling counts the streams and
// packets tshark finds with its RTP heuristics on (testdata/oracle/rtp.sh;
// without them tshark finds only streams whose SDP it read, and misses
// the media of a call signalled over TLS), and takes nothing else (DNS,
// NetBIOS, SNMP) for RTP.
func TestRTPCountsMatchTshark(t *testing.T) {
	dir := corpusDir(t)
	f, err := os.Open("../../testdata/oracle/rtp.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[string][2]int64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		p := strings.Split(sc.Text(), "\t")
		streams, _ := strconv.ParseInt(p[1], 10, 64)
		packets, _ := strconv.ParseInt(p[2], 10, 64)
		want[p[0]] = [2]int64{streams, packets}
	}
	if len(want) < 5 {
		t.Fatalf("oracle has %d captures with RTP", len(want))
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, path := range files {
		name := filepath.Base(path)
		if _, ok := knownDifferences[name]; ok {
			continue
		}
		t.Run(name, func(t *testing.T) {
			_, stats := countSIP(t, path)
			m := stats[0].Media
			got := [2]int64{m.RTPStreams, m.RTPPackets}
			if why, ok := rtpDifferences[name]; ok {
				if got != why.ours {
					t.Errorf("ceiling %d streams, %d packets; expected %v (%s)", got[0], got[1], why.ours, why.why)
				}
				return
			}
			if got != want[name] {
				t.Errorf("ceiling %d streams, %d packets; tshark %d, %d", got[0], got[1], want[name][0], want[name][1])
			}
		})
	}
}

// rtpDifferences are captures where ceiling's RTP count differs from
// tshark's on purpose.
var rtpDifferences = map[string]struct {
	ours [2]int64
	why  string
}{
	"heplify_FAX-Call-t38-CA-TDM-SIP-FB-1.pcap": {[2]int64{2, 6995}, "after the re-INVITE to image/t38 the same ports carry T.38 over UDPTL (2,010 packets), which tshark follows from the SDP; ceiling reads headers only and counts them with the stream"},
}

// TestReorderFrames: of two events of the same time, the earlier frame
// comes out first, whichever came in first.
func TestReorderFrames(t *testing.T) {
	r := newReorder()
	for _, pkt := range []int64{7, 3, 5} {
		r.commit(r.slot(10, pkt))
	}
	for _, want := range []int64{3, 5, 7} {
		var ev Event
		if r.pop(&ev); ev.Packet != want {
			t.Fatalf("frame %d came out, want %d", ev.Packet, want)
		}
	}
}

// aroundTheRing pushes and pops past the ring's first length, some events
// late, so that slots come back to be filled again.
func aroundTheRing() []int64 {
	var ops []int64
	for i := int64(1); i <= 300; i++ {
		t := 10 * i
		if i%5 == 0 {
			t -= 25 // before the last two
		}
		ops = append(ops, t)
		if i > 20 {
			ops = append(ops, -1)
		}
	}
	return ops
}

// TestReorderFirst: the reorder window gives its events back whole, in
// time and frame order, and its earliest time is right after every push
// and pop, whatever order the events come in.
func TestReorderFirst(t *testing.T) {
	for _, tc := range []struct {
		name string
		ops  []int64 // a time pushes an event of that time; -1 pops
	}{
		{"in order", []int64{1, 2, 3, -1, 4, -1, -1, -1}},
		{"late ones", []int64{5, 6, 2, 7, 1, -1, -1, 3, -1, -1, -1, -1}},
		{"emptied and filled again", []int64{9, -1, 4, 8, -1, 2, -1, -1}},
		{"emptied, then a later one", []int64{2, -1, 5, -1}},
		{"equal times", []int64{3, 3, 1, 1, -1, -1, 3, -1, -1, -1}},
		{"around the ring", aroundTheRing()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newReorder()
			var held []Event
			for i, op := range tc.ops {
				if op >= 0 {
					// One event in three says more than the others:
					// nothing of it may stay behind.
					want := Event{Kind: KindSIP, Time: op, Packet: int64(i), Offset: int64(i) + 100}
					if i%3 == 0 {
						want.Kind, want.Transport = KindRequest, "tcp"
					}
					ev := r.slot(op, int64(i))
					ev.Kind, ev.Offset = want.Kind, want.Offset
					if want.Transport != "" {
						ev.Transport = want.Transport
					}
					r.commit(ev)
					held = append(held, want)
				} else {
					var ev Event
					r.pop(&ev)
					j := 0 // the least held: frames are told apart
					for k := range held {
						if eventLess(&held[k], &held[j]) {
							j = k
						}
					}
					if ev != held[j] {
						t.Fatalf("op %d: popped %+v, want %+v", i, ev, held[j])
					}
					held = slices.Delete(held, j, j+1)
				}
				want := int64(math.MaxInt64)
				for _, e := range held {
					want = min(want, e.Time)
				}
				if r.first != want {
					t.Fatalf("op %d: first %d, want %d", i, r.first, want)
				}
				if r.len() != len(held) {
					t.Fatalf("op %d: %d held, want %d", i, r.len(), len(held))
				}
			}
		})
	}
}
