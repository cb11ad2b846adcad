// Package keylog reads TLS key logs: the NSS key log format that
// SSLKEYLOGFILE makes browsers, curl, Java agents and Go's crypto/tls
// write (and OpenSSL's -keylogfile), and the same text as
// `editcap --inject-secrets tls,FILE` embeds in a pcapng Decryption Secrets
// Block.
//
// A key log is a list of lines "LABEL <client random> <secret>", in hex,
// with # comments. The client random (32 bytes, the ClientHello's) is what
// ties a line to a connection in a capture:
//
//	CLIENT_RANDOM                    the TLS 1.2 (and earlier) master secret
//	CLIENT_EARLY_TRAFFIC_SECRET      TLS 1.3 0-RTT data
//	CLIENT_HANDSHAKE_TRAFFIC_SECRET  TLS 1.3 handshake, each side
//	SERVER_HANDSHAKE_TRAFFIC_SECRET
//	CLIENT_TRAFFIC_SECRET_0          TLS 1.3 application data, each side
//	SERVER_TRAFFIC_SECRET_0          (later ones follow by KeyUpdate)
//	EXPORTER_SECRET                  TLS 1.3 exporters (kept, not needed
//	EARLY_EXPORTER_SECRET            to decrypt)
//
// Reading never fails on content: a line that is not a key log line is a
// problem with its file, line and byte offset, counted and passed over.
// Several logs merge into one; a secret given twice is a duplicate
// (counted), a second value for the same label and client random a
// conflict (counted and reported, and kept too: a decrypter can try each
// and let authentication tell which is right).
//
// A Log costs about 150 bytes per TLS 1.2 connection and 400 per TLS 1.3
// one: it holds what its inputs hold, which are as long as the captures
// they go with have handshakes.
package keylog

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/ceiling-dev/ceiling/parse"
)

// Label says which secret a line gives.
type Label uint8

const (
	// MasterSecret: CLIENT_RANDOM, the 48-byte TLS 1.2 master secret.
	MasterSecret Label = iota
	ClientEarlyTrafficSecret
	ClientHandshakeTrafficSecret
	ServerHandshakeTrafficSecret
	ClientTrafficSecret0
	ServerTrafficSecret0
	ExporterSecret
	EarlyExporterSecret

	numLabels
)

var labelNames = [numLabels]string{
	MasterSecret:                 "CLIENT_RANDOM",
	ClientEarlyTrafficSecret:     "CLIENT_EARLY_TRAFFIC_SECRET",
	ClientHandshakeTrafficSecret: "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
	ServerHandshakeTrafficSecret: "SERVER_HANDSHAKE_TRAFFIC_SECRET",
	ClientTrafficSecret0:         "CLIENT_TRAFFIC_SECRET_0",
	ServerTrafficSecret0:         "SERVER_TRAFFIC_SECRET_0",
	ExporterSecret:               "EXPORTER_SECRET",
	EarlyExporterSecret:          "EARLY_EXPORTER_SECRET",
}

// String gives the label as the key log writes it.
func (l Label) String() string {
	if l < numLabels {
		return labelNames[l]
	}
	return fmt.Sprintf("label(%d)", uint8(l))
}

// unsupported are labels other programs write that carry no secret this
// package can use: RSA and PMS_CLIENT_RANDOM give a pre-master secret,
// which needs the handshake transcript (or the encrypted pre-master) to
// become a master secret; the ECH lines are about Encrypted Client Hello
// configuration. Such lines are counted, not treated as garbage.
var unsupported = map[string]bool{
	"RSA": true, "PMS_CLIENT_RANDOM": true, "ECH_SECRET": true, "ECH_CONFIG": true,
}

// derived are labels of secrets that follow from the others: OpenSSL
// 3.0 writes the application traffic secret after each KeyUpdate under
// these names (with a literal N), and a decrypter derives the same from
// the secret before. Such lines are counted as Ignored, not reported.
var derived = map[string]bool{"CLIENT_TRAFFIC_SECRET_N": true, "SERVER_TRAFFIC_SECRET_N": true}

// maxValues bounds the values kept for one label of one client random: a
// conflict keeps the second value (authentication tells which is right),
// but a log repeating one random with ever new secrets must not grow
// without end.
const maxValues = 4

// Secrets are what the logs gave for one client random.
type Secrets struct {
	ClientRandom [32]byte
	values       [numLabels][][]byte
}

// Get gives the secret of label l, the first value the logs gave, or nil.
func (s *Secrets) Get(l Label) []byte {
	if l >= numLabels || len(s.values[l]) == 0 {
		return nil
	}
	return s.values[l][0]
}

// All gives every distinct value the logs gave for label l, in the order
// they were read: more than one only after a conflict.
func (s *Secrets) All(l Label) [][]byte {
	if l >= numLabels {
		return nil
	}
	return s.values[l]
}

