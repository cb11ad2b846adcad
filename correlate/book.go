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
}

func (b *wordBook) get(s string) string {
	if s == "" {
		return ""
	}
	if w, ok := b.m[s]; ok {
		return w
	}
	w := strings.Clone(s)
	if b.m == nil {
		b.m = map[string]string{}
	}
	if len(b.m) < 4096 {
		b.m[w] = w
	}
	return w
}
