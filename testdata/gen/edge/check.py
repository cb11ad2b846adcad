#!/usr/bin/env python3
"""Check one edge fixture: what the capture shows (read with tshark) vs what JMeter wrote.

  check.py --fixture NAME --pcap capture.pcapng[.gz] --jtl results.jtl --limit N [--json out.json]
           [--keylog keys.txt] [--rate R --burst B]

Independent of ceiling: it reads the capture with tshark only, and counts concurrency the way
ceiling's DESIGN.md defines it, including the rejected attempt itself:

* websocket: upgrade requests (client -> edge) awaiting an answer, plus connections that got
  101 and are not yet closed (a close frame either way, or the first FIN or RST); counted at
  the rejected upgrade request's packet;
* tcp (also used for tls and client): TCP connections to the edge address and port that are
  opening (SYN sent) or open, until both sides' FIN or an RST; counted at the failing
  connection's SYN (for client: at the failed sample's JTL timeStamp, since no SYN went out);
* sip: dialogs started by an INVITE from the caller to the edge, not yet ended by a final
  non-2xx or the edge's 200 to the BYE; counted at the rejected INVITE's packet.

Exit status 1 when a check fails (make.sh then throws the run away and tries again).
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
]
AGG = "\x1f"
TLS_ALERTS = {0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac", 40: "handshake_failure",
              42: "bad_certificate", 46: "certificate_unknown", 47: "illegal_parameter", 48: "unknown_ca",
              50: "decode_error", 51: "decrypt_error", 70: "protocol_version", 71: "insufficient_security",
              80: "internal_error", 86: "inappropriate_fallback", 90: "user_canceled", 109: "missing_extension",
              112: "unrecognized_name", 120: "no_application_protocol"}


def iso(t):
    return datetime.fromtimestamp(t, tz=timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def ns(s):
    sec, _, frac = s.partition(".")
    return int(sec) * 1_000_000_000 + int((frac + "000000000")[:9])


def tshark(pcap, extra):
    tmp = None
    if pcap.endswith(".gz"):
        tmp = tempfile.NamedTemporaryFile(suffix=".pcapng", delete=False)
        with gzip.open(pcap, "rb") as f:
            tmp.write(f.read())
        tmp.close()
        pcap = tmp.name
    cmd = ["tshark", "-n", "-r", pcap] + extra + ["-T", "fields", "-E", "separator=\t", "-E", "occurrence=a",
                                                  "-E", "aggregator=" + AGG]
    for f in FIELDS:
        cmd += ["-e", f]
    try:
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    finally:
        if tmp:
            os.unlink(tmp.name)
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
        }
        pkts.append(p)
    pkts.sort(key=lambda p: p["no"])
    return pkts


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


# ---------------------------------------------------------------- layers

def ws_layer(pkts, port, jtl):
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
    rows = [r for r in jtl if r["label"] == "WS upgrade"]
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


def tcp_layer(pkts, port, jtl, prefix):
    conns = tcp_conns(pkts, port)
    refused = [c for c in conns if c["refused"]]
    first = refused[0] if refused else None
    res = {
        "unit": "TCP connections to the edge address:port, opening (SYN sent) or open until both FINs or an RST",
        "connections": len(conns), "syn_answered_by_rst": len(refused),
        "syn_unanswered": sum(1 for c in conns if c["timeout"]),
        "reset_after_established": sum(1 for c in conns if c["synack"] and c["rst"]),
        "peak_open": peak(conns),
        "peak_established": peak([c for c in conns if c["synack"]]),
    }
    if first:
        res["first_failure"] = {"frame": first["start"]["no"], "rst_frame": first["rst"]["no"],
                                "time": iso(first["start"]["t"]), "status": "refused",
                                "client_port": first["client_port"],
                                "concurrency": active_at(conns, first["start"]["no"]),
                                "established_others": sum(1 for c in conns if c["synack"] and c["start"]["no"] < first["start"]["no"]
                                                          and (c["end"] is None or c["end"]["no"] > first["start"]["no"]))}
    res["sustained"] = sustained(conns, lambda c: c["refused"])
    # HTTP requests carried by the established connections
    traces = {}
    for c in conns:
        for p in c["packets"]:
            if p["dport"] == port and p["http_methods"]:
                traces[header(p["req_lines"], "x-trace-id")] = c
    rows = [r for r in jtl if r.get("traceId")]
    ok_rows = [r for r in rows if r["responseCode"] == "200"]
    bad_rows = [r for r in rows if r["responseCode"] != "200"]
    missing = [r["traceId"] for r in ok_rows if r["traceId"] not in traces]
    res["jtl"] = {"rows": len(rows), "codes": dict(Counter(r["responseCode"] for r in rows)),
                  "messages": dict(Counter(r["responseMessage"] for r in bad_rows)),
                  "http_requests_in_capture": len(traces),
                  "ok_trace_ids_not_in_capture": len(missing),
                  "ok_resp_trace_id_mismatches": sum(1 for r in ok_rows if r.get("respTraceId") != r["traceId"])}
    return res, first, conns, traces


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


def jtl_first_failure(jtl, pred):
    rows = sorted((r for r in jtl if pred(r)), key=lambda r: int(r["timeStamp"]))
    return rows[0] if rows else None


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fixture", required=True)
    ap.add_argument("--pcap", required=True)
    ap.add_argument("--jtl", required=True)
    ap.add_argument("--limit", type=int, help="the configured limit N (ws/tcp/tls/sip/ports)")
    ap.add_argument("--sip-limit", type=int)
    ap.add_argument("--ws-limit", type=int)
    ap.add_argument("--keylog")
    ap.add_argument("--json")
    a = ap.parse_args()
    fx = a.fixture
    extra = ["-d", "tcp.port==8081,http"]
    if a.keylog:
        extra += ["-o", "tls.keylog_file:" + a.keylog]
    pkts = tshark(a.pcap, extra)
    jtl = read_jtl(a.jtl)
    out = {"fixture": fx, "tshark": {"packets": len(pkts), "first_packet": iso(pkts[0]["t"]) if pkts else None,
                                     "last_packet": iso(pkts[-1]["t"]) if pkts else None},
           "jtl_rows": len(jtl)}
    checks = {}
    verdict = {}

    if fx in ("ws-limit-conn", "ws-rate-limit"):
        ws, first = ws_layer(pkts, 80, jtl)
        out["websocket"] = ws
        checks.update(ws.pop("checks"))
        want = "503" if fx == "ws-limit-conn" else "429"
        checks["first_failure_is_" + want] = first is not None and str(first["code"]) == want
        checks["only_101_and_" + want] = set(ws["codes"]) <= {"101", want}
        if fx == "ws-limit-conn":
            checks["first_failure_concurrency_is_limit_plus_1"] = first is not None and ws["first_failure"]["concurrency"] == a.limit + 1
            checks["open_101_never_above_limit"] = ws["peak_open_101"] <= a.limit
        verdict = {"layer": "websocket", "status": want, "kind": "capacity" if want == "503" else "rate_limit",
                   "first_failure": ws.get("first_failure"), "sustained": ws.get("sustained")}

    elif fx == "tcp-refused":
        tcp, first, conns, traces = tcp_layer(pkts, 8080, jtl, "http")
        out["tcp"] = tcp
        jt = tcp["jtl"]
        bad = [r for r in jtl if r["responseCode"] != "200"]
        checks["first_failure_refused"] = first is not None
        checks["first_failure_concurrency_is_limit_plus_1"] = first is not None and tcp["first_failure"]["concurrency"] == a.limit + 1
        checks["established_never_above_limit"] = tcp["peak_established"] <= a.limit
        checks["no_unanswered_syn_no_reset_after_established"] = tcp["syn_unanswered"] == 0 and tcp["reset_after_established"] == 0
        checks["jtl_failures_are_connection_refused"] = len(bad) > 0 and all(
            r["responseCode"] in ("Non HTTP response code: org.apache.http.conn.HttpHostConnectException",
                                  "Non HTTP response code: java.net.ConnectException")
            and "refused" in r["responseMessage"] for r in bad)
        checks["jtl_refused_equals_rst_to_syn"] = len(bad) == tcp["syn_answered_by_rst"]
        checks["jtl_ok_equals_http_requests"] = jt["rows"] - len(bad) == jt["http_requests_in_capture"]
        checks["every_ok_trace_id_in_capture"] = jt["ok_trace_ids_not_in_capture"] == 0
        checks["ok_resp_trace_ids_echoed"] = jt["ok_resp_trace_id_mismatches"] == 0
        checks["every_connection_refused_or_served"] = len(conns) == tcp["syn_answered_by_rst"] + len(traces)
        fr = jtl_first_failure(jtl, lambda r: r["responseCode"] != "200")
        if first and fr:
            tcp["first_failure"]["jtl_allThreads"] = int(fr["allThreads"])
            tcp["first_failure"]["jtl_timeStamp"] = int(fr["timeStamp"])
            tcp["first_failure"]["jtl_minus_capture_ms"] = round(int(fr["timeStamp"]) - first["start"]["t"] * 1000, 3)
        verdict = {"layer": "tcp", "status": "refused", "kind": "capacity", "first_failure": tcp.get("first_failure"), "sustained": tcp.get("sustained")}

    elif fx == "ephemeral-ports":
        tcp, first, conns, traces = tcp_layer(pkts, 8080, jtl, "http")
        out["tcp"] = tcp
        jt = tcp["jtl"]
        bad = [r for r in jtl if r["responseCode"] != "200"]
        fr = jtl_first_failure(jtl, lambda r: r["responseCode"] != "200")
        ports = sorted({c["client_port"] for c in conns})
        out["client"] = {"unit": "TCP connections from the load generator to the edge, opening or open "
                                 "(at the failed sample's JTL timeStamp: no SYN went out for it)",
                         "failures": len(bad), "distinct_client_ports": len(ports),
                         "client_port_min": ports[0] if ports else None, "client_port_max": ports[-1] if ports else None}
        if fr:
            t = int(fr["timeStamp"]) * 1_000_000
            out["client"]["first_failure"] = {
                "time": iso(int(fr["timeStamp"]) / 1000), "status": "ephemeral-ports", "trace_id": fr["traceId"],
                "jtl_responseCode": fr["responseCode"], "jtl_responseMessage": fr["responseMessage"],
                "jtl_allThreads": int(fr["allThreads"]),
                "concurrency": active_at_time(conns, t + int(fr["elapsed"]) * 1_000_000) + 1,
                "tcp_connections_open_at_timeStamp": active_at_time(conns, t),
                "syns_between_timeStamp_and_end": sum(1 for c in conns if t <= c["start"]["tns"] <= t + (int(fr["elapsed"]) + 1) * 1_000_000),
            }
        checks["first_failure_is_bind_exception"] = fr is not None and fr["responseCode"] == "Non HTTP response code: java.net.BindException"
        checks["jtl_failures_are_bind_exceptions"] = len(bad) > 0 and all(
            r["responseCode"] == "Non HTTP response code: java.net.BindException"
            and "Cannot assign requested address" in r["responseMessage"] for r in bad)
        checks["no_syn_for_failed_samples"] = len(conns) == jt["rows"] - len(bad)
        checks["no_refused_or_reset"] = tcp["syn_answered_by_rst"] == 0 and tcp["reset_after_established"] == 0 and tcp["syn_unanswered"] == 0
        checks["every_ok_trace_id_in_capture"] = jt["ok_trace_ids_not_in_capture"] == 0 and len(traces) == len(conns)
        checks["client_ports_within_range"] = bool(ports) and ports[0] >= 40000 and ports[-1] < 40000 + a.limit
        checks["first_failure_open_connections_equal_port_range"] = fr is not None and \
            out["client"]["first_failure"]["tcp_connections_open_at_timeStamp"] == a.limit
        checks["first_failure_no_syn_while_sampled"] = fr is not None and out["client"]["first_failure"]["syns_between_timeStamp_and_end"] == 0
        verdict = {"layer": "client", "status": "ephemeral-ports", "kind": "error",
                   "first_failure": out["client"].get("first_failure")}

    elif fx == "tls-handshake-fail":
        tcp, first_tcp, conns, traces = tcp_layer(pkts, 443, jtl, "https")
        # fatal alerts from the edge (close_notify, 0, is the normal end of a served connection)
        fatal = lambda p: [d for d in p["alerts"] if d != 0] if p["sport"] == 443 else []
        alerted = [c for c in conns if any(fatal(p) for p in c["packets"])]
        first = alerted[0] if alerted else None
        descs = Counter(TLS_ALERTS.get(d, str(d)) for c in alerted for p in c["packets"] for d in fatal(p))
        close_notify = sum(1 for c in conns for p in c["packets"] for d in p["alerts"] if d == 0)
        def edge_end(c):
            cands = [p for p in c["packets"] if p["sport"] == 443 and 0 in p["alerts"]][:1] + \
                [x for x in (c["fin_e"], c["rst"]) if x is not None]
            return min(cands, key=lambda p: p["no"]) if cands else None
        hello = lambda c: next((p for p in c["packets"] if p["dport"] == 443 and 1 in p["hs_types"]), None)
        tls = {"unit": "TCP connections to the edge (TLS), opening or open until both FINs or an RST",
               "connections": len(conns), "alerted": len(alerted), "alerts": dict(descs),
               "close_notify_alerts_both_ways": close_notify,
               "handshakes_completed": sum(1 for c in conns if any(20 in p["hs_types"] or p["http_methods"] for p in c["packets"])),
               "http_requests_decrypted": len(traces), "peak_open": peak(conns),
               "peak_open_served": peak([c for c in conns if c not in alerted]),
               # the edge's own view: a served connection leaves the edge's count when the edge closes
               # it (its close_notify, sent just before it leaves the count, or else its FIN or an RST)
               "peak_open_served_edge_view": peak([dict(c, edge_end=edge_end(c)) for c in conns if c not in alerted],
                                                  end_key="edge_end")}
        if first:
            h = hello(first)
            tls["first_failure"] = {"frame": first["start"]["no"], "client_hello_frame": h["no"] if h else None,
                                    "time": iso(first["start"]["t"]), "status": "alert:" + descs.most_common(1)[0][0],
                                    "concurrency": active_at(conns, first["start"]["no"]),
                                    "concurrency_at_client_hello": active_at(conns, h["no"]) if h else None}
        tls["sustained"] = sustained(conns, lambda c: c in alerted)
        out["tls"] = tls
        out["tcp"] = tcp
        bad = [r for r in jtl if r["responseCode"] != "200"]
        fr = jtl_first_failure(jtl, lambda r: r["responseCode"] != "200")
        if first and fr:
            tls["first_failure"]["jtl_allThreads"] = int(fr["allThreads"])
            tls["first_failure"]["jtl_responseCode"] = fr["responseCode"]
            tls["first_failure"]["jtl_responseMessage"] = fr["responseMessage"]
        checks["keylog_decrypts_every_served_connection"] = len(traces) == len(conns) - len(alerted)
        checks["only_handshake_failure_alerts"] = set(descs) == {"handshake_failure"}
        checks["first_failure_concurrency_is_limit_plus_1"] = first is not None and tls["first_failure"]["concurrency"] == a.limit + 1
        checks["served_never_above_limit_edge_view"] = tls["peak_open_served_edge_view"] <= a.limit
        checks["no_tcp_refusals_or_resets"] = tcp["syn_answered_by_rst"] == 0 and tcp["reset_after_established"] == 0 and tcp["syn_unanswered"] == 0
        checks["jtl_failures_are_handshake_alerts"] = len(bad) > 0 and all(
            r["responseCode"] == "Non HTTP response code: javax.net.ssl.SSLHandshakeException"
            and "handshake_failure" in r["responseMessage"] for r in bad)
        checks["jtl_failures_equal_alerted_connections"] = len(bad) == len(alerted)
        checks["every_ok_trace_id_in_decrypted_capture"] = tcp["jtl"]["ok_trace_ids_not_in_capture"] == 0
        verdict = {"layer": "tls", "status": tls["first_failure"]["status"] if first else None, "kind": "capacity",
                   "first_failure": tls.get("first_failure"), "sustained": tls.get("sustained")}

    elif fx == "sip-tcp-limit":
        sip, first = sip_layer(pkts, 5060, 5070, jtl)
        out["sip"] = sip
        checks.update(sip.pop("checks"))
        tcp, _, conns, _ = tcp_layer(pkts, 5060, [], "x")
        out["tcp"] = {k: tcp[k] for k in ("connections", "syn_answered_by_rst", "syn_unanswered", "reset_after_established", "peak_open")}
        checks["sip_over_tcp"] = first is not None and first["start"]["tcp"]
        checks["one_tcp_connection_per_call"] = tcp["connections"] == sip["invite_transactions"]
        checks["no_tcp_refusals_or_resets"] = tcp["syn_answered_by_rst"] == 0 and tcp["reset_after_established"] == 0
        checks["first_failure_is_503"] = first is not None and first["final"] == 503
        checks["first_failure_concurrency_is_limit_plus_1"] = first is not None and sip["first_failure"]["concurrency"] == a.limit + 1
        checks["admitted_never_above_limit_edge_view"] = sip["peak_admitted_edge_view"] <= a.limit
        verdict = {"layer": "sip", "status": "503", "kind": "capacity", "first_failure": sip.get("first_failure"), "sustained": sip.get("sustained")}

    elif fx in ("mixed-ws-first", "mixed-sip-first"):
        sip, sfirst = sip_layer(pkts, 5060, 5070, jtl)
        ws, wfirst = ws_layer(pkts, 80, jtl)
        out["sip"], out["websocket"] = sip, ws
        for k, v in sip.pop("checks").items():
            checks["sip_" + k] = v
        for k, v in ws.pop("checks").items():
            checks["ws_" + k] = v
        checks["sip_first_failure_503_at_limit_plus_1"] = sfirst is not None and sfirst["final"] == 503 and \
            sip["first_failure"]["concurrency"] == a.sip_limit + 1
        checks["ws_first_failure_503_at_limit_plus_1"] = wfirst is not None and wfirst["code"] == 503 and \
            ws["first_failure"]["concurrency"] == a.ws_limit + 1
        if sfirst and wfirst:
            ws_first = wfirst["start"]["no"] < sfirst["start"]["no"]
            out["first_layer"] = "websocket" if ws_first else "sip"
            out["seconds_between_first_failures"] = round(abs(wfirst["start"]["t"] - sfirst["start"]["t"]), 6)
            checks["expected_layer_failed_first"] = ws_first == (fx == "mixed-ws-first")
            checks["first_failures_at_least_2s_apart"] = out["seconds_between_first_failures"] >= 2
        layer = "websocket" if fx == "mixed-ws-first" else "sip"
        verdict = {"layer": layer, "status": "503", "kind": "capacity",
                   "first_failure": (ws if layer == "websocket" else sip).get("first_failure"),
                   "sustained": (ws if layer == "websocket" else sip).get("sustained"),
                   "other_layer_first_failure": {"layer": "sip" if layer == "websocket" else "websocket",
                                                 **((sip if layer == "websocket" else ws).get("first_failure") or {})}}
    else:
        sys.exit("unknown fixture " + fx)

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
