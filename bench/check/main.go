// Command check compares ceiling's JSON summary with what
// internal/cmd/gencap wrote into expected.json, and says what differs:
//
//	go run ./bench/check expected.json summary.json
//
// It checks the verdict (layer, status, kind), and per layer (sip, tcp,
// websocket) the attempts, the failures, the SIP codes and the first
// failure (concurrency, edge, Call-ID); that every JTL sample was matched
// and nothing skipped. Exit status 0 when all agree, 1 when something
// differs, 2 when a file cannot be read.
package main

import (
	"encoding/json"
	"fmt"
	"os"
)

type point struct {
	Concurrency int    `json:"concurrency"`
	Listener    int    `json:"listener_concurrency"`
	Edge        string `json:"edge"`
	CallID      string `json:"call_id"`
	Status      string `json:"status"`
}

type layer struct {
	Attempts     int64            `json:"attempts"`
	Failures     int64            `json:"failures"`
	Codes        map[string]int64 `json:"codes"`
	FirstFailure *point           `json:"first_failure"`
}

type verdict struct {
	Layer        string `json:"layer"`
	Status       string `json:"status"`
	Kind         string `json:"kind"`
	FirstFailure *point `json:"first_failure"`
}

type expected struct {
	Verdict verdict          `json:"verdict"`
	Layers  map[string]layer `json:"layers"`
	JTL     struct {
		Rows int64 `json:"rows"`
	} `json:"jtl"`
}

type summary struct {
	Verdict verdict          `json:"verdict"`
	Layers  map[string]layer `json:"layers"`
	Inputs  []struct {
		Path    string `json:"path"`
		Skipped int64  `json:"skipped"`
	} `json:"inputs"`
	Correlation struct {
		JTLSamples int64 `json:"jtl_samples"`
		Matched    int64 `json:"matched"`
	} `json:"correlation"`
}

func load(path string, v any) {
	b, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "check:", err)
		os.Exit(2)
	}
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: check expected.json summary.json")
		os.Exit(2)
	}
	var exp expected
	var got summary
	load(os.Args[1], &exp)
	load(os.Args[2], &got)

	var diffs []string
	differ := func(format string, a ...any) { diffs = append(diffs, fmt.Sprintf(format, a...)) }
	ev, gv := exp.Verdict, got.Verdict
	if ev.Layer != gv.Layer || ev.Status != gv.Status || ev.Kind != gv.Kind {
		differ("verdict %s %s %s, expected %s %s %s", gv.Layer, gv.Status, gv.Kind, ev.Layer, ev.Status, ev.Kind)
	}
	for _, name := range []string{"sip", "tcp", "websocket"} {
		e, ok := exp.Layers[name]
		if !ok || e.Attempts == 0 {
			continue
		}
		g, ok := got.Layers[name]
		if !ok {
			differ("%s: missing from the summary", name)
			continue
		}
		if g.Attempts != e.Attempts || g.Failures != e.Failures {
			differ("%s: %d attempts, %d failures; expected %d, %d", name, g.Attempts, g.Failures, e.Attempts, e.Failures)
		}
		if name == "sip" {
			for code, n := range e.Codes {
				if g.Codes[code] != n {
					differ("sip: %s ×%d, expected %d", code, g.Codes[code], n)
				}
			}
		}
		switch ef, gf := e.FirstFailure, g.FirstFailure; {
		case ef == nil && gf == nil:
		case ef == nil || gf == nil:
			differ("%s: first failure %v, expected %v", name, gf, ef)
		case ef.Concurrency != gf.Concurrency || ef.Edge != gf.Edge || ef.CallID != gf.CallID:
			differ("%s: first failure at %d (%s %s), expected %d (%s %s)", name,
				gf.Concurrency, gf.Edge, gf.CallID, ef.Concurrency, ef.Edge, ef.CallID)
		}
	}
	c := got.Correlation
	if c.JTLSamples != exp.JTL.Rows || c.Matched != exp.JTL.Rows {
		differ("correlation: %d of %d samples matched, expected all %d", c.Matched, c.JTLSamples, exp.JTL.Rows)
	}
	for _, in := range got.Inputs {
		if in.Skipped != 0 {
			differ("%s: %d records skipped", in.Path, in.Skipped)
		}
	}

	f := exp.Verdict.FirstFailure
	if len(diffs) == 0 {
		if f != nil {
			fmt.Printf("agrees: %s %s at %d (%s; at that listener %d)\n", ev.Layer, ev.Status, f.Concurrency, f.Edge, f.Listener)
		} else {
			fmt.Printf("agrees: %s\n", ev.Layer)
		}
		return
	}
	for _, d := range diffs {
		fmt.Println("DIFFERS:", d)
	}
	os.Exit(1)
}
