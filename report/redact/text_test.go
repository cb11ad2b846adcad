package redact

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
)

func testRedactor(opts Options) *Redactor {
	if opts.Secret == nil {
		opts.Secret = testSecret
	}
	return New(opts)
}

// edgeAddr is kept in these tests; the others are the client's.
var edgeAddr = netip.MustParseAddr("172.16.0.10")

func TestString(t *testing.T) {
	r := testRedactor(Options{Edges: []netip.Addr{edgeAddr}})
	for _, c := range []struct {
		in       string
		gone     []string // must not be in the output
		kept     []string // must be
		sameSize bool     // the output is as long as the input
	}{
		{in: `"Load test 001" <sip:loadtest-001@10.1.2.3>;tag=b53e081d5b`,
			gone: []string{"Load test", "loadtest", "10.1.2.3"}, kept: []string{`<sip:`, ";tag=b53e081d5b"}},
		{in: `To: <sip:+18005550100@172.16.0.10;user=phone>`,
			gone: []string{"18005550100"}, kept: []string{"To: <sip:+", "@172.16.0.10;user=phone>"}, sameSize: true},
		{in: `INVITE sip:+1-800-555-0100@172.16.0.10:5060 SIP/2.0`,
			gone: []string{"800-555-0100"}, kept: []string{"INVITE sip:+", "-", "@172.16.0.10:5060 SIP/2.0"}, sameSize: true},
		{in: `Via: SIP/2.0/UDP 192.168.100.200:55453;rport=55453;branch=z9hG4bKe5670e3a;received=192.168.100.200`,
			gone: []string{"192.168.100.200"}, kept: []string{"rport=55453", "branch=z9hG4bKe5670e3a", ";received=198.1"}},
		{in: `Call-ID: 0a56bfba80bc1cfa-t001-i0001@10.1.2.3`,
			gone: []string{"10.1.2.3"}, kept: []string{"Call-ID: 0a56bfba80bc1cfa-t001-i0001@198."}, sameSize: true},
		{in: `Call-ID: 4930123456-77@pbx.example.com`, kept: []string{"Call-ID: 4930123456-77@pbx.example.com"}},
		{in: `X-Trace-Id: 4930123456`, kept: []string{"X-Trace-Id: 4930123456"}},
		{in: `CSeq: 12345678 INVITE`, kept: []string{"CSeq: 12345678 INVITE"}},
		{in: `Content-Length: 1234567`, kept: []string{"Content-Length: 1234567"}},
		{in: `P-Asserted-Identity: "Jane Doe" <tel:+49-30-1234567>`,
			gone: []string{"Jane Doe", "1234567"}, kept: []string{`P-Asserted-Identity: "`, `" <tel:+`}, sameSize: true},
		{in: `o=alice 3673166062 3673166062 IN IP4 10.1.2.3`,
			gone: []string{"alice", "3673166062", "10.1.2.3"}, kept: []string{"o=", " IN IP4 198."}},
		{in: `c=IN IP6 fd17:625c:f037:2:a00:27ff:feb9:1521`,
			gone: []string{"fd17:625c"}, kept: []string{"c=IN IP6 2001:db8:"}, sameSize: true},
		{in: `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:32`,
			gone: []string{"WVNfX19z"}, kept: []string{"inline:xxxx", "|2^20|1:32"}, sameSize: true},
		{in: `https://user:pw@api.example.com:8443/v2/calls/4930123456?number=%2B4930123&token=abc#frag`,
			gone: []string{"user:pw", "4930123456", "%2B4930123", "token=abc", "#frag"},
			kept: []string{"https://", "@api.example.com:8443/v2/calls/", "?number=", "&token="}, sameSize: true},
		{in: `GET /ws?token=secret&x=1 HTTP/1.1`, gone: []string{"secret"}, kept: []string{"GET /ws?token=", "&x=", " HTTP/1.1"}, sameSize: true},
		{in: `Authorization: Digest username="alice", realm="x", nonce="abc", uri="sip:bob@10.1.2.3", response="0123456789abcdef"`,
			gone: []string{`"alice"`, "sip:bob@", "0123456789abcdef", "10.1.2.3"}, kept: []string{`realm="x", nonce="abc"`, `response="xxxx`}},
		{in: `Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc`, gone: []string{"eyJhbGci"}, kept: []string{"Authorization: Bearer xxx"}, sameSize: true},
		{in: `Cookie: session=12345abc`, gone: []string{"12345abc"}, sameSize: true},
		{in: `the call to +49 30 1234567 at 2026-11-25 10:00:41.220 failed, 1 195 of 1 543; see 00:1a:2b:3c:4d:5e`,
			gone: []string{"30 1234567", "00:1a:2b:3c:4d:5e"}, kept: []string{"the call to +", "2026-11-25 10:00:41.220", "1 195 of 1 543"}, sameSize: true},
		{in: `Reason: Q.850;cause=34;text="Edge dialog limit reached"`, kept: []string{`Reason: Q.850;cause=34;text="Edge dialog limit reached"`}},
		{in: `SIP/2.0 503 Service Unavailable`, kept: []string{"SIP/2.0 503 Service Unavailable"}},
		{in: `Server: kamailio (5.6.3 (x86_64/linux))`, kept: []string{"kamailio (5.6.3 (x86_64/linux))"}},
		{in: `alice@example.com wrote from [2001:db8::1]:5060 and ::ffff:10.1.2.3`,
			gone: []string{"alice@", "2001:db8::1]", "10.1.2.3"}, kept: []string{"@example.com wrote from [", "]:5060 and ::ffff:198."}},
		{in: `Non HTTP response message: Connect to 10.1.2.3:8080 [/10.1.2.3] failed`, gone: []string{"10.1.2.3"}, kept: []string{":8080 [/198."}},
		{in: `Contact: "+12675941249" <sip:12675941249_Uclx8s21@10.243.17.55:43380;transport=ws>`,
			gone: []string{"2675941249", "Uclx8s21", "10.243.17.55"}, kept: []string{`Contact: "+`, ":43380;transport=ws>"}, sameSize: true},
		{in: `kept: 127.0.0.1 ::1 0.0.0.0 255.255.255.255 224.0.0.1 172.16.0.10`, kept: []string{"kept: 127.0.0.1 ::1 0.0.0.0 255.255.255.255 224.0.0.1 172.16.0.10"}},
		{in: `SIP INVITE`, kept: []string{"SIP INVITE"}},
	} {
		got := r.String(c.in)
		for _, g := range c.gone {
			if strings.Contains(got, g) {
				t.Errorf("%s\n  -> %s\n  still has %q", c.in, got, g)
			}
		}
		for _, k := range c.kept {
			if !strings.Contains(got, k) {
				t.Errorf("%s\n  -> %s\n  lost %q", c.in, got, k)
			}
		}
		if c.sameSize && len(got) != len(c.in) {
			t.Errorf("%s\n  -> %s\n  changed length", c.in, got)
		}
	}
}

