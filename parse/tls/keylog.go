package tls

import (
	"errors"
	"sync"
	"sync/atomic"

	"github.com/ceiling-dev/ceiling/parse/tls/keylog"
)

// KeyLogDecrypter is the Decrypter that opens records with the secrets of
// a key log (package keylog): TLS 1.2 from the master secret (CLIENT_RANDOM
// lines), TLS 1.3 from the traffic secrets, the suites of DecryptableSuite.
//
// One serves every connection of a run, from any goroutine: what it
// derives for a connection lives in that connection's Session and goes
// with it. It looks a connection's secrets up at its first protected
// record, and again later while none were found and the log has grown
// since (a pcapng secrets block met after the connection began).
//
// What it cannot open it says why (the errors below), and counts: a
// connection without keys once (Stats, Session.Decryption), each record
// that failed per reason. Authentication decides everything: a record is
// opened only when its tag matches, so a wrong key log opens nothing.
//
// The Conn gives each record the epoch and sequence number it counted.
// When records went missing (Record.SeqLost) the numbers after it are
// tried, as many as the bytes in between could have held (the explicit
// nonce of TLS 1.2 AES-GCM first, which every common stack sets to the
// sequence number), within a budget of work per record. In TLS 1.3 the
// next epoch is tried too, from number 0, when the Conn could not see a
// key change: before application keys (a Finished or EndOfEarlyData that
// did not open, a log with the application secrets only) and after a
// loss (a KeyUpdate in the bytes the capture missed). Open reports the
// numbers that worked in the Record, and the Conn goes on from them.
//
// Keys that opened nothing on 16 records in a row are not tried any more
// (they count as failing authentication), and a search that found nothing
// is repeated only after 1, 2, 4, … more failures: a wrong key log costs
// little more than no key log.
type KeyLogDecrypter struct {
	log     *keylog.Log
	counts  [numCounts]atomic.Int64
	failed  [numReasons]atomic.Int64
	scratch sync.Pool // of *[]byte
}

// NewDecrypter returns a Decrypter using the secrets of log, which may
// grow while it is used (keylog.Log.Merge).
func NewDecrypter(log *keylog.Log) *KeyLogDecrypter {
	if log == nil {
		log = keylog.New()
	}
	return &KeyLogDecrypter{log: log}
}

// The errors Open returns, one per reason of DecryptStats.FailedBy.
var (
	// ErrNoKeys: the key log has no secret for the connection (its client
	// random), or not the one this record needs.
	ErrNoKeys = errors.New("tls: no keys in the key log")
	// ErrNoHello: the hellos were not seen (the capture began after them,
	// or missed them), so there is no client random to find the keys by,
	// or no suite to use them with.
	ErrNoHello = errors.New("tls: hellos not seen: nothing to find the keys by")
	// ErrUnsupported: a version (TLS 1.1 and older, TLS 1.3 drafts) or a
	// cipher suite (CBC, CCM, …) not decrypted, or the new keys of a TLS
	// 1.2 renegotiation.
	ErrUnsupported = errors.New("tls: version or cipher suite not decrypted")
	// ErrAuthentication: the record did not authenticate with the keys:
	// wrong keys, a damaged record, or a sequence number not found.
	ErrAuthentication = errors.New("tls: record failed authentication")
	// ErrMalformed: the record is too short for the cipher, or its TLS 1.3
	// plaintext has no content type.
	ErrMalformed = errors.New("tls: malformed protected record")
)

// Reasons, in the order of the errors above.
const (
	reasonNoKeys = iota
	reasonNoHello
	reasonUnsupported
	reasonAuthentication
	reasonMalformed
	numReasons
)

var reasonNames = [numReasons]string{"no keys", "no hello", "unsupported", "authentication", "malformed"}
var reasonErrors = [numReasons]error{ErrNoKeys, ErrNoHello, ErrUnsupported, ErrAuthentication, ErrMalformed}

const (
	countWithKeys = iota
	countWithoutKeys
	countUnsupported
	countRecords
	countBytes
	numCounts
)

// DecryptStats counts what a KeyLogDecrypter did.
type DecryptStats struct {
	// Sessions counts the connections it was given protected records of,
	// each in one of three classes: WithKeys (the log has secrets for it),
	// WithoutKeys (none, or no hello to look them up by), Unsupported (a
	// version or suite it cannot decrypt). A connection is counted once,
	// however many records it has, in its latest class.
	Sessions, WithKeys, WithoutKeys, Unsupported int64
	// Records counts the records opened, Bytes their payload (ciphertext,
	// as on the wire: the TLS payload decrypted).
	Records, Bytes int64
	// Failed counts the records not opened, FailedBy per reason: "no
	// keys", "no hello", "unsupported", "authentication", "malformed".
	Failed   int64
	FailedBy map[string]int64
}

