// Package tls follows TLS on one TCP connection without keys: it frames
// the two byte streams into records, reads the handshake messages that
// travel in the clear, and tells how far the handshake got and why it
// stopped: the "tls" layer of ceiling's verdict.
//
// The capture stage creates a Conn for a TCP connection whose client
// stream Looks like TLS, and feeds it each side's reassembled bytes in
// capture order (Feed), the bytes the capture missed (Gap) and the end
// (Close). Handshake then says:
//
//   - the ClientHello (SNI, versions, suites, ALPN, key shares) and the
//     ServerHello or HelloRetryRequest (version, suite), with the time and
//     packet of each;
//   - in TLS 1.2 and earlier, the server's certificate chain length and
//     first subject CN, and each side's ChangeCipherSpec;
//   - every alert: plaintext ones with their registry description,
//     encrypted ones as "encrypted alert";
//   - per side, records, application data records and bytes;
//   - the State, and for a failure its Reason in the vocabulary of the JSON
//     summary: "alert:handshake_failure" (the TLS registry's name),
//     "alert:encrypted", "closed".
//
// # Telling a finished handshake without keys
//
// The Finished messages are encrypted, so the Conn judges by what each
// side sends and when:
//
//   - TLS 1.2 and earlier: a side has done its part once it sent
//     ChangeCipherSpec and then a handshake record (its encrypted
//     Finished). The handshake is complete when both sides have, in either
//     order (a resumed session's server goes first).
//   - TLS 1.3 (and its drafts): after the ServerHello everything travels
//     as application_data records. The server has done its part with its
//     first such record (its encrypted flight); the client with its first
//     one after the ServerHello, which it sends only after accepting the
//     server's Finished: its own Finished (or its certificate). Any
//     compatibility ChangeCipherSpec is ignored. The first protected
//     record of either side is checked for the size of an encrypted alert
//     (2 bytes, the inner type and a 16-byte tag, 8 for
//     TLS_AES_128_CCM_8_SHA256): no handshake message is that short, so it
//     fails the handshake with "alert:encrypted" (a client that rejects the
//     server's certificate after installing its handshake keys).
//
// What this cannot see: a TLS 1.3 server that rejects the client's
// certificate or Finished answers with an encrypted alert after the
// client's part, which looks like the start of application data, so such
// a handshake reads as complete; padding can hide an alert's size.
// Without keys the TLS 1.3 split between handshake and application records
// is an estimate: the records a side sent before completion count as
// Encrypted (handshake), later ones as application data. 0-RTT data is
// recognised only before the ServerHello.
//
// A close in the middle of the handshake fails it ("closed"), with two
// exceptions: a FIN from a side that has done its part waits for the
// other side (TLS 1.2 False Start clients may send a request and close
// before the server's Finished arrives), and when the capture missed
// bytes of the connection before the handshake was decided, or ended
// there, the State is Incomplete, which is no evidence of a refusal.
//
// # Damage
//
// Records can span segments and hold several handshake messages, and
// handshake messages can span records: all are reassembled, with at most
// one record (MaxRecordLen + 5) and 64 KiB of one handshake message
// buffered per side. Application data is counted, not buffered, unless a
// Decrypter wants it. A record header with an unknown type or version, or
// a length over MaxRecordLen, is a problem (an Error with the stream
// offset, passed to Options.OnProblem); the Conn then looks for record
// boundaries again, and resumes at a valid header followed, right after
// its record, by another. A gap inside a record spoils that record only.
// Nothing on any input panics.
//
// # Decryption
//
// The Conn keeps what a key log lookup needs (Session: client and server
// random, version, suite) and numbers each side's protected records by
// epoch and sequence number (Record). An Options.Decrypter, when set, is
// given each protected record; what it opens is handled as if it had been
// plaintext: handshake messages (the Finished then decide completion, and
// move TLS 1.3 epochs forward), alerts with their description, and
// application data for Options.OnData. Without one, protected records
// stay opaque.
//
// KeyLogDecrypter is the Decrypter of this package: it opens TLS 1.2 and
// TLS 1.3 records of the AES-GCM and ChaCha20-Poly1305 suites with the
// secrets of an NSS key log (package keylog: SSLKEYLOGFILE files, and the
// pcapng secrets blocks of editcap --inject-secrets). With it:
//
//   - a side whose records open has done its part of the handshake when
//     its Finished was read, not by the places of its records: the
//     handshake completes at the later Finished, exactly;
//   - encrypted alerts are read: "alert:bad_certificate" where, without
//     keys, the Reason would be "alert:encrypted" (and the TLS 1.3
//     alerts that look like data, above, are seen);
//   - application data reaches OnData in order, with Plaintext.Lost
//     where records could not be opened or the capture missed bytes;
//   - a record that does not authenticate is counted (Direction.Undecrypted,
//     DecryptStats.FailedBy), never fatal, and the Conn goes on as without
//     keys for that side; a connection without keys in the log is counted
//     once (Session.Decryption, DecryptStats).
//
// After a loss the Decrypter finds the sequence number again and the
// Conn numbers the following records from it; tshark does not (see
// testdata/README.md). Not decrypted: TLS 1.1 and older, TLS 1.3 drafts,
// CBC and CCM suites, the new keys of a TLS 1.2 renegotiation, RSA and
// PMS_CLIENT_RANDOM key log lines (a pre-master secret).
package tls
