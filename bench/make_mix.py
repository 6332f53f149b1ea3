#!/usr/bin/python3
"""Writes an independent traffic mix for bench/run.py with Scapy, so the
benchmarks do not rest on dnsleak's own packet builder alone.

    bench/make_mix.py OUT.pcap [PACKETS] [SEED]
    bench/make_mix.py --exchanges OUT.pcap PAIRS
        PAIRS query/response pairs, each for a name of its own, from one
        host to a resolver outside any safe path: each one is a leak that is
        stored and sent to watchers, none folded into another.

Shares of packets: 40% DNS over UDP (queries and answers with name
compression, half with EDNS(0), A/AAAA/HTTPS/TXT/PTR, IPv4 and IPv6), 4% DNS
over TCP, 4% TLS ClientHellos to 853 and 443 (DoT, a listed DoH name,
ordinary sites) built by Scapy's TLS layer, 3% QUIC long-header packets to
UDP/443 (random, so not decryptable, as a QUIC server's other datagrams
are), 3% mDNS and LLMNR, and the rest TCP/443 segments of typical sizes
(acks, data) and other UDP: the noise a filter has to let through or not.
"""
import random
import struct
import sys

from scapy.all import (DNS, DNSQR, DNSRR, DNSRROPT, IP, TCP, UDP, Ether, IPv6, Raw)
from scapy.layers.dns import dns_compress
from scapy.layers.tls.extensions import ServerName, TLS_Ext_ServerName, TLS_Ext_ALPN, ProtocolName
from scapy.layers.tls.handshake import TLSClientHello
from scapy.layers.tls.record import TLS

mac_a, mac_b = "02:00:00:00:00:01", "02:00:00:00:00:02"

if sys.argv[1] == "--exchanges":
    out, pairs = sys.argv[2], int(sys.argv[3])
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i in range(pairs):
            qname = f"leak{i}.bench.example.com"
            ident, sport = i % 65536, 10000 + i % 50000
            query = IP(src="192.168.0.2", dst="198.51.100.53") / UDP(sport=sport, dport=53) / DNS(
                id=ident, rd=1, qd=DNSQR(qname=qname))
            answer = IP(src="198.51.100.53", dst="192.168.0.2") / UDP(sport=53, dport=sport) / DNS(
                id=ident, qr=1, rd=1, ra=1, qd=DNSQR(qname=qname), an=DNSRR(rrname=qname, rdata="203.0.113.9"))
            for j, frame in enumerate([bytes(Ether(src=mac_a, dst=mac_b) / query),
                                       bytes(Ether(src=mac_b, dst=mac_a) / answer)]):
                f.write(struct.pack("<IIII", 1_700_000_000 + i, j * 100, len(frame), len(frame)))
                f.write(frame)
    print(f"{out}: {pairs} exchanges")
    sys.exit(0)

out = sys.argv[1]
total = int(sys.argv[2]) if len(sys.argv) > 2 else 100000
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 7)

hosts4 = [f"192.168.{i // 250}.{i % 250 + 2}" for i in range(500)]
hosts6 = [f"fd00:1::{i + 2:x}" for i in range(200)]
resolvers4 = ["192.168.0.1", "9.9.9.9", "8.8.8.8", "1.1.1.1"]
resolvers6 = ["fd00:1::1", "2620:fe::fe"]
words = ["mail", "www", "api", "cdn", "static", "img", "login", "update", "telemetry", "edge", "assets", "video"]
domains = ["example.com", "example.net", "example.org", "wikipedia.org", "debian.org", "kernel.org",
           "amazonaws.com", "cloudfront.net", "akamaiedge.net", "github.com"]
sites = ["www.example.com", "news.example.org", "shop.example.net", "www.debian.org"]
doh = ["dns.google", "cloudflare-dns.com", "dns.quad9.net"]


def name():
    parts = [rng.choice(words)]
    if rng.random() < 0.4:
        parts.append(f"{rng.choice(words)}{rng.randrange(100)}")
    return ".".join(parts + [rng.choice(domains)])


def ends(v6):
    if v6:
        return IPv6(src=rng.choice(hosts6), dst=rng.choice(resolvers6))
    return IP(src=rng.choice(hosts4), dst=rng.choice(resolvers4))


def swap(ip):
    return ip.__class__(src=ip.dst, dst=ip.src)


def dns_pair(tcp):
    ip = ends(rng.random() < 0.3)
    qname = name()
    qtype = rng.choice(["A", "A", "A", "AAAA", "AAAA", "HTTPS", "TXT", "PTR"])
    ident = rng.randrange(65536)
    sport = rng.randrange(10000, 65000)
    query = DNS(id=ident, rd=1, qd=DNSQR(qname=qname, qtype=qtype))
    if rng.random() < 0.5:
        query.ar = DNSRROPT(rclass=1232)
        query.arcount = 1
    answers = None
    count = rng.randrange(1, 4)
    for i in range(count):
        if qtype == "AAAA":
            rr = DNSRR(rrname=qname, type="AAAA", ttl=300, rdata=f"2001:db8::{rng.randrange(65536):x}")
        elif qtype in ("A", "HTTPS"):
            rr = DNSRR(rrname=qname, type="A", ttl=60, rdata=f"203.0.{rng.randrange(256)}.{rng.randrange(256)}")
        elif qtype == "TXT":
            rr = DNSRR(rrname=qname, type="TXT", ttl=60, rdata="v=spf1 include:_spf.example.com ~all")
        else:
            rr = DNSRR(rrname=qname, type="PTR", ttl=60, rdata=name())
        answers = rr if answers is None else answers / rr
    response = dns_compress(DNS(id=ident, qr=1, rd=1, ra=1, qd=DNSQR(qname=qname, qtype=qtype), an=answers,
                                ancount=count))
    back = swap(ip)
    if tcp:
        q, r = bytes(query), bytes(response)
        return [Ether(src=mac_a, dst=mac_b) / ip / TCP(sport=sport, dport=53, flags="PA", seq=1, ack=1) /
                Raw(len(q).to_bytes(2, "big") + q),
                Ether(src=mac_b, dst=mac_a) / back / TCP(sport=53, dport=sport, flags="PA", seq=1, ack=1 + len(q)) /
                Raw(len(r).to_bytes(2, "big") + r)]
    return [Ether(src=mac_a, dst=mac_b) / ip / UDP(sport=sport, dport=53) / query,
            Ether(src=mac_b, dst=mac_a) / back / UDP(sport=53, dport=sport) / response]