// Stats gives the counts so far.
func (d *KeyLogDecrypter) Stats() DecryptStats {
	s := DecryptStats{
		WithKeys:    d.counts[countWithKeys].Load(),
		WithoutKeys: d.counts[countWithoutKeys].Load(),
		Unsupported: d.counts[countUnsupported].Load(),
		Records:     d.counts[countRecords].Load(),
		Bytes:       d.counts[countBytes].Load(),
		FailedBy:    map[string]int64{},
	}
	s.Sessions = s.WithKeys + s.WithoutKeys + s.Unsupported
	for i := range d.failed {
		if n := d.failed[i].Load(); n > 0 {
			s.FailedBy[reasonNames[i]] = n
			s.Failed += n
		}
	}
	return s
}

// Keys says what a KeyLogDecrypter made of one connection's keys.
type Keys uint8

const (
	// KeysNotTried: no protected record was given to a KeyLogDecrypter.
	KeysNotTried Keys = iota
	// KeysFound: the log had the keys, and every record that needed them
	// was opened or failed authentication on its own (damage).
	KeysFound
	// KeysPartial: records were opened, but others needed a secret the
	// log lacks (a client that logged only some of its secrets).
	KeysPartial
	// KeysMissing: nothing in the log for this connection.
	KeysMissing
	// KeysWrong: the log has secrets for it, and not one record
	// authenticated with them.
	KeysWrong
	// KeysNoHello: the hellos were not seen; nothing to look the keys up
	// by.
	KeysNoHello
	// KeysUnsupported: a version or cipher suite not decrypted.
	KeysUnsupported
)

func (k Keys) String() string {
	switch k {
	case KeysFound:
		return "found"
	case KeysPartial:
		return "partial"
	case KeysMissing:
		return "missing"
	case KeysWrong:
		return "wrong"
	case KeysNoHello:
		return "no-hello"
	case KeysUnsupported:
		return "unsupported"
	}
	return "not-tried"
}

// Decryption is what a KeyLogDecrypter did with one connection.
type Decryption struct {
	Keys Keys
	// Opened and Failed count its records opened and not.
	Opened, Failed int64
}

// Decryption tells what a KeyLogDecrypter made of the connection: the
// capture stage reports the connections whose keys were missing or wrong.
func (s *Session) Decryption() Decryption {
	st := s.keys
	if st == nil {
		return Decryption{}
	}
	out := Decryption{Opened: st.opened, Failed: st.failed}
	switch {
	case st.class == countUnsupported:
		out.Keys = KeysUnsupported
	case s.ClientRandom == [32]byte{}:
		out.Keys = KeysNoHello
	case !st.found:
		out.Keys = KeysMissing
	case st.opened == 0 && st.authFailed > 0:
		out.Keys = KeysWrong
	case st.missing:
		out.Keys = KeysPartial
	default:
		out.Keys = KeysFound
	}
	return out
}

// sessionKeys is what a KeyLogDecrypter keeps of one connection, in its
// Session.
type sessionKeys struct {
	owner   *KeyLogDecrypter
	random  [32]byte
	secrets keylog.Secrets
	found   bool
	looked  bool
	gen     uint64 // the log's generation when it was looked up
	class   int    // how Stats counts it, -1 not yet
	sides   [2]sideKeys
	// missing: a record needed a secret the log lacks.
	missing                    bool
	opened, failed, authFailed int64
}

// sideKeys are one side's keys, the few epochs last used.
type sideKeys struct {
	epochs [4]*epochKeys
	tick   uint64
	// The last record opened: where the bytes the capture missed begin.
	any       bool
	lastEpoch Epoch
	lastSeq   uint64
	lastEnd   int64
}

// epochKeys are the candidate keys of one side and epoch: one, or one per
// value of a secret the key log gave several of, until one opens a record.
type epochKeys struct {
	epoch Epoch
	cands []*recordKeys
	err   error // why there are none
	used  uint64
	// opened counts the records opened, failed the records in a row not
	// opened, searches the forward searches in a row that found nothing.
	opened           int64
	failed, searches int
}