// Stats counts what went into a Log.
type Stats struct {
	Sources int   // key log files and secrets blocks read (merged ones included)
	Lines   int64 // lines read, comments and blank lines included
	// Sessions counts distinct client randoms, Secrets the distinct
	// secrets kept.
	Sessions int
	Secrets  int64
	// Duplicates counts lines that repeat a secret already known: the
	// same file given twice, or a key log beside the pcapng that embeds it.
	Duplicates int64
	// Conflicts counts lines giving another value for a label and client
	// random already known (kept, up to 4 values).
	Conflicts int64
	// Bad counts lines that are not key log lines (reported as problems);
	// Unsupported lines of a kind that is not used (RSA, PMS_CLIENT_RANDOM,
	// ECH_*).
	Bad         int64
	Unsupported int64
	// Ignored counts lines of secrets that follow from others
	// (CLIENT_TRAFFIC_SECRET_N after a KeyUpdate), not kept.
	Ignored int64
}

// Log is a set of key log secrets, looked up by client random. It is safe
// for concurrent use: a capture stage may merge the secrets of a pcapng
// block into it while decrypters read it.
type Log struct {
	mu    sync.RWMutex
	m     map[[32]byte]*Secrets
	stats Stats
	gen   uint64
}

// New returns an empty Log.
func New() *Log { return &Log{m: make(map[[32]byte]*Secrets)} }

// Problem keys, for parse.Problems.ByReason.
const (
	ProblemBadLine     = "bad key log line"
	ProblemTooLong     = "key log line too long"
	ProblemUnsupported = "unsupported key log line"
	ProblemConflict    = "conflicting key log secret"
	ProblemSecretsType = "unsupported secrets type"
)

// maxLine is the longest line read: the longest valid one
// (CLIENT_HANDSHAKE_TRAFFIC_SECRET with a 48-byte secret) is under 200
// bytes; more room lets odd whitespace through, and bounds what a file
// that is no key log at all (a capture given by mistake) costs.
const maxLine = 1024

// Read reads a key log. name is used in problems (the path as the user
// gave it). What is malformed goes to problems (which may be nil) and
// into Stats; the error is only the reader's.
func Read(r io.Reader, name string, problems *parse.Problems) (*Log, error) {
	l := New()
	rd := reader{log: l, name: name, problems: problems}
	err := rd.read(r)
	l.stats.Sources = 1
	return l, err
}

// SecretsTLS is the type of a pcapng Decryption Secrets Block that holds
// TLS key log text ("TLSK").
const SecretsTLS = 0x544c534b

// FromSecretsBlock reads the payload of a pcapng Decryption Secrets Block
// of type typ. Only SecretsTLS holds TLS keys; another type (SSH, WireGuard,
// ZigBee, OPC UA secrets) gives an empty Log and a problem. name and offset
// (of the data in the file) place the problems.
func FromSecretsBlock(typ uint32, data []byte, name string, offset int64, problems *parse.Problems) *Log {
	l := New()
	l.stats.Sources = 1
	if typ != SecretsTLS {
		if problems != nil {
			problems.Add(ProblemSecretsType, parse.Problem{File: name, Offset: offset,
				Reason: fmt.Sprintf("decryption secrets block of type %#08x (%s): only TLS key logs are read", typ, typeName(typ))})
		}
		return l
	}
	rd := reader{log: l, name: name, problems: problems, base: offset}
	rd.read(bytes.NewReader(data))
	return l
}

// typeName spells a secrets type as the four ASCII letters pcapng uses
// for them, when it is that.
func typeName(t uint32) string {
	b := []byte{byte(t >> 24), byte(t >> 16), byte(t >> 8), byte(t)}
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return "unknown"
		}
	}
	return string(b)
}

// reader reads the lines of one source into a Log.
type reader struct {
	log      *Log
	name     string
	problems *parse.Problems
	base     int64 // offset of the source's first byte in its file
}

func (rd *reader) read(r io.Reader) error {
	br := bufio.NewReaderSize(r, maxLine)
	var line, off int64
	for {
		b, err := br.ReadSlice('\n')
		line++
		start := off
		off += int64(len(b))
		if errors.Is(err, bufio.ErrBufferFull) {
			rd.problem(ProblemTooLong, line, start, fmt.Sprintf("line longer than %d bytes", maxLine))
			rd.log.stats.Bad++
			for errors.Is(err, bufio.ErrBufferFull) {
				b, err = br.ReadSlice('\n')
				off += int64(len(b))
			}
			rd.log.stats.Lines++
			if err != nil {
				return ioError(err)
			}
			continue
		}
		if len(b) == 0 && err != nil {
			line--
			return ioError(err)
		}
		rd.log.stats.Lines++
		if line == 1 {
			b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) // a BOM from a Windows editor
		}
		rd.line(b, line, start)
		if err != nil {
			return ioError(err)
		}
	}
}

func ioError(err error) error {
	if err == io.EOF {
		return nil
	}
	return err
}

