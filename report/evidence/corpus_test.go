package evidence

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ceiling-dev/ceiling/correlate"
)

// TestCorpus: on every capture of ../shared/corpus (real tools' captures:
// tunnels, VLANs, Linux cooked captures, IPv6 fragments, NetMon, SIP over
// TCP and WebSocket, TLS), the evidence of the first attempts of each
// layer is what tshark says they are.
func TestCorpus(t *testing.T) {
	dir := "../../../shared/corpus/pcap"
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) == 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("../shared/corpus is missing")
		}
		t.Skip("../shared/corpus is missing")
	}
	needTshark(t)
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			capture := path
			if strings.HasSuffix(path, ".cap") {
				// pcapgo reads no NetMon file: the oracle reads it
				// converted, frame for frame.
				capture = filepath.Join(t.TempDir(), "converted.pcapng")
				if out, err := exec.Command("editcap", "-F", "pcapng", path, capture).CombinedOutput(); err != nil {
					t.Skipf("editcap: %v %s", err, out)
				}
			}
			doc := analyse(t, path)
			var sel Selection
			for _, l := range correlate.Layers {
				f := Filter{Layers: []correlate.Layer{l}, Max: 3}
				sel.Items = append(sel.Items, f.Select(doc.Result).Items...)
			}
			if len(sel.Items) == 0 {
				t.Skip("no attempt")
			}
			sum, out := extractTo(t, doc, sel, []string{path}, Options{})
			check(t, capture, out, doc.Result, sel)
			t.Logf("%d attempts, %d frames", len(sel.Items), sum.Frames)
		})
	}
}
