#!/usr/bin/env python3
"""Write testdata/fixtures/<name>/README.md from the fixture's meta.json (make.sh runs it, so
that the numbers in the README are always those of the committed run).

  readme.py testdata/fixtures/<name>/meta.json > testdata/fixtures/<name>/README.md
"""
import json
import os
import sys

STORY = {
    "ws-limit-conn": """\
nginx 1.22 on 127.0.0.1:80 proxies WebSocket upgrades (`/events`) to a small Go echo backend
(`testdata/gen/edge/wsbackend`, 127.0.0.1:8081) and allows **{LIMIT} concurrent connections**
on the server (`limit_conn ws_conns {LIMIT}; limit_conn_status 503;`), with
`add_header x-trace-id $request_id always`. JMeter's `WebSocketSampler` (a Java sampler: raw
socket, RFC 6455 handshake with a per-sample `x-trace-id`, a text frame and its echo, hold
{hold_ms} ms, close frame 1000, the server's close and FIN) runs in {threads} threads ramped
over {ramp_s} s. Connection {LIMIT_1} arrives while {LIMIT} are open: nginx answers
`503 Service Temporarily Unavailable` (its own page) and keeps doing so until a connection
closes; a refused thread pauses 1-1.5 s and tries again.""",
    "ws-rate-limit": """\
The same edge as `ws-limit-conn` but limited by rate, not by count: nginx
`limit_req zone=ws_rate burst={burst} nodelay; limit_req_status 429;` with
`rate={rate_per_s}r/s` keyed on the server. {threads} WebSocket threads ramp over {ramp_s} s,
each connection held {hold_ms} ms, so the upgrade rate grows with the threads; once it passes
{rate_per_s}/s (plus the burst of {burst}) nginx answers `429 Too Many Requests`. The
concurrency at the first 429 is whatever was open then: a rate limit has no concurrency
ceiling, which is what tells it apart from `ws-limit-conn`.""",
    "tcp-refused": """\
Inside the namespace, an iptables rule answers a SYN to 127.0.0.1:8080 with an RST when
**{LIMIT} connections** to it are already tracked
(`-p tcp --syn --dport 8080 -m connlimit --connlimit-above {LIMIT} --connlimit-mask 32 -j REJECT --reject-with tcp-reset`).
Behind it a Go HTTP server (`wsbackend -http`) holds each `GET /hold?ms={hold_ms}` and then
answers 200 with `Connection: close` (and closes first). JMeter's HTTP sampler (HttpClient4,
keep-alive off, no retry, header `x-trace-id: ${{__RandomString(24,…,traceId)}}`) runs in {threads}
threads ramped over {ramp_s} s. Connection {LIMIT_1}'s SYN is answered by RST; JMeter
records `Non HTTP response code: java.net.ConnectException` / `Connection refused` (with the
Debian build of JMeter 2.13 and HttpClient 4.5.14 the exception is the plain
`java.net.ConnectException`, not `org.apache.http.conn.HttpHostConnectException`). Refused
samples never sent their request, so their trace IDs are not in the capture; every served
sample's trace ID is, in the request and echoed in the response.""",
    "ephemeral-ports": """\
The load generator runs out of ephemeral ports: in the namespace,
`net.ipv4.ip_local_port_range = {ip_local_port_range}` leaves **{LIMIT} local ports**. A Go
HTTP server on 127.0.0.1:8080 holds each `GET /hold?ms={hold_ms}`, then answers and closes
first (so the client keeps no port in TIME_WAIT). JMeter's HTTP sampler (HttpClient4,
keep-alive off) runs in {threads} threads ramped over {ramp_s} s. The {LIMIT_1}st concurrent
connect() fails in the kernel before any packet is sent: JMeter records
`Non HTTP response code: java.net.BindException` / `Cannot assign requested address`, and the
capture has **no SYN** for those samples (the number of TCP connections in the capture equals
the number of samples that got an answer). The edge never refused anything: the verdict is the
client layer.""",
    "tls-handshake-fail": """\
A Go HTTPS server (`wsbackend -https`, TLS 1.2/1.3, self-signed P-256 certificate for
127.0.0.1) on 127.0.0.1:443 admits **{LIMIT} concurrent TLS connections**; a connection
accepted while {LIMIT} are open gets its ClientHello read and a fatal TLS alert
`handshake_failure` (40) back, then a FIN. Served connections hold `GET /hold?ms={hold_ms}`
and close gracefully (close_notify, FIN, then the client's close_notify is read: no RST).
JMeter's HTTPS sampler (HttpClient4, keep-alive off, Java 17's TLS 1.3) runs in {threads}
threads ramped over {ramp_s} s and records `Non HTTP response code:
javax.net.ssl.SSLHandshakeException` / `Received fatal alert: handshake_failure` for the
refused ones. The server wrote every session's secrets to `keylog.txt` (NSS key log format,
the same as a client's SSLKEYLOGFILE): `tshark -o tls.keylog_file:keylog.txt` decrypts every
served connection, and the `x-trace-id` of every served sample is then visible.""",
    "sip-tcp-limit": """\
kamailio 5.6 (the spike fixture's configuration, copied to `testdata/gen/edge/kamailio-tcp.cfg`
with TCP added) listens on 127.0.0.1:5060 over TCP and UDP and allows **{LIMIT} dialogs**
(dialog profile; above that `503 Service Unavailable` with `Retry-After: 5` and a Q.850 cause
34 `Reason`). The sipp UAS (`testdata/gen/spike/uas.xml`) is behind it on 127.0.0.1:5070/UDP.
JMeter's `SipTcpCallSampler` (the spike's SIP sampler adapted to TCP: one TCP connection per
call, messages framed by Content-Length, INVITE, ACK, hold {hold_ms} ms, BYE over the same
connection) runs in {threads} threads ramped over {ramp_s} s. Call {LIMIT_1} gets the 503,
over TCP.""",
    "mixed-ws-first": """\
One JMeter run, two thread groups at once: {sip_threads} SIP callers (UDP, the spike's
`SipCallSampler`) to kamailio limited to **{sip_LIMIT} dialogs** (the spike's
`kamailio.cfg`), and {ws_threads} WebSocket clients to nginx with `limit_conn` **{ws_LIMIT}**;
both ramp over {ramp_s} s and hold {hold_ms} ms. The WebSocket ceiling ({ws_LIMIT}) is reached
first, the SIP ceiling ({sip_LIMIT}) a few seconds later: the verdict is the layer that failed
first, websocket 503 at {ws_LIMIT_1} connections; SIP 503 at {sip_LIMIT_1} dialogs comes after.""",
    "mixed-sip-first": """\
One JMeter run, two thread groups at once: {sip_threads} SIP callers (UDP, the spike's
`SipCallSampler`) to kamailio limited to **{sip_LIMIT} dialogs** (the spike's
`kamailio.cfg`), and {ws_threads} WebSocket clients to nginx with `limit_conn` **{ws_LIMIT}**;
both ramp over {ramp_s} s and hold {hold_ms} ms. The SIP ceiling ({sip_LIMIT}) is reached
first, the WebSocket ceiling ({ws_LIMIT}) a few seconds later: the verdict is the layer that
failed first, sip 503 at {sip_LIMIT_1} dialogs; WebSocket 503 at {ws_LIMIT_1} connections comes after.""",
}

