#!/usr/bin/env python3
"""Write the JMeter 2.13 test plan (.jmx) of one edge fixture.

  plans.py FIXTURE OUT.jmx

Every number in a plan is a JMeter property (${__P(name,default)}), set by make.sh with -J.
The plans are written by this script rather than kept by hand so that the fixtures share one
shape: one Thread Group per kind of traffic, the sampler, and after a failed sample an If
Controller holding a Test Action that pauses the thread PAUSE..PAUSE+JITTER ms before it tries
again (so JMeter records the sample before the pause); one CSV Result Collector.
"""
import sys
from xml.sax.saxutils import escape


def prop(kind, name, value):
    return f'<{kind}Prop name="{escape(name)}">{escape(str(value))}</{kind}Prop>'


def java_sampler(name, classname, args):
    items = "\n".join(
        f'''            <elementProp name="{escape(k)}" elementType="Argument">
              {prop("string", "Argument.name", k)}
              {prop("string", "Argument.value", v)}
              {prop("string", "Argument.metadata", "=")}
            </elementProp>''' for k, v in args)
    return f'''        <JavaSampler guiclass="JavaTestSamplerGui" testclass="JavaSampler" testname="{escape(name)}" enabled="true">
          <elementProp name="arguments" elementType="Arguments" guiclass="ArgumentsPanel" testclass="Arguments" enabled="true">
            <collectionProp name="Arguments.arguments">
{items}
            </collectionProp>
          </elementProp>
          {prop("string", "classname", classname)}
        </JavaSampler>
        <hashTree/>'''


def http_sampler(name, protocol, host, port, path):
    # x-trace-id: a new random value each iteration (FunctionProperty caches per iteration),
    # stored in the variable traceId by __RandomString's third argument; the response's
    # x-trace-id (echoed by the server) goes to respTraceId.
    return f'''        <HTTPSamplerProxy guiclass="HttpTestSampleGui" testclass="HTTPSamplerProxy" testname="{escape(name)}" enabled="true">
          <elementProp name="HTTPsampler.Arguments" elementType="Arguments" guiclass="HTTPArgumentsPanel" testclass="Arguments" enabled="true">
            <collectionProp name="Arguments.arguments"/>
          </elementProp>
          {prop("string", "HTTPSampler.domain", host)}
          {prop("string", "HTTPSampler.port", port)}
          {prop("string", "HTTPSampler.connect_timeout", "${__P(connect_timeout_ms,5000)}")}
          {prop("string", "HTTPSampler.response_timeout", "${__P(response_timeout_ms,30000)}")}
          {prop("string", "HTTPSampler.protocol", protocol)}
          {prop("string", "HTTPSampler.contentEncoding", "")}
          {prop("string", "HTTPSampler.path", path)}
          {prop("string", "HTTPSampler.method", "GET")}
          {prop("bool", "HTTPSampler.follow_redirects", "false")}
          {prop("bool", "HTTPSampler.auto_redirects", "false")}
          {prop("bool", "HTTPSampler.use_keepalive", "false")}
          {prop("bool", "HTTPSampler.DO_MULTIPART_POST", "false")}
          {prop("string", "HTTPSampler.implementation", "HttpClient4")}
          {prop("bool", "HTTPSampler.monitor", "false")}
          {prop("string", "HTTPSampler.embedded_url_re", "")}
        </HTTPSamplerProxy>
        <hashTree>
          <HeaderManager guiclass="HeaderPanel" testclass="HeaderManager" testname="x-trace-id" enabled="true">
            <collectionProp name="HeaderManager.headers">
              <elementProp name="" elementType="Header">
                {prop("string", "Header.name", "x-trace-id")}
                {prop("string", "Header.value", "${__RandomString(24,0123456789abcdef,traceId)}")}
              </elementProp>
            </collectionProp>
          </HeaderManager>
          <hashTree/>
          <RegexExtractor guiclass="RegexExtractorGui" testclass="RegexExtractor" testname="respTraceId" enabled="true">
            {prop("string", "RegexExtractor.useHeaders", "true")}
            {prop("string", "RegexExtractor.refname", "respTraceId")}
            {prop("string", "RegexExtractor.regex", "(?i)x-trace-id: *([0-9a-z-]+)")}
            {prop("string", "RegexExtractor.template", "$1$")}
            {prop("string", "RegexExtractor.default", "")}
            {prop("string", "RegexExtractor.match_number", "1")}
          </RegexExtractor>
          <hashTree/>
        </hashTree>'''


