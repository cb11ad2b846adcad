//go:build !linux

package sip

import "testing"

// pageEnd gives inputs as they are where no page can be made unreadable.
type pageEnd struct{}

func newPageEnd(t *testing.T) *pageEnd { return &pageEnd{} }

func (p *pageEnd) at(t *testing.T, b []byte) []byte { return b }
