package main

// Exit codes, documented in README.md. CI jobs branch on them.
const (
	// ExitOK: the analysis ran (whatever the verdict).
	ExitOK = 0
	// ExitFailed: a --fail-on criterion failed (CI gate).
	ExitFailed = 1
	// ExitUsage: the command line is wrong.
	ExitUsage = 2
	// ExitBadInput: an input could not be read at all.
	ExitBadInput = 3
	// ExitOutput: a report could not be written.
	ExitOutput = 4
)
