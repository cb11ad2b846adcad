package redact

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ceiling-dev/ceiling/pipeline"
	"github.com/ceiling-dev/ceiling/report"
)

var testSecret = []byte("ceiling redact tests")

// checkBad is every checksum tshark verifies.
const checkBad = "ip.checksum.status==Bad || udp.checksum.status==Bad || tcp.checksum.status==Bad || sctp.checksum.status==Bad || icmp.checksum.status==Bad || icmpv6.checksum.status==Bad || gre.checksum.status==Bad"

// secrets are what a capture must not show once redacted.
type secrets struct {
	phones []string // digits, 6 or more
	users  []string // user parts, display names, SDP user names
	uris   []string // user parts with a digit, 5 characters or more
	addrs  []netip.Addr
	macs   []string
}

var (
	userFields = []string{"sip.from.user", "sip.to.user", "sip.r-uri.user", "sip.contact.user", "sip.pai.user", "sip.ppi.user"}
	nameFields = []string{"sip.from.display.info", "sip.to.display.info", "sip.contact.display.info", "sip.pai.display.info", "sdp.owner.username"}
	addrFields = []string{"ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "arp.src.proto_ipv4", "arp.dst.proto_ipv4",
		"sdp.connection_info.address", "sdp.owner.address", "sip.Via.received"}
	macFields = []string{"eth.src", "eth.dst", "sll.src.eth", "ipv6.src_slaac_mac", "ipv6.dst_slaac_mac"}
	allFields = append(append(append(append([]string{}, userFields...), nameFields...), addrFields...), macFields...)
)

