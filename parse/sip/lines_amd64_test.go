package sip

import "testing"

// TestFastPathsAgreeWithoutAVX2 runs TestFastPathsAgree with headersFast
// reading its line ends from lineEndsGo alone, as it does where there is
// no AVX2: elsewhere it does so only for inputs shorter than a block.
func TestFastPathsAgreeWithoutAVX2(t *testing.T) {
	if !lineEndsAsm {
		t.Skip("no AVX2 here: TestFastPathsAgree runs without it already")
	}
	lineEndsAsm = false
	t.Cleanup(func() { lineEndsAsm = true })
	TestFastPathsAgree(t)
}
