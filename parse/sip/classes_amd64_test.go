package sip

import "testing"

// TestFastPathsWithoutClasses runs the tests of the fast paths with
// the values read by plainRun alone, as they are where there is no AVX2:
// elsewhere plainRun reads only values shorter than classify takes.
func TestFastPathsWithoutClasses(t *testing.T) {
	if !classesAsm {
		t.Skip("no AVX2 here: the tests run without classify already")
	}
	classesAsm = false
	t.Cleanup(func() { classesAsm = true })
	t.Run("TestFastVia", TestFastVia)
	t.Run("TestFastTag", TestFastTag)
	t.Run("TestFastPathsAgree", TestFastPathsAgree)
}
