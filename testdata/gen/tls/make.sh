#!/usr/bin/env bash
# ceiling TLS fixtures: real JMeter runs against real TLS edges that refuse work, captured with
# tcpdump, with the TLS key log that decrypts them. See testdata/gen/tls/README.md.
#
#   make.sh FIXTURE...     one or more of the fixtures below
#   make.sh all            every one of them, in that order
#
#   sip-tls-limit-13-aes128   SIP over TLS 1.3 (TLS_AES_128_GCM_SHA256) to kamailio (tls module, 5061), dialog limit
#   sip-tls-limit-13-chacha   the same over TLS 1.3 TLS_CHACHA20_POLY1305_SHA256
#   sip-tls-limit-12-chacha   the same over TLS 1.2 ECDHE-ECDSA-CHACHA20-POLY1305
#   sip-tls-limit-12-aes256   the same over TLS 1.2 ECDHE-ECDSA-AES256-GCM-SHA384
#   wss-limit-conn-13         wss:// to nginx (TLS 1.3 TLS_AES_256_GCM_SHA384) limit_conn -> Go WebSocket backend
#   wss-limit-conn-12         the same over TLS 1.2 ECDHE-ECDSA-AES128-GCM-SHA256
#
# Each run happens inside a network namespace that this script creates (ip netns add
# ceiling-tls-<pid>), on that namespace's own loopback (127.0.0.1): no traffic leaves it and
# ports 443/5060/5061 cannot clash with anything else on the machine. A trap stops every process
# this script started (by pid) and deletes the namespace, also on failure; every process runs
# under timeout(1) (sipp under its own -timeout, the Go backend under its -lifetime).
#
# The key log: neither kamailio 5.6 nor nginx 1.22 can write one, and JSSE (the JMeter side)
# cannot either. sslkeylog.c (built here with gcc) is preloaded into the edge (LD_PRELOAD) and
# makes OpenSSL write every session's secrets to SSLKEYLOGFILE through OpenSSL's own key log
# callback: the server's key log, which has the same lines as a client's SSLKEYLOGFILE.
#
# For each fixture: build (javac, go build, gcc), make a self-signed ECDSA P-256 certificate
# (openssl), start tcpdump -i lo in the namespace (the client <-> edge TLS leg only), the edge
# (kamailio with the tls module + sipp UAS, or nginx + the Go WebSocket backend), JMeter 2.13
# (non-GUI, through the spike fixture's JMeterLauncher, after TlsWarmup has warmed up the JVM's
# TLS with in-memory handshakes) with the TLS samplers of java/; stop
# all; then check.py reads the capture with tshark, with and without the key log, and the JTL,
# and checks the run. A run that fails a check is thrown away and run again, up to ATTEMPTS
# times; only a run that passes writes testdata/fixtures-tls/<name>/:
#   capture.pcapng.gz keylog.txt results.jtl meta.json plan.jmx cert.pem README.md
#   (+ openssl.cnf for the SIP fixtures, nginx.conf for the wss ones, capture-dsb.pcapng.gz
#    (the key log embedded as a Decryption Secrets Block) for the fixtures in DSB)
#
# Needs root (netns, tcpdump) and the Debian 12 packages: kamailio kamailio-tls-modules
# sip-tester nginx jmeter jmeter-java openjdk-17-jdk-headless tcpdump tshark wireshark-common
# iproute2 openssl gcc libc6-dev python3, and Go (for testdata/gen/edge/wsbackend).
# NOTE: kamailio-tls-modules was NOT installed on the machine this was first made on
# (apt-get install kamailio-tls-modules). INSTALL=1 installs them all.
#
# Environment: ATTEMPTS=3, KEEP=1 (keep the work dirs in /tmp), OUT=testdata/fixtures-tls,
# DSB="sip-tls-limit-13-aes128" (fixtures that also get capture-dsb.pcapng.gz); each fixture's
# parameters (LIMIT, THREADS, RAMP, HOLD_MS, DURATION, PAUSE_MS, JITTER_MS) can be overridden:
#   LIMIT=30 THREADS=60 KEEP=1 OUT=/tmp/fx testdata/gen/tls/make.sh wss-limit-conn-13
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
SPIKE=$REPO/testdata/gen/spike
EDGE=$REPO/testdata/gen/edge
OUT=${OUT:-$REPO/testdata/fixtures-tls}
ATTEMPTS=${ATTEMPTS:-3}
DSB=${DSB:-sip-tls-limit-13-aes128}
JMETER_HOME=${JMETER_HOME:-/usr/share/jmeter}
USER_DURATION=${DURATION:-}
ALL=(sip-tls-limit-13-aes128 sip-tls-limit-12-chacha sip-tls-limit-12-aes256 sip-tls-limit-13-chacha wss-limit-conn-13 wss-limit-conn-12)