func TestStable(t *testing.T) {
	in := `From: "Jane" <sip:+4930123456@10.1.2.3>;tag=1`
	a := testRedactor(Options{})
	first := a.String(in)
	if a.String(in) != first {
		t.Fatal("the same input twice gave two pseudonyms")
	}
	if b := testRedactor(Options{}); b.String(in) != first {
		t.Fatal("the same secret gave other pseudonyms")
	}
	if c := New(Options{Secret: []byte("another")}); c.String(in) == first {
		t.Fatal("another secret gave the same pseudonyms")
	}
	if d, e := New(Options{}), New(Options{}); d.String(in) == e.String(in) {
		t.Fatal("two random secrets gave the same pseudonyms")
	}
	// A number is the same number with or without its '+', in a URI, a
	// display name, free text and ISUP's digits.
	num := a.String("+4930123456")
	if !strings.Contains(first, num) || a.String("tel:4930123456") != "tel:"+num[1:] {
		t.Fatalf("a number's pseudonym differs by context: %s, %s", num, first)
	}
	// An address is the same in text and as an address.
	ip := a.Addr(netip.MustParseAddr("10.1.2.3")).String()
	if !strings.Contains(first, "@"+ip+">") {
		t.Fatalf("%s lacks %s", first, ip)
	}
}

