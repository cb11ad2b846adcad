package gate

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/ceiling-dev/ceiling/report"
)

// ReadSummary reads a JSON summary (analyze --json) and checks its
// schema, so that a compare never judges a file of another kind, or of a
// future schema whose fields mean something else, as if it were v1.
// Fields it does not know are ignored: v1 may gain fields.
func ReadSummary(r io.Reader) (*report.Summary, error) {
	var s report.Summary
	dec := json.NewDecoder(r)
	if err := dec.Decode(&s); err != nil {
		if err == io.EOF {
			return nil, fmt.Errorf("empty file, not a ceiling JSON summary")
		}
		return nil, fmt.Errorf("not a ceiling JSON summary: %v", err)
	}
	switch s.Schema {
	case report.SchemaV1:
	case "":
		return nil, fmt.Errorf("not a ceiling JSON summary: no \"schema\" field (want %q, as analyze --json writes)", report.SchemaV1)
	default:
		return nil, fmt.Errorf("schema %q, want %q", s.Schema, report.SchemaV1)
	}
	if s.Layers == nil {
		s.Layers = map[string]report.SummaryLayer{}
	}
	return &s, nil
}
