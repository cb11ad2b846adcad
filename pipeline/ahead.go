package pipeline

import "io"

// Reading ahead: a reader (capture events, JTL samples) runs on a
// goroutine of its own and hands its records over in batches, so that
// decoding and correlation use two cores. Batches keep the records' order,
// and the consumer sees exactly the sequence a plain loop would: nothing
// downstream can tell, which keeps the output byte-identical whatever
// GOMAXPROCS is.
//
// The records must not share memory the reader reuses: capture.Event and
// jtl.Sample own what they point to (the reorder windows hold them for a
// while anyway).

const (
	batchLen   = 512 // records per batch: a channel operation per 512 records
	batchAhead = 4   // batches in flight: bounds the memory read ahead
)

type batch[T any] struct {
	items []T
	err   error // the reader's error (not io.EOF), after items
	free  chan<- *batch[T]
}

// done hands the batch back for reuse; its items are overwritten.
func (b *batch[T]) done() {
	clear(b.items) // drop references before the batch waits in the pool
	b.items = b.items[:0]
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
func readAhead[T any](next func() (T, error)) <-chan *batch[T] {
	out := make(chan *batch[T], batchAhead)
	free := make(chan *batch[T], batchAhead+2)
	go func() {
		defer close(out)
		get := func() *batch[T] {
			select {
			case b := <-free:
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
