package spill

import (
	"encoding/binary"
	"fmt"
	"math/rand"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"unsafe"
)

type rec struct {
	N    int64
	S    string
	Addr netip.AddrPort
}

type recCodec struct{}

func (recCodec) Encode(b []byte, r *rec) []byte {
	b = AppendInt(b, r.N)
	b = AppendString(b, r.S)
	return AppendAddrPort(b, r.Addr)
}

func (recCodec) Decode(src []byte, r *rec, a *Arena) (int, error) {
	rd := NewReader(src)
	r.N = rd.Int()
	r.S = rd.String(a)
	r.Addr = rd.AddrPort()
	return rd.Consumed(), rd.Err
}

// TestAgainstSlice drives a log that keeps two pages of seven records in
// memory through appends, writes and reads at random, settling now and
// then, and holds it to a plain slice doing the same.
func TestAgainstSlice(t *testing.T) {
	for _, seed := range []int64{1, 2, 3} {
		rng := rand.New(rand.NewSource(seed))
		l := New[rec](recCodec{}, Options{Dir: t.TempDir(), PageItems: 7, Resident: 2})
		var want []rec
		for step := 0; step < 20000; step++ {
			switch op := rng.Intn(10); {
			case op < 4 || len(want) == 0:
				r := rec{N: rng.Int63n(1 << 40), S: strings.Repeat("x", rng.Intn(40)),
					Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(step), 1}), uint16(step))}
				if i := l.Append(r); i != len(want) {
					t.Fatalf("Append gave %d, want %d", i, len(want))
				}
				want = append(want, r)
			case op < 6:
				i := rng.Intn(len(want))
				p := l.At(i)
				p.N++
				p.S += "y"
				want[i].N++
				want[i].S += "y"
			case op < 9:
				i := rng.Intn(len(want))
				if got := l.Read(i); got != want[i] {
					t.Fatalf("seed %d step %d: record %d is %+v, want %+v", seed, step, i, got, want[i])
				}
			default:
				l.Settle()
				if l.resident > 2 {
					t.Fatalf("%d pages in memory after Settle, want ≤ 2", l.resident)
				}
			}
		}
		if !l.Spilled() {
			t.Fatal("the log never used its file")
		}
		if l.Len() != len(want) {
			t.Fatalf("Len %d, want %d", l.Len(), len(want))
		}
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range want {
					if got := l.Get(i); got != want[i] {
						t.Errorf("Get(%d) = %+v, want %+v", i, got, want[i])
						return
					}
				}
			}()
		}
		wg.Wait()
		if err := l.Err(); err != nil {
			t.Fatal(err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestNoFileLeft: the file is gone from its folder while in use, and
// nothing is left after Close.
func TestNoFileLeft(t *testing.T) {
	dir := t.TempDir()
	l := New[rec](recCodec{}, Options{Dir: dir, PageItems: 4, Resident: 2})
	for i := 0; i < 100; i++ {
		l.Append(rec{N: int64(i)})
		l.Settle()
	}
	if !l.Spilled() {
		t.Fatal("no spill")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 0 {
		t.Errorf("%d files in the folder while in use; want none (unlinked)", len(ents))
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestNowhereToSpill: a folder that cannot hold the file is an error the
// log reports, and it loses nothing: the pages stay in memory.
func TestNowhereToSpill(t *testing.T) {
	l := New[rec](recCodec{}, Options{Dir: filepath.Join(t.TempDir(), "missing"), PageItems: 4, Resident: 2})
	for i := 0; i < 100; i++ {
		l.Append(rec{N: int64(i), S: "s"})
		l.Settle()
	}
	if l.Err() == nil || !strings.Contains(l.Err().Error(), "missing") {
		t.Fatalf("Err = %v, want one naming the folder", l.Err())
	}
	for i := 0; i < 100; i++ {
		if got := l.Read(i); got.N != int64(i) || got.S != "s" {
			t.Fatalf("record %d = %+v after a failed spill", i, got)
		}
	}
}

// TestArenaStrings: strings decoded from one page do not change when the
// page is decoded again or another is.
func TestArenaStrings(t *testing.T) {
	l := New[rec](recCodec{}, Options{Dir: t.TempDir(), PageItems: 2, Resident: 2})
	for i := 0; i < 50; i++ {
		l.Append(rec{S: strings.Repeat(string(rune('a'+i%26)), 1+i%5)})
		l.Settle()
	}
	var kept []string
	for i := 0; i < 50; i++ {
		kept = append(kept, l.Get(i).S)
	}
	for i := 0; i < 50; i++ {
		l.Get(49 - i)
	}
	for i, s := range kept {
		if want := strings.Repeat(string(rune('a'+i%26)), 1+i%5); s != want {
			t.Fatalf("string %d became %q, want %q", i, s, want)
		}
	}
}

func BenchmarkSpilledPass(b *testing.B) {
	l := New[rec](recCodec{}, Options{Dir: b.TempDir(), Resident: 4})
	for i := 0; i < 1<<17; i++ {
		l.Append(rec{N: int64(i), S: "8e5b913ce750f14e-t1041-i000001@10.10.0.5"})
		l.Settle()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		for i := 0; i < l.Len(); i++ {
			_ = l.Get(i)
		}
	}
	b.SetBytes(int64(l.Len()))
}

// TestGetRun: runs of every size give the records Get gives, across page
// boundaries, from a log mostly on disk.
func TestGetRun(t *testing.T) {
	l := New[rec](recCodec{}, Options{Dir: t.TempDir(), PageItems: 7, Resident: 2})
	for i := 0; i < 100; i++ {
		l.Append(rec{N: int64(i), S: strings.Repeat("s", i%5)})
		l.Settle()
	}
	for _, size := range []int{1, 3, 7, 8, 100} {
		buf := make([]rec, size)
		var got []rec
		for i := 0; i < l.Len(); {
			k := l.GetRun(i, buf)
			if k == 0 || k > size {
				t.Fatalf("size %d: GetRun(%d) = %d", size, i, k)
			}
			got = append(got, buf[:k]...)
			i += k
		}
		for i, r := range got {
			if want := l.Get(i); r != want {
				t.Fatalf("size %d: record %d = %+v, want %+v", size, i, r, want)
			}
		}
		if len(got) != l.Len() {
			t.Fatalf("size %d: %d records, want %d", size, len(got), l.Len())
		}
	}
	if k := l.GetRun(l.Len(), make([]rec, 4)); k != 0 {
		t.Fatalf("GetRun past the end = %d", k)
	}
}

// TestReadBackWrong: a page that does not decode from the file (a disk
// that lies) sets Err, and its records read as zero values, never as
// something else.
func TestReadBackWrong(t *testing.T) {
	l := New[rec](recCodec{}, Options{Dir: t.TempDir(), PageItems: 4, Resident: 2})
	for i := 0; i < 40; i++ {
		l.Append(rec{N: int64(i + 1), S: "x"})
		l.Settle()
	}
	// Truncate the file: every page on disk is cut short.
	if err := l.f.Truncate(0); err != nil {
		t.Fatal(err)
	}
	if got := l.Get(0); got != (rec{}) {
		t.Fatalf("a record of a page that could not be read = %+v, want zero", got)
	}
	if l.Err() == nil {
		t.Fatal("no error after a page read back wrong")
	}
	if got := l.Get(39); got.N != 40 {
		t.Fatalf("the last page, in memory, = %+v", got)
	}
}

// recCodec's head is N and Addr: S is what Heads leaves out.
func (recCodec) DecodeHead(src []byte, r *rec, _ *Arena) (int, error) {
	rd := NewReader(src)
	r.N = rd.Int()
	rd.Skip()
	r.S = ""
	r.Addr = rd.AddrPort()
	return rd.Consumed(), rd.Err
}

func (recCodec) TrimHead(r *rec) { r.S = "" }

// TestHeads: Heads gives every record's head in order, from pages in
// memory and on disk alike, stops when told, leaves the pages in memory
// as they were, and lets yield call Get.
func TestHeads(t *testing.T) {
	l := New[rec](recCodec{}, Options{Dir: t.TempDir(), PageItems: 7, Resident: 2})
	for i := 0; i < 100; i++ {
		l.Append(rec{N: int64(i), S: strings.Repeat("s", 1+i%5), Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}), uint16(i))})
		l.Settle()
	}
	l.Get(3) // page 0 in memory, the others mostly not
	before := l.resident
	n := 0
	l.Heads(func(i int, h *rec) bool {
		whole := l.Get(i)
		if i != n || h.N != whole.N || h.Addr != whole.Addr || h.S != "" || whole.S == "" {
			t.Fatalf("head %d (the %dth) = %+v, record %+v", i, n, *h, whole)
		}
		n++
		return true
	})
	if n != l.Len() {
		t.Fatalf("%d heads of %d records", n, l.Len())
	}
	if l.resident > before+1 {
		t.Fatalf("%d pages in memory after Heads, %d before", l.resident, before)
	}
	n = l.Len()
	l.HeadsBackward(func(i int, h *rec) bool {
		if n--; i != n || h.N != int64(i) || h.S != "" {
			t.Fatalf("backward: head %d (expected %d) = %+v", i, n, *h)
		}
		return true
	})
	if n != 0 {
		t.Fatalf("backward: stopped at %d", n)
	}
	n = 0
	l.Heads(func(i int, h *rec) bool { n++; return i < 9 })
	if n != 10 {
		t.Fatalf("Heads went on to %d records after yield said stop at the 10th", n)
	}
	if l.Err() != nil {
		t.Fatal(l.Err())
	}
	// A page cut short on disk: Err, and zero heads, never others.
	if err := l.f.Truncate(0); err != nil {
		t.Fatal(err)
	}
	zero := 0
	l.Heads(func(i int, h *rec) bool {
		if *h == (rec{}) {
			zero++
		} else if h.N != int64(i) {
			t.Fatalf("head %d = %+v after the file was cut", i, *h)
		}
		return true
	})
	if l.Err() == nil || zero == 0 {
		t.Fatalf("a file cut short: Err %v, %d zero heads", l.Err(), zero)
	}
}

// TestHeadsChunked: a forward pass copies a page in memory a few records
// at a time; a yield that reads other pages pushes the page being read out
// of memory between two of its chunks, or in the middle of one, and the
// pass still yields every head once, in order, and stops where yield says.
func TestHeadsChunked(t *testing.T) {
	defer func(c int) { headChunk = c }(headChunk)
	headChunk = 3
	for _, resident := range []int{1, 2, 3, 20} {
		l := New[rec](recCodec{}, Options{Dir: t.TempDir(), PageItems: 7, Resident: resident})
		const n = 100
		for i := 0; i < n; i++ {
			l.Append(rec{N: int64(i), S: strings.Repeat("s", 1+i%5), Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}), uint16(i))})
		}
		l.Settle()
		for _, every := range []int{1, 2, 5, 1000} {
			// The first page in memory when the pass starts: the
			// least recently used, and so the first pushed out.
			l.Get(0)
			next := 0
			l.Heads(func(i int, h *rec) bool {
				if i != next || h.N != int64(i) || h.Addr.Port() != uint16(i) || h.S != "" {
					t.Fatalf("resident %d, a read every %d: head %d (expected %d) = %+v", resident, every, i, next, *h)
				}
				next++
				if i%every == 0 {
					// Pages far from this one, into memory: this one out.
					l.Get((i + 50) % n)
					l.Get((i + 80) % n)
				}
				return true
			})
			if next != n {
				t.Fatalf("resident %d, a read every %d: %d heads of %d", resident, every, next, n)
			}
		}
		for start := 0; start < n; start += 5 {
			l.Get(start)
			r := l.HeadsFrom(start)
			next := start
			for i, h, ok := r.Next(); ok; i, h, ok = r.Next() {
				if i != next || h.N != int64(i) || h.S != "" {
					t.Fatalf("resident %d, HeadsFrom(%d): head %d (expected %d) = %+v", resident, start, i, next, *h)
				}
				next++
				if i%4 == 0 {
					l.Get((i + 50) % n)
				}
			}
			if next != n {
				t.Fatalf("resident %d, HeadsFrom(%d) ended at %d of %d", resident, start, next, n)
			}
		}
		for _, stop := range []int{0, 1, 2, 3, 6, 7, 8, 99} {
			got := 0
			l.Heads(func(i int, h *rec) bool { got++; return i < stop })
			if got != stop+1 {
				t.Fatalf("resident %d: yield said stop at head %d, and %d were yielded", resident, stop, got)
			}
		}
		if l.Err() != nil {
			t.Fatal(l.Err())
		}
	}
}

