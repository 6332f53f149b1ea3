// dnsleak-testgen: writes the deterministic captures that the capture tests
// and the benchmark read. `dnsleak-testgen SCENARIO OUT [N SEED]`.
// Each scenario's comment says what it holds and why.

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <random>
#include <string>

#include "packet_builder.h"

using namespace dnsleak::testing;

namespace {

constexpr std::uint64_t kStart = 1767225600ULL * 1'000'000'000ULL;  // 2026-01-01T00:00:00Z
constexpr int kEthernet = 1, kNull = 0, kRaw = 101, kSll = 113, kSll2 = 276;

const Peer kHost{"192.0.2.10", 40001};
const Peer kIspResolver{"198.51.100.53", 53};
const Peer kVpnResolver{"10.8.0.1", 53};
const Peer kHost6{"2001:db8:1::10", 40002};
const Peer kIspResolver6{"2001:db8:53::53", 53};

struct Capture {
  std::vector<Frame> frames;
  std::uint64_t t = kStart;
  void add(Bytes data, std::uint32_t wire_length = 0) {
    frames.push_back({t, std::move(data), wire_length});
    t += 10'000'000;  // 10 ms apart
  }
};

Peer port(Peer p, std::uint16_t n) {
  p.port = n;
  return p;
}

// Ethernet, IPv4 and IPv6, UDP/53: queries and responses to an ISP resolver
// (leaks under the default config), to a VPN resolver 10.8.0.1 (safe when
// the config lists it), to a loopback stub (local), a CNAME chain and EDNS.
bool basicUdp(const std::string& out) {
  Capture c;
  c.add(ethernet(ipUdp(kHost, kIspResolver, DnsBuilder::query(0x1001, "leak.example.com", 1).edns().build())));
  c.add(ethernet(ipUdp(kIspResolver, kHost,
                       DnsBuilder::response(0x1001, "leak.example.com", 1).answerA("leak.example.com", "203.0.113.7").build())));
  c.add(ethernet(ipUdp(kHost6, kIspResolver6, DnsBuilder::query(0x1002, "v6.example.org", 28).build())));
  c.add(ethernet(ipUdp(kIspResolver6, kHost6,
                       DnsBuilder::response(0x1002, "v6.example.org", 28)
                           .answerCname("v6.example.org", "edge.cdn.example.net")
                           .answerAaaa("edge.cdn.example.net", "2001:db8:77::1")
                           .build())));
  c.add(ethernet(ipUdp(port(kHost, 40003), kVpnResolver, DnsBuilder::query(0x1003, "tunnel.example.com", 1).build())));
  c.add(ethernet(ipUdp(kVpnResolver, port(kHost, 40003),
                       DnsBuilder::response(0x1003, "tunnel.example.com", 1, 3).build())));  // NXDOMAIN
  c.add(ethernet(ipUdp({"127.0.0.1", 40004}, {"127.0.0.53", 53}, DnsBuilder::query(0x1004, "stub.example.com", 65).build())));
  return writePcap(out, kEthernet, c.frames);
}

// The signals: Firefox's DoH canary and a DDR discovery query (RFC 9462).
bool signals(const std::string& out) {
  Capture c;
  c.add(ethernet(ipUdp(kHost, kIspResolver, DnsBuilder::query(0xb001, "use-application-dns.net", 1).build())));
  c.add(ethernet(ipUdp(port(kHost, 40005), kIspResolver, DnsBuilder::query(0xb002, "_dns.resolver.arpa", 64).build())));
  c.add(ethernet(ipUdp(port(kHost, 40006), kIspResolver, DnsBuilder::query(0xb003, "plain.example.com", 1).build())));
  return writePcap(out, kEthernet, c.frames);
}

// Linux "any" capture (SLL2): the same kind of query leaving through eth0
// (ifindex 2), through the tunnel wg0 (ifindex 5), and a query arriving at
// this host (it serves DNS itself), which is not its own resolution.
bool sll2Interfaces(const std::string& out) {
  Capture c;
  c.add(sll2(ipUdp(kHost, kIspResolver, DnsBuilder::query(0x2001, "via-eth0.example.com", 1).build()), 2, kPacketOutgoing));
  c.add(sll2(ipUdp(kIspResolver, kHost, DnsBuilder::response(0x2001, "via-eth0.example.com", 1).build()), 2, kPacketHost));
  c.add(sll2(ipUdp({"10.8.0.2", 40010}, {"10.64.0.1", 53}, DnsBuilder::query(0x2002, "via-wg0.example.com", 1).build()), 5,
             kPacketOutgoing));
  c.add(sll2(ipUdp({"10.64.0.1", 53}, {"10.8.0.2", 40010}, DnsBuilder::response(0x2002, "via-wg0.example.com", 1).build()), 5,
             kPacketHost));
  c.add(sll2(ipUdp({"192.0.2.99", 40011}, {"192.0.2.10", 53}, DnsBuilder::query(0x2003, "asks-us.example.com", 1).build()), 2,
             kPacketHost));
  return writePcap(out, kSll2, c.frames);
}

// Leak-D, on the SLL2 link type with eth0 = 2 and wg0 = 5 (give
// --ifname): a name answered through wg0 then connected to via eth0; one
// answered via eth0 then connected to through wg0; one answered and used
// through wg0 (fine); an HTTPS hello for a name nobody resolved during the
// warm-up (counted) and after it (Leak-D); one to a listed DoH resolver
// (DoH, not hidden resolution).
bool leakD(const std::string& out) {
  Capture c;
  Peer host_eth{"192.0.2.10", 0}, host_wg{"10.8.0.2", 0}, isp{"198.51.100.53", 53}, vpn{"10.64.0.1", 53};
  auto answer = [&](const Peer& resolver, Peer host, std::uint32_t ifindex, std::uint16_t id, const std::string& name,
                    const char* address) {
    host.port = static_cast<std::uint16_t>(41000 + id % 1000);
    c.add(sll2(ipUdp(host, resolver, DnsBuilder::query(id, name, 1).build()), ifindex, kPacketOutgoing));
    c.add(sll2(ipUdp(resolver, host, DnsBuilder::response(id, name, 1).answerA(name, address, 60).build()), ifindex,
               kPacketHost));
  };
  auto syn = [&](Peer from, const char* to, std::uint16_t port, std::uint32_t ifindex) {
    from.port = 50000;
    c.add(sll2(ipTcp(from, {to, port}, 1, kSyn, {}), ifindex, kPacketOutgoing));
  };
  answer(vpn, host_wg, 5, 0xd001, "intranet.example.com", "203.0.113.50");
  syn(host_eth, "203.0.113.50", 443, 2);  // answered in the tunnel, connected outside: Leak-D
  answer(isp, host_eth, 2, 0xd002, "leaked.example.com", "203.0.113.51");
  syn(host_wg, "203.0.113.51", 8080, 5);  // answered outside, used through the tunnel: Leak-D
  answer(vpn, host_wg, 5, 0xd003, "fine.example.com", "203.0.113.52");
  syn(host_wg, "203.0.113.52", 443, 5);  // consistent: nothing
  c.add(sll2(ipTcp({"192.0.2.10", 50001}, {"203.0.113.60", 443}, 1, kPsh | kAck, tlsClientHello("early.example.net", {"h2"})),
             2, kPacketOutgoing));  // within the warm-up: counted only
  c.t += 400'000'000'000;  // past the warm-up
  c.add(sll2(ipTcp({"192.0.2.10", 50002}, {"203.0.113.61", 443}, 1, kPsh | kAck, tlsClientHello("hidden.example.net", {"h2"})),
             2, kPacketOutgoing));  // never resolved: Leak-D (hidden resolution)
  c.add(sll2(ipTcp({"192.0.2.10", 50003}, {"198.51.100.110", 443}, 1, kPsh | kAck, tlsClientHello("doh.example.net", {"h2"})),
             2, kPacketOutgoing));  // a listed DoH resolver: DoH, not hidden resolution
  return writePcap(out, kSll2, c.frames);
}

// One connection, one Leak-D finding: a name answered through wg0, then
// connected to via eth0 with a SYN, its ClientHello, and the SYN sent
// again; and a SYN to port 8080 retransmitted twice with nothing after.
bool connectionOnce(const std::string& out) {
  Capture c;
  Peer host_eth{"192.0.2.10", 0}, host_wg{"10.8.0.2", 41500}, vpn{"10.64.0.1", 53};
  c.add(sll2(ipUdp(host_wg, vpn, DnsBuilder::query(0xd101, "once.example.com", 1).build()), 5, kPacketOutgoing));
  c.add(sll2(ipUdp(vpn, host_wg, DnsBuilder::response(0xd101, "once.example.com", 1).answerA("once.example.com", "203.0.113.70", 60).build()),
             5, kPacketHost));
  Peer tls_client{"192.0.2.10", 51001}, tls_server{"203.0.113.70", 443};
  c.add(sll2(ipTcp(tls_client, tls_server, 1, kSyn, {}), 2, kPacketOutgoing));
  c.t += 50'000'000;
  c.add(sll2(ipTcp(tls_client, tls_server, 2, kPsh | kAck, tlsClientHello("once.example.com", {"h2"})), 2,
             kPacketOutgoing));
  c.t += 1'000'000'000;
  c.add(sll2(ipTcp(tls_client, tls_server, 1, kSyn, {}), 2, kPacketOutgoing));
  Peer plain_client{"192.0.2.10", 51002}, plain_server{"203.0.113.70", 8080};
  for (int i = 0; i < 3; ++i) {
    c.add(sll2(ipTcp(plain_client, plain_server, 1, kSyn, {}), 2, kPacketOutgoing));
    c.t += 1'000'000'000 << i;
  }
  (void)host_eth;
  return writePcap(out, kSll2, c.frames);
}

// DNS over TCP/53: two queries in one segment, a query split over three
// segments (the split falls inside the length prefix), a retransmission
// that must not count twice, and the responses in one segment.
bool tcpFraming(const std::string& out) {
  Capture c;
  Peer client{"192.0.2.10", 45000};
  Peer server = kIspResolver;
  std::uint32_t cseq = 1000, sseq = 5000;
  c.add(ethernet(ipTcp(client, server, cseq, kSyn, {})));
  c.add(ethernet(ipTcp(server, client, sseq, kSyn | kAck, {})));
  ++cseq;
  ++sseq;
  Bytes two = tcpFramed(DnsBuilder::query(0x3001, "first.example.com", 1).build());
  Bytes second = tcpFramed(DnsBuilder::query(0x3002, "second.example.com", 28).build());
  two.insert(two.end(), second.begin(), second.end());
  c.add(ethernet(ipTcp(client, server, cseq, kPsh | kAck, two)));
  cseq += static_cast<std::uint32_t>(two.size());
  Bytes split = tcpFramed(DnsBuilder::query(0x3003, "split.example.com", 1).edns().build());
  Bytes part1(split.begin(), split.begin() + 1);
  Bytes part2(split.begin() + 1, split.begin() + 20);
  Bytes part3(split.begin() + 20, split.end());
  c.add(ethernet(ipTcp(client, server, cseq, kAck, part1)));
  c.add(ethernet(ipTcp(client, server, cseq + 1, kAck, part2)));
  c.add(ethernet(ipTcp(client, server, cseq + 1, kAck, part2)));  // retransmitted
  c.add(ethernet(ipTcp(client, server, cseq + 20, kPsh | kAck, part3)));
  cseq += static_cast<std::uint32_t>(split.size());
  Bytes answers = tcpFramed(DnsBuilder::response(0x3001, "first.example.com", 1).answerA("first.example.com", "203.0.113.1").build());
  Bytes a2 = tcpFramed(DnsBuilder::response(0x3002, "second.example.com", 28).build());
  Bytes a3 = tcpFramed(DnsBuilder::response(0x3003, "split.example.com", 1, 2).build());  // SERVFAIL
  answers.insert(answers.end(), a2.begin(), a2.end());
  answers.insert(answers.end(), a3.begin(), a3.end());
  c.add(ethernet(ipTcp(server, client, sseq, kPsh | kAck, answers)));
  c.add(ethernet(ipTcp(client, server, cseq, kFin | kAck, {})));
  return writePcap(out, kEthernet, c.frames);
}

// Malformed input, each kind once, then one good query: every bad packet
// is counted under its reason and the good one still comes out.
bool malformed(const std::string& out) {
  Capture c;
  auto udp = [&](const Bytes& payload) { c.add(ethernet(ipUdp(kHost, kIspResolver, payload))); };
  {  // compression loop: the question's name points at itself
    Bytes m = DnsBuilder(0x4001, 0x0100).build();
    m[5] = 1;
    m.insert(m.end(), {0xc0, 12, 0, 1, 0, 1});
    udp(m);
  }
  {  // pointer outside the message
    Bytes m = DnsBuilder(0x4002, 0x0100).build();
    m[5] = 1;
    m.insert(m.end(), {0xc0, 0xff, 0, 1, 0, 1});
    udp(m);
  }
  udp({0x12, 0x34, 0x01});  // shorter than a header
  {  // question cut after the name
    Bytes m = DnsBuilder::query(0x4004, "cut.example.com", 1).build();
    m.resize(m.size() - 3);
    udp(m);
  }
  {  // a name of more than 255 octets
    std::string name;
    for (int i = 0; i < 5; ++i) name += std::string(60, 'a' + i) + ".";
    name += "example";
    udp(DnsBuilder::query(0x4005, name, 1).build());
  }
  {  // label type 01 (extended labels are obsolete)
    Bytes m = DnsBuilder(0x4006, 0x0100).build();
    m[5] = 1;
    m.insert(m.end(), {0x41, 'x', 0, 0, 1, 0, 1});
    udp(m);
  }
  {  // an answer whose record is cut: the question is still reported
    Bytes m = DnsBuilder::response(0x4007, "partial.example.com", 1).answerA("partial.example.com", "203.0.113.9").build();
    m.resize(m.size() - 6);
    c.add(ethernet(ipUdp(kIspResolver, kHost, m)));
  }
  {  // UDP length larger than the packet
    Bytes p = ethernet(ipUdp(kHost, kIspResolver, DnsBuilder::query(0x4008, "udp-len.example.com", 1).build()));
    p[14 + 20 + 4] = 0x0f;
    c.add(p);
  }
  {  // IPv4 header length below 20
    Bytes p = ethernet(ipUdp(kHost, kIspResolver, DnsBuilder::query(0x4009, "ihl.example.com", 1).build()));
    p[14] = 0x44;
    c.add(p);
  }
  {  // a non-first IPv4 fragment
    Bytes p = ethernet(ipUdp(kHost, kIspResolver, DnsBuilder::query(0x400a, "frag.example.com", 1).build()));
    p[14 + 6] = 0x00;
    p[14 + 7] = 0x10;
    c.add(p);
  }
  c.add({0x00, 0x01, 0x02});  // shorter than an Ethernet header
  {  // a VPN's datagram on UDP/53: 40,001 questions, the first a bad pointer; not DNS
    Bytes m = {0xde, 0xad, 0x00, 0x00, 0x9c, 0x41, 0x17, 0x2b, 0x00, 0x00, 0x5e, 0x71, 0xff, 0xff, 0x31, 0x07};
    udp(m);
  }
  udp(DnsBuilder::query(0x400b, "after-the-junk.example.com", 1).build());
  return writePcap(out, kEthernet, c.frames);
}

// The other link layers: 802.1Q and QinQ, a pcapng file from one named
// interface, Linux cooked v1, raw IP and BSD loopback. One query each.
bool linkLayers(const std::string& out_prefix) {
  bool ok = true;
  {
    Capture c;
    c.add(ethernet(ipUdp(kHost, kIspResolver, DnsBuilder::query(0x5001, "vlan.example.com", 1).build()), {100}));
    c.add(ethernet(ipUdp(kHost, kIspResolver, DnsBuilder::query(0x5002, "qinq.example.com", 1).build()), {200, 300}));
    ok = ok && writePcapng(out_prefix + "-ethernet.pcapng", kEthernet, "eth0", c.frames);
  }
  {
    Capture c;
    c.add(sll(ipUdp(kHost6, kIspResolver6, DnsBuilder::query(0x5003, "sll.example.com", 1).build()), 4));
    ok = ok && writePcap(out_prefix + "-sll.pcap", kSll, c.frames);
  }
  {
    Capture c;
    c.add(ipUdp(kHost, kIspResolver, DnsBuilder::query(0x5004, "raw.example.com", 1).build()));
    ok = ok && writePcap(out_prefix + "-raw.pcap", kRaw, c.frames);
  }
  {
    Capture c;
    c.add(nullLoopback(ipUdp({"::1", 40020}, {"::1", 53}, DnsBuilder::query(0x5005, "loop.example.com", 1).build())));
    ok = ok && writePcap(out_prefix + "-null.pcap", kNull, c.frames);
  }
  return ok;
}

// For live streaming tests with --replay-speed 1: one unrelated packet at
// once, then three leaking queries four seconds later, 190 ms apart: time
// enough for a client to connect first, even on a loaded machine.
bool paced(const std::string& out) {
  Capture c;
  c.add(ethernet(ipTcp(kHost, {"203.0.113.80", 443}, 1, kAck, Bytes(100, 0x5a))));
  c.t += 4'000'000'000;
  for (int i = 0; i < 3; ++i) {
    std::string name = "paced" + std::to_string(i) + ".example.com";
    c.add(ethernet(ipUdp(port(kHost, static_cast<std::uint16_t>(41000 + i)), kIspResolver,
                         DnsBuilder::query(static_cast<std::uint16_t>(0x6000 + i), name, 1).build())));
    c.t += 190'000'000;
  }
  return writePcap(out, kEthernet, c.frames);
}

// One leak repeated: the same query to the same resolver five times a
// second apart, then once more 70 seconds later (a new fold window).
bool repeats(const std::string& out) {
  Capture c;
  for (int i = 0; i < 6; ++i) {
    if (i == 5) c.t += 70'000'000'000;
    c.add(ethernet(ipUdp(port(kHost, static_cast<std::uint16_t>(42000 + i)), kIspResolver,
                         DnsBuilder::query(static_cast<std::uint16_t>(0x6100 + i), "again.example.com", 1).build())));
    c.t += 1'000'000'000;
  }
  return writePcap(out, kEthernet, c.frames);
}

// A burst: 200 identical leaking queries within two seconds (one folded
// event, one journal entry with its count), then one other leak.
// `n` queries, each for a name of its own, 1 ms apart: a store and a
// report of many distinct names.
bool manyNames(const std::string& out, std::size_t n) {
  Capture c;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string name = "host-" + std::to_string(i) + ".a-rather-long-subdomain-for-size.example.com";
    c.add(ethernet(ipUdp(port(kHost, static_cast<std::uint16_t>(20000 + i % 40000)), kIspResolver,
                         DnsBuilder::query(static_cast<std::uint16_t>(i), name, 1).build())));
    c.t += 1'000'000;
  }
  return writePcap(out, kEthernet, c.frames);
}

