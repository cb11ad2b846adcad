//go:build !amd64

package jtl

// splitBlocks leaves the whole line to splitPlain's word loop where there
// is no assembly for it.
func splitBlocks(line []byte, delim byte, ends []int32) (n int, done int, stop int) {
	return 0, 0, stopEnd
}
