// Package parse holds what every reader of ceiling's inputs shares: telling
// an input's kind from its first bytes (not its name), opening it (gzip
// included), and the Problem type in which a reader reports what it skipped
// and where.
//
// The readers themselves live below: parse/jtl (JMeter results), parse/pcap
// (packets), parse/sip (SIP messages), parse/capture (packets to protocol
// events). None of them knows who consumes its records.
package parse
