package report

import (
	"encoding/csv"
	"io"
	"strconv"
	"time"

	"github.com/ceiling-dev/ceiling/correlate"
)

// FailuresHeader names failures.csv's columns, a contract like the JSON's.
var FailuresHeader = []string{
	"time", "layer", "status", "kind", "concurrency", "threads", "call_id", "trace_id",
	"edge", "client", "reason", "retry_after", "jtl_label", "jtl_thread", "jtl_host", "jtl_start", "jtl_elapsed_ms",
	"file", "packet",
}

// WriteFailuresCSV writes every failed attempt at the edge (hop 0), in
// time order: one row each, for a spreadsheet or a ticket.
func WriteFailuresCSV(w io.Writer, d *Document) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(FailuresHeader); err != nil {
		return err
	}
	row := make([]string, len(FailuresHeader))
	for _, a := range d.Result.Attempts.All() {
		if !a.Failed || a.Hop != 0 {
			continue
		}
		for k := range row {
			row[k] = ""
		}
		row[0] = FormatTimeJSON(a.Time)
		row[1] = a.Layer.String()
		row[2] = a.Status
		row[3] = a.Kind.String()
		row[4] = strconv.Itoa(int(a.Concurrency))
		if a.Threads >= 0 {
			row[5] = strconv.Itoa(int(a.Threads))
		}
		row[6], row[7] = a.CallID, a.TraceID
		if a.Edge.IsValid() {
			row[8] = a.Edge.String()
		}
		if a.Client.IsValid() {
			row[9] = a.Client.String()
		}
		if dt := d.Result.Detail(&a); dt != nil {
			row[10] = reasonOf(dt)
			if dt.RetryAfter >= 0 {
				row[11] = strconv.Itoa(dt.RetryAfter)
			}
			if s := dt.Sample; s != nil {
				row[12], row[13], row[14] = s.Label, s.Thread, s.Host
				row[15] = time.UnixMilli(s.Start).UTC().Format("2006-01-02T15:04:05.000Z07:00")
				row[16] = strconv.FormatInt(s.Elapsed, 10)
			}
		}
		if a.File >= 0 && a.File < len(d.Inputs) {
			row[17] = d.Inputs[a.File].Path
		}
		if a.Packet > 0 {
			row[18] = strconv.FormatInt(a.Packet, 10)
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// reasonOf is what the edge said besides its code: the Reason header, else
// the reason phrase or the TLS/TCP description.
func reasonOf(d *correlate.Detail) string {
	if d.ReasonHeader != "" {
		return d.ReasonHeader
	}
	return d.ReasonPhrase
}
