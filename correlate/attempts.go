package correlate

import "iter"

// Attempts is a run's attempts in time order. A capture of several GB
// holds millions of them, more than a machine should keep in memory for
// a report that reads each a few times, so they may live partly on disk
// (a temporary file, removed by Close): read them through At and All,
// which hand out copies.
type Attempts struct {
	list []Attempt
	log  *attemptLog
	// Of a view (Map): the attempts it shows and what it does to each.
	src *Attempts
	fn  func(*Attempt)
	// err is a failure of the temporary file while the attempts were
	// being gathered.
	err error
	// gathering is the most pages the gathering held in memory at once.
	gathering int
}

// AttemptsOf wraps attempts already in memory (tests, small runs).
func AttemptsOf(list []Attempt) *Attempts { return &Attempts{list: list} }

// Len is the number of attempts; a nil *Attempts has none.
func (s *Attempts) Len() int {
	switch {
	case s == nil:
		return 0
	case s.src != nil:
		return s.src.Len()
	case s.log != nil:
		return s.log.Len()
	}
	return len(s.list)
}

// At returns a copy of attempt i (0 ≤ i < Len).
func (s *Attempts) At(i int) Attempt {
	switch {
	case s.src != nil:
		a := s.src.At(i)
		s.fn(&a)
		return a
	case s.log != nil:
		return s.log.Get(i)
	}
	return s.list[i]
}

// All yields each attempt with its index, in time order.
func (s *Attempts) All() iter.Seq2[int, Attempt] {
	return func(yield func(int, Attempt) bool) {
		if s != nil && s.log != nil && s.src == nil {
			// A run at a time out of the log: a pass over millions
			// takes its lock once per run, not per attempt.
			var buf [256]Attempt
			for i, n := 0, s.Len(); i < n; {
				k := s.log.GetRun(i, buf[:])
				if k == 0 {
					return
				}
				for _, a := range buf[:k] {
					if !yield(i, a) {
						return
					}
					i++
				}
			}
			return
		}
		if s != nil && s.src != nil {
			for i, a := range s.src.All() {
				s.fn(&a)
				if !yield(i, a) {
					return
				}
			}
			return
		}
		for i, n := 0, s.Len(); i < n; i++ {
			if !yield(i, s.At(i)) {
				return
			}
		}
	}
}

// Heads yields each attempt's head with its index, in time order: the
// attempt without its IDs and Detail (CallID and TraceID are "", Detail
// is nil); every other field is as All gives it. A pass that needs the
// rest for a few attempts reads those with At. When the attempts are on
// disk, Heads reads them at a fraction of All's cost: it makes none of
// their strings or Details, and displaces no page in memory. The head is
// the pass's own, good until the next: copy what is kept, and write
// nothing through it. (A copy of each head, 184 bytes, was 0.4% of a
// 300 MB signalling run.)
func (s *Attempts) Heads() iter.Seq2[int, *Attempt] { return s.heads(false, -1) }

// HeadsBackward is Heads, latest first.
func (s *Attempts) HeadsBackward() iter.Seq2[int, *Attempt] { return s.heads(true, s.Len()-1) }

// HeadsBackwardFrom is HeadsBackward from attempt i down: a pass for the
// latest attempts made before a time starts at the last one made by then
// rather than at the end of the run.
func (s *Attempts) HeadsBackwardFrom(i int) iter.Seq2[int, *Attempt] {
	return s.heads(true, min(i, s.Len()-1))
}

// heads is a pass over the heads; a backward one starts at attempt from.
func (s *Attempts) heads(backward bool, from int) iter.Seq2[int, *Attempt] {
	return func(yield func(int, *Attempt) bool) {
		if s == nil {
			return
		}
		if s.log != nil && s.src == nil {
			if backward {
				s.log.HeadsBackwardFrom(from, yield)
			} else {
				s.log.Heads(yield)
			}
			return
		}
		// A view, or attempts in memory: the whole attempt, trimmed, so
		// that a pass that wrongly reads an ID from a head reads none
		// wherever the attempts are.
		all := s.All()
		if backward {
			all = s.backwardFrom(from)
		}
		var h Attempt // one for the pass, not one per attempt
		for i, a := range all {
			h = a
			trimHead(&h)
			if !yield(i, &h) {
				return
			}
		}
	}
}

// Backward yields each attempt with its index, latest first.
func (s *Attempts) Backward() iter.Seq2[int, Attempt] { return s.backwardFrom(s.Len() - 1) }

func (s *Attempts) backwardFrom(from int) iter.Seq2[int, Attempt] {
	return func(yield func(int, Attempt) bool) {
		for i := from; i >= 0; i-- {
			if !yield(i, s.At(i)) {
				return
			}
		}
	}
}

// Map is a view of s in which fn has been applied to each attempt read;
// s itself is unchanged. Redaction uses it: a pseudonymised copy of a
// run's attempts costs nothing until read.
func (s *Attempts) Map(fn func(*Attempt)) *Attempts {
	if s == nil {
		return nil
	}
	return &Attempts{src: s, fn: fn}
}

// Spilled reports whether any attempt went to the temporary file.
func (s *Attempts) Spilled() bool {
	switch {
	case s == nil:
		return false
	case s.src != nil:
		return s.src.Spilled()
	}
	return s.log != nil && s.log.Spilled()
}

// MostResident says how many pages of attempts were in memory at most,
// while they were gathered and since: it shows that memory stayed within
// SpillOptions.Pages (tests).
func (s *Attempts) MostResident() (gathering, since int) {
	if s == nil || s.log == nil {
		return 0, 0
	}
	return s.gathering, s.log.MostResident()
}

// Err is the first failure to write or read the temporary file: the
// attempts, and all that was counted from them, cannot be trusted then.
func (s *Attempts) Err() error {
	switch {
	case s == nil:
		return nil
	case s.src != nil:
		return s.src.Err()
	case s.err != nil:
		return s.err
	case s.log != nil:
		return s.log.Err()
	}
	return nil
}

// Close lets go of the temporary file, if any; a view closes nothing.
func (s *Attempts) Close() error {
	if s == nil || s.src != nil || s.log == nil {
		return nil
	}
	return s.log.Close()
}