// TestHeadsFrom holds a HeadReader to a plain slice: from every start,
// through pages in memory and on disk, with records changed behind it
// and the log growing while it reads; and zero heads, never others, once
// a page cannot be read back.
func TestHeadsFrom(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	l := New[rec](recCodec{}, Options{Dir: t.TempDir(), PageItems: 7, Resident: 2})
	var want []rec
	add := func() {
		i := len(want)
		r := rec{N: rng.Int63n(1 << 40), S: strings.Repeat("s", 1+i%5), Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}), uint16(i))}
		l.Append(r)
		l.Settle()
		want = append(want, r)
	}
	for range 60 {
		add()
	}
	if _, _, ok := New[rec](recCodec{}, Options{}).HeadsFrom(0).Next(); ok {
		t.Fatal("a head from an empty log")
	}
	for start := range len(want) + 2 {
		r := l.HeadsFrom(start)
		next := start
		for {
			i, h, ok := r.Next()
			if !ok {
				break
			}
			head := want[i]
			head.S = ""
			if i != next || *h != head {
				t.Fatalf("from %d: head %d (expected %d) = %+v, want %+v", start, i, next, *h, head)
			}
			next++
			// Records already read may change, and the log may grow,
			// while the reader goes on.
			if rng.Intn(3) == 0 {
				l.At(i).N++
				want[i].N++
				l.Settle()
			}
			if start == 5 && i%10 == 0 {
				add()
			}
		}
		if next < len(want) {
			t.Fatalf("from %d: stopped at %d of %d", start, next, len(want))
		}
	}
	if l.Err() != nil {
		t.Fatal(l.Err())
	}
	if err := l.f.Truncate(0); err != nil {
		t.Fatal(err)
	}
	zero := 0
	for r := l.HeadsFrom(3); ; {
		i, h, ok := r.Next()
		if !ok {
			break
		}
		if *h == (rec{}) {
			zero++
		} else if h.N != want[i].N {
			t.Fatalf("head %d = %+v after the file was cut", i, *h)
		}
	}
	if l.Err() == nil || zero == 0 {
		t.Fatalf("a file cut short: Err %v, %d zero heads", l.Err(), zero)
	}
}

