package sip

import "bytes"

// The header loops (headersFast, and headersFull for Frame) need the end
// of each header line. Searching for each '\n' on its own
// (bytes.IndexByte) costs a call and the search's setup per line of some
// forty bytes; lineEnds finds the ends of many lines in one pass,
// sixty-four bytes at a time where there is assembly for it, which took
// the SIP parse of the bench's 100 MB signalling capture some 41 M
// instructions fewer (1.5% of analyze's).

// lineEndsLen is the room lineEnds needs: it stops taking blocks once it
// holds lineEndsStop line ends, a block adds at most sixty-four, and one
// more place takes the mark that ends the list. It is a power of two so
// that a reader can mask its index rather than have it checked.
const (
	lineEndsStop = 64
	lineEndsLen  = lineEndsStop + 64
)

// The marks that end lineEnds's list: moreEnds when it stopped before
// b's end, noMoreEnds when b holds no '\n' past the last one listed.
const (
	moreEnds   = -2
	noMoreEnds = -1
)

// lineEnds stores in ends the offsets in b of the '\n's from b[from] on,
// in order, and then a mark: noMoreEnds when those are all of them, else
// moreEnds. from must start a line (follow a '\n' or start b): a '\n' no
// more than two bytes after the one before (or than from-1) may end the
// empty line that ends a header section, and it stops there, as it does
// once it has lineEndsStop ends, so that it does not run on through a body
// or the messages after on a stream. It lists at least one end before
// moreEnds, so a caller that needs more asks again from the line after
// the last end listed and gets on.
func lineEnds(b []byte, from int, ends *[lineEndsLen]int) {
	if lineEndsAsm && len(b) >= lineEndsMin {
		lineEndsAVX2(b, from, ends)
		return
	}
	lineEndsGo(b, from, ends)
}

// lineEndsGo is lineEnds in Go, for short inputs and where there is no
// assembly. It may stop at other places than lineEndsAVX2, which stops
// only between its blocks for lineEndsStop: the caller takes either.
func lineEndsGo(b []byte, from int, ends *[lineEndsLen]int) {
	last := from - 1
	for n := 0; n < lineEndsStop; n++ {
		i := bytes.IndexByte(b[last+1:], '\n')
		if i < 0 {
			ends[n] = noMoreEnds
			return
		}
		i += last + 1
		ends[n] = i
		if i-last <= 2 {
			ends[n+1] = moreEnds
			return
		}
		last = i
	}
	ends[lineEndsStop] = moreEnds
}
