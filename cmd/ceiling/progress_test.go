package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/ceiling-dev/ceiling/parse"
)

func TestProgressLine(t *testing.T) {
	in, err := parse.Open("../../testdata/demo/spike.jtl")
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var b bytes.Buffer
	p := &progress{w: &b, start: time.Now().Add(-2 * time.Second), inputs: []*parse.Input{in}, stop: make(chan struct{})}
	in.R.Peek(1000) // read some of the file
	p.print()
	out := b.String()
	if !strings.Contains(out, "MB/s") || !strings.Contains(out, "left") || !strings.Contains(out, "of 0.2 MB") {
		t.Errorf("progress line %q", out)
	}
	if isTerminal(&b) {
		t.Error("a buffer is not a terminal")
	}
}
