#!/usr/bin/env python3
"""Write a TLS fixture's README.md from its meta.json (testdata/gen/tls/make.sh calls it).

  readme.py testdata/fixtures-tls/<name>/meta.json > testdata/fixtures-tls/<name>/README.md
"""
import json
import os
import sys


def fmt_counts(d):
    return ", ".join(f"{k}: {v}" for k, v in d.items()) if d else "none"


def main():
    path = sys.argv[1]
    m = json.load(open(path))
    d = os.path.dirname(path)
    p, t, v, c = m["parameters"], m["tls"], m["expected_verdict"], m["check"]
    ff = v.get("first_failure") or {}
    su = v.get("sustained") or {}
    tc = m["tshark_decrypted_counts"]
    nk = m["tshark_without_keylog"]
    tw = m.get("plaintext_twin") or {}
    kind = "sip" if m["fixture"].startswith("sip") else "wss"
    sizes = {f: os.path.getsize(os.path.join(d, f)) for f in sorted(os.listdir(d)) if f != "README.md"}
    L = []
    L.append(f"# {m['fixture']}: {'SIP over TLS' if kind == 'sip' else 'secure WebSocket (wss://)'}, {t['version']} {t['cipher_suite']}")
    L.append("")
    L.append(f"Made by `{m['generated_by']}` on {m['date']} (see `testdata/gen/tls/README.md`). "
             "A real JMeter 2.13 run against a real TLS edge on the loopback of a network namespace of its own, "
             "captured with tcpdump (the client <-> edge TLS leg only), with the key log that decrypts it.")
    L.append("")
    L.append(f"**The run.** {p['description']}. After a failed attempt a thread pauses "
             f"{p['pause_after_failure_ms']}-{p['pause_after_failure_ms'] + p['pause_jitter_ms']} ms and tries again; "
             f"the thread group's scheduler runs {p['duration_s']} s.")
    L.append("")
    L.append(f"**TLS.** {t['version']}, `{t['cipher_suite']}` (OpenSSL `{t['openssl_name']}`) on every connection "
             f"(checked in each ServerHello: {fmt_counts(t['negotiated_in_capture']['versions'])}; "
             f"{fmt_counts(t['negotiated_in_capture']['cipher_suites'])}), pinned by {t['pinned_by']}. "
             f"Certificate: {t['certificate']}. Session resumption: {t['session_resumption']}. Key log: {t['keylog']}.")
    L.append("")
    L.append("## Expected verdict")
    L.append("")
    L.append(f"- layer `{v['layer']}`, status `{v['status']}`, kind `{v['kind']}`")
    L.append(f"- first failure at {ff.get('time')} (frame {ff.get('frame')}): concurrency **{ff.get('concurrency')}** "
             f"= LIMIT {p['LIMIT']} + 1 ({'dialogs' if kind == 'sip' else 'WebSocket connections'}, the rejected attempt included); "
             + (f"Call-ID `{ff.get('call_id')}`" if kind == "sip" else f"x-trace-id `{ff.get('trace_id')}` (nginx's `{ff.get('resp_trace_id')}`)")
             + f"; JMeter allThreads {ff.get('jtl_allThreads')}")
    if su:
        L.append(f"- sustained: concurrency {su.get('concurrency')} ({su.get('attempts_at_or_above')} attempts at or above, "
                 f"{su.get('failed_share_at_or_above')} of them failed)")
    if tw.get("fixture"):
        L.append(f"- plaintext twin: `testdata/fixtures/{tw['fixture']}` (the same edge, limit and ramp pace without TLS): "
                 f"layer `{tw.get('layer')}`, status `{tw.get('status')}`, first-failure concurrency {tw.get('first_failure_concurrency')} "
                 f"(LIMIT {tw.get('LIMIT')}): {'the same' if c['checks'].get('same_verdict_as_plaintext_twin') else 'DIFFERENT'}")
    L.append("")
    L.append("How it is computed (`testdata/gen/tls/check.py`, from tshark's decrypted dissection with "
             "`-o tls.keylog_file:keylog.txt`, independently of ceiling): " +
             ("a dialog counts from the caller's INVITE until the edge's final non-2xx or its 200 to the BYE."
              if kind == "sip" else
              "a WebSocket connection counts from the upgrade request until a non-101 answer, or for a 101 until the "
              "first close frame either way or the first FIN or RST."))
    ec = m.get("expected_correlation")
    if ec:
        L.append("")
        L.append(f"Correlation: all {ec['jtl_samples']} JTL samples have their {'Call-ID' if ec['by'] == 'call_id' else 'x-trace-id'} "
                 f"in the decrypted capture ({ec['in_decrypted_capture']} of them), so with the key log every sample can be matched "
                 f"{'by Call-ID' if ec['by'] == 'call_id' else 'by trace ID'}. A verdict from the JTL alone (samples in flight) can give "
                 "the same numbers: these matches are what shows that the decrypted capture was used.")
    L.append("")
    L.append("## tshark's counts")
    L.append("")
    L.append("With the key log (`tshark -o tls.keylog_file:keylog.txt`), what tshark dissects in the decrypted TLS:")
    L.append("")
    if kind == "sip":
        L.append(f"- SIP requests: {fmt_counts(tc['sip']['requests'])}")
        L.append(f"- SIP responses: {fmt_counts(tc['sip']['responses'])}")
        L.append(f"- SIP responses by CSeq method: {fmt_counts(tc['sip']['responses_by_cseq_method'])}")
    L.append(f"- HTTP requests: {fmt_counts(tc['http']['requests'])}; responses: {fmt_counts(tc['http']['responses'])}")
    L.append(f"- WebSocket frames: {fmt_counts(tc['websocket']['frames'])}")
    L.append(f"- TLS alerts (decrypted): {fmt_counts(tc['alerts'])}")
    L.append(f"- TLS records: {fmt_counts(tc['tls_records'])}")
    L.append(f"- packets: {tc['packets']}; TLS connections {c['tls']['connections']}, all in the key log "
             f"({c['tls']['connections_in_keylog']}) and decrypted ({c['tls']['connections_decrypted']}); "
             f"TCP retransmissions (spurious, on loopback under load): {c['tls'].get('tcp_retransmissions', 0)}")
    L.append("")
    L.append(f"Without the key log tshark sees only TLS: SIP messages {nk['sip_messages']}, HTTP messages "
             f"{nk['http_messages']}, WebSocket frames {nk['websocket_frames']}; frames by protocol stack: "
             f"{fmt_counts(nk['frame_protocols'])}.")
    if "capture_with_decryption_secrets_block" in m["files"]:
        L.append("")
        L.append("`capture-dsb.pcapng.gz` is the same capture with the key log embedded as a Decryption Secrets Block "
                 "(`editcap --inject-secrets tls,keylog.txt`): tshark decrypts it without `-o tls.keylog_file`, "
                 "with the same counts.")
    L.append("")
    L.append("## Checks (all passed)" if m["all_checks_passed"] else "## Checks (SOME FAILED)")
    L.append("")
    L.append(", ".join(f"`{k}`" + ("" if ok else " **FAILED**") for k, ok in c["checks"].items()))
    L.append("")
    L.append("## Files")
    L.append("")
    L.append("| file | bytes |")
    L.append("|---|---|")
    for f, n in sizes.items():
        L.append(f"| `{f}` | {n} |")
    L.append("")
    L.append("Versions: " + "; ".join(f"{k} {val}" for k, val in m["versions"].items()) + ".")
    L.append("")
    L.append("Re-check the committed files (in this folder): `python3 ../../gen/tls/check.py --fixture " + m["fixture"] +
             f" --kind {kind} --pcap capture.pcapng.gz --keylog keylog.txt --jtl results.jtl --limit {p['LIMIT']} "
             f"--tls-version {t['version']} --cipher {t['cipher_suite']}" +
             (" --dsb capture-dsb.pcapng.gz" if "capture_with_decryption_secrets_block" in m["files"] else "") +
             (f" --twin ../../fixtures/{tw['fixture']}/meta.json" if tw.get("fixture") else "") + "`")
    print("\n".join(L))


if __name__ == "__main__":
    main()
