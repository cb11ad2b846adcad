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
	// ExitRegression: ceiling compare found NEW worse than OLD (a first
	// failure fell beyond --tolerance, a failure appeared, or a lower
	// layer failed first). Apart from ExitFailed so that a job can tell
	// "this run breaks its own criteria" from "this run is worse than
	// the last".
	ExitRegression = 5
)