def client_hello():
    port = 853 if rng.random() < 0.3 else 443
    sni = rng.choice(doh) if port == 853 or rng.random() < 0.3 else rng.choice(sites)
    hello = TLS(msg=[TLSClientHello(ext=[TLS_Ext_ServerName(servernames=[ServerName(servername=sni)]),
                                         TLS_Ext_ALPN(protocols=[ProtocolName(protocol="h2")])])])
    ip = IP(src=rng.choice(hosts4), dst=f"203.0.113.{rng.randrange(1, 255)}")
    sport = rng.randrange(10000, 65000)
    return [Ether(src=mac_a, dst=mac_b) / ip / TCP(sport=sport, dport=port, flags="S", seq=0),
            Ether(src=mac_a, dst=mac_b) / ip / TCP(sport=sport, dport=port, flags="PA", seq=1, ack=1) / hello]


def quic_like():
    header = bytes([0xc3, 0, 0, 0, 1, 8]) + rng.randbytes(8) + bytes([8]) + rng.randbytes(8) + bytes([0])
    payload = header + rng.randbytes(1200 - len(header))
    ip = IP(src=rng.choice(hosts4), dst=f"198.51.100.{rng.randrange(1, 255)}")
    return [Ether(src=mac_a, dst=mac_b) / ip / UDP(sport=rng.randrange(10000, 65000), dport=443) / Raw(payload)]


def local_link():
    if rng.random() < 0.5:
        q = DNS(id=0, qd=DNSQR(qname=f"printer{rng.randrange(50)}.local", qtype="A"))
        return [Ether(src=mac_a, dst="01:00:5e:00:00:fb") / IP(src=rng.choice(hosts4), dst="224.0.0.251") /
                UDP(sport=5353, dport=5353) / q]
    q = DNS(id=rng.randrange(65536), qd=DNSQR(qname=f"fileserver{rng.randrange(50)}", qtype="A"))
    return [Ether(src=mac_a, dst="01:00:5e:00:00:fc") / IP(src=rng.choice(hosts4), dst="224.0.0.252") /
            UDP(sport=rng.randrange(10000, 65000), dport=5355) / q]


def noise():
    ip = IP(src=rng.choice(hosts4), dst=f"203.0.113.{rng.randrange(1, 255)}")
    r = rng.random()
    if r < 0.45:
        size = rng.choice([0, 0, 40, 517, 1400, 1448])
        return [Ether(src=mac_a, dst=mac_b) / ip / TCP(sport=rng.randrange(10000, 65000), dport=443,
                                                       flags="A" if size == 0 else rng.choice("AA") + "P" * (rng.random() < 0.3),
                                                       seq=rng.randrange(1 << 32)) / Raw(rng.randbytes(size))]
    if r < 0.85:
        size = rng.choice([40, 1448, 1448, 1448])
        return [Ether(src=mac_b, dst=mac_a) / swap(ip) / TCP(sport=443, dport=rng.randrange(10000, 65000), flags="A",
                                                             seq=rng.randrange(1 << 32)) / Raw(rng.randbytes(size))]
    return [Ether(src=mac_a, dst=mac_b) / ip / UDP(sport=rng.randrange(10000, 65000),
                                                   dport=rng.choice([123, 500, 4500, 51820])) /
            Raw(rng.randbytes(rng.randrange(40, 300)))]


# A few hundred of each kind are built by Scapy, turned into bytes once, and
# then drawn from with fresh timestamps, so that a large mix is written in
# seconds.
def built(make, n):
    return [[bytes(p) for p in make()] for _ in range(n)]


pools = {
    "dns_udp": built(lambda: dns_pair(False), 1500),
    "dns_tcp": built(lambda: dns_pair(True), 200),
    "hello": built(client_hello, 300),
    "quic": built(quic_like, 300),
    "local": built(local_link, 200),
    "noise": built(noise, 2000),
}
shares = [("dns_udp", 0.40), ("dns_tcp", 0.04), ("hello", 0.04), ("quic", 0.03), ("local", 0.03), ("noise", 0.46)]
written = 0
usec = 0
with open(out, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))  # pcap, microseconds, Ethernet
    while written < total:
        r = rng.random()
        for kind, share in shares:
            if r < share:
                break
            r -= share
        # Two-packet kinds are drawn half as often, so shares are of packets.
        if kind in ("dns_udp", "dns_tcp", "hello") and rng.random() < 0.5:
            continue
        for frame in rng.choice(pools[kind]):
            if written == total:
                break
            usec += 20
            f.write(struct.pack("<IIII", 1_700_000_000 + usec // 1_000_000, usec % 1_000_000, len(frame), len(frame)))
            f.write(frame)
            written += 1
print(f"{out}: {written} packets")