def thread_group(name, p, sampler):
    """p: property prefix, e.g. "ws" -> ${__P(ws_threads)} ..."""
    return f'''      <ThreadGroup guiclass="ThreadGroupGui" testclass="ThreadGroup" testname="{escape(name)}" enabled="true">
        {prop("string", "ThreadGroup.on_sample_error", "continue")}
        <elementProp name="ThreadGroup.main_controller" elementType="LoopController" guiclass="LoopControlPanel" testclass="LoopController" testname="Loop Controller" enabled="true">
          {prop("bool", "LoopController.continue_forever", "false")}
          {prop("int", "LoopController.loops", "-1")}
        </elementProp>
        {prop("string", "ThreadGroup.num_threads", "${__P(%s_threads,10)}" % p)}
        {prop("string", "ThreadGroup.ramp_time", "${__P(%s_ramp,10)}" % p)}
        {prop("long", "ThreadGroup.start_time", "0")}
        {prop("long", "ThreadGroup.end_time", "0")}
        {prop("bool", "ThreadGroup.scheduler", "true")}
        {prop("string", "ThreadGroup.duration", "${__P(%s_duration,30)}" % p)}
        {prop("string", "ThreadGroup.delay", "${__P(%s_delay,0)}" % p)}
      </ThreadGroup>
      <hashTree>
{sampler}
        <IfController guiclass="IfControllerPanel" testclass="IfController" testname="If the sample failed" enabled="true">
          {prop("string", "IfController.condition", '${__jexl2("${JMeterThread.last_sample_ok}" == "false")}')}
          {prop("bool", "IfController.evaluateAll", "false")}
          {prop("bool", "IfController.useExpression", "true")}
        </IfController>
        <hashTree>
          <TestAction guiclass="TestActionGui" testclass="TestAction" testname="Pause, then try again" enabled="true">
            {prop("int", "ActionProcessor.action", "1")}
            {prop("int", "ActionProcessor.target", "0")}
            {prop("string", "ActionProcessor.duration", "${__Random(${__P(%s_pause_min_ms,1000)},${__P(%s_pause_max_ms,1500)})}" % (p, p))}
          </TestAction>
          <hashTree/>
        </hashTree>
      </hashTree>'''


CSV = '''      <ResultCollector guiclass="SimpleDataWriter" testclass="ResultCollector" testname="Results CSV" enabled="true">
        <boolProp name="ResultCollector.error_logging">false</boolProp>
        <objProp>
          <name>saveConfig</name>
          <value class="SampleSaveConfiguration">
            <time>true</time>
            <latency>true</latency>
            <timestamp>true</timestamp>
            <success>true</success>
            <label>true</label>
            <code>true</code>
            <message>true</message>
            <threadName>true</threadName>
            <dataType>true</dataType>
            <encoding>false</encoding>
            <assertions>true</assertions>
            <subresults>true</subresults>
            <responseData>false</responseData>
            <samplerData>false</samplerData>
            <xml>false</xml>
            <fieldNames>true</fieldNames>
            <responseHeaders>false</responseHeaders>
            <requestHeaders>false</requestHeaders>
            <responseDataOnError>false</responseDataOnError>
            <saveAssertionResultsFailureMessage>true</saveAssertionResultsFailureMessage>
            <assertionsResultsToSave>0</assertionsResultsToSave>
            <bytes>true</bytes>
            <hostname>true</hostname>
            <threadCounts>true</threadCounts>
            <sampleCount>false</sampleCount>
            <idleTime>true</idleTime>
            <connectTime>true</connectTime>
          </value>
        </objProp>
        <stringProp name="filename">${__P(jtl_csv,results.jtl)}</stringProp>
      </ResultCollector>
      <hashTree/>'''


def ws_group(p="ws", name="WebSocket clients", label="WS upgrade"):
    return thread_group(name, p, java_sampler(label, "ceiling.edge.WebSocketSampler", [
        ("host", "${__P(ws_host,127.0.0.1)}"),
        ("port", "${__P(ws_port,80)}"),
        ("path", "${__P(ws_path,/events)}"),
        ("label", label),
        ("holdMs", "${__P(ws_hold_ms,10000)}"),
        ("timeoutMs", "${__P(ws_timeout_ms,8000)}"),
        ("tracePrefix", "ws"),
    ]))