// Bounds on the work spent on records that do not open.
const (
	// maxUnproven: keys that never opened a record are given up after
	// this many records in a row.
	maxUnproven = 16
	// maxSearchTries and maxSearchBytes bound the sequence numbers tried
	// for one record after a loss: 4096 numbers, 4 MiB of AEAD input.
	maxSearchTries = 4096
	maxSearchBytes = 4 << 20
)

// Open implements Decrypter.
func (d *KeyLogDecrypter) Open(s *Session, r *Record) (ContentType, []byte, error) {
	st := d.session(s)
	n := int64(len(r.Payload))
	typ, plain, reason := d.open(st, s, r)
	if reason >= 0 {
		st.failed++
		if reason == reasonAuthentication {
			st.authFailed++
		}
		d.failed[reason].Add(1)
		return 0, nil, reasonErrors[reason]
	}
	st.opened++
	d.counts[countRecords].Add(1)
	d.counts[countBytes].Add(n)
	return typ, plain, nil
}

// session gives the decrypter's state of s, made at its first record, and
// keeps the Stats class of the connection up to date.
func (d *KeyLogDecrypter) session(s *Session) *sessionKeys {
	st := s.keys
	if st == nil || st.owner != d || st.random != s.ClientRandom {
		st = &sessionKeys{owner: d, random: s.ClientRandom, class: -1}
		s.keys = st
	}
	if st.random != ([32]byte{}) && !st.found && (!st.looked || d.log.Generation() != st.gen) {
		st.looked = true
		st.gen = d.log.Generation()
		st.secrets, st.found = d.log.Lookup(st.random)
	}
	class := countWithKeys
	switch {
	case s.Version != 0 && !supported(s.Version, s.CipherSuite):
		class = countUnsupported
	case !st.found:
		class = countWithoutKeys
	}
	if class != st.class {
		if st.class >= 0 {
			d.counts[st.class].Add(-1)
		}
		d.counts[class].Add(1)
		st.class = class
	}
	return st
}

// supported reports whether records of this version and suite can be
// opened.
func supported(version, suite uint16) bool {
	s, ok := aeadSuites[suite]
	return ok && (version == VersionTLS12 && !s.tls13 || version == VersionTLS13 && s.tls13)
}

// open opens r, or returns why not (a reason, -1 when it opened).
func (d *KeyLogDecrypter) open(st *sessionKeys, s *Session, r *Record) (ContentType, []byte, int) {
	switch {
	case s.ClientRandom == [32]byte{}:
		return 0, nil, reasonNoHello
	case st.class == countUnsupported:
		return 0, nil, reasonUnsupported
	case !st.found:
		return 0, nil, reasonNoKeys
	case r.From > Server:
		return 0, nil, reasonMalformed
	}
	o := opener{d: d, st: st, s: s, r: r, side: &st.sides[r.From], reason: -1}
	// TLS 1.3, or its 0-RTT data before the ServerHello said the version.
	tls13 := s.Version != VersionTLS12
	ek := o.keys(r.Epoch)
	// One try only, in place, in the common case: known keys, numbers
	// the Conn is sure of, no epoch change it could have missed.
	single := !r.SeqLost && (!tls13 || r.Epoch >= EpochApplication) && ek.err == nil && len(ek.cands) == 1 && ek.opened > 0
	if !single {
		buf := d.buffer(len(r.Payload))
		defer d.scratch.Put(buf)
		o.scratch = (*buf)[:len(r.Payload)]
	}
	if ek.err == ErrNoKeys {
		st.missing = true
	}
	if ek.err == nil && o.usable(ek) {
		if o.try(ek, r.Epoch, r.Seq, false) {
			return o.done()
		}
		if r.SeqLost && o.mayTry() && o.searchable(ek) {
			lo, hi := r.Seq+1, o.bound(r.Epoch, r.Seq)
			if seq, ok := ek.cands[0].explicitSeq(r); ok && seq >= lo && seq <= hi && o.try(ek, r.Epoch, seq, false) {
				return o.done()
			}
			for seq := lo; seq <= hi && o.mayTry(); seq++ {
				if o.try(ek, r.Epoch, seq, true) {
					return o.done()
				}
			}
			ek.searches++
		}
		ek.failed++
	}
	if tls13 && (r.Epoch < EpochApplication || r.SeqLost) && r.Epoch < ^Epoch(0) {
		next := r.Epoch + 1
		if nk := o.keys(next); nk.err == nil && o.usable(nk) && o.searchable(nk) {
			hi := r.Seq
			if r.SeqLost {
				hi = o.bound(next, 0)
			}
			for seq := uint64(0); seq <= hi && o.mayTry(); seq++ {
				if o.try(nk, next, seq, true) {
					return o.done()
				}
			}
			if r.SeqLost {
				nk.searches++
			}
			nk.failed++
		}
	}
	switch {
	case o.reason >= 0:
	case o.tried:
		o.reason = reasonAuthentication
	case ek.err == ErrUnsupported:
		o.reason = reasonUnsupported
	case ek.err == ErrNoHello:
		o.reason = reasonNoHello
	case ek.err != nil:
		o.reason = reasonNoKeys
	default:
		// Keys given up on (maxUnproven): they would fail again.
		o.reason = reasonAuthentication
	}
	return 0, nil, o.reason
}

