#!/usr/bin/env python3
"""Write the JMeter 2.13 test plan (.jmx) of one TLS fixture.

  plans.py FIXTURE OUT.jmx

Copied from testdata/gen/edge/plans.py (the same plan shape: one Thread Group, the sampler, and
after a failed sample an If Controller holding a Test Action that pauses the thread
PAUSE..PAUSE+JITTER ms before it tries again; one CSV Result Collector), with the TLS samplers
of this directory: ceiling.tls.SipTlsCallSampler (SIP over TLS) and ceiling.tls.WssSampler
(wss://). Every number is a JMeter property (${__P(name,default)}), set by make.sh with -J; the
TLS protocol, cipher suite, CA certificate and SNI name too (tls_protocol, tls_cipher, tls_ca,
tls_sni).
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


TLS_ARGS = [
    ("tlsProtocol", "${__P(tls_protocol,TLSv1.3)}"),
    ("cipherSuite", "${__P(tls_cipher,TLS_AES_128_GCM_SHA256)}"),
    ("caCert", "${__P(tls_ca,cert.pem)}"),
    ("sniHost", "${__P(tls_sni,edge.ceiling.test)}"),
    ("closeWaitMs", "${__P(close_wait_ms,5000)}"),
]


def wss_group(p="ws", name="WebSocket clients (wss)", label="WSS upgrade"):
    return thread_group(name, p, java_sampler(label, "ceiling.tls.WssSampler", [
        ("host", "${__P(ws_host,127.0.0.1)}"),
        ("port", "${__P(ws_port,443)}"),
        ("path", "${__P(ws_path,/events)}"),
        ("label", label),
        ("holdMs", "${__P(ws_hold_ms,10000)}"),
        ("timeoutMs", "${__P(ws_timeout_ms,8000)}"),
        ("tracePrefix", "wss"),
    ] + TLS_ARGS))


def sip_tls_group(p="sip"):
    return thread_group("SIP callers (TLS)", p, java_sampler("SIP INVITE (TLS)", "ceiling.tls.SipTlsCallSampler", [
        ("edgeHost", "${__P(sip_host,127.0.0.1)}"),
        ("edgePort", "${__P(sip_port,5061)}"),
        ("localHost", "${__P(sip_local_host,127.0.0.1)}"),
        ("toUser", "+18005550100"),
        ("fromUser", "loadtest"),
        ("label", "SIP INVITE (TLS)"),
        ("holdMs", "${__P(sip_hold_ms,10000)}"),
        ("inviteTimeoutMs", "${__P(sip_invite_timeout_ms,8000)}"),
        ("byeTimeoutMs", "8000"),
    ] + TLS_ARGS))


def main():
    name, out = sys.argv[1], sys.argv[2]
    if name.startswith("sip-tls-limit"):
        title, groups = "SIP over TLS (5061), edge dialog limit (kamailio tls)", [sip_tls_group]
    elif name.startswith("wss-limit-conn"):
        title, groups = "secure WebSocket (wss://), nginx TLS + limit_conn", [wss_group]
    else:
        sys.exit("unknown fixture " + name)
    body = "\n".join(g() for g in groups)
    xml = f'''<?xml version="1.0" encoding="UTF-8"?>
<!-- ceiling TLS fixture {escape(name)}: written by testdata/gen/tls/plans.py; properties set by make.sh (-J) -->
<jmeterTestPlan version="1.2" properties="2.8" jmeter="2.13 r1665067">
  <hashTree>
    <TestPlan guiclass="TestPlanGui" testclass="TestPlan" testname="ceiling tls: {escape(name)}: {escape(title)}" enabled="true">
      {prop("string", "TestPlan.comments", "see testdata/gen/tls/README.md")}
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
