//go:build race

package capture

// raceEnabled: the race detector makes sync.Pool drop items at random,
// so allocation pins do not hold under it.
const raceEnabled = true
