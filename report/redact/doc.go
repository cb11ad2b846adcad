// Package redact replaces the personal data in what ceiling writes, so
// that a report, its JSON and CSV, and an evidence capture can be
// attached to a support ticket: phone numbers, the user parts and
// display names of SIP URIs, the client side's IP and MAC addresses,
// SDP's addresses and user names, JTL URLs' query strings, credentials.
// What support needs stays: the edge's addresses, ports, Call-IDs, trace
// IDs, SIP methods, status codes, timings and the verdict.
//
// One Redactor serves a whole run: a given input gets the same pseudonym
// in every output. Pseudonyms are keyed with HMAC-SHA256 by a secret
// drawn at random for each run (Options.Secret), so that they cannot be
// reversed, nor recomputed by trying every number of a numbering plan,
// nor compared across runs.
//
// # Pseudonyms
//
//   - IPv4 addresses map into 198.18.0.0/15 (RFC 2544, never routed), one
//     to one within a run, with text as long as the original's where the
//     range allows (10 to 14 characters). IPv6 addresses map into
//     2001:db8::/32 (RFC 3849), as long as the original's text from 11 to
//     38 characters. An IPv4-mapped IPv6 address stays one.
//   - A phone number's digits map to as many other digits, separators and
//     a leading '+' kept: "+4930123456" and "4930123456" get the same
//     digits. A phone number is a SIP or tel URI's user part made of
//     digits and visual separators (any length), a display name that is
//     one, a '+' and 6 digits or more anywhere, and a run of 7 digits or
//     more standing alone anywhere (a national number; an ID or a
//     timestamp written in text is replaced too: when in doubt, redact).
//   - Any other user part becomes "user-3fa91c0e", a display name
//     "name-…", the JMeter host's name "host-…", a query value "v-…": as
//     long as the original ("u3fa9" when there is no room for the
//     prefix), so that SIP over TCP keeps its framing.
//   - Unicast MAC addresses become locally administered ones.
//   - Passwords in URIs, Digest responses, other credentials, cookies and
//     SDP keys are blanked with 'x'.
//
// # What is kept, and why
//
//   - The edge's addresses (Options.Edges, Edges(result)) and any that
//     Options.Keep accepts. Every other address is the client side's, a
//     backend the edge called included: when in doubt, redact.
//   - Loopback, unspecified, multicast and broadcast addresses: every host
//     has them, they name no one. On a loopback capture (the demo) the
//     load generator and the edge share 127.0.0.1, which can only be kept
//     or replaced for both; it is kept, and there the client side is told
//     by its ports alone, which are always kept (a port says which socket,
//     not who).
//   - Private-range addresses are replaced unless Options.KeepPrivate:
//     the load generator usually sits in one, and its address is what
//     must not leave.
//   - Host names (in URIs, Via, URLs) are kept: they name the edge or the
//     customer's domain, which support needs to find the trunk, rarely a
//     person's machine. The JMeter host's name, which is the client's
//     machine, is replaced (Host).
//   - Call-IDs are kept but for a client address in them (commonly
//     "random@client-address"): support searches the edge's logs by the
//     unique part. That address is always written as long as the
//     original, so that a Call-ID is the same in the report, over UDP and
//     over TCP, and the redacted capture's dialogs still match. Trace and
//     correlation headers (Options.KeepHeaders) are kept whole. CSeq,
//     Content-Length and the other framing headers keep their numbers.
//
// # Captures
//
// Packet rewrites one frame: Ethernet, Linux SLL and SLL2, raw IP and
// BSD loopback; VLAN tags; IPv4 (options become NOPs) and IPv6; ARP;
// ICMP errors' quoted packets and NDP's addresses; tunnels (IP in IP,
// GRE with IP, Ethernet or ERSPAN, VXLAN, GTP-U); UDP, TCP and SCTP
// payloads; WebSocket frames after an HTTP upgrade (unmasked, redacted,
// masked again). Lengths and checksums (IPv4 header, UDP, TCP, ICMP,
// SCTP's CRC32c, GRE) are computed again so that the result dissects
// without checksum errors.
//
// A SIP message over UDP is redacted as a message: addresses are written
// in full and Content-Length, the UDP and IP lengths follow the body.
// Over TCP nothing may change length (the sequence numbers would no
// longer match), so every replacement there is as long as the original:
// a textual address whose pseudonym is shorter gets leading zeros
// (198.018.0.7), one whose pseudonym is longer is cut (10.1.2.3 becomes
// "198.19.2" rather than "198.19.2.0"), and it then differs from the
// report's. Segments are followed per connection so that a number cut by
// a segment boundary is seen whole when it ends; the part in the earlier
// segment was replaced on its own (a run of 4 digits or more, a '+' and
// digits, a dotted run, a URI's user part, cut at the end of a segment
// are replaced whatever they turn out to be).
//
// IP fragments keep their lengths too. The transport checksum sits in the
// first fragment, sent before the later ones are seen: over IPv4 a UDP
// checksum is set to zero ("none", which is legal); otherwise it is
// updated for the first fragment's changes, and a change in a later
// fragment leaves it stale (counted in Stats.StaleChecksums).
//
// SIP bodies are redacted by type: SDP and other text is scanned, the
// BCD numbers of ISUP (SIP-I, SIP-T) are replaced digit for digit, and
// any other binary part is zeroed. Payloads of unknown protocols are
// scanned as text, then searched for the phone numbers, user names and
// client addresses met so far wherever they stand (proprietary formats
// run fields together), and for client addresses written as 4 or 16
// bytes. RTP's media is zeroed (voice is personal data, and nothing
// ceiling finds is in it); RTCP's SDES names are replaced. Payloads that
// cannot be read are zeroed too: compressed WebSocket messages, masked
// WebSocket data after a gap in the capture. TLS and DTLS records are
// left as they are: ciphertext says nothing without the keys.
//
// Frames that cannot be decoded far enough, or whose protocols carry
// addresses in binary fields that Packet does not rewrite (DNS, DHCP,
// NetBIOS, SNMP, STUN, H.323, GTP-C, IPsec, IPv6 routing headers, link
// types and EtherTypes other than the above), are dropped: Packet
// returns ErrDropped, and Stats counts them by reason. Rewrite, for a
// writer that cannot leave a frame out (report/evidence), returns them
// instead with their addresses redacted and everything after the IP
// header zeroed.
//
// What Packet does not see: a pcapng's comments and metadata (file and
// interface names, the writer's OS) are the writer's to leave out or to
// pass through String.
package redact
