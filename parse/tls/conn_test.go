package tls

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"strings"
	"testing"
	"time"
)

func TestLooks(t *testing.T) {
	ch := record(TypeHandshake, clientHello(helloOpts{}))
	sh := record(TypeHandshake, serverHello(VersionTLS12, 0xc02f, false))
	v2 := []byte{0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15, 0x00, 0x00, 0x00, 0x10}
	for _, tc := range []struct {
		name string
		b    []byte
		want bool
	}{
		{"client hello", ch, true},
		{"client hello, first 6 bytes", ch[:6], true},
		{"5 bytes", ch[:5], false},
		{"server hello", sh, true},
		{"sslv2 client hello", v2, true},
		{"sslv2 with a bad version", []byte{0x80, 0x2e, 0x01, 0x07, 0x01, 0x00}, false},
		{"application data", sealed(TypeApplicationData, 20), false},
		{"handshake, not a hello", record(TypeHandshake, message(Finished, make([]byte, 12))), false},
		{"version 3.5", []byte{22, 3, 5, 0, 10, 1}, false},
		{"version 2.0", []byte{22, 2, 0, 0, 10, 1}, false},
		{"too long", []byte{22, 3, 1, 0x48, 0x01, 1}, false},
		{"empty", []byte{22, 3, 1, 0, 0, 1}, false},
		{"sip", []byte("INVITE sip:a@b SIP/2.0\r\n"), false},
		{"http", []byte("GET / HTTP/1.1\r\n"), false},
	} {
		if got := Looks(tc.b); got != tc.want {
			t.Errorf("%s: Looks = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestConn runs synthetic connections: each a sequence of Feed, Gap and
// Close calls, and what the Handshake must say after them.
func TestConn(t *testing.T) {
	alert := func(level, desc byte) []byte { return record(TypeAlert, []byte{level, desc}) }
	ch := record(TypeHandshake, clientHello(helloOpts{sni: "edge.example"}))
	ch13 := record(TypeHandshake, clientHello(helloOpts{versions: []uint16{VersionTLS13}, shares: []uint16{0x0017}}))
	sh13 := record(TypeHandshake, serverHello(VersionTLS13, 0x1301, false))
	with := func(ops []op, more ...op) []op { return append(append([]op(nil), ops...), more...) }

	for _, tc := range []struct {
		name   string
		ops    []op
		state  State
		reason string
		check  func(t *testing.T, h *Handshake)
	}{
		{
			name: "tls 1.2 complete", ops: tls12(), state: HandshakeComplete,
			check: func(t *testing.T, h *Handshake) {
				if h.Done.Packet != 4 || h.Client.AppDataRecords != 1 || h.Server.AppDataBytes != 200 || h.ClientHello.SNI != "edge.example" || h.ServerHello.CipherSuiteName() != "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" {
					t.Errorf("done %+v client %+v server %+v", h.Done, h.Client, h.Server)
				}
			},
		},
		{
			name: "tls 1.3 complete", ops: tls13(), state: HandshakeComplete,
			check: func(t *testing.T, h *Handshake) {
				if h.Done.Packet != 3 || h.Server.Encrypted != 4 || h.Client.Encrypted != 1 || h.Client.AppDataRecords != 1 || h.Server.AppDataRecords != 1 || h.Version != VersionTLS13 {
					t.Errorf("done %+v client %+v server %+v", h.Done, h.Client, h.Server)
				}
			},
		},
		{
			name: "tls 1.3, the client's first protected record is alert-sized",
			ops: with(feeds(Client, ch13, Server, cat(sh13, ccs(), sealed(TypeApplicationData, 30), sealed(TypeApplicationData, 900)),
				Client, cat(ccs(), sealed(TypeApplicationData, 19))), closeOp(ClientFIN)),
			state: Failed, reason: "alert:encrypted",
			check: func(t *testing.T, h *Handshake) {
				if len(h.Alerts) != 1 || h.Alerts[0].From != Client || h.Alerts[0].Name() != "encrypted alert" || h.Done.Packet != 3 {
					t.Errorf("alerts %+v done %+v", h.Alerts, h.Done)
				}
			},
		},
		{
			name: "tls 1.3 CCM_8: an alert is 11 bytes",
			ops: feeds(Client, ch13, Server, cat(record(TypeHandshake, serverHello(VersionTLS13, 0x1305, false)), sealed(TypeApplicationData, 30)),
				Client, sealed(TypeApplicationData, 11)),
			state: Failed, reason: "alert:encrypted",
		},
		{
			name: "tls 1.3 CCM_8: 19 bytes is no alert",
			ops: feeds(Client, ch13, Server, cat(record(TypeHandshake, serverHello(VersionTLS13, 0x1305, false)), sealed(TypeApplicationData, 30)),
				Client, sealed(TypeApplicationData, 19)),
			state: HandshakeComplete,
		},
		{
			name: "hello retry request",
			ops: feeds(Client, ch13, Server, cat(record(TypeHandshake, serverHello(VersionTLS13, 0x1301, true)), ccs()),
				Client, cat(ccs(), ch13), Server, cat(sh13, sealed(TypeApplicationData, 40)), Client, sealed(TypeApplicationData, 53)),
			state: HandshakeComplete,
			check: func(t *testing.T, h *Handshake) {
				if h.HelloRetry == nil || h.HelloRetry.Packet != 2 || h.HelloRetry.KeyShare != 0x001d || h.ServerHello.Packet != 4 || h.ClientHellos != 2 || h.ServerHello.HelloRetryRequest {
					t.Errorf("retry %+v hello %+v hellos %d", h.HelloRetry, h.ServerHello, h.ClientHellos)
				}
			},
		},
		{
			name:  "server refuses: fatal alert",
			ops:   feeds(Client, ch, Server, alert(2, 40)),
			state: Failed, reason: "alert:handshake_failure",
		},
		{
			name:  "unassigned alert description",
			ops:   feeds(Client, ch, Server, alert(2, 123)),
			state: Failed, reason: "alert:123",
		},
		{
			name:  "tls 1.2 warning alert does not end the handshake",
			ops:   feeds(Client, ch, Server, alert(1, 112)),
			state: ClientHelloOnly,
		},
		{
			name:  "close_notify ends it whatever its level",
			ops:   feeds(Client, ch, Server, alert(1, 0)),
			state: Failed, reason: "alert:close_notify",
		},
		{
			name: "tls 1.3 ignores the level",
			ops: feeds(Client, ch13, Server, cat(sh13, sealed(TypeApplicationData, 40)),
				Client, alert(1, 48)),
			state: Failed, reason: "alert:unknown_ca",
		},
		{
			name:  "server FIN after the client hello",
			ops:   with(feeds(Client, ch), closeOp(ServerFIN)),
			state: Failed, reason: "closed",
			check: func(t *testing.T, h *Handshake) {
				if h.Closed != ServerFIN || h.Done.Packet != 99 {
					t.Errorf("closed %v done %+v", h.Closed, h.Done)
				}
			},
		},
		{
			name: "a late close: the server's FIN came before the client's alert",
			ops: with(feeds(Client, ch, Client, alert(2, 50)),
				op{kind: 'c', reason: ServerFIN, t: 1500, pkt: 15}, op{kind: 'c', reason: ClientFIN, t: 2500, pkt: 25}),
			state: Failed, reason: "closed",
			check: func(t *testing.T, h *Handshake) {
				if h.Done.Packet != 15 || h.Alerts[0].Name() != "decode_error" {
					t.Errorf("done %+v alerts %+v", h.Done, h.Alerts)
				}
			},
		},
		{
			name: "a late close after the alert it caused stays an alert",
			ops: with(feeds(Client, ch, Server, alert(2, 40)),
				op{kind: 'c', reason: ClientFIN, t: 2500, pkt: 25}, op{kind: 'c', reason: ServerFIN, t: 2600, pkt: 26}),
			state: Failed, reason: "alert:handshake_failure",
		},
		{
			name:  "server RST after the client hello",
			ops:   with(feeds(Client, ch), closeOp(ServerRST)),
			state: Failed, reason: "closed",
		},
		{
			name:  "capture ends after the client hello",
			ops:   with(feeds(Client, ch), closeOp(EndOfCapture)),
			state: Incomplete, reason: "incomplete",
		},
		{
			name:  "bytes missing, then a close: no verdict",
			ops:   with(feeds(Client, ch), op{kind: 'g', side: Server, n: 100}, closeOp(ServerFIN), closeOp(ClientFIN)),
			state: Incomplete, reason: "incomplete",
		},
		{
			name:  "bytes missing, then a FIN from one side only: undecided",
			ops:   with(feeds(Client, ch), op{kind: 'g', side: Server, n: 100}, closeOp(ServerFIN)),
			state: ClientHelloOnly,
		},
		{
			name: "false start: the client closes before the server's Finished",
			ops: append(with(tls12()[:3], closeOp(ClientFIN)),
				feeds(Server, cat(ccs(), sealed(TypeHandshake, 40)))...),
			state: HandshakeComplete,
		},
		{
			name:  "the server closes after the client's part, before its own",
			ops:   with(tls12()[:3], closeOp(ServerFIN)),
			state: Failed, reason: "closed",
		},
		{
			name: "tls 1.2 encrypted alert right after the handshake",
			ops: append(tls12()[:3], feeds(Server, cat(ccs(), sealed(TypeHandshake, 40)),
				Client, sealed(TypeAlert, 26))...),
			state: HandshakeComplete,
		},
		{
			name:  "tls 1.2 client rejects the server's Finished: encrypted alert",
			ops:   append(tls12()[:2], feeds(Client, cat(record(TypeHandshake, message(ClientKeyExchange, make([]byte, 33))), ccs(), sealed(TypeHandshake, 40), sealed(TypeAlert, 26)))...),
			state: Failed, reason: "alert:encrypted",
		},
		{
			name:  "after the handshake a close_notify is no failure",
			ops:   append(tls12(), feeds(Client, sealed(TypeAlert, 26), Server, sealed(TypeAlert, 26))...),
			state: HandshakeComplete,
			check: func(t *testing.T, h *Handshake) {
				if h.AlertCount != 2 || !h.Alerts[0].Encrypted || h.Alerts[1].From != Server {
					t.Errorf("alerts %+v", h.Alerts)
				}
			},
		},
		{
			name:  "capture begins after the handshake",
			ops:   feeds(Server, sealed(TypeApplicationData, 100), Client, sealed(TypeApplicationData, 50), Server, sealed(TypeAlert, 26)),
			state: NoHandshake,
			check: func(t *testing.T, h *Handshake) {
				if h.Server.AppDataRecords != 1 || h.AlertCount != 1 {
					t.Errorf("server %+v alerts %d", h.Server, h.AlertCount)
				}
			},
		},
		{
			name: "client hello in 1-byte records, server hello split over two",
			ops: func() []op {
				m := clientHello(helloOpts{sni: "tiny.example", alpn: []string{"sip", "h2"}})
				var recs []byte
				for _, c := range m {
					recs = append(recs, record(TypeHandshake, []byte{c})...)
				}
				s := serverHello(VersionTLS12, 0x009d, false)
				return feeds(Client, recs, Server, cat(record(TypeHandshake, s[:7]), record(TypeHandshake, s[7:])))
			}(),
			state: ServerHelloSeen,
			check: func(t *testing.T, h *Handshake) {
				if h.ClientHello.SNI != "tiny.example" || len(h.ClientHello.ALPN) != 2 || h.CipherSuite != 0x009d || h.ClientHello.Offset != 5 {
					t.Errorf("hello %+v suite %#x", h.ClientHello, h.CipherSuite)
				}
			},
		},
		{
			name: "several messages in one record",
			ops: feeds(Client, ch, Server, record(TypeHandshake, cat(serverHello(VersionTLS12, 0xc02f, false),
				message(Certificate, vec24b(vec24b(testCert(t, "several.example")))), message(ServerHelloDone, nil)))),
			state: ServerHelloSeen,
			check: func(t *testing.T, h *Handshake) {
				if h.Certificates != 1 || h.CommonName != "several.example" || len(h.Server.Messages) != 3 {
					t.Errorf("certificates %d %q messages %v", h.Certificates, h.CommonName, h.Server.Messages)
				}
			},
		},
		{
			name: "sslv2 client hello",
			ops: feeds(Client, func() []byte {
				body := cat([]byte{1}, u16b(VersionTLS10), u16b(6), u16b(0), u16b(16), []byte{0, 0, 0x2f, 0, 0, 0x35}, make([]byte, 16))
				return cat([]byte{0x80 | byte(len(body)>>8), byte(len(body))}, body)
			}(), Server, record(TypeHandshake, serverHello(VersionTLS10, 0x002f, false))),
			state: ServerHelloSeen,
			check: func(t *testing.T, h *Handshake) {
				if !h.ClientHello.SSLv2 || h.ClientHello.CipherSuites != 2 || h.ClientHello.LegacyVersion != VersionTLS10 {
					t.Errorf("hello %+v", h.ClientHello)
				}
			},
		},
		{
			name: "tls 1.3 draft 21: no session id, a separate retry message",
			ops: feeds(Client, ch13,
				Server, record(TypeHandshake, message(HelloRetryRequest, cat(u16b(0x7f15), u16b(0x1301), vec16b(extension(extKeyShareDraft, u16b(0x001d)))))),
				Client, ch13,
				Server, cat(record(TypeHandshake, message(ServerHelloType, cat(u16b(0x7f15), make([]byte, 32), u16b(0x1302),
					vec16b(extension(extKeyShareDraft, cat(u16b(0x0017), vec16b(make([]byte, 65)))))))), sealed(TypeApplicationData, 30)),
				Client, sealed(TypeApplicationData, 69)),
			state: HandshakeComplete,
			check: func(t *testing.T, h *Handshake) {
				if h.Version != 0x7f15 || h.CipherSuite != 0x1302 || h.ServerHello.KeyShare != 0x0017 || h.HelloRetry == nil || h.HelloRetry.KeyShare != 0x001d {
					t.Errorf("version %#x suite %#x hello %+v retry %+v", h.Version, h.CipherSuite, h.ServerHello, h.HelloRetry)
				}
			},
		},
		{
			name: "record too long: reported, then found again",
			ops: feeds(Client, ch, Server, cat([]byte{22, 3, 3, 0x50, 0x00}, []byte("junk"),
				record(TypeHandshake, serverHello(VersionTLS12, 0xc02f, false)), alert(2, 40))),
			state: Failed, reason: "alert:handshake_failure",
			check: func(t *testing.T, h *Handshake) {
				if h.Problems != 1 || h.Server.Skipped != 9 || h.ServerHello == nil {
					t.Errorf("problems %d server %+v", h.Problems, h.Server)
				}
			},
		},
		{
			name:  "garbage before the records",
			ops:   feeds(Client, cat([]byte("\x16\x03\x03hello there, this is not tls"), ch, sealed(TypeApplicationData, 10))),
			state: ClientHelloOnly,
			check: func(t *testing.T, h *Handshake) {
				if h.Problems != 1 || h.Client.Skipped != 31 || h.ClientHello.Offset != 36 {
					t.Errorf("problems %d client %+v hello %+v", h.Problems, h.Client, h.ClientHello)
				}
			},
		},
		{
			name: "a gap inside a record spoils only that record",
			ops: with(feeds(Client, ch, Server, cat(record(TypeHandshake, serverHello(VersionTLS12, 0xc02f, false)), sealed(TypeApplicationData, 100)[:50])),
				op{kind: 'g', side: Server, n: 55}, feeds(Server, alert(2, 40))[0]),
			state: Failed, reason: "alert:handshake_failure",
			check: func(t *testing.T, h *Handshake) {
				if h.Server.Skipped != 0 || h.Server.Records != 3 || h.Server.Gap != 55 {
					t.Errorf("server %+v", h.Server)
				}
			},
		},
		{
			name: "a gap over a record boundary: framing found again",
			ops: with(feeds(Client, ch, Server, sealed(TypeApplicationData, 100)[:50]),
				op{kind: 'g', side: Server, n: 60}, feeds(Server, cat([]byte("abcdef"), sealed(TypeApplicationData, 10), sealed(TypeApplicationData, 10)))[0]),
			state: ClientHelloOnly,
			check: func(t *testing.T, h *Handshake) {
				if h.Server.Skipped != 50+6 || h.Server.AppDataRecords != 2 {
					t.Errorf("server %+v", h.Server)
				}
			},
		},
		{
			name: "after a gap, a last record that ends the stream is taken",
			ops: with(feeds(Client, ch, Server, sealed(TypeApplicationData, 100)[:50]),
				op{kind: 'g', side: Server, n: 60}, feeds(Server, cat([]byte("xyz"), alert(2, 40)))[0], closeOp(ServerFIN)),
			state: Failed, reason: "alert:handshake_failure",
		},
		{
			name:  "malformed client hello",
			ops:   feeds(Client, record(TypeHandshake, message(ClientHelloType, []byte{3, 3, 1, 2}))),
			state: ClientHelloOnly,
			check: func(t *testing.T, h *Handshake) {
				if h.Problems != 1 {
					t.Errorf("problems %d", h.Problems)
				}
			},
		},
		{
			name:  "a FIN inside a record",
			ops:   with(feeds(Client, ch[:20]), closeOp(ClientFIN)),
			state: NoHandshake,
			check: func(t *testing.T, h *Handshake) {
				if !h.Client.Truncated || h.Problems != 1 {
					t.Errorf("client %+v problems %d", h.Client, h.Problems)
				}
			},
		},
		{
			name:  "data after a FIN is reported once and ignored",
			ops:   append(with(feeds(Client, ch), closeOp(ClientFIN)), feeds(Client, ch, Client, ch)...),
			state: Failed, reason: "closed",
			check: func(t *testing.T, h *Handshake) {
				if h.Problems != 1 || h.ClientHellos != 1 {
					t.Errorf("problems %d hellos %d", h.Problems, h.ClientHellos)
				}
			},
		},
		{
			name:  "empty records",
			ops:   feeds(Client, cat(record(TypeApplicationData, nil), record(TypeHandshake, nil), ch)),
			state: ClientHelloOnly,
			check: func(t *testing.T, h *Handshake) {
				if h.Problems != 1 || h.Client.Records != 3 {
					t.Errorf("problems %d client %+v", h.Problems, h.Client)
				}
			},
		},
		{
			name: "early data before the server hello",
			ops: feeds(Client, cat(record(TypeHandshake, clientHello(helloOpts{versions: []uint16{VersionTLS13}, earlyData: true})), ccs(), sealed(TypeApplicationData, 100)),
				Server, cat(sh13, sealed(TypeApplicationData, 40)), Client, sealed(TypeApplicationData, 53)),
			state: HandshakeComplete,
			check: func(t *testing.T, h *Handshake) {
				if !h.ClientHello.EarlyData || h.Client.AppDataRecords != 1 || h.Client.Encrypted != 1 {
					t.Errorf("client %+v", h.Client)
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, c := runOps(tc.ops, nil)
			h := c.Handshake()
			if h.State != tc.state || h.Reason != tc.reason {
				t.Errorf("state %s %q, want %s %q\n%s", h.State, h.Reason, tc.state, tc.reason, out)
			}
			if tc.check != nil {
				tc.check(t, h)
			}
			if got, _ := runOps(split(tc.ops, func() int { return 1 }), nil); got != out {
				t.Errorf("byte by byte:\n%s", diff(out, got))
			}
		})
	}
}

func TestProblemsReportedAreBounded(t *testing.T) {
	n := 0
	c := NewConn(&Options{OnProblem: func(*Error) { n++ }})
	junk := []byte{99, 3, 3, 0, 1, 0}
	for i := 0; i < 100; i++ {
		// A valid pair of records, then junk: found again, lost again.
		c.Feed(Server, cat(sealed(TypeApplicationData, 3), sealed(TypeApplicationData, 3), junk), 1, int64(i))
	}
	if h := c.Handshake(); n != problemsReported || h.Problems < 99 {
		t.Errorf("reported %d, counted %d", n, h.Problems)
	}
}

func TestError(t *testing.T) {
	e := &Error{Side: Server, Offset: 517, Packet: 12, Key: "record too long", Detail: "handshake length 20000, limit 18432"}
	if got := e.Error(); got != "tls: server stream offset 517: record too long: handshake length 20000, limit 18432" {
		t.Errorf("Error() = %q", got)
	}
	p := e.Problem("x.pcap")
	if p.Packet != 12 || p.Offset != -1 || !strings.Contains(p.Error(), "x.pcap: packet 12: tls: server stream offset 517") {
		t.Errorf("Problem = %+v (%s)", p, p.Error())
	}
}

// testCert makes a self-signed certificate with subject CN cn.
func testCert(t *testing.T, cn string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7),
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"ceiling"}},
		Issuer:       pkix.Name{CommonName: "issuer"},
		NotBefore:    time.Unix(0, 0), NotAfter: time.Unix(1<<32, 0),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestSubjectCN(t *testing.T) {
	for _, cn := range []string{"edge.example", "éдge", "", strings.Repeat("x", 64)} {
		der := testCert(t, cn)
		if got := subjectCN(der); got != cn {
			t.Errorf("subjectCN = %q, want %q", got, cn)
		}
		for i := range der {
			subjectCN(der[:i]) // must not panic
		}
	}
	n, cn, ok := parseCertificates(cat(vec24b(cat(vec24b(testCert(t, "a")), vec24b(testCert(t, "b"))))), false)
	if n != 2 || cn != "a" || !ok {
		t.Errorf("parseCertificates = %d %q %v", n, cn, ok)
	}
}

func TestNames(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{CipherSuiteName(0x1301), "TLS_AES_128_GCM_SHA256"},
		{CipherSuiteName(0xc02f), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
		{CipherSuiteName(0x0a0a), "GREASE"},
		{CipherSuiteName(0xfefe), "0xfefe"},
		{VersionName(0x7f15), "TLS 1.3 draft 21"},
		{VersionName(0x0304), "TLS 1.3"},
		{VersionName(0xdada), "GREASE"},
		{AlertName(40), "handshake_failure"},
		{AlertName(21), "decryption_failed"},
		{AlertName(200), "200"},
		{GroupName(0x001d), "x25519"},
		{GroupName(0x11ec), "X25519MLKEM768"},
		{HandshakeType(14).String(), "server_hello_done"},
		{TypeAlert.String(), "alert"},
		{ServerRST.String(), "server RST"},
		{CloseReason(0).String(), "open"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

// TestAlertNamesMatchWireshark holds our registry names to the alert
// descriptions tshark prints ("Handshake Failure" is handshake_failure).
func TestAlertNamesMatchWireshark(t *testing.T) {
	// From `tshark -G values` (Wireshark 4.0), field tls.alert_message.desc.
	ws := map[uint8]string{0: "Close Notify", 10: "Unexpected Message", 20: "Bad Record MAC", 21: "Decryption Failed",
		22: "Record Overflow", 30: "Decompression Failure", 40: "Handshake Failure", 41: "No Certificate",
		42: "Bad Certificate", 43: "Unsupported Certificate", 44: "Certificate Revoked", 45: "Certificate Expired",
		46: "Certificate Unknown", 47: "Illegal Parameter", 48: "Unknown CA", 49: "Access Denied", 50: "Decode Error",
		51: "Decrypt Error", 60: "Export Restriction", 70: "Protocol Version", 71: "Insufficient Security",
		80: "Internal Error", 86: "Inappropriate Fallback", 90: "User Canceled", 100: "No Renegotiation",
		109: "Missing Extension", 110: "Unsupported Extension", 111: "Certificate Unobtainable", 112: "Unrecognized Name",
		113: "Bad Certificate Status Response", 114: "Bad Certificate Hash Value", 115: "Unknown PSK Identity",
		116: "Certificate Required", 120: "No application Protocol", 121: "ECH Required"}
	for d, name := range ws {
		want := strings.ReplaceAll(strings.ToLower(name), " ", "_")
		if got := AlertName(d); got != want {
			t.Errorf("AlertName(%d) = %q, Wireshark says %q", d, got, name)
		}
	}
	for d := range alertNames {
		if _, ok := ws[d]; !ok && d != 52 {
			t.Errorf("alert %d (%s) unknown to Wireshark 4.0", d, alertNames[d])
		}
	}
}

// TestBuffersReleased: a connection that is done with its handshake holds
// no large buffer, however large its handshake records were.
func TestBuffersReleased(t *testing.T) {
	chain := vec24b(cat(vec24b(testCert(t, "big.example")), vec24b(make([]byte, 12000))))
	flight := record(TypeHandshake, cat(serverHello(VersionTLS12, 0xc02f, false), message(Certificate, chain), message(ServerHelloDone, nil)))
	ops := append(feeds(Client, record(TypeHandshake, clientHello(helloOpts{}))), split(feeds(Server, flight), func() int { return 1448 })...)
	ops = append(ops, tls12()[2:]...)
	_, c := runOps(ops, nil)
	h := c.Handshake()
	if h.State != HandshakeComplete || h.Certificates != 2 || h.CommonName != "big.example" {
		t.Fatalf("state %s certificates %d %q", h.State, h.Certificates, h.CommonName)
	}
	for s := range c.dirs {
		d := &c.dirs[s]
		if cap(d.rec) > keepBuffer || cap(d.plain.buf) > keepBuffer || cap(d.sync) > keepBuffer {
			t.Errorf("%s holds %d, %d, %d bytes", Side(s), cap(d.rec), cap(d.plain.buf), cap(d.sync))
		}
	}
}