bool burst(const std::string& out) {
  Capture c;
  for (int i = 0; i < 200; ++i) {
    c.add(ethernet(ipUdp(port(kHost, static_cast<std::uint16_t>(43000 + i)), kIspResolver,
                         DnsBuilder::query(static_cast<std::uint16_t>(0x6200 + i), "burst.example.com", 1).build())));
    c.t += 10'000'000;
  }
  c.add(ethernet(ipUdp(port(kHost, 43999), kIspResolver, DnsBuilder::query(0x62ff, "other.example.com", 28).build())));
  return writePcap(out, kEthernet, c.frames);
}

// Large DNS responses in IP fragments: IPv4 in three pieces sent last
// first with a duplicate, IPv6 in two; and a datagram whose fragments
// overlap, which is dropped (as the receiving host drops it).
bool fragments(const std::string& out) {
  Capture c;
  DnsBuilder big = DnsBuilder::response(0x7001, "big.example.com", 1);
  for (int i = 0; i < 60; ++i) big.answerA("big.example.com", "203.0.113.10");
  auto v4 = fragmentIpv4(ipUdp(kIspResolver, kHost, big.build()), 1000);  // ~1.7 kB: 2 or 3 pieces
  c.add(ethernet(v4.back()));
  for (std::size_t i = 0; i + 1 < v4.size(); ++i) c.add(ethernet(v4[i]));
  c.add(ethernet(v4.front()));  // a late duplicate
  DnsBuilder big6 = DnsBuilder::response(0x7002, "big6.example.com", 28);
  for (int i = 0; i < 40; ++i) big6.answerAaaa("big6.example.com", "2001:db8::10");
  for (const auto& f : fragmentIpv6(ipUdp(kIspResolver6, kHost6, big6.build()), 1232, 77)) c.add(ethernet(f));
  DnsBuilder overlap = DnsBuilder::response(0x7003, "overlap.example.com", 1);
  for (int i = 0; i < 60; ++i) overlap.answerA("overlap.example.com", "203.0.113.11");
  Bytes ip = ipUdp(kIspResolver, port(kHost, 40009), overlap.build());
  ip[5] = 0x99;  // another IP id
  auto pieces = fragmentIpv4(ip, 1000);
  Bytes shifted = fragmentIpv4(ip, 992)[1];  // starts 8 bytes before pieces[1]
  c.add(ethernet(pieces[0]));
  c.add(ethernet(shifted));
  for (std::size_t i = 1; i < pieces.size(); ++i) c.add(ethernet(pieces[i]));
  return writePcap(out, kEthernet, c.frames);
}

