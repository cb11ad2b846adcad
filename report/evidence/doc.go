// Package evidence cuts the evidence of a verdict out of the captures: the
// packets of chosen attempts (the first failures at the breakpoint, a few
// answered attempts just before it for contrast, or those a Filter names),
// written as a pcapng in which every packet carries a comment naming the
// finding and the attempt, so that it opens in Wireshark and tshark with
// the story attached. Each chosen attempt also gets its message ladder,
// which the HTML report draws.
//
// It reads the captures a second time, streaming: what it keeps is the
// selection's keys (Call-IDs, connection ends), not packets.
package evidence
