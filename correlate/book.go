package correlate

import "strings"

// detailBook hands out the Details of failures from blocks: one
// allocation per 256 failures instead of one each, and nothing for the
// collector to track one by one in a refusal storm of a million.
type detailBook struct {
	block []Detail
}

func (b *detailBook) next() *Detail {
	if len(b.block) == cap(b.block) {
		b.block = make([]Detail, 0, 256)
	}
	b.block = append(b.block, Detail{RetryAfter: -1})
	return &b.block[len(b.block)-1]
}

// wordBook keeps one copy of each reason phrase, Reason header, Warning
// and Server value: a refusal storm repeats the same few for every one
// of its failures, and the copy does not hold the message it came from
// alive. A flood of distinct values stops being remembered at 4,096 and
// is copied each time.
type wordBook struct {
	m map[string]string
	// recent holds copies handed out lately, each in the slot its length
	// and three of its bytes choose: a failure's four fields take turns,
	// so a storm of one refusal finds each of them here, a compare of a
	// few bytes rather than a hash for the map.
	recent [32]string
}

func (b *wordBook) get(s string) string {
	n := len(s)
	if n == 0 {
		return ""
	}
	r := &b.recent[(n*7^int(s[0])^int(s[n/2])<<1^int(s[n-1])<<3)&31]
	if *r == s {
		return *r
	}
	if w, ok := b.m[s]; ok {
		*r = w
		return w
	}
	w := strings.Clone(s)
	if b.m == nil {
		b.m = map[string]string{}
	}
	if len(b.m) < 4096 {
		b.m[w] = w
		*r = w
	}
	return w
}