// DNS inside tunnels, as seen on the outer link: VXLAN, Geneve, GRE (with
// a key; with checksum and sequence; carrying Ethernet), PPTP's GRE with
// PPP, IP-in-IP, 6in4, 4in6, 6in6, GRE inside VXLAN, and a response
// fragmented inside GRE. Then what must not come out: encapsulation nested
// four deep, a GRE header cut short, and a VXLAN datagram holding no
// Ethernet frame (reported as nothing: it is plain UDP then).
bool tunnels(const std::string& out) {
  Capture c;
  const std::string a = "203.0.113.1", b = "203.0.113.2", a6 = "2001:db8:ffff::1", b6 = "2001:db8:ffff::2";
  auto query = [](std::uint16_t id, const std::string& name) {
    return ipUdp(kHost, kIspResolver, DnsBuilder::query(id, name, 1).build());
  };
  c.add(ethernet(ipUdp({a, 50000}, {b, 4789}, vxlan(42, ethernet(query(0xa001, "vxlan.example.com"))))));
  c.add(ethernet(ipUdp({a, 50000}, {b, 6081}, geneve(7, 0x0800, query(0xa002, "geneve.example.com"), 2))));
  c.add(ethernet(ipPacket(a, b, 47, gre(0x0800, query(0xa003, "gre-key.example.com"), 1234))));
  c.add(ethernet(ipPacket(a, b, 47, gre(0x0800, query(0xa004, "gre-csum.example.com"), std::nullopt, true, true))));
  c.add(ethernet(ipPacket(a, b, 47, gre(0x6558, ethernet(query(0xa005, "gretap.example.com"))))));
  {  // PPTP: GRE version 1, key (payload length, call id) and sequence, PPP with address and control
    Bytes inner = query(0xa006, "pptp.example.com");
    Bytes ppp = {0xff, 0x03, 0x00, 0x21};
    ppp.insert(ppp.end(), inner.begin(), inner.end());
    Bytes g = {0x30, 0x01, 0x88, 0x0b, static_cast<std::uint8_t>(ppp.size() >> 8), static_cast<std::uint8_t>(ppp.size()),
               0x00, 0x05, 0, 0, 0, 1};
    g.insert(g.end(), ppp.begin(), ppp.end());
    c.add(ethernet(ipPacket(a, b, 47, g)));
  }
  c.add(ethernet(ipPacket(a, b, 4, query(0xa007, "ipip.example.com"))));
  c.add(ethernet(ipPacket(a, b, 41, ipUdp(kHost6, kIspResolver6, DnsBuilder::query(0xa008, "sixinfour.example.com", 28).build()))));
  c.add(ethernet(ipPacket(a6, b6, 4, query(0xa009, "fourinsix.example.com"))));
  c.add(ethernet(ipPacket(a6, b6, 41, ipUdp(kHost6, kIspResolver6, DnsBuilder::query(0xa00a, "sixinsix.example.com", 28).build()))));
  c.add(ethernet(ipUdp({a, 50000}, {b, 4789},
                       vxlan(43, ethernet(ipPacket("10.0.0.1", "10.0.0.2", 47, gre(0x0800, query(0xa00b, "nested.example.com"), 9)))))));
  {  // a response in two fragments, each inside its own GRE packet
    DnsBuilder big = DnsBuilder::response(0xa00c, "fragmented.example.com", 1);
    for (int i = 0; i < 60; ++i) big.answerA("fragmented.example.com", "203.0.113.10");
    for (const auto& f : fragmentIpv4(ipUdp(kIspResolver, kHost, big.build()), 1000)) {
      c.add(ethernet(ipPacket(b, a, 47, gre(0x0800, f, 1234))));
    }
  }
  {  // four deep: GRE in GRE in GRE in GRE
    Bytes p = query(0xa00d, "too-deep.example.com");
    for (int i = 0; i < 4; ++i) p = ipPacket(a, b, 47, gre(0x0800, p));
    c.add(ethernet(p));
  }
  c.add(ethernet(ipPacket(a, b, 47, {0x20, 0x00, 0x08, 0x00, 0x00})));  // key flag, key cut short
  c.add(ethernet(ipUdp({a, 50000}, {b, 4789}, Bytes(40, 0x5a))));
  return writePcap(out, kEthernet, c.frames);
}