// buffer gives a scratch buffer of at least n bytes.
func (d *KeyLogDecrypter) buffer(n int) *[]byte {
	if b, ok := d.scratch.Get().(*[]byte); ok && cap(*b) >= n {
		return b
	}
	b := make([]byte, max(n, MaxRecordLen))
	return &b
}

// opener is the state of one Open call.
type opener struct {
	d       *KeyLogDecrypter
	st      *sessionKeys
	s       *Session
	r       *Record
	side    *sideKeys
	scratch []byte
	// What the successful try found.
	typ   ContentType
	plain []byte
	epoch Epoch
	seq   uint64
	// tried: some keys were tried; work: AEAD input bytes so far; tries.
	tried       bool
	work, tries int
	reason      int
}

// usable reports whether keys are worth trying: not keys that never
// opened a record and failed maxUnproven in a row.
func (o *opener) usable(ek *epochKeys) bool { return ek.opened > 0 || ek.failed < maxUnproven }

// searchable reports whether to search sequence numbers with these keys:
// after 0, 1, 2, 4, 8, … failed searches in a row.
func (o *opener) searchable(ek *epochKeys) bool {
	n := ek.searches
	return n&(n-1) == 0
}

// mayTry reports whether the work budget of this record allows another try.
func (o *opener) mayTry() bool {
	return o.tries < maxSearchTries && o.work+len(o.r.Payload) <= maxSearchBytes
}

// bound gives the highest sequence number record r can have in epoch e,
// from the bytes since the last record opened there (or since the start
// of the stream): each record is at least minProtected bytes. lo is a
// number known to be possible.
func (o *opener) bound(e Epoch, lo uint64) uint64 {
	sk, r := o.side, o.r
	from, n := uint64(0), r.Offset
	if sk.any && sk.lastEpoch == e && r.Offset >= sk.lastEnd {
		from, n = sk.lastSeq+1, r.Offset-sk.lastEnd
	}
	if n < 0 {
		n = 0
	}
	hi := from + uint64(n)/minProtected
	if hi < from { // overflow
		hi = ^uint64(0) - 1
	}
	return max(hi, lo)
}

// try tries every candidate of ek with sequence number seq; search: the
// number is a guess, which plausible may rule out cheaply.
func (o *opener) try(ek *epochKeys, e Epoch, seq uint64, search bool) bool {
	for i, k := range ek.cands {
		o.tried = true
		o.tries++
		if search && !k.plausible(o.r, seq) {
			o.work += 16
			continue
		}
		o.work += len(o.r.Payload)
		typ, plain, err := k.open(o.scratch, o.r, seq)
		switch err {
		case nil:
		case ErrAuthentication:
			continue
		case errShort:
			// No number or key will do.
			o.reason = reasonMalformed
			return false
		default:
			// Authenticated, so these are the keys, but the record is
			// broken (all padding).
			o.reason = reasonMalformed
			o.pin(ek, i)
			return false
		}
		o.pin(ek, i)
		ek.opened++
		ek.failed, ek.searches = 0, 0
		k.opened++
		o.typ, o.plain, o.epoch, o.seq = typ, plain, e, seq
		return true
	}
	return false
}

// pin keeps the candidate that authenticated.
func (o *opener) pin(ek *epochKeys, i int) {
	if len(ek.cands) > 1 {
		ek.cands = []*recordKeys{ek.cands[i]}
	}
}

// done returns what the successful try opened, in the Record's payload,
// and tells the Conn the numbers that worked.
func (o *opener) done() (ContentType, []byte, int) {
	r, sk := o.r, o.side
	plain := o.plain
	if o.scratch != nil {
		plain = r.Payload[:copy(r.Payload, plain)]
	}
	r.Epoch, r.Seq = o.epoch, o.seq
	sk.any, sk.lastEpoch, sk.lastSeq, sk.lastEnd = true, o.epoch, o.seq, r.Offset+headerLen+int64(len(r.Payload))
	return o.typ, plain, -1
}

