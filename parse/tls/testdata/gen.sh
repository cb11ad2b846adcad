#!/bin/sh
# gen.sh: make the loopback TLS captures in testdata/gen with real programs.
#
#   sudo parse/tls/testdata/gen.sh [NAME...]
#
# With names, only those captures are made again (the others keep their
# randoms, and the golden files stay valid).
#
# Root is needed for a private network namespace: everything runs on that
# namespace's loopback, so no packet leaves the machine and no other
# program's traffic is caught. The loopback MTU is set to 1500 there, so
# that certificates and bulk data span several TCP segments, as on Ethernet.
#
# Every capture gets its key log (NSS SSLKEYLOGFILE format) beside it,
# written by the client (s_client -keylogfile): the decrypting parser of the
# next issue reads them. A capture whose handshake never reached key
# exchange has an empty key log.
#
# Made with OpenSSL 3.0, tcpdump 4.99 / libpcap 1.10 and Python 3 (Debian
# 12). Randoms, keys, ports and timestamps differ from run to run: after a
# run, refresh the oracle (oracle.sh) and the golden files
# (go test ./parse/tls -update).
set -eu
only=" $* "
# want NAME: whether NAME is to be made this run.
want() {
  [ "$only" = "  " ] && return 0
  case $only in *" $1 "*) return 0 ;; esac
  return 1
}
if [ "${GEN_IN_NETNS:-}" != 1 ]; then
  exec unshare --net env GEN_IN_NETNS=1 sh "$0" "$@"
fi
cd "$(dirname "$0")"
out=$PWD/gen
mkdir -p "$out"
ip link set lo up
ip link set lo mtu 1500
tmp=$(mktemp -d)
naccept=1
trap 'rm -rf "$tmp"' EXIT

# A CA, a server certificate it signs (CN edge.example), and an unrelated CA
# for the clients that must reject the server.
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=ceiling-test-ca \
  -keyout "$tmp/ca.key" -out "$tmp/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=edge.example \
  -keyout "$tmp/srv.key" -out "$tmp/srv.csr" 2>/dev/null
printf 'subjectAltName=DNS:edge.example\n' > "$tmp/ext"
openssl x509 -req -in "$tmp/srv.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -CAcreateserial \
  -days 3650 -extfile "$tmp/ext" -out "$tmp/srv.pem" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=other-ca \
  -keyout "$tmp/other.key" -out "$tmp/other.pem" 2>/dev/null
# An ECDSA (P-256) certificate for the same name, for the ECDSA suites.
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=edge.example \
  -keyout "$tmp/ec.key" -out "$tmp/ec.csr" 2>/dev/null
openssl x509 -req -in "$tmp/ec.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -CAcreateserial \
  -days 3650 -extfile "$tmp/ext" -out "$tmp/ec.pem" 2>/dev/null

# sip N: N SIP OPTIONS requests, one line each, so that the -rev server
# answers each with a record of its own.
sip() {
  i=1
  while [ "$i" -le "$1" ]; do
    printf 'OPTIONS sip:edge.example;transport=tls SIP/2.0 Via: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bK-%d Call-ID: gen-%d@ceiling CSeq: %d OPTIONS Content-Length: 0\n' "$i" "$i" "$i"
    i=$((i + 1))
  done
}

# capture NAME PORT: start tcpdump on the port; stop with endcapture.
capture() {
  name=$1 port=$2
  rm -f "$out/$name.pcap" "$out/$name.keys"
  : > "$out/$name.keys"
  tcpdump -i lo -U --immediate-mode -B 65536 -s 0 -w "$out/$name.pcap" "tcp port $port" 2>/dev/null &
  dump=$!
  sleep 0.5
}
endcapture() {
  # Without --immediate-mode libpcap hands packets over a block at a time,
  # and those still in the ring when tcpdump is stopped are lost.
  sleep 1
  kill -INT "$dump"
  wait "$dump" 2>/dev/null || true
}

# server PORT ARGS...: an OpenSSL echo server (-rev) for one connection.
server() {
  port=$1
  shift
  openssl s_server -accept "127.0.0.1:$port" -naccept "$naccept" -rev -quiet \
    -cert "$tmp/srv.pem" -key "$tmp/srv.key" -alpn sip "$@" > /dev/null 2>&1 &
  srv=$!
  listening "$port"
}