// DNS over cleartext HTTP. HTTP/1.1 on port 80: a POST and its response,
// then a GET with a dns= parameter on the same connection. HTTP/2 with
// prior knowledge (h2c) on 8080: a POST on stream 1, a GET on stream 3, the
// POST's answer split over two DATA frames and two segments, HPACK's
// dynamic table in use across blocks. Then what must not be reported: a
// plain web page fetch, and an h2c connection with a gap (counted).
bool dnsHttp(const std::string& out) {
  Capture c;
  auto dns_query = [](std::uint16_t id, const std::string& name) { return DnsBuilder::query(id, name, 1).build(); };
  auto dns_answer = [](std::uint16_t id, const std::string& name) {
    return DnsBuilder::response(id, name, 1).answerA(name, "203.0.113.80").build();
  };
  auto text = [](const std::string& s) { return Bytes(s.begin(), s.end()); };
  auto join = [](std::initializer_list<Bytes> parts) {
    Bytes all;
    for (const auto& p : parts) all.insert(all.end(), p.begin(), p.end());
    return all;
  };
  {  // HTTP/1.1
    Peer client{"192.0.2.10", 41000}, server{"198.51.100.80", 80};
    Bytes q = dns_query(0, "post.example.com");
    Bytes request = join({text("POST /dns-query HTTP/1.1\r\nHost: doh.example.net\r\nContent-Type: "
                               "application/dns-message\r\nContent-Length: " +
                               std::to_string(q.size()) + "\r\n\r\n"),
                          q});
    c.add(ethernet(ipTcp(client, server, 1, kPsh | kAck, request)));
    Bytes a = dns_answer(0, "post.example.com");
    Bytes response = join({text("HTTP/1.1 200 OK\r\nContent-Type: application/dns-message\r\nContent-Length: " +
                                std::to_string(a.size()) + "\r\n\r\n"),
                           a});
    c.add(ethernet(ipTcp(server, client, 1, kPsh | kAck, response)));
    Bytes get = text("GET /dns-query?dns=" + base64Url(dns_query(0, "get.example.com")) +
                     " HTTP/1.1\r\nHost: doh.example.net\r\nAccept: application/dns-message\r\n\r\n");
    c.add(ethernet(ipTcp(client, server, 1 + static_cast<std::uint32_t>(request.size()), kPsh | kAck, get)));
  }
  {  // HTTP/2 cleartext
    Peer client{"192.0.2.10", 41001}, server{"198.51.100.80", 8080};
    Http2Writer to_server, to_client;
    Bytes q = dns_query(0, "h2-post.example.com");
    Bytes first = join({Http2Writer::preface(), Http2Writer::settings(),
                        to_server.headers(1,
                                          {{":method", "POST"},
                                           {":scheme", "http"},
                                           {":authority", "doh.example.net"},
                                           {":path", "/dns-query"},
                                           {"content-type", "application/dns-message"},
                                           {"content-length", std::to_string(q.size())}},
                                          false),
                        Http2Writer::data(1, q, true)});
    c.add(ethernet(ipTcp(client, server, 1, kPsh | kAck, first)));
    Bytes get = to_server.headers(3,
                                  {{":method", "GET"},
                                   {":scheme", "http"},
                                   {":authority", "doh.example.net"},
                                   {":path", "/dns-query?dns=" + base64Url(dns_query(0, "h2-get.example.com"))},
                                   {"accept", "application/dns-message"}},
                                  true);
    c.add(ethernet(ipTcp(client, server, 1 + static_cast<std::uint32_t>(first.size()), kPsh | kAck, get)));
    Bytes a = dns_answer(0, "h2-post.example.com");
    Bytes half1(a.begin(), a.begin() + 20), half2(a.begin() + 20, a.end());
    Bytes reply = join({Http2Writer::settings(), Http2Writer::settings(true),
                        to_client.headers(1, {{":status", "200"}, {"content-type", "application/dns-message"}}, false),
                        Http2Writer::data(1, half1, false)});
    Bytes rest = Http2Writer::data(1, half2, true);
    // The second frame's header lands in the first segment, its payload in the next.
    Bytes seg1 = join({reply, Bytes(rest.begin(), rest.begin() + 9)}), seg2(rest.begin() + 9, rest.end());
    c.add(ethernet(ipTcp(server, client, 1, kPsh | kAck, seg1)));
    c.add(ethernet(ipTcp(server, client, 1 + static_cast<std::uint32_t>(seg1.size()), kPsh | kAck, seg2)));
  }
  {  // a web page: not followed
    Peer client{"192.0.2.10", 41002}, server{"198.51.100.81", 80};
    c.add(ethernet(ipTcp(client, server, 1, kPsh | kAck, text("GET /index.html HTTP/1.1\r\nHost: www.example.com\r\n\r\n"))));
    c.add(ethernet(ipTcp(server, client, 1, kPsh | kAck,
                         text("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello"))));
  }
  {  // h2c with a gap: the second request is never seen whole
    Peer client{"192.0.2.10", 41003}, server{"198.51.100.80", 8080};
    Http2Writer w;
    Bytes first = join({Http2Writer::preface(), Http2Writer::settings()});
    c.add(ethernet(ipTcp(client, server, 1, kPsh | kAck, first)));
    Bytes q = dns_query(0, "lost.example.com");
    Bytes later = join({w.headers(1, {{":method", "POST"}, {":path", "/dns-query"}, {"content-type", "application/dns-message"}}, false),
                        Http2Writer::data(1, q, true)});
    c.add(ethernet(ipTcp(client, server, 1 + static_cast<std::uint32_t>(first.size()) + 100, kPsh | kAck, later)));
  }
  return writePcap(out, kEthernet, c.frames);
}

