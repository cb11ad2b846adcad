package sip

import (
	"strings"
	"testing"
)

// FuzzFastValues holds the fast paths of the Via and From/To readers to
// the general ones on arbitrary values: when fastVia or fastTag answers,
// it answers as parseVia or tagOf does. FuzzParse checks the same through
// whole messages; this target reaches the values' corners sooner. It also
// holds isStatusLine to isStatusLineRef.
func FuzzFastValues(f *testing.F) {
	for _, v := range []string{
		"SIP/2.0/UDP 10.10.0.5:40312;branch=z9hG4bK1a2b3c4d00c0ffee;received=10.10.0.5;rport=40312",
		"SIP/2.0/UDP 10.10.0.5:40312;rport;branch=z9hG4bK5e6f7a8b00c0ffee",
		"SIP/2.0/WS 1a2b3c4d.invalid;branch=z9hG4bK1a2b3c4d00c0ffee;received=10.10.0.5",
		"SIP/2.0/TCP h;branch==a;rport=;RECEIVED=x;x=\"a;b\"",
		"SIP/2.0/UDP h;branch=a,SIP/2.0/UDP g;branch=b",
		"SIP/2.0/UDP h:5060 (comment);branch=a",
		`"Load test 0017" <sip:loadtest-0017@10.10.0.5>;tag=6e3a2c91`,
		`<sip:+18005550100@10.20.0.10;user=phone>;tag=5f2e9c1d`,
		`<sip:a@b;tag=inside>;x=1;TAG=outside;tag=second`,
		`sip:bob@b;tagx=1;tag`,
		`"a\"b" <sip:a@b>;tag=1`,
		`<sip:a@b>;tag=12345678 9`,
		"SIP/2.0 200 OK",
		"sIp/2.0 503",
		`"Load test 0017" <sip:loadtest-0017@10.10.0.5>;tag=6e3a2c91;x=y`,
		`<sip:+18005550100@10.20.0.10;user=phone>;tag=5f2e9c1d;other="q"`,
		`sip:+18005550100@10.20.0.10;user=phone;tag=5f2e9c1d;x=1`,
	} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if got, want := isStatusLine(v), isStatusLineRef([]byte(v)); got != want {
			t.Fatalf("isStatusLine(%q) = %v, the reference %v", v, got, want)
		}
		if via, ok := fastVia(v); ok {
			if want := parseVia(v); via != want {
				t.Fatalf("fastVia(%q) = %+v, parseVia %+v", v, via, want)
			}
			if strings.IndexByte(v, ',') >= 0 {
				t.Fatalf("fastVia(%q) read a value with a comma", v)
			}
		}
		if tag, ok := fastTag(v); ok {
			if want := tagOf(v); tag != want {
				t.Fatalf("fastTag(%q) = %q, tagOf %q", v, tag, want)
			}
		}
		// The assembly's masks answer as the byte loops do, to the
		// last field and to whether they answer at all.
		via, viaOK := fastVia(v)
		tag, tagOK := fastTag(v)
		plainOnly(func() {
			if pvia, ok := fastVia(v); ok != viaOK || pvia != via && ok {
				t.Fatalf("fastVia(%q) = %+v, %v; read byte by byte %+v, %v", v, via, viaOK, pvia, ok)
			}
			if ptag, ok := fastTag(v); ok != tagOK || ptag != tag {
				t.Fatalf("fastTag(%q) = %q, %v; read byte by byte %q, %v", v, tag, tagOK, ptag, ok)
			}
		})
	})
}