# listening PORT: wait until something listens on the port.
listening() {
  n=0
  until ss -ltn "sport = :$1" | grep -q LISTEN; do
    n=$((n + 1))
    if [ $n -gt 100 ]; then echo "nothing listens on $1" >&2; exit 1; fi
    sleep 0.05
  done
}

# connect NAME PORT LINES ARGS...: send LINES SIP lines and close.
connect() {
  name=$1 port=$2 lines=$3
  shift 3
  { sip "$lines"; sleep 0.5; } | openssl s_client -connect "127.0.0.1:$port" \
    -servername edge.example -alpn sip -CAfile "$tmp/ca.pem" -no_ign_eof \
    -keylogfile "$out/$name.keys" "$@" > /dev/null 2>&1 || true
}

# client NAME PORT LINES ARGS...: connect, then wait for the server to end.
client() {
  connect "$@"
  wait "$srv" 2>/dev/null || true
}

# ok NAME PORT LINES SERVER-ARGS -- CLIENT-ARGS: a handshake that works.
ok() {
  name=$1 port=$2 lines=$3
  shift 3
  want "$name" || return 0
  sargs="" cargs="" seen=0
  for a in "$@"; do
    if [ "$a" = -- ]; then seen=1; continue; fi
    if [ $seen = 0 ]; then sargs="$sargs $a"; else cargs="$cargs $a"; fi
  done
  capture "$name" "$port"
  # shellcheck disable=SC2086
  server "$port" $sargs
  # shellcheck disable=SC2086
  client "$name" "$port" "$lines" $cargs
  endcapture
}

# TLS 1.2, three AEADs. chacha20 also sends at most 512 bytes a record, so
# that the certificate spans several records.
ok tls12-ecdhe-aes128gcm 45001 3 -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256 --
ok tls12-rsa-aes256gcm 45002 3 -tls1_2 -cipher AES256-GCM-SHA384 --
ok tls12-ecdhe-chacha20 45003 3 -tls1_2 -cipher ECDHE-RSA-CHACHA20-POLY1305 -max_send_frag 512 --
# TLS 1.3; hrr: the client's first key share (P-256) is not the group the
# server takes (X25519), so the server sends a HelloRetryRequest.
ok tls13-aes128gcm 45004 3 -tls1_3 -ciphersuites TLS_AES_128_GCM_SHA256 --
ok tls13-chacha20-hrr 45005 3 -tls1_3 -ciphersuites TLS_CHACHA20_POLY1305_SHA256 -groups X25519 -- -groups P-256:X25519
ok tls13-aes256gcm-bulk 45006 500 -tls1_3 --

# TLS 1.2, the other ECDHE AEAD suites the decrypter opens (with an ECDSA
# certificate beside the RSA one: s_server picks by suite).
ec="-dcert $tmp/ec.pem -dkey $tmp/ec.key"
ok tls12-ecdhe-rsa-aes256gcm 45014 3 -tls1_2 -cipher ECDHE-RSA-AES256-GCM-SHA384 --
# shellcheck disable=SC2086
ok tls12-ecdhe-ecdsa-aes128gcm 45015 3 -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256 $ec --
# shellcheck disable=SC2086
ok tls12-ecdhe-ecdsa-aes256gcm 45016 3 -tls1_2 -cipher ECDHE-ECDSA-AES256-GCM-SHA384 $ec --
# shellcheck disable=SC2086
ok tls12-ecdhe-ecdsa-chacha20 45017 3 -tls1_2 -cipher ECDHE-ECDSA-CHACHA20-POLY1305 $ec --

# TLS 1.2 resumption: a full handshake, then an abbreviated one with the
# session of the first (two connections in one capture).
if want tls12-resumed; then
capture tls12-resumed 45007
naccept=2
server 45007 -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256
naccept=1
connect tls12-resumed 45007 1 -sess_out "$tmp/sess"
sleep 0.3
client tls12-resumed 45007 1 -sess_in "$tmp/sess"
endcapture
fi

