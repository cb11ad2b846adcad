package tls

//go:generate sh testdata/suites.sh

import "fmt"

// Protocol versions as they appear in hellos and supported_versions.
const (
	VersionSSL30 uint16 = 0x0300
	VersionTLS10 uint16 = 0x0301
	VersionTLS11 uint16 = 0x0302
	VersionTLS12 uint16 = 0x0303
	VersionTLS13 uint16 = 0x0304
)

// VersionName names a protocol version: "TLS 1.2", "TLS 1.3 draft 21"
// (0x7f15), "SSL 2.0" (0x0002, in an SSLv2-format ClientHello), "GREASE"
// for the reserved 0x?a?a values clients offer to keep servers tolerant
// (RFC 8701), otherwise the hex value.
func VersionName(v uint16) string {
	switch v {
	case 0x0002:
		return "SSL 2.0"
	case VersionSSL30:
		return "SSL 3.0"
	case VersionTLS10:
		return "TLS 1.0"
	case VersionTLS11:
		return "TLS 1.1"
	case VersionTLS12:
		return "TLS 1.2"
	case VersionTLS13:
		return "TLS 1.3"
	}
	if v>>8 == 0x7f {
		return fmt.Sprintf("TLS 1.3 draft %d", v&0xff)
	}
	if grease(v) {
		return "GREASE"
	}
	return fmt.Sprintf("0x%04x", v)
}

// is13 reports whether v is TLS 1.3 or one of its drafts: what changes is
// that everything after the ServerHello is encrypted.
func is13(v uint16) bool { return v == VersionTLS13 || v>>8 == 0x7f }

// grease reports whether v is one of the RFC 8701 values 0x0a0a, 0x1a1a,
// … 0xfafa, which mean nothing and are sent to exercise servers.
func grease(v uint16) bool { return v&0x0f0f == 0x0a0a && v>>8 == v&0xff }

// CipherSuiteName names a cipher suite as the IANA registry does
// ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256"),
// "GREASE" for the RFC 8701 values, or gives its hex value ("0x0a0b").
func CipherSuiteName(id uint16) string {
	if s, ok := suiteNames[id]; ok {
		return s
	}
	if grease(id) {
		return "GREASE"
	}
	return fmt.Sprintf("0x%04x", id)
}

// alertNames are the descriptions of the TLS Alerts registry. The ones the
// registry now marks _RESERVED keep their old name without that suffix: a
// peer that sends one still means what the name says.
var alertNames = map[uint8]string{
	0:   "close_notify",
	10:  "unexpected_message",
	20:  "bad_record_mac",
	21:  "decryption_failed",
	22:  "record_overflow",
	30:  "decompression_failure",
	40:  "handshake_failure",
	41:  "no_certificate",
	42:  "bad_certificate",
	43:  "unsupported_certificate",
	44:  "certificate_revoked",
	45:  "certificate_expired",
	46:  "certificate_unknown",
	47:  "illegal_parameter",
	48:  "unknown_ca",
	49:  "access_denied",
	50:  "decode_error",
	51:  "decrypt_error",
	52:  "too_many_cids_requested",
	60:  "export_restriction",
	70:  "protocol_version",
	71:  "insufficient_security",
	80:  "internal_error",
	86:  "inappropriate_fallback",
	90:  "user_canceled",
	100: "no_renegotiation",
	109: "missing_extension",
	110: "unsupported_extension",
	111: "certificate_unobtainable",
	112: "unrecognized_name",
	113: "bad_certificate_status_response",
	114: "bad_certificate_hash_value",
	115: "unknown_psk_identity",
	116: "certificate_required",
	120: "no_application_protocol",
	121: "ech_required",
}

// AlertName gives an alert description's registry name
// ("handshake_failure"), or its decimal value for one the registry does not
// assign ("alert:123" in a status then still says which).
func AlertName(desc uint8) string {
	if s, ok := alertNames[desc]; ok {
		return s
	}
	return fmt.Sprintf("%d", desc)
}

// GroupName names a key exchange group (supported_groups, key_share) as
// the IANA registry does, for the groups seen in practice; others get
// their hex value.
func GroupName(g uint16) string {
	switch g {
	case 0x0017:
		return "secp256r1"
	case 0x0018:
		return "secp384r1"
	case 0x0019:
		return "secp521r1"
	case 0x001d:
		return "x25519"
	case 0x001e:
		return "x448"
	case 0x001f:
		return "brainpoolP256r1tls13"
	case 0x0020:
		return "brainpoolP384r1tls13"
	case 0x0021:
		return "brainpoolP512r1tls13"
	case 0x0100:
		return "ffdhe2048"
	case 0x0101:
		return "ffdhe3072"
	case 0x0102:
		return "ffdhe4096"
	case 0x0103:
		return "ffdhe6144"
	case 0x0104:
		return "ffdhe8192"
	case 0x11eb:
		return "SecP256r1MLKEM768"
	case 0x11ec:
		return "X25519MLKEM768"
	case 0x11ed:
		return "SecP384r1MLKEM1024"
	case 0x6399:
		return "X25519Kyber768Draft00"
	}
	if grease(g) {
		return "GREASE"
	}
	return fmt.Sprintf("0x%04x", g)
}

// HandshakeType is the type of a handshake message.
type HandshakeType uint8

// Handshake message types (TLS HandshakeType registry). HelloRetryRequest
// is the type TLS 1.3 drafts up to 21 gave it; TLS 1.3 sends it as a
// ServerHello with a fixed random.
const (
	HelloRequest        HandshakeType = 0
	ClientHelloType     HandshakeType = 1
	ServerHelloType     HandshakeType = 2
	NewSessionTicket    HandshakeType = 4
	EndOfEarlyData      HandshakeType = 5
	HelloRetryRequest   HandshakeType = 6
	EncryptedExtensions HandshakeType = 8
	Certificate         HandshakeType = 11
	ServerKeyExchange   HandshakeType = 12
	CertificateRequest  HandshakeType = 13
	ServerHelloDone     HandshakeType = 14
	CertificateVerify   HandshakeType = 15
	ClientKeyExchange   HandshakeType = 16
	Finished            HandshakeType = 20
	CertificateStatus   HandshakeType = 22
	KeyUpdate           HandshakeType = 24
)

var handshakeNames = map[HandshakeType]string{
	0: "hello_request", 1: "client_hello", 2: "server_hello", 3: "hello_verify_request",
	4: "new_session_ticket", 5: "end_of_early_data", 6: "hello_retry_request",
	8: "encrypted_extensions", 11: "certificate", 12: "server_key_exchange",
	13: "certificate_request", 14: "server_hello_done", 15: "certificate_verify",
	16: "client_key_exchange", 20: "finished", 21: "certificate_url",
	22: "certificate_status", 23: "supplemental_data", 24: "key_update",
	25: "compressed_certificate", 254: "message_hash",
}

// String gives the registry name ("server_hello_done"), or the number.
func (t HandshakeType) String() string {
	if s, ok := handshakeNames[t]; ok {
		return s
	}
	return fmt.Sprintf("%d", uint8(t))
}
