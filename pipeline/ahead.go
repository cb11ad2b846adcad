package pipeline

import "io"

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

const batchAhead = 4 // batches in flight: bounds the memory read ahead

// batchLen is the records per batch: a channel operation per 128 records.
// Larger batches cost no fewer instructions that count, and what is in
// flight (batchAhead+2 batches of 176-byte events) outgrew the L2 cache, so
// the consumer read every event from memory: on 100 MB of signalling, 512
// made 0.85 M more misses past a 1 MB cache (cachegrind).
// The tests make batches small, so that the few events of a fixture come
// back, and their memory is used again, many times over.
var batchLen = 128

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

// readAhead calls next until io.EOF or an error on a new goroutine and
// delivers the records in batches. The channel closes after the last
// batch; a batch carrying an error is the last. The consumer must drain
// the channel or stop at an error batch: the reader stops by itself after
// an error or io.EOF, so neither leaks a goroutine.
//
// recycle, when not nil, is given the items of each batch that comes
// back (see done), in the order the batches went out, on the reader's
// goroutine between two calls of next.
func readAhead[T any](next func() (T, error), recycle func([]T)) <-chan *batch[T] {
	out := make(chan *batch[T], batchAhead)
	free := make(chan *batch[T], batchAhead+2)
	go func() {
		defer close(out)
		get := func() *batch[T] {
			select {
			case b := <-free:
				if recycle != nil {
					recycle(b.items)
				}
				// Not cleared: the next records are written over these,
				// and what a pooled batch still points to meanwhile is
				// bounded by the pool. Clearing wrote every batch's bytes
				// once more, behind the collector's write barriers.
				b.items = b.items[:0]
				return b
			default:
				return &batch[T]{items: make([]T, 0, batchLen), free: free}
			}
		}
		b := get()
		for {
			v, err := next()
			if err != nil {
				if err != io.EOF {
					b.err = err
				}
				if len(b.items) > 0 || b.err != nil {
					out <- b
				}
				return
			}
			b.items = append(b.items, v)
			if len(b.items) == batchLen {
				out <- b
				b = get()
			}
		}
	}()
	return out
}
