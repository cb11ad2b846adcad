#!/bin/sh
# oracle.sh: count what tshark sees in each capture, for parse/pcap's oracle
# test (parse/pcap/oracle_test.go), which compares these numbers with its own.
#
#   testdata/pcap/oracle.sh > testdata/pcap/oracle.tsv
#
# It reads the shared corpus ($CEILING_CORPUS/pcap, or ../shared/corpus/pcap
# beside the repository; src "corpus") and the captures kept here (src
# "testdata"). Made with
# TShark 4.0.17 (Debian 12); reassembly settings are tshark's defaults (IPv4
# and IPv6 defragmentation on), so a reassembled datagram is dissected, and
# counted, once, at the frame that completed it.
#
# Columns after src and file, each a number of frames:
#   frames      every record in the file
#   ip ipv6     display filter "ip" / "ipv6": any IPv4 / IPv6 header in the
#               frame, tunnelled or quoted in an ICMP error included
#   udp tcp     display filter "udp" / "tcp", same caveat
#   frags       IP fragments: ip.flags.mf==1 || ip.frag_offset>0, and the
#               same for the IPv6 fragment header (atomic fragments excluded)
#   reasm       frames where a datagram was reassembled
#   o_ip o_ipv6 o_udp o_tcp
#               the outermost IP header and the header right after it (IPv6
#               extension headers stepped over), read from frame.protocols:
#               what ceiling delivers, since it does not open tunnels.
set -eu
cd "$(dirname "$0")/../.."
corpus=${CEILING_CORPUS:-../shared/corpus}/pcap
count() { tshark -n -r "$1" -Y "$2" 2>/dev/null | wc -l; }
printf 'src\tfile\tframes\tip\tipv6\tudp\ttcp\tfrags\treasm\to_ip\to_ipv6\to_udp\to_tcp\n'
for dir in "$corpus" testdata/pcap; do
  src=testdata
  [ "$dir" = testdata/pcap ] || src=corpus
  for f in "$dir"/*; do
    case "$f" in *.pcap|*.pcapng|*.cap|*.pcap.gz|*.pcapng.gz) ;; *) continue ;; esac
    # Only the formats ceiling reads: pcap, pcapng, NetMon 2.x.
    if ! capinfos -t "$f" 2>/dev/null | grep "^File type" | grep -q 'pcap\|NetMon 2'; then continue; fi
    frames=$(tshark -n -r "$f" 2>/dev/null | wc -l)
    outer=$(tshark -n -r "$f" -T fields -e frame.protocols 2>/dev/null | awk -F: '
      { net=""; tr=""
        for (i = 1; i <= NF; i++) {
          if (net == "" && ($i == "ip" || $i == "ipv6")) { net = $i; continue }
          if (net != "" && $i ~ /^ipv6\.(hopopts|routing|dstopts|fraghdr)$/) continue
          if (net != "") { tr = $i; break }
        }
        if (net == "ip") o4++; if (net == "ipv6") o6++
        if (tr == "udp") ou++; if (tr == "tcp") ot++ }
      END { printf "%d\t%d\t%d\t%d", o4, o6, ou, ot }')
    printf '%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n' "$src" "$(basename "$f")" "$frames" \
      "$(count "$f" ip)" "$(count "$f" ipv6)" "$(count "$f" udp)" "$(count "$f" tcp)" \
      "$(count "$f" 'ip.flags.mf==1 || ip.frag_offset>0 || ipv6.fraghdr.more==1 || ipv6.fraghdr.offset>0')" \
      "$(count "$f" 'ip.reassembled.length || ipv6.reassembled.length')" \
      "$outer"
  done
done
