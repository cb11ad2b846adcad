#!/usr/bin/env bash
# ceiling edge fixtures: real JMeter runs against real edges that refuse work at one layer,
# each captured with tcpdump. See testdata/gen/edge/README.md.
#
#   make.sh FIXTURE...        one or more of: ws-limit-conn ws-rate-limit tcp-refused sip-tcp-limit
#                             tls-handshake-fail mixed-ws-first mixed-sip-first ephemeral-ports
#   make.sh all               every one of them, in that order
#
# Each run happens inside a network namespace that this script creates (ip netns add
# ceiling-edge-<pid>), on that namespace's own loopback (127.0.0.1): no traffic leaves it,
# iptables rules and sysctls apply to it only, and the standard ports (80, 443, 5060, 8080)
# cannot clash with anything else on the machine. A trap stops every process this script
# started (by pid) and deletes the namespace, also on failure; every process runs under
# timeout(1) (sipp under its own -timeout, the Go backend under its -lifetime).
#
# For each fixture: build (javac, go build), start tcpdump -i lo in the namespace, the edge
# (nginx, kamailio, iptables rule, Go server...), JMeter 2.13 (non-GUI, through the spike
# fixture's JMeterLauncher), stop all, then check.py reads the capture with tshark and the JTL
# and checks the run (concurrency at the first failure = LIMIT+1, every trace ID / Call-ID in
# the capture, no retransmissions or stalls...). A run that fails a check is thrown away and
# run again, up to ATTEMPTS times; only a run that passes writes testdata/fixtures/<name>/:
#   capture.pcapng.gz  results.jtl  meta.json  plan.jmx  README.md (by readme.py from meta.json)
#   (+ nginx.conf for the nginx fixtures, keylog.txt for tls-handshake-fail)
#
# Needs root (netns, tcpdump, iptables) and the Debian 12 packages: nginx kamailio sip-tester
# jmeter jmeter-java jmeter-http openjdk-17-jdk-headless tcpdump tshark wireshark-common
# iproute2 iptables openssl python3, and Go (go build; standard library only).
# NOTE: iptables was NOT installed on the machine this was first made on (apt-get install
# iptables); jmeter-java had to be added for the spike fixture already. INSTALL=1 installs them:
#   apt-get install -y nginx kamailio sip-tester jmeter jmeter-java jmeter-http \
#     openjdk-17-jdk-headless tcpdump tshark wireshark-common iproute2 iptables openssl
#
# Environment: ATTEMPTS=3 (runs per fixture before giving up), KEEP=1 (keep the work dirs in
# /tmp), OUT=testdata/fixtures (where the fixture folders go); each fixture's own parameters
# (LIMIT, THREADS, ...) are set in params_<fixture> below and can be overridden, e.g.
#   LIMIT=30 THREADS=60 testdata/gen/edge/make.sh ws-limit-conn
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
SPIKE=$REPO/testdata/gen/spike
OUT=${OUT:-$REPO/testdata/fixtures}
ATTEMPTS=${ATTEMPTS:-3}
JMETER_HOME=${JMETER_HOME:-/usr/share/jmeter}
USER_DURATION=${DURATION:-}
ALL=(ws-limit-conn ws-rate-limit tcp-refused sip-tcp-limit tls-handshake-fail mixed-ws-first mixed-sip-first ephemeral-ports)

