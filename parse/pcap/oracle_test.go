package pcap

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ceiling-dev/ceiling/parse"
)

// The oracle is tshark: testdata/pcap/oracle.sh counted, for every capture
// of the shared corpus and of testdata/pcap, the frames, IP and transport
// packets, fragments and reassembled datagrams as tshark sees them, into
// testdata/pcap/oracle.tsv. TestOracle holds ours against those numbers.
//
// Two kinds of column. tshark's display filters ("udp", "ipv6") match a
// header anywhere in the frame: inside a GRE, GTP-U or IP-in-IP tunnel, or
// quoted in an ICMP error. ceiling does not open tunnels: it delivers the
// outer packet (Transport OtherTransport for GRE and IPIP, UDP for GTP-U)
// and the correlator works on the edge's own addresses. So our counts are
// held equal to the o_* columns, tshark's outermost IP header and the one
// after it as frame.protocols lists them, and wherever a display-filter
// count differs, the difference is pinned below with its reason.

// corpusDir finds the shared capture corpus: $CEILING_CORPUS/pcap, or
// shared/corpus/pcap beside the repository, as the workplace lays it out.
func corpusDir() string {
	if d := os.Getenv("CEILING_CORPUS"); d != "" {
		return filepath.Join(d, "pcap")
	}
	return filepath.Join("..", "..", "..", "shared", "corpus", "pcap")
}

const testdataDir = "../../testdata/pcap"

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

// oracleRow is one line of oracle.tsv.
type oracleRow struct {
	src, file                              string
	frames, ip, ipv6, udp, tcp             int64
	frags, reasm                           int64
	outerIP, outerIPv6, outerUDP, outerTCP int64
}

