#!/usr/bin/env bash
# Counts HTTP requests, responses per status code, and WebSocket upgrades
# answered 101 in every capture of the shared corpus, as tshark dissects
# them: the oracle for parse/capture's TestHTTPCountsMatchTshark.
#   testdata/oracle/http.sh ../shared/corpus/pcap > testdata/oracle/http.tsv
# Output: file <TAB> key <TAB> count; keys: "requests", "upgrades" (requests
# with Upgrade: websocket), a status code ("101", "503").
set -euo pipefail
dir=${1:-../shared/corpus/pcap}
echo "# tshark $(tshark --version | head -1 | awk '{print $3}'); requests: http.request; responses: http.response.code; upgrades: http.upgrade contains websocket"
for f in "$dir"/*; do
	base=$(basename "$f")
	req=$(tshark -n -r "$f" -Y 'http.request && tcp' 2>/dev/null | wc -l)
	[ "$req" -gt 0 ] || continue
	up=$(tshark -n -r "$f" -Y 'http.request && lower(http.upgrade) contains "websocket"' 2>/dev/null | wc -l)
	printf '%s\trequests\t%d\n%s\tupgrades\t%d\n' "$base" "$req" "$base" "$up"
	tshark -n -r "$f" -Y 'http.response.code && tcp' -T fields -e http.response.code 2>/dev/null |
		tr ',' '\n' | sort | uniq -c | awk -v f="$base" '{ printf "%s\t%s\t%d\n", f, $2, $1 }'
done