log() { printf '[tls/make.sh %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

if [[ ${INSTALL:-0} == 1 ]]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y kamailio kamailio-tls-modules sip-tester nginx jmeter jmeter-java \
    openjdk-17-jdk-headless tcpdump tshark wireshark-common iproute2 openssl gcc libc6-dev python3
fi
for t in nginx kamailio sipp tcpdump tshark editcap capinfos java javac go gcc python3 gzip ip openssl timeout chrt; do
  command -v "$t" >/dev/null || die "missing $t (see the header of this script)"
done
[[ -f /usr/lib/x86_64-linux-gnu/kamailio/modules/tls.so ]] || ls /usr/lib/*/kamailio/modules/tls.so >/dev/null 2>&1 ||
  die "missing kamailio's tls module (apt-get install kamailio-tls-modules)"
[[ -f $JMETER_HOME/lib/ext/ApacheJMeter_java.jar ]] || die "missing JMeter's Java sampler (apt-get install jmeter-java)"
[[ $(id -u) == 0 ]] || die "run as root (network namespace, tcpdump)"

(( $# > 0 )) || die "usage: $0 FIXTURE... | all   (fixtures: ${ALL[*]})"
if [[ $1 == all ]]; then set -- "${ALL[@]}"; fi

NS=""
PIDS=()
WORK=""
BUILD=$(mktemp -d /tmp/ceiling-tls-build.XXXXXX)

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
log "javac: the spike fixture's JMeterLauncher (unchanged), SipTlsCallSampler, WssSampler, TlsWarmup"
mkdir -p "$BUILD/classes"
javac -nowarn -source 8 -target 8 -Xlint:-options -d "$BUILD/classes" -cp "$JCP" \
  "$SPIKE"/java/ceiling/spike/JMeterLauncher.java "$HERE"/java/ceiling/tls/*.java
log "go build: testdata/gen/edge/wsbackend (unchanged)"
(cd "$EDGE/wsbackend" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -o "$BUILD/wsbackend" .)
log "gcc: sslkeylog.so"
gcc -shared -fPIC -O2 -Wall -o "$BUILD/sslkeylog.so" "$HERE/sslkeylog.c" -ldl

# ---------------------------------------------------------------- fixture parameters
# The run shape of the plaintext twins (testdata/fixtures/sip-tcp-limit, ws-limit-conn): LIMIT
# 20, one more thread every 0.5 s, calls/connections held 14 s, so that the limit is crossed
# during the ramp, before anything has ended, and the edge's count and the capture's agree at
# the first failure (LIMIT+1, thread LIMIT+1's first attempt). Three differences, to keep the
# capture small (every connection is a full TLS handshake and encrypted records, which do not
# compress): 30 threads over 15 s (the twins: 40 over 20 s, the same pace), after a failure a
# thread pauses 4-5 s (the twins: 1-1.5 s), and the scheduler runs 24 s (the twins: 35 s). The
# first failure and its concurrency do not depend on these.
params_common() {
  LIMIT=${LIMIT:-20}; THREADS=${THREADS:-30}; RAMP=${RAMP:-15}; HOLD_MS=${HOLD_MS:-14000}
  PAUSE_MS=${PAUSE_MS:-4000}; JITTER_MS=${JITTER_MS:-1000}
  DURATION=${USER_DURATION:-24}
  CLOSE_WAIT_MS=5000
}
# TLS_VERSION (JSSE and tshark's name), SUITE (IANA/JSSE name), OSSL_SUITE (OpenSSL's name)
tls_13() { TLS_VERSION=TLSv1.3; SUITE=$1; OSSL_SUITE=$1; }
tls_12() { TLS_VERSION=TLSv1.2; SUITE=$1; OSSL_SUITE=$2; }
params_sip() {
  KIND=sip; PORT=5061
  SERVERS=(kamailio-tls sipp)
  FILTER="tcp and host 127.0.0.1 and port 5061"
  TWIN=$REPO/testdata/fixtures/sip-tcp-limit/meta.json
  JPROPS=(-Jsample_variables=callId,tlsSession -Jsip_threads="$THREADS" -Jsip_ramp="$RAMP" -Jsip_duration="$DURATION"
          -Jsip_hold_ms="$HOLD_MS" -Jsip_pause_min_ms="$PAUSE_MS" -Jsip_pause_max_ms="$((PAUSE_MS + JITTER_MS))"
          -Jsip_port=5061)
  DESC="kamailio (tls module, dialog profile limit $LIMIT, 503) on 127.0.0.1:5061 TLS ($TLS_VERSION $SUITE), sipp UAS behind it over UDP; $THREADS JMeter SIP-over-TLS threads (one TLS connection per call) ramped over ${RAMP}s, each call held ${HOLD_MS}ms"
}
params_wss() {
  KIND=wss; PORT=443
  SERVERS=(wsbackend nginx-tls)
  FILTER="tcp and host 127.0.0.1 and port 443"
  TWIN=$REPO/testdata/fixtures/ws-limit-conn/meta.json
  JPROPS=(-Jsample_variables=traceId,respTraceId,tlsSession -Jws_threads="$THREADS" -Jws_ramp="$RAMP" -Jws_duration="$DURATION"
          -Jws_hold_ms="$HOLD_MS" -Jws_pause_min_ms="$PAUSE_MS" -Jws_pause_max_ms="$((PAUSE_MS + JITTER_MS))"
          -Jws_port=443)
  DESC="nginx (TLS $TLS_VERSION $SUITE on 127.0.0.1:443) limit_conn $LIMIT (503) in front of a WebSocket echo backend; $THREADS JMeter wss:// threads ramped over ${RAMP}s, each connection held ${HOLD_MS}ms"
}
params_sip-tls-limit-13-aes128() { tls_13 TLS_AES_128_GCM_SHA256; params_sip; }
params_sip-tls-limit-13-chacha() { tls_13 TLS_CHACHA20_POLY1305_SHA256; params_sip; }
params_sip-tls-limit-12-chacha() { tls_12 TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 ECDHE-ECDSA-CHACHA20-POLY1305; params_sip; }
params_sip-tls-limit-12-aes256() { tls_12 TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 ECDHE-ECDSA-AES256-GCM-SHA384; params_sip; }
params_wss-limit-conn-13() { tls_13 TLS_AES_256_GCM_SHA384; params_wss; }
params_wss-limit-conn-12() { tls_12 TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 ECDHE-ECDSA-AES128-GCM-SHA256; params_wss; }

# ---------------------------------------------------------------- servers (inside $NS)
make_cert() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=edge.ceiling.test" \
    -addext "subjectAltName=DNS:edge.ceiling.test,IP:127.0.0.1" \
    -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
}
# kamailio 5.6's tls module has no parameter for the TLS 1.3 cipher suites nor for the highest
# version: OpenSSL's own configuration (system_default, applied to every SSL_CTX) pins them.
write_openssl_cnf() {
  {
    echo "# ceiling TLS fixture $FX: OpenSSL configuration for kamailio (OPENSSL_CONF), written by make.sh"
    echo "openssl_conf = openssl_init"
    echo "[openssl_init]"
    echo "ssl_conf = ssl_sect"
    echo "[ssl_sect]"
    echo "system_default = system_default_sect"
    echo "[system_default_sect]"
    if [[ $TLS_VERSION == TLSv1.3 ]]; then
      echo "MinProtocol = TLSv1.3"
      echo "MaxProtocol = TLSv1.3"
      echo "Ciphersuites = $OSSL_SUITE"
    else
      echo "MinProtocol = TLSv1.2"
      echo "MaxProtocol = TLSv1.2"
      echo "CipherString = $OSSL_SUITE"
    fi
    echo "# a full handshake per connection, no session tickets"
    echo "Options = -SessionTicket"
    echo "NumTickets = 0"
  } >"$WORK/openssl.cnf"
}
start_server() {
  local what=$1 budget=$2
  case $what in
    kamailio-tls)
      write_openssl_cnf
      local ciphers=$OSSL_SUITE
      [[ $TLS_VERSION == TLSv1.3 ]] && ciphers=DEFAULT   # TLS 1.2 list unused: TLS 1.3 only
      mkdir -p "$WORK/kamailio-run"
      ip netns exec "$NS" env OPENSSL_CONF="$WORK/openssl.cnf" SSLKEYLOGFILE="$WORK/keylog.txt" LD_PRELOAD="$BUILD/sslkeylog.so" \
        "${PRIO[@]}" timeout -k 5 "$budget" kamailio -f "$HERE/kamailio-tls.cfg" -DD -E -m 64 -M 8 \
        -P "$WORK/kamailio.pid" -Y "$WORK/kamailio-run" \
        -A "MAX_DIALOGS=$LIMIT" -A 'UAS_ADDR="sip:127.0.0.1:5070"' \
        -A "TLS_CERT=\"$WORK/cert.pem\"" -A "TLS_KEY=\"$WORK/key.pem\"" -A "TLS_CIPHERS=\"$ciphers\"" \
        >"$WORK/kamailio.log" 2>&1 &
      PIDS+=($!); wait_for "kamailio on udp 5060" 20 listening udp 5060 && wait_for "kamailio on tls 5061" 20 listening tcp 5061 ;;
    sipp)
      (cd "$WORK" && exec ip netns exec "$NS" "${PRIO[@]}" sipp -sf "$SPIKE/uas.xml" -i 127.0.0.1 -bind_local -p 5070 -t u1 \
        -mi 127.0.0.1 -nostdin -timeout "${budget}s" -trace_err -trace_stat -fd 5 >"$WORK/sipp.out" 2>&1) &
      PIDS+=($!); wait_for "sipp on 5070" 20 listening udp 5070 ;;
    wsbackend)
      ip netns exec "$NS" "${PRIO[@]}" timeout -k 5 "$budget" "$BUILD/wsbackend" -ws 127.0.0.1:8081 -lifetime "${budget}s" \
        >"$WORK/wsbackend.log" 2>&1 &
      PIDS+=($!); wait_for "wsbackend on 8081" 20 listening tcp 8081 ;;
    nginx-tls)
      mkdir -p "$WORK/nginx/tmp"
      local tls
      if [[ $TLS_VERSION == TLSv1.3 ]]; then
        tls="        ssl_protocols TLSv1.3;
        ssl_conf_command Ciphersuites $OSSL_SUITE;"
      else
        tls="        ssl_protocols TLSv1.2;
        ssl_ciphers $OSSL_SUITE;"
      fi
      sed -e "s|@WORK@|$WORK|g" -e "s|@LIMIT@|$LIMIT|g" "$HERE/nginx-tls.conf.in" |
        python3 -c 'import sys; print(sys.stdin.read().replace("@TLS_SETTINGS@", sys.argv[1]), end="")' "$tls" \
        >"$WORK/nginx/nginx.conf"
      nsx nginx -t -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" >"$WORK/nginx-t.log" 2>&1 || { cat "$WORK/nginx-t.log" >&2; return 1; }
      ip netns exec "$NS" env SSLKEYLOGFILE="$WORK/keylog.txt" LD_PRELOAD="$BUILD/sslkeylog.so" \
        "${PRIO[@]}" timeout -k 5 "$budget" nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g 'daemon off;' \
        >"$WORK/nginx.log" 2>&1 &
      PIDS+=($!); wait_for "nginx on 443" 20 listening tcp 443 ;;
    *) die "unknown server $what" ;;
  esac
}

# ---------------------------------------------------------------- one run
run_once() {
  local fx=$1
  WORK=$(mktemp -d "/tmp/ceiling-tls-$fx.XXXXXX")
  NS=ceiling-tls-$$
  ip netns add "$NS"
  nsx ip link set lo up
  local budget=$((DURATION + RAMP + HOLD_MS / 1000 + 60))
  log "$fx: load average $(cut -d' ' -f1 /proc/loadavg); namespace $NS; work dir $WORK"
  make_cert
  : >"$WORK/keylog.txt"

  ip netns exec "$NS" "${PRIO[@]}" timeout -k 5 $((budget + 60)) tcpdump -i lo -n -s 0 -U --time-stamp-precision=nano \
    -w "$WORK/capture.pcap" "$FILTER" 2>"$WORK/tcpdump.log" &
  PIDS+=($!)
  wait_for "tcpdump" 10 grep -q "listening on" "$WORK/tcpdump.log" || return 1
  local s
  for s in "${SERVERS[@]}"; do start_server "$s" "$((budget + 30))" || return 1; done
  # the key log holds the sessions of the run only
  [[ ! -s $WORK/keylog.txt ]] || { log "key log not empty before the run"; return 1; }

  python3 "$HERE/plans.py" "$fx" "$WORK/plan.jmx"
  local tprops=(-Jtls_protocol="$TLS_VERSION" -Jtls_cipher="$SUITE" -Jtls_ca="$WORK/cert.pem" -Jtls_sni=edge.ceiling.test
                -Jclose_wait_ms="$CLOSE_WAIT_MS")
  log "$fx: JMeter 2.13: ${JPROPS[*]} ${tprops[*]}"
  START_ISO=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  local jrc=0
  (cd "$WORK" && exec ip netns exec "$NS" nice -n -10 timeout -k 10 "$budget" java -Xms256m -Xmx512m \
    -Djava.awt.headless=true -Djmeter.home="$JMETER_HOME" -cp "$BUILD/classes:$JCP" \
    -Dceiling.warmup.protocol="$TLS_VERSION" -Dceiling.warmup.suite="$SUITE" -Dceiling.warmup.cert="$WORK/cert.pem" \
    -Dceiling.warmup.key="$WORK/key.pem" -Dceiling.warmup.handshakes=30 ceiling.tls.TlsWarmup \
    -n -t "$WORK/plan.jmx" -q "$HERE/tls.properties" -j "$WORK/jmeter.log" -Jjtl_csv="$WORK/results.jtl" \
    "${JPROPS[@]}" "${tprops[@]}" >"$WORK/jmeter.out" 2>&1) &
  local jpid=$!
  PIDS+=($jpid)
  wait $jpid || jrc=$?
  grep -h "TLS warm-up" "$WORK/jmeter.out" >&2 || true
  tail -3 "$WORK/jmeter.out" >&2
  [[ $jrc == 0 ]] || { log "JMeter exited with $jrc"; return 1; }
  grep -q ForbiddenClassException "$WORK/jmeter.log" && { log "XStream refused a type"; return 1; }
  [[ -s $WORK/results.jtl ]] || { log "JMeter wrote no JTL"; return 1; }
  sleep 2
  stop_all
  cat "$WORK/tcpdump.log" >&2
  grep -q "^0 packets dropped by kernel" "$WORK/tcpdump.log" || { log "tcpdump dropped packets"; return 1; }
  editcap -F pcapng "$WORK/capture.pcap" "$WORK/capture.pcapng"
  local dsbarg=()
  if [[ " $DSB " == *" $fx "* ]]; then
    editcap --inject-secrets "tls,$WORK/keylog.txt" "$WORK/capture.pcapng" "$WORK/capture-dsb.pcapng"
    dsbarg=(--dsb "$WORK/capture-dsb.pcapng")
  fi
  local edgelog=$WORK/kamailio.log
  [[ $KIND == wss ]] && edgelog=$WORK/nginx/access.log
  local twinarg=()
  [[ -f $TWIN ]] && twinarg=(--twin "$TWIN")
  local crc=0
  python3 "$HERE/check.py" --fixture "$fx" --kind "$KIND" --pcap "$WORK/capture.pcapng" --keylog "$WORK/keylog.txt" \
    --jtl "$WORK/results.jtl" --limit "$LIMIT" --tls-version "$TLS_VERSION" --cipher "$SUITE" --edge-log "$edgelog" \
    "${twinarg[@]}" "${dsbarg[@]}" --json "$WORK/check.json" >"$WORK/check.out" || crc=$?
  [[ -s $WORK/check.json ]] || { log "check.py wrote nothing"; return 1; }
  if [[ $crc != 0 ]]; then
    python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["checks"]; print("failed checks:", [k for k,v in c.items() if not v])' "$WORK/check.json" >&2
    return 1
  fi
  return 0
}

write_fixture() {
  local fx=$1 dest=$OUT/$1
  rm -rf "$dest"
  mkdir -p "$dest"
  gzip -9 -n -c "$WORK/capture.pcapng" >"$dest/capture.pcapng.gz"
  [[ -f $WORK/capture-dsb.pcapng ]] && gzip -9 -n -c "$WORK/capture-dsb.pcapng" >"$dest/capture-dsb.pcapng.gz"
  cp "$WORK/keylog.txt" "$dest/keylog.txt"
  cp "$WORK/results.jtl" "$dest/results.jtl"
  cp "$WORK/plan.jmx" "$dest/plan.jmx"
  cp "$WORK/cert.pem" "$dest/cert.pem"
  [[ -f $WORK/openssl.cnf ]] && cp "$WORK/openssl.cnf" "$dest/openssl.cnf"
  [[ -f $WORK/nginx/nginx.conf ]] && sed "s|$WORK|/tmp/ceiling-tls-WORK|g" "$WORK/nginx/nginx.conf" >"$dest/nginx.conf"
  export FX=$fx KIND DESC START_ISO LIMIT THREADS RAMP HOLD_MS DURATION PAUSE_MS JITTER_MS FILTER ATTEMPT TLS_VERSION SUITE OSSL_SUITE PORT
  export JPROPS_S="${JPROPS[*]}" SERVERS_S="${SERVERS[*]}"
  export V_NGINX=$(nginx -v 2>&1 | sed 's/^nginx version: //')
  export V_KAM=$(kamailio -v 2>/dev/null | head -1 | sed 's/^version: //; s/ *$//')
  export V_KAMTLS=$(dpkg-query -W -f='${Package} ${Version}' kamailio-tls-modules 2>/dev/null || echo unknown)
  export V_SIPP=$(sipp -v 2>/dev/null | tr -d '\r' | grep -m1 -o 'SIPp v[^ ]*' | sed 's/\.$//' || true)
  export V_JM=$(dpkg-query -W -f='${Version}' jmeter 2>/dev/null || echo unknown)
  export V_JAVA=$(java -version 2>&1 | head -1)
  export V_TSHARK=$(tshark -v 2>/dev/null | head -1)
  export V_TCPDUMP=$(tcpdump --version 2>&1 | head -1)
  export V_GO=$(go version)
  export V_GCC=$(gcc --version | head -1)
  export V_OPENSSL=$(openssl version)
  export V_KERNEL=$(uname -r)
  export CAPINFOS=$(capinfos -c -u -M "$WORK/capture.pcapng" | tail -n +2 | tr -s ' ' | tr '\n' ';')
  python3 - "$WORK/check.json" "$dest/meta.json" <<'PY'
import json, os, sys
e = os.environ
check = json.load(open(sys.argv[1]))
dest = os.path.dirname(sys.argv[2])
num = lambda k: int(e[k]) if e.get(k) else None
fx, kind = e["FX"], e["KIND"]
params = {"description": e["DESC"], "LIMIT": num("LIMIT"), "threads": num("THREADS"), "ramp_s": num("RAMP"),
          "duration_s": num("DURATION"), "hold_ms": num("HOLD_MS"), "pause_after_failure_ms": num("PAUSE_MS"),
          "pause_jitter_ms": num("JITTER_MS"), "jmeter_properties": e["JPROPS_S"], "servers": e["SERVERS_S"],
          "namespace": "a network namespace of its own, loopback 127.0.0.1 only",
          "capture_filter": e["FILTER"], "edge_port": num("PORT"), "attempt": num("ATTEMPT")}
if kind == "sip":
    params["kamailio"] = f"kamailio-tls.cfg: listen=tls:127.0.0.1:5061, dialog profile limit {e['LIMIT']} (503), tcp_children=1; tls module: tls_method TLSv1.2+, the OpenSSL configuration openssl.cnf (OPENSSL_CONF) pins the version and suite"
else:
    params["nginx"] = f"listen 127.0.0.1:443 ssl; limit_conn ws_conns {e['LIMIT']}; limit_conn_status 503; add_header x-trace-id $request_id always; lingering_close always (see nginx.conf)"
tls = {"version": e["TLS_VERSION"], "cipher_suite": e["SUITE"], "openssl_name": e["OSSL_SUITE"],
       "certificate": "self-signed ECDSA P-256, CN and SAN edge.ceiling.test, SAN IP 127.0.0.1 (cert.pem; its key is not kept: ECDHE, the key log is what decrypts)",
       "pinned_by": ("the client (JSSE SSLSocket: setEnabledProtocols, setEnabledCipherSuites) and the edge (" +
                     ("OpenSSL configuration: MinProtocol/MaxProtocol, " + ("Ciphersuites" if e["TLS_VERSION"] == "TLSv1.3" else "CipherString + kamailio cipher_list")
                      if kind == "sip" else ("nginx ssl_protocols + " + ("ssl_conf_command Ciphersuites" if e["TLS_VERSION"] == "TLSv1.3" else "ssl_ciphers"))) + ")"),
       "session_resumption": "none: a new SSLContext per connection on the client, no session cache or tickets on the edge",
       "keylog": "keylog.txt, NSS key log format, written by the edge (sslkeylog.so preloaded into " + ("kamailio" if kind == "sip" else "nginx") + ": OpenSSL's SSL_CTX_set_keylog_callback)",
       "negotiated_in_capture": {"versions": check["tls"]["negotiated_versions"], "cipher_suites": check["tls"]["negotiated_cipher_suites"]}}
versions = {"jmeter": f"2.13 (Debian package {e['V_JM']}), started by ceiling.spike.JMeterLauncher",
            "java": e["V_JAVA"] + " (JSSE)", "tshark": e["V_TSHARK"], "tcpdump": e["V_TCPDUMP"], "openssl": e["V_OPENSSL"],
            "gcc": e["V_GCC"] + " (sslkeylog.so)", "kernel": e["V_KERNEL"]}
if kind == "sip":
    versions.update({"kamailio": e["V_KAM"], "kamailio_tls_module": e["V_KAMTLS"], "sipp": e["V_SIPP"]})
else:
    versions.update({"nginx": e["V_NGINX"], "go": e["V_GO"] + " (testdata/gen/edge/wsbackend)"})
files = {"capture": "capture.pcapng.gz", "tls_keylog": "keylog.txt", "jtl_csv": "results.jtl", "plan": "plan.jmx",
         "certificate": "cert.pem"}
if os.path.exists(os.path.join(dest, "capture-dsb.pcapng.gz")):
    files["capture_with_decryption_secrets_block"] = "capture-dsb.pcapng.gz"
files["edge_config"] = "openssl.cnf (+ testdata/gen/tls/kamailio-tls.cfg)" if kind == "sip" else "nginx.conf"
def expected_correlation(check, kind):
    # every JTL sample's Call-ID / x-trace-id is in the decrypted capture: with the key log ceiling
    # should match them all (without it, it can only fall back to the JTL's own view)
    j = check["sip"]["jtl"] if kind == "sip" else check["websocket"]["jtl"]
    missing = j["call_ids_not_in_capture"] if kind == "sip" else j["trace_ids_not_in_capture"]
    return {"jtl_samples": j["rows"], "in_decrypted_capture": j["rows"] - missing,
            "by": "call_id" if kind == "sip" else "trace_id",
            "note": "a verdict computed from the JTL alone can give the same numbers; that the decrypted capture was used shows in these matches"}
TWIN_NOTE = ("the same edge, limit and ramp pace without TLS (made by testdata/gen/edge/make.sh; it ran 40 threads for 35 s with "
             "1-1.5 s pauses, this run fewer retries): ceiling's verdict on this capture with the key log must equal the twin's: "
             "same layer, status and first-failure concurrency")
tc = check["decrypted_counts"]
meta = {"schema": "ceiling.fixture.tls/v1", "fixture": fx, "generated_by": f"testdata/gen/tls/make.sh {fx}",
        "date": e["START_ISO"], "parameters": params, "tls": tls, "versions": versions, "files": files,
        "capinfos": e["CAPINFOS"],
        "tshark_decrypted_counts": {"how": "tshark -n -r capture.pcapng -o tls.keylog_file:keylog.txt (every sip.Method, sip.Status-Code, http.request.method, http.response.code, websocket.opcode dissected)",
                                    "sip": tc["sip"], "http": tc["http"], "websocket": tc["websocket"],
                                    "tls_records": tc["tls_records"], "alerts": tc["alerts"], "packets": tc["packets"]},
        "tshark_without_keylog": {"sip_messages": check["without_keylog_counts"]["sip"]["messages"],
                                  "http_messages": check["without_keylog_counts"]["http"]["messages"],
                                  "websocket_frames": check["without_keylog_counts"]["websocket"]["total"],
                                  "tls_records": check["without_keylog_counts"]["tls_records"],
                                  "frame_protocols": check["without_keylog_counts"]["frame_protocols"]},
        "expected_verdict": check["expected_verdict"],
        "expected_correlation": expected_correlation(check, kind),
        "plaintext_twin": dict(check.get("plaintext_twin", {}),
                               note=TWIN_NOTE),
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
      FX=$fx
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
