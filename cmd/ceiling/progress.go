package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ceiling-dev/ceiling/parse"
)

// progress shows, on a terminal, how far a long run has read: per input
// the bytes read of its size on disk, the rate, and the time left. It is
// off when stderr is not a terminal (CI logs, pipes) or with --quiet.
type progress struct {
	w      io.Writer
	start  time.Time
	inputs []*parse.Input
	stop   chan struct{}
	done   sync.WaitGroup
	shown  bool
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// startProgress begins polling the inputs every tick. The first line is
// printed only after a second, so that short runs stay silent.
func startProgress(w io.Writer, inputs []*parse.Input, tick time.Duration) *progress {
	p := &progress{w: w, start: time.Now(), inputs: inputs, stop: make(chan struct{})}
	p.done.Add(1)
	go func() {
		defer p.done.Done()
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				if time.Since(p.start) >= time.Second {
					p.print()
				}
			}
		}
	}()
	return p
}

func (p *progress) print() {
	var read, size int64
	cur := ""
	for _, in := range p.inputs {
		r := in.BytesRead()
		read += r
		size += in.Size
		if r > 0 && r < in.Size {
			cur = fmt.Sprintf("%s %d%%", filepath.Base(in.Path), 100*r/max(in.Size, 1))
		}
	}
	el := time.Since(p.start).Seconds()
	rate := float64(read) / el
	left := "?"
	if rate > 0 && size > read {
		left = (time.Duration(float64(size-read)/rate) * time.Second / time.Second).Round(time.Second).String()
	}
	fmt.Fprintf(p.w, "\r\033[Kceiling: %s of %s (%.0f MB/s), %s left  %s", mb(read), mb(size), rate/1e6, left, cur)
	p.shown = true
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }

// end stops the display and clears its line.
func (p *progress) end() {
	if p == nil {
		return
	}
	close(p.stop)
	p.done.Wait()
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
