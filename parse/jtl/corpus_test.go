package jtl

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ceiling-dev/ceiling/parse"
)

var update = flag.Bool("update", false, "rewrite golden files from the current output")

const (
	copiesDir = "../../testdata/jtl"         // small permissive files kept in the repo
	corpusDir = "../../../shared/corpus/jtl" // the shared corpus beside the repo
	countPy   = "../../testdata/jtl/count.py"
)

// batchColumns is the column set of JMeter's own batch tests (the header
// of TCP_TESTS.csv), which Bug52968.csv was written with, header-less.
var batchColumns = strings.Split("label,responseCode,responseMessage,threadName,dataType,success,grpThreads,allThreads,SampleCount,ErrorCount", ",")

// corpusCount is one line of testdata/jtl/count.py's output.
type corpusCount struct {
	name       string
	kind       string
	records    int64
	counted    int64
	skipped    int64
	truncated  bool
	codes      int
	failed     int // counted samples with success=false
	late       int64
	hosts      int
	maxThreads int
	columns    []string // Options.Columns, for header-less files
}

// corpusCounts are pinned from count.py (Python's csv and xml.etree, no
// code shared with this package); TestCountPy checks they still are its
// output. Dates are read as UTC on both sides.
var corpusCounts = []corpusCount{
	{name: "amisha_results_xml_content_csv_ext.csv", kind: "xml", records: 5000, counted: 5000, codes: 4, failed: 2500, hosts: 1, maxThreads: 500},
	{name: "ascn_results_connect_timeouts_4057threads.jtl", kind: "csv", records: 8047, counted: 8047, codes: 2, failed: 7177, late: 36, hosts: 1, maxThreads: 4057},
	{name: "defra_rcr_result_customts.jtl", kind: "csv", records: 1125, counted: 557, skipped: 1, truncated: true, codes: 2, failed: 192, late: 4, hosts: 1, maxThreads: 3},
	{name: "distributed_2engines_threadname_prefix.csv", kind: "csv", records: 16, counted: 16, codes: 2, failed: 2, hosts: 2, maxThreads: 2},
	{name: "distributed_ip_threadname_prefix.csv", kind: "csv", records: 8, counted: 8, codes: 2, failed: 1, hosts: 1, maxThreads: 2},
	{name: "jmeter_BatchTestLocal.csv", kind: "csv", records: 132, counted: 132, codes: 2, failed: 16, hosts: 1, maxThreads: 1},
	{name: "jmeter_BatchTestLocal.xml", kind: "xml", records: 131, counted: 131, codes: 2, failed: 16, hosts: 1, maxThreads: 1},
	{name: "jmeter_Bug52968.csv", kind: "csv", skipped: 60},
	{name: "jmeter_Bug52968.csv", kind: "csv", records: 60, counted: 30, codes: 3, failed: 9, hosts: 1, maxThreads: 1, columns: batchColumns},
	{name: "jmeter_Bug52968.xml", kind: "xml", records: 84, counted: 54, codes: 3, failed: 18, hosts: 1, maxThreads: 1},
	{name: "jmeter_HTMLReportFalseTestFile.csv", kind: "csv", records: 50, counted: 50, codes: 1, failed: 50, hosts: 1, maxThreads: 1},
	{name: "jmeter_HTMLReportTestFile.csv", kind: "csv", records: 255, counted: 255, codes: 2, failed: 3, hosts: 1, maxThreads: 1},
	{name: "jmeter_TCP_TESTS.csv", kind: "csv", records: 11, counted: 11, codes: 2, hosts: 1, maxThreads: 1},
	{name: "jmeter_TCP_TESTS.xml", kind: "xml", records: 11, counted: 11, codes: 2, hosts: 1, maxThreads: 1},
	{name: "jmeter_TEST_HTTP_HttpClient4.xml", kind: "xml", records: 44, counted: 22, codes: 4, hosts: 1},
	{name: "jmeter_sample_log1c.jtl", kind: "xml", records: 2000, counted: 2000, codes: 1, hosts: 1},
	{name: "jmeterplugins_cmd_short.csv.jtl", kind: "csv", records: 150, counted: 150, codes: 1, hosts: 1, maxThreads: 47},
	{name: "jmeterplugins_results_issue_47.jtl", kind: "xml", records: 1333, counted: 1333, codes: 1, hosts: 1, maxThreads: 10},
	{name: "jmeterplugins_udp_timeouts_short.jtl", kind: "xml", records: 174, counted: 174, codes: 1, failed: 174, hosts: 1},
	{name: "misos_resultados_500_422_sockettimeout.jtl", kind: "csv", records: 2746, counted: 2746, codes: 5, failed: 1119, hosts: 1, maxThreads: 5},
	{name: "perfeng_results_sslexception.jtl", kind: "csv", records: 400, counted: 400, codes: 2, failed: 100, hosts: 1, maxThreads: 10},
	{name: "t3sters_stress_900threads.jtl", kind: "csv", records: 18911, counted: 18911, codes: 4, failed: 4947, hosts: 1, maxThreads: 900},
	{name: "taurus_doublequoting.jtl", kind: "csv", records: 2, counted: 2, codes: 1, failed: 2, hosts: 1, maxThreads: 1},
	{name: "taurus_error-bug1.jtl", kind: "xml", records: 113, counted: 6, truncated: true, codes: 6, failed: 6, hosts: 1, maxThreads: 18},
	{name: "taurus_non-http_error.jtl", kind: "xml", records: 11, counted: 8, codes: 5, failed: 8, hosts: 1, maxThreads: 1},
	{name: "taurus_non-http_kpi.jtl", kind: "csv", records: 11, counted: 11, codes: 4, failed: 8, hosts: 1, maxThreads: 1},
	{name: "taurus_nonstandard-unicode.jtl", kind: "xml", records: 3, counted: 3, codes: 1, failed: 3, hosts: 1, maxThreads: 1},
	{name: "taurus_quote-guessing-crash_samplevars.jtl", kind: "csv", records: 10, counted: 10, codes: 1, hosts: 1, maxThreads: 1},
	{name: "taurus_slow-stdev.jtl", kind: "csv", records: 599, counted: 599, codes: 2, failed: 63, hosts: 1, maxThreads: 112},
	{name: "taurus_standard-errors.jtl", kind: "xml", records: 185, counted: 185, truncated: true, codes: 2, failed: 185, hosts: 1, maxThreads: 1},
	{name: "taurus_tabs.jtl", kind: "csv", records: 4, counted: 4, codes: 1, hosts: 1, maxThreads: 1},
	{name: "taurus_tranctl.jtl", kind: "csv", records: 2, counted: 0, codes: 1, hosts: 1, maxThreads: 1},
	{name: "taurus_unicode.jtl", kind: "csv", records: 13, counted: 13, codes: 1, failed: 13, hosts: 1, maxThreads: 1},
}