# TLS 1.3 KeyUpdate: s_client's command letters, each alone in a read of
# its standard input (hence the pauses): K asks the server to update its
# keys too, k updates only the client's. Each side's application data then
# spans three epochs.
if want tls13-keyupdate; then
capture tls13-keyupdate 45018
server 45018 -tls1_3 -ciphersuites TLS_AES_256_GCM_SHA384
{ sip 2; sleep 0.3; echo K; sleep 0.3; sip 2; sleep 0.3; echo k; sleep 0.3; sip 1; sleep 0.5; } |
  openssl s_client -connect 127.0.0.1:45018 -servername edge.example -alpn sip -CAfile "$tmp/ca.pem" \
    -no_ign_eof -keylogfile "$out/tls13-keyupdate.keys" > /dev/null 2>&1 || true
wait "$srv" 2>/dev/null || true
endcapture
fi

# TLS 1.3 0-RTT: a first connection gets a ticket, the second sends a SIP
# request as early data with it (two connections in one capture). The
# server is s_server's plain mode (-rev does not read early data).
if want tls13-early-data; then
capture tls13-early-data 45019
sip 1 > "$tmp/early"
openssl s_server -accept 127.0.0.1:45019 -naccept 2 -quiet -cert "$tmp/srv.pem" -key "$tmp/srv.key" \
  -tls1_3 -early_data -alpn sip < /dev/null > /dev/null 2>&1 &
srv=$!
listening 45019
connect tls13-early-data 45019 1 -sess_out "$tmp/sess13"
sleep 0.3
connect tls13-early-data 45019 1 -sess_in "$tmp/sess13" -early_data "$tmp/early"
wait "$srv" 2>/dev/null || true
endcapture
fi

# A Go client (testdata/goclient) that does not trust the server's CA: it
# sends bad_certificate encrypted under its handshake keys, the alert
# only its key log can read.
if want tls13-go-client-rejects-cert; then
(cd "$(dirname "$out")/.." && go build -o "$tmp/goclient" ./testdata/goclient)
capture tls13-go-client-rejects-cert 45020
server 45020 -tls1_3
"$tmp/goclient" 127.0.0.1:45020 "$tmp/other.pem" "$out/tls13-go-client-rejects-cert.keys" 2>/dev/null || true
wait "$srv" 2>/dev/null || true
endcapture
fi

# Refusals the server makes: no common cipher (handshake_failure, 40), no
# common version (protocol_version, 70).
ok tls12-no-common-cipher 45008 1 -tls1_2 -cipher ECDHE-RSA-AES256-GCM-SHA384 -- -tls1_2 -cipher AES128-SHA
ok tls-version-mismatch 45009 1 -tls1_3 -- -tls1_2

# The client refuses the server's certificate (signed by a CA it does not
# trust): in TLS 1.2 its alert is plaintext, in TLS 1.3 encrypted.
ok tls12-client-rejects-cert 45010 1 -tls1_2 -- -verify_return_error -CAfile "$tmp/other.pem"
ok tls13-client-rejects-cert 45011 1 -tls1_3 -- -verify_return_error -CAfile "$tmp/other.pem"

# A server that reads the ClientHello and closes (FIN), or resets (RST,
# SO_LINGER 0), without a word of TLS.
cat > "$tmp/drop.py" <<'PY'
import socket, struct, sys
port, how = int(sys.argv[1]), sys.argv[2]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen()
c, _ = s.accept()
c.recv(65535)
if how == "rst":
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
c.close()
PY
for how in fin rst; do
  want "server-$how-mid-handshake" || continue
  case $how in fin) port=45012 ;; rst) port=45013 ;; esac
  capture "server-$how-mid-handshake" $port
  python3 "$tmp/drop.py" $port $how &
  srv=$!
  listening $port
  client "server-$how-mid-handshake" $port 1
  endcapture
done

# A pcapng that carries its key logs (Decryption Secrets Blocks, as
# `editcap --inject-secrets` writes them) and has none beside it: the TLS
# 1.2 and TLS 1.3 connections of two captures above.
if want dsb-tls12-tls13; then
  mergecap -F pcapng -w "$tmp/merged.pcapng" "$out/tls12-ecdhe-aes128gcm.pcap" "$out/tls13-aes128gcm.pcap"
  cat "$out/tls12-ecdhe-aes128gcm.keys" "$out/tls13-aes128gcm.keys" > "$tmp/both.keys"
  editcap --inject-secrets "tls,$tmp/both.keys" "$tmp/merged.pcapng" "$out/dsb-tls12-tls13.pcapng"
fi

ls -l "$out"