// TestHeadsCorruptRecord: a page on disk holding a record that does not
// decode, read by each kind of pass, sets Err to say which, and reads
// the records before it as they are and the rest as zeroes.
func TestHeadsCorruptRecord(t *testing.T) {
	passes := map[string]func(l *Log[rec], see func(i int, h *rec)){
		"Heads": func(l *Log[rec], see func(int, *rec)) {
			l.Heads(func(i int, h *rec) bool { see(i, h); return true })
		},
		"HeadsBackward": func(l *Log[rec], see func(int, *rec)) {
			l.HeadsBackward(func(i int, h *rec) bool { see(i, h); return true })
		},
		"HeadsFrom": func(l *Log[rec], see func(int, *rec)) {
			// From within the page: the records before are read past.
			for r := l.HeadsFrom(8); ; {
				i, h, ok := r.Next()
				if !ok {
					return
				}
				see(i, h)
			}
		},
		"PartsOf": func(l *Log[rec], see func(int, *rec)) {
			var buf []byte
			for j, h := range l.PartsOf(1, Part[rec]{Decode: recCodec{}.DecodeHead}, nil, &buf) {
				see(7+j, &h)
			}
		},
	}
	for name, pass := range passes {
		l := New[rec](recCodec{}, Options{Dir: t.TempDir(), PageItems: 7, Resident: 2})
		for i := range 40 {
			l.Append(rec{N: int64(i + 1), S: "xy"})
			l.Settle()
		}
		// Record 10, the fourth of page 1: its string longer than the
		// page, read past its N (which a decoder that stops there has
		// set, and the pass must not give).
		off := l.pages[1].off
		for i := 7; i < 10; i++ {
			off += int64(len(recCodec{}.Encode(nil, &rec{N: int64(i + 1), S: "xy"})))
		}
		if _, err := l.f.WriteAt([]byte{0x7f}, off+1); err != nil {
			t.Fatal(err)
		}
		seen := 0
		pass(l, func(i int, h *rec) {
			want := rec{N: int64(i + 1)}
			if i >= 10 && i < 14 {
				want = rec{}
			}
			if i >= 7 && i < 14 && *h != want {
				t.Errorf("%s: head %d = %+v, want %+v", name, i, *h, want)
			}
			if i >= 7 && i < 14 {
				seen++
			}
		})
		if want := map[bool]int{true: 6, false: 7}[name == "HeadsFrom"]; seen != want {
			t.Errorf("%s: %d heads of page 1, want %d", name, seen, want)
		}
		if err := l.Err(); err == nil || err.Error() != "spill: page 1 record 3: record cut short" {
			t.Errorf("%s: Err %v", name, err)
		}
	}
}