// corpusFile finds a corpus file: a copy in testdata/jtl if the repo keeps
// one, else the shared corpus. A missing shared corpus skips the test on a
// developer's machine and fails it in CI, where it must be there.
func corpusFile(t testing.TB, name string) string {
	t.Helper()
	if p := filepath.Join(copiesDir, name); exists(p) {
		return p
	}
	p := filepath.Join(corpusDir, name)
	if !exists(p) {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s missing: the shared corpus must be beside the repo in CI", p)
		}
		t.Skipf("%s missing (shared corpus not present)", p)
	}
	return p
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// openCorpus reads one corpus file the way the CLI does (parse.Open), or
// straight through NewCSVReader for a header-less file whose first field
// is not a timestamp: parse.Sniff does not recognise that as a JTL.
func openCorpus(t testing.TB, path string, opts Options) (Reader, func()) {
	t.Helper()
	in, err := parse.Open(path)
	if err == nil {
		r, err := NewReader(in, opts)
		if err != nil {
			t.Fatal(err)
		}
		return r, func() { in.Close() }
	}
	// parse.Open wraps a fresh error rather than ErrUnknownKind, so
	// errors.Is cannot tell; the message can.
	if !strings.Contains(err.Error(), parse.ErrUnknownKind.Error()) || !strings.HasSuffix(path, ".csv") {
		t.Fatalf("open: %v", err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewCSVReader(bufio.NewReader(f), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r, func() { f.Close() }
}

type corpusRun struct {
	count    corpusCount
	samples  []Sample
	stats    Stats
	problems *parse.Problems
}

func runCorpus(t testing.TB, want corpusCount) corpusRun {
	path := corpusFile(t, want.name)
	var ps parse.Problems
	r, done := openCorpus(t, path, Options{Problems: &ps, Location: time.UTC, Columns: want.columns, Vars: true})
	defer done()
	samples := readAll(t, r)
	st := r.Stats()
	got := corpusCount{
		name: want.name, kind: want.kind, columns: want.columns,
		records: st.Records, counted: st.Counted, skipped: st.Skipped,
		truncated: st.Truncated, late: st.OutOfOrder,
	}
	codes, hosts := map[string]bool{}, map[string]bool{}
	for _, s := range samples {
		codes[s.Code] = true
		hosts[s.Host] = true
		if s.Counts() && !s.Success {
			got.failed++
		}
		got.maxThreads = max(got.maxThreads, s.AllThreads)
	}
	if len(samples) > 0 {
		got.codes, got.hosts = len(codes), len(hosts)
	}
	if int64(len(samples)) != st.Records {
		t.Errorf("%s: %d samples delivered, Stats.Records %d", want.name, len(samples), st.Records)
	}
	if ps.Count < st.Skipped {
		t.Errorf("%s: %d skipped but only %d problems reported", want.name, st.Skipped, ps.Count)
	}
	return corpusRun{got, samples, st, &ps}
}

func (c corpusCount) String() string {
	return fmt.Sprintf("records=%d counted=%d skipped=%d truncated=%v codes=%d failed=%d late=%d hosts=%d maxThreads=%d",
		c.records, c.counted, c.skipped, c.truncated, c.codes, c.failed, c.late, c.hosts, c.maxThreads)
}

func TestCorpusCounts(t *testing.T) {
	for _, want := range corpusCounts {
		name := want.name
		if want.columns != nil {
			name += "/columns"
		}
		t.Run(name, func(t *testing.T) {
			got := runCorpus(t, want).count
			if got.String() != want.String() {
				t.Errorf("\n got %s\nwant %s (count.py)", got, want)
			}
		})
	}
}

// TestCountPy runs count.py again and checks that the pinned table is its
// output, so that the Go reader is compared with an independent count and
// not with numbers copied from itself.
func TestCountPy(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		// .ci/run installs it: in CI a skip would hide the independent count.
		if os.Getenv("CI") != "" {
			t.Fatal("python3 not installed")
		}
		t.Skip("python3 not installed")
	}
	// One run per column option: starting Python per file costs more than
	// counting.
	byColumns := map[string][]corpusCount{}
	for _, want := range corpusCounts {
		k := strings.Join(want.columns, ",")
		byColumns[k] = append(byColumns[k], want)
	}
	for cols, wants := range byColumns {
		args := []string{countPy}
		if cols != "" {
			args = append(args, "--columns="+cols)
		}
		for _, want := range wants {
			args = append(args, corpusFile(t, want.name))
		}
		out, err := exec.Command(py, args...).Output()
		if err != nil {
			t.Fatalf("count.py: %v", err)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) != len(wants) {
			t.Fatalf("count.py printed %d lines for %d files", len(lines), len(wants))
		}
		for i, want := range wants {
			var got corpusCount
			var trunc int
			_, err = fmt.Sscanf(lines[i], "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d",
				&got.name, &got.kind, &got.records, &got.counted, &got.skipped, &trunc,
				&got.codes, &got.failed, &got.late, &got.hosts, &got.maxThreads)
			if err != nil {
				t.Fatalf("count.py output %q: %v", lines[i], err)
			}
			got.truncated = trunc == 1
			if got.name != want.name || got.String() != want.String() || got.kind != want.kind {
				t.Errorf("%s: count.py says\n%s %s %s\npinned\n%s %s", want.name, got.name, got.kind, got, want.kind, want)
			}
		}
	}
}

// TestCorpusGolden keeps a fuller picture of every corpus file (problems,
// first samples, kinds, codes) in testdata/corpus.golden; go test -update
// rewrites it.
func TestCorpusGolden(t *testing.T) {
	var b strings.Builder
	for _, want := range corpusCounts {
		run := runCorpus(t, want)
		fmt.Fprintf(&b, "== %s", want.name)
		if want.columns != nil {
			fmt.Fprintf(&b, " (columns %s)", strings.Join(want.columns, ","))
		}
		fmt.Fprintf(&b, "\n%s\n", run.count)
		st := run.stats
		if want.kind == "csv" {
			fmt.Fprintf(&b, "delimiter=%q headerless=%v tsformat=%q columns=%d\n", st.Delimiter, st.HeaderLess, st.TimestampFormat, len(st.Columns))
		}
		kinds, codes := map[string]int{}, map[string]int{}
		calls, traces, parents := 0, 0, 0
		for _, s := range run.samples {
			kinds[s.Kind.String()]++
			codes[s.Code]++
			if s.CallID != "" {
				calls++
			}
			if s.TraceID != "" {
				traces++
			}
			if s.Parent != "" {
				parents++
			}
		}
		fmt.Fprintf(&b, "kinds %s\ncodes %s\nwith parent=%d callID=%d traceID=%d\n", histogram(kinds), histogram(codes), parents, calls, traces)
		for _, p := range run.problems.First[:min(5, len(run.problems.First))] {
			p.File = filepath.Base(p.File)
			fmt.Fprintf(&b, "problem %s\n", p.Error())
		}
		first := result{samples: run.samples[:min(3, len(run.samples))], problems: &parse.Problems{}}
		for _, line := range strings.Split(strings.TrimSpace(first.render()), "\n") {
			if !strings.HasPrefix(line, "records=") {
				fmt.Fprintf(&b, "  %s\n", line)
			}
		}
	}
	golden := filepath.Join("testdata", "corpus.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got := b.String(); got != string(want) {
		gotPath := filepath.Join("testdata", "corpus.got")
		os.WriteFile(gotPath, []byte(got), 0o644)
		t.Errorf("corpus summary differs from %s; see %s (go test -update accepts it)", golden, gotPath)
	}
}

func histogram(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%q:%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}
