package freelist

import "testing"

func TestList(t *testing.T) {
	l := List[int]{Max: 2}
	a, fresh := l.Get()
	if !fresh || *a != 0 {
		t.Fatalf("first Get: %v %v", *a, fresh)
	}
	*a = 7
	b, _ := l.Get()
	c, _ := l.Get()
	l.Put(a)
	l.Put(b)
	l.Put(c) // over Max: dropped
	if l.Len() != 2 {
		t.Fatalf("%d kept, want 2", l.Len())
	}
	if v, fresh := l.Get(); fresh || v != b {
		t.Fatalf("Get gave %p (fresh %v), want the last put, %p", v, fresh, b)
	}
	if v, _ := l.Get(); v != a || *v != 7 {
		t.Fatalf("Get gave %p, want %p as it was put", v, a)
	}
	if _, fresh := l.Get(); !fresh {
		t.Fatal("an empty list gave a used value")
	}
}
