package jtl

// splitBlocks finds the delimiters of line 32 and then 16 bytes at a
// time, with SSE2 compares (which every amd64 has), and stores their offsets in
// ends, which must have room for one per byte. It says how many
// delimiters it stored and how many bytes it looked through, and why it
// stopped there: before the last partial block (stopEnd), at a block
// that holds a quote (stopQuote), or at a line feed, with no quote
// before it in its block (stopLine; done is the line feed's offset, the
// delimiters before it stored). The line feed lets recordScanner.fast
// find a record's end as it splits it.
//
// It is assembly because it is the hot loop of the reader and Go has no
// vector compare: splitting eight bytes at a time in Go cost some 800
// instructions per 200-byte row, this under 300 (BenchmarkJTLReader under
// cachegrind).
//
//go:noescape
func splitBlocks(line []byte, delim byte, ends []int32) (n int, done int, stop int)
