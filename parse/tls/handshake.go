package tls

// State is how far a connection's handshake got, as far as the capture
// shows it.
type State uint8

const (
	// NoHandshake: no hello seen. Either nothing was sent yet, or the
	// capture began after the handshake (records are still counted).
	NoHandshake State = iota
	// ClientHelloOnly: the client said hello (again, after a
	// HelloRetryRequest) and the server has not answered with a
	// ServerHello.
	ClientHelloOnly
	// ServerHelloSeen: the server answered; keys are being agreed.
	ServerHelloSeen
	// HandshakeComplete: both ends finished the handshake (see the
	// package documentation for how that is told without keys).
	HandshakeComplete
	// Failed: an alert ended the handshake, or a side closed or reset
	// the connection in the middle of it. Reason says which.
	Failed
	// Incomplete: the capture ended in the middle of the handshake, or
	// the connection closed mid-handshake after bytes went missing from
	// the capture, so that the close may not be the whole story. This is
	// no evidence that the edge refused anything.
	Incomplete
)

func (s State) String() string {
	switch s {
	case NoHandshake:
		return "none"
	case ClientHelloOnly:
		return "client-hello"
	case ServerHelloSeen:
		return "server-hello"
	case HandshakeComplete:
		return "complete"
	case Failed:
		return "failed"
	case Incomplete:
		return "incomplete"
	}
	return "?"
}

// Seen is when something was seen: the capture time (Unix ns) and the
// packet number given with the bytes that completed it.
type Seen struct {
	Time   int64
	Packet int64
}

// Handshake is what a Conn learned about one connection. It is owned by
// the Conn: read it, do not keep pointers into it across calls.
type Handshake struct {
	State State
	// Reason says why the handshake failed or is incomplete, in the status
	// vocabulary of the JSON summary: "alert:<description>" with the TLS
	// registry's name ("alert:handshake_failure"), "alert:encrypted" for
	// an alert the capture cannot read (sent under keys we do not have),
	// "closed" for a FIN or RST in the middle of the handshake,
	// "incomplete" for State Incomplete. Empty otherwise.
	Reason string
	// Done is when the state became HandshakeComplete, Failed or
	// Incomplete: the record that completed or failed it, the close.
	Done Seen

	// ClientHello is the first ClientHello; ClientHellos counts them (two
	// after a HelloRetryRequest, which asks the client for another).
	ClientHello  *ClientHello
	ClientHellos int
	// HelloRetry is the server's HelloRetryRequest, if it sent one.
	HelloRetry *ServerHello
	// ServerHello is the server's answer that fixed version and suite.
	ServerHello *ServerHello
	// Version and CipherSuite are what the ServerHello chose (its
	// supported_versions extension for TLS 1.3); 0 until then.
	Version     uint16
	CipherSuite uint16

	// Certificates is the length of the chain in the server's Certificate
	// message and CommonName the subject CN of its first certificate.
	// Only TLS 1.2 and earlier send them in the clear; 0 and "" otherwise.
	// A chain longer than the Conn buffers (64 KiB) is counted as far as
	// it was read.
	Certificates int
	CommonName   string

	// Alerts are the first alerts (8 at most) in the order seen; AlertCount
	// counts all of them.
	Alerts     []Alert
	AlertCount int

	Client, Server Direction

	// Closed says how the connection ended (the first Close call; zero
	// while it is open) and ClosedAt when.
	Closed   CloseReason
	ClosedAt Seen

	// Problems counts the malformed pieces of either stream (each also
	// passed to Options.OnProblem, the first few per side).
	Problems int64
}

// Dir returns the Direction of one side.
func (h *Handshake) Dir(s Side) *Direction {
	if s == Client {
		return &h.Client
	}
	return &h.Server
}

// Direction counts what one side sent.
type Direction struct {
	Bytes int64 // stream bytes fed
	Gap   int64 // stream bytes the capture missed (Gap calls)
	// Skipped counts bytes in no framed record: a record a gap cut short
	// before its header was whole or across its end, a header that could
	// not be one, what was passed over looking for record boundaries.
	Skipped int64
	Records int64 // records framed

	// Messages are the handshake messages this side sent in the clear
	// (and, with a Decrypter, those it opened), the first 16 in order.
	Messages []HandshakeType

	// ChangeCipherSpec is when this side sent its first
	// ChangeCipherSpec; zero if it did not. TLS 1.3 peers send one for
	// middlebox compatibility only.
	ChangeCipherSpec Seen
	// Encrypted counts records that, by their place in the handshake,
	// carry encrypted handshake messages: after ChangeCipherSpec in TLS
	// 1.2 (Finished), and in TLS 1.3 the application_data records a side
	// sent before the Conn judged the handshake complete.
	Encrypted int64
	// AppData counts application data records and their payload bytes
	// (as on the wire: with the cipher's overhead).
	AppDataRecords int64
	AppDataBytes   int64
	// Undecrypted counts protected records a Decrypter was given and
	// could not open.
	Undecrypted int64
	// Truncated: the stream stopped inside a record (a close or the end
	// of the capture).
	Truncated bool
}

