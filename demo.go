// Package ceiling holds what the whole tool shares: the demo spike test
// that ships inside the binary, so that `ceiling analyze --demo` works on
// a fresh machine from any folder. The work happens in the packages below
// (parse, correlate, report) and is run by pipeline.
package ceiling

import (
	"embed"
	"os"
	"path/filepath"
)

// demo is a JMeter spike test against kamailio limited to 100 dialogs,
// made by testdata/gen/spike/make.sh: the capture and the JTL of one run.
//
//go:embed testdata/demo/spike.pcapng.gz testdata/demo/spike.jtl
var demo embed.FS

// DemoFiles lists the demo's files, as named in the repository.
var DemoFiles = []string{"testdata/demo/spike.jtl", "testdata/demo/spike.pcapng.gz"}

// WriteDemo writes the demo's files into dir and returns their paths there
// and the names to show for them.
func WriteDemo(dir string) (paths, names []string, err error) {
	for _, name := range DemoFiles {
		b, err := demo.ReadFile(name)
		if err != nil {
			return nil, nil, err
		}
		p := filepath.Join(dir, filepath.Base(name))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return nil, nil, err
		}
		paths = append(paths, p)
		names = append(names, "demo/"+filepath.Base(name))
	}
	return paths, names, nil
}
