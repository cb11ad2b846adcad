package redact

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"net/netip"
	"strconv"
)

// Token kinds: each kind has its own pseudonyms, so that a user called
// "vm" and a host called "vm" do not give away that they are the same
// word.
const (
	kindUser  = "user"
	kindName  = "name" // display names
	kindHost  = "host"
	kindValue = "v" // query string values and other opaque values
)

// pseudonyms hands out stable, injective pseudonyms. Every method expects
// the Redactor's lock to be held.
type pseudonyms struct {
	r   *Redactor
	mac hash.Hash

	addrs    map[netip.Addr]netip.Addr // original → pseudonym
	addrUsed map[netip.Addr]bool       // pseudonyms handed out
	// v4Used counts the IPv4 pseudonyms handed out per text length.
	v4Used [15]int

	phones    map[string]string // digits → digits
	phoneUsed map[string]bool

	tokens    map[string]string // kind + "\x00" + original → pseudonym
	tokenUsed map[string]bool   // kind + "\x00" + pseudonym
	// users are the user names of 5 characters or more, for known.
	users map[string]string
	// callIDs are the Call-IDs redacted so far, for free text that
	// names one.
	callIDs map[string]string

	macs    map[[6]byte][6]byte
	macUsed map[[6]byte]bool
}

func (p *pseudonyms) init(r *Redactor) {
	p.r = r
	p.mac = hmac.New(sha256.New, r.secret)
	p.addrs = map[netip.Addr]netip.Addr{}
	p.addrUsed = map[netip.Addr]bool{}
	p.phones = map[string]string{}
	p.phoneUsed = map[string]bool{}
	p.tokens = map[string]string{}
	p.tokenUsed = map[string]bool{}
	p.users = map[string]string{}
	p.callIDs = map[string]string{}
	p.macs = map[[6]byte][6]byte{}
	p.macUsed = map[[6]byte]bool{}
}

// sum is HMAC-SHA256(secret, kind 0 input 0 try): the pseudonyms cannot
// be reversed or recomputed without the secret, even for inputs as few
// as the phone numbers of one country.
func (p *pseudonyms) sum(kind, in string, try int) []byte {
	p.mac.Reset()
	p.mac.Write([]byte(kind))
	p.mac.Write([]byte{0})
	p.mac.Write([]byte(in))
	var n [9]byte
	n[0] = 0
	binary.BigEndian.PutUint64(n[1:], uint64(try))
	p.mac.Write(n[:])
	return p.mac.Sum(nil)
}

// addr maps an address. Kept addresses map to themselves.
func (p *pseudonyms) addr(a netip.Addr) netip.Addr {
	if !a.IsValid() || p.r.kept(a) {
		return a
	}
	zone := a.Zone()
	a = a.WithZone("")
	if a.Is4In6() {
		// Keep the form (an IPv4-mapped IPv6 address stays one), and
		// the IPv4 address inside gets its usual pseudonym.
		v4 := p.addr(a.Unmap())
		return netip.AddrFrom16(v4.As16()).WithZone(zone)
	}
	if q, ok := p.addrs[a]; ok {
		return q.WithZone(zone)
	}
	var q netip.Addr
	if a.Is4() {
		q = p.newV4(a)
	} else {
		q = p.newV6(a)
	}
	p.addrs[a] = q
	p.addrUsed[q] = true
	return q.WithZone(zone)
}

// IPv4 pseudonyms come from 198.18.0.0/15 (RFC 2544's benchmarking
// range, never routed), chosen so that the text is as long as the
// original's where the range allows (10 to 14 characters): an address
// written in a SIP message over TCP must keep its length, and one that
// fits keeps the same pseudonym there as in the report.

// v4Pool describes the pseudonyms of one text length L = 8 + digits of
// the third octet + digits of the fourth: 198.1[89].x.y.
type v4Pool struct {
	segs []v4Seg
	size int
}

type v4Seg struct {
	lo3, n3, lo4, n4 int // octet ranges
}

var v4Pools = func() (pools [15]v4Pool) {
	ranges := [4][2]int{{}, {0, 10}, {10, 90}, {100, 156}} // by digit count: first, how many
	for L := 10; L <= 14; L++ {
		d := L - 8
		for d3 := 1; d3 <= 3; d3++ {
			d4 := d - d3
			if d4 < 1 || d4 > 3 {
				continue
			}
			s := v4Seg{ranges[d3][0], ranges[d3][1], ranges[d4][0], ranges[d4][1]}
			pools[L].segs = append(pools[L].segs, s)
			pools[L].size += 2 * s.n3 * s.n4
		}
	}
	return pools
}()

