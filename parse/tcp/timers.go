package tcp

// timerHeap orders connections by deadline (then by ID, so that timeouts
// due at the same instant fire in the order the connections were opened).
// Each connection knows its index, so that it can be moved or removed.
// The entries carry the deadline and ID themselves, so that ordering them
// does not visit the connections.
//
// It is a 4-ary heap, and an entry being sifted is written once, where it
// stops: what costs is writing each moved connection's index, a cache
// miss apiece, and four children to a node make the tree half as deep as
// two do. (deadline, ID) is a strict order, so the timers fire in the same
// order whatever the heap's shape.
type timerHeap []timer

type timer struct {
	deadline int64 // the connection's deadline field, mirrored
	id       uint64
	c        *conn
}

func (x *timer) before(y *timer) bool {
	if x.deadline != y.deadline {
		return x.deadline < y.deadline
	}
	return x.id < y.id
}

func (h *timerHeap) push(c *conn) {
	*h = append(*h, timer{c.deadline, c.ID, c})
	h.up(len(*h)-1, (*h)[len(*h)-1])
}

// set gives the connection at i a new deadline.
func (h timerHeap) set(i int, d int64) {
	t := h[i]
	t.deadline = d
	t.c.deadline = d
	h.fix(i, t)
}

func (h *timerHeap) remove(i int) {
	old := *h
	n := len(old) - 1
	c := old[i].c
	last := old[n]
	old[n] = timer{}
	*h = old[:n]
	if i != n {
		h.fix(i, last)
	}
	c.heapIdx = -1
}

// fix puts t, which belongs at i, where it goes.
func (h timerHeap) fix(i int, t timer) {
	if i > 0 && t.before(&h[(i-1)/4]) {
		h.up(i, t)
	} else {
		h.down(i, t)
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
		h[j].c.heapIdx = int32(j)
		j = i
	}
	h[j] = t
	t.c.heapIdx = int32(j)
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
		h[i].c.heapIdx = int32(i)
		i = m
	}
	h[i] = t
	t.c.heapIdx = int32(i)
}
