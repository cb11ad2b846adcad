#!/usr/bin/env bash
# Counts RTP streams and packets in every capture of the shared corpus as
# tshark finds them (its RTP analysis of the streams that SIP/SDP or its
# own dissectors set up): the oracle that parse/capture's
# TestRTPCountsMatchTshark compares with. Re-run after adding captures:
#   testdata/oracle/rtp.sh ../shared/corpus/pcap > testdata/oracle/rtp.tsv
# Output: file <TAB> streams <TAB> packets, for captures with any RTP.
set -euo pipefail
dir=${1:-../shared/corpus/pcap}
echo "# tshark $(tshark --version 2>/dev/null | head -1 | awk '{print $3}'); tshark -o rtp.heuristic_rtp:TRUE -q -z rtp,streams"
for f in "$dir"/*; do
	tshark -r "$f" -o rtp.heuristic_rtp:TRUE -q -z rtp,streams 2>/dev/null |
		awk -v f="$(basename "$f")" '
			# A stream line: ... SSRC payload-type packets lost ...; the
			# payload type may be one word or several ("g711U", "ITU-T G.711 PCMU").
			/ 0x[0-9A-Fa-f]+ / {
				for (i = 1; i <= NF; i++) if ($i ~ /^0x[0-9A-Fa-f]+$/) break
				for (j = i + 1; j <= NF; j++) if ($j ~ /^[0-9]+$/) break
				n++; p += $j
			}
			END { if (n > 0) printf "%s\t%d\t%d\n", f, n, p }'
done
