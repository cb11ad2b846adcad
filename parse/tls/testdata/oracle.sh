#!/bin/sh
# oracle.sh: what tshark dissects in each TLS capture, one line per frame
# with TLS in it, into oracle/<capture>.tsv. TestOracle holds the parser to
# these: per TCP stream and direction, the handshake message types in the
# clear, the hello versions, the supported_versions, the cipher suites,
# the alerts, the SNI, the ALPN, the record count, and the certificates.
#
#   sh parse/tls/testdata/oracle.sh [corpus-dir]
#
# The corpus directory defaults to shared/corpus/pcap beside the
# repository. The captures of gen/ use ports 45001-45020, which tshark
# must be told are TLS.
set -eu
cd "$(dirname "$0")"
corpus=${1:-../../../../shared/corpus/pcap}
mkdir -p oracle
fields="frame.number tcp.stream tcp.srcport tcp.dstport tls.record.content_type tls.record.opaque_type
  tls.handshake.type tls.handshake.version tls.handshake.extensions.supported_version
  tls.handshake.ciphersuite tls.alert_message.level tls.alert_message.desc
  tls.handshake.extensions_server_name tls.handshake.extensions_alpn_str
  tls.handshake.extensions_key_share_group tls.handshake.certificate"
args=""
header="frame"
for f in $fields; do
  args="$args -e $f"
  [ "$f" = frame.number ] || header="$header	$f"
done
oracle() {
  # shellcheck disable=SC2086
  { printf '%s\n' "$header"; tshark -r "$1" -d tcp.port==45001-45020,tls -Y tls -T fields -E occurrence=a -E aggregator=, $args 2>/dev/null; } > "oracle/$2.tsv"
}
# (Not the pcapng: tshark decrypts it with the secrets it carries.)
for f in gen/*.pcap; do
  oracle "$f" "$(basename "$f")"
done

# With the key log beside each loopback capture (and, for the pcapng,
# the secrets block inside it): per frame with TLS, the content types
# (inner ones once decrypted), the handshake messages (those decrypted
# too), the alert descriptions and the decrypted application data, into
# oracle/<capture>.decrypted.tsv. TestOracleDecrypt holds the decrypter
# to these.
decrypted() {
  kl=""
  [ -z "$3" ] || kl="-o tls.keylog_file:$3"
  # shellcheck disable=SC2086
  { printf 'frame\ttcp.stream\ttcp.srcport\ttls.record.content_type\ttls.handshake.type\ttls.alert_message.desc\tdata.data\n'
    tshark -r "$1" -d tcp.port==45001-45020,tls $kl -Y tls -T fields -E occurrence=a -E aggregator=, \
      -e frame.number -e tcp.stream -e tcp.srcport -e tls.record.content_type -e tls.handshake.type \
      -e tls.alert_message.desc -e data.data 2>/dev/null; } > "oracle/$2.decrypted.tsv"
}
for f in gen/*.pcap gen/*.pcapng; do
  [ -e "$f" ] || continue
  k=${f%.*}.keys
  if [ -e "$k" ]; then
    grep -q '^[A-Z]' "$k" || continue
    decrypted "$f" "$(basename "$f")" "$k"
  else
    decrypted "$f" "$(basename "$f")" ""
  fi
done
for f in zeek_tls_tls-1.2-handshake-failure.pcap heplify_sip_ipv4_tcp_retrans.pcap wsample_sip-tls-1.3-and-rtcp_sip.pcap; do
  oracle "$corpus/$f" "$f"
done
tshark --version 2>/dev/null | head -1 > oracle/VERSION
