package jtl

import "io"

// Merge reads several JTL files as one stream in start-time order. JMeter
// in distributed mode can write one file per load generator; each sample
// keeps its own Host and File. Ties go to the reader given first, so the
// merged order is deterministic.
//
// Each reader is already in start-time order (up to its own late
// samples), so a k-way merge of their heads suffices; nothing more is held
// than one sample per reader.
//
// Stats of the merged reader add up the counts of all readers, and report
// Truncated if any input was; Columns, Delimiter, HeaderLess and
// TimestampFormat are per file and left empty: ask each reader.
func Merge(readers ...Reader) Reader {
	if len(readers) == 1 {
		return readers[0]
	}
	return &merged{readers: readers}
}

type merged struct {
	readers []Reader
	heads   []mergeHead // a min-heap on (start, reader index)
	started bool
	err     error
}

type mergeHead struct {
	s   Sample
	idx int
}

func (m *merged) less(i, j int) bool {
	a, b := &m.heads[i], &m.heads[j]
	if a.s.Start != b.s.Start {
		return a.s.Start < b.s.Start
	}
	return a.idx < b.idx
}

func (m *merged) down(i int) {
	n := len(m.heads)
	for {
		c := 2*i + 1
		if c >= n {
			return
		}
		if c+1 < n && m.less(c+1, c) {
			c++
		}
		if !m.less(c, i) {
			return
		}
		m.heads[i], m.heads[c] = m.heads[c], m.heads[i]
		i = c
	}
}

func (m *merged) Read(dst []Sample) (int, error) { return readEach(m.Next, dst) }

func (m *merged) Next() (Sample, error) {
	if m.err != nil {
		return Sample{}, m.err
	}
	if !m.started {
		m.started = true
		for i, r := range m.readers {
			s, err := r.Next()
			if err == io.EOF {
				continue
			}
			if err != nil {
				m.err = err
				return Sample{}, err
			}
			m.heads = append(m.heads, mergeHead{s, i})
		}
		for i := len(m.heads)/2 - 1; i >= 0; i-- {
			m.down(i)
		}
	}
	if len(m.heads) == 0 {
		return Sample{}, io.EOF
	}
	out := m.heads[0].s
	idx := m.heads[0].idx
	s, err := m.readers[idx].Next()
	switch {
	case err == nil:
		m.heads[0].s = s
	case err == io.EOF:
		last := len(m.heads) - 1
		m.heads[0] = m.heads[last]
		m.heads = m.heads[:last]
	default:
		// Deliver what we hold now; the error comes with the next call,
		// as for a single reader.
		m.err = err
	}
	if len(m.heads) > 0 {
		m.down(0)
	}
	return out, nil
}

func (m *merged) Stats() Stats {
	var t Stats
	for _, r := range m.readers {
		s := r.Stats()
		t.Records += s.Records
		t.Counted += s.Counted
		t.Skipped += s.Skipped
		t.OutOfOrder += s.OutOfOrder
		t.Truncated = t.Truncated || s.Truncated
	}
	return t
}

// Threads tracks the load the testers set across load generators. JMeter's
// allThreads counts the active threads of the generator that ran the
// sample only; in distributed mode the load on the target is the sum over
// generators. Total adds, per Host, the latest allThreads observed.
type Threads struct {
	latest map[string]int
	total  int
}

// Observe takes the allThreads of one sample into account.
func (t *Threads) Observe(s Sample) {
	if t.latest == nil {
		t.latest = make(map[string]int)
	}
	old := t.latest[s.Host]
	t.latest[s.Host] = s.AllThreads
	t.total += s.AllThreads - old
}

// Total is the sum over hosts of the latest allThreads seen.
func (t *Threads) Total() int { return t.total }

// Hosts is how many load generators have been seen.
func (t *Threads) Hosts() int { return len(t.latest) }
