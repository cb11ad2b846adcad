package report

import (
	"fmt"
	"os"
	"path/filepath"

	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// pngDPI makes a wide chart 1500 px across: sharp in a ticket or a slide
// without being heavy.
const pngDPI = 150

// WritePNG writes the report's charts as PNG files in dir, creating it if
// needed, and returns their paths. The names are concurrency.png,
// failure-ratio.png, codes-over-time.png and response-time.png, prefixed
// by the layer ("sip-concurrency.png") when more than one layer had
// attempts. A chart with nothing to draw is not written.
func WritePNG(dir string, d *Document) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	sets := buildCharts(d)
	var paths []string
	for _, set := range sets {
		for _, ch := range set.Charts {
			if ch.plot == nil {
				continue
			}
			name := ch.Name + ".png"
			if len(sets) > 1 {
				name = set.Layer.String() + "-" + name
			}
			path := filepath.Join(dir, name)
			if err := writePNGFile(path, ch); err != nil {
				return paths, err
			}
			paths = append(paths, path)
		}
	}
	return paths, nil
}

func writePNGFile(path string, ch *chart) (err error) {
	w, h := ch.size()
	c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(pngDPI))
	ch.draw(draw.New(c))
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(f); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
