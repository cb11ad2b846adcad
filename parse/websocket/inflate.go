package websocket

import (
	"compress/flate"
	"io"
	"strconv"
	"sync"
)

// windowSize is DEFLATE's largest window: what a message may refer back
// to in the ones before it when the context is taken over.
const windowSize = 32 << 10

// flushTail is what permessage-deflate strips from the end of each
// message and the receiver puts back (RFC 7692 §7.2.2): the empty stored
// block of a sync flush.
var flushTail = []byte{0x00, 0x00, 0xff, 0xff}

// twoPart reads a then b. It is an io.ByteReader so that flate reads from
// it directly instead of through a bufio.Reader of its own.
type twoPart struct{ a, b []byte }

func (r *twoPart) Read(p []byte) (int, error) {
	if len(r.a) == 0 {
		r.a, r.b = r.b, nil
	}
	if len(r.a) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.a)
	r.a = r.a[n:]
	return n, nil
}

func (r *twoPart) ReadByte() (byte, error) {
	if len(r.a) == 0 {
		r.a, r.b = r.b, nil
	}
	if len(r.a) == 0 {
		return 0, io.EOF
	}
	c := r.a[0]
	r.a = r.a[1:]
	return c, nil
}

// inflater inflates the messages of one direction.
type inflater struct {
	takeover bool
	// window is the last windowSize bytes of output, the dictionary of
	// the next message when the context is taken over. It may hold up to
	// twice that, so that it moves only now and then.
	window []byte
	// lost says why the context is gone: a message could not be inflated
	// whole, so later ones that refer back to it cannot be either.
	lost string
}

// decoder is what inflating one message needs beyond the context: a
// flate reader (some 40 KB of tables and window) and an output buffer.
// Each message is inflated in one go, from its first byte to its last,
// so decoders are shared by all parsers through a pool instead of one per
// connection.
type decoder struct {
	fr  io.ReadCloser
	src twoPart
	buf [8 << 10]byte
}

var decoders = sync.Pool{New: func() any { return new(decoder) }}

func newInflater(takeover bool) *inflater {
	return &inflater{takeover: takeover}
}

func (f *inflater) remember(b []byte) {
	if len(b) >= windowSize {
		f.window = append(f.window[:0], b[len(b)-windowSize:]...)
		return
	}
	if len(f.window)+len(b) > 2*windowSize {
		n := copy(f.window, f.window[len(f.window)-(windowSize-len(b)):])
		f.window = f.window[:n]
	}
	f.window = append(f.window, b...)
}

func (f *inflater) dict() []byte {
	if !f.takeover {
		return nil
	}
	return f.window[max(0, len(f.window)-windowSize):]
}

// inflate inflates one message, handing the output to keep as it comes,
// and stops after max bytes. whole says comp is the entire message (it is
// a prefix of one that was cut short otherwise). It returns the bytes
// inflated and, when it did not inflate all, why.
func (f *inflater) inflate(comp []byte, whole bool, max int64, keep func([]byte)) (n int64, failed string) {
	if f.lost != "" {
		return 0, "an earlier message it may refer to was not inflated (" + f.lost + ")"
	}
	d := decoders.Get().(*decoder)
	defer decoders.Put(d)
	d.src = twoPart{comp, nil}
	if whole {
		d.src.b = flushTail
	}
	if d.fr == nil {
		d.fr = flate.NewReaderDict(&d.src, f.dict())
	} else if err := d.fr.(flate.Resetter).Reset(&d.src, f.dict()); err != nil {
		return 0, err.Error()
	}
	for {
		m, err := d.fr.Read(d.buf[:])
		if m > 0 {
			if n+int64(m) > max {
				m = int(max - n)
				failed = "inflates past " + strconv.FormatInt(max, 10) + " bytes"
			}
			n += int64(m)
			keep(d.buf[:m])
			if f.takeover {
				f.remember(d.buf[:m])
			}
		}
		switch {
		case failed != "":
		case err == nil:
			continue
		case err == io.EOF || err == io.ErrUnexpectedEOF && whole:
			// A message ends without a final block: the decompressor
			// runs out of input looking for the next one.
			return n, ""
		case err == io.ErrUnexpectedEOF:
			failed = "cut short"
		default:
			failed = err.Error()
		}
		if f.takeover {
			f.lost = failed
		}
		return n, failed
	}
}
