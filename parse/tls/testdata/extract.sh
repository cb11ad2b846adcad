#!/bin/sh
# extract.sh: copy the TLS streams of the shared corpus captures whose
# license allows it into streams/, as `tshark -z follow,tcp,raw` prints
# them: each segment's payload in hex on a line of its own, in capture
# order, the second node's indented by a tab. The tests read them when the
# corpus is not there, and make the fuzzer's seeds from them.
#
#   sh parse/tls/testdata/extract.sh [corpus-dir]
#
# Only zeek (BSD-3-Clause) and heplify (AGPL-3.0) captures are copied. The
# Wireshark-wiki SIP-over-TLS sample has no license: the tests read it from
# the corpus, and fail without it when CI is set.
set -eu
cd "$(dirname "$0")"
corpus=${1:-../../../../shared/corpus/pcap}
mkdir -p streams
follow() {
  f=$1
  shift
  for n in "$@"; do
    tshark -r "$corpus/$f" -q -z "follow,tcp,raw,$n" 2>/dev/null > "streams/$f.$n.follow"
  done
}
follow zeek_tls_tls-1.2-handshake-failure.pcap 0
follow heplify_sip_ipv4_tcp_retrans.pcap 0 8 9
