package main

// What an event does when its time comes.
const (
	evThread uint8 = iota // a thread's next action
	evCall                // a call's next message
	evConn                // a TCP connection's next handshake or teardown step
	evAck                 // a delayed ACK
	evRTP                 // a stream's next RTP packet
	evPush                // the event API pushes a notification
	evHold                // an event-API subscription ends
)

// event is one thing that happens at a time. Ties are broken by the order
// events were scheduled in, so a run is a pure function of its flags.
type event struct {
	t    int64
	seq  uint64
	id   int32
	arg  uint32
	gen  uint32
	kind uint8
}

// queue is a binary min-heap of events, typed so that a push or pop
// allocates nothing.
type queue struct {
	h   []event
	seq uint64
}

func (q *queue) push(e event) {
	q.seq++
	e.seq = q.seq
	q.h = append(q.h, e)
	i := len(q.h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !q.less(i, p) {
			break
		}
		q.h[i], q.h[p] = q.h[p], q.h[i]
		i = p
	}
}

func (q *queue) less(i, j int) bool {
	a, b := &q.h[i], &q.h[j]
	if a.t != b.t {
		return a.t < b.t
	}
	return a.seq < b.seq
}

func (q *queue) pop() event {
	top := q.h[0]
	n := len(q.h) - 1
	q.h[0] = q.h[n]
	q.h = q.h[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && q.less(r, l) {
			m = r
		}
		if !q.less(m, i) {
			break
		}
		q.h[i], q.h[m] = q.h[m], q.h[i]
		i = m
	}
	return top
}

func (q *queue) empty() bool { return len(q.h) == 0 }
