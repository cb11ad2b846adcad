package cpuclock

import (
	"runtime"
	"testing"
	"time"
)

// Spinning uses CPU time, and Used sees it grow. The spin is bounded by
// the CPU clock, not the wall clock: on a loaded machine 50 ms of wall
// time got 9.7 ms of CPU, and a test that asked for 10 failed for the
// neighbours' sake. The wall-clock bound only stops a clock that never
// moves.
func TestUsedGrows(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" || runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skip("no CPU clock here")
	}
	const want = 20 * time.Millisecond
	before := Used()
	start := time.Now()
	x := 0
	for Used()-before < want {
		if time.Since(start) > 30*time.Second {
			t.Fatalf("30 s of spinning (%d rounds) used %v of CPU, want %v", x, Used()-before, want)
		}
		x++
	}
	// Nor may the clock run ahead of the time that passed on every CPU
	// (a clock in the wrong unit would).
	if d, wall := Used()-before, time.Since(start); d > time.Duration(runtime.NumCPU())*wall+10*time.Millisecond {
		t.Fatalf("%v of CPU in %v of wall time on %d CPUs", d, wall, runtime.NumCPU())
	}
}