// keys gives the keys of this side for epoch e, derived at first use
// and kept with the last few used.
func (o *opener) keys(e Epoch) *epochKeys {
	sk := o.side
	sk.tick++
	slot := 0
	for i, ek := range sk.epochs {
		switch {
		case ek == nil:
			if sk.epochs[slot] != nil {
				slot = i
			}
		case ek.epoch == e:
			ek.used = sk.tick
			return ek
		case sk.epochs[slot] != nil && ek.used < sk.epochs[slot].used:
			slot = i
		}
	}
	ek := o.derive(e)
	ek.used = sk.tick
	sk.epochs[slot] = ek
	return ek
}

// derive makes the keys of this side for epoch e from the key log.
func (o *opener) derive(e Epoch) *epochKeys {
	ek := &epochKeys{epoch: e}
	s, sec, from := o.s, &o.st.secrets, o.r.From
	switch s.Version {
	case VersionTLS12:
		suite := aeadSuites[s.CipherSuite]
		switch {
		case e > EpochApplication:
			ek.err = ErrUnsupported // renegotiated: the new randoms travel encrypted
		case e < EpochApplication:
			ek.err = ErrNoKeys
		case s.ServerRandom == [32]byte{}:
			ek.err = ErrNoHello
		}
		if ek.err != nil {
			return ek
		}
		for _, m := range sec.All(keylog.MasterSecret) {
			c, sv, err := keys12(suite, m, &s.ClientRandom, &s.ServerRandom)
			if err != nil {
				continue
			}
			ek.cands = append(ek.cands, [2]*recordKeys{c, sv}[from])
		}
	case VersionTLS13:
		suite := aeadSuites[s.CipherSuite]
		if e > EpochApplication {
			return o.update(e)
		}
		for _, secret := range sec.All(secret13(e, from)) {
			if k, err := keys13(suite, secret); err == nil {
				ek.cands = append(ek.cands, k)
			}
		}
	case 0:
		// 0-RTT data comes before the ServerHello names the suite: every
		// TLS 1.3 suite whose hash fits the secret is a candidate, and
		// authentication picks.
		if e != EpochEarly || from != Client {
			ek.err = ErrNoHello
			return ek
		}
		for _, secret := range sec.All(keylog.ClientEarlyTrafficSecret) {
			for _, id := range []uint16{0x1301, 0x1302, 0x1303} {
				if k, err := keys13(aeadSuites[id], secret); err == nil {
					ek.cands = append(ek.cands, k)
				}
			}
		}
	default:
		ek.err = ErrUnsupported
	}
	if len(ek.cands) == 0 {
		ek.err = ErrNoKeys
	}
	return ek
}

// secret13 names the key log secret of a TLS 1.3 epoch and side
// (EpochApplication and before).
func secret13(e Epoch, from Side) keylog.Label {
	switch {
	case e == EpochEarly && from == Client:
		return keylog.ClientEarlyTrafficSecret
	case e == EpochHandshake && from == Client:
		return keylog.ClientHandshakeTrafficSecret
	case e == EpochHandshake:
		return keylog.ServerHandshakeTrafficSecret
	case e == EpochApplication && from == Client:
		return keylog.ClientTrafficSecret0
	case e == EpochApplication:
		return keylog.ServerTrafficSecret0
	}
	return 255 // none: All gives nothing
}

// update derives the keys of a TLS 1.3 epoch after KeyUpdates, from the
// highest epoch below it this side has keys of (traffic secret 0 at
// worst).
func (o *opener) update(e Epoch) *epochKeys {
	var base *epochKeys
	for _, ek := range o.side.epochs {
		if ek != nil && ek.err == nil && ek.epoch >= EpochApplication && ek.epoch < e && (base == nil || ek.epoch > base.epoch) {
			base = ek
		}
	}
	if base == nil {
		base = o.derive(EpochApplication)
		if base.err != nil {
			return &epochKeys{epoch: e, err: base.err}
		}
	}
	cands := base.cands
	for ep := base.epoch; ep < e; ep++ {
		next := make([]*recordKeys, 0, len(cands))
		for _, k := range cands {
			if n, err := k.next(); err == nil {
				next = append(next, n)
			}
		}
		cands = next
	}
	ek := &epochKeys{epoch: e, cands: cands}
	if len(cands) == 0 {
		ek.err = ErrNoKeys
	}
	return ek
}
