package tls

// endRecord handles the record just framed. p is its payload, or nil when
// it was not kept: application data without a Decrypter, or a record a
// gap cut.
func (c *Conn) endRecord(d *dir, p []byte) {
	d.inRecord = false
	c.h.Dir(d.side).Records++
	cut := d.cut
	d.cut = false
	if cut {
		d.dataLost = true
	}
	if d.v2 {
		d.v2 = false
		if !cut {
			c.clientHelloV2(d, p)
		}
		c.evaluate()
		return
	}
	switch d.typ {
	case TypeChangeCipherSpec:
		c.changeCipherSpec(d, p, cut)
	case TypeAlert:
		c.alertRecord(d, p, cut)
	case TypeHandshake:
		c.handshakeRecord(d, p, cut)
	case TypeApplicationData:
		c.appDataRecord(d, p)
	case TypeHeartbeat:
		if d.ccs || is13(c.h.Version) {
			c.open(d, nil)
		}
	}
	if d.nextEpoch != 0 {
		// Keys change after the record that announced it (a Finished, a
		// KeyUpdate): the next record is the first of the new epoch.
		d.epoch, d.seq, d.seqLost, d.nextEpoch = d.nextEpoch, 0, false, 0
	}
	c.evaluate()
}

// open numbers a protected record and gives it to the Decrypter, if
// there is one and the payload was kept.
func (c *Conn) open(d *dir, p []byte) (ContentType, []byte, bool) {
	epoch, seq, seqLost := d.epoch, d.seq, d.seqLost
	d.seq++
	if c.opts.Decrypter == nil {
		return 0, nil, false
	}
	if p == nil {
		d.keyed = false // a gap cut it
		return 0, nil, false
	}
	// One Record per Conn, not per record: the Decrypter sees it only
	// during the call.
	c.rec = Record{
		From: d.side, Type: d.typ, Version: d.ver, Payload: p,
		Epoch: epoch, Seq: seq, SeqLost: seqLost, Offset: d.recOff, Seen: c.now,
	}
	inner, plain, err := c.opts.Decrypter.Open(&c.sess, &c.rec)
	c.rec.Payload = nil
	if err != nil {
		c.h.Dir(d.side).Undecrypted++
		d.dataLost = true
		d.keyed = false
		return 0, nil, false
	}
	// The Decrypter may have opened it with later numbers than the Conn's
	// (records the capture missed, a key change it could not see): the
	// side's next records follow from those. Going back is not believed.
	if e, n := c.rec.Epoch, c.rec.Seq; e > epoch || e == epoch && n >= seq {
		d.epoch, d.seq, d.seqLost = e, n+1, false
	}
	d.keyed = true
	return inner, plain, true
}

func (c *Conn) changeCipherSpec(d *dir, p []byte, cut bool) {
	if !cut && (len(p) != 1 || p[0] != 1) {
		c.problem(d, d.recOff, "bad change_cipher_spec", "")
	}
	if !d.ccsSeen {
		d.ccsSeen = true
		c.h.Dir(d.side).ChangeCipherSpec = c.now
	}
	if is13(c.h.Version) || c.h.HelloRetry != nil || (c.h.ServerHello == nil && c.h.ClientHello != nil) {
		// TLS 1.3 middlebox compatibility (RFC 8446 appendix D.4): no
		// keys change. A TLS 1.2 ChangeCipherSpec never comes before the
		// ServerHello; only a capture that began after the hellos leaves
		// the Conn unable to tell.
		return
	}
	d.ccs = true
	if d.epoch < EpochApplication {
		d.epoch = EpochApplication
	} else {
		d.epoch++ // a renegotiation's new keys
	}
	d.seq, d.seqLost = 0, false
	d.plain.reset()
}

// alertRecord reads an alert record. Protection shows in the length: an
// alert is two bytes, and every cipher adds at least a MAC or a tag.
func (c *Conn) alertRecord(d *dir, p []byte, cut bool) {
	a := Alert{Seen: c.now, From: d.side, Offset: d.recOff}
	switch {
	case d.length != 2 || (d.ccs && !is13(c.h.Version)):
		a.Encrypted, a.Opaque = true, true
		if d.ccs && !is13(c.h.Version) {
			if inner, plain, ok := c.open(d, p); ok && inner == TypeAlert && len(plain) >= 2 {
				a.Level, a.Description, a.Opaque = plain[0], plain[1], false
			}
		}
	case cut:
		a.Opaque = true
	default:
		a.Level, a.Description = p[0], p[1]
	}
	c.alert(a)
}

// alert records an alert, and fails a handshake in progress with it if it
// is fatal or closes the connection.
func (c *Conn) alert(a Alert) {
	c.h.AlertCount++
	if len(c.h.Alerts) < maxAlerts {
		c.h.Alerts = append(c.h.Alerts, a)
	}
	if c.h.State != ClientHelloOnly && c.h.State != ServerHelloSeen {
		return
	}
	closure := !a.Opaque && (a.Description == 0 || a.Description == 90)
	if !a.Fatal(c.h.Version) && !closure {
		return
	}
	if a.Opaque {
		c.settle(Failed, "alert:encrypted")
	} else {
		c.settle(Failed, "alert:"+AlertName(a.Description))
	}
	c.failAlert = &a
}