UNITS = {
    "websocket": "WebSocket connections (upgrades awaiting an answer + 101s not yet closed), incl. the rejected one",
    "tcp": "TCP connections to the edge opening or open, incl. the refused one",
    "tls": "TCP connections to the TLS edge opening or open, incl. the alerted one",
    "sip": "SIP dialogs in progress, incl. the rejected INVITE",
    "client": "TCP connections open from the load generator at the failed sample (all the ports) + the failed attempt",
}


def main():
    path = sys.argv[1]
    m = json.load(open(path))
    fx = m["fixture"]
    p = dict(m["parameters"])
    for k in ("LIMIT", "ws_LIMIT", "sip_LIMIT"):
        if p.get(k) is not None:
            p[k + "_1"] = p[k] + 1
    v = m["expected_verdict"]
    ff = v.get("first_failure") or {}
    c = m["check"]
    out = []
    w = out.append
    w(f"# testdata/fixtures/{fx}\n")
    w(f"One real run, made by `testdata/gen/edge/make.sh {fx}` on {m['date']} (how it works and how to "
      "re-run it: `testdata/gen/edge/README.md`). Everything ran inside a network namespace of its own, "
      "on its loopback 127.0.0.1. Re-running overwrites these files with a new run: new IDs and "
      "times, the same story. This README is written from `meta.json` by `testdata/gen/edge/readme.py`.\n")
    w("## The story\n")
    w(STORY[fx].format(**p) + "\n")
    w("## Expected verdict\n")
    w("| | |\n|---|---|")
    w(f"| layer | `{v['layer']}` |")
    w(f"| status | `{v['status']}` |")
    w(f"| kind | `{v['kind']}` |")
    w(f"| first failure | {ff.get('time')} |")
    w(f"| concurrency at the first failure (capture, check.py) | **{ff.get('concurrency')}** ({UNITS[v['layer']]}) |")
    lim = p.get("LIMIT") if not fx.startswith("mixed") else p.get("ws_LIMIT" if v["layer"] == "websocket" else "sip_LIMIT")
    if lim is not None:
        w(f"| configured limit | {lim} |")
    elif fx == "ws-rate-limit":
        w(f"| configured limit | rate {p['rate_per_s']}/s, burst {p['burst']} (no concurrency limit) |")
    su = v.get("sustained")
    if su:
        w(f"| sustained breakpoint (check.py: lowest level at and above which most attempts fail) | {su['concurrency']} "
          f"({su['attempts_at_or_above']} attempts at or above, {round(100 * su['failed_share_at_or_above'])}% failed; "
          f"{su['attempts_below']} below, {su['failed_below']} failed) |")
    if ff.get("jtl_allThreads") is not None:
        w(f"| JMeter `allThreads` on that sample | {ff.get('jtl_allThreads')} |")
    for k in ("trace_id", "call_id"):
        if ff.get(k):
            w(f"| {k.replace('_', ' ')} of that sample | `{ff[k]}` |")
    if fx.startswith("mixed"):
        o = v["other_layer_first_failure"]
        w(f"| the other layer's first failure | {o['layer']} {o.get('status')} at {o.get('time')}, "
          f"concurrency {o.get('concurrency')}, {c.get('seconds_between_first_failures')} s later |")
    w("")
    w("## Files\n")
    w("| file | what | size |\n|---|---|---|")
    d = os.path.dirname(path)
    desc = {
        "capture.pcapng.gz": f"tcpdump -i lo (filter `{p['capture_filter']}`), nanosecond pcapng (`editcap -F pcapng`), `gzip -9`; {m['capinfos'].replace(';', '; ').strip()}",
        "results.jtl": "JMeter's CSV results with header; sample variables "
                       + ", ".join(f"`{x}`" for x in p["jmeter_properties"].split()[0].split("=")[1].split(","))
                       + " (JMeter 2.13 quotes their header cells; a variable a sampler did not set is written `null`)",
        "meta.json": "parameters, tool versions, what tshark counts, the concurrency at the first failure, the checks",
        "plan.jmx": "the JMeter test plan of the run (written by `testdata/gen/edge/plans.py`; numbers given with -J, see meta.json)",
        "nginx.conf": "the edge's nginx configuration of the run (work dir paths replaced)",
        "keylog.txt": "TLS secrets of every session (NSS key log / SSLKEYLOGFILE format), written by the server",
    }
    for f in sorted(os.listdir(d)):
        if f in desc:
            w(f"| `{f}` | {desc[f]} | {os.path.getsize(os.path.join(d, f)):,} B |")
    w("")
    w("## The numbers (from meta.json)\n")
    w("| | |\n|---|---|")
    w(f"| JTL rows | {c['jtl_rows']} |")
    for layer in ("websocket", "sip", "tcp", "tls", "client"):
        if layer not in c:
            continue
        L = c[layer]
        keep = {k: L[k] for k in L if k not in ("unit", "first_failure", "jtl", "sustained") and not isinstance(L[k], (list,))}
        w(f"| {layer} (capture) | " + ", ".join(f"{k}: {json.dumps(val)}" for k, val in keep.items()) + " |")
        if "jtl" in L:
            w(f"| {layer} (JTL) | " + ", ".join(f"{k}: {json.dumps(val)}" for k, val in L["jtl"].items()) + " |")
    w(f"| checks | {sum(1 for x in c['checks'].values() if x)} of {len(c['checks'])} passed: "
      + ", ".join(f"`{k}`" for k in c["checks"]) + " |")
    w("")
    w("Check it again: `python3 testdata/gen/edge/check.py --fixture " + fx + " --pcap testdata/fixtures/" + fx
      + "/capture.pcapng.gz --jtl testdata/fixtures/" + fx + "/results.jtl "
      + (f"--ws-limit {p['ws_LIMIT']} --sip-limit {p['sip_LIMIT']}" if fx.startswith("mixed") else f"--limit {p.get('LIMIT') or 0}")
      + (" --keylog testdata/fixtures/" + fx + "/keylog.txt" if fx == "tls-handshake-fail" else "") + "`\n")
    w("Versions: " + "; ".join(f"{k}: {val}" for k, val in m["versions"].items()) + ".")
    print("\n".join(out))


if __name__ == "__main__":
    main()
