package pcap

import (
	"bytes"
	"net/netip"
)

// IP reassembly, for IPv4 and IPv6 alike. gopacket's ip4defrag allocates
// per fragment and does not do IPv6, and a SIP INVITE with a large SDP body
// is fragmented over UDP on either.
//
// Policy, so that the same capture always gives the same datagrams:
//   - fragments are keyed by source, destination, identification and
//     protocol (RFC 791, RFC 8200), and by the pcapng interface they were
//     captured on: two interfaces are two vantage points, and a packet seen
//     on both (a capture on "any" merged with one on eth0, say) is
//     delivered once from each, fragmented or not. tshark reassembles
//     across interfaces and so counts such a datagram once;
//   - where fragments overlap, the bytes that arrived first are kept; if the
//     later ones differ the set is marked and reported when it completes;
//   - the first last-fragment (more=false) fixes the datagram's length;
//     bytes another fragment puts beyond it are dropped;
//   - a set still open FragmentTimeout of capture time after its first
//     fragment, or pushed out by MaxFragmentSets or MaxFragmentBytes (oldest
//     first), is given up, as are the sets still open at the end of the file;
//   - a fragment that comes after its datagram was completed (captured
//     twice on one interface, say) starts a set of its own, which is
//     reported in its time as never completed. Remembering completed
//     datagrams to drop such copies would also drop a new datagram that
//     reuses the 16-bit IPv4 identification, which a busy host does
//     within seconds.

// maxDatagram is the largest payload an IP header can describe (without
// IPv6 jumbograms, which are never fragmented).
const maxDatagram = 65535

type fragKey struct {
	src, dst netip.Addr
	id       uint32
	proto    uint8
	iface    int32
}

type span struct{ lo, hi int }

type fragSet struct {
	key      fragKey
	buf      []byte
	have     []span // sorted, disjoint, not touching
	total    int    // datagram payload length, -1 until the last fragment is seen
	n        int    // fragments taken
	conflict bool   // overlapping fragments disagreed
	tooLong  bool   // a fragment went past the end fixed by the last one

	firstNum, firstOffset, firstTime int64

	older, newer *fragSet // in order of first fragment
}

// defrag holds the fragment sets in flight. Sets and their buffers are
// recycled, so that a steady stream of fragments allocates nothing.
type defrag struct {
	maxSets  int
	maxBytes int
	timeout  int64

	sets           map[fragKey]*fragSet
	oldest, newest *fragSet
	bytes          int        // payload bytes held by the sets in flight
	done           []*fragSet // left the table while this frame was handled
	free           []*fragSet

	// giveUp is told of every set that will never complete, with why.
	giveUp func(s *fragSet, why string)
}

func newDefrag(maxSets, maxBytes int, timeout int64, giveUp func(*fragSet, string)) *defrag {
	return &defrag{maxSets: maxSets, maxBytes: maxBytes, timeout: timeout, giveUp: giveUp, sets: make(map[fragKey]*fragSet)}
}

// frame is the frame a fragment came in.
type frame struct{ num, offset, time int64 }

// add takes one fragment, whose end the caller has checked to be within
// maxDatagram. It returns the set when that fragment completed it; the
// set's payload stays valid until recycle is called.
func (d *defrag) add(f *fragment, fr frame) *fragSet {
	s := d.sets[f.key]
	if s == nil {
		for len(d.sets) >= d.maxSets && d.oldest != nil {
			d.giveUpOn(d.oldest, "more fragment sets in flight than the limit")
		}
		s = d.newSet(f.key, fr)
	}
	s.n++
	lo, hi := f.off, f.off+len(f.data)
	if !f.more {
		if s.total < 0 {
			s.total = hi
			if s.total < len(s.buf) {
				s.tooLong = true
			}
		} else if hi != s.total {
			s.tooLong = true
		}
	}
	if s.total >= 0 && hi > s.total {
		s.tooLong = true
		hi = s.total
	}
	if lo < hi {
		d.put(s, lo, f.data[:hi-lo])
	}
	// Spans past a total that came late do not matter: the datagram is
	// whole when the first span covers it.
	if s.total >= 0 && len(s.have) > 0 && s.have[0].lo == 0 && s.have[0].hi >= s.total {
		d.remove(s)
		s.buf = s.buf[:s.total]
		return s
	}
	for d.bytes > d.maxBytes && d.oldest != nil {
		d.giveUpOn(d.oldest, "fragments in flight over the memory limit")
	}
	return nil
}

