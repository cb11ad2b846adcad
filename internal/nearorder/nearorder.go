// Package nearorder gives back in order what is pushed nearly in order:
// a capture's events (packets a little out of order, held for a reorder
// window) and SIP timers (armed in capture order with a fixed delay). Most
// items go to the end of a queue; the few earlier than the last one queued
// go to a heap. A heap of everything spent its time moving items.
//
// Heap is that heap on its own, for a queue of large items kept where
// they are filled in (the capture stage's events): Queue copies each item
// on its way in and out, and reaches Less through a function value.
package nearorder

// Queue holds items and gives back the least first. Less orders them;
// items equal under it come back in no set order.
type Queue[T any] struct {
	Less func(a, b *T) bool

	// ring holds the items in order, n of them from head, wrapping at
	// its end (its length is 0 or a power of two). A slice with a moving
	// head had to slide its items back to its start now and then: one
	// more copy of every item (a capture's events are 176 bytes), into
	// memory long out of the cache.
	ring []T
	head int
	n    int
	late Heap[T] // its Less is Queue's, set when an item goes there
}

// Len is how many items are held.
func (q *Queue[T]) Len() int { return q.n + len(q.late.s) }

// at is the i-th item of the ring from its head.
func (q *Queue[T]) at(i int) *T { return &q.ring[(q.head+i)&(len(q.ring)-1)] }

// Push adds v.
func (q *Queue[T]) Push(v T) {
	if q.n == len(q.ring) {
		q.grow()
	}
	// Compared where it lies: the address of v itself, given to Less,
	// would move every item pushed to the heap.
	p := q.at(q.n)
	*p = v
	if q.n > 0 && q.Less(p, q.at(q.n-1)) {
		q.late.Less = q.Less
		q.late.Push(*p)
		var zero T
		*p = zero
		return
	}
	q.n++
}

// grow doubles the ring, its items unwrapped to the new one's start.
func (q *Queue[T]) grow() {
	r := make([]T, max(64, 2*len(q.ring)))
	if q.n > 0 {
		k := copy(r, q.ring[q.head:])
		copy(r[k:], q.ring[:q.head])
	}
	q.ring, q.head = r, 0
}

// fromHeap says whether the least item is the heap's.
func (q *Queue[T]) fromHeap() bool {
	return len(q.late.s) > 0 && (q.n == 0 || q.Less(&q.late.s[0], q.at(0)))
}

// Min returns the least item, nil when there is none. It stays valid
// until the next Push or Pop.
func (q *Queue[T]) Min() *T {
	switch {
	case q.fromHeap():
		return &q.late.s[0]
	case q.n > 0:
		return q.at(0)
	}
	return nil
}

// InOrder returns the i-th item of those pushed in order (not the late
// ones the heap holds), from the least; nil past the last. A consumer
// reads ahead with it the memory that items it will pop point to. It
// stays valid until the next Push or Pop.
func (q *Queue[T]) InOrder(i int) *T {
	if i < 0 || i >= q.n {
		return nil
	}
	return q.at(i)
}

// Pop removes and returns the least item; Len must be > 0.
func (q *Queue[T]) Pop() T {
	var v T
	q.PopInto(&v)
	return v
}

// PopInto removes the least item into *dst; Len must be > 0. A large T
// returned by value is copied on the way, once for each caller it is
// passed back through.
func (q *Queue[T]) PopInto(dst *T) {
	if q.fromHeap() {
		*dst = q.late.Pop()
		return
	}
	p := q.at(0)
	*dst = *p
	var zero T
	*p = zero // let go of what it points to
	q.head = (q.head + 1) & (len(q.ring) - 1)
	q.n--
}

// All lists what is held, in no order.
func (q *Queue[T]) All() []T {
	all := make([]T, 0, q.Len())
	for i := 0; i < q.n; i++ {
		all = append(all, *q.at(i))
	}
	return append(all, q.late.s...)
}

// Heap holds items and gives back the least first, as Queue does, for
// items in no particular order.
type Heap[T any] struct {
	Less func(a, b *T) bool
	s    []T // a binary min-heap under Less
}

// Len is how many items are held.
func (h *Heap[T]) Len() int { return len(h.s) }

// Min returns the least item, nil when there is none. It stays valid
// until the next Push or Pop.
func (h *Heap[T]) Min() *T {
	if len(h.s) == 0 {
		return nil
	}
	return &h.s[0]
}

// All lists what is held, in no order.
func (h *Heap[T]) All() []T { return append([]T(nil), h.s...) }

// Push adds v.
func (h *Heap[T]) Push(v T) {
	h.s = append(h.s, v)
	s := h.s
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if !h.Less(&s[i], &s[p]) {
			break
		}
		s[p], s[i] = s[i], s[p]
		i = p
	}
}

// Pop removes and returns the least item; Len must be > 0.
func (h *Heap[T]) Pop() T {
	s := h.s
	top := s[0]
	n := len(s) - 1
	s[0] = s[n]
	var zero T
	s[n] = zero
	s = s[:n]
	for i := 0; ; {
		l := 2*i + 1
		if l >= n {
			break
		}
		j := l
		if r := l + 1; r < n && h.Less(&s[r], &s[l]) {
			j = r
		}
		if !h.Less(&s[j], &s[i]) {
			break
		}
		s[i], s[j] = s[j], s[i]
		i = j
	}
	h.s = s
	return top
}
