package tls

import (
	"bufio"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The oracle is tshark: testdata/oracle.sh wrote what it dissects in each
// capture to testdata/oracle/<capture>.tsv. TestOracle checks, for every
// TCP stream and side, that the Conn saw the same handshake messages in
// the clear, records, hello versions, supported_versions, cipher suites,
// SNI, ALPN, key share groups, alerts (descriptions and the packets they
// came in), certificate count and first subject CN (through crypto/x509,
// from the certificate bytes tshark printed), and stamped the hellos and
// alerts with the frame tshark dissected them in.

// view is what one side showed, as text, so that a mismatch reads well.
type view struct {
	types, records, hello, helloAt, supported, suites, sni, alpn, shares string
	alerts, alertAt, certs, cn                                           string
}

func (v view) String() string {
	return fmt.Sprintf("types=%s records=%s hello=%s hello@=%s supported=%s suites=%s sni=%s alpn=%s shares=%s alerts=%s alert@=%s certs=%s cn=%s",
		v.types, v.records, v.hello, v.helloAt, v.supported, v.suites, v.sni, v.alpn, v.shares, v.alerts, v.alertAt, v.certs, v.cn)
}

type oracleRow map[string]string

func (r oracleRow) list(field string) []string {
	if r[field] == "" {
		return nil
	}
	return strings.Split(r[field], ",")
}

func readOracle(t *testing.T, name string) []oracleRow {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "oracle", name+".tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	var header []string
	var rows []oracleRow
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if header == nil {
			header = cols
			continue
		}
		r := oracleRow{}
		for i, h := range header {
			if i < len(cols) {
				r[h] = cols[i]
			}
		}
		rows = append(rows, r)
	}
	return rows
}

// tsharkViews builds the views of one stream from the oracle rows.
func tsharkViews(t *testing.T, rows []oracleRow, stream int, clientPort string) [2]view {
	var v [2]view
	var n [2]int
	var types, hello, helloAt, supp, suites, sni, alpn, shares, alerts, alertAt [2][]string
	var certs [2][]string
	for _, r := range rows {
		if atoi(r["tcp.stream"]) != stream {
			continue
		}
		s := Server
		if r["tcp.srcport"] == clientPort {
			s = Client
		}
		ct := r.list("tls.record.content_type")
		n[s] += len(ct) + len(r.list("tls.record.opaque_type"))
		ht := r.list("tls.handshake.type")
		types[s] = append(types[s], ht...)
		isHello := slices.Contains(ht, "1") || slices.Contains(ht, "2")
		// The client's first hello only: the Conn keeps the first.
		first := s == Server || len(hello[s]) == 0
		if isHello && first {
			hello[s] = append(hello[s], r.list("tls.handshake.version")...)
			helloAt[s] = append(helloAt[s], r["frame"])
			sv := r.list("tls.handshake.extensions.supported_version")
			if s == Client {
				supp[s] = sv
				suites[s] = []string{fmt.Sprint(len(r.list("tls.handshake.ciphersuite")))}
				sni[s] = r.list("tls.handshake.extensions_server_name")
				alpn[s] = r.list("tls.handshake.extensions_alpn_str")
				shares[s] = r.list("tls.handshake.extensions_key_share_group")
			} else {
				supp[s] = append(supp[s], sv...)
				suites[s] = append(suites[s], r.list("tls.handshake.ciphersuite")...)
				alpn[s] = append(alpn[s], r.list("tls.handshake.extensions_alpn_str")...)
				shares[s] = append(shares[s], r.list("tls.handshake.extensions_key_share_group")...)
			}
		}
		for _, c := range ct {
			if c == "21" {
				alertAt[s] = append(alertAt[s], r["frame"])
			}
		}
		alerts[s] = append(alerts[s], r.list("tls.alert_message.desc")...)
		if s == Server && slices.Contains(ht, "11") {
			certs[s] = append(certs[s], r.list("tls.handshake.certificate")...)
		}
	}
	for s := range v {
		v[s] = view{
			types: strings.Join(types[s], " "), records: fmt.Sprint(n[s]),
			hello: strings.Join(hello[s], " "), helloAt: strings.Join(helloAt[s], " "),
			supported: strings.Join(supp[s], " "), suites: strings.Join(suites[s], " "),
			sni: strings.Join(sni[s], " "), alpn: strings.Join(alpn[s], " "), shares: strings.Join(shares[s], " "),
			alerts: strings.Join(alerts[s], " "), alertAt: strings.Join(alertAt[s], " "),
			certs: fmt.Sprint(len(certs[s])),
		}
		if len(certs[s]) > 0 {
			der, err := hex.DecodeString(strings.ReplaceAll(certs[s][0], ":", ""))
			if err != nil {
				t.Fatal(err)
			}
			c, err := x509.ParseCertificate(der)
			if err != nil {
				t.Fatal(err)
			}
			v[s].cn = c.Subject.CommonName
		}
	}
	return v
}