// put copies the parts of data not held yet into s at offset lo.
func (d *defrag) put(s *fragSet, lo int, data []byte) {
	hi := lo + len(data)
	if hi > len(s.buf) {
		d.bytes += hi - len(s.buf)
		if hi > cap(s.buf) {
			nb := make([]byte, hi, max(hi, min(2*cap(s.buf), maxDatagram)))
			copy(nb, s.buf)
			s.buf = nb
		}
		s.buf = s.buf[:hi]
	}
	// Walk the spans held, filling the gaps between them.
	i := 0
	for i < len(s.have) && s.have[i].hi < lo {
		i++
	}
	at := lo
	for j := i; j < len(s.have) && s.have[j].lo < hi && at < hi; j++ {
		h := s.have[j]
		if h.lo > at {
			copy(s.buf[at:h.lo], data[at-lo:h.lo-lo])
		}
		if ol, oh := max(at, h.lo), min(hi, h.hi); ol < oh && !bytes.Equal(s.buf[ol:oh], data[ol-lo:oh-lo]) {
			s.conflict = true
		}
		at = max(at, h.hi)
	}
	if at < hi {
		copy(s.buf[at:hi], data[at-lo:])
	}
	// Spans i.. that overlap or touch [lo,hi) merge with it into one.
	j := i
	nlo, nhi := lo, hi
	for ; j < len(s.have) && s.have[j].lo <= hi; j++ {
		nlo = min(nlo, s.have[j].lo)
		nhi = max(nhi, s.have[j].hi)
	}
	if j == i {
		s.have = append(s.have, span{})
		copy(s.have[i+1:], s.have[i:])
		s.have[i] = span{nlo, nhi}
		return
	}
	s.have[i] = span{nlo, nhi}
	s.have = append(s.have[:i+1], s.have[j:]...)
}

func (d *defrag) newSet(k fragKey, fr frame) *fragSet {
	var s *fragSet
	if n := len(d.free); n > 0 {
		s = d.free[n-1]
		d.free = d.free[:n-1]
		*s = fragSet{buf: s.buf[:0], have: s.have[:0]}
	} else {
		s = &fragSet{}
	}
	s.key, s.total = k, -1
	s.firstNum, s.firstOffset, s.firstTime = fr.num, fr.offset, fr.time
	d.sets[k] = s
	s.older = d.newest
	if d.newest != nil {
		d.newest.newer = s
	} else {
		d.oldest = s
	}
	d.newest = s
	return s
}

// remove takes s out of the sets in flight. Its memory is recycled only
// when recycle is called, once the caller is done with the payload.
func (d *defrag) remove(s *fragSet) {
	delete(d.sets, s.key)
	if len(d.sets) == 0 {
		// Deleted entries leave tombstones that make the map grow, and
		// allocate, now and then; emptied, it can be reset in place. With
		// fragments completing as they come, it empties all the time.
		clear(d.sets)
	}
	d.bytes -= len(s.buf)
	if s.older != nil {
		s.older.newer = s.newer
	} else {
		d.oldest = s.newer
	}
	if s.newer != nil {
		s.newer.older = s.older
	} else {
		d.newest = s.older
	}
	s.older, s.newer = nil, nil
	d.done = append(d.done, s)
}

func (d *defrag) giveUpOn(s *fragSet, why string) {
	d.remove(s)
	d.giveUp(s, why)
}

// recycle returns the sets that left the table to the free list. The reader
// calls it before each frame, when nobody holds a set's payload any more.
func (d *defrag) recycle() {
	for i, s := range d.done {
		d.done[i] = nil
		if len(d.free) < d.maxSets {
			d.free = append(d.free, s)
		}
	}
	d.done = d.done[:0]
}

// expire gives up the sets whose first fragment is more than the timeout
// older than capture time now. Sets are in order of arrival in the file,
// which is not always the order of their timestamps: a set behind one with
// a later time waits for that one. Time that runs backwards expires nothing.
func (d *defrag) expire(now int64) {
	for d.oldest != nil && now > d.oldest.firstTime && uint64(now)-uint64(d.oldest.firstTime) > uint64(d.timeout) {
		d.giveUpOn(d.oldest, "no fragment completed it within the timeout")
	}
}

// flush gives up every set still open: the file has ended.
func (d *defrag) flush() {
	for d.oldest != nil {
		d.giveUpOn(d.oldest, "the capture ended before the datagram was complete")
	}
}
