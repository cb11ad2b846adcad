package redact

// SIP-I and SIP-T trunks carry the ISUP message of the call as a binary
// body part (application/isup): its numbers are BCD digits, out of reach
// of the text scanner. isup replaces the address signals of every number
// parameter with the digits of the number's pseudonym, in place, and
// reports false when the message cannot be walked (the caller blanks it).

// isupLayout says where an ISUP message's parameters are: how many
// fixed bytes follow the message type, and how many mandatory variable
// parameters (each with a pointer) come before the optional part's
// pointer. numbered says whether the first mandatory variable parameter
// is a number (IAM's called party, SAM's subsequent number), and the
// size of its header before the digits.
type isupLayout struct {
	fixed, vars int
	opt         bool // has an optional part
	numberHdr   int  // > 0 when the first variable parameter is a number
}

// ITU-T Q.763 layouts of the messages that carry numbers; others have
// none outside their optional part, or are blanked.
var isupITU = map[byte]isupLayout{
	0x01: {fixed: 5, vars: 1, opt: true, numberHdr: 2}, // IAM: called party number
	0x02: {fixed: 0, vars: 1, opt: true, numberHdr: 1}, // SAM: subsequent number
	0x06: {fixed: 2, opt: true},                        // ACM
	0x07: {fixed: 2, opt: true},                        // CON
	0x09: {opt: true},                                  // ANM
	0x0c: {vars: 1, opt: true},                         // REL: cause
	0x10: {opt: true},                                  // RLC
	0x2c: {fixed: 1, opt: true},                        // CPG
	0x03: {fixed: 2, opt: true},                        // INR
	0x04: {fixed: 2, opt: true},                        // INF
	0x05: {},                                           // COT
}

// ANSI T1.113's IAM puts the user service information before the called
// party number.
var isupANSI = map[byte]isupLayout{
	0x01: {fixed: 4, vars: 2, opt: true},
}

// Optional parameters holding numbers, and the bytes before their
// digits.
var isupNumbers = map[byte]int{
	0x0a: 2, // calling party number
	0x0b: 2, // redirecting number
	0x0c: 2, // redirection number
	0x21: 2, // connected number
	0x28: 2, // original called number
	0x3f: 2, // location number
	0xc0: 3, // generic number (ITU) / generic address (ANSI)
	0xeb: 2, // charge number (ANSI)
	0xc4: 0, // jurisdiction information (ANSI)
	0x04: 2, // called party number
}

func (r *Redactor) isup(b []byte, ansi bool) bool {
	if len(b) < 1 {
		return false
	}
	l, ok := isupITU[b[0]]
	if ansi {
		if a, found := isupANSI[b[0]]; found {
			l, ok = a, true
		}
	}
	if !ok {
		return false
	}
	p := 1 + l.fixed
	if len(b) < p+l.vars+btoi(l.opt) {
		return false
	}
	for v := 0; v < l.vars; v++ {
		at := p + v + int(b[p+v])
		if b[p+v] == 0 || at >= len(b) || at+1+int(b[at]) > len(b) {
			return false
		}
		val := b[at+1 : at+1+int(b[at])]
		hdr := 0
		switch {
		case v == 0 && l.numberHdr > 0:
			hdr = l.numberHdr
		case ansi && b[0] == 0x01 && v == 1:
			hdr = 2 // the called party number
		default:
			continue
		}
		if !r.bcd(val, hdr) {
			return false
		}
	}
	if !l.opt {
		return true
	}
	ptr := p + l.vars
	if b[ptr] == 0 {
		return true // no optional part
	}
	for q := ptr + int(b[ptr]); q < len(b) && b[q] != 0; {
		if q+2 > len(b) || q+2+int(b[q+1]) > len(b) {
			return false
		}
		typ, val := b[q], b[q+2:q+2+int(b[q+1])]
		if hdr, ok := isupNumbers[typ]; ok && !r.bcd(val, hdr) {
			return false
		}
		q += 2 + len(val)
	}
	return true
}

// bcd replaces the digits of a number parameter: hdr bytes, then
// address signals two to a byte, low nibble first; the odd/even bit of
// the first header byte (when there is one) says whether the last high
// nibble is filler. Signals other than 0–9 (*, #, ST) are kept.
func (r *Redactor) bcd(v []byte, hdr int) bool {
	if len(v) < hdr {
		return false
	}
	odd := hdr > 0 && v[0]&0x80 != 0
	var nib []int // indexes of nibbles holding digits, 2*byte + (0 low, 1 high)
	var digits []byte
	for i := hdr; i < len(v); i++ {
		for h := 0; h < 2; h++ {
			if h == 1 && odd && i == len(v)-1 {
				break
			}
			d := v[i] & 0x0f
			if h == 1 {
				d = v[i] >> 4
			}
			if d <= 9 {
				nib = append(nib, 2*i+h)
				digits = append(digits, '0'+d)
			}
		}
	}
	q := r.p.phone(string(digits))
	for k, at := range nib {
		d := q[k] - '0'
		i := at / 2
		if at%2 == 0 {
			v[i] = v[i]&0xf0 | d
		} else {
			v[i] = v[i]&0x0f | d<<4
		}
	}
	return true
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
