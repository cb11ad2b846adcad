package jtl

import (
	"strings"
	"testing"
)

const xmlHead = `<?xml version="1.0" encoding="UTF-8"?>
<testResults version="1.2">
`

func TestXML(t *testing.T) {
	tests := []struct {
		name  string
		input string
		opts  Options
		want  string
	}{
		{
			name:  "empty results",
			input: xmlHead + "</testResults>\n",
			want:  "records=0 counted=0 skipped=0 late=0\n",
		},
		{
			name: "attributes, assertion message, variables",
			input: xmlHead +
				`<httpSample t="12" it="0" lt="10" ct="3" ts="1000" s="false" lb="INVITE" rc="503" rm="Service Unavailable" tn="TG 1-1" dt="text" de="" by="100" sby="50" sc="1" ec="1" ng="1" na="7" hn="lg-1" callId="abc@pc33" X-Request-Id="r-9">
  <assertionResult>
    <name>RA ok</name>
    <failure>false</failure>
    <error>false</error>
    <failureMessage>not me</failureMessage>
  </assertionResult>
  <assertionResult>
    <name>RA 200</name>
    <failure>true</failure>
    <error>false</error>
    <failureMessage>Test failed: code expected to be 200</failureMessage>
  </assertionResult>
  <java.net.URL>http://edge/invite</java.net.URL>
</httpSample>
</testResults>
`,
			want: `
1000+12 "INVITE" rc="503" FAIL rm="Service Unavailable" fm="Test failed: code expected to be 200" tn="TG 1-1" host=lg-1 na=7 url=http://edge/invite call=abc@pc33 trace=r-9 callId="abc@pc33" X-Request-Id="r-9" line=3
records=1 counted=1 skipped=0 late=0
`,
		},
		{
			name: "nested sub-results and transaction children",
			input: xmlHead +
				`<httpSample t="90" ts="1000" s="true" lb="Home" rc="200" tn="T 1-1">
  <httpSample t="40" ts="1000" s="true" lb="Home-0" rc="302" tn="T 1-1">
    <httpSample t="10" ts="1000" s="true" lb="Home-0-0" rc="200" tn="T 1-1"/>
  </httpSample>
  <httpSample t="50" ts="1040" s="true" lb="http://x/style.css" rc="200" tn="T 1-1"/>
</httpSample>
<sample t="30" it="500" ts="2000" s="false" lb="Call" rc="503" rm="Number of samples in transaction : 2, number of failing samples : 1" tn="T 1-1">
  <httpSample t="10" ts="2000" s="true" lb="REGISTER" rc="200" tn="T 1-1"/>
  <httpSample t="20" ts="2510" s="false" lb="INVITE" rc="503" tn="T 1-1"/>
</sample>
</testResults>
`,
			want: `
1000+90 "Home" rc="200" tn="T 1-1" host=in.xml line=3
1000+40 "Home-0" rc="302" tn="T 1-1" host=in.xml sub-result parent="Home" line=4
1000+10 "Home-0-0" rc="200" tn="T 1-1" host=in.xml sub-result parent="Home-0" line=5
1040+50 "http://x/style.css" rc="200" tn="T 1-1" host=in.xml sub-result parent="Home" line=7
2000+30 "Call" rc="503" FAIL rm="Number of samples in transaction : 2, number of failing samples : 1" tn="T 1-1" host=in.xml transaction line=9
2000+10 "REGISTER" rc="200" tn="T 1-1" host=in.xml parent="Call" line=10
2510+20 "INVITE" rc="503" FAIL tn="T 1-1" host=in.xml parent="Call" line=11
records=7 counted=3 skipped=0 late=0
`,
		},
		{
			name: "Call-ID and trace ID from headers and bodies",
			input: xmlHead +
				`<sample t="5" ts="1000" s="true" lb="ws" rc="101" tn="jmeter-server-2-TG 1-1">
  <responseHeader class="java.lang.String">HTTP/1.1 101 Switching Protocols
X-B3-TraceId: 80f198ee56343ba864fe8b2a57d3eff7
</responseHeader>
  <requestHeader class="java.lang.String">Upgrade: websocket
ININ-Correlation-Id: corr-1
</requestHeader>
</sample>
<sample t="5" ts="1001" s="false" lb="INVITE" rc="503" tn="TG 1-2">
  <samplerData class="java.lang.String">INVITE sip:bob@edge SIP/2.0
Via: SIP/2.0/UDP pc33;branch=z9hG4bK776asdhds
i: compact-1@pc33
</samplerData>
  <responseData class="java.lang.String">SIP/2.0 503 Service Unavailable
Call-ID: full-1@pc33
</responseData>
</sample>
<sample t="5" ts="1002" s="true" lb="INVITE" rc="200" tn="TG 1-3">
  <requestHeader class="java.lang.String">Call-ID: hdr-1@pc33
</requestHeader>
  <responseData class="java.lang.String">Call-ID: body-1@pc33
</responseData>
</sample>
</testResults>
`,
			want: `
1000+5 "ws" rc="101" tn="jmeter-server-2-TG 1-1" host=jmeter-server-2 trace=80f198ee56343ba864fe8b2a57d3eff7 line=3
1001+5 "INVITE" rc="503" FAIL tn="TG 1-2" host=in.xml call=compact-1@pc33 line=11
1002+5 "INVITE" rc="200" tn="TG 1-3" host=in.xml call=hdr-1@pc33 line=20
records=3 counted=3 skipped=0 late=0
`,
		},
		{
			name: "truncated after a complete sample",
			input: xmlHead +
				`<sample t="5" ts="1000" s="true" lb="A" rc="200"/>
<sample t="5" ts="1001" s="true" lb="B" rc="200"/>
`,
			want: `
1000+5 "A" rc="200" host=in.xml line=3
1001+5 "B" rc="200" host=in.xml line=4
problem in.xml:5 (offset 169): file ends without </testResults> (the run was killed or the file was copied while being written); every complete sample was read
records=2 counted=2 skipped=0 late=0 truncated
`,
		},
		{
			name: "truncated inside a sample",
			input: xmlHead +
				`<sample t="5" ts="1000" s="true" lb="A" rc="200"/>
<sample t="7" ts="1001" s="false" lb="B" rc="503">
  <responseData class="java.lang.String">SIP/2.0 503 Service Unav`,
			want: `
1000+5 "A" rc="200" host=in.xml line=3
1001+7 "B" rc="503" FAIL host=in.xml line=4
problem in.xml:4 (offset 118): file ends inside a sample element (no </testResults>: the run was killed or the file was copied while being written); samples begun are kept from their attributes
records=2 counted=2 skipped=0 late=0 truncated
`,
		},
		{
			name: "malformed element skipped, rest read",
			input: xmlHead +
				`<sample t="5" ts="1000" s="true" lb="A" rc="200"/>
<sample t="5" ts="1001" s="true" lb="B" rc=200>
  <responseData>x</responseData>
</sample>
<sample t="5" ts="1002" s="true" lb="C" rc="200"/>
<sample t="x" ts="1003" s="true" lb="D" rc="200"/>
<sample t="5" ts="1004" s="true" lb="E" rc="200"><bad></sample>
<sample t="5" ts="1005" s="true" lb="F" rc="200"/>
<unknownThing a="1"/>
</testResults>
`,
			want: `
1000+5 "A" rc="200" host=in.xml line=3
1002+5 "C" rc="200" host=in.xml line=7
1005+5 "F" rc="200" host=in.xml line=10
problem in.xml:4 (offset 118): malformed XML: unquoted or missing attribute value in element; skipped to the next sample
problem in.xml:8 (offset 260): <sample> attribute t="x" is not a number; sample skipped
problem in.xml:9 (offset 365): malformed XML in the sample at line 9: </sample> closes <bad>; skipped to the next sample
problem in.xml:11 (offset 426): <unknownThing> is not a JMeter sample element; skipped
records=3 counted=3 skipped=4 late=0
`,
		},
		{
			name: "field-serialised SampleResult",
			input: xmlHead +
				`<com.example.SampleResultWithSubs>
  <saveConfig><time>true</time></saveConfig>
  <responseCode>500</responseCode>
  <label>http://unknown.host/</label>
  <threadName>Thread Group 1-1</threadName>
  <responseMessage>boom</responseMessage>
  <startTime>1431506202173</startTime>
  <endTime>1431506202200</endTime>
  <success>false</success>
  <allThreads>3</allThreads>
</com.example.SampleResultWithSubs>
</testResults>
`,
			want: `
1431506202173+27 "http://unknown.host/" rc="500" FAIL rm="boom" tn="Thread Group 1-1" host=in.xml na=3 line=3
records=1 counted=1 skipped=0 late=0
`,
		},
		{
			name: "not testResults at the root",
			input: `<results><sample t="5" ts="1000" s="true" lb="A" rc="200"/></results>
`,
			want: `
1000+5 "A" rc="200" host=in.xml line=1
problem in.xml:1 (offset 0): root element is <results>, not <testResults>; reading its children as samples anyway
records=1 counted=1 skipped=0 late=0
`,
		},
		{
			name:  "timestamp at end",
			input: xmlHead + `<sample t="50" ts="1050" s="true" lb="A" rc="200"/></testResults>`,
			opts:  Options{TimestampAtEnd: true},
			want: `
1000+50 "A" rc="200" host=in.xml line=3
records=1 counted=1 skipped=0 late=0
`,
		},
		{
			name: "latin-1 file, also after a resync",
			input: "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<testResults>\n" +
				"<sample t=\"5\" ts=\"1000\" s=\"true\" lb=\"Requ\xeate\" rc=\"200\"/>\n" +
				"<sample t=\"5\" ts=\"1001\" s=\"true\" lb=\"broken\" rc=200/>\n" +
				"<sample t=\"5\" ts=\"1002\" s=\"true\" lb=\"D\xe9j\xe0\" rc=\"200\"/>\n</testResults>\n",
			want: `
1000+5 "Requête" rc="200" host=in.xml line=3
1002+5 "Déjà" rc="200" host=in.xml line=5
problem in.xml:4 (offset 115): malformed XML: unquoted or missing attribute value in element; skipped to the next sample
records=2 counted=2 skipped=1 late=0
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkRender(t, readXML(t, tt.input, tt.opts), tt.want)
		})
	}
}

func TestXMLUnsupportedEncoding(t *testing.T) {
	in := "<?xml version=\"1.0\" encoding=\"Shift_JIS\"?>\n<testResults>\n</testResults>\n"
	r, err := NewXMLReader(strings.NewReader(in), "in.xml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Next()
	if err == nil || !strings.Contains(err.Error(), `in.xml: `) || !strings.Contains(err.Error(), "Shift_JIS") {
		t.Fatalf("err = %v", err)
	}
}
