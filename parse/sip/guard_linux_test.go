package sip

import (
	"syscall"
	"testing"
)

// pageEnd places inputs so that they end where a page ends, the next page
// unreadable: a search that reads past its input's end faults there.
type pageEnd struct{ page []byte }

func newPageEnd(t *testing.T) *pageEnd {
	t.Helper()
	size := syscall.Getpagesize()
	m, err := syscall.Mmap(-1, 0, 2*size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatal("mmap:", err)
	}
	t.Cleanup(func() { syscall.Munmap(m) })
	if err := syscall.Mprotect(m[size:], syscall.PROT_NONE); err != nil {
		t.Fatal("mprotect:", err)
	}
	return &pageEnd{page: m[:size:size]}
}

// at returns a copy of b that ends at the page's end.
func (p *pageEnd) at(t *testing.T, b []byte) []byte {
	if len(b) > len(p.page) {
		t.Fatalf("%d bytes do not fit a page", len(b))
	}
	c := p.page[len(p.page)-len(b):]
	copy(c, b)
	return c
}
