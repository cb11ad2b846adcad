package cpuclock

import (
	"runtime"
	"testing"
	"time"
)

// Spinning for a while uses CPU time, and Used sees it grow by about as
// much (on a platform that tells it at all).
func TestUsedGrows(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" || runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skip("no CPU clock here")
	}
	before := Used()
	x := 0
	for end := time.Now().Add(50 * time.Millisecond); time.Now().Before(end); {
		x++
	}
	if d := Used() - before; d < 10*time.Millisecond {
		t.Fatalf("50 ms of spinning (%d rounds) used %v of CPU", x, d)
	}
}
