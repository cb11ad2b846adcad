package correlate

import "testing"

// TestDetailStoreAt: every record is found by its number, with most of
// them written to the file and read back.
func TestDetailStoreAt(t *testing.T) {
	s := newDetailStore(SpillOptions{Dir: t.TempDir()})
	const n = 30*(1<<14) + 17
	for i := 0; i < n; i++ {
		if got := s.add(lazyDetail{line: int64(i), shape: uint32(i % 7), sampleOnly: i%3 == 0, start: -int64(i)}); got != uint32(i+1) {
			t.Fatalf("record %d numbered %d", i, got)
		}
	}
	if !s.recs.Spilled() {
		t.Fatal("the store never went to disk")
	}
	for i := 0; i < n; i++ {
		d, ok := s.at(uint32(i + 1))
		if !ok || d.line != int64(i) || d.shape != uint32(i%7) || d.sampleOnly != (i%3 == 0) || d.start != -int64(i) {
			t.Fatalf("record %d: %+v", i+1, d)
		}
	}
	if _, ok := s.at(0); ok {
		t.Fatal("number 0 found a record")
	}
	if _, ok := s.at(n + 1); ok {
		t.Fatal("a number past the end found a record")
	}
	if err := s.recs.Err(); err != nil {
		t.Fatal(err)
	}
}
