#include "packet_builder.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <stdexcept>

#include "core/ip_address.h"

namespace dnsleak::testing {
namespace {

void put16(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}
void put32(Bytes& b, std::uint32_t v) {
  put16(b, static_cast<std::uint16_t>(v >> 16));
  put16(b, static_cast<std::uint16_t>(v));
}
void le16(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v));
  b.push_back(static_cast<std::uint8_t>(v >> 8));
}
void le32(Bytes& b, std::uint32_t v) {
  le16(b, static_cast<std::uint16_t>(v));
  le16(b, static_cast<std::uint16_t>(v >> 16));
}
void set16(Bytes& b, std::size_t at, std::uint16_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 8);
  b[at + 1] = static_cast<std::uint8_t>(v);
}

core::IpAddress parse(const std::string& text) {
  auto parsed = core::IpAddress::parse(text);
  if (!parsed) throw std::invalid_argument("not an address: " + text);
  return *parsed;
}

std::uint32_t sum(const std::uint8_t* p, std::size_t n, std::uint32_t acc = 0) {
  for (std::size_t i = 0; i + 1 < n; i += 2) acc += static_cast<std::uint32_t>(p[i] << 8 | p[i + 1]);
  if (n % 2) acc += static_cast<std::uint32_t>(p[n - 1] << 8);
  return acc;
}
std::uint16_t fold(std::uint32_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<std::uint16_t>(~acc);
}

// Wraps a transport segment in IPv4 or IPv6 and fills its checksum at
// `checksum_at` (offset within the segment).
Bytes ip(const core::IpAddress& src, const core::IpAddress& dst, std::uint8_t protocol, Bytes segment,
         std::size_t checksum_at) {
  if (src.family() != dst.family()) throw std::invalid_argument("mixed address families");
  const std::size_t length = src.isV4() ? 4 : 16;
  Bytes pseudo;
  pseudo.insert(pseudo.end(), src.bytes().begin(), src.bytes().begin() + length);
  pseudo.insert(pseudo.end(), dst.bytes().begin(), dst.bytes().begin() + length);
  if (src.isV4()) {
    put16(pseudo, protocol);
    put16(pseudo, static_cast<std::uint16_t>(segment.size()));
  } else {
    put32(pseudo, static_cast<std::uint32_t>(segment.size()));
    put32(pseudo, protocol);
  }
  std::uint16_t checksum = fold(sum(segment.data(), segment.size(), sum(pseudo.data(), pseudo.size())));
  if (protocol == 17 && checksum == 0) checksum = 0xffff;
  set16(segment, checksum_at, checksum);

  Bytes out;
  if (src.isV4()) {
    out = {0x45, 0, 0, 0, 0x12, 0x34, 0x40, 0, 64, protocol, 0, 0};
    set16(out, 2, static_cast<std::uint16_t>(20 + segment.size()));
    out.insert(out.end(), pseudo.begin(), pseudo.begin() + 8);  // the two addresses
    set16(out, 10, fold(sum(out.data(), 20)));
  } else {
    out = {0x60, 0, 0, 0};
    put16(out, static_cast<std::uint16_t>(segment.size()));
    out.push_back(protocol);
    out.push_back(64);
    out.insert(out.end(), pseudo.begin(), pseudo.begin() + 32);  // the two addresses
  }
  out.insert(out.end(), segment.begin(), segment.end());
  return out;
}

}  // namespace

Bytes ipPacket(const std::string& src, const std::string& dst, std::uint8_t protocol, const Bytes& payload) {
  core::IpAddress a = parse(src), b = parse(dst);
  // No transport checksum to fill in: write it over a scratch byte.
  Bytes segment = payload;
  segment.insert(segment.begin(), {0, 0});
  Bytes out = ip(a, b, protocol, std::move(segment), 0);
  std::size_t header = a.isV4() ? 20 : 40;
  out.erase(out.begin() + static_cast<std::ptrdiff_t>(header), out.begin() + static_cast<std::ptrdiff_t>(header + 2));
  if (a.isV4()) {
    set16(out, 2, static_cast<std::uint16_t>(out.size()));
    set16(out, 10, 0);
    set16(out, 10, fold(sum(out.data(), 20)));
  } else {
    set16(out, 4, static_cast<std::uint16_t>(out.size() - 40));
  }
  return out;
}