// ClientHello is what the client offered.
type ClientHello struct {
	Seen
	Offset int64 // of the message in the client's stream
	// SSLv2 is set for an SSLv2-format ClientHello (no extensions).
	SSLv2 bool
	// LegacyVersion is the hello's version field (0x0303 in TLS 1.3, which
	// offers versions in SupportedVersions instead).
	LegacyVersion uint16
	// SupportedVersions are the versions of the supported_versions
	// extension, in the client's order, GREASE included (16 at most).
	SupportedVersions []uint16
	CipherSuites      int  // number of suites offered, GREASE and SCSVs included
	SessionID         bool // a legacy session ID was sent
	SNI               string
	ALPN              []string // protocols offered (16 at most)
	// KeyShares are the groups the client sent key shares for (TLS 1.3;
	// 16 at most).
	KeyShares []uint16
	EarlyData bool // the early_data extension: 0-RTT data may follow
	PSK       bool // a pre_shared_key: the client tries to resume (TLS 1.3)
}

// ServerHello is what the server chose. A HelloRetryRequest has the same
// shape.
type ServerHello struct {
	Seen
	Offset int64 // of the message in the server's stream
	// LegacyVersion is the hello's version field; Version is what was
	// negotiated: the supported_versions extension when present.
	LegacyVersion uint16
	Version       uint16
	CipherSuite   uint16
	ALPN          string
	// KeyShare is the group of the server's key share, or for a
	// HelloRetryRequest the group it asks the client to use.
	KeyShare uint16
	// HelloRetryRequest: this message asks the client for another
	// ClientHello.
	HelloRetryRequest bool
}

// CipherSuiteName gives the chosen suite's registry name.
func (s *ServerHello) CipherSuiteName() string { return CipherSuiteName(s.CipherSuite) }

// Alert is one alert record.
type Alert struct {
	Seen
	From   Side
	Offset int64 // of the record in that side's stream
	// Level is 1 (warning) or 2 (fatal), and Description the registry
	// code, when the alert was readable. Opaque alerts have neither.
	Level       uint8
	Description uint8
	// Encrypted: the alert was sent under the record protection. Opaque:
	// its description is unknown (encrypted and not decrypted, or cut by
	// a gap).
	Encrypted bool
	Opaque    bool
}

// Name gives the description's registry name, "encrypted alert", or
// "unreadable alert" for a plaintext one whose bytes the capture missed.
func (a *Alert) Name() string {
	if a.Opaque && a.Encrypted {
		return "encrypted alert"
	}
	if a.Opaque {
		return "unreadable alert"
	}
	return AlertName(a.Description)
}

// Fatal reports whether the alert ends the connection. In TLS 1.2 and
// earlier that is its level; an opaque alert's is unknown and counts as
// fatal. TLS 1.3 ignores the level: every alert but close_notify and
// user_canceled is fatal (RFC 8446 section 6).
func (a *Alert) Fatal(version uint16) bool {
	if a.Opaque {
		return true
	}
	if is13(version) {
		return a.Description != 0 && a.Description != 90
	}
	return a.Level != 1
}

// CloseReason says how a connection (or one direction of it) ended.
type CloseReason uint8

const (
	EndOfCapture CloseReason = iota + 1 // the capture ended with the connection open
	ClientFIN
	ServerFIN
	ClientRST
	ServerRST
)

func (r CloseReason) String() string {
	switch r {
	case EndOfCapture:
		return "end of capture"
	case ClientFIN:
		return "client FIN"
	case ServerFIN:
		return "server FIN"
	case ClientRST:
		return "client RST"
	case ServerRST:
		return "server RST"
	}
	return "open"
}

// By gives the side that closed; ok is false for EndOfCapture.
func (r CloseReason) By() (s Side, ok bool) {
	switch r {
	case ClientFIN, ClientRST:
		return Client, true
	case ServerFIN, ServerRST:
		return Server, true
	}
	return 0, false
}

// Reset reports whether the close was an RST.
func (r CloseReason) Reset() bool { return r == ClientRST || r == ServerRST }