// findSecrets asks tshark what the original capture shows of the client
// side: every user part, display name, phone number, address not kept,
// and unicast MAC address.
func findSecrets(t *testing.T, path string, r *Redactor) secrets {
	var s secrets
	f := fieldSets(t, path, "", allFields...)
	seen := map[string]bool{}
	for _, n := range append(append([]string{}, userFields...), nameFields...) {
		for _, u := range f[n] {
			u = strings.Trim(u, `"`)
			if u == "-" || u == "" || seen[u] {
				continue
			}
			seen[u] = true
			s.users = append(s.users, u)
			d := strings.TrimPrefix(u, "+")
			if len(d) >= 6 && strings.Trim(d, "0123456789") == "" {
				s.phones = append(s.phones, d)
			}
		}
	}
	for _, n := range userFields {
		for _, u := range f[n] {
			if len(u) >= 5 && strings.ContainsAny(u, "0123456789") {
				s.uris = append(s.uris, u)
			}
		}
	}
	for _, n := range addrFields {
		for _, a := range f[n] {
			if addr, err := netip.ParseAddr(a); err == nil && !r.Kept(addr) {
				s.addrs = append(s.addrs, addr)
			}
		}
	}
	// A kept IPv6 address made by SLAAC shows its host's MAC (tshark
	// writes it out): that host is the edge, whose MAC is no secret.
	kept := map[string]bool{}
	for _, m := range append(f["ipv6.src_slaac_mac"], f["ipv6.dst_slaac_mac"]...) {
		kept[m] = true
	}
	for _, a := range s.addrs {
		if b := a.As16(); a.Is6() && b[11] == 0xff && b[12] == 0xfe {
			delete(kept, fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", b[8]^2, b[9], b[10], b[13], b[14], b[15]))
		}
	}
	for _, n := range []string{"eth.src", "eth.dst", "sll.src.eth"} {
		for _, m := range f[n] {
			// Unicast only: group addresses are kept.
			if !kept[m] && len(m) == 17 && m != "00:00:00:00:00:00" && !strings.ContainsAny(m[1:2], "13579bdf") {
				s.macs = append(s.macs, m)
			}
		}
	}
	return s
}

// checkGone fails for any secret left in the redacted capture: in what
// tshark shows of every packet, and in the file's bytes.
func checkGone(t *testing.T, out string, s secrets, after sipView) {
	t.Helper()
	text := tshark(t, "-r", out, "-V")
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	rawText := string(raw)
	leak := func(what, v string) {
		if i := findWord(text, v); i >= 0 {
			t.Errorf("%s %q shown by tshark: …%s…", what, v, text[max(0, i-80):min(len(text), i+len(v)+80)])
		}
		if findWord(rawText, v) >= 0 {
			t.Errorf("%s %q left in the capture's bytes", what, v)
		}
	}
	for _, p := range s.phones {
		leak("phone number", p)
	}
	for _, a := range s.addrs {
		leak("client address", a.String())
	}
	for _, m := range s.macs {
		leak("MAC address", m)
	}
	if len(s.users) > 0 {
		for _, u := range s.users {
			if after.users[u] && len(u) > 1 {
				t.Errorf("user %q still shown", u)
			}
		}
		// In the bytes, only user parts that cannot be a product name
		// or a codec ("SIPPS" is in the User-Agent too, sipp writes
		// "PCMU/8000" as a display name): with a digit, 5 or more.
		for _, u := range s.uris {
			if bytes.Contains(raw, []byte(u)) {
				t.Errorf("user %q left in the capture's bytes", u)
			}
		}
	}
}

// sipView is what tshark shows of a capture's SIP, in one run: each
// message's method, status and CSeq method, the Call-IDs, the users and
// display names, and the malformed packets.
type sipView struct {
	messages  []string
	callIDs   []string
	users     map[string]bool
	malformed int
}

func viewSIP(t *testing.T, path string) sipView {
	t.Helper()
	names := append([]string{"sip.Method", "sip.Status-Code", "sip.CSeq.method", "sip.Call-ID", "_ws.malformed"}, append(append([]string{}, userFields...), nameFields...)...)
	args := []string{"-r", path, "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=\x1f", "-Y", "sip || sdp || _ws.malformed"}
	for _, n := range names {
		args = append(args, "-e", n)
	}
	v := sipView{users: map[string]bool{}}
	ids := map[string]bool{}
	for _, line := range strings.Split(strings.TrimRight(tshark(t, args...), "\n"), "\n") {
		cols := strings.Split(line, "\t")
		if len(cols) < len(names) {
			continue
		}
		if cols[0] != "" || cols[1] != "" {
			v.messages = append(v.messages, cols[0]+" "+cols[1]+" "+cols[2])
		}
		for _, id := range strings.Split(cols[3], "\x1f") {
			if id != "" && !ids[id] {
				ids[id] = true
				v.callIDs = append(v.callIDs, id)
			}
		}
		if cols[4] != "" {
			v.malformed++
		}
		for _, c := range cols[5:] {
			for _, u := range strings.Split(c, "\x1f") {
				if u = strings.Trim(u, `"`); u != "" {
					v.users[u] = true
				}
			}
		}
	}
	sort.Strings(v.messages)
	return v
}

// checkSame compares what tshark sees of the SIP in both captures, and
// checks that the redacted one has no checksum error.
func checkSame(t *testing.T, before, after sipView, out string) {
	t.Helper()
	if bad := tshark(t, append(checkArgs, "-r", out, "-Y", checkBad)...); bad != "" {
		t.Errorf("checksum errors after redaction:\n%s", firstLines(bad, 10))
	}
	if after.malformed > before.malformed {
		t.Errorf("%d malformed packets after redaction, %d before", after.malformed, before.malformed)
	}
	if fmt.Sprint(before.messages) != fmt.Sprint(after.messages) {
		t.Errorf("SIP messages differ: %d before, %d after", len(before.messages), len(after.messages))
	}
	if ca, cb := callIDParts(before.callIDs), callIDParts(after.callIDs); fmt.Sprint(ca) != fmt.Sprint(cb) {
		t.Errorf("Call-IDs differ:\n%v\n%v", ca, cb)
	}
}

// callIDParts keeps what redaction keeps of Call-IDs: the part before a
// client address.
func callIDParts(ids []string) []string {
	var out []string
	for _, id := range ids {
		if at := strings.LastIndexByte(id, '@'); at >= 0 {
			id = id[:at]
		}
		out = append(out, id)
	}
	return sorted(out)
}

// analyze runs ceiling on the inputs.
func analyze(t *testing.T, paths ...string) *report.Document { return analyzeB(t, paths...) }

func analyzeB(t testing.TB, paths ...string) *report.Document {
	t.Helper()
	d, err := pipeline.Run(pipeline.Config{Paths: paths, Tool: "ceiling test"})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func checkVerdict(t *testing.T, a, b *report.Document) {
	t.Helper()
	va, vb := a.Result.Verdict, b.Result.Verdict
	if va.Failed != vb.Failed || va.Layer != vb.Layer || va.Status != vb.Status || va.Kind != vb.Kind {
		t.Errorf("verdict %v %v %s %v, after redaction %v %v %s %v", va.Failed, va.Layer, va.Status, va.Kind, vb.Failed, vb.Layer, vb.Status, vb.Kind)
	}
	if (va.FirstFailure == nil) != (vb.FirstFailure == nil) || va.FirstFailure != nil && (va.FirstFailure.Concurrency != vb.FirstFailure.Concurrency || va.FirstFailure.Time != vb.FirstFailure.Time) {
		t.Errorf("first failure %+v, after redaction %+v", va.FirstFailure, vb.FirstFailure)
	}
	if (va.Sustained == nil) != (vb.Sustained == nil) || va.Sustained != nil && va.Sustained.Concurrency != vb.Sustained.Concurrency {
		t.Errorf("sustained %+v, after redaction %+v", va.Sustained, vb.Sustained)
	}
	if len(a.Result.Layers) != len(b.Result.Layers) {
		t.Fatalf("%d layers, after redaction %d", len(a.Result.Layers), len(b.Result.Layers))
	}
	for i, la := range a.Result.Layers {
		lb := b.Result.Layers[i]
		if la.Layer != lb.Layer || la.Attempts != lb.Attempts || la.Failures != lb.Failures || fmt.Sprint(la.Codes) != fmt.Sprint(lb.Codes) {
			t.Errorf("layer %v: %d attempts %d failures %v, after redaction %v: %d %d %v", la.Layer, la.Attempts, la.Failures, la.Codes, lb.Layer, lb.Attempts, lb.Failures, lb.Codes)
		}
	}
}

// redactFile redacts a capture file with the edges its analysis found,
// and returns the redacted file and the Redactor.
func redactFile(t *testing.T, path string, opts Options) (string, *Redactor, *report.Document) {
	t.Helper()
	doc := analyze(t, path)
	if opts.Edges == nil {
		opts.Edges = Edges(doc.Result)
	}
	if opts.Secret == nil {
		opts.Secret = testSecret
	}
	r := New(opts)
	out := filepath.Join(t.TempDir(), "redacted.pcapng")
	writeCapture(t, out, redactCapture(t, r, readCapture(t, path)))
	return out, r, doc
}

// The captures of the public corpus that carry SIP, or something the
// redaction must get through (link types, tunnels, fragments,
// WebSocket).
var corpusCaptures = []string{
	"arkime_gtp-iphone_ims_sip.pcap",
	"goffinet_branch-scenario-sipp.pcapng",
	"goffinet_private-test-sip-2.pcapng",
	"goffinet_private-test-sip.pcapng",
	"goffinet_sip-488-Not-Acceptable-Here-codec-null.pcapng",
	"goffinet_sip-register-publish-subscribe-489-401.pcapng",
	"goffinet_uac-uas-scenario-sipp.pcapng",
	"gopacket_test_loopback_dltnull.pcap",
	"heplify_FAX-Call-t38-CA-TDM-SIP-FB-1.pcap",
	"heplify_erspan_sip_ipv4_udp.pcapng",
	"heplify_rtp_rtcp_sip_ipv4_udp.pcap",
	"heplify_sip_ipv4_tcp.pcap",
	"heplify_sip_ipv4_tcp_fragmented.pcap",
	"heplify_sip_ipv4_tcp_retrans.pcap",
	"heplify_sip_ipv6_udp.pcap",
	"heplify_sip_sctp.pcap",
	"heplify_sip_tcp_websocket.pcap",
	"ndpi_sip_hello.pcapng",
	"sngrep_aaa.pcap",
	"sngrep_ipip.pcap",
	"sngrep_ipv6frag.pcap",
	"suricataverify_sip-tcp.pcap",
	"wsample_Asterisk_ZFONE_XLITE.pcap",
	"wsample_SIP_DTMF2.cap",
	"wsample_h223-over-rtp.pcap.gz",
	"wsample_protos_c07-sip-r2.cap",
	"wsample_sip-rtp-g711.pcap",
	"wsample_sip-tls-1.3-and-rtcp_sip.pcap",
	"zeek_http_websocket.pcap",
	"zeek_ipv4_fragmented-3.pcap",
	"zeek_linux_dlt_sll2.pcap",
	"zeek_sip_invalid-content-length.pcap",
	"zeek_sip_sip-junk-before-request.pcap",
	"zeek_sip_sip-long-request-response-paths.pcap",
	"zeek_vlan-qinqinq.pcap",
	"zeek_websocket_jupyter-websocket.pcap",
	"suricataverify_websocket_compressed.pcap",
}

func TestCorpus(t *testing.T) {
	needTshark(t)
	dir := corpusDir(t)
	for _, name := range corpusCaptures {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(dir, name)
			out, r, before := redactFile(t, path, Options{})
			was, now := viewSIP(t, path), viewSIP(t, out)
			checkGone(t, out, findSecrets(t, path, r), now)
			checkSame(t, was, now, out)
			checkVerdict(t, before, analyze(t, out))
			st := r.Stats()
			t.Logf("%d frames, %d rewritten, %d dropped %v, %d blanked, %d stale checksums", st.Frames, st.Rewritten, st.Dropped, st.DroppedBy, st.Blanked, st.StaleChecksums)
		})
	}
}

