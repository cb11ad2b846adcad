// Package bundle writes the support bundle: one zip holding everything a
// support engineer needs to see what ceiling saw, and to check how it was
// made.
package bundle

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ceiling-dev/ceiling/report"
)

// File is one member of the bundle.
type File struct {
	Name string
	// Body writes the member's content.
	Body func(io.Writer) error
}

// Source is an input as the README names it: its shown name, and its path
// on disk to hash.
type Source struct {
	Name string
	Path string
}

// Options say how the bundle was made, for its README.txt.
type Options struct {
	Command  []string
	Sources  []Source // the inputs, hashed with SHA-256 (read again)
	KeyLogs  []string // named, never hashed into the bundle nor copied
	Redacted bool
	Now      time.Time
}

// Write writes the zip: the given files, then README.txt.
func Write(w io.Writer, d *report.Document, files []File, o Options) error {
	zw := zip.NewWriter(w)
	now := o.Now
	if now.IsZero() {
		now = d.Generated
	}
	for _, f := range files {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: now})
		if err != nil {
			return err
		}
		if err := f.Body(fw); err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
	}
	fw, err := zw.CreateHeader(&zip.FileHeader{Name: "README.txt", Method: zip.Deflate, Modified: now})
	if err != nil {
		return err
	}
	readme, err := Readme(d, files, o)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(fw, readme); err != nil {
		return err
	}
	return zw.Close()
}

// Readme says what the bundle holds and how it was made.
func Readme(d *report.Document, files []File, o Options) (string, error) {
	var b strings.Builder
	r := d.Result
	fmt.Fprintf(&b, "ceiling support bundle\n======================\n\n")
	fmt.Fprintf(&b, "Made by:    %s\n", d.Tool)
	fmt.Fprintf(&b, "Made at:    %s\n", d.Generated.UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "Command:    %s\n", strings.Join(o.Command, " "))
	if o.Redacted {
		fmt.Fprintf(&b, "Redacted:   yes: phone numbers, SIP user parts and the client side's addresses are\n")
		fmt.Fprintf(&b, "            replaced by stable pseudonyms in every file; Call-IDs and trace IDs are kept.\n")
	}
	fmt.Fprintf(&b, "\nVerdict\n-------\n%s\n", r.Verdict.Text)
	c := r.Correlation
	fmt.Fprintf(&b, "\nClock offset used (capture minus JMeter): %s, %s\n", report.FormatOffset(c.ClockOffset), c.OffsetBasis)

	fmt.Fprintf(&b, "\nInputs\n------\n")
	for _, s := range o.Sources {
		sum, size, err := hashFile(s.Path)
		if err != nil {
			return "", fmt.Errorf("hashing %s: %w", s.Name, err)
		}
		fmt.Fprintf(&b, "%s\n  size %d bytes, SHA-256 %s\n", s.Name, size, sum)
	}
	for _, k := range o.KeyLogs {
		fmt.Fprintf(&b, "%s\n  TLS key log (not included, not hashed here)\n", k)
	}

	fmt.Fprintf(&b, "\nFiles\n-----\n")
	for _, f := range files {
		fmt.Fprintf(&b, "%-20s %s\n", f.Name, describe(f.Name))
	}
	fmt.Fprintf(&b, "%-20s %s\n", "README.txt", "this file")
	return b.String(), nil
}

func describe(name string) string {
	switch {
	case strings.HasSuffix(name, ".html"):
		return "the report: open in any browser, offline"
	case name == "summary.json":
		return "the JSON summary (schema ceiling.summary/v1)"
	case strings.HasSuffix(name, ".pcapng"):
		return "the packets of the first failures and a few answered attempts, each commented (Wireshark: pkt_comment)"
	case name == "failures.csv":
		return "every failed attempt at the edge: time, layer, status, Call-ID, trace ID, edge, JTL sample"
	}
	return ""
}

func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