// line reads one line.
func (rd *reader) line(b []byte, line, off int64) {
	f := bytes.Fields(b)
	if len(f) == 0 || f[0][0] == '#' {
		return
	}
	label := string(f[0])
	var lab Label = numLabels
	for i, n := range labelNames {
		if label == n {
			lab = Label(i)
		}
	}
	if lab == numLabels {
		if derived[label] && len(f) == 3 {
			rd.log.stats.Ignored++
			return
		}
		if unsupported[label] && len(f) == 3 {
			rd.log.stats.Unsupported++
			rd.problem(ProblemUnsupported, line, off, fmt.Sprintf("%s lines are not used (a pre-master secret, or no secret)", label))
			return
		}
		rd.bad(line, off, fmt.Sprintf("unknown label %q", clip(label)))
		return
	}
	if len(f) != 3 {
		rd.bad(line, off, fmt.Sprintf("%s line with %d fields, not 3", label, len(f)))
		return
	}
	var cr [32]byte
	if n, err := hex.Decode(cr[:], f[1][:min(len(f[1]), 64)]); err != nil || n != 32 || len(f[1]) != 64 {
		rd.bad(line, off, fmt.Sprintf("%s: client random is not 64 hex digits", label))
		return
	}
	secret := make([]byte, hex.DecodedLen(len(f[2])))
	if _, err := hex.Decode(secret, f[2]); err != nil || len(f[2])%2 != 0 {
		rd.bad(line, off, fmt.Sprintf("%s: secret is not hex", label))
		return
	}
	switch {
	case lab == MasterSecret && len(secret) != 48:
		rd.bad(line, off, fmt.Sprintf("CLIENT_RANDOM: master secret of %d bytes, not 48", len(secret)))
		return
	case lab != MasterSecret && len(secret) != 32 && len(secret) != 48:
		rd.bad(line, off, fmt.Sprintf("%s: secret of %d bytes, not 32 or 48 (SHA-256 or SHA-384)", label, len(secret)))
		return
	}
	switch rd.log.add(cr, lab, secret) {
	case added:
	case duplicate:
	case conflict:
		rd.problem(ProblemConflict, line, off, fmt.Sprintf("%s for client random %x… differs from the one read before (both kept)", label, cr[:4]))
	}
}

// clip shortens what a bad line quotes of itself.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

func (rd *reader) bad(line, off int64, reason string) {
	rd.log.stats.Bad++
	rd.problem(ProblemBadLine, line, off, reason)
}

func (rd *reader) problem(key string, line, off int64, reason string) {
	if rd.problems != nil {
		rd.problems.Add(key, parse.Problem{File: rd.name, Line: line, Offset: rd.base + off, Reason: reason})
	}
}

type outcome uint8

const (
	added outcome = iota
	duplicate
	conflict
)

// add keeps one secret, counting duplicates and conflicts.
func (l *Log) add(cr [32]byte, lab Label, secret []byte) outcome {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.m[cr]
	if s == nil {
		s = &Secrets{ClientRandom: cr}
		l.m[cr] = s
		l.stats.Sessions++
	}
	vals := s.values[lab]
	for _, v := range vals {
		if bytes.Equal(v, secret) {
			l.stats.Duplicates++
			return duplicate
		}
	}
	out := added
	if len(vals) > 0 {
		l.stats.Conflicts++
		out = conflict
		if len(vals) >= maxValues {
			return out
		}
	}
	// A fresh slice, never appended to in place, so that the Secrets
	// Lookup handed out earlier keep what they saw.
	s.values[lab] = append(vals[:len(vals):len(vals)], secret)
	l.stats.Secrets++
	l.gen++
	return out
}

// Merge adds every secret of o to l. Secrets l already has count as
// duplicates, other values for the same label and client random as
// conflicts (both kept); o's own counts add to l's.
func (l *Log) Merge(o *Log) {
	if o == nil || o == l {
		return
	}
	// A snapshot first, so that the two locks are never held together.
	o.mu.RLock()
	entries := make([]Secrets, 0, len(o.m))
	for _, s := range o.m {
		entries = append(entries, *s)
	}
	st := o.stats
	o.mu.RUnlock()
	for i := range entries {
		for lab := Label(0); lab < numLabels; lab++ {
			for _, v := range entries[i].values[lab] {
				l.add(entries[i].ClientRandom, lab, v)
			}
		}
	}
	l.mu.Lock()
	l.stats.Sources += st.Sources
	l.stats.Lines += st.Lines
	l.stats.Duplicates += st.Duplicates
	l.stats.Conflicts += st.Conflicts
	l.stats.Bad += st.Bad
	l.stats.Unsupported += st.Unsupported
	l.stats.Ignored += st.Ignored
	l.mu.Unlock()
}

// Lookup gives the secrets logged for a client random. The Secrets are a
// copy: later merges do not change them.
func (l *Log) Lookup(clientRandom [32]byte) (Secrets, bool) {
	if l == nil {
		return Secrets{}, false
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	s := l.m[clientRandom]
	if s == nil {
		return Secrets{}, false
	}
	return *s, true
}

// Generation changes each time a secret is added: a decrypter that found
// no keys for a connection may look again when it has changed (a
// secrets block further on in a pcapng).
func (l *Log) Generation() uint64 {
	if l == nil {
		return 0
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.gen
}

// Len gives the number of client randoms with secrets.
func (l *Log) Len() int {
	if l == nil {
		return 0
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	return len(l.m)
}

// Stats gives the counts.
func (l *Log) Stats() Stats {
	if l == nil {
		return Stats{}
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.stats
}
