package correlate

import (
	"slices"
	"unsafe"

	"github.com/ceiling-dev/ceiling/parse/jtl"
)

// idMemo is a sample's look-up, made ahead by AddSamples: the hash of id
// in index x, and where its keys lie in the index (idIndex.run).
type idMemo struct {
	x   *idIndex
	id  string
	h   uint64
	run keyRun
}

// readAheadSamples looks the samples' IDs up and reads the memory their
// joins will read, into a.hashes: see AddSamples. Each pass reads for
// every sample what the one before made sure is in the caches, or on its
// way. Without a capture, or with no IDs in it, there is nothing to look
// up, and the passes over the IDs are skipped.
func (a *Analyzer) readAheadSamples(samples []jtl.Sample) {
	a.hashes = slices.Grow(a.hashes[:0], len(samples))[:len(samples)]
	indexed := a.callIndex.len() > 0 || a.traceIndex.len() > 0
	var sink uint64
	if indexed {
		sink += a.hashAhead(samples)
	} else {
		clear(a.hashes)
	}
	// For a sample JMeter marked failed, the set of the cache of
	// failures' strings (jtlBook.shapeOf) that its join or its attempt
	// known only from the JTL reads.
	sink += a.jtl.touchShapes(samples)
	if indexed {
		// The runs of the hashes, from the keys now read.
		for i := range a.hashes {
			if m := &a.hashes[i]; m.x != nil {
				m.run = m.x.runIn(m.h, m.run)
			}
		}
	}
	a.touched += sink
}

// hashAhead hashes the ID each sample is joined by (AddSample's order),
// notes the bucket each hash falls in and reads the bucket's first keys,
// and returns what it read.
func (a *Analyzer) hashAhead(samples []jtl.Sample) uint64 {
	for i := range samples {
		m := idMemo{}
		switch s := &samples[i]; {
		case s.CallID != "" && a.callIndex.len() > 0:
			m = idMemo{x: a.callIndex, id: s.CallID, h: a.callIndex.hash(s.CallID)}
		case s.TraceID != "" && a.traceIndex.len() > 0:
			m = idMemo{x: a.traceIndex, id: s.TraceID, h: a.traceIndex.hash(s.TraceID)}
		}
		a.hashes[i] = m
	}
	// Where each hash's bucket lies, apart from the hashing: a loop of a
	// few instructions keeps many of these reads on their way at once.
	a.callIndex.build()
	a.traceIndex.build()
	for i := range a.hashes {
		if m := &a.hashes[i]; m.x != nil {
			m.run = m.x.bucketBuilt(m.h)
		}
	}
	// The first line of each bucket's keys (8 to 16 of them): the run
	// looked for is often there, and reading the bucket's last line as
	// well read 10% more lines past the last level (cachegrind, 300 MB).
	var sink uint64
	for i := range a.hashes {
		if m := &a.hashes[i]; m.run.lo < m.run.hi {
			sink += m.x.keys[m.run.lo]
		}
	}
	return sink
}

// touchShapes reads the sets of the shape cache where shapeOf will look
// for the strings of each sample JMeter marked failed, and returns what
// it read.
func (b *jtlBook) touchShapes(samples []jtl.Sample) uint64 {
	if b.shapeCache == nil {
		return 0
	}
	var sum uint64
	for i := range samples {
		if s := &samples[i]; !s.Success {
			h := shapeHash(place(s.Label), place(s.Code), place(s.Message), place(s.Thread), place(s.Host), uint32(len(s.Thread)))
			sum += uint64(b.shapeCache[h>>(64-shapeBits)][0].i1)
		}
	}
	return sum
}

// place is where s's bytes lie, 0 for an empty s: as shapeOf keys them.
func place(s string) uintptr {
	if len(s) == 0 {
		return 0
	}
	return uintptr(unsafe.Pointer(unsafe.StringData(s)))
}
