package redact

import "net/netip"

// known replaces, in a payload of unknown format, the phone numbers and
// client addresses met before (in SIP, in IP headers) wherever they
// stand: proprietary protocols run their fields together
// ("PhoneNum:0010" + number + "11NumOfRings", a type byte '4' before an
// address), out of reach of the rules that want a token to stand alone.
// Only numbers of 6 digits or more and user names of 5 characters or
// more (starting with a letter) are looked for: shorter ones (an
// extension like 101, a user "test") are everywhere in any text.
func (r *Redactor) known(b []byte) []byte {
	if len(r.p.phones) == 0 && len(r.p.addrs) == 0 && len(r.p.users) == 0 {
		return b
	}
	for i := 0; i < len(b); {
		if isAlpha(b[i]) && boundary(b, i) {
			// A user name met in a URI, standing alone elsewhere: an
			// XML id, a JSON value.
			j := i
			for j < len(b) && (isWord(b[j]) || b[j] == '.' || b[j] == '-') {
				j++
			}
			if q, ok := r.p.users[string(b[i:j])]; ok && (j == len(b) || !isWord(b[j])) {
				copy(b[i:], q)
			}
			i = j
			continue
		}
		if !isDigit(b[i]) {
			i++
			continue
		}
		j := i
		for j < len(b) && (isDigit(b[j]) || b[j] == '.') {
			j++
		}
		r.knownRun(b[i:j])
		i = j
	}
	return b
}

func (r *Redactor) knownRun(run []byte) {
	for s := 0; s < len(run); s++ {
		if !isDigit(run[s]) {
			continue
		}
		if n, q := r.knownAddr(run[s:]); n > 0 {
			copy(run[s:], fitAddr(q, n))
			s += n - 1
			continue
		}
		// The longest known number starting here.
		e := s
		for e < len(run) && isDigit(run[e]) {
			e++
		}
		for l := min(e-s, 15); l >= 6; l-- {
			if q, ok := r.p.phones[string(run[s:s+l])]; ok {
				copy(run[s:], q)
				s += l - 1
				break
			}
		}
	}
}

// knownAddr reads a dotted quad at the start of b and returns its length
// and pseudonym if it is a client address met before.
func (r *Redactor) knownAddr(b []byte) (int, netip.Addr) {
	var q [4]byte
	j := 0
	for part := 0; part < 4; part++ {
		if part > 0 {
			if j >= len(b) || b[j] != '.' {
				return 0, netip.Addr{}
			}
			j++
		}
		v, k := 0, j
		for k < len(b) && k-j < 3 && isDigit(b[k]) {
			v = v*10 + int(b[k]-'0')
			k++
		}
		if k == j || v > 255 {
			return 0, netip.Addr{}
		}
		q[part] = byte(v)
		j = k
	}
	if p, ok := r.p.addrs[netip.AddrFrom4(q)]; ok {
		return j, p
	}
	return 0, netip.Addr{}
}
