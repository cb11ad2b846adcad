package tcp

// timerHeap orders connections by deadline (then by ID, so that timeouts
// due at the same instant fire in the order the connections were opened).
// Each connection knows its index, so that it can be moved or removed.
// The entries carry the deadline and ID themselves, so that ordering them
// does not visit the connections.
type timerHeap []timer

type timer struct {
	deadline int64 // the connection's deadline field, mirrored
	id       uint64
	c        *conn
}

func (h timerHeap) less(i, j int) bool {
	if h[i].deadline != h[j].deadline {
		return h[i].deadline < h[j].deadline
	}
	return h[i].id < h[j].id
}

func (h timerHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].c.heapIdx = i
	h[j].c.heapIdx = j
}

func (h *timerHeap) push(c *conn) {
	c.heapIdx = len(*h)
	*h = append(*h, timer{c.deadline, c.ID, c})
	h.up(c.heapIdx)
}

// set gives the connection at i a new deadline.
func (h timerHeap) set(i int, d int64) {
	h[i].deadline = d
	h[i].c.deadline = d
	h.fix(i)
}

func (h *timerHeap) remove(i int) {
	old := *h
	n := len(old) - 1
	c := old[i].c
	if i != n {
		old.swap(i, n)
	}
	old[n] = timer{}
	*h = old[:n]
	if i != n {
		h.fix(i)
	}
	c.heapIdx = -1
}

func (h timerHeap) fix(i int) {
	if !h.down(i) {
		h.up(i)
	}
}

func (h timerHeap) up(j int) {
	for j > 0 {
		i := (j - 1) / 2
		if !h.less(j, i) {
			break
		}
		h.swap(i, j)
		j = i
	}
}

func (h timerHeap) down(i0 int) bool {
	i, n := i0, len(h)
	for {
		j := 2*i + 1
		if j >= n || j < 0 {
			break
		}
		if r := j + 1; r < n && h.less(r, j) {
			j = r
		}
		if !h.less(j, i) {
			break
		}
		h.swap(i, j)
		i = j
	}
	return i > i0
}