func TestKeep(t *testing.T) {
	priv := netip.MustParseAddr("192.168.1.20")
	pub := netip.MustParseAddr("203.0.113.9")
	r := testRedactor(Options{})
	if r.Addr(priv) == priv || r.Addr(pub) == pub {
		t.Fatal("addresses kept without being named")
	}
	r = testRedactor(Options{KeepPrivate: true})
	if r.Addr(priv) != priv || r.Addr(pub) == pub {
		t.Fatal("KeepPrivate")
	}
	r = testRedactor(Options{Keep: func(a netip.Addr) bool { return a == pub }, Edges: []netip.Addr{priv}})
	if r.Addr(priv) != priv || r.Addr(pub) != pub {
		t.Fatal("Keep or Edges")
	}
	for _, s := range []string{"127.0.0.1", "::1", "0.0.0.0", "::", "224.0.0.5", "ff02::1", "255.255.255.255"} {
		a := netip.MustParseAddr(s)
		if r.Addr(a) != a {
			t.Errorf("%s not kept", s)
		}
	}
	ap := netip.MustParseAddrPort("10.9.8.7:5060")
	if got := r.AddrPort(ap); got.Port() != 5060 || got.Addr() == ap.Addr() {
		t.Errorf("AddrPort %v", got)
	}
}

// TestAddrPseudonyms checks the shape of address pseudonyms: in their
// ranges, one to one, as long as the original's text where possible.
func TestAddrPseudonyms(t *testing.T) {
	r := testRedactor(Options{})
	bench := netip.MustParsePrefix("198.18.0.0/15")
	doc := netip.MustParsePrefix("2001:db8::/32")
	seen := map[netip.Addr]netip.Addr{}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		var a netip.Addr
		if i%2 == 0 {
			a = netip.AddrFrom4([4]byte{byte(1 + rng.IntN(222)), byte(rng.IntN(256)), byte(rng.IntN(256)), byte(rng.IntN(256))})
		} else {
			var b [16]byte
			for k := range b {
				if rng.IntN(3) > 0 {
					b[k] = byte(rng.IntN(256))
				}
			}
			b[0] = 0x20 | b[0]&0x0f
			a = netip.AddrFrom16(b)
		}
		if r.Kept(a) {
			continue
		}
		q := r.Addr(a)
		if prev, ok := seen[q]; ok && prev != a {
			t.Fatalf("%v and %v both became %v", prev, a, q)
		}
		seen[q] = a
		if a.Is4() && !bench.Contains(q) || a.Is6() && !doc.Contains(q) {
			t.Fatalf("%v became %v, outside its range", a, q)
		}
		want := len(a.String())
		if a.Is4() {
			want = min(max(want, 10), 14)
		} else {
			want = min(max(want, 11), 38)
		}
		if len(q.String()) != want {
			t.Fatalf("%v (%d) became %v (%d)", a, len(a.String()), q, len(q.String()))
		}
	}
	// More addresses of one length than the pool of that length holds:
	// still one to one.
	r = testRedactor(Options{})
	got := map[netip.Addr]bool{}
	for i := 0; i < 600; i++ {
		a := netip.AddrFrom4([4]byte{10, 0, byte(i / 10 % 10), byte(i % 10)}) // 8 characters: the 10-character pool has 200
		if i >= 100 {
			a = netip.AddrFrom4([4]byte{1, 2, byte(i / 10), byte(i % 10)})
		}
		q := r.Addr(a)
		if got[q] {
			t.Fatalf("%v: %v given twice", a, q)
		}
		got[q] = true
	}
}

func TestFitAddr(t *testing.T) {
	for _, c := range []struct {
		a    string
		n    int
		want string
	}{
		{"198.18.1.2", 10, "198.18.1.2"},
		{"198.18.1.2", 12, "198.018.01.2"},
		{"198.18.1.2", 15, "198.018.001.002"},
		{"198.18.1.2", 8, "198.18.1"},
		{"198.18.1.2", 7, "198.180"},
		{"2001:db8::1", 13, "2001:0db8::01"},
		{"2001:db8::1", 20, "2001:db8:0:0:0:0:0:1"},
	} {
		if got := fitAddr(netip.MustParseAddr(c.a), c.n); got != c.want || len(got) != c.n {
			t.Errorf("fitAddr(%s, %d) = %q, want %q", c.a, c.n, got, c.want)
		}
	}
}