// at returns the i-th address of a pool.
func (pl *v4Pool) at(i int) netip.Addr {
	second := byte(18)
	half := pl.size / 2
	if i >= half {
		second, i = 19, i-half
	}
	for _, s := range pl.segs {
		n := s.n3 * s.n4
		if i < n {
			return netip.AddrFrom4([4]byte{198, second, byte(s.lo3 + i/s.n4), byte(s.lo4 + i%s.n4)})
		}
		i -= n
	}
	panic("redact: v4 pool index out of range")
}

func (p *pseudonyms) newV4(a netip.Addr) netip.Addr {
	want := min(max(len(a.String()), 10), 14)
	// The same length if there is room, else the nearest: one shorter,
	// one longer, and so on.
	for step := 0; step <= 4; step++ {
		for _, l := range [2]int{want - step, want + step} {
			if l < 10 || l > 14 {
				continue
			}
			if q, ok := p.fromV4Pool(a, l); ok {
				return q
			}
		}
	}
	// All 131 072 pseudonyms are taken: give up injectivity rather than
	// the address.
	h := p.sum("ip4", a.String(), 0)
	pl := &v4Pools[want]
	return pl.at(int(binary.BigEndian.Uint32(h) % uint32(pl.size)))
}

func (p *pseudonyms) fromV4Pool(a netip.Addr, l int) (netip.Addr, bool) {
	pl := &v4Pools[l]
	if p.v4Used[l] >= pl.size {
		return netip.Addr{}, false
	}
	h := p.sum("ip4", a.String(), 0)
	i := int(binary.BigEndian.Uint32(h) % uint32(pl.size))
	// Linear probing from the keyed start: injective, and deterministic
	// for a given order of first appearance.
	for n := 0; n < pl.size; n++ {
		q := pl.at((i + n) % pl.size)
		if !p.addrUsed[q] && !p.r.kept(q) {
			p.v4Used[l]++
			return q, true
		}
	}
	p.v4Used[l] = pl.size
	return netip.Addr{}, false
}

// IPv6 pseudonyms are in 2001:db8::/32 (RFC 3849, documentation), and
// like IPv4's their text is as long as the original's where it can be
// (11 to 38 characters): k non-zero groups at the end, of widths that add
// up to the length, the groups between them and db8 zero.
func (p *pseudonyms) newV6(a netip.Addr) netip.Addr {
	want := min(max(len(a.String()), 11), 38)
	for try := 0; try < 64; try++ {
		// Past a few collisions the length is short of room: the
		// neighbouring lengths have more.
		l := min(max(want+[4]int{0, -1, 1, -2}[try/16], 11), 38)
		q := v6Shaped(p.sum("ip6", a.String(), try), l)
		if !p.addrUsed[q] && !p.r.kept(q) {
			return q
		}
	}
	// Any 96 bits: injective in practice.
	for try := 64; ; try++ {
		h := p.sum("ip6", a.String(), try)
		var b [16]byte
		b[0], b[1], b[2], b[3] = 0x20, 0x01, 0x0d, 0xb8
		copy(b[4:], h[:12])
		q := netip.AddrFrom16(b)
		if !p.addrUsed[q] && !p.r.kept(q) || try > 128 {
			return q
		}
	}
}

// v6Shaped builds 2001:db8:… whose canonical text is l characters long
// (11 ≤ l ≤ 38), from the hash h.
func v6Shaped(h []byte, l int) netip.Addr {
	// k non-zero groups at the end and the width w they share: the text
	// is "2001:db8::" (k ≤ 4), "2001:db8:0:" (k = 5) or "2001:db8:"
	// (k = 6), then the groups and k-1 colons.
	var k, w int
	switch {
	case l >= 20:
		k, w = 6, l-14
	case l >= 17:
		k, w = 4, l-13
	case l >= 15:
		k, w = 3, l-12
	case l >= 13:
		k, w = 2, l-11
	default:
		k, w = 1, l-10
	}
	widths := make([]int, k)
	for i := range widths {
		widths[i] = 1
	}
	// Spread the rest of the width over the groups, keyed: each unit
	// goes to a group drawn from the hash, or the next one with room.
	for extra, i := w-k, 0; extra > 0; i, extra = i+1, extra-1 {
		g := int(h[16+i%16]) % k
		for widths[g] == 4 {
			g = (g + 1) % k
		}
		widths[g]++
	}
	var b [16]byte
	b[0], b[1], b[2], b[3] = 0x20, 0x01, 0x0d, 0xb8
	for i, wd := range widths {
		lo := uint16(1) << (4 * (wd - 1)) // the first nibble is not zero
		span := uint32(1)<<(4*wd) - uint32(lo)
		v := lo + uint16(uint32(be16(h[2*i:]))%span)
		g := 8 - k + i
		b[2*g], b[2*g+1] = byte(v>>8), byte(v)
	}
	return netip.AddrFrom16(b)
}

