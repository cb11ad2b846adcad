package capture

import (
	"sync"
	"sync/atomic"

	"github.com/ceiling-dev/ceiling/internal/freelist"
	"github.com/ceiling-dev/ceiling/parse/sip"
)

// SIP over UDP is parsed on a goroutine of the file's own, while the file
// goes on reading packets and reassembling TCP: parsing is a quarter of
// the work and the other half of a two-core machine was idle. An event
// for a datagram that looks like SIP is queued at once with its job; the
// reorder window holds it for two seconds of capture time anyway, and the
// job is settled when the event leaves the window, in the event's order,
// so that what comes out (messages, counts, problems and their order)
// does not depend on how the goroutines ran.

// sipJob is one datagram for the parser.
type sipJob struct {
	seq uint64
	// b is the datagram, copied because the reader reuses its buffer. The
	// copy is the message's: it is parsed with ParseShared, so that the
	// Message's strings and Body point into it rather than into a second
	// copy of the headers.
	b   []byte
	m   *sip.Message
	err error
}

// udpParser is the parsing goroutine of one capture file. Jobs go to it
// in batches; it parses them in order and publishes how many it has done.
type udpParser struct {
	jobs  chan []*sipJob
	batch []*sipJob
	// spare takes the batches the goroutine is done with back to add, to
	// be filled again.
	spare chan []*sipJob
	sent  uint64 // jobs handed over
	made  uint64 // jobs made
	// stopped: the goroutine was told to end; jobs after it (a caller
	// that goes on after an error) are parsed where they are made.
	stopped bool

	done    atomic.Uint64 // jobs parsed, in order
	waiting atomic.Bool
	mu      sync.Mutex
	cond    *sync.Cond

	// text holds the datagrams' copies, many to an allocation and never
	// written again: a message's strings and Body point into its copy,
	// for as long as any consumer holds them.
	text []byte
	free freelist.List[sipJob]

	parser sip.Parser
	opts   sip.Options
}

const udpBatch = 64

func newUDPParser(opts sip.Options) *udpParser {
	u := &udpParser{jobs: make(chan []*sipJob, 64), spare: make(chan []*sipJob, 64), opts: opts}
	u.free.Max = 4096
	u.opts.Datagram = true
	u.cond = sync.NewCond(&u.mu)
	go u.run()
	return u
}

func (u *udpParser) run() {
	for batch := range u.jobs {
		for _, j := range batch {
			j.m, _, j.err = u.parser.ParseShared(j.b, &u.opts)
			u.done.Store(j.seq)
			if u.waiting.Load() {
				u.mu.Lock()
				u.cond.Broadcast()
				u.mu.Unlock()
			}
		}
		// The jobs themselves stay with their events; only the slice
		// goes back, emptied so that it holds none of them.
		clear(batch)
		select {
		case u.spare <- batch[:0]:
		default:
		}
	}
}

// add queues a datagram and returns its job.
func (u *udpParser) add(b []byte) *sipJob {
	if cap(u.text)-len(u.text) < len(b) {
		n := 64 << 10
		if len(b) > n/4 {
			n = len(b)
		}
		u.text = make([]byte, 0, n)
	}
	off := len(u.text)
	u.text = append(u.text, b...)
	j, _ := u.free.Get()
	u.made++
	*j = sipJob{seq: u.made, b: u.text[off:len(u.text):len(u.text)]}
	if u.stopped {
		// The goroutine finishes what it was given first: the count of
		// jobs done only goes up.
		u.wait(&sipJob{seq: u.sent})
		j.m, _, j.err = u.parser.ParseShared(j.b, &u.opts)
		u.sent = u.made
		u.done.Store(j.seq)
		return j
	}
	u.batch = append(u.batch, j)
	if len(u.batch) == udpBatch {
		u.flush()
	}
	return j
}

func (u *udpParser) flush() {
	if len(u.batch) == 0 {
		return
	}
	u.jobs <- u.batch
	u.sent += uint64(len(u.batch))
	select {
	case u.batch = <-u.spare:
	default:
		u.batch = make([]*sipJob, 0, udpBatch)
	}
}

// wait returns once job j is parsed.
func (u *udpParser) wait(j *sipJob) {
	if u.done.Load() >= j.seq {
		return
	}
	if j.seq > u.sent {
		u.flush()
	}
	u.mu.Lock()
	u.waiting.Store(true)
	for u.done.Load() < j.seq {
		u.cond.Wait()
	}
	u.waiting.Store(false)
	u.mu.Unlock()
}

// release takes a settled job back for reuse.
func (u *udpParser) release(j *sipJob) {
	*j = sipJob{}
	u.free.Put(j)
}

// stop ends the goroutine once the file is read, or given up.
func (u *udpParser) stop() {
	if u.stopped {
		return
	}
	u.flush()
	close(u.jobs)
	u.stopped = true
}