// checkCapture redacts a capture and runs every check on it; extra are
// more strings that must be gone.
func checkCapture(t *testing.T, path string, opts Options, extra ...string) (string, *Redactor) {
	t.Helper()
	out, r, before := redactFile(t, path, opts)
	was, now := viewSIP(t, path), viewSIP(t, out)
	s := findSecrets(t, path, r)
	s.phones = append(s.phones, extra...)
	checkGone(t, out, s, now)
	checkSame(t, was, now, out)
	checkVerdict(t, before, analyze(t, out))
	return out, r
}

// TestDemoDistinct: the demo moved onto distinct addresses (client
// 10.1.2.3, edge 172.16.0.10, backend 172.16.0.20). Every check, and the
// client's and backend's addresses must be gone, the edge's kept.
func TestDemoDistinct(t *testing.T) {
	needTshark(t)
	p, _ := distinctDemo(t, t.TempDir())
	out, r := checkCapture(t, p, Options{}, "18005550100", demoClient, demoBackend)
	if !r.Kept(netip.MustParseAddr(demoEdge)) {
		t.Fatal("the analysis did not name the edge")
	}
	if got := fields(t, out, "", "ip.src"); !strings.Contains(strings.Join(got, " "), demoEdge) {
		t.Errorf("the edge's address is gone: %v", got)
	}
	st := r.Stats()
	if st.Dropped != 0 || st.Frames != st.Rewritten {
		t.Errorf("stats %+v", st)
	}
}

