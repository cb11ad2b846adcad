package tcp

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ceiling-dev/ceiling/parse"
	"github.com/ceiling-dev/ceiling/parse/pcap"
)

// The oracle is tshark: testdata/tcp/oracle.sh asked it, for every capture
// of the shared corpus that has TCP, for its conversations, its streams
// (tcp.stream) with their SYN, SYN-ACK, RST and FIN packets and payload
// bytes per direction, and for the captures that carry SIP or HTTP over
// TCP, each stream's bytes as "follow,tcp,raw" puts them back together.
// TestOracle feeds each capture through parse/pcap into an Assembler and
// holds its connections against those rows. A stream is matched to the
// connection whose first packet is the stream's first frame.
//
// Every difference is on purpose and pinned below with its reason; the test
// fails when a pinned difference goes away, so that the list stays true.
// Our connections and their states are also pinned in
// testdata/golden/corpus/<file>.golden.

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
func needCorpus(t testing.TB) string {
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

const oraclePath = "../../testdata/tcp/oracle.tsv"

type streamRow struct {
	stream, first, last      int64
	a, b                     string
	pkts, bytes, rst, fin    [2]int64 // [a, b]
	syn, synack, retransmits int64
}

type followRow struct {
	stream int64
	node   [2]string
	length [2]int64
	sum    [2]string
}

type oracleFile struct {
	conv    int64
	streams []streamRow
	follow  []followRow
}

func readOracle(t *testing.T) (map[string]*oracleFile, []string) {
	t.Helper()
	f, err := os.Open(oraclePath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	files := map[string]*oracleFile{}
	var order []string
	sc := bufio.NewScanner(f)
	num := func(s string) int64 {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("oracle.tsv: %q: %v", sc.Text(), err)
		}
		return n
	}
	for sc.Scan() {
		c := strings.Split(sc.Text(), "\t")
		if len(c) < 3 {
			t.Fatalf("oracle.tsv: short line %q", sc.Text())
		}
		of := files[c[1]]
		if of == nil {
			of = &oracleFile{}
			files[c[1]] = of
			order = append(order, c[1])
		}
		switch {
		case c[0] == "conv" && len(c) == 3:
			of.conv = num(c[2])
		case c[0] == "stream" && len(c) == 18:
			r := streamRow{stream: num(c[2]), first: num(c[3]), last: num(c[4]), a: c[5], b: c[6]}
			r.pkts = [2]int64{num(c[7]), num(c[8])}
			r.bytes = [2]int64{num(c[9]), num(c[10])}
			r.syn, r.synack = num(c[11]), num(c[12])
			r.rst = [2]int64{num(c[13]), num(c[14])}
			r.fin = [2]int64{num(c[15]), num(c[16])}
			r.retransmits = num(c[17])
			of.streams = append(of.streams, r)
		case c[0] == "follow" && len(c) == 9:
			of.follow = append(of.follow, followRow{stream: num(c[2]),
				node: [2]string{c[3], c[6]}, length: [2]int64{num(c[4]), num(c[7])}, sum: [2]string{c[5], c[8]}})
		default:
			t.Fatalf("oracle.tsv: bad line %q", sc.Text())
		}
	}
	return files, order
}

// pin is a difference from tshark that is meant: by capture, then by what
// differs ("conns", "conv", or "stream N <what>"), our value and why.
type pin struct {
	ours string
	why  string
}

var pinned = map[string]map[string]pin{
	"heplify_sip_ipv4_tcp_retrans.pcap": {
		"stream 0 rst": {"false", "the RST (frame 57) comes after both FINs: the connection had closed normally (SF), and the RST is absorbed while its ports linger (Stats.AfterClose)"},
		"stream 8 rst": {"false", "as stream 0: RST at frame 68 after both FINs"},
	},
	"zeek_tcp_retransmit-timeout.pcapng": {
		"conns":          {"2", "the retransmission comes 300.00001 s after the last packet, past IdleTimeout (5 min, Zeek's tcp_inactivity_timeout): the connection is given up as idle and the retransmission opens a mid-stream one; tshark has no timeout"},
		"conv":           {"2", "as conns"},
		"stream 0 bytes": {"18 0", "the second 18 bytes (the retransmission) belong to our second connection"},
	},
	"zeek_tcp_rst-inject-rae.pcap": {
		"stream 0 bytes": {"25 0", "the server's RST at frame 7 ends the connection (RSTR); the client's 150 bytes after it (frame 8) are absorbed while its ports linger. The forged RST at frame 2, whose ACK does not acknowledge the SYN, is ignored as the client itself ignores it"},
	},
}

// runCapture feeds a capture into an Assembler.
func runCapture(t testing.TB, path string, rec *recorder, opts Options) (*Assembler, pcap.Stats) {
	t.Helper()
	in, err := parse.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	probs := &parse.Problems{}
	r, err := pcap.NewReader(in, pcap.Options{Problems: probs})
	if err != nil {
		t.Fatal(err)
	}
	opts.Problems, opts.FileName = probs, filepath.Base(path)
	a := NewAssembler(rec, opts)
	var last int64
	for {
		p, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		last = max(last, p.Time)
		if p.Transport == pcap.TCP {
			a.Packet(p)
		}
	}
	a.Finish(last)
	return a, r.Stats()
}

func TestOracle(t *testing.T) {
	dir := needCorpus(t)
	files, order := readOracle(t)
	var table strings.Builder
	fmt.Fprintf(&table, "%-44s %6s %6s %6s %6s %5s %5s %5s %5s  %s\n", "capture", "conv", "conns", "stream", "tuples", "syn", "rst", "fin", "bytes", "follow")
	used := map[string]map[string]bool{}
	for _, name := range order {
		of := files[name]
		t.Run(name, func(t *testing.T) {
			rec := newRecorder()
			rec.quiet, rec.keep = true, true
			a, _ := runCapture(t, filepath.Join(dir, name), rec, Options{})
			rec.check(t)
			pins := pinned[name]
			used[name] = map[string]bool{}
			// differ reports a difference unless it is pinned with our
			// value, and notes the pins that were used.
			differ := func(what string, ours, theirs any) bool {
				o, th := fmt.Sprint(ours), fmt.Sprint(theirs)
				if p, ok := pins[what]; ok {
					used[name][what] = true
					if p.ours != o {
						t.Errorf("%s: ours %s, tshark %s; pinned ours %s (%s)", what, o, th, p.ours, p.why)
					}
					if o == th {
						t.Errorf("%s: pinned difference gone: both %s", what, o)
					}
					return true
				}
				if o != th {
					t.Errorf("%s: ours %s, tshark %s", what, o, th)
					return true
				}
				return false
			}

			byFirst := map[int64]*Conn{}
			tuples := map[string]bool{}
			for _, c := range rec.conns {
				byFirst[c.FirstPacket] = c
				ends := []string{c.Client.String(), c.Server.String()}
				slices.Sort(ends)
				tuples[strings.Join(ends, " ")] = true
			}
			differ("conns", len(rec.conns), len(of.streams))
			differ("conv", len(rec.conns), of.conv)

			var nSyn, nRst, nFin, nBytes int
			for _, r := range of.streams {
				c := byFirst[r.first]
				w := fmt.Sprintf("stream %d", r.stream)
				if c == nil {
					differ(w+" conn", "none", "frame "+strconv.FormatInt(r.first, 10))
					continue
				}
				// Sides: a is the source of the stream's first packet.
				aSide := Client
				if c.Server.String() == r.a {
					aSide = Server
				}
				sides := [2]Side{aSide, aSide.Other()}
				if !differ(w+" syn", c.SynSeen, r.syn > 0) && !differ(w+" synack", c.SynAckSeen, r.synack > 0) {
					nSyn++
				}
				if !differ(w+" rst", c.Reset, r.rst[0]+r.rst[1] > 0) {
					nRst++
				}
				if !differ(w+" fin", fmt.Sprint(c.FinSeen[sides[0]], c.FinSeen[sides[1]]), fmt.Sprint(r.fin[0] > 0, r.fin[1] > 0)) {
					nFin++
				}
				if !differ(w+" bytes", fmt.Sprint(c.Bytes[sides[0]], c.Bytes[sides[1]]), fmt.Sprint(r.bytes[0], r.bytes[1])) {
					nBytes++
				}
			}
			var fol []string
			followOK := 0
			for _, r := range of.follow {
				var c *Conn
				for _, s := range of.streams {
					if s.stream == r.stream {
						c = byFirst[s.first]
					}
				}
				w := fmt.Sprintf("stream %d follow", r.stream)
				if c == nil {
					differ(w, "no connection", "a stream")
					continue
				}
				ok := true
				for i, node := range r.node {
					s := Client
					switch node {
					case c.Client.String():
					case c.Server.String():
						s = Server
					default:
						if r.length[i] == 0 {
							continue // tshark names no node for a side that sent nothing
						}
						t.Errorf("%s: node %s is neither %v nor %v", w, node, c.Client, c.Server)
						ok = false
						continue
					}
					b := rec.streams[c][s]
					sum := sha256.Sum256(b)
					if differ(fmt.Sprintf("%s %v", w, s), fmt.Sprint(len(b), " ", hex.EncodeToString(sum[:8])), fmt.Sprint(r.length[i], " ", r.sum[i][:16])) {
						ok = false
					}
				}
				if ok {
					followOK++
				}
			}
			if len(of.follow) > 0 {
				fol = append(fol, fmt.Sprintf("%d/%d streams equal", followOK, len(of.follow)))
			}
			st := a.Stats()
			var synRexmit int
			for _, c := range rec.conns {
				synRexmit += c.SynRetransmits
			}
			fmt.Fprintf(&table, "%-44s %6d %6d %6d %6d %5d %5d %5d %5d  %s  (ours: %d gap bytes, %d data + %d SYN retransmissions; tshark %d SYN, data and FIN)\n",
				name, of.conv, len(rec.conns), len(of.streams), len(tuples), nSyn, nRst, nFin, nBytes, strings.Join(fol, " "),
				st.GapBytes, st.Retransmitted+st.Overlaps, synRexmit, sumRexmit(of.streams))

			var g strings.Builder
			for _, c := range rec.conns {
				fmt.Fprintf(&g, "#%d %v > %v %s\n", c.ID, c.Client, c.Server, describeConn(c))
			}
			g.WriteString(describeStats(st))
			golden(t, filepath.Join("corpus", name), g.String())
		})
	}
	for name, ps := range pinned {
		for what := range ps {
			if !used[name][what] {
				t.Errorf("%s: pinned %q never compared", name, what)
			}
		}
	}
	t.Logf("per capture: tshark conversations, our connections; tshark streams, distinct address and port pairs; streams that agree on SYN and SYN-ACK, RST, FINs, payload bytes per direction; follow streams equal byte for byte\n%s", table.String())
	if *update {
		os.WriteFile(filepath.Join("testdata", "oracle_table.txt"), []byte(table.String()), 0o644)
	}
}

func sumRexmit(rs []streamRow) int64 {
	var n int64
	for _, r := range rs {
		n += r.retransmits
	}
	return n
}
