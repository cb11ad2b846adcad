package tcp

import (
	"net/netip"
	"time"
)

// Side is one end of a connection.
type Side uint8

const (
	// Client is the side that sent the first SYN. When no SYN was seen
	// (the capture began mid-connection, or missed it), it is the side
	// that did not send the SYN-ACK; failing that, the side with the
	// higher port, since ephemeral ports are high and service ports low;
	// and with equal ports, the side that sent the first packet seen.
	Client Side = 0
	// Server is the other side.
	Server Side = 1
)

func (s Side) String() string {
	if s == Client {
		return "client"
	}
	return "server"
}

// Other is the opposite side.
func (s Side) Other() Side { return s ^ 1 }

// State is how a connection stands, after Zeek's conn_state (the same
// names, so that a person who knows conn.log reads them at once). It is
// kept up to date while the connection is open and final at Close.
type State uint8

const (
	// OTH: neither an opening nor a close that says more; typically a
	// connection that began before the capture and was not seen to end,
	// or a handshake of which only part was seen.
	OTH State = iota
	// S0: SYN seen, no reply of any kind.
	S0
	// REJ: the SYN was answered by a RST: the connection was refused.
	REJ
	// S1: established (or, mid-stream, both sides seen), not closed in
	// the capture.
	S1
	// SF: closed normally, a FIN from each side.
	SF
	// S2: established, FIN from the client only.
	S2
	// S3: established, FIN from the server only.
	S3
	// RSTO: the client reset an established connection.
	RSTO
	// RSTR: the server reset an established connection.
	RSTR
	// RSTOS0: the client sent a SYN then a RST; no SYN-ACK was seen.
	RSTOS0
	// RSTRH: the server sent a RST, and nothing was seen from the client
	// (no SYN, no data): typically a RST for a connection the capture
	// never saw, or a SYN-ACK followed by a RST.
	RSTRH
	// SH: the client sent a SYN then a FIN; the server never answered.
	SH
	// SHR: the server sent a FIN (after a SYN-ACK); nothing was seen from
	// the client.
	SHR
)

var stateNames = [...]string{"OTH", "S0", "REJ", "S1", "SF", "S2", "S3", "RSTO", "RSTR", "RSTOS0", "RSTRH", "SH", "SHR"}

// String gives Zeek's name for the state.
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "OTH"
}

var stateText = [...]string{
	"no opening handshake and no close seen (begun before the capture, or only part of a handshake seen)",
	"connection attempt seen, no reply",
	"connection attempt rejected: the SYN was answered by a reset",
	"connection established, not closed in the capture",
	"connection established and closed normally by both sides",
	"connection established, the client closed (FIN) and the server did not",
	"connection established, the server closed (FIN) and the client did not",
	"connection established, then reset by the client",
	"connection established, then reset by the server",
	"the client sent a SYN and then a reset, with no SYN-ACK seen",
	"the server sent a reset, and nothing was seen from the client",
	"the client sent a SYN and then a FIN, with no SYN-ACK seen (half-open)",
	"the server sent a FIN, and nothing was seen from the client",
}

// Describe says in a sentence what the state means.
func (s State) Describe() string {
	if int(s) < len(stateText) {
		return stateText[s]
	}
	return stateText[OTH]
}

// Refused reports whether the state is a refusal at the TCP layer: the SYN
// answered by a reset.
func (s State) Refused() bool { return s == REJ }

// Reset reports whether the connection ended by a reset after it was up
// (or, mid-stream, by a reset at all).
func (s State) Reset() bool { return s == RSTO || s == RSTR || s == RSTRH }

// Ending says why a connection was closed: what End means.
type Ending uint8

const (
	// StillOpen: not closed yet.
	StillOpen Ending = iota
	// EndFIN: both sides sent a FIN. End is the time of the second FIN.
	EndFIN
	// EndRST: an in-window reset. End is its time.
	EndRST
	// EndSynTimeout: a SYN that no SYN-ACK or RST answered in time and
	// that the client stopped retransmitting. End is the last SYN's time
	// plus Options.SynTimeout.
	EndSynTimeout
	// EndIdle: nothing seen for Options.IdleTimeout. End is when the
	// timeout fired (Last + IdleTimeout): the connection may well have
	// lived on unseen.
	EndIdle
	// EndEvicted: given up to stay within Options.MaxConns. End is the
	// capture time at which that happened.
	EndEvicted
	// EndReused: a new SYN with another initial sequence number came on
	// the same addresses and ports, so this one was over (the client
	// reused the port). End is the new SYN's time, or for a connection
	// that was only opening, its last SYN plus SynTimeout if that is
	// earlier.
	EndReused
	// EndCapture: still open when the input ended (Finish). End is the
	// time given to Finish.
	EndCapture
)

