package tls

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	_ "crypto/sha256" // the hashes of the suites below
	_ "crypto/sha512"
	"encoding/binary"
	"errors"

	"golang.org/x/crypto/chacha20"
	"golang.org/x/crypto/chacha20poly1305"
)

// The record protection of the suites KeyLogDecrypter opens: AES-GCM and
// ChaCha20-Poly1305, TLS 1.2 (RFC 5288, RFC 7905) and TLS 1.3 (RFC 8446).
// Nothing here needs to be constant-time: it reads captures offline.

// aeadSuite is how a cipher suite protects records.
type aeadSuite struct {
	tls13  bool
	keyLen int
	// hash is that of the TLS 1.2 PRF or of the TLS 1.3 key schedule.
	hash   crypto.Hash
	chacha bool
}

// aeadSuites are the suites that can be decrypted. The TLS 1.2 key
// exchange does not matter (the key log gives the master secret), so the
// RSA and DHE suites with the same record protection are here too.
var aeadSuites = map[uint16]aeadSuite{
	0x1301: {tls13: true, keyLen: 16, hash: crypto.SHA256},               // TLS_AES_128_GCM_SHA256
	0x1302: {tls13: true, keyLen: 32, hash: crypto.SHA384},               // TLS_AES_256_GCM_SHA384
	0x1303: {tls13: true, keyLen: 32, hash: crypto.SHA256, chacha: true}, // TLS_CHACHA20_POLY1305_SHA256

	0xc02b: {keyLen: 16, hash: crypto.SHA256},               // TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
	0xc02c: {keyLen: 32, hash: crypto.SHA384},               // TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
	0xc02f: {keyLen: 16, hash: crypto.SHA256},               // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
	0xc030: {keyLen: 32, hash: crypto.SHA384},               // TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
	0xcca8: {keyLen: 32, hash: crypto.SHA256, chacha: true}, // TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
	0xcca9: {keyLen: 32, hash: crypto.SHA256, chacha: true}, // TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
	0x009c: {keyLen: 16, hash: crypto.SHA256},               // TLS_RSA_WITH_AES_128_GCM_SHA256
	0x009d: {keyLen: 32, hash: crypto.SHA384},               // TLS_RSA_WITH_AES_256_GCM_SHA384
	0x009e: {keyLen: 16, hash: crypto.SHA256},               // TLS_DHE_RSA_WITH_AES_128_GCM_SHA256
	0x009f: {keyLen: 32, hash: crypto.SHA384},               // TLS_DHE_RSA_WITH_AES_256_GCM_SHA384
	0xccaa: {keyLen: 32, hash: crypto.SHA256, chacha: true}, // TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256
}

// DecryptableSuite reports whether a KeyLogDecrypter can open the records
// of a cipher suite, given the keys.
func DecryptableSuite(suite uint16) bool {
	_, ok := aeadSuites[suite]
	return ok
}

const (
	tagSize   = 16 // of both AEADs
	nonceSize = 12
	// explicitNonce is the per-record part of the TLS 1.2 AES-GCM nonce,
	// sent in front of the ciphertext.
	explicitNonce = 8
	// minProtected is the shortest protected record, header included, of
	// any suite here: a tag and (TLS 1.3) the inner content type. It bounds
	// how many records bytes the capture missed can have held.
	minProtected = headerLen + tagSize
)

// recordKeys are one side's keys for one epoch, one candidate of them
// when the key log gave several values for a secret.
type recordKeys struct {
	suite aeadSuite
	aead  cipher.AEAD
	// The raw cipher, to decrypt one byte without authenticating when
	// looking for a sequence number (plausible): AES for GCM, the key
	// for ChaCha20.
	block cipher.Block
	key   []byte
	// iv is the TLS 1.3 and ChaCha20 IV, or for TLS 1.2 AES-GCM the
	// 4-byte salt (the rest of the nonce travels in the record).
	iv [nonceSize]byte
	// secret is the TLS 1.3 traffic secret the keys come from, from which
	// a KeyUpdate derives the next.
	secret []byte

	// nonce and aad are built here, not on the stack: given to the
	// AEAD's interface method, they would escape, an allocation per
	// record. (A Session's keys serve one Conn, one goroutine.)
	nonce [nonceSize]byte
	aad   [13]byte

	opened int64 // records these keys opened
	// failed counts the records in a row these keys did not open, and
	// searches the forward searches in a row that found nothing.
	failed, searches int
}

// setKey makes the AEAD (and keeps what plausible needs).
func (k *recordKeys) setKey(key []byte) (err error) {
	if k.suite.chacha {
		k.key = key
		k.aead, err = chacha20poly1305.New(key)
		return err
	}
	if k.block, err = aes.NewCipher(key); err != nil {
		return err
	}
	k.aead, err = cipher.NewGCM(k.block)
	return err
}

