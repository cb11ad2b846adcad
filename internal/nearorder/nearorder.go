// Package nearorder gives back in order what is pushed nearly in order:
// a capture's events (packets a little out of order, held for a reorder
// window) and SIP timers (armed in capture order with a fixed delay). Most
// items go to the end of a queue; the few earlier than the last one queued
// go to a heap. A heap of everything spent its time moving items.
package nearorder

// Queue holds items and gives back the least first. Less orders them;
// items equal under it come back in no set order.
type Queue[T any] struct {
	Less func(a, b *T) bool

	fifo []T
	head int
	late []T // a binary min-heap under Less
}

// Len is how many items are held.
func (q *Queue[T]) Len() int { return len(q.fifo) - q.head + len(q.late) }

// Push adds v.
func (q *Queue[T]) Push(v T) {
	if q.head > 1024 && q.head > len(q.fifo)/2 {
		n := copy(q.fifo, q.fifo[q.head:])
		clear(q.fifo[n:])
		q.fifo, q.head = q.fifo[:n], 0
	}
	// Compared where it lies: the address of v itself, given to Less,
	// would move every item pushed to the heap.
	q.fifo = append(q.fifo, v)
	if n := len(q.fifo) - 1; n > q.head && q.Less(&q.fifo[n], &q.fifo[n-1]) {
		q.heapPush(q.fifo[n])
		var zero T
		q.fifo[n] = zero
		q.fifo = q.fifo[:n]
	}
}

// fromHeap says whether the least item is the heap's.
func (q *Queue[T]) fromHeap() bool {
	return len(q.late) > 0 && (q.head == len(q.fifo) || q.Less(&q.late[0], &q.fifo[q.head]))
}

// Min returns the least item, nil when there is none. It stays valid
// until the next Push or Pop.
func (q *Queue[T]) Min() *T {
	switch {
	case q.fromHeap():
		return &q.late[0]
	case q.head < len(q.fifo):
		return &q.fifo[q.head]
	}
	return nil
}

// Pop removes and returns the least item; Len must be > 0.
func (q *Queue[T]) Pop() T {
	if q.fromHeap() {
		return q.heapPop()
	}
	v := q.fifo[q.head]
	var zero T
	q.fifo[q.head] = zero // let go of what it points to
	q.head++
	return v
}

// All lists what is held, in no order.
func (q *Queue[T]) All() []T {
	return append(append([]T(nil), q.fifo[q.head:]...), q.late...)
}

func (q *Queue[T]) heapPush(v T) {
	q.late = append(q.late, v)
	s := q.late
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if !q.Less(&s[i], &s[p]) {
			break
		}
		s[p], s[i] = s[i], s[p]
		i = p
	}
}

func (q *Queue[T]) heapPop() T {
	s := q.late
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
		if r := l + 1; r < n && q.Less(&s[r], &s[l]) {
			j = r
		}
		if !q.Less(&s[j], &s[i]) {
			break
		}
		s[i], s[j] = s[j], s[i]
		i = j
	}
	q.late = s
	return top
}
