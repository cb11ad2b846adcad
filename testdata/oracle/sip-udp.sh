#!/usr/bin/env bash
# Counts SIP over UDP per method and per status code in every capture of
# the shared corpus, as tshark dissects them: the oracle that
# parse/capture's TestSIPCountsMatchTshark compares with. Re-run after
# adding captures:
#   testdata/oracle/sip-udp.sh ../shared/corpus/pcap > testdata/oracle/sip-udp.tsv
# Output: file <TAB> key <TAB> count, where key is a method ("INVITE") or a
# status code ("503"); "frames" counts SIP-over-UDP frames.
set -euo pipefail
dir=${1:-../shared/corpus/pcap}
echo "# tshark $(tshark --version | head -1 | awk '{print $3}'); filter: sip && udp && !tcp && !icmp && !icmpv6"
for f in "$dir"/*; do
	base=$(basename "$f")
	# SIP quoted inside ICMP errors is not traffic, and SIP over TCP inside a
	# UDP tunnel (GTP-U) is not SIP over UDP: leave both out.
	tshark -r "$f" -Y 'sip && udp && !tcp && !icmp && !icmpv6' -T fields \
		-e sip.Method -e sip.Status-Code 2>/dev/null |
		awk -v f="$base" -F'\t' '
			{ frames++; k = ($1 != "" ? $1 : $2); if (k != "") n[k]++ }
			END { printf "%s\tframes\t%d\n", f, frames; for (k in n) printf "%s\t%s\t%d\n", f, k, n[k] }' |
		sort
done
