#!/usr/bin/env python3
"""Check one TLS fixture from its DECRYPTED dissection, independently of ceiling.

  check.py --fixture NAME --kind sip|wss --pcap capture.pcapng[.gz] --keylog keylog.txt
           --jtl results.jtl --limit N --tls-version TLSv1.3 --cipher TLS_AES_128_GCM_SHA256
           [--edge-log kamailio.log|access.log] [--twin testdata/fixtures/sip-tcp-limit/meta.json]
           [--dsb capture-dsb.pcapng[.gz]] [--json out.json]

tshark is the oracle. It reads the capture three ways:

* with the key log (-o tls.keylog_file:keylog.txt): the decrypted SIP / HTTP / WebSocket, from
  which this script counts what tshark dissected (SIP requests per method, responses per code,
  HTTP requests, 101s, 503s, WebSocket frames) and computes the expected verdict: the first
  failure and its concurrency the way ceiling's DESIGN.md defines it, including the rejected
  attempt itself (sip: dialogs from the caller's INVITE until a final non-2xx or the edge's 200
  to the BYE; websocket: upgrades awaiting an answer plus 101s not yet closed);
* without it: only TLS (no SIP, HTTP or WebSocket dissected, application data records only);
* the copy with the key log embedded as a Decryption Secrets Block (--dsb), without
  -o tls.keylog_file: the same counts as with the key log.

It also checks every connection's handshake (the pinned version and cipher suite in each
ServerHello, a key log entry for each ClientHello's random, every connection decrypted), the JTL
against the capture (Call-IDs / trace IDs, response codes, the negotiated TLS session), the
edge's own log (kamailio's first refusal, nginx's first 503), and the verdict against the
plaintext twin's (same layer, status and first-failure concurrency).

The layer functions (tcp_conns, sip_layer, ws_layer, sustained...) are copied from
testdata/gen/edge/check.py and run on the decrypted packets. Exit status 1 when a check fails.
"""
import argparse
import csv
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
from datetime import datetime, timezone

FIELDS = [
    "frame.number", "frame.time_epoch", "ip.src", "ip.dst", "tcp.srcport", "tcp.dstport", "udp.srcport",
    "udp.dstport", "tcp.stream", "tcp.flags.syn", "tcp.flags.ack", "tcp.flags.fin", "tcp.flags.reset",
    "tcp.len", "http.request.method", "http.response.code", "http.request.line", "http.response.line",
    "websocket.opcode", "tls.alert_message.desc", "tls.handshake.type", "tls.record.version",
    "tls.handshake.version", "sip.Method", "sip.Status-Code", "sip.CSeq.method", "sip.Call-ID",
    # TLS
    "tls.handshake.ciphersuite", "tls.handshake.extensions.supported_version", "tls.handshake.random",
    "tls.record.content_type", "tls.record.opaque_type", "tcp.analysis.retransmission", "frame.protocols",
]
AGG = "\x1f"
TLS_ALERTS = {0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac", 40: "handshake_failure",
              42: "bad_certificate", 46: "certificate_unknown", 47: "illegal_parameter", 48: "unknown_ca",
              50: "decode_error", 51: "decrypt_error", 70: "protocol_version", 71: "insufficient_security",
              80: "internal_error", 86: "inappropriate_fallback", 90: "user_canceled", 109: "missing_extension",
              112: "unrecognized_name", 120: "no_application_protocol"}