// QUIC client Initials, protected as real ones are: DoQ on UDP/853 (ALPN
// doq), on 8853 (a draft's ALPN), DoH over HTTP/3 to a listed name, and
// HTTP/3 to an ordinary site and a DoQ port without the doq ALPN. Read
// with tests/data/configs/doh.yaml (its list names doh.example.net).
bool quic(const std::string& out) {
  Capture c;
  auto dcid = [](std::uint8_t n) { return Bytes{n, 1, 2, 3, 4, 5, 6, 7}; };
  c.add(ethernet(ipUdp({"192.0.2.10", 46000}, {"198.51.100.99", 853}, quicInitial(dcid(1), "dns.example.net", {"doq"}))));
  c.add(ethernet(ipUdp({"192.0.2.10", 46001}, {"198.51.100.99", 8853}, quicInitial(dcid(2), "", {"doq-i02"}))));
  c.add(ethernet(ipUdp({"192.0.2.10", 46002}, {"198.51.100.110", 443}, quicInitial(dcid(3), "doh.example.net", {"h3"}))));
  c.add(ethernet(ipUdp({"192.0.2.10", 46003}, {"203.0.113.80", 443}, quicInitial(dcid(4), "www.example.com", {"h3"}))));
  c.add(ethernet(ipUdp({"192.0.2.10", 46004}, {"198.51.100.99", 784}, quicInitial(dcid(5), "not-doq.example", {"h3"}))));
  return writePcap(out, kEthernet, c.frames);
}

