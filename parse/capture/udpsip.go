package capture

import (
	"os"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/ceiling-dev/ceiling/internal/freelist"
	"github.com/ceiling-dev/ceiling/parse/sip"
	"github.com/ceiling-dev/ceiling/parse/tcp"
)

// SIP over UDP is parsed on a goroutine of the file's own (parseWorker),
// while the file goes on reading packets and reassembling TCP: parsing is
// a quarter of the work and the other half of a two-core machine was
// idle. An event for a datagram that looks like SIP is queued at once with
// its job; the reorder window holds it for two seconds of capture time
// anyway, and the job is settled when the event leaves the window, in the
// event's order, so that what comes out (messages, counts, problems and
// their order) does not depend on how the goroutines ran. Messages over
// TCP and WebSocket go to the same goroutine (see stream.go): over TCP
// the reading goroutine only cuts them (sip.Parser.FrameInto).
//
// The datagram's copy and the Message are the largest allocations of a
// signalling capture (1.2 KB a message), so a caller that says when it is
// done with events (Source.Recycle) has them back for later datagrams:
// see udprecycle.go. A caller that does not simply leaves them to the
// collector.

// sipJob is one message for the parser, and then the memory of its
// message: the Message lives in the job, so that one allocation (a
// 576-byte size class) is all a message costs, and taking the job back
// takes the Message back.
//
// What the reading goroutine reads at settle, and the parsing goroutine
// before it parses (seq, over, ok, err, m), comes first, in the job's
// first cache line: a job is cold by then (its event waited out the
// reorder window), and these at the far end of the Message cost a miss
// of their own at each of them (a tenth of a second over a 1 GB
// signalling capture).
type sipJob struct {
	seq uint64
	// What a stream's message needs at settle: what it came over, and
	// where it came from (its problems name the side and the offset in
	// that side's stream).
	over overKind
	side tcp.Side
	ok   bool
	off  int64
	// m is &msg once msg holds a message that went out, nil until then.
	// For a datagram the parsing goroutine sets it; for a stream's
	// message only the reading goroutine does, at settle (settled.takeBack
	// reads it there while later jobs are being parsed), and the parse
	// says ok.
	m     *sip.Message
	err   error
	chunk *udpChunk
	// b is the message's bytes, copied because the reader reuses its
	// buffer. The copy is the message's: it is parsed with
	// ParseSharedInto, so that the Message's strings and Body point into
	// it rather than into a second copy of the headers.
	b []byte
	// start is what sip.LooksAt learnt of a datagram's start line, for
	// its parse; a stream's message has none.
	start sip.Start
	msg   sip.Message
	// framed is what the framer learnt of a message cut from a TCP
	// stream (sip.Parser.FrameInto): made once for a stream's job, and
	// kept with it. It comes last so that msg's fields lie where they
	// did in the job's cache lines: 8 bytes before them, the correlation's
	// read-ahead of the messages took 73% more misses past 1 MB.
	framed *sip.Framed
}

// overKind is what a job's message came over: it decides how it is
// parsed (a stream's message is not a datagram) and settled.
type overKind uint8

const (
	overUDP overKind = iota
	overTCP          // cut from a TCP stream by sip.Parser.FrameInto
	overWS           // a WebSocket message's payload, parsed as a datagram
)

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

// parseWorker is the parsing goroutine of one capture file. Jobs go to
// it in batches; it parses them in order and publishes how many it has
// done.
type parseWorker struct {
	jobs  chan []*sipJob
	batch []*sipJob
	// spare takes the batches the goroutine is done with back to queue,
	// to be filled again.
	spare chan []*sipJob
	sent  uint64 // jobs handed over
	made  uint64 // jobs queued
	// stopped: the goroutine was told to end; jobs after it (a caller
	// that goes on after an error) are parsed where they are queued.
	stopped bool

	done    atomic.Uint64 // jobs parsed, in order
	waiting atomic.Bool
	mu      sync.Mutex
	cond    *sync.Cond

	// A Parser of the file's own keeps its correlation header list and
	// message blocks across the run (a pooled one loses them at each GC).
	parser sip.Parser
	// dgram parses datagrams and WebSocket payloads, stream the messages
	// cut from TCP.
	dgram, stream sip.Options
}

const parseBatch = 64

