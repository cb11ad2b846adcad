#!/usr/bin/env python3
"""Independent count of the samples in JMeter JTL files.

parse/jtl's corpus test pins the numbers this script prints. It shares no
code with the Go reader: CSV goes through Python's csv module, XML through
xml.etree's iterparse, and the rules (what is a sub-result, a transaction,
a late sample) are written again from JMeter's behaviour, so that a bug in
one implementation shows up as a disagreement.

Usage: count.py [--columns=a,b,...] FILE...
(prints one line per file, tab-separated; --columns names the columns of
header-less CSV files, else JMeter 5's default set is assumed)

Columns: name kind records counted skipped truncated codes failed
late hosts maxthreads
  records    samples read (sub-results and transactions included)
  counted    records that are neither a sub-result nor a transaction parent
  skipped    rows/elements that could not be read
  truncated  1 if the file was cut off (CSV: last row incomplete; XML: no
             </testResults>)
  codes      distinct responseCode values among records
  failed     counted records with success=false
  late       records that a 60 s reorder window cannot put back in place
  hosts      distinct load generators (Hostname column / hn attribute,
             else a distributed-mode thread-name prefix, else the file)
  maxthreads largest allThreads / na

Timestamps written as dates are read as UTC (the Go test sets
Options.Location to UTC too).
"""
import bisect
import calendar
import csv
import io
import os
import re
import sys
import time
import xml.etree.ElementTree as ET

WINDOW = 60000
TXN = "Number of samples in transaction : "
KNOWN = ["timeStamp", "elapsed", "label", "responseCode", "responseMessage",
         "threadName", "dataType", "success", "failureMessage", "bytes",
         "sentBytes", "grpThreads", "allThreads", "URL", "Filename", "Latency",
         "Encoding", "SampleCount", "ErrorCount", "Hostname", "IdleTime",
         "Connect"]
KNOWN_LOWER = {k.lower(): k for k in KNOWN}
DEFAULT_COLUMNS = ["timeStamp", "elapsed", "label", "responseCode",
                   "responseMessage", "threadName", "dataType", "success",
                   "failureMessage", "bytes", "sentBytes", "grpThreads",
                   "allThreads", "URL", "Latency", "IdleTime", "Connect"]
NUMERIC = {"bytes", "sentBytes", "grpThreads", "allThreads", "Latency",
           "SampleCount", "ErrorCount", "IdleTime", "Connect"}
DATE_FORMATS = [("%Y/%m/%d %H:%M:%S.%f", True), ("%Y/%m/%d %H:%M:%S", False),
                ("%Y-%m-%d %H:%M:%S.%f", True), ("%Y-%m-%d %H:%M:%S", False),
                ("%m/%d/%y %H:%M:%S", False)]


def host_of_thread(tn):
    """Distributed-mode prefix: '<host>-<group> N-M' (or '<dotted.host>_')."""
    m = re.match(r"^(.*) \d+-\d+$", tn)
    if not m:
        return ""
    head = tn.split(" ", 1)[0]
    best = ""
    for i, c in enumerate(head):
        if c not in "-_":
            continue
        prefix, rest = tn[:i], tn[i + 1:]
        if c == "_" and "." not in prefix:
            continue
        if not re.match(r"^.+ \d+-\d+$", rest):
            continue
        if is_host(prefix):
            best = prefix
    return best


def is_host(p):
    host = p
    port = re.match(r"^(.*):(\d+)$", p)
    if port:
        host = port.group(1)
    if re.match(r"^\d{1,3}(\.\d{1,3}){3}$", host):
        return all(int(x) < 256 for x in host.split("."))
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9.-]*$", host):
        return False
    if port or "." in host:
        return True
    if re.search(r".-\d+$", host):
        return True
    return len(host) == 12 and re.match(r"^[0-9a-f]+$", host) is not None \
        and not host.isdigit()


def late_count(starts):
    """starts in the order the reader pushes them."""
    seen = []
    maxstart = None
    late = 0
    for s in starts:
        if maxstart is not None:
            i = bisect.bisect_left(seen, maxstart - WINDOW)
            if i > 0 and s < seen[i - 1]:
                late += 1
        bisect.insort(seen, s)
        maxstart = s if maxstart is None else max(maxstart, s)
    return late


def parse_ts(v, state):
    if re.match(r"^[+-]?\d+$", v):
        return int(v)
    for fmt, millis in DATE_FORMATS:
        try:
            t = time.strptime(v.split(".")[0] if millis else v,
                              fmt.replace(".%f", "") if millis else fmt)
        except ValueError:
            continue
        ms = 0
        if millis:
            frac = v.rsplit(".", 1)
            if len(frac) != 2 or not frac[1].isdigit():
                continue
            ms = int(frac[1])
        if not millis:
            state["slack"] = 1000
        return calendar.timegm(t) * 1000 + ms
    return None


