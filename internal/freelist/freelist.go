// Package freelist keeps values for reuse: the per-connection and
// per-message state that the hot paths recycle instead of allocating for
// every connection or message. Not safe for concurrent use; each owner
// keeps its own.
package freelist

// List holds up to Max values for reuse (no bound when Max is 0).
type List[T any] struct {
	free []*T
	Max  int
}

// Get returns a value to reuse as it was put back, or a new zero one;
// fresh says which.
func (l *List[T]) Get() (v *T, fresh bool) {
	if n := len(l.free); n > 0 {
		v = l.free[n-1]
		l.free[n-1] = nil
		l.free = l.free[:n-1]
		return v, false
	}
	return new(T), true
}

// Put keeps v for a later Get, unless the list is full.
func (l *List[T]) Put(v *T) {
	if l.Max > 0 && len(l.free) >= l.Max {
		return
	}
	l.free = append(l.free, v)
}

// Len is how many values wait for reuse.
func (l *List[T]) Len() int { return len(l.free) }