// Local-link name protocols and DNS on an unusual port: an mDNS query, an
// LLMNR query and answer over UDP and a query over TCP, a NetBIOS name
// query, DNS on UDP/8053 (recognised by content), and UDP noise that must
// not be taken for DNS.
bool localLink(const std::string& out) {
  Capture c;
  c.add(ethernet(ipUdp({"192.0.2.10", 5353}, {"224.0.0.251", 5353}, DnsBuilder(0, 0).question("printer.local", 1).build())));
  c.add(ethernet(ipUdp({"192.0.2.10", 50001}, {"224.0.0.252", 5355}, DnsBuilder(0x8001, 0).question("fileserver", 1).build())));
  c.add(ethernet(ipUdp({"192.0.2.20", 5355}, {"192.0.2.10", 50001},
                       DnsBuilder(0x8001, 0x8000).question("fileserver", 1).answerA("fileserver", "192.0.2.20").build())));
  Peer llmnr_client{"192.0.2.10", 50002};
  Peer llmnr_server{"192.0.2.20", 5355};
  c.add(ethernet(ipTcp(llmnr_client, llmnr_server, 10, kSyn, {})));
  c.add(ethernet(ipTcp(llmnr_client, llmnr_server, 11, kPsh | kAck,
                       tcpFramed(DnsBuilder(0x8002, 0).question("tcp-host", 28).build()))));
  // "WORKSTATION" <00>, first-level encoded
  std::string encoded;
  std::string raw = "WORKSTATION";
  raw.resize(15, ' ');
  raw.push_back('\0');
  for (unsigned char ch : raw) {
    encoded.push_back(static_cast<char>('A' + (ch >> 4)));
    encoded.push_back(static_cast<char>('A' + (ch & 0x0f)));
  }
  c.add(ethernet(ipUdp({"192.0.2.10", 137}, {"192.0.2.255", 137}, DnsBuilder(0x9001, 0x0110).question(encoded, 32).build())));
  c.add(ethernet(ipUdp({"192.0.2.10", 40100}, {"198.51.100.53", 8053},
                       DnsBuilder::query(0x9002, "odd-port.example.com", 1).build())));
  Bytes noise(200);
  for (std::size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<std::uint8_t>(i * 37 + 11);
  c.add(ethernet(ipUdp({"192.0.2.10", 4500}, {"198.51.100.9", 4500}, noise)));
  c.add(ethernet(ipTcp({"192.0.2.10", 40200}, {"198.51.100.53", 8053}, 1, kPsh | kAck,
                       tcpFramed(DnsBuilder::query(0x9003, "tcp-odd-port.example.com", 1).build()))));
  Bytes framed_noise = tcpFramed(noise);  // a length that fits, and no DNS behind it
  c.add(ethernet(ipTcp({"192.0.2.10", 40201}, {"198.51.100.9", 9000}, 1, kPsh | kAck, framed_noise)));
  {  // DNS over TCP/9053, followed by content: a query in two segments, two responses in one
    Peer client{"192.0.2.10", 40202}, server{"198.51.100.53", 9053};
    Bytes query = tcpFramed(DnsBuilder::query(0x9004, "split-odd-port.example.com", 1).build());
    Bytes first(query.begin(), query.begin() + 20), second(query.begin() + 20, query.end());
    c.add(ethernet(ipTcp(client, server, 1, kAck, first)));
    c.add(ethernet(ipTcp(client, server, 21, kPsh | kAck, second)));
    Bytes answers = tcpFramed(DnsBuilder::response(0x9004, "split-odd-port.example.com", 1)
                                  .answerA("split-odd-port.example.com", "203.0.113.7").build());
    Bytes more = tcpFramed(DnsBuilder::response(0x9005, "second-odd-port.example.com", 1).build());
    answers.insert(answers.end(), more.begin(), more.end());
    c.add(ethernet(ipTcp(server, client, 1, kPsh | kAck, answers)));
  }
  return writePcap(out, kEthernet, c.frames);
}

// DNS over TLS on TCP/853: a connection whose large (post-quantum sized)
// ClientHello spans two segments, with retransmitted and server data after
// it, reported once; and a connection seen only from the server's side
// (the handshake happened before the capture), reported without a hello.
bool dot(const std::string& out) {
  Capture c;
  Peer client{"192.0.2.10", 45100};
  Peer server{"198.51.100.99", 853};
  c.add(ethernet(ipTcp(client, server, 100, kSyn, {})));
  c.add(ethernet(ipTcp(server, client, 900, kSyn | kAck, {})));
  Bytes hello = tlsClientHello("dns.example.net", {"dot"}, 1216);
  Bytes first(hello.begin(), hello.begin() + 1000);
  Bytes second(hello.begin() + 1000, hello.end());
  c.add(ethernet(ipTcp(client, server, 101, kAck, first)));
  c.add(ethernet(ipTcp(client, server, 1101, kPsh | kAck, second)));
  c.add(ethernet(ipTcp(client, server, 1101, kPsh | kAck, second)));  // retransmitted
  c.add(ethernet(ipTcp(server, client, 901, kPsh | kAck, Bytes(120, 0x17))));
  c.add(ethernet(ipTcp(client, server, static_cast<std::uint32_t>(101 + hello.size()), kPsh | kAck, Bytes(80, 0x17))));
  Peer old_client{"192.0.2.10", 45200};
  c.add(ethernet(ipTcp(server, old_client, 5000, kPsh | kAck, Bytes(200, 0x17))));
  c.add(ethernet(ipTcp(old_client, server, 7000, kPsh | kAck, Bytes(60, 0x17))));
  return writePcap(out, kEthernet, c.frames);
}

// TLS on TCP/443, with tests/data/configs/doh.yaml: DoH by a listed SNI,
// by a name under a listed one, and by a listed address without SNI; and
// three that are not DoH: an ordinary site on the listed address (a CDN),
// a name the config removes, and no SNI to an unlisted address.
bool doh(const std::string& out) {
  Capture c;
  struct Flow {
    std::uint16_t port;
    const char* server;
    const char* sni;
  };
  for (const Flow& f : {Flow{46001, "198.51.100.110", "doh.example.net"},
                        Flow{46002, "198.51.100.110", "eu.doh.example.net"},
                        Flow{46003, "198.51.100.111", ""},
                        Flow{46004, "198.51.100.111", "www.ordinary-site.example"},
                        Flow{46005, "198.51.100.112", "www.doh-and-web.example"},
                        Flow{46006, "198.51.100.113", ""}}) {
    Peer client{"192.0.2.10", f.port};
    Peer server{f.server, 443};
    c.add(ethernet(ipTcp(client, server, 1, kSyn, {})));
    c.add(ethernet(ipTcp(client, server, 2, kPsh | kAck, tlsClientHello(f.sni, {"h2", "http/1.1"}))));
    c.add(ethernet(ipTcp(server, client, 1, kPsh | kAck, Bytes(1400, 0x16))));
  }
  return writePcap(out, kEthernet, c.frames);
}

// DoH away from 443: TLS to a listed name on TCP/8443 and TCP/453 (its
// hello in two segments), an unlisted name on 8443, a listed address with
// no name on 8443 (not enough away from 443), and HTTP/3 to a listed name
// on UDP/8443.
bool dohPorts(const std::string& out) {
  Capture c;
  struct Flow {
    std::uint16_t client_port;
    std::uint16_t server_port;
    const char* server;
    const char* sni;
  };
  for (const Flow& f : {Flow{46101, 8443, "198.51.100.110", "doh.example.net"},
                        Flow{46102, 453, "198.51.100.110", "eu.doh.example.net"},
                        Flow{46103, 8443, "203.0.113.90", "www.ordinary-site.example"},
                        Flow{46104, 8443, "198.51.100.111", ""}}) {
    Peer client{"192.0.2.10", f.client_port};
    Peer server{f.server, f.server_port};
    c.add(ethernet(ipTcp(client, server, 1, kSyn, {})));
    Bytes hello = tlsClientHello(f.sni, {"h2"});
    if (f.server_port == 453) {
      std::size_t half = hello.size() / 2;
      c.add(ethernet(ipTcp(client, server, 2, kPsh | kAck, Bytes(hello.begin(), hello.begin() + half))));
      c.add(ethernet(ipTcp(client, server, static_cast<std::uint32_t>(2 + half), kPsh | kAck,
                           Bytes(hello.begin() + half, hello.end()))));
    } else {
      c.add(ethernet(ipTcp(client, server, 2, kPsh | kAck, hello)));
    }
    c.add(ethernet(ipTcp(server, client, 1, kPsh | kAck, Bytes(1400, 0x16))));
  }
  c.add(ethernet(ipUdp({"192.0.2.10", 46105}, {"198.51.100.110", 8443},
                       quicInitial(Bytes{9, 1, 2, 3, 4, 5, 6, 7}, "doh.example.net", {"h3"}))));
  return writePcap(out, kEthernet, c.frames);
}

// A DNSCrypt certificate: "DNSC", version, signature and resolver key
// (filled with `fill`), the client magic that starts every query made with
// it, then serial and validity (filled with `tail`).
Bytes dnscryptCertificate(std::uint8_t version, std::uint8_t fill, const std::string& magic, std::uint8_t tail) {
  Bytes cert = {'D', 'N', 'S', 'C', 0, version, 0, 0};
  cert.resize(8 + 64 + 32, fill);
  cert.insert(cert.end(), magic.begin(), magic.end());
  cert.resize(cert.size() + 12, tail);
  return cert;
}

// DNSCrypt: the certificate query and its answer in plain DNS on UDP/443,
// then an encrypted exchange whose response carries the resolver magic (on
// UDP/8443: the magic, not the port, says DNSCrypt), and a payload that
// only starts like the magic.
bool dnscrypt(const std::string& out) {
  Capture c;
  Peer client{"192.0.2.10", 47001};
  Peer resolver{"198.51.100.120", 443};
  c.add(ethernet(ipUdp(client, resolver, DnsBuilder::query(0xa001, "2.dnscrypt-cert.resolver.example", 16).build())));
  const Bytes cert = dnscryptCertificate(2, 0x11, "qMagic01", 0x22);
  c.add(ethernet(ipUdp(resolver, client,
                       DnsBuilder::response(0xa001, "2.dnscrypt-cert.resolver.example", 16)
                           .answerTxt("2.dnscrypt-cert.resolver.example", cert)
                           .build())));
  Peer resolver2{"198.51.100.121", 8443};
  Bytes query(8 + 32 + 12 + 64, 0x33);  // client magic, public key, half nonce, box
  c.add(ethernet(ipUdp(port(client, 47002), resolver2, query)));
  Bytes response = {'r', '6', 'f', 'n', 'v', 'W', 'j', '8'};
  response.resize(8 + 24 + 80, 0x44);
  c.add(ethernet(ipUdp(resolver2, port(client, 47002), response)));
  Bytes almost = {'r', '6', 'f', 'n', 'v', 'W', 'j', '9'};
  almost.resize(120, 0x45);
  c.add(ethernet(ipUdp({"198.51.100.122", 9999}, port(client, 47003), almost)));
  // A query made with the learnt client magic, to the certificate's resolver.
  Bytes sealed = {'q', 'M', 'a', 'g', 'i', 'c', '0', '1'};
  sealed.resize(8 + 32 + 12 + 80, 0x55);
  c.add(ethernet(ipUdp(port(client, 47004), resolver, sealed)));
  // The same bytes but for the magic's last byte: nothing.
  sealed[7] = '2';
  c.add(ethernet(ipUdp(port(client, 47005), resolver, sealed)));
  return writePcap(out, kEthernet, c.frames);
}

// Two links, each its own capture (OUT is a prefix), to be merged into
// one multi-interface pcapng by Debian's tools: an Ethernet uplink where a
// query leaks, and a raw-IP tunnel where one goes to the VPN's resolver.
bool twoLinks(const std::string& prefix) {
  Capture uplink;
  uplink.add(ethernet(ipUdp({"192.0.2.10", 41001}, kIspResolver,
                            DnsBuilder::query(0xb101, "uplink.example.com", 1).build())));
  Capture tunnel;
  tunnel.add(ipUdp({"10.8.0.2", 41002}, kVpnResolver, DnsBuilder::query(0xb102, "tunnel.example.com", 1).build()));
  return writePcap(prefix + "-uplink.pcap", kEthernet, uplink.frames) &&
         writePcap(prefix + "-tunnel.pcap", kRaw, tunnel.frames);
}

// A DNSCrypt certificate fetched under a name without the usual
// "2.dnscrypt-cert." prefix, on UDP/443: its content says DNSCrypt, and the
// query sealed with its client magic follows. Then a TXT answer that
// merely says "DNSC...", which is not a certificate.
bool dnscryptUnnamed(const std::string& out) {
  Capture c;
  Peer client{"192.0.2.10", 47101};
  Peer resolver{"198.51.100.130", 443};
  c.add(ethernet(ipUdp(client, resolver, DnsBuilder::query(0xa101, "cert.resolver2.example", 16).build())));
  const Bytes cert = dnscryptCertificate(1, 0x12, "unnamed1", 0x23);
  c.add(ethernet(ipUdp(resolver, client,
                       DnsBuilder::response(0xa101, "cert.resolver2.example", 16)
                           .answerTxt("cert.resolver2.example", cert)
                           .build())));
  Bytes sealed = {'u', 'n', 'n', 'a', 'm', 'e', 'd', '1'};
  sealed.resize(8 + 32 + 12 + 80, 0x56);
  c.add(ethernet(ipUdp(port(client, 47102), resolver, sealed)));
  Bytes text = {'D', 'N', 'S', 'C', ' ', 'i', 's', ' '};
  text.resize(8 + 64 + 32 + 8 + 12, 'x');
  c.add(ethernet(ipUdp({"198.51.100.53", 53}, port(client, 47103),
                       DnsBuilder::response(0xa102, "notes.example.com", 16).answerTxt("notes.example.com", text).build())));
  return writePcap(out, kEthernet, c.frames);
}

// Seeds for the fuzz targets (tests/data/fuzz): DNS messages for the
// parser; frame sequences in packet_fuzz.cc's format for the packet target.
bool fuzzSeeds(const std::string& dir) {
  auto write = [](const std::string& path, const Bytes& bytes) {
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) return false;
    bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    return std::fclose(f) == 0 && ok;
  };
  bool ok = true;
  ok &= write(dir + "/dns_parser/query", DnsBuilder::query(1, "www.example.com", 1).edns().build());
  ok &= write(dir + "/dns_parser/response",
              DnsBuilder::response(2, "a.example", 1).answerCname("a.example", "b.example").answerA("b.example", "192.0.2.1").build());
  Bytes compressed = DnsBuilder::response(3, "c.example", 28).build();
  compressed[7] = 1;
  compressed.insert(compressed.end(), {0xc0, 12, 0, 28, 0, 1, 0, 0, 0, 60, 0, 16});
  compressed.insert(compressed.end(), 16, 0x20);
  ok &= write(dir + "/dns_parser/compressed", compressed);
  ok &= write(dir + "/tls_client_hello/pq", tlsClientHello("dns.example.net", {"dot", "h2"}, 1216));
  ok &= write(dir + "/tls_client_hello/plain", tlsClientHello("", {}, 32));
  // packet seeds: selector 1 = Ethernet, 9 = SLL2 (decode::supportedLinkTypes order)
  auto frames = [](std::vector<std::pair<std::uint8_t, Bytes>> list) {
    Bytes out;
    for (auto& [selector, frame] : list) {
      out.push_back(selector);
      out.push_back(static_cast<std::uint8_t>(frame.size() >> 8));
      out.push_back(static_cast<std::uint8_t>(frame.size()));
      out.insert(out.end(), frame.begin(), frame.end());
    }
    return out;
  };
  ok &= write(dir + "/packet/udp", frames({{1, ethernet(ipUdp(kHost, kIspResolver, DnsBuilder::query(4, "u.example", 1).build()))},
                                            {9, sll2(ipUdp(kIspResolver6, kHost6, DnsBuilder::response(4, "u.example", 28).build()), 3, 0)}}));
  Bytes m = tcpFramed(DnsBuilder::query(5, "t.example", 1).build());
  Peer client{"192.0.2.10", 45000};
  ok &= write(dir + "/packet/tcp", frames({{1, ethernet(ipTcp(client, kIspResolver, 1, kSyn, {}))},
                                            {1, ethernet(ipTcp(client, kIspResolver, 2, kAck, Bytes(m.begin(), m.begin() + 5)))},
                                            {1, ethernet(ipTcp(client, kIspResolver, 7, kAck, Bytes(m.begin() + 5, m.end())))}}));
  Peer dot_client{"192.0.2.10", 45300};
  Peer dot_server{"198.51.100.99", 853};
  Bytes pq = tlsClientHello("dns.example.net", {"dot"}, 1216);
  ok &= write(dir + "/packet/dot", frames({{1, ethernet(ipTcp(dot_client, dot_server, 1, kSyn, {}))},
                                            {1, ethernet(ipTcp(dot_client, dot_server, 2, kAck, Bytes(pq.begin(), pq.begin() + 900)))},
                                            {1, ethernet(ipTcp(dot_client, dot_server, 902, kAck, Bytes(pq.begin() + 900, pq.end())))}}));
  Peer doh_client{"192.0.2.10", 45400};
  Peer doh_server{"198.51.100.99", 443};
  ok &= write(dir + "/packet/doh", frames({{1, ethernet(ipTcp(doh_client, doh_server, 1, kSyn, {}))},
                                            {1, ethernet(ipTcp(doh_client, doh_server, 2, kAck, tlsClientHello("dns.example.net", {"h2"})))}}));
  {
    Bytes inner = ipUdp(kHost, kIspResolver, DnsBuilder::query(9, "in.example", 1).build());
    Bytes gre_in_vxlan = ipPacket("10.0.0.1", "10.0.0.2", 47, gre(0x0800, inner, 5));
    ok &= write(dir + "/packet/tunnels",
                frames({{1, ethernet(ipUdp({"203.0.113.1", 1}, {"203.0.113.2", 4789}, vxlan(7, ethernet(gre_in_vxlan))))},
                        {1, ethernet(ipPacket("203.0.113.1", "203.0.113.2", 41,
                                              ipUdp(kHost6, kIspResolver6, DnsBuilder::query(9, "v6.example", 28).build())))}}));
  }
  // tcp_streams_fuzz.cc's format: [flags, bit 0x80 from the server][seq
  // delta: 2 bytes][length][payload], the payload cut in chunks of <= 255.
  auto segments = [](const Bytes& stream, std::uint8_t flags) {
    Bytes out = {kSyn, 0, 0, 0};
    for (std::size_t at = 0; at < stream.size(); at += 255) {
      std::size_t n = std::min<std::size_t>(255, stream.size() - at);
      out.insert(out.end(), {flags, 0, at == 0 ? std::uint8_t{1} : std::uint8_t{0}, static_cast<std::uint8_t>(n)});
      out.insert(out.end(), stream.begin() + static_cast<std::ptrdiff_t>(at),
                 stream.begin() + static_cast<std::ptrdiff_t>(at + n));
    }
    return out;
  };
  Bytes two = tcpFramed(DnsBuilder::query(6, "one.example", 1).build());
  Bytes second = tcpFramed(DnsBuilder::query(7, "two.example", 28).build());
  two.insert(two.end(), second.begin(), second.end());
  ok &= write(dir + "/tcp_streams/dns", segments(two, kAck));
  ok &= write(dir + "/tcp_streams/tls", segments(tlsClientHello("dns.example.net", {"dot"}, 600), kAck));
  {
    Http2Writer w;
    Bytes h2 = Http2Writer::preface();
    for (const Bytes& part : {Http2Writer::settings(),
                              w.headers(1, {{":method", "POST"}, {":path", "/dns-query"}, {"content-type", "application/dns-message"}}, false),
                              Http2Writer::data(1, DnsBuilder::query(8, "h2.example", 1).build(), true)}) {
      h2.insert(h2.end(), part.begin(), part.end());
    }
    ok &= write(dir + "/tcp_streams/h2c", segments(h2, kAck));
  }
  return ok;
}

