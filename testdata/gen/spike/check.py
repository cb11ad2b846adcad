#!/usr/bin/env python3
"""Check the spike fixture: what the capture shows vs what JMeter wrote.

Reads the capture with tshark (display filter 'sip && udp'), the CSV JTL and the XML JTL, and
prints (and with --json writes) the counts that make.sh puts in spike.meta.json:

* tshark counts: SIP packets, INVITEs, 503s, 200s, distinct Call-IDs;
* the 503s carry Retry-After and Reason;
* the concurrency when the first 503 went out: dialogs started by an INVITE from the caller
  (JMeter) to the edge (port 5060) and not yet ended by a final non-2xx response or by the
  200 to the BYE, counted on the caller <-> edge leg at the 503's packet. Counted like ceiling's
  DESIGN.md: including the rejected INVITE itself; "others" excludes it (== N for an exact limit).
  Also in the edge's own view (an answered call ends when its BYE reaches the edge: kamailio's
  dialog module leaves the profile then), where the admitted dialogs never exceed N;
* every JTL row has a Call-ID seen in the capture, JTL rows == INVITE transactions, and the
  JTL's responseCode matches the edge's final answer per Call-ID.

Exit status 1 when a check fails. Usage:
  check.py --pcap spike.pcapng[.gz] --jtl spike.jtl --xml spike.xml.jtl[.gz] --limit 100 [--json out.json]
"""
import argparse
import csv
import gzip
import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

FIELDS = [
    "frame.number", "frame.time_epoch", "ip.src", "udp.srcport", "ip.dst", "udp.dstport",
    "sip.Method", "sip.Status-Code", "sip.CSeq.method", "sip.Call-ID", "sip.Retry-After",
    "sip.Reason",
]


def opener(path):
    return gzip.open(path, "rt", newline="") if path.endswith(".gz") else open(path, newline="")


def tshark_rows(pcap, edge_port, uas_port):
    tmp = None
    if pcap.endswith(".gz"):
        tmp = tempfile.NamedTemporaryFile(suffix=".pcapng", delete=False)
        with gzip.open(pcap, "rb") as f:
            tmp.write(f.read())
        tmp.close()
        pcap = tmp.name
    cmd = ["tshark", "-n", "-r", pcap, "-d", f"udp.port=={uas_port},sip", "-d", f"udp.port=={edge_port},sip",
           "-Y", "sip && udp", "-T", "fields", "-E", "separator=\t", "-E", "occurrence=f"]
    for f in FIELDS:
        cmd += ["-e", f]
    try:
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    finally:
        if tmp:
            os.unlink(tmp.name)
    rows = []
    for line in out.splitlines():
        v = line.split("\t")
        v += [""] * (len(FIELDS) - len(v))
        r = dict(zip(FIELDS, v))
        rows.append({
            "no": int(r["frame.number"]), "t": float(r["frame.time_epoch"]), "tns": epoch_ns(r["frame.time_epoch"]),
            "src": (r["ip.src"], int(r["udp.srcport"])), "dst": (r["ip.dst"], int(r["udp.dstport"])),
            "method": r["sip.Method"], "code": int(r["sip.Status-Code"]) if r["sip.Status-Code"] else None,
            "cseq": r["sip.CSeq.method"], "cid": r["sip.Call-ID"], "retry_after": r["sip.Retry-After"],
            "reason": r["sip.Reason"],
        })
    return rows


def epoch_ns(s):
    sec, _, frac = s.partition(".")
    return int(sec) * 1_000_000_000 + int((frac + "000000000")[:9])


def read_csv_jtl(path):
    with opener(path) as f:
        return list(csv.DictReader(f))


def read_xml_jtl(path):
    samples = []
    with opener(path) as f:
        for _, el in ET.iterparse(f, events=("end",)):
            if el.tag in ("sample", "httpSample"):
                samples.append(dict(el.attrib))
                el.clear()
    return samples