// TestPartsFrom: a Part that reads the whole record, its string made of
// the reader's page (Alias), against a plain slice, from pages in memory
// and on disk; each string whole until the reader reads another page.
func TestPartsFrom(t *testing.T) {
	l := New[rec](recCodec{}, Options{Dir: t.TempDir(), PageItems: 7, Resident: 2})
	var want []rec
	for i := range 60 {
		r := rec{N: int64(i), S: strings.Repeat(string(rune('a'+i%26)), 1+i%9), Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}), uint16(i))}
		l.Append(r)
		l.Settle()
		want = append(want, r)
	}
	l.Get(10) // a page in memory among those on disk
	part := Part[rec]{Decode: recCodec{}.Decode, Trim: func(r *rec) { r.N = 0 }, Alias: true}
	for _, start := range []int{0, 9, 59, 60} {
		r := l.PartsFrom(start, part)
		next := start
		var page []string // the strings read from the current page
		for {
			i, v, ok := r.Next()
			if !ok {
				break
			}
			if i%7 == 0 {
				page = page[:0]
			}
			page = append(page, v.S)
			w := want[i]
			if l.pages[i/7].items != nil {
				w.N = 0 // the Part's trim, on a page in memory
			}
			if i != next || *v != w {
				t.Fatalf("from %d: record %d (expected %d) = %+v, want %+v", start, i, next, *v, w)
			}
			for k, s := range page {
				if j := i - len(page) + 1 + k; s != want[j].S {
					t.Fatalf("from %d at %d: record %d's string is now %q, want %q", start, i, j, s, want[j].S)
				}
			}
			next++
		}
		if next != len(want) {
			t.Fatalf("from %d: stopped at %d of %d", start, next, len(want))
		}
	}
	if l.Err() != nil {
		t.Fatal(l.Err())
	}
}

