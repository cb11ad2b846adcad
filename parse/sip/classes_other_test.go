//go:build !amd64

package sip

// plainOnly runs f: values are read byte by byte here already.
func plainOnly(f func()) { f() }