// keys12 derives both sides' TLS 1.2 record keys from a master secret
// (RFC 5246 section 6.3): the key block is PRF(master_secret, "key
// expansion", server_random + client_random), cut into the client's and
// server's MAC keys (none for an AEAD), keys and IVs.
func keys12(s aeadSuite, master []byte, clientRandom, serverRandom *[32]byte) (client, server *recordKeys, err error) {
	ivLen := 4
	if s.chacha {
		ivLen = nonceSize
	}
	seed := make([]byte, 0, 64)
	seed = append(append(seed, serverRandom[:]...), clientRandom[:]...)
	kb := prf12(s.hash, master, "key expansion", seed, 2*s.keyLen+2*ivLen)
	out := [2]*recordKeys{}
	for i := range out {
		k := &recordKeys{suite: s}
		copy(k.iv[:], kb[2*s.keyLen+i*ivLen:2*s.keyLen+(i+1)*ivLen])
		if err = k.setKey(kb[i*s.keyLen : (i+1)*s.keyLen]); err != nil {
			return nil, nil, err
		}
		out[i] = k
	}
	return out[0], out[1], nil
}

// prf12 is the TLS 1.2 PRF, P_hash(secret, label + seed) (RFC 5246
// section 5), with the suite's hash.
func prf12(h crypto.Hash, secret []byte, label string, seed []byte, n int) []byte {
	ls := append([]byte(label), seed...)
	mac := hmac.New(h.New, secret)
	out := make([]byte, 0, n+h.Size())
	a := ls // A(0)
	for len(out) < n {
		mac.Reset()
		mac.Write(a)
		a = mac.Sum(nil) // A(i)
		mac.Reset()
		mac.Write(a)
		mac.Write(ls)
		out = mac.Sum(out)
	}
	return out[:n]
}

// expandLabel is TLS 1.3's HKDF-Expand-Label (RFC 8446 section 7.1)
// with an empty context, all the record keys need.
func expandLabel(h crypto.Hash, secret []byte, label string, n int) ([]byte, error) {
	full := "tls13 " + label
	info := make([]byte, 0, 4+len(full))
	info = binary.BigEndian.AppendUint16(info, uint16(n))
	info = append(info, byte(len(full)))
	info = append(info, full...)
	info = append(info, 0) // context
	return hkdf.Expand(h.New, secret, string(info), n)
}

// keys13 makes TLS 1.3 record keys from a traffic secret (RFC 8446
// section 7.3): key and IV by HKDF-Expand-Label.
func keys13(s aeadSuite, secret []byte) (*recordKeys, error) {
	if len(secret) != s.hash.Size() {
		return nil, errSecretSize
	}
	k := &recordKeys{suite: s, secret: secret}
	iv, err := expandLabel(s.hash, secret, "iv", nonceSize)
	if err != nil {
		return nil, err
	}
	copy(k.iv[:], iv)
	key, err := expandLabel(s.hash, secret, "key", s.keyLen)
	if err != nil {
		return nil, err
	}
	if err = k.setKey(key); err != nil {
		return nil, err
	}
	return k, nil
}

// errSecretSize: a TLS 1.3 secret whose length is not the suite's hash
// length cannot be the suite's.
var errSecretSize = errors.New("secret length does not match the suite's hash")

// next derives the keys of the epoch after a KeyUpdate:
// application_traffic_secret_N+1 = HKDF-Expand-Label(secret_N,
// "traffic upd", "", Hash.length).
func (k *recordKeys) next() (*recordKeys, error) {
	secret, err := expandLabel(k.suite.hash, k.secret, "traffic upd", k.suite.hash.Size())
	if err != nil {
		return nil, err
	}
	return keys13(k.suite, secret)
}

// errShort: the record is shorter than the AEAD's overhead.
var errShort = errors.New("shorter than the cipher's overhead")

// errNoContentType: a TLS 1.3 record whose plaintext is all padding.
var errNoContentType = errors.New("no inner content type")