// TestHeadsBeside: passes over a log no longer written run side by side,
// forwards, backwards, through HeadReaders and Get, over pages in memory
// and on disk; each sees every head as it is (and -race sees no read of
// the page buffers or the file shared between passes).
func TestHeadsBeside(t *testing.T) {
	l := New[rec](recCodec{}, Options{Dir: t.TempDir(), PageItems: 7, Resident: 2})
	const n = 500
	for i := 0; i < n; i++ {
		l.Append(rec{N: int64(i), S: strings.Repeat("s", 1+i%5), Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), uint16(i))})
		l.Settle()
	}
	check := func(how string, i int, h *rec) bool {
		if h.N != int64(i) || h.Addr.Port() != uint16(i) || h.S != "" {
			t.Errorf("%s: head %d = %+v", how, i, *h)
			return false
		}
		return true
	}
	passes := []func(){
		func() { l.Heads(func(i int, h *rec) bool { return check("Heads", i, h) }) },
		func() { l.HeadsBackward(func(i int, h *rec) bool { return check("HeadsBackward", i, h) }) },
		func() {
			r := l.HeadsFrom(0)
			for i, h, ok := r.Next(); ok; i, h, ok = r.Next() {
				if !check("HeadsFrom", i, h) {
					return
				}
			}
		},
		func() {
			for i := 0; i < n; i++ {
				if r := l.Get(i); r.N != int64(i) || r.S != strings.Repeat("s", 1+i%5) {
					t.Errorf("Get(%d) = %+v", i, r)
					return
				}
			}
		},
	}
	var wg sync.WaitGroup
	for round := 0; round < 20; round++ {
		for _, pass := range passes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				pass()
			}()
		}
	}
	wg.Wait()
	if err := l.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestHeadsBackwardFrom: from any record, within a page or at its ends,
