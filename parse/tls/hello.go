package tls

import (
	"bytes"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// reader reads the length-prefixed structures of TLS without ever
// indexing past the end: a short read sets ok to false and returns zeros,
// so a parser checks once at the end instead of at every field.
type reader struct {
	b  []byte
	ok bool
}

func newReader(b []byte) reader { return reader{b: b, ok: true} }

func (r *reader) take(n int) []byte {
	if !r.ok || n < 0 || n > len(r.b) {
		r.ok = false
		r.b = nil
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) u8() uint8 {
	v := r.take(1)
	if v == nil {
		return 0
	}
	return v[0]
}

func (r *reader) u16() uint16 {
	v := r.take(2)
	if v == nil {
		return 0
	}
	return uint16(v[0])<<8 | uint16(v[1])
}

func (r *reader) u24() int {
	v := r.take(3)
	if v == nil {
		return 0
	}
	return int(v[0])<<16 | int(v[1])<<8 | int(v[2])
}

func (r *reader) vec8() reader  { return r.sub(int(r.u8())) }
func (r *reader) vec16() reader { return r.sub(int(r.u16())) }
func (r *reader) vec24() reader { return r.sub(r.u24()) }

// sub reads n bytes as a reader of their own; it fails with r.
func (r *reader) sub(n int) reader {
	v := r.take(n)
	return reader{b: v, ok: r.ok}
}

func (r *reader) empty() bool { return len(r.b) == 0 }

// Bounds on what a hello keeps: the lists are for people reading a
// report, and a hostile hello must not make one connection hold much.
const (
	maxListed  = 16
	maxNameLen = 255 // a DNS name's limit; also bounds ALPN entries
)

// Extension code points read here. key_share had number 40 in the TLS 1.3
// drafts up to 22, which the SIP-over-TLS sample of the corpus still uses.
const (
	extServerName        = 0
	extALPN              = 16
	extKeyShareDraft     = 40
	extPreSharedKey      = 41
	extEarlyData         = 42
	extSupportedVersions = 43
	extKeyShare          = 51
)

// hrrRandom is the ServerHello.random that makes it a HelloRetryRequest
// (SHA-256 of "HelloRetryRequest", RFC 8446 section 4.1.3).
var hrrRandom = []byte{
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
}

// parseClientHello reads a ClientHello body. It returns what it could read
// and ok false when the hello's structure is broken; an extension whose
// inside is broken is skipped and also makes ok false.
func parseClientHello(b []byte, random *[32]byte) (*ClientHello, bool) {
	ch := &ClientHello{}
	r := newReader(b)
	ch.LegacyVersion = r.u16()
	copy(random[:], r.take(32))
	ch.SessionID = len(r.vec8().b) > 0
	suites := r.vec16()
	ch.CipherSuites = len(suites.b) / 2
	r.vec8() // compression methods
	if !r.ok || len(suites.b)%2 != 0 {
		return ch, false
	}
	if r.empty() {
		return ch, true // SSL 3.0 style: no extensions
	}
	exts := r.vec16()
	if !r.ok {
		return ch, false
	}
	ok := true
	for !exts.empty() {
		typ := exts.u16()
		data := exts.vec16()
		if !exts.ok {
			return ch, false
		}
		switch typ {
		case extServerName:
			list := data.vec16()
			for list.ok && !list.empty() {
				kind := list.u8()
				name := list.vec16()
				if list.ok && kind == 0 && ch.SNI == "" {
					ch.SNI = text(name.b)
				}
			}
			ok = ok && list.ok
		case extALPN:
			list := data.vec16()
			for list.ok && !list.empty() {
				p := list.vec8()
				if list.ok && len(ch.ALPN) < maxListed {
					ch.ALPN = append(ch.ALPN, text(p.b))
				}
			}
			ok = ok && list.ok
		case extSupportedVersions:
			list := data.vec8()
			for list.ok && len(list.b) >= 2 {
				v := list.u16()
				if len(ch.SupportedVersions) < maxListed {
					ch.SupportedVersions = append(ch.SupportedVersions, v)
				}
			}
			ok = ok && list.ok && list.empty()
		case extKeyShare, extKeyShareDraft:
			list := data.vec16()
			for list.ok && !list.empty() {
				g := list.u16()
				list.vec16()
				if list.ok && len(ch.KeyShares) < maxListed {
					ch.KeyShares = append(ch.KeyShares, g)
				}
			}
			ok = ok && list.ok
		case extEarlyData:
			ch.EarlyData = true
		case extPreSharedKey:
			ch.PSK = true
		}
	}
	return ch, ok
}

// parseClientHelloV2 reads an SSLv2-format CLIENT-HELLO (message type
// byte included). Its challenge, right-aligned and zero-padded, is the
// client random (RFC 5246 appendix E.2).
func parseClientHelloV2(b []byte, random *[32]byte) (*ClientHello, bool) {
	ch := &ClientHello{SSLv2: true}
	r := newReader(b)
	r.u8() // CLIENT-HELLO
	ch.LegacyVersion = r.u16()
	specs, sid, chal := int(r.u16()), int(r.u16()), int(r.u16())
	r.take(specs)
	r.take(sid)
	c := r.take(chal)
	ch.CipherSuites = specs / 3
	ch.SessionID = sid > 0
	if !r.ok || specs%3 != 0 || chal < 16 || chal > 32 {
		return ch, false
	}
	copy(random[32-len(c):], c)
	return ch, true
}

// parseServerHello reads a ServerHello body (also a TLS 1.3
// HelloRetryRequest, which is one). TLS 1.3 drafts before 22 had no
// session ID and no compression method.
func parseServerHello(b []byte, random *[32]byte) (*ServerHello, bool) {
	sh := &ServerHello{}
	r := newReader(b)
	sh.LegacyVersion = r.u16()
	sh.Version = sh.LegacyVersion
	rnd := r.take(32)
	copy(random[:], rnd)
	draft := sh.LegacyVersion>>8 == 0x7f && sh.LegacyVersion&0xff < 22
	if !draft {
		r.vec8()
	}
	sh.CipherSuite = r.u16()
	if !draft {
		r.u8()
	}
	if !r.ok {
		return sh, false
	}
	sh.HelloRetryRequest = bytes.Equal(rnd, hrrRandom)
	if r.empty() {
		return sh, true
	}
	exts := r.vec16()
	if !r.ok {
		return sh, false
	}
	return sh, serverExtensions(sh, exts)
}

// parseHelloRetryDraft reads the HelloRetryRequest message (type 6) of the
// TLS 1.3 drafts up to 21: version, cipher suite, extensions.
func parseHelloRetryDraft(b []byte) (*ServerHello, bool) {
	sh := &ServerHello{HelloRetryRequest: true}
	r := newReader(b)
	sh.LegacyVersion = r.u16()
	sh.Version = sh.LegacyVersion
	sh.CipherSuite = r.u16()
	exts := r.vec16()
	if !r.ok {
		return sh, false
	}
	return sh, serverExtensions(sh, exts)
}

func serverExtensions(sh *ServerHello, exts reader) bool {
	ok := true
	for !exts.empty() {
		typ := exts.u16()
		data := exts.vec16()
		if !exts.ok {
			return false
		}
		switch typ {
		case extSupportedVersions:
			v := data.u16()
			if data.ok {
				sh.Version = v
			}
			ok = ok && data.ok
		case extKeyShare, extKeyShareDraft:
			// A ServerHello's share and a HelloRetryRequest's bare group
			// both begin with the group.
			g := data.u16()
			if data.ok {
				sh.KeyShare = g
			}
			ok = ok && data.ok
		case extALPN:
			list := data.vec16()
			p := list.vec8()
			if list.ok {
				sh.ALPN = text(p.b)
			}
			ok = ok && list.ok
		}
	}
	return ok
}

// parseCertificates reads a Certificate message body, possibly only a
// prefix of it (the Conn buffers 64 KiB of a message): the number of
// certificates read whole, and the subject CN of the first. TLS 1.3 adds a
// request context in front and extensions after each certificate.
func parseCertificates(b []byte, tls13 bool) (n int, cn string, ok bool) {
	r := newReader(b)
	if tls13 {
		r.vec8()
	}
	total := r.u24()
	if !r.ok {
		return 0, "", false
	}
	list := reader{b: r.b, ok: true}
	if total < len(list.b) {
		list.b = list.b[:total]
	}
	for !list.empty() {
		der := list.vec24()
		if tls13 {
			list.vec16()
		}
		if !list.ok {
			break
		}
		if n == 0 {
			cn = subjectCN(der.b)
		}
		n++
	}
	return n, cn, true
}

// der reads one DER element: its tag and contents. Only the definite
// lengths DER allows are read; anything else fails.
func (r *reader) der() (tag byte, content reader) {
	tag = r.u8()
	n := int(r.u8())
	if n&0x80 != 0 {
		k := n & 0x7f
		if k == 0 || k > 3 {
			r.ok = false
			return 0, reader{}
		}
		n = 0
		for _, c := range r.take(k) {
			n = n<<8 | int(c)
		}
	}
	return tag, r.sub(n)
}

var oidCommonName = []byte{0x55, 0x04, 0x03}

// subjectCN finds the first commonName attribute of an X.509
// certificate's subject without parsing the rest: a certificate is
// SEQUENCE{tbs SEQUENCE{[0] version?, serial, signature, issuer,
// validity, subject, …}, …}.
func subjectCN(der []byte) string {
	r := newReader(der)
	_, cert := r.der()
	_, tbs := cert.der()
	tag, _ := tbs.der()
	if tag == 0xa0 { // explicit version: the serial follows
		tbs.der()
	}
	for i := 0; i < 3; i++ { // signature, issuer, validity
		tbs.der()
	}
	tag, subject := tbs.der()
	if !tbs.ok || tag != 0x30 {
		return ""
	}
	for subject.ok && !subject.empty() {
		_, set := subject.der()
		for set.ok && !set.empty() {
			_, atv := set.der()
			_, oid := atv.der()
			vtag, val := atv.der()
			if atv.ok && bytes.Equal(oid.b, oidCommonName) {
				return directoryString(vtag, val.b)
			}
		}
	}
	return ""
}

// directoryString decodes the string types X.509 names use.
func directoryString(tag byte, b []byte) string {
	switch tag {
	case 0x1e: // BMPString: UTF-16BE
		u := make([]uint16, len(b)/2)
		for i := range u {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		}
		return text([]byte(string(utf16.Decode(u))))
	case 0x14: // TeletexString, in practice Latin-1
		var s strings.Builder
		for _, c := range b {
			s.WriteRune(rune(c))
		}
		return text([]byte(s.String()))
	}
	return text(b)
}

// text makes a peer's bytes a bounded, valid UTF-8 string.
func text(b []byte) string {
	if len(b) > maxNameLen {
		b = b[:maxNameLen]
	}
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}