// TestFixedLength: in fixed mode nothing changes length, whatever the
// text.
func TestFixedLength(t *testing.T) {
	r := testRedactor(Options{})
	rng := rand.New(rand.NewPCG(3, 4))
	parts := []string{"sip:", "+49", "301234567", "@", "10.1.2.", "3", ":", "::", "fe80", "\r\n", "From: ", `"`, "<", ">", " ", ";", "=", "?", "&", "#",
		"https://", "a=crypto:", "inline:", "o=", "x", "00:1a:2b:3c:4d:5e", "tel:", "Authorization: Digest username=", ",", "2001:db8::1", "Call-ID: "}
	for i := 0; i < 20000; i++ {
		var b strings.Builder
		for n := rng.IntN(30); n >= 0; n-- {
			b.WriteString(parts[rng.IntN(len(parts))])
		}
		in := []byte(b.String())
		for _, final := range []bool{true, false} {
			sc := scanner{r: r, fixed: true, final: final}
			if out := sc.run(nil, in); len(out) != len(in) {
				t.Fatalf("%q (final %v) became %q", in, final, out)
			}
		}
	}
}

// TestSplitStream cuts a SIP message over TCP at every byte: neither the
// number nor the client's address may come through whole, whatever the
// cut, and nothing changes length.
func TestSplitStream(t *testing.T) {
	msg := "INVITE sip:+18005550100@172.16.0.10:5060;user=phone SIP/2.0\r\n" +
		"Via: SIP/2.0/TCP 10.11.12.13:55453;branch=z9hG4bKe5670e3a\r\n" +
		"From: \"Jane Doe\" <sip:jane.doe@10.11.12.13>;tag=b53e\r\n" +
		"To: <sip:+18005550100@172.16.0.10;user=phone>\r\n" +
		"Call-ID: abc@10.11.12.13\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
	for cut := 1; cut < len(msg); cut++ {
		r := testRedactor(Options{Edges: []netip.Addr{edgeAddr}})
		k := flowKey{netip.MustParseAddrPort("10.11.12.13:55453"), netip.MustParseAddrPort("172.16.0.10:5060")}
		a := r.flows.tcp(r, k, 1000, 0x18, []byte(msg[:cut]), false)
		b := r.flows.tcp(r, k, 1000+uint32(cut), 0x18, []byte(msg[cut:]), false)
		out := string(a) + string(b)
		if len(out) != len(msg) {
			t.Fatalf("cut at %d: length %d, want %d", cut, len(out), len(msg))
		}
		for _, s := range []string{"18005550100", "10.11.12.13", "jane.doe", "Jane Doe"} {
			if strings.Contains(out, s) {
				t.Errorf("cut at %d (%q|%q): %q came through:\n%s", cut, msg[max(0, cut-10):cut], msg[cut:min(len(msg), cut+10)], s, out)
			}
		}
	}
}

func TestCallID(t *testing.T) {
	r := testRedactor(Options{})
	for in, keep := range map[string]string{
		"0a56bfba80bc1cfa-t001-i0001@10.1.2.3":  "0a56bfba80bc1cfa-t001-i0001@",
		"0a56bfba80bc1cfa-t001-i0001@127.0.0.1": "0a56bfba80bc1cfa-t001-i0001@127.0.0.1",
		"abc@[2001:db8::7]":                     "abc@[",
		"3848276298220188511@atlanta.example":   "3848276298220188511@atlanta.example",
	} {
		got := r.CallID(in)
		if !strings.HasPrefix(got, keep) || len(got) != len(in) {
			t.Errorf("CallID(%s) = %s", in, got)
		}
		// The same in text, once met.
		if s := r.String(fmt.Sprintf("first failure, Call-ID %s.", in)); !strings.Contains(s, "Call-ID "+got+".") {
			t.Errorf("in text: %s", s)
		}
	}
}
