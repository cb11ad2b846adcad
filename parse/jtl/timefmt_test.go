package jtl

import (
	"testing"
	"time"
)

func TestDateFormat(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		paris = time.FixedZone("CET", 3600) // no tzdata: January is CET anyway
	}
	ref := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	ms := func(s string) int64 {
		tt, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tt.UnixMilli()
	}
	tests := []struct {
		pattern string
		loc     *time.Location
		value   string
		want    int64 // 0: must not parse
	}{
		{"yyyy/MM/dd HH:mm:ss.SSS", time.UTC, "2019/12/05 12:37:24.123", ms("2019-12-05T12:37:24.123Z")},
		{"yyyy/MM/dd HH:mm:ss", time.UTC, "2019/12/05 12:37:24", ms("2019-12-05T12:37:24Z")},
		{"yyyy/MM/dd HH:mm:ss", paris, "2024/01/31 10:00:00", ms("2024-01-31T09:00:00Z")},
		{"yyyy-MM-dd'T'HH:mm:ss.SSSZ", time.UTC, "2024-01-31T10:00:00.250+0100", ms("2024-01-31T09:00:00.250Z")},
		{"yyyy-MM-dd'T'HH:mm:ss.SSSXXX", time.UTC, "2024-01-31T10:00:00.250-05:00", ms("2024-01-31T15:00:00.250Z")},
		{"yyyy-MM-dd'T'HH:mm:ssX", time.UTC, "2024-01-31T10:00:00Z", ms("2024-01-31T10:00:00Z")},
		{"yyyy-MM-dd HH:mm:ss z", time.UTC, "2024-01-31 10:00:00 PST", ms("2024-01-31T18:00:00Z")},
		{"yyyy-MM-dd HH:mm:ss z", time.UTC, "2024-01-31 10:00:00 GMT+05:30", ms("2024-01-31T04:30:00Z")},
		{"MM/dd/yy hh:mm:ss a", time.UTC, "01/31/24 12:05:00 AM", ms("2024-01-31T00:05:00Z")},
		{"MM/dd/yy hh:mm:ss a", time.UTC, "01/31/24 12:05:00 PM", ms("2024-01-31T12:05:00Z")},
		{"MM/dd/yy hh:mm:ss a", time.UTC, "01/31/24 01:05:00 pm", ms("2024-01-31T13:05:00Z")},
		{"MM/dd/yy HH:mm:ss", time.UTC, "01/31/80", 0},
		{"MM/dd/yy HH:mm:ss", time.UTC, "01/31/80 00:00:00", ms("1980-01-31T00:00:00Z")},
		{"MM/dd/yy HH:mm:ss", time.UTC, "01/31/44 00:00:00", ms("2044-01-31T00:00:00Z")},
		{"MM/dd/yy HH:mm:ss", time.UTC, "01/31/46 00:00:00", ms("1946-01-31T00:00:00Z")},
		{"yyyyMMddHHmmssSSS", time.UTC, "20240131100000007", ms("2024-01-31T10:00:00.007Z")},
		{"dd MMM yyyy HH:mm:ss", time.UTC, "31 Jan 2024 10:00:00", ms("2024-01-31T10:00:00Z")},
		{"EEE, dd MMM yyyy HH:mm:ss", time.UTC, "Wed, 31 January 2024 10:00:00", ms("2024-01-31T10:00:00Z")},
		{"'at' HH:mm 'on' yyyy-MM-dd", time.UTC, "at 10:00 on 2024-01-31", ms("2024-01-31T10:00:00Z")},
		{"HH 'o''clock' yyyy-MM-dd", time.UTC, "10 o'clock 2024-01-31", ms("2024-01-31T10:00:00Z")},
		// strict, as JMeter parses: out-of-range fields and leftovers fail
		{"yyyy/MM/dd HH:mm:ss", time.UTC, "2019/02/30 12:00:00", 0},
		{"yyyy/MM/dd HH:mm:ss", time.UTC, "2019/12/05 24:00:00", 0},
		{"yyyy/MM/dd HH:mm:ss", time.UTC, "2019/12/05 12:00:00 junk", 0},
		{"yyyy/MM/dd HH:mm:ss", time.UTC, "1575549444000", 0},
		{"yyyy/MM/dd HH:mm:ss", time.UTC, "", 0},
		{"MM/dd/yy hh:mm:ss a", time.UTC, "01/31/24 13:05:00 PM", 0},
	}
	for _, tt := range tests {
		f, err := compileDateFormat(tt.pattern, tt.loc)
		if err != nil {
			t.Fatalf("%q: %v", tt.pattern, err)
		}
		f.now = ref
		got, ok := f.parse([]byte(tt.value))
		switch {
		case tt.want == 0 && ok:
			t.Errorf("%q %q: parsed as %d, want failure", tt.pattern, tt.value, got)
		case tt.want != 0 && !ok:
			t.Errorf("%q %q: did not parse", tt.pattern, tt.value)
		case tt.want != 0 && got != tt.want:
			t.Errorf("%q %q = %s, want %s", tt.pattern, tt.value,
				time.UnixMilli(got).UTC().Format(time.RFC3339Nano), time.UnixMilli(tt.want).UTC().Format(time.RFC3339Nano))
		}
	}
}

func TestDateFormatErrors(t *testing.T) {
	for _, p := range []string{"yyyy-MM-dd G", "yyyy 'unterminated", "ww"} {
		if _, err := compileDateFormat(p, time.UTC); err == nil {
			t.Errorf("%q compiled", p)
		}
	}
}
