package pipeline

import (
	"io"
	"iter"
	"runtime"
)

// Reading ahead: a reader (capture events, JTL samples) runs on a
// goroutine of its own and hands its records over in batches, so that
// decoding and correlation use two cores. Batches keep the records' order,
// and the consumer sees exactly the sequence a plain loop would: nothing
// downstream can tell, which keeps the output byte-identical whatever
// GOMAXPROCS is.
//
// The records must not share memory the reader reuses while the consumer
// may still read them: capture.Event and jtl.Sample own what they point
// to (the reorder windows hold them for a while anyway) until the batch
// that carried them comes back. Then, and only then, the reader may take
// that memory back (recycle, on the reader's goroutine, before the batch
// is filled again): the consumer's done says it keeps nothing of them.
//
// With one processor there is no second core to use, and the goroutine
// cost memory: it ran only once the consumer had emptied the channel,
// so the consumer then had batchAhead batches to take, filled while it
// waited, and read every record (and the SIP message the capture stage
// had last touched when it let the event out) after hundreds of others.
// There the batches are filled on the consumer's own goroutine, one at a
// time and small, just before they are taken. On 100 MB of signalling
// (cachegrind, 1 MB last level) that read 15.19 M lines past the last
// level before, 13.86 M with a batch of 128 handed over unbuffered, and
// 13.07 M with one of 32 (the same instructions, 2.49 G).

const batchAhead = 4 // batches in flight: bounds the memory read ahead

// batchLen is the records per batch: a channel operation per 128 records.
// Larger batches cost no fewer instructions that count, and what is in
// flight (batchAhead+2 batches of 176-byte events) outgrew the L2 cache, so
// the consumer read every event from memory: on 100 MB of signalling, 512
// made 0.85 M more misses past a 1 MB cache (cachegrind).
// The tests make batches small, so that the few events of a fixture come
// back, and their memory is used again, many times over.
var batchLen = 128

// oneCoreLen is the records per batch with one processor (see above):
// small, since a batch costs a function call there, not two goroutine
// switches. correlate.Analyzer.AddEvents reads ahead within a batch, so it
// is not one.
var oneCoreLen = 32

type batch[T any] struct {
	items []T
	err   error // the reader's error (not io.EOF), after items
	free  chan<- *batch[T]
}

// done hands the batch back for reuse: the consumer must neither read its
// items again nor keep anything they point to. The items are left as
// they are for the reader's recycle, which runs on the reader's goroutine
// so that what it takes back needs no lock; a batch the pool has no room
// for is simply dropped, and what it points to is the collector's.
func (b *batch[T]) done() {
	select {
	case b.free <- b:
	default:
	}
}

// readAhead calls read until io.EOF or an error and delivers the records
// in batches, each filled by one call of read: on a new goroutine, or
// with one processor on the consumer's own (see above). A batch carrying
// an error is the last. The consumer may stop at any batch: the goroutine
// stops by itself after an error or io.EOF, and otherwise once the
// batches it has filled are taken or abandoned (it is told to stop), so
// it never leaks.
//
// recycle, when not nil, is given the items of each batch that comes
// back (see done), in the order the batches went out, on the reader's
// goroutine between two calls of read.
func readAhead[T any](read func([]T) (int, error), recycle func([]T)) iter.Seq[*batch[T]] {
	if runtime.GOMAXPROCS(0) == 1 {
		return readInline(read, recycle, oneCoreLen)
	}
	return readOnGoroutine(read, recycle, batchLen)
}

// batches is the pool of batches of one reader.
type batches[T any] struct {
	free    chan *batch[T]
	recycle func([]T)
	size    int
}

func newBatches[T any](recycle func([]T), size int) *batches[T] {
	return &batches[T]{free: make(chan *batch[T], batchAhead+2), recycle: recycle, size: size}
}

// get returns an empty batch, one that came back if there is one.
func (p *batches[T]) get() *batch[T] {
	select {
	case b := <-p.free:
		if p.recycle != nil {
			p.recycle(b.items)
		}
		// Not cleared: the next records are written over these, and what
		// a pooled batch still points to meanwhile is bounded by the pool.
		// Clearing wrote every batch's bytes once more, behind the
		// collector's write barriers.
		b.items = b.items[:0]
		return b
	default:
		return &batch[T]{items: make([]T, 0, p.size), free: p.free}
	}
}

// fill reads records into b until it is full, and reports whether the
// reader is done (io.EOF, or an error now in b.err).
func fill[T any](b *batch[T], read func([]T) (int, error), size int) (last bool) {
	n, err := read(b.items[:size])
	b.items = b.items[:n]
	if err != nil {
		if err != io.EOF {
			b.err = err
		}
		return true
	}
	return false
}

func readInline[T any](read func([]T) (int, error), recycle func([]T), size int) iter.Seq[*batch[T]] {
	return func(yield func(*batch[T]) bool) {
		p := newBatches(recycle, size)
		for {
			b := p.get()
			last := fill(b, read, size)
			if len(b.items) > 0 || b.err != nil {
				if !yield(b) {
					return
				}
			}
			if last {
				return
			}
		}
	}
}

func readOnGoroutine[T any](read func([]T) (int, error), recycle func([]T), size int) iter.Seq[*batch[T]] {
	return func(yield func(*batch[T]) bool) {
		out := make(chan *batch[T], batchAhead)
		quit := make(chan struct{})
		p := newBatches(recycle, size)
		go func() {
			defer close(out)
			for {
				b := p.get()
				last := fill(b, read, size)
				if len(b.items) > 0 || b.err != nil {
					select {
					case out <- b:
					case <-quit:
						return
					}
				}
				if last {
					return
				}
			}
		}()
		defer close(quit)
		for b := range out {
			if !yield(b) {
				return
			}
		}
	}
}