# IANA cipher suite values (the names as the TLS registry and Java give them)
SUITES = {0x1301: "TLS_AES_128_GCM_SHA256", 0x1302: "TLS_AES_256_GCM_SHA384", 0x1303: "TLS_CHACHA20_POLY1305_SHA256",
          0xC02B: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 0xC02C: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
          0xCCA9: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
          0xC02F: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 0xC030: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
          0xCCA8: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"}
VERSIONS = {0x0303: "TLSv1.2", 0x0304: "TLSv1.3"}


def gunzipped(pcap):
    """(path to read, temp file to delete or None)"""
    if not pcap.endswith(".gz"):
        return pcap, None
    tmp = tempfile.NamedTemporaryFile(suffix=".pcapng", delete=False)
    with gzip.open(pcap, "rb") as f:
        tmp.write(f.read())
    tmp.close()
    return tmp.name, tmp.name


def tshark(pcap, extra):
    path, tmp = gunzipped(pcap)
    cmd = ["tshark", "-n", "-r", path] + extra + ["-T", "fields", "-E", "separator=\t", "-E", "occurrence=a",
                                                  "-E", "aggregator=" + AGG]
    for f in FIELDS:
        cmd += ["-e", f]
    try:
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    finally:
        if tmp:
            os.unlink(tmp)
    pkts = []
    for line in out.splitlines():
        v = line.split("\t")
        v += [""] * (len(FIELDS) - len(v))
        r = dict(zip(FIELDS, v))
        multi = lambda k: [x for x in r[k].split(AGG) if x != ""]
        first = lambda k: multi(k)[0] if multi(k) else ""
        p = {
            "no": int(r["frame.number"]), "t": float(r["frame.time_epoch"]), "tns": ns(r["frame.time_epoch"]),
            "src": r["ip.src"], "dst": r["ip.dst"],
            "sport": int(first("tcp.srcport") or first("udp.srcport") or 0),
            "dport": int(first("tcp.dstport") or first("udp.dstport") or 0),
            "tcp": r["tcp.stream"] != "", "stream": int(first("tcp.stream")) if r["tcp.stream"] else None,
            "syn": first("tcp.flags.syn") in ("1", "True"), "ack": first("tcp.flags.ack") in ("1", "True"),
            "fin": first("tcp.flags.fin") in ("1", "True"), "rst": first("tcp.flags.reset") in ("1", "True"),
            "len": int(first("tcp.len") or 0),
            "http_methods": multi("http.request.method"), "http_codes": [int(c) for c in multi("http.response.code")],
            "req_lines": multi("http.request.line"), "resp_lines": multi("http.response.line"),
            "ws_ops": [int(x, 0) for x in multi("websocket.opcode")],
            "alerts": [int(x, 0) for x in multi("tls.alert_message.desc")],
            "hs_types": [int(x, 0) for x in multi("tls.handshake.type")],
            "sip_methods": multi("sip.Method"), "sip_codes": [int(c) for c in multi("sip.Status-Code")],
            "sip_cseq": multi("sip.CSeq.method"), "sip_cids": multi("sip.Call-ID"),
            "suites": [int(x, 0) for x in multi("tls.handshake.ciphersuite")],
            "sup_versions": [int(x, 0) for x in multi("tls.handshake.extensions.supported_version")],
            "hs_versions": [int(x, 0) for x in multi("tls.handshake.version")],
            "randoms": multi("tls.handshake.random"),
            "content_types": [int(x, 0) for x in multi("tls.record.content_type")],
            "opaque_types": [int(x, 0) for x in multi("tls.record.opaque_type")],
            "retrans": r["tcp.analysis.retransmission"] != "",
            "protocols": r["frame.protocols"],
        }
        pkts.append(p)
    pkts.sort(key=lambda p: p["no"])
    return pkts


def iso(t):
    return datetime.fromtimestamp(t, tz=timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def ns(s):
    sec, _, frac = s.partition(".")
    return int(sec) * 1_000_000_000 + int((frac + "000000000")[:9])


def header(lines, name):
    name = name.lower() + ":"
    for ln in lines:
        ln = ln.replace("\\r\\n", "").strip()
        if ln.lower().startswith(name):
            return ln[len(name):].strip()
    return ""


def read_jtl(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        for k in list(r):
            if k and k.startswith('"'):
                r[k.strip('"')] = r.pop(k)
    return rows


# ---------------------------------------------------------------- TCP connections

def tcp_conns(pkts, port):
    """Connections to port (client -> edge), by tcp.stream: start (first SYN), end (first RST,
    or the later of the two sides' first FIN), refused (SYN answered by RST, no SYN-ACK)."""
    conns = {}
    for p in pkts:
        if not p["tcp"]:
            continue
        if p["dport"] == port:
            c2e = True
        elif p["sport"] == port:
            c2e = False
        else:
            continue
        c = conns.get(p["stream"])
        if c is None:
            if not (p["syn"] and not p["ack"] and c2e):
                continue  # started before the capture
            c = conns[p["stream"]] = {"stream": p["stream"], "start": p, "client_port": p["sport"], "synack": None,
                                      "fin_c": None, "fin_e": None, "rst": None, "end": None, "packets": []}
        c["packets"].append(p)
        if p["syn"] and p["ack"] and not c2e and c["synack"] is None:
            c["synack"] = p
        if p["rst"] and c["rst"] is None:
            c["rst"] = p
        if p["fin"]:
            k = "fin_c" if c2e else "fin_e"
            if c[k] is None:
                c[k] = p
    for c in conns.values():
        ends = []
        if c["rst"]:
            ends.append(c["rst"])
        if c["fin_c"] and c["fin_e"]:
            ends.append(max(c["fin_c"], c["fin_e"], key=lambda p: p["no"]))
        c["end"] = min(ends, key=lambda p: p["no"]) if ends else None
        c["refused"] = c["synack"] is None and c["rst"] is not None and not c["rst"]["fin"] and c["rst"]["sport"] == port
        c["timeout"] = c["synack"] is None and c["rst"] is None
    return sorted(conns.values(), key=lambda c: c["start"]["no"])


def active_at(items, frame_no, start_key="start", end_key="end"):
    """items whose start frame <= frame_no and whose end is None or after frame_no (a count that
    includes the item starting at frame_no itself)."""
    n = 0
    for it in items:
        s, e = it[start_key], it[end_key]
        if s is not None and s["no"] <= frame_no and (e is None or e["no"] > frame_no):
            n += 1
    return n


def active_at_time(items, tns, start_key="start", end_key="end"):
    n = 0
    for it in items:
        s, e = it[start_key], it[end_key]
        if s is not None and s["tns"] <= tns and (e is None or e["tns"] > tns):
            n += 1
    return n


def peak(items, start_key="start", end_key="end", only=None):
    ev = []
    for it in items:
        if only is not None and not only(it):
            continue
        ev.append((it[start_key]["no"], 1))
        if it[end_key] is not None:
            ev.append((it[end_key]["no"], -1))
    ev.sort(key=lambda e: (e[0], e[1]))
    cur = best = 0
    for _, d in ev:
        cur += d
        best = max(best, cur)
    return best


def sustained(items, failed):
    """The lowest concurrency at and above which most attempts fail: the smallest level c such
    that at every level c' >= c that has attempts, more than half of the attempts made at
    concurrency c' failed (an attempt's concurrency counted at its start, itself included)."""
    by = {}
    for it in items:
        by.setdefault(active_at(items, it["start"]["no"]), []).append(bool(failed(it)))
    best = None
    for c in sorted(by, reverse=True):
        if sum(by[c]) * 2 > len(by[c]):
            best = c
        else:
            break
    if best is None:
        return None
    sel = [f for c, fs in by.items() if c >= best for f in fs]
    below = [f for c, fs in by.items() if c < best for f in fs]
    return {"concurrency": best, "attempts_at_or_above": len(sel), "failed_share_at_or_above": round(sum(sel) / len(sel), 3),
            "attempts_below": len(below), "failed_below": sum(below),
            "by_level": {str(c): [len(fs), sum(fs)] for c, fs in sorted(by.items())},
            "definition": " ".join(sustained.__doc__.split(":", 1)[1].split())}




# ---------------------------------------------------------------- layers (copied from testdata/gen/edge/check.py)

def ws_layer(pkts, port, jtl, label):
    conns = {c["stream"]: c for c in tcp_conns(pkts, port)}
    attempts = []
    for c in conns.values():
        req = resp = close = None
        code = None
        for p in c["packets"]:
            if req is None and p["dport"] == port and "GET" in p["http_methods"] and \
                    header(p["req_lines"], "Upgrade").lower() == "websocket":
                req = p
            elif req is not None and resp is None and p["sport"] == port and p["http_codes"]:
                resp, code = p, p["http_codes"][0]
            elif resp is not None and close is None and 8 in p["ws_ops"]:
                close = p
        if req is None:
            continue
        if resp is not None and code != 101:
            end = resp
        else:
            cands = [x for x in (close, c["rst"], c["fin_c"], c["fin_e"]) if x is not None and x["no"] >= req["no"]]
            end = min(cands, key=lambda p: p["no"]) if cands else None
        attempts.append({"stream": c["stream"], "start": req, "end": end, "resp": resp, "code": code,
                         "trace": header(req["req_lines"], "x-trace-id"),
                         "resp_trace": header(resp["resp_lines"], "x-trace-id") if resp else ""})
    attempts.sort(key=lambda a: a["start"]["no"])
    failures = [a for a in attempts if a["code"] != 101]
    first = failures[0] if failures else None
    res = {
        "unit": "websocket connections: upgrades awaiting an answer + 101s not yet closed (close frame, first FIN or RST)",
        "attempts": len(attempts),
        "codes": dict(Counter(str(a["code"]) if a["code"] is not None else "no answer" for a in attempts)),
        "close_frames": sum(1 for a in attempts if a["end"] is not None and 8 in a["end"]["ws_ops"]),
        "peak_open_101": peak(attempts, only=lambda a: a["code"] == 101),
    }
    if first:
        res["first_failure"] = {
            "frame": first["start"]["no"], "answer_frame": first["resp"]["no"] if first["resp"] else None,
            "time": iso(first["start"]["t"]), "status": str(first["code"]), "trace_id": first["trace"],
            "resp_trace_id": first["resp_trace"],
            "concurrency": active_at(attempts, first["start"]["no"]),
            "concurrency_open_101_others": sum(1 for a in attempts if a["code"] == 101 and a["start"]["no"] < first["start"]["no"]
                                               and (a["end"] is None or a["end"]["no"] > first["start"]["no"])),
            "tcp_connections": active_at(list(conns.values()), first["start"]["no"]),
        }
    # JTL: every trace ID on the wire, each responseCode = the capture's status
    by_trace = {a["trace"]: a for a in attempts}
    rows = [r for r in jtl if r["label"] == label]
    missing = [r["traceId"] for r in rows if r["traceId"] not in by_trace]
    mism = [(r["traceId"], r["responseCode"], by_trace[r["traceId"]]["code"]) for r in rows
            if r["traceId"] in by_trace and r["responseCode"] != str(by_trace[r["traceId"]]["code"])]
    resp_mism = [r["traceId"] for r in rows if r["traceId"] in by_trace and r.get("respTraceId", "") != by_trace[r["traceId"]]["resp_trace"]]
    res["sustained"] = sustained(attempts, lambda a: a["code"] != 101)
    res["jtl"] = {"rows": len(rows), "codes": dict(Counter(r["responseCode"] for r in rows)),
                  "trace_ids_not_in_capture": len(missing), "code_mismatches": len(mism),
                  "resp_trace_id_mismatches": len(resp_mism),
                  "success_true": sum(1 for r in rows if r["success"] == "true")}
    if first:
        fr = next((r for r in rows if r["traceId"] == first["trace"]), None)
        res["first_failure"]["jtl_allThreads"] = int(fr["allThreads"]) if fr else None
        res["first_failure"]["jtl_grpThreads"] = int(fr["grpThreads"]) if fr else None
        res["first_failure"]["jtl_timeStamp"] = int(fr["timeStamp"]) if fr else None
    res["checks"] = {
        "every_jtl_trace_id_in_capture": not missing and len(rows) > 0,
        "jtl_rows_equal_upgrade_attempts": len(rows) == len(attempts),
        "jtl_codes_match_capture": not mism,
        "jtl_resp_trace_ids_match_capture": not resp_mism,
        "every_attempt_answered": all(a["code"] is not None for a in attempts),
        "every_101_sample_succeeded": all(r["success"] == "true" for r in rows if r["responseCode"] == "101"),
        "no_tcp_reset_on_the_edge_leg": all(c["rst"] is None for c in conns.values()),
    }
    return res, first



def sip_layer(pkts, port, uas_port, jtl):
    msgs = []
    for p in pkts:
        if not (p["sip_methods"] or p["sip_codes"]):
            continue
        # one packet may carry several SIP messages (TCP): walk them in order
        n = max(len(p["sip_cids"]), 1)
        mi = ci = 0
        for i in range(n):
            cseq = p["sip_cseq"][i] if i < len(p["sip_cseq"]) else ""
            cid = p["sip_cids"][i] if i < len(p["sip_cids"]) else ""
            # a request has a method equal to its CSeq method (except ACK/CANCEL, same rule)
            if mi < len(p["sip_methods"]) and (ci >= len(p["sip_codes"]) or p["sip_methods"][mi] == cseq):
                msgs.append({"p": p, "method": p["sip_methods"][mi], "code": None, "cseq": cseq, "cid": cid})
                mi += 1
            elif ci < len(p["sip_codes"]):
                msgs.append({"p": p, "method": "", "code": p["sip_codes"][ci], "cseq": cseq, "cid": cid})
                ci += 1
    c2e = lambda m: m["p"]["dport"] == port and m["p"]["sport"] != uas_port
    e2c = lambda m: m["p"]["sport"] == port and m["p"]["dport"] != uas_port
    dialogs = {}
    for m in msgs:
        cid = m["cid"]
        if m["method"] == "INVITE" and c2e(m):
            d = dialogs.setdefault(cid, {"cid": cid, "start": m["p"], "end": None, "final": None, "invites": 0})
            d["invites"] += 1
        elif m["method"] == "BYE" and c2e(m) and cid in dialogs:
            dialogs[cid].setdefault("bye", m["p"])
        elif m["code"] is not None and e2c(m) and cid in dialogs:
            d = dialogs[cid]
            if m["cseq"] == "INVITE" and m["code"] >= 200 and d["final"] is None:
                d["final"] = m["code"]
                d["final_p"] = m["p"]
                if m["code"] >= 300:
                    d["end"] = m["p"]
            elif m["cseq"] == "BYE" and 200 <= m["code"] < 300 and d["end"] is None:
                d["end"] = m["p"]
    ds = sorted(dialogs.values(), key=lambda d: d["start"]["no"])
    fails = [d for d in ds if d["final"] is None or d["final"] >= 400]
    first = fails[0] if fails else None
    res = {
        "unit": "SIP dialogs: INVITE caller->edge until a final non-2xx or the edge's 200 to the BYE",
        "invite_transactions": len(ds),
        "invite_retransmissions": sum(d["invites"] - 1 for d in ds),
        "final_codes": dict(Counter(str(d["final"]) if d["final"] else "none" for d in ds)),
        "byes": sum(1 for m in msgs if m["method"] == "BYE" and c2e(m)),
        "bye_200s": sum(1 for m in msgs if m["code"] == 200 and m["cseq"] == "BYE" and e2c(m)),
        "peak_admitted": peak(ds, only=lambda d: d["final"] == 200),
        # the edge's own view: kamailio's dialog profile drops a call when the BYE reaches it
        "peak_admitted_edge_view": peak([dict(d, edge_end=d.get("bye") or d["end"]) for d in ds],
                                        end_key="edge_end", only=lambda d: d["final"] == 200),
    }
    if first:
        res["first_failure"] = {"frame": first["start"]["no"], "answer_frame": first.get("final_p", {}).get("no"),
                                "time": iso(first["start"]["t"]),
                                "status": str(first["final"]) if first["final"] else "timeout", "call_id": first["cid"],
                                "concurrency": active_at(ds, first["start"]["no"])}
    res["sustained"] = sustained(ds, lambda d: d["final"] is None or d["final"] >= 400)
    rows = [r for r in jtl if r["label"].startswith("SIP INVITE")]
    missing = [r["callId"] for r in rows if r["callId"] not in dialogs]
    mism = [r["callId"] for r in rows if r["callId"] in dialogs and r["responseCode"] != str(dialogs[r["callId"]]["final"])]
    res["jtl"] = {"rows": len(rows), "codes": dict(Counter(r["responseCode"] for r in rows)),
                  "call_ids_not_in_capture": len(missing), "code_mismatches": len(mism)}
    if first:
        fr = next((r for r in rows if r["callId"] == first["cid"]), None)
        res["first_failure"]["jtl_allThreads"] = int(fr["allThreads"]) if fr else None
        res["first_failure"]["jtl_grpThreads"] = int(fr["grpThreads"]) if fr else None
    res["checks"] = {
        "every_jtl_call_id_in_capture": not missing and len(rows) > 0,
        "jtl_rows_equal_invite_transactions": len(rows) == len(ds),
        "jtl_codes_match_capture": not mism,
        "no_invite_retransmissions": all(d["invites"] == 1 for d in ds),
        "only_200_and_503": set(res["final_codes"]) <= {"200", "503"},
        "every_bye_answered": res["byes"] == res["bye_200s"] == res["final_codes"].get("200", 0),
    }
    return res, first




# ---------------------------------------------------------------- TLS

def tls_sessions(pkts, port, keylog_randoms):
    """Per TCP connection to port: its ClientHello random, the ServerHello's version and suite,
    whether the key log has its client random, what tshark decrypted in it."""
    conns = tcp_conns(pkts, port)
    out = []
    for c in conns:
        ch = next((p for p in c["packets"] if p["dport"] == port and 1 in p["hs_types"]), None)
        sh = next((p for p in c["packets"] if p["sport"] == port and 2 in p["hs_types"]), None)
        s = {"stream": c["stream"], "client_random": ch["randoms"][0].replace(":", "").lower() if ch and ch["randoms"] else None,
             "version": None, "suite": None}
        if sh:
            # ServerHello: a TLS 1.3 one carries supported_versions = 0x0304; its legacy version is 0x0303
            s["version"] = VERSIONS.get(sh["sup_versions"][0] if sh["sup_versions"] else (sh["hs_versions"][-1] if sh["hs_versions"] else 0))
            s["suite"] = SUITES.get(sh["suites"][0], hex(sh["suites"][0])) if sh["suites"] else None
        s["in_keylog"] = s["client_random"] in keylog_randoms if s["client_random"] else False
        s["decrypted_messages"] = sum(len(p["sip_methods"]) + len(p["sip_codes"]) + len(p["http_methods"]) + len(p["http_codes"])
                                      for p in c["packets"])
        s["alerts"] = [TLS_ALERTS.get(d, str(d)) for p in c["packets"] for d in p["alerts"]]
        s["rst"] = c["rst"] is not None
        out.append(s)
    return conns, out


def read_keylog(path):
    labels = Counter()
    randoms = set()
    for line in open(path):
        parts = line.split()
        if len(parts) == 3:
            labels[parts[0]] += 1
            randoms.add(parts[1].lower())
    return labels, randoms


def counts(pkts):
    """What tshark dissected: SIP messages (requests per method, responses per code and per
    code+CSeq method), HTTP requests and responses, WebSocket frames, TLS records."""
    sip_req, sip_resp, sip_resp_m = Counter(), Counter(), Counter()
    for p in pkts:
        for m in p["sip_methods"]:
            sip_req[m] += 1
        # a response's CSeq method: the CSeq values not taken by the requests in the packet
        cseqs = list(p["sip_cseq"])
        for m in p["sip_methods"]:
            if m in cseqs:
                cseqs.remove(m)
        for i, c in enumerate(p["sip_codes"]):
            sip_resp[str(c)] += 1
            sip_resp_m[f"{c} {cseqs[i] if i < len(cseqs) else '?'}"] += 1
    http_req = Counter(m for p in pkts for m in p["http_methods"])
    http_resp = Counter(str(c) for p in pkts for c in p["http_codes"])
    ws = Counter({1: "text", 2: "binary", 8: "close", 9: "ping", 10: "pong"}.get(o, str(o)) for p in pkts for o in p["ws_ops"])
    rec = Counter()
    for p in pkts:
        for ct in p["content_types"]:
            rec[{20: "change_cipher_spec", 21: "alert", 22: "handshake", 23: "application_data"}.get(ct, str(ct))] += 1
        for ct in p["opaque_types"]:
            rec["encrypted (TLS 1.3 opaque_type %d)" % ct] += 1
    return {
        "sip": {"requests": dict(sorted(sip_req.items())), "responses": dict(sorted(sip_resp.items())),
                "responses_by_cseq_method": dict(sorted(sip_resp_m.items())),
                "messages": sum(sip_req.values()) + sum(sip_resp.values())},
        "http": {"requests": dict(sorted(http_req.items())), "responses": dict(sorted(http_resp.items())),
                 "messages": sum(http_req.values()) + sum(http_resp.values())},
        "websocket": {"frames": dict(sorted(ws.items())), "total": sum(ws.values())},
        "tls_records": dict(sorted(rec.items())),
        "alerts": dict(Counter(TLS_ALERTS.get(d, str(d)) for p in pkts for d in p["alerts"])),
        "packets": len(pkts),
        "frame_protocols": dict(Counter(p["protocols"] for p in pkts)),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fixture", required=True)
    ap.add_argument("--kind", choices=["sip", "wss"], required=True)
    ap.add_argument("--pcap", required=True)
    ap.add_argument("--keylog", required=True)
    ap.add_argument("--jtl", required=True)
    ap.add_argument("--limit", type=int, required=True)
    ap.add_argument("--tls-version", required=True, help="TLSv1.2 or TLSv1.3")
    ap.add_argument("--cipher", required=True, help="IANA name, e.g. TLS_AES_128_GCM_SHA256")
    ap.add_argument("--edge-log", help="kamailio's log (sip) or nginx's access log (wss)")
    ap.add_argument("--twin", help="the plaintext twin's meta.json")
    ap.add_argument("--dsb", help="the capture with the key log embedded (Decryption Secrets Block)")
    ap.add_argument("--json")
    a = ap.parse_args()
    port = 5061 if a.kind == "sip" else 443
    keyopt = ["-o", "tls.keylog_file:" + a.keylog]
    dec = tshark(a.pcap, keyopt)
    enc = tshark(a.pcap, [])
    jtl = read_jtl(a.jtl)
    labels, randoms = read_keylog(a.keylog)
    out = {"fixture": a.fixture, "tshark": {"packets": len(dec), "first_packet": iso(dec[0]["t"]) if dec else None,
                                            "last_packet": iso(dec[-1]["t"]) if dec else None,
                                            "how": "tshark -n -r capture.pcapng -o tls.keylog_file:keylog.txt -T fields ..."},
           "jtl_rows": len(jtl)}
    checks = {}

    # ---- what tshark sees with and without the key log
    cd, ce = counts(dec), counts(enc)
    out["decrypted_counts"] = cd
    out["without_keylog_counts"] = ce
    checks["without_keylog_no_sip_http_websocket"] = ce["sip"]["messages"] == 0 and ce["http"]["messages"] == 0 and ce["websocket"]["total"] == 0
    # frames by protocol stack: TCP, TLS, and in TLS 1.2 the edge's certificate (sent in clear:
    # x509sat, x509ce, pkcs-1...), nothing above TLS
    checks["without_keylog_only_tls_over_tcp"] = all(
        st == "eth:ethertype:ip:tcp" or (st.startswith("eth:ethertype:ip:tcp:tls") and
                                         all(x == "tls" or x.startswith("x509") or x.startswith("pkcs") for x in st.split(":")[4:]))
        for st in ce["frame_protocols"])
    checks["with_keylog_decrypted"] = (cd["sip"]["messages"] if a.kind == "sip" else cd["http"]["messages"]) > 0

    # ---- TLS handshakes
    conns, sess = tls_sessions(dec, port, randoms)
    vers = Counter(s["version"] for s in sess)
    suites = Counter(s["suite"] for s in sess)
    out["tls"] = {"connections": len(conns), "server_hellos": sum(1 for s in sess if s["version"]),
                  "negotiated_versions": dict(vers), "negotiated_cipher_suites": dict(suites),
                  "keylog_lines": dict(labels), "keylog_client_randoms": len(randoms),
                  "connections_in_keylog": sum(1 for s in sess if s["in_keylog"]),
                  "connections_decrypted": sum(1 for s in sess if s["decrypted_messages"] > 0),
                  "alerts_decrypted": cd["alerts"], "expected": {"version": a.tls_version, "cipher_suite": a.cipher}}
    checks["every_connection_has_a_handshake"] = len(conns) > 0 and all(s["version"] for s in sess)
    checks["every_handshake_is_the_pinned_version"] = set(vers) == {a.tls_version}
    checks["every_handshake_is_the_pinned_cipher_suite"] = set(suites) == {a.cipher}
    checks["keylog_has_every_client_random"] = all(s["in_keylog"] for s in sess)
    checks["keylog_has_no_other_sessions"] = len(randoms) == len(sess)
    checks["every_connection_decrypted"] = all(s["decrypted_messages"] > 0 for s in sess)
    checks["only_close_notify_alerts"] = set(cd["alerts"]) <= {"close_notify"}
    checks["no_tcp_reset"] = not any(p["rst"] for p in dec)
    # a few spurious retransmissions on loopback (a segment sent again a few ms later when the
    # receiver's ACK was late, the copy acknowledged with a D-SACK) happen under load: counted,
    # not a failure (tshark decrypts through them; every connection decrypted is checked above)
    out["tls"]["tcp_retransmissions"] = sum(1 for p in dec if p["retrans"])
    checks["no_unanswered_or_refused_syn"] = all(c["synack"] is not None for c in conns)

    # ---- the layer and the verdict, from the decrypted packets
    if a.kind == "sip":
        sip, first = sip_layer(dec, port, 0, jtl)
        out["sip"] = sip
        checks.update(sip.pop("checks"))
        checks["sip_over_tls"] = first is not None and first["start"]["tcp"] and first["start"]["dport"] == 5061
        checks["one_tls_connection_per_call"] = len(conns) == sip["invite_transactions"]
        checks["first_failure_is_503"] = first is not None and first["final"] == 503
        checks["first_failure_concurrency_is_limit_plus_1"] = first is not None and sip["first_failure"]["concurrency"] == a.limit + 1
        checks["admitted_never_above_limit_edge_view"] = sip["peak_admitted_edge_view"] <= a.limit
        checks["counts_agree_invites"] = cd["sip"]["requests"].get("INVITE", 0) == sip["invite_transactions"]
        verdict = {"layer": "sip", "status": "503", "kind": "capacity", "first_failure": sip.get("first_failure"),
                   "sustained": sip.get("sustained")}
        if a.edge_log:
            # kamailio: "edge: refusing INVITE <call-id> from ip:port, active=N limit=MAX_DIALOGS"
            ref = [m for m in (re.search(r"edge: refusing INVITE (\S+) from \S+, active=(\d+) limit=", ln)
                               for ln in open(a.edge_log, errors="replace")) if m]
            out["edge_log"] = {"refusals": len(ref), "first_refused_call_id": ref[0].group(1) if ref else None,
                               "first_refusal_active": int(ref[0].group(2)) if ref else None}
            checks["edge_log_first_refusal_is_capture_first_failure"] = bool(ref) and first is not None and ref[0].group(1) == first["cid"]
            checks["edge_log_first_refusal_at_limit_active"] = bool(ref) and int(ref[0].group(2)) == a.limit
            checks["edge_log_refusals_equal_capture_503s"] = len(ref) == sip["final_codes"].get("503", -1)
        rows = [r for r in jtl if r["label"].startswith("SIP INVITE")]
    else:
        ws, first = ws_layer(dec, port, jtl, "WSS upgrade")
        out["websocket"] = ws
        checks.update(ws.pop("checks"))
        checks["first_failure_is_503"] = first is not None and str(first["code"]) == "503"
        checks["only_101_and_503"] = set(ws["codes"]) <= {"101", "503"}
        checks["first_failure_concurrency_is_limit_plus_1"] = first is not None and ws["first_failure"]["concurrency"] == a.limit + 1
        checks["open_101_never_above_limit"] = ws["peak_open_101"] <= a.limit
        checks["one_upgrade_per_tls_connection"] = len(conns) == ws["attempts"]
        checks["counts_agree_upgrades"] = cd["http"]["requests"].get("GET", 0) == ws["attempts"]
        verdict = {"layer": "websocket", "status": "503", "kind": "capacity", "first_failure": ws.get("first_failure"),
                   "sustained": ws.get("sustained")}
        if a.edge_log:
            # nginx access log (log_format edge): '... "GET /events HTTP/1.1" 503 trace=<x-trace-id> ...'
            lines = [m for m in (re.search(r'"GET \S+ HTTP/1.1" (\d+) trace=(\S+)', ln) for ln in open(a.edge_log, errors="replace")) if m]
            f503 = next((m for m in lines if m.group(1) == "503"), None)
            out["edge_log"] = {"requests": len(lines), "codes": dict(Counter(m.group(1) for m in lines)),
                               "first_503_trace_id": f503.group(2) if f503 else None}
            checks["edge_log_first_503_is_capture_first_failure"] = f503 is not None and first is not None and f503.group(2) == first["trace"]
            checks["edge_log_codes_equal_capture"] = dict(Counter(m.group(1) for m in lines)) == ws["codes"]
        rows = [r for r in jtl if r["label"] == "WSS upgrade"]

    # ---- the JTL's view of TLS: every sample that got through the handshake names the pinned session
    want = f"{a.tls_version} {a.cipher}"
    sess_vals = Counter(r.get("tlsSession", "") for r in rows)
    out["jtl_tls_sessions"] = dict(sess_vals)
    checks["jtl_every_sample_negotiated_the_pinned_session"] = set(sess_vals) == {want}
    # ---- the run's shape: handshakes (JTL Connect = TCP connect + TLS handshake) took
    # milliseconds, and the limit was crossed by the thread that crosses it in the plaintext twin
    # (thread LIMIT+1's first call; LIMIT+2 threads when a thread's second call came first):
    # a JVM stalled by a busy machine bunches the ramp up
    conn_ms = sorted(int(r["Connect"]) for r in rows if r.get("Connect", "").isdigit())
    out["jtl_connect_ms"] = {"min": conn_ms[0], "median": conn_ms[len(conn_ms) // 2], "max": conn_ms[-1]} if conn_ms else None
    checks["jtl_handshakes_under_3s"] = bool(conn_ms) and conn_ms[-1] < 3000
    fa = (verdict.get("first_failure") or {}).get("jtl_allThreads")
    checks["first_failure_jtl_allThreads_limit_plus_1_or_2"] = fa is not None and a.limit + 1 <= fa <= a.limit + 2

    # ---- the plaintext twin
    if a.twin:
        tw = json.load(open(a.twin))
        tv = tw["expected_verdict"]
        ff = verdict.get("first_failure") or {}
        out["plaintext_twin"] = {"fixture": tw["fixture"], "meta": os.path.relpath(a.twin),
                                 "layer": tv["layer"], "status": tv["status"],
                                 "first_failure_concurrency": (tv.get("first_failure") or {}).get("concurrency"),
                                 "LIMIT": tw["parameters"].get("LIMIT")}
        checks["same_verdict_as_plaintext_twin"] = tv["layer"] == verdict["layer"] and tv["status"] == verdict["status"] and \
            (tv.get("first_failure") or {}).get("concurrency") == ff.get("concurrency")

    # ---- the capture with the key log embedded (Decryption Secrets Block)
    if a.dsb:
        dsb = tshark(a.dsb, [])
        cdsb = counts(dsb)
        out["dsb_counts_equal"] = {k: cdsb[k] == cd[k] for k in ("sip", "http", "websocket", "tls_records", "alerts")}
        checks["dsb_decrypts_the_same_without_keylog_file"] = all(out["dsb_counts_equal"].values()) and cdsb["packets"] == cd["packets"]

    out["expected_verdict"] = verdict
    out["checks"] = checks
    print(json.dumps(out, indent=2))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=2)
    failed = [k for k, v in checks.items() if not v]
    if failed:
        print("check.py: FAILED: " + ", ".join(failed), file=sys.stderr)
        return 1
    print("check.py: all checks passed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
