//go:build !unix

package websocket

import "time"

func cpuTime() time.Duration { return 0 }
