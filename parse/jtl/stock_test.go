package jtl

import (
	"bytes"
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ceiling-dev/ceiling/parse"
)

// stockHeader is DefaultColumns and two ID variables, what fillStock reads.
var stockHeader = strings.Join(DefaultColumns, ",") + ",callId,traceId\n"

// readBoth reads data with fillStock where the columns allow it and with
// fill alone, and fails unless samples, stats and problems are the same;
// and with Options.Vars the other way, which must change the Vars alone.
func readBoth(t *testing.T, data []byte, opts func(*parse.Problems) Options) (stock bool) {
	t.Helper()
	type read struct {
		samples []Sample
		stats   Stats
		ps      parse.Problems
		err     error
	}
	run := func(noStock, flipVars bool) read {
		var got read
		o := opts(&got.ps)
		o.Vars = o.Vars != flipVars
		r, err := NewCSVReader(bytes.NewReader(data), "in.csv", o)
		if err != nil {
			t.Fatal(err)
		}
		cr := r.(*csvReader)
		cr.noStock = noStock
		defer func() { stock = stock || cr.stock }()
		for i := 0; i <= 1<<20; i++ {
			s, err := r.Next()
			if err != nil {
				got.err = err
				break
			}
			got.samples = append(got.samples, s)
		}
		got.stats = r.Stats()
		return got
	}
	a, b := run(false, false), run(true, false)
	if !reflect.DeepEqual(a, b) {
		for i := range min(len(a.samples), len(b.samples)) {
			if !reflect.DeepEqual(a.samples[i], b.samples[i]) {
				t.Fatalf("sample %d:\nstock %+v\nfill  %+v", i, a.samples[i], b.samples[i])
			}
		}
		t.Fatalf("stock and fill differ:\nstock %+v\nfill  %+v", a, b)
	}
	c := run(false, true)
	for _, r := range []read{a, c} {
		for i := range r.samples {
			r.samples[i].Vars = nil
		}
	}
	if !reflect.DeepEqual(a, c) {
		t.Fatalf("with Options.Vars flipped, more than Vars differs:\n%+v\n%+v", a, c)
	}
	return stock
}

// fillStock against fill, on rows of the default columns with every field
// varied the ways files vary it: empty, signed, long, not a number, a
// formatted timestamp, "null", quoted; and with options that change how
// fields are read.
func TestStockColumns(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	damage := []string{"", "-1", "+7", "0", "123456789", "1234567890", "99999999999999999999", "x", "1.5", " 1", "null", `"4,2"`, `"a""b"`, "2026-11-27 08:00:00.123"}
	row := func(i int) string {
		f := []string{
			fmt.Sprint(1795600799650 + int64(i)*50 - int64(rng.Intn(5000))), fmt.Sprint(rng.Intn(20000)),
			[]string{"SIP call udp", "SIP call udp-1", "Events WebSocket open", "T"}[rng.Intn(4)],
			[]string{"200", "503", "Non HTTP response code: java.net.ConnectException"}[rng.Intn(3)],
			[]string{"OK", "Number of samples in transaction : 2, number of failing samples : 0", ""}[rng.Intn(3)],
			fmt.Sprintf("jmeter-server-%d-SIP callers 1-%d", rng.Intn(2), rng.Intn(40)),
			"text", []string{"true", "false", "TRUE", "yes"}[rng.Intn(4)], "",
			fmt.Sprint(rng.Intn(5000)), fmt.Sprint(rng.Intn(5000)), fmt.Sprint(rng.Intn(500)), fmt.Sprint(rng.Intn(500)),
			[]string{"null", "sip:+18005550100@10.20.0.10:5060;transport=udp", ""}[rng.Intn(3)],
			fmt.Sprint(rng.Intn(100)), fmt.Sprint(rng.Intn(3)), fmt.Sprint(rng.Intn(3)),
			[]string{"", "null", fmt.Sprintf("%x@10.10.0.5", rng.Uint64())}[rng.Intn(3)],
			[]string{"", fmt.Sprintf("%x", rng.Uint64())}[rng.Intn(2)],
		}
		if rng.Intn(4) == 0 {
			f[rng.Intn(len(f))] = damage[rng.Intn(len(damage))]
		}
		if rng.Intn(40) == 0 {
			f = f[:rng.Intn(len(f))]
		}
		return strings.Join(f, ",") + "\n"
	}
	for _, format := range []string{"", "yyyy-MM-dd HH:mm:ss.SSS"} {
		for _, atEnd := range []bool{false, true} {
			vars := atEnd == (format == "") // each way once per format; readBoth flips it too
			var b strings.Builder
			b.WriteString(stockHeader)
			for i := range 3000 {
				b.WriteString(row(i))
			}
			if !readBoth(t, []byte(b.String()), func(ps *parse.Problems) Options {
				return Options{Problems: ps, TimestampFormat: format, TimestampAtEnd: atEnd, Window: time.Second, Vars: vars}
			}) {
				t.Fatal("the default columns not read by fillStock")
			}
		}
	}
	// Header-less, and with columns that are not the default ones (no
	// fillStock: both sides read with fill).
	var noHeader string
	for i := range 100 {
		f := strings.Split(strings.TrimSuffix(row(i), "\n"), ",")
		noHeader += strings.Join(f[:min(len(f), stockCols)], ",") + "\n"
	}
	if !readBoth(t, []byte(noHeader), func(ps *parse.Problems) Options { return Options{Problems: ps} }) {
		t.Fatal("a header-less file not read by fillStock")
	}
	readBoth(t, []byte(hdr+"1000,5,A,200,OK,T 1-1,true,1\n"), func(ps *parse.Problems) Options { return Options{Problems: ps} })
}
