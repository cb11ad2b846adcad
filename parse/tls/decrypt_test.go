package tls

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// nullDecrypter stands in for a real one: its "ciphertext" is the
// plaintext, followed in TLS 1.3 by the inner content type as in
// TLSInnerPlaintext. It logs what the Conn gave it, writes over the
// payload as an in-place AEAD would, and refuses the records listed in
// fail (by offset and side).
type nullDecrypter struct {
	log  []string
	fail map[string]bool
}

func (n *nullDecrypter) Open(s *Session, r *Record) (ContentType, []byte, error) {
	n.log = append(n.log, fmt.Sprintf("%s e%d s%d lost=%v", r.From, r.Epoch, r.Seq, r.SeqLost))
	if s.ClientRandom == ([32]byte{}) || n.fail[fmt.Sprintf("%s@%d", r.From, r.Offset)] {
		return 0, nil, errors.New("no keys")
	}
	p := r.Payload
	if !is13(s.Version) {
		out := append([]byte(nil), p...)
		for i := range p {
			p[i] = 0xee
		}
		return r.Type, out, nil
	}
	if len(p) == 0 {
		return 0, nil, errors.New("empty")
	}
	typ := ContentType(p[len(p)-1])
	p[len(p)-1] = 0xee
	return typ, p[:len(p)-1], nil
}

// inner13 is a TLS 1.3 protected record of the null cipher.
func inner13(typ ContentType, plain []byte) []byte {
	return record(TypeApplicationData, cat(plain, []byte{byte(typ)}))
}

func TestDecrypterTLS13(t *testing.T) {
	ch := record(TypeHandshake, clientHello(helloOpts{versions: []uint16{VersionTLS13}, shares: []uint16{0x001d}}))
	ch = append([]byte(nil), ch...)
	ch[11] = 0x42 // a client random that is not zero
	cert := message(Certificate, cat(vec8b(nil), vec24b(cat(vec24b(testCert(t, "edge13.example")), vec16b(nil)))))
	ops := feeds(
		Client, ch,
		Server, cat(record(TypeHandshake, serverHello(VersionTLS13, 0x1301, false)), ccs(),
			inner13(TypeHandshake, message(EncryptedExtensions, vec16b(nil))),
			inner13(TypeHandshake, cert),
			inner13(TypeHandshake, message(CertificateVerify, make([]byte, 72))),
			inner13(TypeHandshake, message(Finished, make([]byte, 32)))),
		Client, cat(ccs(), inner13(TypeHandshake, message(Finished, make([]byte, 32))), inner13(TypeApplicationData, []byte("OPTIONS sip:edge SIP/2.0\r\n"))),
		Server, cat(inner13(TypeHandshake, message(KeyUpdate, []byte{0})), inner13(TypeApplicationData, []byte("SIP/2.0 200 OK\r\n"))),
		Client, inner13(TypeApplicationData, []byte("lost")),
		Client, inner13(TypeApplicationData, []byte("BYE")),
		Server, inner13(TypeAlert, []byte{1, 0}),
	)
	// The client's "lost" record: offset of the fifth client op's record.
	var clientOff int
	for _, o := range ops[:4] {
		if o.side == Client {
			clientOff += len(o.data)
		}
	}
	dec := &nullDecrypter{fail: map[string]bool{fmt.Sprintf("client@%d", clientOff): true}}
	var data []string
	opts := &Options{Decrypter: dec, OnData: func(p *Plaintext) {
		data = append(data, fmt.Sprintf("%s %q lost=%v @%d", p.From, p.Data, p.Lost, p.Packet))
	}}
	inputs := make([][]byte, len(ops))
	for i, o := range ops {
		inputs[i] = append([]byte(nil), o.data...)
	}
	out, c := runOps(ops, opts)
	for i, o := range ops {
		if !bytes.Equal(o.data, inputs[i]) {
			t.Errorf("op %d: Feed's input was modified", i)
		}
	}
	h := c.Handshake()
	if h.State != HandshakeComplete || h.Done.Packet != 3 || h.Certificates != 1 || h.CommonName != "edge13.example" {
		t.Errorf("state %s done %+v certificates %d %q\n%s", h.State, h.Done, h.Certificates, h.CommonName, out)
	}
	if len(h.Alerts) != 1 || h.Alerts[0].Opaque || h.Alerts[0].Name() != "close_notify" || !h.Alerts[0].Encrypted {
		t.Errorf("alerts %+v", h.Alerts)
	}
	if h.Client.Undecrypted != 1 || h.Server.Encrypted != 5 || h.Client.AppDataRecords != 3 {
		t.Errorf("client %+v server %+v", h.Client, h.Server)
	}
	wantLog := "client e2 s0 lost=false, client e3 s0 lost=false, client e3 s1 lost=false, client e3 s2 lost=false, " +
		"server e2 s0 lost=false, server e2 s1 lost=false, server e2 s2 lost=false, server e2 s3 lost=false, " +
		"server e3 s0 lost=false, server e4 s0 lost=false, server e4 s1 lost=false"
	if got := sortedBySide(dec.log); got != wantLog {
		t.Errorf("records given to the decrypter:\n got  %s\n want %s", got, wantLog)
	}
	wantData := []string{
		`client "OPTIONS sip:edge SIP/2.0\r\n" lost=false @3`,
		`server "SIP/2.0 200 OK\r\n" lost=false @4`,
		`client "BYE" lost=true @6`,
	}
	if strings.Join(data, "\n") != strings.Join(wantData, "\n") {
		t.Errorf("data:\n%s\nwant\n%s", strings.Join(data, "\n"), strings.Join(wantData, "\n"))
	}
	if got, _ := runOps(split(ops, func() int { return 3 }), &Options{Decrypter: &nullDecrypter{fail: dec.fail}}); got != out {
		t.Errorf("in pieces:\n%s", diff(out, got))
	}
}