std::string base64Url(const Bytes& bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (std::uint8_t b : bytes) {
    bits = bits << 8 | b;
    count += 8;
    while (count >= 6) {
      count -= 6;
      out += kAlphabet[(bits >> count) & 0x3f];
    }
  }
  if (count > 0) out += kAlphabet[(bits << (6 - count)) & 0x3f];
  return out;
}

Bytes gre(std::uint16_t protocol, const Bytes& inner, std::optional<std::uint32_t> key, bool checksum, bool sequence) {
  Bytes out;
  out.push_back(static_cast<std::uint8_t>((checksum ? 0x80 : 0) | (key ? 0x20 : 0) | (sequence ? 0x10 : 0)));
  out.push_back(0);
  put16(out, protocol);
  if (checksum) put32(out, 0);
  if (key) put32(out, *key);
  if (sequence) put32(out, 1);
  out.insert(out.end(), inner.begin(), inner.end());
  return out;
}

Bytes vxlan(std::uint32_t vni, const Bytes& frame) {
  Bytes out = {0x08, 0, 0, 0};
  put32(out, vni << 8);
  out.insert(out.end(), frame.begin(), frame.end());
  return out;
}

Bytes geneve(std::uint32_t vni, std::uint16_t protocol, const Bytes& inner, std::size_t option_words) {
  Bytes out = {static_cast<std::uint8_t>(option_words & 0x3f), 0};
  put16(out, protocol);
  put32(out, vni << 8);
  out.insert(out.end(), option_words * 4, 0);
  out.insert(out.end(), inner.begin(), inner.end());
  return out;
}

DnsBuilder::DnsBuilder(std::uint16_t id, std::uint16_t flags) {
  put16(bytes_, id);
  put16(bytes_, flags);
  bytes_.resize(12, 0);
}

DnsBuilder DnsBuilder::query(std::uint16_t id, std::string_view qname, std::uint16_t qtype) {
  DnsBuilder b(id, 0x0100);  // RD
  b.question(qname, qtype);
  return b;
}

DnsBuilder DnsBuilder::response(std::uint16_t id, std::string_view qname, std::uint16_t qtype, std::uint16_t rcode) {
  DnsBuilder b(id, static_cast<std::uint16_t>(0x8180 | (rcode & 0x0f)));  // QR RD RA
  b.question(qname, qtype);
  return b;
}

void DnsBuilder::writeName(Bytes& out, std::string_view name) {
  while (!name.empty() && name != ".") {
    auto dot = name.find('.');
    auto label = name.substr(0, dot);
    out.push_back(static_cast<std::uint8_t>(label.size()));
    out.insert(out.end(), label.begin(), label.end());
    if (dot == std::string_view::npos) break;
    name.remove_prefix(dot + 1);
  }
  out.push_back(0);
}

DnsBuilder& DnsBuilder::question(std::string_view name, std::uint16_t qtype, std::uint16_t qclass) {
  writeName(bytes_, name);
  put16(bytes_, qtype);
  put16(bytes_, qclass);
  ++qd_;
  return *this;
}

void DnsBuilder::record(std::string_view name, std::uint16_t type, std::uint32_t ttl, const Bytes& rdata) {
  writeName(bytes_, name);
  put16(bytes_, type);
  put16(bytes_, 1);
  put32(bytes_, ttl);
  put16(bytes_, static_cast<std::uint16_t>(rdata.size()));
  bytes_.insert(bytes_.end(), rdata.begin(), rdata.end());
  ++an_;
}

DnsBuilder& DnsBuilder::answerA(std::string_view name, const char* address, std::uint32_t ttl) {
  Bytes rdata(4);
  if (auto a = core::IpAddress::parse(address); a && a->isV4()) std::copy_n(a->bytes().begin(), 4, rdata.begin());
  record(name, 1, ttl, rdata);
  return *this;
}

DnsBuilder& DnsBuilder::answerAaaa(std::string_view name, const char* address, std::uint32_t ttl) {
  Bytes rdata(16);
  if (auto a = core::IpAddress::parse(address); a && a->isV6()) std::copy_n(a->bytes().begin(), 16, rdata.begin());
  record(name, 28, ttl, rdata);
  return *this;
}

