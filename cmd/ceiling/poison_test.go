package main

import (
	"os"
	"testing"

	"github.com/ceiling-dev/ceiling/parse/capture"
)

// TestMain runs the CLI's tests with the SIP-over-UDP memory that the
// pipeline hands back poisoned before it is used again
// (capture.PoisonEnv): a string kept from an event past AddEvent then
// reaches the demo's summaries and reports as garbage, which their
// goldens catch. A planted retention (an uncloned reason phrase) failed
// TestDemo and TestJUnitDemo this way, and passed without it.
func TestMain(m *testing.M) {
	os.Setenv(capture.PoisonEnv, "1")
	os.Exit(m.Run())
}