// sortedBySide lists the client's records, then the server's, each in
// order.
func sortedBySide(log []string) string {
	var c, s []string
	for _, l := range log {
		if strings.HasPrefix(l, "client") {
			c = append(c, l)
		} else {
			s = append(s, l)
		}
	}
	return strings.Join(append(c, s...), ", ")
}

func TestDecrypterTLS12(t *testing.T) {
	ch := append([]byte(nil), record(TypeHandshake, clientHello(helloOpts{}))...)
	ch[11] = 0x42
	fin := message(Finished, make([]byte, 12))
	ops := feeds(
		Client, ch,
		Server, record(TypeHandshake, cat(serverHello(VersionTLS12, 0xc02f, false), message(ServerHelloDone, nil))),
		Client, cat(record(TypeHandshake, message(ClientKeyExchange, make([]byte, 33))), ccs(), record(TypeHandshake, fin)),
		Server, cat(ccs(), record(TypeHandshake, fin)),
		Client, record(TypeApplicationData, []byte("REGISTER")),
		Client, record(TypeAlert, []byte{2, 20}),
	)
	dec := &nullDecrypter{}
	var data []string
	_, c := runOps(ops, &Options{Decrypter: dec, OnData: func(p *Plaintext) { data = append(data, string(p.Data)) }})
	h := c.Handshake()
	if h.State != HandshakeComplete || h.Done.Packet != 4 {
		t.Errorf("state %s done %+v", h.State, h.Done)
	}
	if got := sortedBySide(dec.log); got != "client e3 s0 lost=false, client e3 s1 lost=false, client e3 s2 lost=false, server e3 s0 lost=false" {
		t.Errorf("log %s", got)
	}
	if len(data) != 1 || data[0] != "REGISTER" {
		t.Errorf("data %q", data)
	}
	// A plaintext-length alert after ChangeCipherSpec is still protected.
	if len(h.Alerts) != 1 || h.Alerts[0].Name() != "bad_record_mac" || h.Client.Messages[len(h.Client.Messages)-1] != Finished {
		t.Errorf("alerts %+v messages %v", h.Alerts, h.Client.Messages)
	}
}

func TestSession(t *testing.T) {
	ops := tls13()
	_, c := runOps(ops, nil)
	s := c.Session()
	if s.Version != VersionTLS13 || s.CipherSuite != 0x1301 || s.ServerRandom[0] != 0x55 {
		t.Errorf("session %+v", s)
	}
}