DnsBuilder& DnsBuilder::answerCname(std::string_view name, std::string_view target, std::uint32_t ttl) {
  Bytes rdata;
  writeName(rdata, target);
  record(name, 5, ttl, rdata);
  return *this;
}

DnsBuilder& DnsBuilder::answerTxt(std::string_view name, const Bytes& text, std::uint32_t ttl) {
  Bytes rdata = {static_cast<std::uint8_t>(text.size())};
  rdata.insert(rdata.end(), text.begin(), text.end());
  record(name, 16, ttl, rdata);
  return *this;
}

DnsBuilder& DnsBuilder::edns(std::uint16_t udp_size, bool dnssec_ok) {
  bytes_.push_back(0);  // root
  put16(bytes_, 41);
  put16(bytes_, udp_size);
  put32(bytes_, dnssec_ok ? 0x8000 : 0);
  // One option: a client cookie (code 10, 8 bytes).
  put16(bytes_, 12);
  put16(bytes_, 10);
  put16(bytes_, 8);
  for (int i = 0; i < 8; ++i) bytes_.push_back(static_cast<std::uint8_t>(0xa0 + i));
  ++ar_;
  return *this;
}

Bytes DnsBuilder::build() const {
  Bytes out = bytes_;
  set16(out, 4, qd_);
  set16(out, 6, an_);
  set16(out, 8, ns_);
  set16(out, 10, ar_);
  return out;
}

Bytes ipUdp(const Peer& src, const Peer& dst, const Bytes& payload) {
  Bytes udp;
  put16(udp, src.port);
  put16(udp, dst.port);
  put16(udp, static_cast<std::uint16_t>(8 + payload.size()));
  put16(udp, 0);
  udp.insert(udp.end(), payload.begin(), payload.end());
  return ip(parse(src.address), parse(dst.address), 17, std::move(udp), 6);
}

Bytes ipTcp(const Peer& src, const Peer& dst, std::uint32_t seq, std::uint8_t flags, const Bytes& payload) {
  Bytes tcp;
  put16(tcp, src.port);
  put16(tcp, dst.port);
  put32(tcp, seq);
  put32(tcp, (flags & kAck) ? 1 : 0);
  tcp.push_back(0x50);  // 20-byte header
  tcp.push_back(flags);
  put16(tcp, 65535);
  put16(tcp, 0);
  put16(tcp, 0);
  tcp.insert(tcp.end(), payload.begin(), payload.end());
  return ip(parse(src.address), parse(dst.address), 6, std::move(tcp), 16);
}

