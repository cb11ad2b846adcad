package capture

import (
	"os"
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
//
// The datagram's copy and the Message are the largest allocations of a
// signalling capture (1.2 KB a message), so a caller that says when it is
// done with events (Source.Recycle) has them back for later datagrams:
// see udprecycle.go. A caller that does not simply leaves them to the
// collector.

// sipJob is one datagram for the parser, and then the memory of its
// message: the Message lives in the job, so that one allocation (512
// bytes, a size class of its own) is all a message costs, and taking the
// job back takes the Message back.
type sipJob struct {
	seq uint64
	// b is the datagram, copied because the reader reuses its buffer. The
	// copy is the message's: it is parsed with ParseSharedInto, so that the
	// Message's strings and Body point into it rather than into a second
	// copy of the headers.
	b     []byte
	chunk *udpChunk
	err   error
	// m is &msg once msg holds a message, nil when the datagram gave none.
	m   *sip.Message
	msg sip.Message
}

// udpChunk holds the copies of many datagrams: one allocation for dozens
// of them. Its bytes are written once per use: a chunk is used again only
// when each message cut from it has come back (live is 0) and no more go
// in (sealed).
type udpChunk struct {
	buf    []byte
	live   int32
	sealed bool
}

// udpChunkSize is the size of a chunk; a datagram over a quarter of it
// gets a chunk of its own, never reused, rather than most of one. When
// poisoning, chunks are small, so that the few datagrams of a test
// capture fill several and each comes back, poisoned, to be reused.
const (
	udpChunkSize    = 64 << 10
	poisonChunkSize = 4 << 10
)

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

	// The chunk datagrams are copied into now, and the chunks that came
	// back; free keeps jobs that came back for later datagrams, up to a
	// bound: beyond it they go to the collector.
	chunkPool
	free freelist.List[sipJob]
	// back follows the jobs whose messages went out, for Recycle (see
	// udprecycle.go); held is a job whose datagram gave no message, freed
	// at the next settle, once the one that took it is surely done.
	back *settled
	held *sipJob

	parser sip.Parser
	opts   sip.Options
}

const udpBatch = 64

func newUDPParser(opts sip.Options) *udpParser {
	u := &udpParser{jobs: make(chan []*sipJob, 64), spare: make(chan []*sipJob, 64), opts: opts}
	u.free.Max = 4096
	u.chunkPool = newChunkPool()
	u.opts.Datagram = true
	u.cond = sync.NewCond(&u.mu)
	go u.run()
	return u
}

func (u *udpParser) run() {
	for batch := range u.jobs {
		for _, j := range batch {
			u.parse(j)
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

// parse parses j's datagram into j's Message. A job that came back brings
// the Message of an earlier datagram, which ParseSharedInto writes over
// (reusing its Correlation slice): nothing outside holds it any more.
func (u *udpParser) parse(j *sipJob) {
	ok, _, err := u.parser.ParseSharedInto(&j.msg, j.b, &u.opts)
	j.m, j.err = nil, err
	if ok {
		j.m = &j.msg
	}
}

// add queues a datagram and returns its job.
func (u *udpParser) add(b []byte) *sipJob {
	c := u.chunk
	if len(b) > u.chunkSize/4 {
		c = &udpChunk{buf: make([]byte, 0, len(b)), sealed: true}
	} else if c == nil || cap(c.buf)-len(c.buf) < len(b) {
		c = u.newChunk()
	}
	off := len(c.buf)
	c.buf = append(c.buf, b...)
	c.live++
	j, _ := u.free.Get()
	u.made++
	j.seq, j.b, j.chunk, j.m, j.err = u.made, c.buf[off:len(c.buf):len(c.buf)], c, nil, nil
	if u.stopped {
		// The goroutine finishes what it was given first: the count of
		// jobs done only goes up.
		u.waitSeq(u.sent)
		u.parse(j)
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

// chunkPool hands out the chunks that messages are copied into, taking
// back a sealed one once none of its messages is in use. The UDP parser
// and SIP over streams each have one.
type chunkPool struct {
	chunk  *udpChunk
	chunks freelist.List[udpChunk]
	// poison makes the memory that comes back unreadable before it is
	// used again (see udprecycle.go).
	poison    bool
	chunkSize int
}

func newChunkPool() chunkPool {
	p := chunkPool{poison: os.Getenv(PoisonEnv) != "", chunkSize: udpChunkSize}
	p.chunks.Max = 16
	if p.poison {
		p.chunkSize = poisonChunkSize
	}
	return p
}

// newChunk seals the current chunk and starts another, one that came
// back if there is one.
func (p *chunkPool) newChunk() *udpChunk {
	if old := p.chunk; old != nil {
		old.sealed = true
		if old.live == 0 {
			p.putChunk(old)
		}
	}
	c, fresh := p.chunks.Get()
	if fresh {
		c.buf = make([]byte, 0, p.chunkSize)
	}
	p.chunk = c
	return c
}

// putChunk takes back a sealed chunk none of whose messages is in use.
func (p *chunkPool) putChunk(c *udpChunk) {
	if p.poison {
		poisonBytes(c.buf[:cap(c.buf)])
	}
	if cap(c.buf) != p.chunkSize {
		return
	}
	c.buf, c.live, c.sealed = c.buf[:0], 0, false
	p.chunks.Put(c)
}

// putJob takes back a job whose message nothing holds any more, and its
// share of its chunk.
func (u *udpParser) putJob(j *sipJob) {
	c := j.chunk
	c.live--
	if c.live == 0 && c.sealed {
		u.putChunk(c)
	}
	if u.poison {
		poisonMessage(&j.msg)
	}
	j.b, j.chunk, j.m, j.err = nil, nil, nil, nil
	u.free.Put(j)
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
func (u *udpParser) wait(j *sipJob) { u.waitSeq(j.seq) }

// waitSeq returns once the jobs up to seq are parsed.
func (u *udpParser) waitSeq(seq uint64) {
	if u.done.Load() >= seq {
		return
	}
	if seq > u.sent {
		u.flush()
	}
	u.mu.Lock()
	u.waiting.Store(true)
	for u.done.Load() < seq {
		u.cond.Wait()
	}
	u.waiting.Store(false)
	u.mu.Unlock()
}

// release is told that settle has read job j: its message, if any, goes
// out with the event (or is dropped by settle) and may come back through
// Recycle; the job is no longer needed as a job.
func (u *udpParser) release(j *sipJob) {
	if h := u.held; h != nil {
		// settle has long finished with the last job that gave no
		// message: nothing points into it.
		u.held = nil
		u.putJob(h)
	}
	if j.m == nil {
		// No event carries anything of it; settle may still read its
		// error, which points into nothing of the job, but it is kept a
		// settle longer all the same.
		u.held = j
		return
	}
	if u.back != nil {
		u.back.push(j)
	}
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
