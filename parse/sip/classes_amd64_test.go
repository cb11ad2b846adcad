package sip

import "testing"

// TestFastPathsWithoutClasses runs the tests of the fast paths with
// the values read byte by byte alone, as they are where there is no AVX2:
// elsewhere only values shorter than a chunk are.
func TestFastPathsWithoutClasses(t *testing.T) {
	if !classesAsm {
		t.Skip("no AVX2 here: the tests run without the assembly already")
	}
	plainOnly(func() {
		t.Run("TestFastVia", TestFastVia)
		t.Run("TestFastTag", TestFastTag)
		t.Run("TestFastPathsAgree", TestFastPathsAgree)
	})
}

// plainOnly runs f with the values read byte by byte, as where there is
// no AVX2.
func plainOnly(f func()) {
	if !classesAsm {
		f()
		return
	}
	classesAsm = false
	defer func() { classesAsm = true }()
	f()
}
