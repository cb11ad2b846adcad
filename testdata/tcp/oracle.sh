#!/bin/sh
# oracle.sh: ask tshark about the TCP in every capture of the shared corpus,
# for parse/tcp's oracle test (parse/tcp/oracle_test.go), which holds the
# Assembler's connections against these rows.
#
#   testdata/tcp/oracle.sh > testdata/tcp/oracle.tsv
#
# Made with TShark 4.0.17 (Debian 12), default preferences (TCP sequence
# analysis on, IP reassembly on). Rows, tab-separated, by their first column:
#
#   conv FILE N
#       the conversations of "tshark -q -z conv,tcp" (which, in this
#       version, are its tcp.streams: a reused address and port pair is
#       as many conversations as connections)
#   stream FILE STREAM FIRST LAST A B PKTS_A PKTS_B BYTES_A BYTES_B SYN SYNACK RST_A RST_B FIN_A FIN_B REXMIT
#       one per tcp.stream: its first and last frame; A is the source of its
#       first packet, B the other end; packets, payload bytes (tcp.len sums),
#       RSTs and FINs per direction; SYN and SYN-ACK packets; packets
#       tshark flags tcp.analysis.retransmission
#   follow FILE STREAM NODE0 LEN0 SHA0 NODE1 LEN1 SHA1
#       the bytes of "tshark -q -z follow,tcp,raw,STREAM" per node (NODE0 is
#       the one tshark names first), their length and SHA-256, for the
#       captures that carry SIP or HTTP over TCP
#
# The display filter "tcp" also matches TCP quoted in ICMP errors; the test
# pins each capture where that makes a difference.
set -eu
corpus=${CEILING_CORPUS:-$(dirname "$0")/../../../shared/corpus}/pcap
follow_files="gopacket_test_loopback_dltnull.pcap heplify_sip_ipv4_tcp.pcap
heplify_sip_ipv4_tcp_fragmented.pcap heplify_sip_ipv4_tcp_retrans.pcap
heplify_sip_tcp_websocket.pcap suricataverify_http_503_response.pcap
suricataverify_sip-tcp.pcap zeek_http_docker-http-upgrade.pcap
zeek_http_methods.pcap zeek_ipv6-http-atomic-frag.pcap zeek_http-vlan-0.pcap"
for f in "$corpus"/*; do
  name=$(basename "$f")
  # Only the formats ceiling reads: pcap, pcapng (gzip or not).
  if ! capinfos -t "$f" 2>/dev/null | grep "^File type" | grep -q 'pcap'; then continue; fi
  n=$(tshark -n -r "$f" -q -z conv,tcp 2>/dev/null | grep -c '<->' || true)
  [ "$n" -gt 0 ] || continue
  printf 'conv\t%s\t%d\n' "$name" "$n"
  # The addresses are the innermost IP header's (-E occurrence=l), the one
  # whose version is the last named before tcp in frame.protocols.
  tshark -n -r "$f" -Y tcp -T fields -E occurrence=l -E separator=/t \
    -e frame.number -e tcp.stream -e ip.src -e ipv6.src -e tcp.srcport \
    -e tcp.flags.syn -e tcp.flags.ack -e tcp.flags.reset -e tcp.flags.fin \
    -e tcp.len -e tcp.analysis.retransmission -e frame.protocols 2>/dev/null |
  awk -F'\t' -v file="$name" '
    { fr=$1; st=$2
      np = split($12, proto, ":"); v = ""
      for (i = 1; i <= np && proto[i] != "tcp"; i++) if (proto[i] == "ip" || proto[i] == "ipv6") v = proto[i]
      src=(v == "ip" ? $3 : "[" $4 "]") ":" $5
      syn=$6; ack=$7; rst=$8; fin=$9; len=$10; rx=($11 != "")
      if (!(st in first)) { first[st]=fr; a[st]=src; order[n++]=st }
      last[st]=fr
      d = (src == a[st]) ? "a" : "b"
      if (d == "b" && !(st in b)) b[st]=src
      pk[st,d]++; by[st,d]+=len
      if (syn == 1 && ack == 0) sy[st]++
      if (syn == 1 && ack == 1) sa[st]++
      if (rst == 1) rs[st,d]++
      if (fin == 1) fi[st,d]++
      if (rx) re[st]++ }
    END { for (i = 0; i < n; i++) { st=order[i]
      printf "stream\t%s\t%d\t%d\t%d\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n", file, st, first[st], last[st], a[st], (st in b ? b[st] : "-"),
        pk[st,"a"], pk[st,"b"], by[st,"a"], by[st,"b"], sy[st], sa[st], rs[st,"a"], rs[st,"b"], fi[st,"a"], fi[st,"b"], re[st] } }'
  case " $(echo $follow_files) " in *" $name "*) ;; *) continue ;; esac
  streams=$(tshark -n -r "$f" -Y tcp -T fields -e tcp.stream 2>/dev/null | sort -n | uniq)
  args=""
  for s in $streams; do args="$args -z follow,tcp,raw,$s"; done
  # shellcheck disable=SC2086
  tshark -n -r "$f" -q $args 2>/dev/null | python3 -c '
import hashlib, sys
name = sys.argv[1]
def emit(st, nodes, data):
    cols = []
    for i in (0, 1):
        b = bytes.fromhex("".join(data[i]))
        cols += [nodes[i], str(len(b)), hashlib.sha256(b).hexdigest()]
    print("\t".join(["follow", name, st] + cols))
st = None
for line in sys.stdin:
    line = line.rstrip("\n")
    if line.startswith("Filter: tcp.stream eq "):
        st, nodes, data = line.split()[-1], ["-", "-"], [[], []]
    elif st is None:
        continue
    elif line.startswith("Node 0: "):
        nodes[0] = line[8:]
    elif line.startswith("Node 1: "):
        nodes[1] = line[8:]
    elif line.startswith("====="):
        emit(st, nodes, data)
        st = None
    elif line.startswith("\t"):
        data[1].append(line.strip())
    elif line and not line.startswith("Follow:"):
        data[0].append(line.strip())
' "$name"
done