// For the benchmark: N packets, about 40% DNS queries and responses with
// seeded random names, 5% TLS ClientHellos on TCP/443 (one in five to a
// listed DoH resolver, dns.google) and on TCP/853, the rest TCP/443 and
// UDP/443 traffic of typical sizes.
bool benchMix(const std::string& out, std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> pct(0, 99), len(5, 14), ch(0, 25), port(1024, 65000), size(60, 1400);
  Capture c;
  c.frames.reserve(n);
  Bytes noise(1400, 0x5a);
  std::uint32_t seq = 1;
  for (std::size_t i = 0; i < n; ++i) {
    int roll = pct(rng);
    Peer client{"192.0.2.10", static_cast<std::uint16_t>(port(rng))};
    if (roll < 40) {
      std::string name;
      int l = len(rng);
      for (int k = 0; k < l; ++k) name.push_back(static_cast<char>('a' + ch(rng)));
      name += roll % 2 ? ".example.com" : ".example.org";
      auto id = static_cast<std::uint16_t>(i);
      Bytes msg = roll < 20 ? DnsBuilder::query(id, name, roll % 3 ? 1 : 28).edns().build()
                            : DnsBuilder::response(id, name, 1).answerA(name, "203.0.113.5").build();
      c.add(ethernet(roll < 20 ? ipUdp(client, kIspResolver, msg) : ipUdp(kIspResolver, client, msg)));
    } else if (roll < 45) {
      static const Bytes doh = tlsClientHello("dns.google", {"h2"}, 1216);
      static const Bytes web = tlsClientHello("www.example.com", {"h2", "http/1.1"}, 1216);
      Peer server{roll == 44 ? "198.51.100.99" : "203.0.113.80", static_cast<std::uint16_t>(roll == 44 ? 853 : 443)};
      c.add(ethernet(ipTcp(client, server, 1, kPsh | kAck, i % 5 == 0 ? doh : web)));
    } else if (roll < 48) {
      // QUIC client Initials: HTTP/3 to a website, to a listed DoH name, DoQ.
      static const Bytes web = quicInitial({1, 2, 3, 4, 5, 6, 7, 8}, "www.example.com", {"h3"});
      static const Bytes doh = quicInitial({2, 3, 4, 5, 6, 7, 8, 9}, "dns.google", {"h3"});
      static const Bytes doq = quicInitial({3, 4, 5, 6, 7, 8, 9, 10}, "dns.adguard-dns.com", {"doq"});
      const Bytes& initial = roll == 45 ? web : roll == 46 ? doh : doq;
      c.add(ethernet(ipUdp(client, {"203.0.113.81", static_cast<std::uint16_t>(roll == 47 ? 853 : 443)}, initial)));
    } else if (roll < 85) {
      Bytes payload(noise.begin(), noise.begin() + size(rng));
      c.add(ethernet(ipTcp(client, {"203.0.113.80", 443}, seq, kAck, payload)));
      seq += static_cast<std::uint32_t>(payload.size());
    } else {
      Bytes payload(noise.begin(), noise.begin() + size(rng));
      c.add(ethernet(ipUdp(client, {"203.0.113.80", 443}, payload)));
    }
  }
  return writePcap(out, kEthernet, c.frames);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: %s SCENARIO OUT [N SEED]\n"
                 "scenarios: basic_udp sll2_interfaces tcp_framing malformed fragments local_link dot doh dnscrypt dnscrypt_unnamed signals link_layers tunnels dns_http quic repeats burst leak_d two_links doh_ports connection_once (OUT is a prefix) "
                 "paced fuzz_seeds (OUT is a directory) bench_mix\n",
                 argv[0]);
    return 2;
  }
  std::string scenario = argv[1], out = argv[2];
  bool ok = false;
  if (scenario == "basic_udp") ok = basicUdp(out);
  else if (scenario == "sll2_interfaces") ok = sll2Interfaces(out);
  else if (scenario == "tcp_framing") ok = tcpFraming(out);
  else if (scenario == "malformed") ok = malformed(out);
  else if (scenario == "link_layers") ok = linkLayers(out);
  else if (scenario == "paced") ok = paced(out);
  else if (scenario == "fuzz_seeds") ok = fuzzSeeds(out);
  else if (scenario == "fragments") ok = fragments(out);
  else if (scenario == "local_link") ok = localLink(out);
  else if (scenario == "dot") ok = dot(out);
  else if (scenario == "doh") ok = doh(out);
  else if (scenario == "dnscrypt") ok = dnscrypt(out);
  else if (scenario == "dnscrypt_unnamed") ok = dnscryptUnnamed(out);
  else if (scenario == "two_links") ok = twoLinks(out);
  else if (scenario == "doh_ports") ok = dohPorts(out);
  else if (scenario == "connection_once") ok = connectionOnce(out);
  else if (scenario == "signals") ok = signals(out);
  else if (scenario == "tunnels") ok = tunnels(out);
  else if (scenario == "dns_http") ok = dnsHttp(out);
  else if (scenario == "quic") ok = quic(out);
  else if (scenario == "repeats") ok = repeats(out);
  else if (scenario == "burst") ok = burst(out);
  else if (scenario == "leak_d") ok = leakD(out);
  else if (scenario == "many_names") {
    ok = manyNames(out, argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 20000);
  } else if (scenario == "bench_mix") {
    std::size_t n = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1'000'000;
    unsigned seed = argc > 4 ? static_cast<unsigned>(std::strtoul(argv[4], nullptr, 10)) : 1;
    ok = benchMix(out, n, seed);
  } else {
    std::fprintf(stderr, "unknown scenario '%s'\n", scenario.c_str());
    return 2;
  }
  if (!ok) {
    std::fprintf(stderr, "cannot write %s\n", out.c_str());
    return 1;
  }
  return 0;
}
