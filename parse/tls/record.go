package tls

import "fmt"

// Side is one end of the connection, and so one of its two byte streams.
type Side uint8

const (
	Client Side = iota // the end that sent the SYN: it speaks first in TLS
	Server
)

func (s Side) String() string {
	if s == Client {
		return "client"
	}
	return "server"
}

func (s Side) other() Side { return 1 - s }

// ContentType is a record's type.
type ContentType uint8

const (
	TypeChangeCipherSpec ContentType = 20
	TypeAlert            ContentType = 21
	TypeHandshake        ContentType = 22
	TypeApplicationData  ContentType = 23
	TypeHeartbeat        ContentType = 24
)

func (t ContentType) String() string {
	switch t {
	case TypeChangeCipherSpec:
		return "change_cipher_spec"
	case TypeAlert:
		return "alert"
	case TypeHandshake:
		return "handshake"
	case TypeApplicationData:
		return "application_data"
	case TypeHeartbeat:
		return "heartbeat"
	}
	return fmt.Sprintf("%d", uint8(t))
}

const (
	// MaxRecordLen is the longest record payload accepted: 2^14 bytes of
	// plaintext plus the 2048 that RFC 5246 allows for compression and
	// cipher expansion (TLS 1.3 allows less, 2^14+256). A longer length
	// means the bytes are not a record boundary, or a peer broke the
	// protocol; either way the record is not buffered.
	MaxRecordLen = 1<<14 + 2048

	headerLen = 5
)

// validHeader reports whether h (at least 5 bytes) can be a record header:
// a known content type, major version 3, a length no record exceeds. An
// empty record is allowed only for application data, which TLS 1.0 CBC
// stacks send to randomise the IV; the other types must not be empty.
func validHeader(h []byte) bool {
	if h[0] < 20 || h[0] > 24 || h[1] != 3 || h[2] > 4 {
		return false
	}
	n := int(h[3])<<8 | int(h[4])
	return n <= MaxRecordLen && (n > 0 || h[0] == byte(TypeApplicationData))
}

// Looks reports whether b, the first bytes a client sent on a connection,
// opens a TLS handshake: a handshake record (version 3.0 to 3.4, length
// 1 to MaxRecordLen) whose first message is a ClientHello, or an
// SSLv2-format ClientHello as old clients sent for compatibility. It needs
// 6 bytes (the first segment of a real handshake always has them) and
// parses nothing else, so it is cheap enough to try on every new stream;
// it also accepts the server's first bytes (a ServerHello), for a capture
// that missed the client's.
func Looks(b []byte) bool {
	if len(b) < 6 {
		return false
	}
	if b[0]&0x80 != 0 {
		return looksV2(b)
	}
	if b[0] != byte(TypeHandshake) || !validHeader(b) {
		return false
	}
	return b[5] == byte(ClientHelloType) || b[5] == byte(ServerHelloType)
}

// looksV2 reports whether b starts an SSLv2-format CLIENT-HELLO (2-byte
// header with the high bit set, message type 1, then a version SSL 2.0 to
// TLS 1.3). RFC 5246 appendix E.2 describes it.
func looksV2(b []byte) bool {
	if len(b) < 5 || b[0]&0x80 == 0 {
		return false
	}
	n := int(b[0]&0x7f)<<8 | int(b[1])
	if b[2] != 1 || n < 9 || n > MaxRecordLen {
		return false
	}
	v := uint16(b[3])<<8 | uint16(b[4])
	return v == 0x0002 || (v >= VersionSSL30 && v <= VersionTLS13)
}
