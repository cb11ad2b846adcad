package report

import (
	"bytes"
	"flag"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// pngOut, when set, keeps the PNGs (and the HTML) for a person to look at:
// go test ./report -run PNG -png-out /tmp/charts
var pngOut = flag.String("png-out", "", "write the test charts and reports to this directory and keep them")

func TestWritePNG(t *testing.T) {
	for _, tc := range htmlCases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "charts") // WritePNG creates it
			if *pngOut != "" {
				dir = filepath.Join(*pngOut, tc.name)
				var b bytes.Buffer
				if err := WriteHTML(&b, tc.doc()); err != nil {
					t.Fatal(err)
				}
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, "report.html"), b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			paths, err := WritePNG(dir, tc.doc())
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			switch tc.name {
			case "empty":
			case "two-layers":
				for _, l := range []string{"sip", "websocket"} {
					for _, n := range []string{"concurrency.png", "codes-over-time.png", "failure-ratio.png", "response-time.png"} {
						want = append(want, l+"-"+n)
					}
				}
			default:
				want = []string{"concurrency.png", "codes-over-time.png", "failure-ratio.png", "response-time.png"}
			}
			var got []string
			for _, p := range paths {
				got = append(got, filepath.Base(p))
				f, err := os.Open(p)
				if err != nil {
					t.Fatal(err)
				}
				img, err := png.Decode(f)
				f.Close()
				if err != nil {
					t.Fatalf("%s: %v", p, err)
				}
				if w := img.Bounds().Dx(); w != 1500 && w != 750 {
					t.Errorf("%s is %d px wide", p, w)
				}
			}
			if tc.name == "two-layers" {
				// The failing layer comes first; which one that is depends
				// on the fixture.
				if len(got) == 8 && got[0][:3] != "sip" {
					want = append(want[4:], want[:4]...)
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("wrote %v, want %v", got, want)
			}
		})
	}
}