def sip_udp_group(p="sip"):
    # the spike fixture's sampler (testdata/gen/spike), unchanged
    return thread_group("SIP callers", p, java_sampler("SIP INVITE", "ceiling.spike.SipCallSampler", [
        ("edgeHost", "${__P(sip_host,127.0.0.1)}"),
        ("edgePort", "${__P(sip_port,5060)}"),
        ("localHost", "${__P(sip_local_host,127.0.0.1)}"),
        ("toUser", "+18005550100"),
        ("fromUser", "loadtest"),
        ("label", "SIP INVITE"),
        ("holdMs", "${__P(sip_hold_ms,10000)}"),
        ("t1Ms", "500"),
        ("t2Ms", "4000"),
        ("inviteTimeoutMs", "${__P(sip_invite_timeout_ms,8000)}"),
        ("byeTimeoutMs", "8000"),
    ]))


def sip_tcp_group(p="sip"):
    return thread_group("SIP callers (TCP)", p, java_sampler("SIP INVITE (TCP)", "ceiling.edge.SipTcpCallSampler", [
        ("edgeHost", "${__P(sip_host,127.0.0.1)}"),
        ("edgePort", "${__P(sip_port,5060)}"),
        ("localHost", "${__P(sip_local_host,127.0.0.1)}"),
        ("toUser", "+18005550100"),
        ("fromUser", "loadtest"),
        ("label", "SIP INVITE (TCP)"),
        ("holdMs", "${__P(sip_hold_ms,10000)}"),
        ("inviteTimeoutMs", "${__P(sip_invite_timeout_ms,8000)}"),
        ("byeTimeoutMs", "8000"),
    ]))


def http_group(p="http", protocol="http", label="HTTP hold"):
    return thread_group("HTTP clients", p, http_sampler(
        label, protocol, "${__P(http_host,127.0.0.1)}", "${__P(http_port,8080)}",
        "/hold?ms=${__P(http_hold_ms,10000)}"))


FIXTURES = {
    "ws-limit-conn": ("WebSocket connection limit (nginx limit_conn)", [ws_group]),
    "ws-rate-limit": ("WebSocket upgrade rate limit (nginx limit_req)", [ws_group]),
    "tcp-refused": ("TCP connection limit (iptables connlimit, RST to SYN)", [http_group]),
    "ephemeral-ports": ("load generator out of ephemeral ports", [http_group]),
    "tls-handshake-fail": ("TLS edge admitting N connections, alert to the rest",
                           [lambda: http_group(protocol="https", label="HTTPS hold")]),
    "sip-tcp-limit": ("SIP over TCP, edge dialog limit (kamailio)", [sip_tcp_group]),
    "mixed-ws-first": ("SIP calls and WebSocket connections at once", [sip_udp_group, ws_group]),
    "mixed-sip-first": ("SIP calls and WebSocket connections at once", [sip_udp_group, ws_group]),
}


def main():
    name, out = sys.argv[1], sys.argv[2]
    title, groups = FIXTURES[name]
    body = "\n".join(g() for g in groups)
    xml = f'''<?xml version="1.0" encoding="UTF-8"?>
<!-- ceiling edge fixture {escape(name)}: written by testdata/gen/edge/plans.py; properties set by make.sh (-J) -->
<jmeterTestPlan version="1.2" properties="2.8" jmeter="2.13 r1665067">
  <hashTree>
    <TestPlan guiclass="TestPlanGui" testclass="TestPlan" testname="ceiling edge: {escape(name)}: {escape(title)}" enabled="true">
      {prop("string", "TestPlan.comments", "see testdata/gen/edge/README.md")}
      {prop("bool", "TestPlan.functional_mode", "false")}
      {prop("bool", "TestPlan.serialize_threadgroups", "false")}
      <elementProp name="TestPlan.user_defined_variables" elementType="Arguments" guiclass="ArgumentsPanel" testclass="Arguments" testname="User Defined Variables" enabled="true">
        <collectionProp name="Arguments.arguments"/>
      </elementProp>
      {prop("string", "TestPlan.user_define_classpath", "")}
    </TestPlan>
    <hashTree>
{body}
{CSV}
    </hashTree>
  </hashTree>
</jmeterTestPlan>
'''
    with open(out, "w") as f:
        f.write(xml)


if __name__ == "__main__":
    main()
