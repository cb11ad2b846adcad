// Package tcp puts TCP streams back together from decoded packets and
// keeps one record per connection: when it was attempted, answered,
// established and ended, how (a Zeek-style State), who reset it, and what
// was lost, repeated or out of order on the way. It is what the capture
// stage hands TCP packets to, and what the SIP, HTTP and WebSocket parsers
// get their bytes from.
//
//	a := tcp.NewAssembler(handler, tcp.Options{File: i, FileName: path, Problems: probs})
//	for each packet p from parse/pcap, in capture order:
//		a.Packet(p)
//	a.Finish(lastTime)
//
// The Handler hears Open, Established, Data and Gap (in stream order, each
// byte once), and Close exactly once per connection. Everything streams:
// memory is bounded by Options.MaxConns connections and by
// Options.MaxBuffered / MaxBufferedTotal bytes held ahead of holes,
// whatever the input; in steady state a packet allocates nothing (held
// data and history live in pooled buffers; connections are keyed by a
// fixed-size struct of addresses and ports).
//
// # Reassembly
//
// Sequence numbers are turned into 64-bit stream offsets relative to the
// next byte expected, so the 32-bit space wraps unnoticed and a jump of up
// to 2 GiB either way is understood as such.
//
//   - A segment ahead of a hole is held (OutOfOrder) and delivered when the
//     hole fills, with its own packet's time and frame number.
//   - A segment that repeats bytes already seen is delivered once
//     (Retransmitted when it brings nothing new, Overlaps when it does).
//     Where copies differ, the first copy wins, as in most IDSs (Snort's
//     and Suricata's "first" policy, Zeek): it is the one delivered, and
//     the segment is counted in OverlapConflicts. Delivered bytes are kept
//     until the peer acknowledges them (Options.HistoryBytes) so that a
//     changed retransmission of them is caught too.
//   - A hole is given up, and Handler.Gap called, when the peer
//     acknowledges bytes the capture never saw and something shows they
//     are not merely late (data past them, the FIN, the end); when the
//     bytes held ahead of it pass Options.MaxBuffered (or all connections'
//     pass MaxBufferedTotal); when the snap length cut a segment (the cut
//     part is a gap at once); and when the connection ends. The stream
//     goes on after a gap.
//   - Keep-alives (one byte or none, just before what was sent) and
//     zero-window probes (one byte into a closed window) are not data. A
//     probe byte the peer acknowledges is delivered after all.
//   - A capture that starts mid-connection: each direction's stream
//     starts at the first sequence number it is seen with (Midstream).
//
// # Connections
//
// A connection is opened by its first packet of any kind. The client is
// the sender of the first SYN; without one, the side the SYN-ACK went to;
// with neither (mid-stream), the side with the higher port (ephemeral
// ports are high, service ports low), and with equal ports the sender of
// the first packet seen.
//
// It ends at the second FIN (both sides closed: a half-closed connection
// is still open, and still holds the edge's slot); at a RST within the
// window (the sender is ResetBy; a RST answering a SYN must acknowledge
// the SYN, as RFC 9293 has the client check, so a forged one does not end
// it); when an unanswered SYN is given up (Options.SynTimeout after the
// last SYN retransmission, allowing for backoff); after
// Options.IdleTimeout of silence; when a SYN with a new initial sequence
// number comes on the same addresses and ports (the port was reused: the
// old connection is closed and a new one opened; the same SYN again is a
// SYN retransmission); when MaxConns forces it out; or at Finish. Conn.End
// and Conn.Ending say which and when.
//
// After it closes by FIN, RST or SYN timeout, its addresses and ports are
// remembered for Options.Linger, so that the last ACK, a retransmitted FIN
// or a storm of RSTs is absorbed (Stats.AfterClose) rather than taken for
// a new mid-stream connection; a new SYN opens a new connection at once.
//
// States follow Zeek's conn_state names (S0, REJ, S1, SF, S2, S3, RSTO,
// RSTR, RSTOS0, RSTRH, SH, SHR, OTH), decided from what each side was seen
// to send; see State. Two departures: a mid-stream connection in which
// both sides were seen is S1, not OTH; and a RST that comes after both
// FINs leaves the connection SF (it had ended).
//
// # Time
//
// Timeouts run on capture time, the packets' own. The clock never goes
// back, and a lone packet dated far in the future (over an hour ahead,
// as broken captures have) does not move it unless the next packet agrees,
// so one bad timestamp cannot time out every connection at once. Exported
// times are always the packets' own.
//
// # Damage
//
// A segment whose flags cannot go together (SYN with RST or FIN) is not
// used; a payload cut by the snap length, data past the sender's FIN, and
// a FIN before data already seen are used as far as they can be. Each is
// reported to Options.Problems with the file, frame number and byte offset
// of its record, and counted in Stats.
package tcp