// TestDemoLoopback: on the demo as it is (all on 127.0.0.1, which is
// kept), the numbers and users go, the frames keep their lengths but for
// the SDP, and the verdict stays.
func TestDemoLoopback(t *testing.T) {
	needTshark(t)
	out, r := checkCapture(t, filepath.Join(demoDir, "spike.pcapng.gz"), Options{}, "18005550100")
	raw, _ := os.ReadFile(out)
	for _, s := range []string{"loadtest-", "Load test ", "jmeter 3"} {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("%q left", s)
		}
	}
	if !bytes.Contains(raw, []byte("127.0.0.1")) {
		t.Error("loopback addresses were replaced")
	}
	t.Logf("%+v", r.Stats())
}

// TestSameLength: with Options.SameLength no frame changes length, and
// everything else holds.
func TestSameLength(t *testing.T) {
	needTshark(t)
	p, _ := distinctDemo(t, t.TempDir())
	c := readCapture(t, p)
	r := New(Options{Secret: testSecret, SameLength: true, Edges: []netip.Addr{netip.MustParseAddr(demoEdge)}})
	for i, fr := range c.frames {
		out, err := r.Packet(fr.data, c.links[0])
		if err != nil || len(out) != len(fr.data) {
			t.Fatalf("frame %d: %d bytes became %d (%v)", i+1, len(fr.data), len(out), err)
		}
	}
	checkCapture(t, p, Options{SameLength: true}, "18005550100", demoClient, demoBackend)
}

// TestFixtures: the edge fixtures (SIP over TCP, WebSocket, TLS, refused
// connections, on loopback) keep their verdicts and dissect cleanly.
func TestFixtures(t *testing.T) {
	needTshark(t)
	dirs, err := filepath.Glob("../../testdata/fixtures/*/capture.pcapng.gz")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, p := range dirs {
		t.Run(filepath.Base(filepath.Dir(p)), func(t *testing.T) {
			t.Parallel()
			checkCapture(t, p, Options{})
		})
	}
}
