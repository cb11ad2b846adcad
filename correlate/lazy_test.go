package correlate

import "testing"

// TestDetailStoreAt: every record is found by its number, across the
// small chunks and the large ones.
func TestDetailStoreAt(t *testing.T) {
	var s detailStore
	const n = 3*lazyChunk + 17
	for i := 0; i < n; i++ {
		if got := s.add(lazyDetail{line: int64(i)}); got != uint32(i+1) {
			t.Fatalf("record %d numbered %d", i, got)
		}
	}
	for i := 0; i < n; i++ {
		if d := s.at(uint32(i + 1)); d == nil || d.line != int64(i) {
			t.Fatalf("record %d: %+v", i+1, d)
		}
	}
	if s.at(0) != nil || s.at(n+1) != nil {
		t.Fatal("numbers out of range found a record")
	}
}