func newParseWorker(opts sip.Options) *parseWorker {
	// With another processor to run on, the goroutine parses while the
	// file is read, and batches queue up to keep it busy. With one, it
	// runs only when the reading goroutine stops: a queue let thousands
	// of jobs wait, their bytes gone from the core's cache by the time
	// they were parsed; with none, handing a batch over waits for the
	// goroutine to take it, which it does once it has parsed the one
	// before, while that is still warm. Under cachegrind with a 1 MB
	// last level (this machine's L2), 150 MB of the signalling capture
	// read 1.5 M fewer lines past it (of 8.9 M) and 0.8 M more past the
	// first level. On the machine itself, shared with other work, the
	// whole run took 0.04 and 0.14 CPU-s less (medians of 9 and 7 pairs,
	// of about 6.5 s): within its noise, but not the other way.
	depth := 64
	if runtime.GOMAXPROCS(0) == 1 {
		depth = 0
	}
	w := &parseWorker{jobs: make(chan []*sipJob, depth), spare: make(chan []*sipJob, 64), dgram: opts, stream: opts}
	w.dgram.Datagram, w.stream.Datagram = true, false
	w.cond = sync.NewCond(&w.mu)
	go w.run()
	return w
}

func (w *parseWorker) run() {
	for batch := range w.jobs {
		for _, j := range batch {
			w.parse(j)
			w.done.Store(j.seq)
			if w.waiting.Load() {
				w.mu.Lock()
				w.cond.Broadcast()
				w.mu.Unlock()
			}
		}
		// The jobs themselves stay with their events; only the slice
		// goes back, emptied so that it holds none of them.
		clear(batch)
		select {
		case w.spare <- batch[:0]:
		default:
		}
	}
}

// parse parses j's bytes into j's Message. A job that came back brings
// the Message of an earlier one, which ParseSharedInto writes over
// (reusing its Correlation slice): nothing outside holds it any more.
func (w *parseWorker) parse(j *sipJob) {
	switch j.over {
	case overUDP:
		ok, _, err := w.parser.ParseSharedIntoAt(&j.msg, j.b, &j.start, &w.dgram)
		j.ok, j.err, j.m = ok, err, nil
		if ok {
			j.m = &j.msg
		}
	case overTCP:
		j.ok, _, j.err = w.parser.ParseSharedIntoFramed(&j.msg, j.b, j.framed, &w.stream)
	default:
		j.ok, _, j.err = w.parser.ParseSharedInto(&j.msg, j.b, &w.dgram)
	}
}

// queue hands j to the goroutine.
func (w *parseWorker) queue(j *sipJob) {
	w.made++
	j.seq = w.made
	if w.stopped {
		// The goroutine finishes what it was given first: the count of
		// jobs done only goes up.
		w.waitSeq(w.sent)
		w.parse(j)
		w.sent = w.made
		w.done.Store(j.seq)
		return
	}
	w.batch = append(w.batch, j)
	if len(w.batch) == parseBatch {
		w.flush()
	}
}

func (w *parseWorker) flush() {
	if len(w.batch) == 0 {
		return
	}
	w.jobs <- w.batch
	w.sent += uint64(len(w.batch))
	select {
	case w.batch = <-w.spare:
	default:
		w.batch = make([]*sipJob, 0, parseBatch)
	}
}

// wait returns once job j is parsed.
func (w *parseWorker) wait(j *sipJob) { w.waitSeq(j.seq) }

// waitSeq returns once the jobs up to seq are parsed.
func (w *parseWorker) waitSeq(seq uint64) {
	if w.done.Load() >= seq {
		return
	}
	if seq > w.sent {
		w.flush()
	}
	w.mu.Lock()
	w.waiting.Store(true)
	for w.done.Load() < seq {
		w.cond.Wait()
	}
	w.waiting.Store(false)
	w.mu.Unlock()
}

// stop ends the goroutine once the file is read, or given up.
func (w *parseWorker) stop() {
	if w.stopped {
		return
	}
	w.flush()
	close(w.jobs)
	w.stopped = true
}

// udpParser holds the datagrams of one capture file and their messages.
type udpParser struct {
	w *parseWorker
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
}

func newUDPParser(w *parseWorker) *udpParser {
	u := &udpParser{w: w}
	u.free.Max = 4096
	u.chunkPool = newChunkPool()
	return u
}

// add queues a datagram, with what sip.LooksAt learnt of it, and returns
// its job.
func (u *udpParser) add(b []byte, st *sip.Start) *sipJob {
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
	j.b, j.chunk, j.m, j.err, j.over = c.buf[off:len(c.buf):len(c.buf)], c, nil, nil, overUDP
	j.start = *st
	u.w.queue(j)
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