def iso(t):
    return datetime.fromtimestamp(t, tz=timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pcap", required=True)
    ap.add_argument("--jtl", required=True)
    ap.add_argument("--xml")
    ap.add_argument("--edge-port", type=int, default=5060)
    ap.add_argument("--uas-port", type=int, default=5070)
    ap.add_argument("--limit", type=int, default=100, help="N, the edge's dialog limit")
    ap.add_argument("--json")
    a = ap.parse_args()

    rows = tshark_rows(a.pcap, a.edge_port, a.uas_port)
    E, U = a.edge_port, a.uas_port

    def caller_to_edge(r):
        return r["dst"][1] == E and r["src"][1] != U

    def edge_to_caller(r):
        return r["src"][1] == E and r["dst"][1] != U

    invites = [r for r in rows if r["method"] == "INVITE"]
    inv_caller = [r for r in invites if caller_to_edge(r)]
    inv_uas = [r for r in invites if r["dst"][1] == U]
    resp = [r for r in rows if r["code"] is not None]
    r503 = [r for r in resp if r["code"] == 503]
    r503_caller = [r for r in r503 if edge_to_caller(r) and r["cseq"] == "INVITE"]
    r200 = [r for r in resp if r["code"] == 200]
    r200_inv_caller = [r for r in r200 if edge_to_caller(r) and r["cseq"] == "INVITE"]
    r200_bye_caller = [r for r in r200 if edge_to_caller(r) and r["cseq"] == "BYE"]
    byes_caller = [r for r in rows if r["method"] == "BYE" and caller_to_edge(r)]
    acks_caller = [r for r in rows if r["method"] == "ACK" and caller_to_edge(r)]

    # ---- dialogs on the caller <-> edge leg
    # start: the caller's first INVITE; end ("capture" view, as ceiling counts): the edge's final
    # non-2xx to the caller, or the edge's 200 to the caller's BYE. The "edge" view ends an
    # answered call at the BYE's arrival instead (kamailio's dialog module leaves the profile
    # then), which is what the edge's own limit counts.
    start, end, end_edge, final = {}, {}, {}, {}
    for r in rows:  # rows are in capture order
        cid = r["cid"]
        if r["method"] == "INVITE" and caller_to_edge(r):
            start.setdefault(cid, r)
        elif r["method"] == "BYE" and caller_to_edge(r) and cid in start:
            end_edge.setdefault(cid, r)
        elif r["code"] is not None and edge_to_caller(r) and cid in start:
            if r["cseq"] == "INVITE" and r["code"] >= 200:
                final.setdefault(cid, r)
                if r["code"] >= 300:
                    end.setdefault(cid, r)
                    end_edge.setdefault(cid, r)
            elif r["cseq"] == "BYE" and 200 <= r["code"] < 300:
                end.setdefault(cid, r)

    first503 = r503_caller[0] if r503_caller else None

    def sweep(ends, ties_end_first=False):
        """-> (active at the first 503 incl. the rejected INVITE, peak active, peak admitted)

        Events go in capture order; with ties_end_first, by timestamp with an end before a
        start at the same instant (the kernel may hand two datagrams captured at the same
        nanosecond to kamailio in the other order)."""
        def key(r, d):
            return (r["tns"], d, r["no"]) if ties_end_first else (r["no"], d, 0)
        events = sorted([key(r, +1) + (cid,) for cid, r in start.items()] +
                        [key(r, -1) + (cid,) for cid, r in ends.items()])
        active = peak = admitted = peak_admitted = 0
        at_first = None
        for ev in events:
            d, cid = ev[1], ev[3]
            no = ev[2] if ties_end_first else ev[0]
            if first503 is not None and at_first is None and no >= first503["no"]:
                at_first = active
            active += d
            if cid in final and final[cid]["code"] < 300:
                admitted += d
            peak = max(peak, active)
            peak_admitted = max(peak_admitted, admitted)
        if first503 is not None and at_first is None:
            at_first = active
        return at_first, peak, peak_admitted

    at_first, peak, peak_admitted = sweep(end)
    at_first_edge, _, peak_admitted_edge_exact = sweep(end_edge, ties_end_first=True)

    # The edge's limit, checked with a tie window: a BYE and an INVITE that reach loopback
    # within TIE_NS of each other may be captured in one order and read by kamailio in the
    # other (seen: 30 ns apart, captured INVITE first, kamailio took the BYE first). For each
    # admitted INVITE, count the admitted dialogs that started before it and whose BYE had not
    # arrived by TIE_NS after it.
    TIE_NS = 100_000
    admitted_cids = [c for c in start if c in final and final[c]["code"] < 300]
    peak_admitted_edge = 0
    for c in admitted_cids:
        s0 = start[c]
        n = 1 + sum(1 for d in admitted_cids
                    if d != c and start[d]["no"] < s0["no"]
                    and (d not in end_edge or end_edge[d]["tns"] > s0["tns"] + TIE_NS))
        peak_admitted_edge = max(peak_admitted_edge, n)

    t0 = min(r["t"] for r in rows) if rows else 0.0
    first_invite_t = inv_caller[0]["t"] if inv_caller else t0

    # ---- JTL
    jtl = read_csv_jtl(a.jtl)
    jtl_cids = [r.get("callId", "") for r in jtl]
    cap_cids = set(start)
    missing = [c for c in jtl_cids if c not in cap_cids]
    empty = sum(1 for c in jtl_cids if not c)
    mismatch = []
    for r in jtl:
        f = final.get(r.get("callId"))
        cap_code = str(f["code"]) if f else "timeout"
        if r.get("responseCode") != cap_code:
            mismatch.append((r.get("callId"), r.get("responseCode"), cap_code))
    jtl_codes = {}
    for r in jtl:
        jtl_codes[r["responseCode"]] = jtl_codes.get(r["responseCode"], 0) + 1
    first503_jtl = None
    if first503 is not None:
        for r in jtl:
            if r.get("callId") == first503["cid"]:
                first503_jtl = r
                break
    xml = read_xml_jtl(a.xml) if a.xml else []
    xml_cids = [s.get("callId", "") for s in xml]

    r503_with_headers = [r for r in r503_caller
                         if r["retry_after"].strip() == "5" and "cause=34" in r["reason"]
                         and "Edge dialog limit reached" in r["reason"]]

    checks = {
        "edge_answered_503": len(r503_caller) > 0,
        "all_503_have_retry_after_and_reason": len(r503_caller) > 0 and len(r503_with_headers) == len(r503_caller),
        "first_503_edge_view_others_active_equals_N": at_first_edge is not None and at_first_edge - 1 == a.limit,
        "first_503_capture_view_others_active_about_N": at_first is not None and abs(at_first - 1 - a.limit) <= 2,
        "every_jtl_row_has_callid_in_capture": not missing and empty == 0,
        "jtl_rows_equal_invite_transactions": len(jtl) == len(start),
        "jtl_callids_distinct": len(set(jtl_cids)) == len(jtl_cids),
        "xml_jtl_same_calls_as_csv": (not a.xml) or sorted(xml_cids) == sorted(jtl_cids),
        "jtl_codes_match_capture": not mismatch,
        "admitted_dialogs_edge_view_never_exceed_N": peak_admitted_edge <= a.limit,
        # a stalled edge or UAS (e.g. a CPU-starved machine) shows up as retransmissions, other
        # final codes and unanswered BYEs: the fixture should be one clean story
        "clean_run": (len(inv_caller) == len(start)
                      and {f["code"] for f in final.values()} <= {200, 503}
                      and len(final) == len(start)
                      and len(byes_caller) == len(r200_bye_caller) == len(r200_inv_caller)),
    }

    report = {
        "tshark": {
            "filter": "sip && udp",
            "sip_packets": len(rows),
            "invite_packets": len(invites),
            "invite_packets_caller_to_edge": len(inv_caller),
            "invite_packets_edge_to_uas": len(inv_uas),
            "invite_transactions_caller_to_edge": len(start),
            "invite_retransmissions_caller_to_edge": len(inv_caller) - len(start),
            "distinct_call_ids": len({r["cid"] for r in rows}),
            "responses_503": len(r503),
            "responses_503_to_invite_edge_to_caller": len(r503_caller),
            "responses_503_with_retry_after_5_and_reason_cause_34": len(r503_with_headers),
            "responses_200": len(r200),
            "responses_200_to_invite_edge_to_caller": len(r200_inv_caller),
            "bye_caller_to_edge": len(byes_caller),
            "responses_200_to_bye_edge_to_caller": len(r200_bye_caller),
            "ack_caller_to_edge": len(acks_caller),
            "final_codes_by_call": {str(c): sum(1 for f in final.values() if f["code"] == c)
                                    for c in sorted({f["code"] for f in final.values()})},
            "first_packet": iso(t0) if rows else None,
            "last_packet": iso(max(r["t"] for r in rows)) if rows else None,
        },
        "first_503": None if first503 is None else {
            "frame": first503["no"],
            "time": iso(first503["t"]),
            "seconds_after_first_invite": round(first503["t"] - first_invite_t, 6),
            "call_id": first503["cid"],
            "retry_after": first503["retry_after"],
            "reason": first503["reason"],
            "concurrency_including_rejected": at_first,
            "concurrency_others": None if at_first is None else at_first - 1,
            "concurrency_edge_view_including_rejected": at_first_edge,
            "concurrency_edge_view_others": None if at_first_edge is None else at_first_edge - 1,
            "N": a.limit,
            "jtl_allThreads": None if first503_jtl is None else int(first503_jtl.get("allThreads", 0) or 0),
            "jtl_timeStamp": None if first503_jtl is None else int(first503_jtl["timeStamp"]),
        },
        "dialogs": {
            "counting": "capture view: INVITE caller->edge until the edge's final non-2xx or its 200 to the BYE "
                        "(ceiling's DESIGN.md); edge view: until the BYE reaches the edge (kamailio's profile); "
                        "peak_admitted_edge_view counts a BYE up to edge_view_tie_window_ns after an INVITE as before it",
            "peak_capture_view": peak,
            "peak_admitted_capture_view": peak_admitted,
            "peak_admitted_edge_view_capture_order": peak_admitted_edge_exact,
            "peak_admitted_edge_view": peak_admitted_edge,
            "edge_view_tie_window_ns": TIE_NS,
        },
        "jtl": {
            "csv_rows": len(jtl),
            "csv_columns": list(jtl[0].keys()) if jtl else [],
            "xml_samples": len(xml),
            "response_codes": jtl_codes,
            "rows_without_callid": empty,
            "callids_not_in_capture": len(missing),
            "code_mismatches_vs_capture": len(mismatch),
            "max_allThreads": max((int(r.get("allThreads") or 0) for r in jtl), default=0),
        },
        "checks": checks,
    }
    if mismatch:
        report["jtl"]["code_mismatch_examples"] = mismatch[:5]

    print(json.dumps(report, indent=2))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"check": report}, f, indent=2)
    failed = [k for k, v in checks.items() if not v]
    if failed:
        print("check.py: FAILED: " + ", ".join(failed), file=sys.stderr)
        return 1
    print("check.py: all checks passed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
