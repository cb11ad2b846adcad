//go:build !unix

package cpuclock

import "time"

// Used is 0: the platform does not tell the CPU time here.
func Used() time.Duration { return 0 }