func hex16(v uint16) string { return fmt.Sprintf("0x%04x", v) }

// ourViews builds the same views from a Conn.
func ourViews(h *Handshake) [2]view {
	var v [2]view
	for s := Client; s <= Server; s++ {
		d := h.Dir(s)
		var types []string
		for _, m := range d.Messages {
			types = append(types, fmt.Sprint(uint8(m)))
		}
		var alerts, alertAt []string
		for _, a := range h.Alerts {
			if a.From != s || a.Opaque && a.Encrypted && is13(h.Version) {
				// tshark sees no alert in a TLS 1.3 record it cannot
				// decrypt; the Conn infers one from the size.
				continue
			}
			alertAt = append(alertAt, fmt.Sprint(a.Packet))
			if !a.Opaque {
				alerts = append(alerts, fmt.Sprint(a.Description))
			}
		}
		v[s] = view{types: strings.Join(types, " "), records: fmt.Sprint(d.Records),
			alerts: strings.Join(alerts, " "), alertAt: strings.Join(alertAt, " "), certs: "0"}
	}
	if ch := h.ClientHello; ch != nil {
		c := &v[Client]
		c.hello, c.helloAt = hex16(ch.LegacyVersion), fmt.Sprint(ch.Packet)
		var sv, ks []string
		for _, x := range ch.SupportedVersions {
			sv = append(sv, hex16(x))
		}
		for _, g := range ch.KeyShares {
			ks = append(ks, fmt.Sprint(g))
		}
		c.supported, c.shares = strings.Join(sv, " "), strings.Join(ks, " ")
		c.suites, c.sni, c.alpn = fmt.Sprint(ch.CipherSuites), ch.SNI, strings.Join(ch.ALPN, " ")
	}
	sv := &v[Server]
	var hello, at, supp, suites, alpn, shares []string
	for _, sh := range []*ServerHello{h.HelloRetry, h.ServerHello} {
		if sh == nil {
			continue
		}
		hello = append(hello, hex16(sh.LegacyVersion))
		at = append(at, fmt.Sprint(sh.Packet))
		if sh.Version != sh.LegacyVersion {
			supp = append(supp, hex16(sh.Version))
		}
		suites = append(suites, hex16(sh.CipherSuite))
		if sh.ALPN != "" {
			alpn = append(alpn, sh.ALPN)
		}
		if sh.KeyShare != 0 && !sh.HelloRetryRequest {
			shares = append(shares, fmt.Sprint(sh.KeyShare))
		}
	}
	sv.hello, sv.helloAt, sv.supported = strings.Join(hello, " "), strings.Join(at, " "), strings.Join(supp, " ")
	sv.suites, sv.alpn, sv.shares = strings.Join(suites, " "), strings.Join(alpn, " "), strings.Join(shares, " ")
	if h.Certificates > 0 {
		sv.certs, sv.cn = fmt.Sprint(h.Certificates), h.CommonName
	}
	return v
}

func TestOracle(t *testing.T) {
	for _, name := range append(append([]string{}, genCaptures...), corpusCaptures...) {
		t.Run(name, func(t *testing.T) {
			rows := readOracle(t, name)
			streams := map[int]bool{}
			for _, r := range rows {
				streams[atoi(r["tcp.stream"])] = true
			}
			conns := readConns(t, capturePath(t, name), nil)
			for _, fl := range conns {
				delete(streams, fl.index)
				want := tsharkViews(t, rows, fl.index, fmt.Sprint(fl.client.Port()))
				got := ourViews(fl.c.Handshake())
				for s := Client; s <= Server; s++ {
					if got[s] != want[s] {
						t.Errorf("stream %d %s:\n got  %s\n want %s", fl.index, s, got[s], want[s])
					}
				}
			}
			if len(streams) > 0 {
				t.Errorf("tshark saw TLS in streams %v, which the test did not run", streams)
			}
		})
	}
}
