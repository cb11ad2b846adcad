//go:build unix

package sip

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time this process has used. The benchmarks report
// throughput per CPU-second beside the wall-clock figures because the
// machines they run on are shared: under load, wall time measures the
// neighbours.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