def count_csv(path, columns=None):
    raw = open(path, "rb").read()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    text = raw.decode("utf-8", errors="replace")
    first = text.split("\n", 1)[0].rstrip("\r")
    def known(d):
        return sum(1 for f in first.split(d) if f.strip().strip('"').lower() in KNOWN_LOWER)
    delim = max(",;\t|", key=known)
    has_header = known(delim) > 0 and not first[:1].isdigit()
    if not has_header:
        columns = columns or DEFAULT_COLUMNS
        delim = max(",;\t|", key=lambda d: (first.count(d) + 1 == len(columns), first.count(d)))
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delim))
    if has_header:
        header = [h.strip() for h in rows[0]]
        body = rows[1:]
    else:
        header = columns
        body = rows
    cols = [KNOWN_LOWER.get(h.lower(), None) for h in header]
    ends_with_newline = text.endswith("\n")
    st = {"records": 0, "skipped": 0, "truncated": 0}
    tstate = {"slack": 0}
    samples = []
    for i, row in enumerate(body):
        if row == [] or row == [""]:
            continue
        if len(row) != len(cols):
            st["skipped"] += 1
            if i == len(body) - 1 and not ends_with_newline and len(row) < len(cols):
                st["truncated"] = 1
            continue
        rec = {}
        bad = False
        for c, v in zip(cols, row):
            if c is None:
                continue
            if c == "timeStamp":
                t = parse_ts(v, tstate)
                if t is None:
                    bad = True
                rec[c] = t
            elif c == "elapsed":
                if not re.match(r"^[+-]?\d+$", v):
                    bad = True
                else:
                    rec[c] = int(v)
            elif c in NUMERIC:
                if v and not re.match(r"^[+-]?\d+$", v):
                    bad = True
                rec[c] = int(v) if v else 0
            else:
                rec[c] = v
        if bad:
            st["skipped"] += 1
            continue
        samples.append(rec)
    timed = "timeStamp" in cols
    slack = tstate["slack"]
    stacks = {}
    out = []
    for r in samples:
        start = r.get("timeStamp", 0)
        el = r.get("elapsed", 0)
        label = r.get("label", "")
        msg = r.get("responseMessage", "")
        kind = "plain"
        st_ = stacks.setdefault(r.get("threadName", ""), [])
        while st_:
            p = st_[-1]
            sub = (label.startswith(p["label"] + "-") and
                   label[len(p["label"]) + 1:].isdigit())
            if sub:
                child = not timed or (p["start"] - slack <= start <= p["end"] + slack)
            else:
                child = p["txn"] and timed and start >= p["start"] - slack \
                    and start + el <= p["end"] + slack
            if child:
                if not msg.startswith(TXN) and not p["txn"]:
                    kind = "sub"
                break
            st_.pop()
        if msg.startswith(TXN):
            kind = "txn"
        if len(st_) >= 12:
            st_.pop(0)
        st_.append({"label": label, "start": start,
                    "end": start + el + r.get("IdleTime", 0), "txn": kind == "txn"})
        host = r.get("Hostname", "") or host_of_thread(r.get("threadName", "")) \
            or os.path.basename(path)
        out.append({"start": start, "kind": kind, "code": r.get("responseCode", ""),
                    "success": r.get("success", "").lower() == "true",
                    "host": host, "threads": r.get("allThreads", 0)})
    st["records"] = len(out)
    return st, out


SAMPLE_TAGS = {"sample", "httpSample"}


def count_xml(path):
    st = {"records": 0, "skipped": 0, "truncated": 0}
    out = []
    stack = []  # (elem, is_txn)
    ended = False
    try:
        for ev, el in ET.iterparse(path, events=("start", "end")):
            tag = el.tag
            if ev == "start":
                if tag in SAMPLE_TAGS or (len(stack) == 0 and "SampleResult" in tag):
                    stack.append(el)
                continue
            if tag == "testResults":
                ended = True
                continue
            if not stack or el is not stack[-1]:
                continue
            stack.pop()
            out.append(xml_sample(el, stack, path))
    except ET.ParseError:
        pass
    if not ended:
        st["truncated"] = 1
        while stack:
            el = stack.pop()
            out.append(xml_sample(el, stack, path))
    st["records"] = len(out)
    return st, out


def xml_sample(el, stack, path):
    a = el.attrib
    if "SampleResult" in el.tag:
        f = {c.tag: (c.text or "").strip() for c in el}
        a = {"lb": f.get("label", ""), "rc": f.get("responseCode", ""),
             "rm": f.get("responseMessage", ""), "s": f.get("success", ""),
             "ts": f.get("startTime", "0"), "tn": f.get("threadName", ""),
             "na": f.get("allThreads", "0")}
    rm = a.get("rm", "")
    kind = "plain"
    if stack:
        parent_rm = stack[-1].attrib.get("rm", "")
        if not rm.startswith(TXN) and not parent_rm.startswith(TXN):
            kind = "sub"
    if rm.startswith(TXN):
        kind = "txn"
    host = a.get("hn", "") or host_of_thread(a.get("tn", "")) or os.path.basename(path)
    return {"start": int(a.get("ts", "0")), "kind": kind, "code": a.get("rc", ""),
            "success": a.get("s", "").lower() == "true", "host": host,
            "threads": int(a.get("na", "0"))}


def main():
    columns = None
    paths = []
    for a in sys.argv[1:]:
        if a.startswith("--columns="):
            columns = a.split("=", 1)[1].split(",")
        else:
            paths.append(a)
    for path in paths:
        head = open(path, "rb").read(512).lstrip(b"\xef\xbb\xbf \t\r\n")
        kind = "xml" if head.startswith(b"<") else "csv"
        st, out = count_xml(path) if kind == "xml" else count_csv(path, columns)
        counted = [s for s in out if s["kind"] == "plain"]
        print("\t".join(str(x) for x in [
            os.path.basename(path), kind, st["records"], len(counted),
            st["skipped"], st["truncated"], len({s["code"] for s in out}),
            sum(1 for s in counted if not s["success"]),
            late_count([s["start"] for s in out]),
            len({s["host"] for s in out}),
            max([s["threads"] for s in out] or [0])]))


if __name__ == "__main__":
    main()