func (c *Conn) handshakeRecord(d *dir, p []byte, cut bool) {
	if d.ccs && !is13(c.h.Version) {
		c.h.Dir(d.side).Encrypted++
		d.encHS = true
		if inner, plain, ok := c.open(d, p); ok {
			c.inner(d, inner, plain)
		}
		return
	}
	if cut {
		d.plain.reset()
		return
	}
	c.messages(d, &d.plain, p, d.recOff+headerLen, false)
}

// appDataRecord counts an application_data record. In TLS 1.3 the
// handshake after the ServerHello travels in such records too; without
// keys the Conn tells them apart by their place (see the package
// documentation).
func (c *Conn) appDataRecord(d *dir, p []byte) {
	hd := c.h.Dir(d.side)
	switch {
	case is13(c.h.Version):
		before := c.h.State == HandshakeComplete
		inner, plain, ok := c.open(d, p)
		d.protected++
		if d.first == 0 {
			switch {
			case ok:
				d.first = firstHandshake
				if inner == TypeAlert {
					d.first = firstAlert
				}
			case d.length == 3+tagLen(c.h.CipherSuite):
				// Two bytes of alert, the inner content type, the tag: no
				// handshake message is that short.
				d.first = firstAlert
				c.alert(Alert{Seen: c.now, From: d.side, Offset: d.recOff, Encrypted: true, Opaque: true})
				return
			default:
				d.first = firstHandshake
			}
		}
		if ok {
			c.inner(d, inner, plain)
			return
		}
		if before {
			hd.AppDataRecords++
			hd.AppDataBytes += int64(d.length)
		} else {
			hd.Encrypted++
		}
		return
	case d.side == Client && c.h.ServerHello == nil && c.h.ClientHello != nil && c.h.ClientHello.EarlyData:
		d.epoch = EpochEarly
	}
	if d.ccs || d.epoch == EpochEarly {
		if inner, plain, ok := c.open(d, p); ok {
			c.inner(d, inner, plain)
			return
		}
	}
	hd.AppDataRecords++
	hd.AppDataBytes += int64(d.length)
}

// tagLen is the AEAD tag length of a TLS 1.3 suite: 8 for
// TLS_AES_128_CCM_8_SHA256, 16 for the others.
func tagLen(suite uint16) int {
	if suite == 0x1305 {
		return 8
	}
	return 16
}

// inner handles what a Decrypter opened.
func (c *Conn) inner(d *dir, typ ContentType, plain []byte) {
	hd := c.h.Dir(d.side)
	switch typ {
	case TypeHandshake:
		hd.Encrypted++
		c.messages(d, &d.opened, plain, d.recOff, true)
	case TypeAlert:
		a := Alert{Seen: c.now, From: d.side, Offset: d.recOff, Encrypted: true}
		if len(plain) >= 2 {
			a.Level, a.Description = plain[0], plain[1]
		} else {
			a.Opaque = true
		}
		c.alert(a)
	case TypeApplicationData:
		hd.AppDataRecords++
		hd.AppDataBytes += int64(d.length)
		if c.opts.OnData != nil && len(plain) > 0 {
			c.plain = Plaintext{From: d.side, Data: plain, Lost: d.dataLost, Seen: c.now}
			c.opts.OnData(&c.plain)
			c.plain.Data = nil
		}
		d.dataLost = false
	}
}

// messages reassembles handshake messages from a record's payload p,
// which starts at stream offset off.
func (c *Conn) messages(d *dir, m *msgStream, p []byte, off int64, opened bool) {
	for len(p) > 0 {
		if m.hdrN < 4 {
			if m.hdrN == 0 && len(p) >= 4 {
				n := int(p[1])<<16 | int(p[2])<<8 | int(p[3])
				if 4+n <= len(p) && n <= maxMessage {
					c.message(d, HandshakeType(p[0]), p[4:4+n], off, false, opened)
					p = p[4+n:]
					off += int64(4 + n)
					continue
				}
			}
			if m.hdrN == 0 {
				m.off = off
			}
			k := copy(m.hdr[m.hdrN:], p)
			m.hdrN += k
			p = p[k:]
			off += int64(k)
			if m.hdrN == 4 {
				m.typ = HandshakeType(m.hdr[0])
				m.length = int(m.hdr[1])<<16 | int(m.hdr[2])<<8 | int(m.hdr[3])
				m.got = 0
				m.buf = m.buf[:0]
				if m.length == 0 {
					m.hdrN = 0
					c.message(d, m.typ, nil, m.off, false, opened)
				}
			}
			continue
		}
		k := min(len(p), m.length-m.got)
		if keep := min(k, maxMessage-len(m.buf)); keep > 0 {
			m.buf = append(m.buf, p[:keep]...)
		}
		m.got += k
		p = p[k:]
		off += int64(k)
		if m.got == m.length {
			m.hdrN = 0
			c.message(d, m.typ, m.buf, m.off, m.length > len(m.buf), opened)
			m.buf = release(m.buf, true)
		}
	}
}

