package tcp

import (
	"math"
	"slices"
)

// timers orders connections by when their timeout is due, then by ID, so
// that timeouts due at the same instant fire in the order the connections
// were opened.
//
// Most deadlines are the clock at a packet plus one of the fixed delays
// (the SYN timeout, the idle timeout, the linger), and as the clock never
// goes back, the deadlines of one delay come in order: a queue per delay
// keeps them sorted at the cost of an append. The others (an idle
// deadline found stale, a SYN retransmitted, a tie in time with a
// connection opened later that is already queued) go to a heap.
//
// An entry is never moved or removed before it comes first: a connection
// given a new deadline gets a new entry, and the old one is known to be
// stale by its generation, which the timers keep per connection in a slot
// of their own. So nothing reads or writes a connection, cold in the
// cache by then, but to fire its timeout. (A heap of connections that
// knew their place in it wrote the place of every connection it moved,
// a cache miss apiece, on each of the four or so deadlines a connection
// has.) Stale entries are dropped when they come first, or all at once
// when they outnumber the live ones, so that memory stays bounded by the
// connections tracked.
type timers struct {
	queues [nQueues]queue
	heap   timerHeap
	gen    []uint32 // by slot: the generation of its connection's live entry
	free   []uint32 // the slots not in use
	n      int      // entries held, stale ones included
	// next is a time before which nothing is due: the deadline of the
	// first live entry, or earlier.
	next int64
}

type timer struct {
	deadline int64
	id       uint64
	c        *conn
	slot     uint32
	gen      uint32
}

func (x *timer) before(y *timer) bool {
	if x.deadline != y.deadline {
		return x.deadline < y.deadline
	}
	return x.id < y.id
}

// The queues: one per fixed delay (see Assembler.setDeadline).
const (
	queueIdle = iota
	queueOpening
	queueLinger
	nQueues
)

// fromHeap stands for the heap where a queue's index is expected.
const fromHeap = nQueues

func newTimers() timers { return timers{next: math.MaxInt64} }

// newSlot gives a connection a slot.
func (t *timers) newSlot() uint32 {
	if n := len(t.free); n > 0 {
		s := t.free[n-1]
		t.free = t.free[:n-1]
		return s
	}
	t.gen = append(t.gen, 0)
	return uint32(len(t.gen) - 1)
}

// freeSlot takes back a connection's slot; its entry, if any, is stale.
func (t *timers) freeSlot(s uint32) {
	t.gen[s]++
	t.free = append(t.free, s)
	t.bound()
}

func (t *timers) live(e *timer) bool { return t.gen[e.slot] == e.gen }

// add gives c the deadline d: in queue q if it comes after all the queue
// holds (q < 0: not the clock plus q's delay), else in the heap. Any
// entry c had is stale from now on.
func (t *timers) add(c *conn, d int64, q int) {
	g := t.gen[c.slot] + 1
	t.gen[c.slot] = g
	e := timer{d, c.id, c, c.slot, g}
	if q >= 0 && t.queues[q].takes(&e) {
		t.queues[q].push(e)
	} else {
		t.heap.push(e)
	}
	t.n++
	t.next = min(t.next, d)
	t.bound()
}

// bound drops the stale entries once they outnumber the live ones (one a
// slot at most) and compactSlack.
func (t *timers) bound() {
	if t.n > 2*(len(t.gen)-len(t.free))+compactSlack {
		t.compact()
	}
}

// compactSlack keeps a few stale entries from making compact run often.
const compactSlack = 256

// first returns the live entry due first and where it is (a queue, or
// fromHeap), dropping the stale entries ahead of it; nil if none.
func (t *timers) first() (*timer, int) {
	var best *timer
	src := -1
	for i := range t.queues {
		q := &t.queues[i]
		for q.len() > 0 && !t.live(q.first()) {
			q.pop()
			t.n--
		}
		if q.len() > 0 && (best == nil || q.first().before(best)) {
			best, src = q.first(), i
		}
	}
	for len(t.heap) > 0 && !t.live(&t.heap[0]) {
		t.heap.pop()
		t.n--
	}
	if len(t.heap) > 0 && (best == nil || t.heap[0].before(best)) {
		best, src = &t.heap[0], fromHeap
	}
	return best, src
}