std::vector<Bytes> fragmentIpv4(const Bytes& ip, std::size_t chunk) {
  std::size_t header = static_cast<std::size_t>(ip[0] & 0x0f) * 4;
  std::vector<Bytes> out;
  for (std::size_t at = header; at < ip.size(); at += chunk) {
    std::size_t n = std::min(chunk, ip.size() - at);
    Bytes f(ip.begin(), ip.begin() + static_cast<std::ptrdiff_t>(header));
    f.insert(f.end(), ip.begin() + static_cast<std::ptrdiff_t>(at), ip.begin() + static_cast<std::ptrdiff_t>(at + n));
    set16(f, 2, static_cast<std::uint16_t>(f.size()));
    bool more = at + n < ip.size();
    set16(f, 6, static_cast<std::uint16_t>((more ? 0x2000 : 0) | ((at - header) / 8)));
    set16(f, 10, 0);
    set16(f, 10, fold(sum(f.data(), header)));
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<Bytes> fragmentIpv6(const Bytes& ip, std::size_t chunk, std::uint32_t id) {
  std::uint8_t next = ip[6];
  std::vector<Bytes> out;
  for (std::size_t at = 40; at < ip.size(); at += chunk) {
    std::size_t n = std::min(chunk, ip.size() - at);
    Bytes f(ip.begin(), ip.begin() + 40);
    f[6] = 44;
    bool more = at + n < ip.size();
    f.push_back(next);
    f.push_back(0);
    put16(f, static_cast<std::uint16_t>(((at - 40) / 8) << 3 | (more ? 1 : 0)));
    put32(f, id);
    f.insert(f.end(), ip.begin() + static_cast<std::ptrdiff_t>(at), ip.begin() + static_cast<std::ptrdiff_t>(at + n));
    set16(f, 4, static_cast<std::uint16_t>(f.size() - 40));
    out.push_back(std::move(f));
  }
  return out;
}

Bytes ethernet(const Bytes& ipPacket, std::vector<std::uint16_t> vlans) {
  Bytes out = {0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01};
  for (std::size_t i = 0; i < vlans.size(); ++i) {
    put16(out, i == 0 && vlans.size() > 1 ? 0x88a8 : 0x8100);
    put16(out, vlans[i]);
  }
  put16(out, (ipPacket[0] >> 4) == 6 ? 0x86dd : 0x0800);
  out.insert(out.end(), ipPacket.begin(), ipPacket.end());
  return out;
}

Bytes sll(const Bytes& ipPacket, std::uint16_t packet_type) {
  Bytes out;
  put16(out, packet_type);
  put16(out, 1);  // ARPHRD_ETHER
  put16(out, 6);
  for (std::uint8_t b : {0x02, 0, 0, 0, 0, 0x01, 0, 0}) out.push_back(b);
  put16(out, (ipPacket[0] >> 4) == 6 ? 0x86dd : 0x0800);
  out.insert(out.end(), ipPacket.begin(), ipPacket.end());
  return out;
}

Bytes sll2(const Bytes& ipPacket, std::uint32_t ifindex, std::uint8_t packet_type) {
  Bytes out;
  put16(out, (ipPacket[0] >> 4) == 6 ? 0x86dd : 0x0800);
  put16(out, 0);
  put32(out, ifindex);
  put16(out, 1);  // ARPHRD_ETHER
  out.push_back(packet_type);
  out.push_back(6);
  for (std::uint8_t b : {0x02, 0, 0, 0, 0, 0x01, 0, 0}) out.push_back(b);
  out.insert(out.end(), ipPacket.begin(), ipPacket.end());
  return out;
}

Bytes nullLoopback(const Bytes& ipPacket) {
  Bytes out;
  le32(out, (ipPacket[0] >> 4) == 6 ? 30 : 2);  // AF_INET6 as macOS writes it, AF_INET
  out.insert(out.end(), ipPacket.begin(), ipPacket.end());
  return out;
}

Bytes tlsClientHello(const std::string& sni, const std::vector<std::string>& alpn, std::size_t key_share_bytes) {
  Bytes ext;
  if (!sni.empty()) {
    Bytes list;
    list.push_back(0);
    put16(list, static_cast<std::uint16_t>(sni.size()));
    list.insert(list.end(), sni.begin(), sni.end());
    put16(ext, 0);
    put16(ext, static_cast<std::uint16_t>(list.size() + 2));
    put16(ext, static_cast<std::uint16_t>(list.size()));
    ext.insert(ext.end(), list.begin(), list.end());
  }
  if (!alpn.empty()) {
    Bytes list;
    for (const auto& p : alpn) {
      list.push_back(static_cast<std::uint8_t>(p.size()));
      list.insert(list.end(), p.begin(), p.end());
    }
    put16(ext, 16);
    put16(ext, static_cast<std::uint16_t>(list.size() + 2));
    put16(ext, static_cast<std::uint16_t>(list.size()));
    ext.insert(ext.end(), list.begin(), list.end());
  }
  put16(ext, 43);  // supported_versions: TLS 1.3
  put16(ext, 3);
  ext.insert(ext.end(), {2, 3, 4});
  put16(ext, 51);  // key_share: one share of the given size
  put16(ext, static_cast<std::uint16_t>(key_share_bytes + 6));
  put16(ext, static_cast<std::uint16_t>(key_share_bytes + 4));
  put16(ext, 0x11ec);
  put16(ext, static_cast<std::uint16_t>(key_share_bytes));
  ext.insert(ext.end(), key_share_bytes, 0x42);

  Bytes body;
  put16(body, 0x0303);
  body.insert(body.end(), 32, 0x11);  // random
  body.push_back(32);
  body.insert(body.end(), 32, 0x22);  // session id
  put16(body, 4);
  body.insert(body.end(), {0x13, 0x01, 0x13, 0x02});
  body.push_back(1);
  body.push_back(0);
  put16(body, static_cast<std::uint16_t>(ext.size()));
  body.insert(body.end(), ext.begin(), ext.end());

  Bytes record = {0x16, 0x03, 0x01};
  put16(record, static_cast<std::uint16_t>(body.size() + 4));
  record.push_back(1);  // ClientHello
  record.push_back(static_cast<std::uint8_t>(body.size() >> 16));
  put16(record, static_cast<std::uint16_t>(body.size()));
  record.insert(record.end(), body.begin(), body.end());
  return record;
}

Bytes tcpFramed(const Bytes& message) {
  Bytes out;
  put16(out, static_cast<std::uint16_t>(message.size()));
  out.insert(out.end(), message.begin(), message.end());
  return out;
}

bool writePcap(const std::string& path, int link_type, const std::vector<Frame>& frames, std::uint32_t snaplen) {
  Bytes out;
  le32(out, 0xa1b23c4d);  // nanosecond-resolution magic
  le16(out, 2);
  le16(out, 4);
  le32(out, 0);
  le32(out, 0);
  le32(out, snaplen);
  le32(out, static_cast<std::uint32_t>(link_type));
  for (const auto& f : frames) {
    le32(out, static_cast<std::uint32_t>(f.time_ns / 1'000'000'000));
    le32(out, static_cast<std::uint32_t>(f.time_ns % 1'000'000'000));
    le32(out, static_cast<std::uint32_t>(f.data.size()));
    le32(out, f.wire_length ? f.wire_length : static_cast<std::uint32_t>(f.data.size()));
    out.insert(out.end(), f.data.begin(), f.data.end());
  }
  FILE* file = std::fopen(path.c_str(), "wb");
  if (!file) return false;
  bool ok = std::fwrite(out.data(), 1, out.size(), file) == out.size();
  return std::fclose(file) == 0 && ok;
}

bool writePcapng(const std::string& path, int link_type, const std::string& interface_name,
                 const std::vector<Frame>& frames) {
  Bytes out;
  auto block = [&out](std::uint32_t type, const Bytes& body) {
    std::uint32_t length = static_cast<std::uint32_t>(12 + body.size());
    le32(out, type);
    le32(out, length);
    out.insert(out.end(), body.begin(), body.end());
    le32(out, length);
  };
  auto pad4 = [](Bytes& b) {
    while (b.size() % 4) b.push_back(0);
  };
  Bytes shb;
  le32(shb, 0x1a2b3c4d);
  le16(shb, 1);
  le16(shb, 0);
  le32(shb, 0xffffffff);
  le32(shb, 0xffffffff);
  block(0x0a0d0d0a, shb);
  Bytes idb;
  le16(idb, static_cast<std::uint16_t>(link_type));
  le16(idb, 0);
  le32(idb, 262144);
  le16(idb, 2);  // if_name
  le16(idb, static_cast<std::uint16_t>(interface_name.size()));
  idb.insert(idb.end(), interface_name.begin(), interface_name.end());
  pad4(idb);
  le16(idb, 9);  // if_tsresol: 10^-9
  le16(idb, 1);
  idb.push_back(9);
  pad4(idb);
  le32(idb, 0);  // opt_endofopt
  block(1, idb);
  for (const auto& f : frames) {
    Bytes epb;
    le32(epb, 0);
    le32(epb, static_cast<std::uint32_t>(f.time_ns >> 32));
    le32(epb, static_cast<std::uint32_t>(f.time_ns));
    le32(epb, static_cast<std::uint32_t>(f.data.size()));
    le32(epb, f.wire_length ? f.wire_length : static_cast<std::uint32_t>(f.data.size()));
    epb.insert(epb.end(), f.data.begin(), f.data.end());
    pad4(epb);
    block(6, epb);
  }
  FILE* file = std::fopen(path.c_str(), "wb");
  if (!file) return false;
  bool ok = std::fwrite(out.data(), 1, out.size(), file) == out.size();
  return std::fclose(file) == 0 && ok;
}

}  // namespace dnsleak::testing
