#!/bin/sh
# gen.sh: make the loopback captures in this directory with real tools.
#
#   sudo testdata/pcap/gen.sh
#
# It needs root for a private network namespace: everything happens on that
# namespace's loopback interface, so no packet leaves the machine and no
# other program's traffic is caught. The loopback MTU is set to 1500 there,
# so that large datagrams are fragmented as on Ethernet.
#
# Made with tcpdump 4.99.3 / libpcap 1.10.3, editcap, mergecap and tshark
# from Wireshark 4.0.17, Python 3, iputils ping (Debian 12). Timestamps,
# ports and IPv4 IDs differ from run to run: after running it, refresh
# oracle.tsv (oracle.sh) and the golden files (go test ./parse/pcap -update).
set -eu
if [ "${GEN_IN_NETNS:-}" != 1 ]; then
  exec unshare --net env GEN_IN_NETNS=1 sh "$0" "$@"
fi
cd "$(dirname "$0")"
ip link set lo up
ip link set lo mtu 1500
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# traffic: what a SIP edge sees, small. UDP INVITEs with a large body
# (fragmented over IPv4 and IPv6), an OPTIONS, a SIP/TCP exchange answered
# 503, a connection refused (RST), and pings large enough to fragment.
cat > "$tmp/traffic.py" <<'PY'
import socket, threading, time

def invite(n, host):
    sdp = "v=0\r\no=- 0 0 IN IP4 %s\r\ns=-\r\n" % host + "a=x-pad:" + "y" * 2600 + "\r\n"
    return ("INVITE sip:edge@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s;branch=z9hG4bK%d\r\n"
            "Call-ID: gen-%d@ceiling\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\n"
            "Content-Length: %d\r\n\r\n%s" % (host, host, n, n, len(sdp), sdp)).encode()

def udp_server(fam, addr):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((addr, 5060))
    s.settimeout(3)
    try:
        while True:
            data, peer = s.recvfrom(65535)
            s.sendto(b"SIP/2.0 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n", peer)
    except socket.timeout:
        pass

def tcp_server(fam, addr):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, 5061))
    s.listen()
    s.settimeout(3)
    try:
        while True:
            c, _ = s.accept()
            c.recv(65535)
            c.sendall(b"SIP/2.0 503 Service Unavailable\r\nRetry-After: 5\r\nContent-Length: 0\r\n\r\n")
            c.close()
    except socket.timeout:
        pass

servers = []
for fam, addr in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    for f in (udp_server, tcp_server):
        t = threading.Thread(target=f, args=(fam, addr))
        t.start()
        servers.append(t)
time.sleep(0.3)

for i, (fam, addr) in enumerate(((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1"))):
    u = socket.socket(fam, socket.SOCK_DGRAM)
    u.sendto(invite(i, addr), (addr, 5060))
    u.settimeout(1)
    u.recvfrom(65535)
    u.sendto(b"OPTIONS sip:edge SIP/2.0\r\nContent-Length: 0\r\n\r\n", (addr, 5060))
    u.recvfrom(65535)
    t = socket.socket(fam, socket.SOCK_STREAM)
    t.connect((addr, 5061))
    t.sendall(invite(10 + i, addr)[:1200])
    t.recv(65535)
    t.close()
    r = socket.socket(fam, socket.SOCK_STREAM)
    try:
        r.connect((addr, 5099))
    except ConnectionRefusedError:
        pass
    time.sleep(0.1)
for t in servers:
    t.join()
PY

tcpdump -q -U -i lo -w "$tmp/lo.pcap" 2>/dev/null & p1=$!
tcpdump -q -U -i any -y LINUX_SLL2 -w "$tmp/any.pcap" 2>/dev/null & p2=$!
tcpdump -q -U -i lo -s 200 -w "$tmp/snap.pcap" 2>/dev/null & p3=$!
sleep 1
python3 "$tmp/traffic.py" &
ping -q -c 1 -s 3000 127.0.0.1 >/dev/null
ping -q -6 -c 1 -s 3000 ::1 >/dev/null
wait $!
sleep 1
kill -INT $p1 $p2 $p3
wait $p1 $p2 $p3 || true

cp "$tmp/lo.pcap" lo_ether.pcap                 # Ethernet (lo), microseconds
cp "$tmp/any.pcap" any_sll2.pcap                # Linux cooked v2 (-i any)
cp "$tmp/snap.pcap" lo_snap200.pcap             # snap length 200: packets and fragments cut
editcap -F pcapng lo_ether.pcap lo_ether.pcapng
editcap -F nsecpcap lo_ether.pcap lo_nsec.pcap  # nanosecond pcap (magic a1b23c4d)
editcap -F pcapng lo_nsec.pcap lo_nsec.pcapng   # pcapng with if_tsresol 9
editcap -F pcap -C 14 -T rawip lo_ether.pcap lo_rawip.pcap            # LINKTYPE_RAW (101)
tshark -F pcap -r lo_ether.pcap -Y ip -w "$tmp/v4.pcap"
editcap -F pcap -C 14 -T rawip4 "$tmp/v4.pcap" lo_rawip4.pcap         # LINKTYPE_IPV4 (228)
tshark -F pcap -r lo_ether.pcap -Y ipv6 -w "$tmp/v6.pcap"
editcap -F pcap -C 14 -T rawip6 "$tmp/v6.pcap" lo_rawip6.pcap         # LINKTYPE_IPV6 (229)
# One pcapng, two interfaces of different link types (Ethernet and SLL2).
mergecap -F pcapng -w mixed_ether_sll2.pcapng lo_ether.pcapng any_sll2.pcap
# The same as gzip, as a user may hand it over.
gzip -9 -n -c lo_ether.pcapng > lo_ether.pcapng.gz