// message handles one handshake message. body is all of it, or only its
// first maxMessage bytes when truncated.
func (c *Conn) message(d *dir, typ HandshakeType, body []byte, off int64, truncated, opened bool) {
	hd := c.h.Dir(d.side)
	if len(hd.Messages) < maxMessages {
		hd.Messages = append(hd.Messages, typ)
	}
	tls13 := is13(c.h.Version)
	switch typ {
	case ClientHelloType:
		if d.side != Client || opened {
			return
		}
		if truncated {
			c.problem(d, off, "handshake message too long", "client_hello")
			return
		}
		var rnd [32]byte
		ch, ok := parseClientHello(body, &rnd)
		if !ok {
			c.problem(d, off, "malformed client_hello", "")
		}
		ch.Seen, ch.Offset = c.now, off
		c.clientHello(ch, &rnd)
	case ServerHelloType, HelloRetryRequest:
		if d.side != Server || opened {
			return
		}
		if truncated {
			c.problem(d, off, "handshake message too long", typ.String())
			return
		}
		var (
			rnd [32]byte
			sh  *ServerHello
			ok  bool
		)
		if typ == HelloRetryRequest {
			sh, ok = parseHelloRetryDraft(body)
		} else {
			sh, ok = parseServerHello(body, &rnd)
		}
		if !ok {
			c.problem(d, off, "malformed "+typ.String(), "")
		}
		sh.Seen, sh.Offset = c.now, off
		c.serverHello(sh, &rnd)
	case Certificate:
		if d.side != Server || (tls13 && !opened) || c.h.Certificates > 0 {
			return
		}
		n, cn, ok := parseCertificates(body, tls13)
		if !ok {
			c.problem(d, off, "malformed certificate", "")
		}
		c.h.Certificates, c.h.CommonName = n, cn
	case Finished:
		if opened {
			d.finished = true
			if tls13 && d.epoch < EpochApplication {
				d.nextEpoch = EpochApplication
			}
		}
	case KeyUpdate:
		if opened && tls13 {
			d.nextEpoch = d.epoch + 1
		}
	case EndOfEarlyData:
		if opened && d.side == Client {
			d.nextEpoch = EpochHandshake
		}
	}
}

func (c *Conn) clientHello(ch *ClientHello, rnd *[32]byte) {
	c.h.ClientHellos++
	if c.h.ClientHello == nil {
		c.h.ClientHello = ch
		c.sess.ClientRandom = *rnd
	}
	if c.h.State == NoHandshake {
		c.settle(ClientHelloOnly, "")
	}
}

func (c *Conn) serverHello(sh *ServerHello, rnd *[32]byte) {
	if sh.HelloRetryRequest {
		if c.h.HelloRetry == nil {
			c.h.HelloRetry = sh
		}
		return
	}
	if c.h.ServerHello != nil {
		return // renegotiation hellos travel encrypted; keep the first
	}
	c.h.ServerHello = sh
	c.h.Version, c.h.CipherSuite = sh.Version, sh.CipherSuite
	c.sess.ServerRandom = *rnd
	c.sess.Version, c.sess.CipherSuite = sh.Version, sh.CipherSuite
	if is13(sh.Version) {
		// Both sides' next protected records use the handshake keys.
		for s := range c.dirs {
			d := &c.dirs[s]
			if Side(s) == Client && d.epoch == EpochEarly {
				// 0-RTT data goes on until the client's EndOfEarlyData;
				// if the server refused it, the client's next record
				// is under handshake keys, which a Decrypter finds.
				continue
			}
			d.epoch, d.seq, d.seqLost = EpochHandshake, 0, false
		}
	}
	if c.h.State == NoHandshake || c.h.State == ClientHelloOnly {
		c.settle(ServerHelloSeen, "")
	}
}

func (c *Conn) clientHelloV2(d *dir, p []byte) {
	var rnd [32]byte
	ch, ok := parseClientHelloV2(p, &rnd)
	if !ok {
		c.problem(d, 0, "malformed sslv2 client_hello", "")
	}
	ch.Seen = c.now
	hd := c.h.Dir(d.side)
	if len(hd.Messages) < maxMessages {
		hd.Messages = append(hd.Messages, ClientHelloType)
	}
	c.clientHello(ch, &rnd)
}

// evaluate completes the handshake when both sides have done their part.
func (c *Conn) evaluate() {
	if c.decided() || c.h.State == NoHandshake {
		return
	}
	if c.didItsPart(Client) && c.didItsPart(Server) {
		c.settle(HandshakeComplete, "")
	}
}
