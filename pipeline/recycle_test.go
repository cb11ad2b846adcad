package pipeline

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ceiling-dev/ceiling/parse"
	"github.com/ceiling-dev/ceiling/parse/capture"
	"github.com/ceiling-dev/ceiling/parse/sip"
)

// TestMain runs every test of the package with the capture's SIP-over-UDP
// memory taken back after each batch, poisoned on the way (see
// capture.PoisonEnv), and with batches small enough that the few events of
// a fixture come back many times: any test whose output depends on a
// reference kept into an event past AddEvent fails.
func TestMain(m *testing.M) {
	os.Setenv(capture.PoisonEnv, "1")
	batchLen, oneCoreLen = 16, 16
	os.Exit(m.Run())
}

// TestRecycledSame: every report (text, JSON, HTML, failures CSV, the
// evidence pcapng) of the demo, of each fixture, and of each capture of
// the public corpus (real tools' SIP over UDP, IPv6, fragments, damaged
// messages) is the same byte for byte whether the capture's memory is
// taken back, and poisoned, or left to the collector.
func TestRecycledSame(t *testing.T) {
	defer func() { recycleEvents = true }()
	runs := fixtureRuns(t)
	corpus, _ := filepath.Glob("../../shared/corpus/pcap/*")
	if len(corpus) == 0 && os.Getenv("CI") != "" {
		t.Fatal("../shared/corpus is missing")
	}
	for _, p := range corpus {
		runs = append(runs, []string{p})
	}
	for _, paths := range runs {
		recycleEvents = false
		want := allReports(t, paths)
		recycleEvents = true
		got := allReports(t, paths)
		for name := range want {
			if !bytes.Equal(want[name], got[name]) {
				t.Errorf("%v: %s differs when the capture's memory is taken back", paths, name)
			}
		}
	}
}

func allReports(t *testing.T, paths []string) map[string][]byte {
	t.Helper()
	doc, err := Run(Config{Paths: paths, Now: time.Unix(0, 0).UTC()})
	if err != nil {
		t.Fatal(err)
	}
	defer doc.Result.Close()
	return renderAll(t, doc, paths)
}

// TestPoisonCatchesRetention plants the bug the poisoning is there to
// catch: a consumer that keeps, past the batch, a Message (its pointer) or
// a string cut from a datagram (a Via branch, a Call-ID) without cloning
// it. With the
// memory taken back, what it kept reads differently at the end from what
// it read at the time, on every capture with SIP over UDP; without, it
// reads the same. So the poisoned runs of the other tests do exercise the
// recycling, and would show a consumer's retention as changed output.
func TestPoisonCatchesRetention(t *testing.T) {
	type kept struct {
		m                   *sip.Message
		branch, callID      string
		mThen, bThen, cThen string
	}
	fingerprint := func(m *sip.Message) string {
		return fmt.Sprintf("%v %q %d %q %q %q %q", m.Request, m.Method, m.StatusCode, m.CallID, m.Via.Branch, m.From, m.Body)
	}
	run := func(path string, recycle bool) []kept {
		in, err := parse.OpenAs(path, parse.KindUnknown)
		if err != nil {
			t.Fatal(err)
		}
		defer in.Close()
		src, err := capture.Open([]*parse.Input{in}, nil, capture.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		var back func([]capture.Event)
		if recycle {
			back = src.Recycle
		}
		var ks []kept
		for b := range readAhead(src.Read, back) {
			if b.err != nil {
				t.Fatal(b.err)
			}
			for i := range b.items {
				ev := &b.items[i]
				if ev.Kind != capture.KindSIP || ev.Transport != "udp" {
					continue
				}
				m := ev.SIP
				ks = append(ks, kept{m: m, branch: m.Via.Branch, callID: m.CallID,
					mThen: fingerprint(m), bThen: string([]byte(m.Via.Branch)), cThen: string([]byte(m.CallID))})
			}
			b.done()
		}
		return ks
	}
	var captures []string
	for _, r := range fixtureRuns(t) { // the demo's among them
		captures = append(captures, r[:len(r)-1]...)
	}
	withUDP := 0
	for _, path := range captures {
		for _, recycle := range []bool{false, true} {
			ks := run(path, recycle)
			if len(ks) == 0 {
				break
			}
			var msgs, branches, callIDs int
			for _, k := range ks {
				if fingerprint(k.m) != k.mThen {
					msgs++
				}
				if k.branch != k.bThen {
					branches++
				}
				if k.callID != k.cThen {
					callIDs++
				}
			}
			t.Logf("%s, taken back %v: of %d messages kept, %d changed, %d of their branches, %d of their Call-IDs", path, recycle, len(ks), msgs, branches, callIDs)
			switch {
			case !recycle && msgs+branches+callIDs > 0:
				t.Errorf("%s: kept messages changed with nothing taken back", path)
			case recycle && (msgs == 0 || branches == 0 || callIDs == 0):
				t.Errorf("%s: poisoning did not show the kept messages (%d changed), branches (%d) or Call-IDs (%d)", path, msgs, branches, callIDs)
			}
			if recycle {
				withUDP++
			}
		}
	}
	if withUDP == 0 {
		t.Fatal("no capture with SIP over UDP")
	}
}
