package capture

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ceiling-dev/ceiling/parse"
)

// events reads every event of a Source.
func events(t *testing.T, src *Source) []Event {
	t.Helper()
	defer src.Close()
	var evs []Event
	for {
		ev, err := src.Next()
		if err == io.EOF {
			return evs
		}
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, ev)
	}
}

// openPath opens the capture at path, alone or merged with an empty one.
func openPath(t *testing.T, path string, withEmpty bool) *Source {
	t.Helper()
	in, err := parse.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close() })
	ins := []*parse.Input{in}
	if withEmpty {
		ins = append(ins, emptyPcap(t))
	}
	src, err := Open(ins, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// emptyPcap is a capture with no packets.
func emptyPcap(t *testing.T) *parse.Input {
	c := newCapFile(t)
	return &parse.Input{Path: "empty.pcap", Kind: parse.KindPcap, R: bufio.NewReader(bytes.NewReader(c.buf.Bytes()))}
}

// TestOneCapture: a single capture's events skip the merge of several;
// they are the same events, in the same order, as the merge gives with an
// empty capture beside it. Over the fixtures and the corpus's TCP captures.
func TestOneCapture(t *testing.T) {
	paths, _ := filepath.Glob("../../testdata/fixtures/*/capture.pcapng.gz")
	for _, name := range []string{"heplify_sip_tcp_websocket.pcap", "heplify_sip_ipv4_tcp_retrans.pcap", "zeek_http_websocket.pcap",
		"suricataverify_ws_upgrade_unanswered.pcap", "zeek_tcp_rst-inject-rae.pcap", "heplify_rtp_rtcp_sip_ipv4_udp.pcap"} {
		p := filepath.Join(corpusDir(t), name)
		if _, err := os.Stat(p); err == nil {
			paths = append(paths, p)
		}
	}
	if len(paths) == 0 {
		t.Skip("no captures")
	}
	for _, path := range paths {
		t.Run(filepath.Base(filepath.Dir(path))+"/"+filepath.Base(path), func(t *testing.T) {
			one, merged := openPath(t, path, false), openPath(t, path, true)
			a, b := events(t, one), events(t, merged)
			if len(a) == 0 {
				t.Fatal("no events")
			}
			if len(a) != len(b) {
				t.Fatalf("%d events alone, %d merged", len(a), len(b))
			}
			for i := range a {
				if !reflect.DeepEqual(a[i], b[i]) {
					t.Fatalf("event %d differs:\nalone  %+v\nmerged %+v", i, a[i], b[i])
				}
			}
			if sa, sb := one.Stats()[0], merged.Stats()[0]; !reflect.DeepEqual(sa, sb) {
				t.Errorf("stats differ:\nalone  %+v\nmerged %+v", sa, sb)
			}
		})
	}
}

// readAll reads every event of a Source with Read, size at a time, into
// a batch whose slots hold a stale event: Read writes each event whole.
func readAll(t *testing.T, src *Source, size int) []Event {
	t.Helper()
	defer src.Close()
	stale := Event{Kind: KindWSClose, Time: -1, Packet: -1, Transport: "stale", WSClose: &WSClose{Code: 1}}
	dst := make([]Event, size)
	var evs []Event
	for {
		for i := range dst {
			dst[i] = stale
		}
		n, err := src.Read(dst)
		evs = append(evs, dst[:n]...)
		if err == io.EOF {
			return evs
		}
		if err != nil {
			t.Fatal(err)
		}
		if n != size {
			t.Fatalf("Read wrote %d of %d events without an error", n, size)
		}
	}
}

// TestRead: Read gives the events Next does, in the same order, whatever
// the batch's size, from one capture and from two merged.
func TestRead(t *testing.T) {
	paths, _ := filepath.Glob("../../testdata/fixtures/*/capture.pcapng.gz")
	if len(paths) == 0 {
		t.Skip("no captures")
	}
	for _, path := range paths {
		for _, merged := range []bool{false, true} {
			want := events(t, openPath(t, path, merged))
			if len(want) == 0 {
				t.Fatalf("%s: no events", path)
			}
			for _, size := range []int{1, 7, 64, len(want), len(want) + 1} {
				got := readAll(t, openPath(t, path, merged), size)
				if len(got) != len(want) {
					t.Fatalf("%s, merged %v, batches of %d: %d events, Next gave %d", path, merged, size, len(got), len(want))
				}
				for i := range want {
					if !reflect.DeepEqual(got[i], want[i]) {
						t.Fatalf("%s, merged %v, batches of %d: event %d differs:\nRead %+v\nNext %+v", path, merged, size, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// TestBodiesKept: the bodies of SIP messages over TCP, copied out of the
// stream into shared blocks, are what was sent, and stay so while the
// messages after them are read: small ones, one past the blocks' share,
// and in messages parsed where they lie and from held bytes.
func TestBodiesKept(t *testing.T) {
	c := newCapFile(t)
	c.handshake(t, client, sipEdg)
	var want []string
	for i := range 300 {
		size := 20 + i*37%900
		if i%50 == 7 {
			size = udpChunkSize/4 + 100
		}
		body := strings.Repeat(string(rune('a'+i%26)), size)
		want = append(want, body)
		id := fmt.Sprintf("call-%d", i)
		msg := fmt.Sprintf("INVITE sip:bob@edge SIP/2.0\r\nVia: SIP/2.0/TCP 10.0.0.1:40000;branch=z9hG4bK%s\r\nFrom: <sip:a@x>;tag=1\r\n"+
			"To: <sip:bob@edge>\r\nCall-ID: %s\r\nCSeq: 1 INVITE\r\nContent-Length: %d\r\n\r\n%s", id, id, len(body), body)
		if i%3 == 0 {
			// Over two segments: parsed from the bytes held.
			c.tcp(t, client, sipEdg, "PA", []byte(msg[:len(msg)/2]))
			c.tcp(t, client, sipEdg, "PA", []byte(msg[len(msg)/2:]))
		} else {
			c.tcp(t, client, sipEdg, "PA", []byte(msg))
		}
	}
	c.tcp(t, client, sipEdg, "FA", nil)
	evs, _ := c.run(t, Options{})
	var got []string
	for _, e := range evs {
		if e.Kind == KindSIP {
			got = append(got, string(e.SIP.Body))
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%d messages, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("message %d: body of %d bytes %.20q…, want %d bytes %.20q…", i, len(got[i]), got[i], len(want[i]), want[i])
		}
	}
}
