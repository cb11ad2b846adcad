package correlate

import (
	"fmt"
	"math/rand"
	"testing"
	"unsafe"
)

// TestWordBook: a word reads as given after the message it came from is
// written over, and the words of a storm share one copy each, whichever
// slot of recent they take turns in.
func TestWordBook(t *testing.T) {
	var b wordBook
	pool := []string{"", "Service Unavailable", "Server Internal Error", "SIP;cause=503", "399 edge \"overload\"", "a", "b", "ab", "ba"}
	for i := range 100 {
		pool = append(pool, fmt.Sprintf("edge-%d", i))
	}
	rng := rand.New(rand.NewSource(2))
	first := map[string]string{}
	for range 20000 {
		want := pool[rng.Intn(len(pool))]
		src := []byte(want)
		// As a header value is: a view of the message's bytes.
		view := ""
		if len(src) > 0 {
			view = unsafe.String(&src[0], len(src))
		}
		got := b.get(view)
		for i := range src {
			src[i] = '!'
		}
		if got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
		if f, ok := first[want]; ok && want != "" && unsafe.StringData(f) != unsafe.StringData(got) {
			t.Fatalf("%q: a copy of its own again", want)
		}
		first[want] = got
	}
}