func readOracle(t *testing.T) []oracleRow {
	t.Helper()
	f, err := os.Open(filepath.Join(testdataDir, "oracle.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []oracleRow
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		c := strings.Split(sc.Text(), "\t")
		if c[0] == "src" {
			continue
		}
		if len(c) != 13 {
			t.Fatalf("oracle.tsv: %d columns in %q", len(c), sc.Text())
		}
		n := make([]int64, 11)
		for i := range n {
			if n[i], err = strconv.ParseInt(c[i+2], 10, 64); err != nil {
				t.Fatalf("oracle.tsv: %q: %v", sc.Text(), err)
			}
		}
		rows = append(rows, oracleRow{c[0], c[1], n[0], n[1], n[2], n[3], n[4], n[5], n[6], n[7], n[8], n[9], n[10]})
	}
	return rows
}

// differs pins every count of ours that is not tshark's, by file and
// column, with our number and the reason. tshark's number is in oracle.tsv.
// The test fails when a pinned difference disappears, so that the list
// stays true.
type diff struct {
	ours int64
	why  string
}

var differs = map[string]map[string]diff{
	"arkime_gtp-iphone_ims_sip.pcap": {
		"ipv6":  {0, "99 IPv6 packets are inside GTP-U tunnels (UDP port 2152); Stats.IPv6 counts frames by their outermost IP version"},
		"o_udp": {40, "the 106 outer datagrams are GTP-U: we deliver what is inside (40 UDP, 58 TCP, 8 ICMPv6)"},
		"o_tcp": {58, "as o_udp: the TCP segments come out of GTP-U"},
		"udp":   {40, "tshark's udp filter matches the outer GTP-U datagram of every tunnelled packet; we count the inner packet's own transport"},
	},
	"heplify_erspan_sip_ipv4_udp.pcapng": {
		"o_udp": {140, "all 140 UDP datagrams are inside GRE (transparent Ethernet bridging): we deliver them from inside"},
	},
	"goffinet_private-test-sip.pcapng": {
		"udp": {2000, "3 ICMP port-unreachable errors quote the UDP header of what they answer; they are ICMP to us"},
	},
	"sngrep_ipip.pcap": {
		"o_tcp": {4, "2 of the 4 TCP segments are inside IP-in-IP: we deliver them from inside"},
	},
	"wsample_h223-over-rtp.pcap.gz": {
		"udp": {728, "2 ICMP port-unreachable errors quote a UDP header; they are ICMP to us"},
	},
	"lo_snap200.pcap": {
		"udp":   {8, "the first fragment of the IPv6 INVITE, cut by the snap length, is delivered with its UDP header as for IPv4; tshark shows it as data"},
		"o_udp": {8, "as udp"},
	},
	"mixed_ether_sll2.pcapng": {
		"reasm": {12, "each datagram was captured on both interfaces; we reassemble per interface and deliver each copy, as unfragmented packets are; tshark reassembles across interfaces, once"},
		"udp":   {16, "as reasm: the two IPv4 and IPv6 INVITEs are delivered from each interface"},
		"o_udp": {16, "as reasm"},
	},
}

// ourCounts reads a capture to the end and counts as oracle.sh does.
type ourCounts struct {
	stats    Stats
	udp, tcp int64
	problems *parse.Problems
}

func countFile(t testing.TB, path string) ourCounts {
	t.Helper()
	in, err := parse.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var c ourCounts
	c.problems = &parse.Problems{}
	r, err := NewReader(in, Options{Problems: c.problems})
	if err != nil {
		t.Fatal(err)
	}
	for {
		p, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch p.Transport {
		case UDP:
			c.udp++
		case TCP:
			c.tcp++
		}
	}
	c.stats = r.Stats()
	return c
}

func TestOracle(t *testing.T) {
	rows := readOracle(t)
	var corpus string
	seen := map[string]bool{}
	for _, row := range rows {
		seen[row.file] = true
		t.Run(row.src+"/"+row.file, func(t *testing.T) {
			dir := testdataDir
			if row.src == "corpus" {
				if corpus == "" {
					corpus = needCorpus(t)
				}
				dir = corpus
			}
			c := countFile(t, filepath.Join(dir, row.file))
			s := c.stats
			// Ours against tshark's outermost headers, its frame, fragment
			// and reassembly counts, and its display filters: equal, or a
			// difference pinned with its reason.
			for _, x := range []struct {
				name         string
				ours, tshark int64
			}{
				{"frames", s.Frames, row.frames},
				{"o_ip", s.IPv4, row.outerIP},
				{"o_ipv6", s.IPv6, row.outerIPv6},
				{"o_udp", c.udp, row.outerUDP},
				{"o_tcp", c.tcp, row.outerTCP},
				{"frags", s.Fragments, row.frags},
				{"reasm", s.Reassembled, row.reasm},
				{"ip", s.IPv4, row.ip},
				{"ipv6", s.IPv6, row.ipv6},
				{"udp", c.udp, row.udp},
				{"tcp", c.tcp, row.tcp},
			} {
				d, pinned := differs[row.file][x.name]
				switch {
				case !pinned && x.ours != x.tshark:
					t.Errorf("%s: ours %d, tshark %d, and no reason pinned", x.name, x.ours, x.tshark)
				case pinned && x.ours != d.ours:
					t.Errorf("%s: ours %d, pinned %d (tshark %d): %s", x.name, x.ours, d.ours, x.tshark, d.why)
				case pinned && x.ours == x.tshark:
					t.Errorf("%s: ours and tshark agree (%d) but a difference is pinned: %s", x.name, x.ours, d.why)
				case pinned:
					t.Logf("%s: ours %d, tshark %d: %s", x.name, x.ours, x.tshark, d.why)
				}
			}
			if c.problems.Count != s.Skipped+s.Incomplete+c.problems.ByReason["ip fragment overlap"]+c.problems.ByReason["truncated file"]+c.problems.ByReason["damaged file"] {
				t.Errorf("problems %v do not add up with the stats %+v", c.problems.ByReason, s)
			}
		})
	}
	for f := range differs {
		if !seen[f] {
			t.Errorf("difference pinned for %s, which oracle.tsv does not list", f)
		}
	}
}

// TestOracleCoversCorpus makes sure every capture of the corpus is in
// oracle.tsv or known to be unreadable, so a file added to the corpus is
// not silently left out.
func TestOracleCoversCorpus(t *testing.T) {
	dir := needCorpus(t)
	listed := map[string]bool{}
	for _, row := range readOracle(t) {
		if row.src == "corpus" {
			listed[row.file] = true
		}
	}
	files, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !listed[f.Name()] && !unreadable[f.Name()] {
			t.Errorf("%s is in the corpus but not in oracle.tsv: run testdata/pcap/oracle.sh", f.Name())
		}
	}
}

// unreadable are the corpus files that are no capture ceiling reads. The
// NetMon 2.x file (wsample_protos_c07-sip-r2.cap) used to be one; it is
// read now, and compared with tshark like the others.
var unreadable = map[string]bool{}

// TestNetmon reads the corpus's NetMon 2.x capture: frames, times and
// addresses as tshark gives them.
func TestNetmon(t *testing.T) {
	dir := needCorpus(t)
	c := countFile(t, filepath.Join(dir, "wsample_protos_c07-sip-r2.cap"))
	s := c.stats
	// tshark: 39 frames, first at 1121614760.502, last at 1121614772.454.
	if s.Frames != 39 || s.FirstTime != 1121614760502000000 || s.LastTime != 1121614772454000000 {
		t.Errorf("frames %d, first %d, last %d", s.Frames, s.FirstTime, s.LastTime)
	}
	if c.udp != 39 || c.problems.Count != 0 {
		t.Errorf("udp %d, problems %v", c.udp, c.problems.First)
	}
}
