package report

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ceiling-dev/ceiling/correlate"
)

// ladderCases are drawn by TestLadderGolden: what report/evidence makes of
// the demo (a SIP 503, an answered call through a backend), of a refused
// connection, and ladders made to break an SVG (markup and bad UTF-8 in
// labels, a bound reached, nothing seen).
func ladderCases() map[string]Ladder {
	const t0 = int64(1795673527147132875)
	us := func(n int64) int64 { return t0 + n*1000 }
	lgEdge := []LadderColumn{{Role: "load generator", Addrs: []string{"127.0.0.1:39366"}}, {Role: "edge", Addrs: []string{"127.0.0.1:5060"}}}
	return map[string]Ladder{
		"sip-503": {
			Title: "first SIP 503 at 101 dialogs, Call-ID f1f18219ad462696-t101-i0001@127.0.0.1", Attempt: 206, Failed: true,
			Columns: lgEdge,
			Steps: []LadderStep{
				{Time: us(0), From: 0, To: 1, Label: "INVITE", Frame: 1043},
				{Time: us(308), From: 1, To: 0, Label: "503 Service Unavailable", Frame: 1044, Bad: true},
				{Time: us(510), From: 0, To: 1, Label: "ACK", Frame: 1045},
			},
		},
		"sip-200-backend": {
			Title: "contrast: answered 200 at 100 dialogs, before the first failure, Call-ID 4108628c98540bfc-t100-i0001@127.0.0.1", Attempt: 202,
			Columns: []LadderColumn{
				{Role: "load generator", Addrs: []string{"127.0.0.1:49201", "127.0.0.1:49202", "127.0.0.1:49203"}},
				{Role: "edge", Addrs: []string{"127.0.0.1:5060"}},
				{Role: "backend", Addrs: []string{"127.0.0.1:5070"}},
			},
			Steps: []LadderStep{
				{Time: us(0), From: 0, To: 1, Label: "INVITE", Frame: 1019},
				{Time: us(456), From: 1, To: 0, Label: "100 trying -- your call is important to us", Frame: 1020},
				{Time: us(600), From: 1, To: 2, Label: "INVITE", Frame: 1021},
				{Time: us(752), From: 2, To: 1, Label: "100 Trying", Frame: 1022},
				{Time: us(1824), From: 2, To: 1, Label: "180 Ringing", Frame: 1023},
				{Time: us(2914), From: 2, To: 1, Label: "200 OK", Frame: 1025},
				{Time: us(3059), From: 1, To: 0, Label: "200 OK", Frame: 1026},
				{Time: us(3500), From: 1, To: 0, Label: "200 OK (retransmission)", Frame: 1027},
				{Time: us(3700), From: 1, To: 1, Label: "OPTIONS", Frame: 1028},
				{Time: us(10_008_625), From: 0, To: 1, Label: "BYE", Frame: 3201},
				{Time: us(10_008_902), From: 1, To: 0, Label: "200 OK (BYE)", Frame: 3204},
			},
		},
		"tcp-refused": {
			Title: "first failure, refused: SYN answered by RST at 21 connections, 127.0.0.1:39094 → 127.0.0.1:8080", Failed: true,
			Columns: []LadderColumn{{Role: "load generator", Addrs: []string{"127.0.0.1:39094"}}, {Role: "edge", Addrs: []string{"127.0.0.1:8080"}}},
			Steps: []LadderStep{
				{Time: us(0), From: 0, To: 1, Label: "SYN", Frame: 101},
				{Time: us(23), From: 1, To: 0, Label: "RST", Frame: 102, Bad: true},
				{Time: us(1_000_100), From: 0, To: 1, Label: "SYN (retransmission)", Frame: 110},
			},
		},
		"hostile": {
			Title:   `<script>alert("x")</script> & "quotes" 'too'`,
			Columns: []LadderColumn{{Role: "load <generator>", Addrs: []string{"[2001:db8::1]:5060"}}, {Role: "edge & co", Addrs: []string{"a\"b"}}},
			Steps: []LadderStep{
				{Time: us(0), From: 0, To: 1, Label: "GET /<img src=x onerror=alert(1)> (Upgrade: websocket)", Frame: 1},
				{Time: us(-5), From: 1, To: 0, Label: "503 \xff\xfe not UTF-8 ]]> <!-- -->", Frame: 2, Bad: true},
				{Time: us(7), From: 7, To: -3, Label: strings.Repeat("very long label ", 10), Frame: 3},
			},
			Omitted: 1234,
		},
		"empty": {Title: "known only from the JTL", Note: "known only from the JTL: there is nothing of this attempt on the wire", Columns: lgEdge},
	}
}

func TestLadderGolden(t *testing.T) {
	for name, l := range ladderCases() {
		t.Run(name, func(t *testing.T) {
			got := string(LadderSVG(&l))
			if again := string(LadderSVG(&l)); again != got {
				t.Fatal("two drawings of one ladder differ")
			}
			wellFormed(t, got)
			for _, bad := range []string{"<script", "<img", "http://", "https://", "href", " id=", "url("} {
				if strings.Contains(got, bad) {
					t.Errorf("the SVG holds %q", bad)
				}
			}
			path := filepath.Join("testdata", "ladder-"+name+".golden.svg")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./report -run Ladder -update to make it)", err)
			}
			if string(want) != got {
				gotPath := strings.TrimSuffix(path, ".golden.svg") + ".got.svg"
				os.WriteFile(gotPath, []byte(got), 0o644)
				t.Errorf("SVG differs from %s; wrote %s (run go test ./report -run Ladder -update if the change is intended)", path, gotPath)
			}
		})
	}
}

// wellFormed parses the SVG as XML: every text from the wire was escaped.
func wellFormed(t *testing.T, s string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(s))
	d.Strict = true
	d.Entity = xml.HTMLEntity
	depth, elems := 0, 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed: %v\n%s", err, s)
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
			elems++
		case xml.EndElement:
			depth--
		}
	}
	if depth != 0 || elems == 0 {
		t.Fatalf("unbalanced SVG (%d elements)", elems)
	}
}

// TestHTMLLadders: the report shows a Ladders section, linked from the
// table of contents, after the first failures, only when the document has
// ladders.
func TestHTMLLadders(t *testing.T) {
	res := &correlate.Result{Basis: "capture"}
	doc := &Document{Tool: "ceiling test", Generated: time.Unix(0, 0), Result: res}
	var b bytes.Buffer
	if err := WriteHTML(&b, doc); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), `id="ladders"`) {
		t.Fatal("a Ladders section with no ladders")
	}
	cases := ladderCases()
	doc.Ladders = []Ladder{cases["sip-503"], cases["hostile"], cases["empty"]}
	b.Reset()
	if err := WriteHTML(&b, doc); err != nil {
		t.Fatal(err)
	}
	h := b.String()
	for _, want := range []string{`<a href="#ladders">Ladders</a>`, `<section id="ladders">`, `<svg class="ladder"`, "first SIP 503 at 101 dialogs",
		"&lt;script&gt;alert(", "known only from the JTL: there is nothing"} {
		if !strings.Contains(h, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(h, "<script>") {
		t.Error("a label's markup reached the report")
	}
	if strings.Count(h, `<svg class="ladder"`) != 3 {
		t.Errorf("%d ladders drawn", strings.Count(h, `<svg class="ladder"`))
	}
	if i, j := strings.Index(h, `id="ladders"`), strings.Index(h, `id="inputs"`); i < 0 || j < i {
		t.Error("Ladders come after the first failures, before the inputs")
	}
}