// in memory or on disk, the pass yields that record and every one before
// it, latest first; from past the last, all; from below the first, none.
func TestHeadsBackwardFrom(t *testing.T) {
	l := New[rec](recCodec{}, Options{Dir: t.TempDir(), PageItems: 7, Resident: 2})
	const n = 40
	for i := 0; i < n; i++ {
		l.Append(rec{N: int64(i), S: "s", Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}), uint16(i))})
		l.Settle()
	}
	for _, tc := range []struct{ from, first, count int }{
		{0, 0, 1}, {6, 6, 7}, {7, 7, 8}, {20, 20, 21}, {n - 1, n - 1, n}, {n, n - 1, n}, {1 << 20, n - 1, n}, {-1, 0, 0},
	} {
		got, next := 0, tc.first
		l.HeadsBackwardFrom(tc.from, func(i int, h *rec) bool {
			if i != next || h.N != int64(i) || h.S != "" {
				t.Errorf("from %d: head %+v at %d, want record %d", tc.from, *h, i, next)
			}
			next--
			got++
			return true
		})
		if got != tc.count {
			t.Errorf("from %d: %d heads, want %d", tc.from, got, tc.count)
		}
	}
	got := 0
	l.HeadsBackwardFrom(30, func(i int, h *rec) bool { got++; return i > 25 })
	if got != 6 {
		t.Errorf("from 30, stopping at 25: %d heads, want 6", got)
	}
	if err := l.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestWords: strings numbered in the order first seen, up to max, the
// rest written whole, whichever of them Append's recent slots hold; read
// back as given. The strings share slots (same length and ends) and come
// back after others took their slot.
func TestWords(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	var pool []string
	for i := range 300 {
		pool = append(pool, fmt.Sprintf("Thread Group 1-%d", i), fmt.Sprint(100+i%500), "")
	}
	pool = append(pool, "a", "b", "ab", "ba", "aXb", "aYb")
	for _, max := range []int{0, 1, 50, 4096} {
		w := NewWords(max)
		want := map[string]uint64{}
		var b []byte
		var in []string
		for range 20000 {
			s := pool[rng.Intn(len(pool))]
			if rng.Intn(4) == 0 {
				s = pool[len(pool)-1-rng.Intn(6)]
			}
			// A copy of its own: the slots must compare bytes, not addresses.
			s = string([]byte(s))
			id, ok := want[s]
			if !ok && len(want) < max {
				id = uint64(len(want) + 1)
				want[s] = id
			}
			before := len(b)
			b = w.Append(b, s)
			r := NewReader(b[before:])
			if got := r.Uint(); got != id {
				t.Fatalf("max %d: %q numbered %d, want %d", max, s, got, id)
			}
			in = append(in, s)
		}
		r := NewReader(b)
		var a Arena
		for i, s := range in {
			if got := r.Word(w, &a); got != s || r.Err != nil {
				t.Fatalf("max %d: word %d read %q (%v), want %q", max, i, got, r.Err, s)
			}
		}
	}
}

