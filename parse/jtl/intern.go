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
//
// Two shortcuts keep it cheap: the value of the previous row is checked
// first (a column of one value, "text" or "200", costs a compare), and a
// column that turns out to hold mostly unique values stops being looked
// up once the map is full, since every lookup would miss.
type interner struct {
	m      map[string]string
	limit  int
	last   string
	hits   int
	misses int
	bypass bool
}

func newInterner(limit int) *interner {
	return &interner{m: make(map[string]string), limit: limit}
}

func (in *interner) get(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if string(b) == in.last {
		return in.last
	}
	if in.bypass {
		return string(b)
	}
	if s, ok := in.m[string(b)]; ok {
		in.hits++
		in.last = s
		return s
	}
	s := string(b)
	in.misses++
	if len(in.m) < in.limit {
		in.m[s] = s
	} else if in.misses > 4*in.hits {
		in.bypass = true
	}
	in.last = s
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