// phone maps the digits of a phone number to as many other digits. The
// first digit stays non-zero when it was (an E.164 number stays
// plausible); the rest is keyed by the number, so "+4930123456" and
// "4930123456" agree.
func (p *pseudonyms) phone(digits string) string {
	if q, ok := p.phones[digits]; ok || digits == "" {
		return q
	}
	n := len(digits)
	var q string
	for try := 0; ; try++ {
		b := make([]byte, n)
		var h []byte
		for i := range b {
			// Two bytes of a keyed hash per digit (16 digits a hash):
			// the bias of a 16-bit value mod 10 is negligible.
			if i%16 == 0 {
				h = p.sum("phone", digits, try<<8|i/16)
			}
			j := 2 * (i % 16)
			b[i] = '0' + byte((int(h[j])<<8|int(h[j+1]))%10)
		}
		if n > 0 && digits[0] != '0' && b[0] == '0' {
			b[0] = '1' + h[31]%9
		}
		q = string(b)
		if q != digits && !p.phoneUsed[q] {
			break
		}
		// Very short numbers have few pseudonyms: past a point, share
		// one rather than loop (never give the number back).
		if try > 64 && q != digits {
			break
		}
		if try > 1000 {
			q = nines(n)
			break
		}
	}
	p.phones[digits] = q
	p.phoneUsed[q] = true
	return q
}

func nines(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = '9'
	}
	return string(b)
}

// token maps a word to a pseudonym of the same length: "user-3fa91c0e"
// for a user part of 13 characters, "u3fa9" for one of 5. The same
// length keeps SIP over TCP framed; the prefix tells a reader it is a
// pseudonym when there is room for one.
func (p *pseudonyms) token(kind, s string) string {
	key := kind + "\x00" + s
	if q, ok := p.tokens[key]; ok {
		return q
	}
	n := len(s)
	prefix := kind + "-"
	switch {
	case n >= len(prefix)+4:
	case n >= 2:
		prefix = kind[:1]
	default:
		prefix = ""
	}
	var q string
	for try := 0; ; try++ {
		h := p.sum("tok:"+kind, s, try)
		x := hex.EncodeToString(h)
		for len(x) < n {
			x += hex.EncodeToString(p.sum("tok+:"+kind, s+strconv.Itoa(len(x)), try))
		}
		q = prefix + x[:n-len(prefix)]
		if n == 1 && q[0] >= '0' && q[0] <= '9' {
			q = string('a' + q[0] - '0')
		}
		if q != s && !p.tokenUsed[kind+"\x00"+q] || try > 64 {
			break
		}
	}
	p.tokens[key] = q
	p.tokenUsed[kind+"\x00"+q] = true
	if kind == kindUser && n >= 5 && isAlpha(s[0]) {
		p.users[s] = q
	}
	return q
}

// hw maps a unicast MAC address to a locally administered one; group
// addresses (broadcast, multicast) and the all-zero address of loopback
// captures name no one and are kept.
func (p *pseudonyms) hw(m [6]byte) [6]byte {
	if m[0]&1 != 0 || m == ([6]byte{}) {
		return m
	}
	if q, ok := p.macs[m]; ok {
		return q
	}
	var q [6]byte
	for try := 0; ; try++ {
		h := p.sum("mac", string(m[:]), try)
		copy(q[:], h)
		q[0] = q[0]&0xfc | 0x02
		if !p.macUsed[q] && q != m || try > 16 {
			break
		}
	}
	p.macs[m] = q
	p.macUsed[q] = true
	return q
}