log() { printf '[edge/make.sh %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

if [[ ${INSTALL:-0} == 1 ]]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y nginx kamailio sip-tester jmeter jmeter-java jmeter-http \
    openjdk-17-jdk-headless tcpdump tshark wireshark-common iproute2 iptables openssl
fi
for t in nginx kamailio sipp tcpdump tshark editcap capinfos java javac go python3 gzip ip iptables openssl timeout chrt; do
  command -v "$t" >/dev/null || die "missing $t (see the header of this script)"
done
[[ -f $JMETER_HOME/lib/ext/ApacheJMeter_java.jar && -f $JMETER_HOME/lib/ext/ApacheJMeter_http.jar ]] ||
  die "missing JMeter's Java or HTTP sampler (apt-get install jmeter-java jmeter-http)"
[[ $(id -u) == 0 ]] || die "run as root (network namespace, tcpdump, iptables)"

(( $# > 0 )) || die "usage: $0 FIXTURE... | all   (fixtures: ${ALL[*]})"
if [[ $1 == all ]]; then set -- "${ALL[@]}"; fi

NS=""
PIDS=()
WORK=""
BUILD=$(mktemp -d /tmp/ceiling-edge-build.XXXXXX)

stop_all() {
  local i p
  for ((i=${#PIDS[@]}-1; i>=0; i--)); do
    p=${PIDS[i]}
    if kill -0 "$p" 2>/dev/null; then
      kill -TERM "$p" 2>/dev/null
      for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
    fi
  done
  wait "${PIDS[@]}" 2>/dev/null || true
  PIDS=()
  if [[ -n $NS ]]; then
    # anything of ours still inside the namespace (children of the processes above), by pid
    for p in $(ip netns pids "$NS" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
    ip netns del "$NS" 2>/dev/null || true
    NS=""
  fi
}
cleanup() {
  local rc=$?
  set +e
  stop_all
  if [[ ${KEEP:-0} == 1 || $rc != 0 ]]; then
    [[ -n $WORK ]] && log "work dir kept: $WORK"
  else
    [[ -n $WORK ]] && rm -rf "$WORK"
  fi
  rm -rf "$BUILD"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_for() {
  local desc=$1 secs=$2; shift 2
  local k
  for ((k=0; k<secs*10; k++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  log "timed out after ${secs}s waiting for $desc"
  return 1
}
nsx() { ip netns exec "$NS" "$@"; }
listening() { nsx ss -Hln "( sport = :$2 )" -A "$1" | grep -q "127.0.0.1:$2"; }

if chrt -r 10 true 2>/dev/null; then PRIO=(chrt -r 10); else PRIO=(nice -n -10); fi

# ---------------------------------------------------------------- build (once)
JCP="$JMETER_HOME/bin/ApacheJMeter.jar:$JMETER_HOME/lib/ext/*:$JMETER_HOME/lib/*:/usr/share/java/xstream.jar"
log "javac: the spike fixture's JMeterLauncher and SipCallSampler (unchanged), WebSocketSampler, SipTcpCallSampler"
mkdir -p "$BUILD/classes"
javac -nowarn -source 8 -target 8 -Xlint:-options -d "$BUILD/classes" -cp "$JCP" \
  "$SPIKE"/java/ceiling/spike/*.java "$HERE"/java/ceiling/edge/*.java
log "go build: wsbackend"
(cd "$HERE/wsbackend" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -o "$BUILD/wsbackend" .)

# ---------------------------------------------------------------- fixture parameters
# Common: the first failure must come during the ramp, before any connection or call ends
# (HOLD > the time to reach LIMIT+1), so that the edge's own count and the capture's agree.
params_common() {
  PAUSE_MS=${PAUSE_MS:-1000}; JITTER_MS=${JITTER_MS:-500}
  DURATION=${USER_DURATION:-35}
  JPROPS=()
}
params_ws-limit-conn() {
  LIMIT=${LIMIT:-20}; THREADS=${THREADS:-40}; RAMP=${RAMP:-20}; HOLD_MS=${HOLD_MS:-14000}
  NGINX_LIMIT="            limit_conn ws_conns $LIMIT;
            limit_conn_status 503;"
  RATE=1000
  SERVERS=(wsbackend nginx)
  FILTER="tcp and host 127.0.0.1 and (port 80 or port 8081)"
  JPROPS=(-Jsample_variables=traceId,respTraceId -Jws_threads="$THREADS" -Jws_ramp="$RAMP" -Jws_duration="$DURATION" -Jws_hold_ms="$HOLD_MS"
          -Jws_pause_min_ms="$PAUSE_MS" -Jws_pause_max_ms="$((PAUSE_MS + JITTER_MS))")
  DESC="nginx limit_conn $LIMIT (503) in front of a WebSocket echo backend; $THREADS WebSocket threads ramped over ${RAMP}s, each connection held ${HOLD_MS}ms"
}
params_ws-rate-limit() {
  LIMIT=${LIMIT:-0}; RATE=${RATE:-10}; BURST=${BURST:-5}
  THREADS=${THREADS:-30}; RAMP=${RAMP:-15}; HOLD_MS=${HOLD_MS:-2000}; DURATION=${USER_DURATION:-25}
  NGINX_LIMIT="            limit_req zone=ws_rate burst=$BURST nodelay;
            limit_req_status 429;"
  SERVERS=(wsbackend nginx)
  FILTER="tcp and host 127.0.0.1 and (port 80 or port 8081)"
  JPROPS=(-Jsample_variables=traceId,respTraceId -Jws_threads="$THREADS" -Jws_ramp="$RAMP" -Jws_duration="$DURATION" -Jws_hold_ms="$HOLD_MS"
          -Jws_pause_min_ms="$PAUSE_MS" -Jws_pause_max_ms="$((PAUSE_MS + JITTER_MS))")
  DESC="nginx limit_req rate=${RATE}r/s burst=$BURST nodelay (429) in front of a WebSocket echo backend; $THREADS WebSocket threads ramped over ${RAMP}s, each connection held ${HOLD_MS}ms"
}
params_tcp-refused() {
  LIMIT=${LIMIT:-20}; THREADS=${THREADS:-40}; RAMP=${RAMP:-20}; HOLD_MS=${HOLD_MS:-14000}
  SERVERS=(httpbackend iptables)
  FILTER="tcp and host 127.0.0.1 and port 8080"
  JPROPS=(-Jsample_variables=traceId,respTraceId -Jhttp_threads="$THREADS" -Jhttp_ramp="$RAMP" -Jhttp_duration="$DURATION" -Jhttp_hold_ms="$HOLD_MS"
          -Jhttp_pause_min_ms="$PAUSE_MS" -Jhttp_pause_max_ms="$((PAUSE_MS + JITTER_MS))" -Jhttp_port=8080)
  DESC="iptables connlimit: SYN to 127.0.0.1:8080 above $LIMIT connections answered by RST (REJECT --reject-with tcp-reset); a Go HTTP server holding each response ${HOLD_MS}ms; $THREADS JMeter HTTP (HttpClient4, no keep-alive) threads ramped over ${RAMP}s"
}
params_ephemeral-ports() {
  PORT_LO=${PORT_LO:-40000}; LIMIT=${LIMIT:-50}   # LIMIT = the number of ephemeral ports
  THREADS=${THREADS:-70}; RAMP=${RAMP:-14}; HOLD_MS=${HOLD_MS:-15000}
  SERVERS=(httpbackend portrange)
  FILTER="tcp and host 127.0.0.1 and port 8080"
  JPROPS=(-Jsample_variables=traceId,respTraceId -Jhttp_threads="$THREADS" -Jhttp_ramp="$RAMP" -Jhttp_duration="$DURATION" -Jhttp_hold_ms="$HOLD_MS"
          -Jhttp_pause_min_ms="$PAUSE_MS" -Jhttp_pause_max_ms="$((PAUSE_MS + JITTER_MS))" -Jhttp_port=8080)
  DESC="net.ipv4.ip_local_port_range = $PORT_LO $((PORT_LO + LIMIT - 1)) ($LIMIT ports) in the load generator's namespace; a Go HTTP server holding each response ${HOLD_MS}ms; $THREADS JMeter HTTP (HttpClient4, no keep-alive) threads ramped over ${RAMP}s"
}
params_tls-handshake-fail() {
  LIMIT=${LIMIT:-20}; THREADS=${THREADS:-40}; RAMP=${RAMP:-20}; HOLD_MS=${HOLD_MS:-14000}
  SERVERS=(httpsbackend)
  FILTER="tcp and host 127.0.0.1 and port 443"
  JPROPS=(-Jsample_variables=traceId,respTraceId -Jhttp_threads="$THREADS" -Jhttp_ramp="$RAMP" -Jhttp_duration="$DURATION" -Jhttp_hold_ms="$HOLD_MS"
          -Jhttp_pause_min_ms="$PAUSE_MS" -Jhttp_pause_max_ms="$((PAUSE_MS + JITTER_MS))" -Jhttp_port=443)
  DESC="a Go HTTPS server on 127.0.0.1:443 admitting $LIMIT concurrent TLS connections, answering the ClientHello of any other with a fatal alert handshake_failure; each response held ${HOLD_MS}ms; $THREADS JMeter HTTPS (HttpClient4, no keep-alive) threads ramped over ${RAMP}s"
}
params_sip-tcp-limit() {
  LIMIT=${LIMIT:-20}; THREADS=${THREADS:-40}; RAMP=${RAMP:-20}; HOLD_MS=${HOLD_MS:-14000}
  SERVERS=(kamailio-tcp sipp)
  FILTER="host 127.0.0.1 and (port 5060 or port 5070)"
  JPROPS=(-Jsample_variables=callId -Jsip_threads="$THREADS" -Jsip_ramp="$RAMP" -Jsip_duration="$DURATION" -Jsip_hold_ms="$HOLD_MS"
          -Jsip_pause_min_ms="$PAUSE_MS" -Jsip_pause_max_ms="$((PAUSE_MS + JITTER_MS))")
  DESC="kamailio (dialog profile limit $LIMIT, 503) on 127.0.0.1:5060 TCP, sipp UAS behind it over UDP; $THREADS JMeter SIP-over-TCP threads (one TCP connection per call) ramped over ${RAMP}s, each call held ${HOLD_MS}ms"
}
params_mixed() {
  # $1: ws-first or sip-first
  HOLD_MS=${HOLD_MS:-18000}; RAMP=${RAMP:-20}
  if [[ $1 == ws-first ]]; then
    WS_LIMIT=${WS_LIMIT:-10}; WS_THREADS=${WS_THREADS:-20}; SIP_LIMIT=${SIP_LIMIT:-30}; SIP_THREADS=${SIP_THREADS:-40}
  else
    WS_LIMIT=${WS_LIMIT:-30}; WS_THREADS=${WS_THREADS:-40}; SIP_LIMIT=${SIP_LIMIT:-10}; SIP_THREADS=${SIP_THREADS:-20}
  fi
  LIMIT=$WS_LIMIT
  NGINX_LIMIT="            limit_conn ws_conns $WS_LIMIT;
            limit_conn_status 503;"
  RATE=1000
  SERVERS=(wsbackend nginx kamailio-udp sipp)
  FILTER="host 127.0.0.1 and (tcp port 80 or tcp port 8081 or udp port 5060 or udp port 5070)"
  JPROPS=(-Jsample_variables=callId,traceId,respTraceId -Jws_threads="$WS_THREADS" -Jws_ramp="$RAMP" -Jws_duration="$DURATION" -Jws_hold_ms="$HOLD_MS"
          -Jws_pause_min_ms="$PAUSE_MS" -Jws_pause_max_ms="$((PAUSE_MS + JITTER_MS))"
          -Jsip_threads="$SIP_THREADS" -Jsip_ramp="$RAMP" -Jsip_duration="$DURATION" -Jsip_hold_ms="$HOLD_MS"
          -Jsip_pause_min_ms="$PAUSE_MS" -Jsip_pause_max_ms="$((PAUSE_MS + JITTER_MS))")
  DESC="one JMeter run, two thread groups at once: $SIP_THREADS SIP callers (UDP, the spike's SipCallSampler) to kamailio limited to $SIP_LIMIT dialogs, and $WS_THREADS WebSocket clients to nginx limit_conn $WS_LIMIT; both ramped over ${RAMP}s, held ${HOLD_MS}ms"
}
params_mixed-ws-first() { params_mixed ws-first; }
params_mixed-sip-first() { params_mixed sip-first; }

# ---------------------------------------------------------------- servers (inside $NS)
start_server() {
  local what=$1 budget=$2
  case $what in
    wsbackend)
      ip netns exec "$NS" "${PRIO[@]}" timeout -k 5 "$budget" "$BUILD/wsbackend" -ws 127.0.0.1:8081 -lifetime "${budget}s" \
        >"$WORK/wsbackend.log" 2>&1 &
      PIDS+=($!); wait_for "wsbackend on 8081" 20 listening tcp 8081 ;;
    httpbackend)
      ip netns exec "$NS" "${PRIO[@]}" timeout -k 5 "$budget" "$BUILD/wsbackend" -http 127.0.0.1:8080 -lifetime "${budget}s" \
        >"$WORK/httpbackend.log" 2>&1 &
      PIDS+=($!); wait_for "http backend on 8080" 20 listening tcp 8080 ;;
    httpsbackend)
      openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=edge.ceiling.test" \
        -addext "subjectAltName=IP:127.0.0.1,DNS:edge.ceiling.test" \
        -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
      : >"$WORK/keylog.txt"
      ip netns exec "$NS" "${PRIO[@]}" timeout -k 5 "$budget" "$BUILD/wsbackend" -https 127.0.0.1:443 -cert "$WORK/cert.pem" \
        -key "$WORK/key.pem" -keylog "$WORK/keylog.txt" -max-conns "$LIMIT" -lifetime "${budget}s" \
        >"$WORK/httpsbackend.log" 2>&1 &
      PIDS+=($!); wait_for "https backend on 443" 20 listening tcp 443 ;;
    nginx)
      mkdir -p "$WORK/nginx/tmp"
      sed -e "s|@WORK@|$WORK|g" -e "s|@RATE@|$RATE|g" "$HERE/nginx.conf.in" |
        python3 -c 'import sys; print(sys.stdin.read().replace("@LIMIT@", sys.argv[1]), end="")' "$NGINX_LIMIT" \
        >"$WORK/nginx/nginx.conf"
      nsx nginx -t -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" >"$WORK/nginx-t.log" 2>&1 || { cat "$WORK/nginx-t.log" >&2; return 1; }
      ip netns exec "$NS" "${PRIO[@]}" timeout -k 5 "$budget" nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g 'daemon off;' \
        >"$WORK/nginx.log" 2>&1 &
      PIDS+=($!); wait_for "nginx on 80" 20 listening tcp 80 ;;
    kamailio-udp|kamailio-tcp)
      local cfg=$SPIKE/kamailio.cfg max=${SIP_LIMIT:-}
      [[ $what == kamailio-tcp ]] && { cfg=$HERE/kamailio-tcp.cfg; max=$LIMIT; }
      mkdir -p "$WORK/kamailio-run"
      ip netns exec "$NS" "${PRIO[@]}" timeout -k 5 "$budget" kamailio -f "$cfg" -DD -E -m 64 -M 8 \
        -P "$WORK/kamailio.pid" -Y "$WORK/kamailio-run" \
        -A "MAX_DIALOGS=$max" -A 'UAS_ADDR="sip:127.0.0.1:5070"' >"$WORK/kamailio.log" 2>&1 &
      PIDS+=($!); wait_for "kamailio on 5060" 20 listening udp 5060
      [[ $what == kamailio-udp ]] || wait_for "kamailio on tcp 5060" 20 listening tcp 5060 ;;
    sipp)
      (cd "$WORK" && exec ip netns exec "$NS" "${PRIO[@]}" sipp -sf "$SPIKE/uas.xml" -i 127.0.0.1 -bind_local -p 5070 -t u1 \
        -mi 127.0.0.1 -nostdin -timeout "${budget}s" -trace_err -trace_stat -fd 5 >"$WORK/sipp.out" 2>&1) &
      PIDS+=($!); wait_for "sipp on 5070" 20 listening udp 5070 ;;
    iptables)
      nsx iptables -A INPUT -p tcp --syn -d 127.0.0.1 --dport 8080 -m connlimit --connlimit-above "$LIMIT" \
        --connlimit-mask 32 -j REJECT --reject-with tcp-reset
      nsx iptables -S INPUT >"$WORK/iptables.txt" ;;
    portrange)
      nsx sysctl -q -w net.ipv4.ip_local_port_range="$PORT_LO $((PORT_LO + LIMIT - 1))"
      nsx sysctl net.ipv4.ip_local_port_range >"$WORK/sysctl.txt" ;;
    *) die "unknown server $what" ;;
  esac
}

# ---------------------------------------------------------------- one run
run_once() {
  local fx=$1
  WORK=$(mktemp -d "/tmp/ceiling-edge-$fx.XXXXXX")
  NS=ceiling-edge-$$
  ip netns add "$NS"
  nsx ip link set lo up
  local budget=$((DURATION + RAMP + HOLD_MS / 1000 + 60))
  log "$fx: load average $(cut -d' ' -f1 /proc/loadavg); namespace $NS; work dir $WORK"

  ip netns exec "$NS" "${PRIO[@]}" timeout -k 5 $((budget + 60)) tcpdump -i lo -n -s 0 -U --time-stamp-precision=nano \
    -w "$WORK/capture.pcap" "$FILTER" 2>"$WORK/tcpdump.log" &
  PIDS+=($!)
  wait_for "tcpdump" 10 grep -q "listening on" "$WORK/tcpdump.log" || return 1
  local s
  for s in "${SERVERS[@]}"; do start_server "$s" "$((budget + 30))" || return 1; done

  python3 "$HERE/plans.py" "$fx" "$WORK/plan.jmx"
  log "$fx: JMeter 2.13: ${JPROPS[*]}"
  START_ISO=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  local jrc=0
  (cd "$WORK" && exec ip netns exec "$NS" nice -n -10 timeout -k 10 "$budget" java -Xms256m -Xmx512m \
    -Djava.awt.headless=true -Djmeter.home="$JMETER_HOME" -cp "$BUILD/classes:$JCP" ceiling.spike.JMeterLauncher \
    -n -t "$WORK/plan.jmx" -q "$HERE/edge.properties" -j "$WORK/jmeter.log" -Jjtl_csv="$WORK/results.jtl" \
    "${JPROPS[@]}" >"$WORK/jmeter.out" 2>&1) &
  local jpid=$!
  PIDS+=($jpid)
  wait $jpid || jrc=$?
  tail -3 "$WORK/jmeter.out" >&2
  [[ $jrc == 0 ]] || { log "JMeter exited with $jrc"; return 1; }
  grep -q ForbiddenClassException "$WORK/jmeter.log" && { log "XStream refused a type"; return 1; }
  [[ -s $WORK/results.jtl ]] || { log "JMeter wrote no JTL"; return 1; }
  sleep 2
  stop_all
  cat "$WORK/tcpdump.log" >&2
  grep -q "^0 packets dropped by kernel" "$WORK/tcpdump.log" || { log "tcpdump dropped packets"; return 1; }
  editcap -F pcapng "$WORK/capture.pcap" "$WORK/capture.pcapng"

  local keyarg=()
  [[ -f $WORK/keylog.txt ]] && keyarg=(--keylog "$WORK/keylog.txt")
  local crc=0
  python3 "$HERE/check.py" --fixture "$fx" --pcap "$WORK/capture.pcapng" --jtl "$WORK/results.jtl" \
    --limit "$LIMIT" --sip-limit "${SIP_LIMIT:-0}" --ws-limit "${WS_LIMIT:-0}" "${keyarg[@]}" \
    --json "$WORK/check.json" >"$WORK/check.out" || crc=$?
  [[ -s $WORK/check.json ]] || { log "check.py wrote nothing"; return 1; }
  if [[ $crc != 0 ]]; then
    python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["checks"]; print("failed checks:", [k for k,v in c.items() if not v])' "$WORK/check.json" >&2
    return 1
  fi
  return 0
}

write_fixture() {
  local fx=$1 dest=$OUT/$1
  mkdir -p "$dest"
  gzip -9 -n -c "$WORK/capture.pcapng" >"$dest/capture.pcapng.gz"
  cp "$WORK/results.jtl" "$dest/results.jtl"
  cp "$WORK/plan.jmx" "$dest/plan.jmx"
  [[ -f $WORK/keylog.txt ]] && cp "$WORK/keylog.txt" "$dest/keylog.txt"
  [[ -f $WORK/nginx/nginx.conf ]] && sed "s|$WORK|/tmp/ceiling-edge-WORK|g" "$WORK/nginx/nginx.conf" >"$dest/nginx.conf"
  export FX=$fx DESC START_ISO LIMIT THREADS RAMP HOLD_MS DURATION PAUSE_MS JITTER_MS \
    RATE BURST PORT_LO WS_LIMIT SIP_LIMIT WS_THREADS SIP_THREADS FILTER ATTEMPT
  export JPROPS_S="${JPROPS[*]}" SERVERS_S="${SERVERS[*]}"
  export V_NGINX=$(nginx -v 2>&1 | sed 's/^nginx version: //')
  export V_KAM=$(kamailio -v 2>/dev/null | head -1 | sed 's/^version: //; s/ *$//')
  export V_SIPP=$(sipp -v 2>/dev/null | tr -d '\r' | grep -m1 -o 'SIPp v[^ ]*' | sed 's/\.$//' || true)
  export V_JM=$(dpkg-query -W -f='${Version}' jmeter 2>/dev/null || echo unknown)
  export V_JAVA=$(java -version 2>&1 | head -1)
  export V_TSHARK=$(tshark -v 2>/dev/null | head -1)
  export V_TCPDUMP=$(tcpdump --version 2>&1 | head -1)
  export V_GO=$(go version)
  export V_OPENSSL=$(openssl version)
  export V_KERNEL=$(uname -r)
  export V_IPT=$(iptables -V)
  export CAPINFOS=$(capinfos -c -u -M "$WORK/capture.pcapng" | tail -n +2 | tr -s ' ' | tr '\n' ';')
  python3 - "$WORK/check.json" "$dest/meta.json" <<'PY'
import json, os, sys
e = os.environ
check = json.load(open(sys.argv[1]))
def num(k):
    v = e.get(k, "")
    return int(v) if v not in ("", None) else None
fx = e["FX"]
params = {"description": e["DESC"], "LIMIT": num("LIMIT"), "threads": num("THREADS"), "ramp_s": num("RAMP"),
          "duration_s": num("DURATION"), "hold_ms": num("HOLD_MS"), "pause_after_failure_ms": num("PAUSE_MS"),
          "pause_jitter_ms": num("JITTER_MS"), "jmeter_properties": e["JPROPS_S"], "servers": e["SERVERS_S"],
          "namespace": "a network namespace of its own, loopback 127.0.0.1 only", "capture_filter": e["FILTER"],
          "attempt": num("ATTEMPT")}
if fx == "ws-rate-limit":
    params.update({"LIMIT": None, "rate_per_s": num("RATE"), "burst": num("BURST"),
                   "nginx": f"limit_req zone=ws_rate burst={e['BURST']} nodelay; limit_req_status 429; rate={e['RATE']}r/s"})
if fx == "ws-limit-conn":
    params["nginx"] = f"limit_conn ws_conns {e['LIMIT']}; limit_conn_status 503; add_header x-trace-id $request_id always"
if fx == "ephemeral-ports":
    params["ip_local_port_range"] = f"{e['PORT_LO']} {int(e['PORT_LO']) + int(e['LIMIT']) - 1}"
if fx.startswith("mixed"):
    params.update({"LIMIT": None, "ws_LIMIT": num("WS_LIMIT"), "sip_LIMIT": num("SIP_LIMIT"),
                   "ws_threads": num("WS_THREADS"), "sip_threads": num("SIP_THREADS"), "threads": None})
versions = {"jmeter": f"2.13 (Debian package {e['V_JM']}), started by ceiling.spike.JMeterLauncher",
            "java": e["V_JAVA"], "tshark": e["V_TSHARK"], "tcpdump": e["V_TCPDUMP"], "kernel": e["V_KERNEL"]}
s = e["SERVERS_S"]
if "nginx" in s: versions["nginx"] = e["V_NGINX"]
if "kamailio" in s: versions["kamailio"] = e["V_KAM"]
if "sipp" in s: versions["sipp"] = e["V_SIPP"]
if "backend" in s: versions["go"] = e["V_GO"]
if "https" in s: versions["openssl"] = e["V_OPENSSL"]
if "iptables" in s: versions["iptables"] = e["V_IPT"]
files = {"capture": "capture.pcapng.gz", "jtl_csv": "results.jtl", "plan": "plan.jmx"}
if os.path.exists(os.path.join(os.path.dirname(sys.argv[2]), "keylog.txt")) and fx == "tls-handshake-fail":
    files["tls_keylog"] = "keylog.txt"
if fx.startswith("ws") or fx.startswith("mixed"):
    files["nginx_conf"] = "nginx.conf"
meta = {"schema": "ceiling.fixture.edge/v1", "fixture": fx, "generated_by": f"testdata/gen/edge/make.sh {fx}",
        "date": e["START_ISO"], "parameters": params, "versions": versions, "files": files,
        "capinfos": e["CAPINFOS"], "expected_verdict": check["expected_verdict"],
        "all_checks_passed": all(check["checks"].values()), "check": check}
with open(sys.argv[2], "w") as f:
    json.dump(meta, f, indent=2)
    f.write("\n")
PY
  python3 "$HERE/readme.py" "$dest/meta.json" >"$dest/README.md"
  ls -l "$dest" >&2
}

for fx in "$@"; do
  declare -F "params_$fx" >/dev/null || die "unknown fixture $fx (fixtures: ${ALL[*]})"
  ok=0
  for ((ATTEMPT=1; ATTEMPT<=ATTEMPTS; ATTEMPT++)); do
    ( # parameters per fixture: a subshell keeps one fixture's from leaking into the next;
      # subshells do not inherit the EXIT trap: stop this run's processes and namespace here
      trap 'stop_all; [[ -n $WORK ]] && log "work dir kept: $WORK"' EXIT
      params_common; "params_$fx"
      if run_once "$fx"; then
        write_fixture "$fx"
        [[ ${KEEP:-0} == 1 ]] || { rm -rf "$WORK"; WORK=""; }
        exit 0
      fi
      exit 1
    ) && { ok=1; break; }
    log "$fx: attempt $ATTEMPT failed"
  done
  [[ $ok == 1 ]] || die "$fx: no clean run in $ATTEMPTS attempts"
  log "$fx: done -> $OUT/$fx"
done