// open opens r as record number seq and returns the content type and the
// plaintext (TLS 1.3 padding removed). It decrypts in place when scratch
// is nil; otherwise into scratch (at least as long as the payload), which
// keeps the ciphertext for another try: an AEAD may overwrite its output
// when authentication fails. The error is ErrAuthentication, errShort or
// errNoContentType.
func (k *recordKeys) open(scratch []byte, r *Record, seq uint64) (ContentType, []byte, error) {
	p := r.Payload
	dst := scratch
	if dst == nil {
		dst = p
	}
	nonce, aad := &k.nonce, &k.aad
	switch {
	case k.suite.tls13:
		if len(p) < tagSize+1 {
			return 0, nil, errShort
		}
		*nonce = k.iv
		xorSeq(nonce, seq)
		// The additional data is the record header.
		hdr := aad[:5]
		hdr[0], hdr[1], hdr[2], hdr[3], hdr[4] = byte(r.Type), byte(r.Version>>8), byte(r.Version), byte(len(p)>>8), byte(len(p))
		plain, err := k.aead.Open(dst[:0], nonce[:], p, hdr)
		if err != nil {
			return 0, nil, ErrAuthentication
		}
		// TLSInnerPlaintext: content, the content type, zeros.
		i := len(plain) - 1
		for i >= 0 && plain[i] == 0 {
			i--
		}
		if i < 0 {
			return 0, nil, errNoContentType
		}
		return ContentType(plain[i]), plain[:i], nil
	case k.suite.chacha:
		// RFC 7905: the nonce is the IV XOR the sequence number.
		if len(p) < tagSize {
			return 0, nil, errShort
		}
		*nonce = k.iv
		xorSeq(nonce, seq)
	default:
		// RFC 5288: a 4-byte salt and the record's 8-byte explicit nonce.
		if len(p) < explicitNonce+tagSize {
			return 0, nil, errShort
		}
		copy(nonce[:4], k.iv[:4])
		copy(nonce[4:], p[:explicitNonce])
		p = p[explicitNonce:]
		if scratch == nil {
			dst = p // in place: the output must start where the input does
		}
	}
	// TLS 1.2 additional data: seq_num, type, version, plaintext length.
	binary.BigEndian.PutUint64(aad[:8], seq)
	aad[8] = byte(r.Type)
	binary.BigEndian.PutUint16(aad[9:], r.Version)
	binary.BigEndian.PutUint16(aad[11:], uint16(len(p)-tagSize))
	plain, err := k.aead.Open(dst[:0], nonce[:], p, aad[:])
	if err != nil {
		return 0, nil, ErrAuthentication
	}
	return r.Type, plain, nil
}

// plausible reports whether a TLS 1.3 record may be number seq: it
// decrypts, without authenticating, only the last byte of the
// TLSInnerPlaintext, which is a content type (alert, handshake,
// application data, heartbeat) or padding. A wrong number fails this
// 251 times in 256 for the cost of one block of the cipher instead of
// the whole record: what makes searching thousands of numbers after a
// loss cheap. For other records it says yes.
func (k *recordKeys) plausible(r *Record, seq uint64) bool {
	if !k.suite.tls13 || len(r.Payload) < tagSize+1 {
		return true
	}
	i := len(r.Payload) - tagSize - 1 // the byte's offset in the ciphertext
	nonce := k.iv
	xorSeq(&nonce, seq)
	var ks [64]byte
	if k.suite.chacha {
		// RFC 8439: block 0 makes the Poly1305 key, the text starts at 1.
		c, err := chacha20.NewUnauthenticatedCipher(k.key, nonce[:])
		if err != nil {
			return true
		}
		c.SetCounter(uint32(1 + i/64))
		c.XORKeyStream(ks[:], ks[:])
		i %= 64
	} else {
		// GCM: counter block J0+1+n for the text's block n, J0 the nonce
		// and 1.
		var ctr [16]byte
		copy(ctr[:], nonce[:])
		binary.BigEndian.PutUint32(ctr[12:], uint32(2+i/16))
		k.block.Encrypt(ks[:16], ctr[:])
		i %= 16
	}
	switch ContentType(r.Payload[len(r.Payload)-tagSize-1] ^ ks[i]) {
	case 0, TypeAlert, TypeHandshake, TypeApplicationData, TypeHeartbeat:
		return true
	}
	return false
}

// xorSeq XORs the sequence number into the last 8 bytes of a nonce.
func xorSeq(n *[nonceSize]byte, seq uint64) {
	binary.BigEndian.PutUint64(n[4:], binary.BigEndian.Uint64(n[4:])^seq)
}

// explicitSeq gives the explicit nonce of a TLS 1.2 AES-GCM record, which
// OpenSSL, BoringSSL, NSS, Go and SChannel all set to the sequence number:
// the first guess when records went missing.
func (k *recordKeys) explicitSeq(r *Record) (uint64, bool) {
	if k.suite.tls13 || k.suite.chacha || len(r.Payload) < explicitNonce {
		return 0, false
	}
	return binary.BigEndian.Uint64(r.Payload[:explicitNonce]), true
}