// TestWriteAgainstSlice is TestAgainstSlice with Write among the ways in:
// records written from a buffer that is written over after each Write,
// runs of them long enough to fill pages kept encoded in memory and in
// the file, and between them appends, changes, reads, head passes and
// parts of whole records read, all held to a plain slice.
func TestWriteAgainstSlice(t *testing.T) {
	for _, seed := range []int64{1, 2, 3, 4} {
		rng := rand.New(rand.NewSource(seed))
		l := New[rec](recCodec{}, Options{Dir: t.TempDir(), PageItems: 7, Resident: 3})
		var want []rec
		src := make([]byte, 64)
		write := func(step int) {
			n := rng.Intn(40)
			for i := range n {
				src[i] = byte('a' + (step+i)%26)
			}
			r := rec{N: rng.Int63n(1 << 40), S: unsafe.String(&src[0], n),
				Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(step), 1}), uint16(step))}
			l.Write(&r)
			r.S = strings.Clone(r.S)
			want = append(want, r)
			for i := range src {
				src[i] = '!'
			}
		}
		check := func(step int, what string, i int, got, want rec) {
			if got != want {
				t.Fatalf("seed %d step %d: %s of record %d is %+v, want %+v (%v)", seed, step, what, i, got, want, l.Err())
			}
		}
		for step := 0; step < 2500; step++ {
			switch op := rng.Intn(20); {
			case op < 2 || len(want) == 0:
				for range 1 + rng.Intn(30) {
					write(step)
				}
			case op < 6:
				write(step)
			case op < 8:
				r := rec{N: int64(step), S: strings.Repeat("z", rng.Intn(5))}
				if i := l.Append(r); i != len(want) {
					t.Fatalf("Append gave %d, want %d", i, len(want))
				}
				want = append(want, r)
			case op < 10:
				i := rng.Intn(len(want))
				p := l.At(i)
				p.N++
				p.S += "y"
				want[i].N++
				want[i].S += "y"
			case op < 15:
				i := rng.Intn(len(want))
				check(step, "Read", i, l.Read(i), want[i])
			case op < 16:
				l.Heads(func(i int, h *rec) bool {
					w := want[i]
					w.S = ""
					check(step, "Heads", i, *h, w)
					return true
				})
			case op < 17:
				start := rng.Intn(len(want))
				r := l.PartsFrom(start, Part[rec]{Decode: recCodec{}.Decode, Trim: func(*rec) {}, Alias: true})
				for {
					i, h, ok := r.Next()
					if !ok {
						break
					}
					check(step, "PartsFrom", i, *h, want[i])
				}
			default:
				l.Settle()
				if l.resident > 3 {
					t.Fatalf("%d pages in memory after Settle, want ≤ 3", l.resident)
				}
			}
		}
		if !l.Spilled() {
			t.Fatal("the log never used its file")
		}
		for i := range want {
			check(-1, "Get", i, l.Get(i), want[i])
		}
		if err := l.Err(); err != nil {
			t.Fatal(err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestWriteKeepsPagesEncoded: a log written with Write holds its first
// Options.Resident pages encoded in memory and puts the rest in the file
// as they fill, and a small one never makes a file.
func TestWriteKeepsPagesEncoded(t *testing.T) {
	for _, n := range []int{0, 5, 12, 40, 41, 200} {
		l := New[rec](recCodec{}, Options{Dir: t.TempDir(), PageItems: 4, Resident: 10})
		for i := range n {
			l.Write(&rec{N: int64(i), S: "s"})
		}
		if spilled := n/4 > 10; l.Spilled() != spilled {
			t.Errorf("%d records: spilled %v, want %v", n, l.Spilled(), spilled)
		}
		for k, p := range l.pages {
			if p.items != nil {
				t.Errorf("%d records: page %d decoded while written", n, k)
			}
			if inMemory := k < 10 && (k+1)*4 <= n; (p.enc != nil) != inMemory {
				t.Errorf("%d records: page %d held encoded %v, want %v", n, k, p.enc != nil, inMemory)
			}
		}
		for i := range n {
			if got := l.Read(i); got.N != int64(i) || got.S != "s" {
				t.Fatalf("%d records: record %d is %+v", n, i, got)
			}
			l.Settle()
		}
	}
}

// TestUvarint holds Uvarint and Varint to encoding/binary's on every
// varint length from one byte to ten, at every offset in a buffer that
// ends at, just after, or well after the varint, on bytes that are not
// varints (no end within ten bytes, a tenth byte that overflows), and on
// random bytes.
func TestUvarint(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	check := func(b []byte) {
		t.Helper()
		wu, wk := binary.Uvarint(b)
		gu, gk := Uvarint(b)
		ws, wsk := binary.Varint(b)
		gs, gsk := Varint(b)
		if wu != gu || wk != gk || ws != gs || wsk != gsk {
			t.Fatalf("% x: Uvarint %d, %d want %d, %d; Varint %d, %d want %d, %d", b, gu, gk, wu, wk, gs, gsk, ws, wsk)
		}
	}
	for bitsLen := 0; bitsLen <= 64; bitsLen++ {
		for range 50 {
			v := rng.Uint64()
			if bitsLen < 64 {
				v &= 1<<bitsLen - 1
			}
			enc := binary.AppendUvarint(nil, v)
			for tail := 0; tail <= 9; tail++ {
				b := append(append([]byte(nil), enc...), make([]byte, tail)...)
				for i := len(enc); i < len(b); i++ {
					b[i] = byte(rng.Intn(256))
				}
				check(b)
				check(b[:len(enc)-1]) // cut short
			}
		}
	}
	for n := 0; n <= 16; n++ {
		b := make([]byte, n)
		for i := range b {
			b[i] = 0x80 | byte(rng.Intn(128))
		}
		check(b) // no end
		if n >= 10 {
			b[9] = 2 // a tenth byte past 64 bits
			check(b)
		}
	}
	for range 100000 {
		b := make([]byte, rng.Intn(14))
		for i := range b {
			b[i] = byte(rng.Intn(256))
			if rng.Intn(3) > 0 {
				b[i] |= 0x80
			}
		}
		check(b)
	}
}

// TestPartsOfAppends: PartsOf appends a page's parts after what dst
// holds, leaving that as it was, whether the page is on disk or in
// memory; a reader that keeps several pages of parts in one slice relies
// on it.
func TestPartsOfAppends(t *testing.T) {
	l := New[rec](recCodec{}, Options{Dir: t.TempDir(), PageItems: 7, Resident: 2})
	for i := range 40 {
		l.Append(rec{N: int64(i), S: "s", Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}), uint16(i))})
		l.Settle()
	}
	l.Get(10) // page 1 in memory, pages 0, 2 and 3 on disk
	part := Part[rec]{Decode: recCodec{}.DecodeHead, Trim: recCodec{}.TrimHead}
	for _, c := range []struct {
		name  string
		pages []int
	}{
		{"on disk after on disk", []int{0, 2}},
		{"in memory after on disk", []int{3, 1}},
		{"on disk after in memory", []int{1, 0}},
		{"the last page, part full", []int{2, 5}},
	} {
		var dst []rec
		var buf []byte
		var want []int64
		for _, k := range c.pages {
			if l.pages[k].items == nil && l.pages[k].size < 0 {
				t.Fatalf("%s: page %d neither in memory nor on disk", c.name, k)
			}
			dst = l.PartsOf(k, part, dst, &buf)
			for i := k * 7; i < min(k*7+7, l.Len()); i++ {
				want = append(want, int64(i))
			}
		}
		if len(dst) != len(want) {
			t.Fatalf("%s: %d parts, want %d", c.name, len(dst), len(want))
		}
		for j, r := range dst {
			if r.N != want[j] || r.S != "" || r.Addr.Port() != uint16(want[j]) {
				t.Fatalf("%s: part %d = %+v, want record %d's head", c.name, j, r, want[j])
			}
		}
	}
	if l.Err() != nil {
		t.Fatal(l.Err())
	}
}
