package tls

// Decryption is a hook: the Conn frames records, follows the handshake and
// numbers each side's protected records; a Decrypter, given keys (an NSS
// key log: CLIENT_RANDOM for TLS 1.2, the *_TRAFFIC_SECRET lines for TLS
// 1.3), turns a protected record back into its content type and
// plaintext. Nothing here knows a key or a cipher, and without a Decrypter
// protected records stay opaque.

// Epoch names the keys a side's records are protected with. The numbers
// are those DTLS 1.3 uses (RFC 9147 section 6.1), and TLS 1.3's key
// schedule has the same steps.
type Epoch uint16

const (
	// EpochPlaintext: no protection (hellos, and alerts sent before keys).
	EpochPlaintext Epoch = 0
	// EpochEarly: TLS 1.3 0-RTT data (client_early_traffic_secret).
	EpochEarly Epoch = 1
	// EpochHandshake: TLS 1.3 handshake messages after the ServerHello
	// (*_handshake_traffic_secret).
	EpochHandshake Epoch = 2
	// EpochApplication: TLS 1.3 application traffic secret 0, and every
	// record after ChangeCipherSpec in TLS 1.2. Each TLS 1.3 KeyUpdate
	// adds one.
	EpochApplication Epoch = 3
)

// Session is what a Decrypter needs to find a connection's keys: the
// randoms (the key log is indexed by the client's), and what the
// ServerHello chose.
type Session struct {
	ClientRandom [32]byte // zero until a ClientHello was seen
	ServerRandom [32]byte // zero until a ServerHello was seen
	Version      uint16   // negotiated version, 0 until known
	CipherSuite  uint16

	// keys is what a KeyLogDecrypter derived for this connection: it lives
	// and dies with the Conn.
	keys *sessionKeys
}

// Record is one protected record handed to a Decrypter, valid only during
// the call.
type Record struct {
	From    Side
	Type    ContentType // outer type: application_data in TLS 1.3
	Version uint16      // record-layer version (part of the TLS 1.3 AAD)
	// Payload is the ciphertext; it belongs to the Conn and may be
	// overwritten once Open returns. Open may decrypt in place.
	Payload []byte
	// Epoch and Seq are the keys and the record number within them, as the
	// Conn counts them: the sequence number is the nonce input of every
	// AEAD suite. TLS 1.3 handshake and application epochs can be told
	// apart only by reading the handshake, which the Conn does with what
	// Open returns; until a record is opened the Conn cannot know when a
	// TLS 1.3 side switched to application keys, and says EpochHandshake.
	// An Open that succeeds with other numbers (a later sequence number
	// after a loss, the next epoch) writes them here, and the Conn
	// numbers the side's next records from them.
	Epoch Epoch
	Seq   uint64
	// SeqLost: records of this epoch went missing (a gap, damage), so
	// Seq is only a lower bound; a Decrypter may try the numbers after it.
	SeqLost bool
	Offset  int64 // of the record header in the side's stream
	Seen
}

// Decrypter opens protected records.
type Decrypter interface {
	// Open decrypts r with the keys of s for r.From and r.Epoch, and
	// returns the inner content type and the plaintext (TLS 1.3 padding
	// removed). It returns an error when it has no keys for this session
	// or the record does not authenticate; the record then stays opaque
	// and is counted in Direction.Undecrypted.
	Open(s *Session, r *Record) (ContentType, []byte, error)
}

// Plaintext is a piece of one side's decrypted application data. It
// belongs to the Conn and is valid only during the OnData call.
type Plaintext struct {
	From Side
	Data []byte
	// Lost is set when records of this side's application data could not
	// be opened (or were cut by a gap) since the previous piece: the
	// stream above TLS has a hole before Data.
	Lost bool
	Seen
}