// take drops the first entry of src, as first gave it.
func (t *timers) take(src int) {
	if src == fromHeap {
		t.heap.pop()
	} else {
		t.queues[src].pop()
	}
	t.n--
}

// compact drops every stale entry.
func (t *timers) compact() {
	stale := func(e timer) bool { return !t.live(&e) }
	for i := range t.queues {
		q := &t.queues[i]
		n := copy(q.e, q.e[q.head:])
		clear(q.e[n:])
		q.e, q.head = slices.DeleteFunc(q.e[:n], stale), 0
	}
	t.heap = slices.DeleteFunc(t.heap, stale)
	t.heap.init()
	t.n = len(t.heap)
	for i := range t.queues {
		t.n += t.queues[i].len()
	}
}

// reset forgets every entry and slot.
func (t *timers) reset() {
	for i := range t.queues {
		clear(t.queues[i].e)
		t.queues[i] = queue{e: t.queues[i].e[:0]}
	}
	clear(t.heap)
	t.heap = t.heap[:0]
	t.gen, t.free = t.gen[:0], t.free[:0]
	t.n, t.next = 0, math.MaxInt64
}

// queue is a first-in, first-out list of entries in (deadline, ID) order.
type queue struct {
	e    []timer
	head int // e[head:] are held
}

func (q *queue) len() int      { return len(q.e) - q.head }
func (q *queue) first() *timer { return &q.e[q.head] }
func (q *queue) takes(e *timer) bool {
	return q.len() == 0 || q.e[len(q.e)-1].before(e)
}

func (q *queue) push(e timer) {
	if len(q.e) == cap(q.e) && q.head >= len(q.e)/2 {
		// Room at the front: move down rather than grow.
		n := copy(q.e, q.e[q.head:])
		clear(q.e[n:])
		q.e, q.head = q.e[:n], 0
	}
	q.e = append(q.e, e)
}

func (q *queue) pop() {
	q.e[q.head] = timer{}
	q.head++
	if q.head == len(q.e) {
		q.e, q.head = q.e[:0], 0
	}
}

// timerHeap is a 4-ary heap of entries: four children to a node make the
// tree half as deep as two do, and an entry being sifted is written once,
// where it stops. (deadline, ID) is a strict order, so the entries come
// out in the same order whatever the heap's shape.
type timerHeap []timer

func (h *timerHeap) push(e timer) {
	*h = append(*h, e)
	h.up(len(*h)-1, e)
}

// pop drops the first entry.
func (h *timerHeap) pop() {
	old := *h
	n := len(old) - 1
	last := old[n]
	old[n] = timer{}
	*h = old[:n]
	if n > 0 {
		h.down(0, last)
	}
}

// init orders entries in no order.
func (h timerHeap) init() {
	if len(h) < 2 {
		return
	}
	for i := (len(h) - 2) / 4; i >= 0; i-- {
		h.down(i, h[i])
	}
}

// up moves t from the hole at j towards the root.
func (h timerHeap) up(j int, t timer) {
	for j > 0 {
		i := (j - 1) / 4
		if !t.before(&h[i]) {
			break
		}
		h[j] = h[i]
		j = i
	}
	h[j] = t
}

// down moves t from the hole at i towards the leaves.
func (h timerHeap) down(i int, t timer) {
	n := len(h)
	for {
		first := 4*i + 1
		if first >= n || first < 0 {
			break
		}
		m := first
		if first+3 < n {
			// Four children, as all but the last parent has: the least
			// of two pairs, without the loop's bounds.
			if h[first+1].before(&h[m]) {
				m = first + 1
			}
			m2 := first + 2
			if h[first+3].before(&h[m2]) {
				m2 = first + 3
			}
			if h[m2].before(&h[m]) {
				m = m2
			}
		} else {
			for k := first + 1; k < n; k++ {
				if h[k].before(&h[m]) {
					m = k
				}
			}
		}
		if !h[m].before(&t) {
			break
		}
		h[i] = h[m]
		i = m
	}
	h[i] = t
}
