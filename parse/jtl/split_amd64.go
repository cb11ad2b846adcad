package jtl

// splitBlocks finds the delimiters of line 32 and then 16 bytes at a
// time, with SSE2 compares (which every amd64 has), and stores their offsets in
// ends, which must have room for one per byte. It stops before the last
// partial block, or at a block that holds a quote (quote set), and says
// how many delimiters it stored and how many bytes it looked through.
//
// It is assembly because it is the hot loop of the reader and Go has no
// vector compare: splitting eight bytes at a time in Go cost some 800
// instructions per 200-byte row, this under 300 (BenchmarkJTLReader under
// cachegrind).
//
//go:noescape
func splitBlocks(line []byte, delim byte, ends []int32) (n int, done int, quote bool)
