//go:build unix

package cpuclock

import (
	"syscall"
	"time"
)

// Used is the user plus system CPU time of the process so far, 0 when it
// cannot be told.
func Used() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
