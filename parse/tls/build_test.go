package tls

// Builders of TLS bytes for the synthetic tests: records, handshake
// messages, hellos with the extensions the Conn reads.

func u16b(v uint16) []byte { return []byte{byte(v >> 8), byte(v)} }
func u24b(n int) []byte    { return []byte{byte(n >> 16), byte(n >> 8), byte(n)} }

func vec8b(b []byte) []byte  { return append([]byte{byte(len(b))}, b...) }
func vec16b(b []byte) []byte { return append(u16b(uint16(len(b))), b...) }
func vec24b(b []byte) []byte { return append(u24b(len(b)), b...) }

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func record(typ ContentType, payload []byte) []byte {
	return cat([]byte{byte(typ), 3, 3}, u16b(uint16(len(payload))), payload)
}

func message(typ HandshakeType, body []byte) []byte {
	return cat([]byte{byte(typ)}, vec24b(body))
}

func extension(typ uint16, data []byte) []byte { return cat(u16b(typ), vec16b(data)) }

type helloOpts struct {
	version   uint16
	suites    []uint16
	sni       string
	alpn      []string
	versions  []uint16
	shares    []uint16
	earlyData bool
	noExts    bool
}

func clientHello(o helloOpts) []byte {
	if o.version == 0 {
		o.version = VersionTLS12
	}
	if o.suites == nil {
		o.suites = []uint16{0x1301, 0xc02f}
	}
	var suites []byte
	for _, s := range o.suites {
		suites = append(suites, u16b(s)...)
	}
	body := cat(u16b(o.version), make([]byte, 32), vec8b([]byte{1, 2, 3}), vec16b(suites), vec8b([]byte{0}))
	if o.noExts {
		return message(ClientHelloType, body)
	}
	var exts []byte
	if o.sni != "" {
		exts = append(exts, extension(extServerName, vec16b(cat([]byte{0}, vec16b([]byte(o.sni)))))...)
	}
	if o.alpn != nil {
		var l []byte
		for _, p := range o.alpn {
			l = append(l, vec8b([]byte(p))...)
		}
		exts = append(exts, extension(extALPN, vec16b(l))...)
	}
	if o.versions != nil {
		var l []byte
		for _, v := range o.versions {
			l = append(l, u16b(v)...)
		}
		exts = append(exts, extension(extSupportedVersions, vec8b(l))...)
	}
	if o.shares != nil {
		var l []byte
		for _, g := range o.shares {
			l = append(l, cat(u16b(g), vec16b(make([]byte, 32)))...)
		}
		exts = append(exts, extension(extKeyShare, vec16b(l))...)
	}
	if o.earlyData {
		exts = append(exts, extension(extEarlyData, nil)...)
	}
	return message(ClientHelloType, cat(body, vec16b(exts)))
}

// serverHello builds a ServerHello choosing suite; version 0x0304 puts it
// in supported_versions, as TLS 1.3 does; hrr makes it a
// HelloRetryRequest.
func serverHello(version, suite uint16, hrr bool) []byte {
	random := make([]byte, 32)
	random[0] = 0x55
	if hrr {
		random = hrrRandom
	}
	body := cat(u16b(VersionTLS12), random, vec8b([]byte{1, 2, 3}), u16b(suite), []byte{0})
	var exts []byte
	if version == VersionTLS13 {
		exts = append(exts, extension(extSupportedVersions, u16b(VersionTLS13))...)
		if hrr {
			exts = append(exts, extension(extKeyShare, u16b(0x001d))...)
		} else {
			exts = append(exts, extension(extKeyShare, cat(u16b(0x001d), vec16b(make([]byte, 32))))...)
		}
	} else {
		body[1] = byte(version)
	}
	return message(ServerHelloType, cat(body, vec16b(exts)))
}

// ccs is a ChangeCipherSpec record.
func ccs() []byte { return record(TypeChangeCipherSpec, []byte{1}) }

// sealed is a protected record of n bytes, as no key can tell apart.
func sealed(typ ContentType, n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i*7 + 3)
	}
	return record(typ, p)
}

// feeds turns (side, bytes) pairs into ops, one packet each.
func feeds(parts ...any) []op {
	var ops []op
	for i := 0; i+1 < len(parts); i += 2 {
		o := op{kind: 'f', side: parts[i].(Side), data: parts[i+1].([]byte)}
		o.pkt, o.t = int64(len(ops)+1), int64(len(ops)+1)*1000
		ops = append(ops, o)
	}
	return ops
}

func closeOp(r CloseReason) op { return op{kind: 'c', reason: r, pkt: 99, t: 99000} }

// tls12 is a full TLS 1.2 handshake and some data, as ops.
func tls12() []op {
	return feeds(
		Client, record(TypeHandshake, clientHello(helloOpts{sni: "edge.example", alpn: []string{"sip"}})),
		Server, cat(record(TypeHandshake, cat(serverHello(VersionTLS12, 0xc02f, false), message(ServerHelloDone, nil)))),
		Client, cat(record(TypeHandshake, message(ClientKeyExchange, make([]byte, 33))), ccs(), sealed(TypeHandshake, 40)),
		Server, cat(ccs(), sealed(TypeHandshake, 40)),
		Client, sealed(TypeApplicationData, 300),
		Server, sealed(TypeApplicationData, 200),
	)
}

// tls13 is a TLS 1.3 handshake: hello, the server's flight (4 protected
// records), the client's Finished, data.
func tls13() []op {
	return feeds(
		Client, record(TypeHandshake, clientHello(helloOpts{versions: []uint16{VersionTLS13, VersionTLS12}, shares: []uint16{0x001d}})),
		Server, cat(record(TypeHandshake, serverHello(VersionTLS13, 0x1301, false)), ccs(), sealed(TypeApplicationData, 30), sealed(TypeApplicationData, 900), sealed(TypeApplicationData, 280), sealed(TypeApplicationData, 53)),
		Client, cat(ccs(), sealed(TypeApplicationData, 53)),
		Client, sealed(TypeApplicationData, 300),
		Server, sealed(TypeApplicationData, 200),
	)
}
