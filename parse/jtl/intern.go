package jtl

// interner shares one string among the rows that repeat it. A JTL repeats
// a few dozen labels, thread names, codes and messages millions of times;
// allocating each anew was the largest cost of reading one after parsing.
// The lookup converts the byte slice without allocating (the compiler
// elides string(b) in a map index).
//
// It stops growing at limit entries so that a column of unique values (a
// URL with a query string, a Call-ID) costs one allocation per row and no
// memory beyond that.
type interner struct {
	m     map[string]string
	limit int
}

func newInterner(limit int) *interner {
	return &interner{m: make(map[string]string), limit: limit}
}

func (in *interner) get(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if s, ok := in.m[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(in.m) < in.limit {
		in.m[s] = s
	}
	return s
}

func (in *interner) str(v string) string {
	if v == "" {
		return ""
	}
	if s, ok := in.m[v]; ok {
		return s
	}
	if len(in.m) < in.limit {
		in.m[v] = v
	}
	return v
}