var endingNames = [...]string{"open", "fin", "rst", "syn-timeout", "idle", "evicted", "reused", "capture-end"}

func (e Ending) String() string {
	if int(e) < len(endingNames) {
		return endingNames[e]
	}
	return "unknown"
}

// Conn is one TCP connection. The Assembler owns it and updates it while
// the connection is open; the handler reads it during its calls, and may
// keep the pointer after Close: the Assembler does not touch it again.
//
// Times are Unix nanoseconds of the capture's clock, 0 when not seen.
// Arrays indexed [2] are per Side (Client, Server).
type Conn struct {
	// Last to Midstream are what every segment reads or writes: they
	// come first, within 96 bytes, two cache lines wherever a Conn lies
	// (its size class, 352 bytes, puts it at 0 or 32 bytes into a line),
	// where they were in three: a busy capture's connections are mostly
	// cold in the cache by their next packet.

	Last       int64 // the last packet
	LastPacket int64 // frame number of the last packet, as Wireshark numbers frames

	Packets [2]int64 // packets sent by each side
	// Bytes is the TCP payload each side sent on the wire, every copy
	// counted (what tshark's tcp.len adds up to).
	Bytes [2]int64
	// Delivered is what went to Handler.Data, each byte once.
	Delivered [2]int64

	// User is the handler's, for its per-connection state.
	User any

	// What was seen of the opening and the close, apart from the times
	// below, which cannot say "not seen" in a capture whose clock starts at
	// 0 (crafted files do).
	SynSeen    bool    // the client's SYN
	SynAckSeen bool    // the server's SYN-ACK
	Handshake  bool    // the handshake completed (Established is its time)
	FinSeen    [2]bool // each side's FIN

	State State
	// ResetBy is who sent the reset, for RSTO, RSTR, RSTOS0, RSTRH and REJ.
	ResetBy Side
	Reset   bool // a reset was accepted
	// Midstream is set when no SYN from either side was seen: the
	// connection began before the capture (or the capture missed it), and
	// each direction's data is delivered from the first sequence number
	// seen.
	Midstream bool
	// HalfClosed is set while exactly one side has sent a FIN. Such a
	// connection is still open: the other side may send, and at the edge
	// it still holds a slot.
	HalfClosed bool
	Ending     Ending

	// ID to Established next, in one line more, for what reads a Conn at
	// its Close.
	ID          uint64 // 1, 2, … in the order connections were opened
	Start       int64  // the first SYN, or the first packet when there was none
	End         int64  // see Ending; 0 while open
	Established int64  // the handshake completed; 0 for a mid-stream connection
	SynAck      int64  // the first SYN-ACK accepted

	Client, Server netip.AddrPort

	// FinAt is when each side's first FIN was seen.
	FinAt [2]int64

	// SynRetransmits counts the client's SYNs beyond the first with the
	// same initial sequence number.
	SynRetransmits int
	// ISN is each side's initial sequence number, valid when that side's
	// SYN was seen.
	ISN [2]uint32

	File        int   // Options.File
	FirstPacket int64 // frame number of the first packet, as Wireshark numbers frames

	// Segment counts. A data segment is counted in at most one of
	// Retransmitted (it brought no byte not seen before), Overlaps (it
	// brought new bytes and repeated some) and OutOfOrder (it came ahead
	// of a hole and was held). OverlapConflicts counts segments whose
	// repeated bytes differed from the first copy; the first copy is the
	// one delivered.
	Retransmitted, OutOfOrder, Overlaps, OverlapConflicts [2]int64
	// GapBytes is what was handed to Handler.Gap: bytes that were sent
	// but never seen.
	GapBytes [2]int64
}

// SetupTime is how long the handshake took: from the first SYN to the
// handshake's completion. It is 0 when the connection was not seen to be
// established.
func (c *Conn) SetupTime() time.Duration {
	if !c.Handshake {
		return 0
	}
	return time.Duration(c.Established - c.Start)
}

// Addr gives the endpoint of a side.
func (c *Conn) Addr(s Side) netip.AddrPort {
	if s == Client {
		return c.Client
	}
	return c.Server
}

// Open reports whether the connection is still open: opening, up, or
// half-closed.
func (c *Conn) Open() bool { return c.Ending == StillOpen }
