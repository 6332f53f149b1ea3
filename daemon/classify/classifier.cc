#include "classify/classifier.h"

#include <algorithm>
#include <cmath>
#include <cctype>
#include <cstring>

#include "core/bytes.h"
#include "core/names.h"

namespace dnsleak::classify {

core::Transport transportForPorts(std::uint8_t ip_protocol, std::uint16_t src_port, std::uint16_t dst_port) {
  auto either = [&](std::uint16_t port) { return src_port == port || dst_port == port; };
  if (ip_protocol == core::kIpProtoUdp) {
    if (either(kDnsPort)) return core::Transport::kDnsUdp;
    if (either(kMdnsPort)) return core::Transport::kMdns;
    if (either(kLlmnrPort)) return core::Transport::kLlmnr;
    if (either(kNbnsPort)) return core::Transport::kNbns;
  } else if (ip_protocol == core::kIpProtoTcp) {
    if (either(kDnsPort)) return core::Transport::kDnsTcp;
    if (either(kLlmnrPort)) return core::Transport::kLlmnr;  // RFC 4795 section 2.5
    if (either(kDotPort)) return core::Transport::kDot;      // RFC 7858
  }
  return core::Transport::kUnspecified;
}

Classifier::Classifier(TcpStreamLimits tcp_limits)
    : tcp_(tcp_limits),
      https_({/*max_flows=*/4096, /*max_buffered_bytes=*/4u << 20, std::chrono::seconds(60)}),
      other_tls_({/*max_flows=*/1024, /*max_buffered_bytes=*/1u << 20, std::chrono::seconds(60)}) {}

namespace {

// Every DNSCrypt response (v1 and v2) starts with this resolver magic.
constexpr std::uint8_t kDnsCryptResolverMagic[8] = {'r', '6', 'f', 'n', 'v', 'W', 'j', '8'};

bool startsWithResolverMagic(std::span<const std::uint8_t> payload) {
  return payload.size() >= 8 + 12 + 16 &&  // magic, nonce, the smallest sealed box
         std::memcmp(payload.data(), kDnsCryptResolverMagic, 8) == 0;
}

// DNSCrypt clients fetch the resolver's certificate as a TXT record of
// "2.dnscrypt-cert.<provider>" over plain DNS.
bool isDnsCryptCertificateName(const std::string& qname) {
  constexpr std::string_view kPrefix = "2.dnscrypt-cert.";
  return qname.size() > kPrefix.size() && core::equalsIgnoringCase(std::string_view(qname).substr(0, kPrefix.size()), kPrefix);
}

// The first bytes of a TLS ClientHello: a handshake record (22) of TLS
// 1.0 to 1.3 (major version 3) whose first message is a ClientHello (1).
bool startsClientHello(std::span<const std::uint8_t> payload) {
  return payload.size() >= 6 && payload[0] == 0x16 && payload[1] == 0x03 && payload[2] <= 0x04 && payload[5] == 0x01;
}

// A QUIC long-header packet of a version whose Initial keys are known
// (v1, v2, drafts 29 to 34): worth decrypting on a port that says nothing.
bool knownQuicVersion(std::span<const std::uint8_t> payload) {
  if (payload.size() < 5 || (payload[0] & 0xc0) != 0xc0) return false;
  std::uint32_t version = static_cast<std::uint32_t>(payload[1]) << 24 | static_cast<std::uint32_t>(payload[2]) << 16 |
                          static_cast<std::uint32_t>(payload[3]) << 8 | payload[4];
  return version == 0x00000001 || version == 0x6b3343cf || (version >= 0xff00001d && version <= 0xff000022);
}

// A header a DNS implementation could have sent: the zero bit clear, a
// defined opcode (query, inverse, status, notify, update, DSO) and one to
// eight questions (some responses repeat theirs). Random bytes pass with a
// chance of about 1 in 44,000.
bool plausibleDnsHeader(std::span<const std::uint8_t> message) {
  if (message.size() < 12) return false;
  int opcode = (message[2] >> 3) & 0x0f;
  bool zero_bit = (message[3] & 0x40) != 0;
  std::uint16_t questions = core::be16(message.data() + 4);
  return !zero_bit && opcode <= 6 && opcode != 3 && questions >= 1 && questions <= 8;
}

// A hello to a server no list names: its shape is followed when it offers
// HTTP/2, which DoH speaks.
void followShapeIfHttp2(const TlsFlows::Report& report) {
  const auto& alpn = report.hello->alpn;
  if (report.follow_shape && std::find(alpn.begin(), alpn.end(), "h2") != alpn.end()) *report.follow_shape = true;
}

}  // namespace

void Classifier::classify(const decode::DecodedPacket& packet, ObservationSink& sink,
                          const core::ResolverList* resolvers) {
  core::Transport transport = transportForPorts(packet.ip_protocol, packet.src_port, packet.dst_port);
  sink_ = &sink;
  resolvers_ = resolvers;
  // A DNSCrypt response, on any port (DNSCrypt servers use 443, 53, even
  // 5353): the magic is unambiguous and cheap to test.
  if (packet.ip_protocol == core::kIpProtoUdp && startsWithResolverMagic(packet.payload)) {
    observeDnsCrypt(packet, /*from_resolver=*/true);
    sink_ = nullptr;
    return;
  }
  // A DNSCrypt query, by a client magic learnt from a certificate.
  if (dnscrypt_magic_count_ != 0 && packet.ip_protocol == core::kIpProtoUdp && startsWithClientMagic(packet.payload)) {
    observeDnsCrypt(packet, /*from_resolver=*/false);
    sink_ = nullptr;
    return;
  }
  // A client's first QUIC datagram is a long-header packet padded to at
  // least 1200 bytes (RFC 9000 section 14.1): cheap to rule out otherwise.
  if (packet.ip_protocol == core::kIpProtoUdp && packet.payload.size() >= 1200 && (packet.payload[0] & 0x80) != 0) {
    bool doq_port = std::find(std::begin(kDoqPorts), std::end(kDoqPorts), packet.dst_port) != std::end(kDoqPorts);
    // On any other port only a version this reader decrypts is tried, and
    // only with a resolver list to say which server names are DNS.
    bool any_port = resolvers_ && knownQuicVersion(packet.payload);
    if ((doq_port || packet.dst_port == kHttpsPort || any_port) && observeQuic(packet, doq_port)) {
      sink_ = nullptr;
      return;
    }
  }
  if (packet.ip_protocol == core::kIpProtoTcp) {
    // A connection opened to anything but a DNS port: for Leak-D.
    if ((packet.tcp_flags & (decode::kTcpSyn | decode::kTcpAck)) == decode::kTcpSyn &&
        transport == core::Transport::kUnspecified) {
      observeConnection(packet, {});
    }
    if (transport == core::Transport::kDot) {
      tls_.addSegment(packet, kDotPort, *this);
    } else if (transport != core::Transport::kUnspecified) {
      tcp_.addSegment(packet, *this);
    } else if (packet.dst_port == kHttpsPort || packet.src_port == kHttpsPort) {
      https_.addSegment(packet, kHttpsPort, *this);
    } else if (std::uint16_t server_port = 0; other_tls_.follows(packet, server_port)) {
      other_tls_.addSegment(packet, server_port, *this);
    } else if (startsClientHello(packet.payload)) {
      other_tls_.addSegment(packet, packet.dst_port, *this);
    } else if (tcp_.follows(packet)) {
      tcp_.addSegment(packet, *this);
    } else if (http_.addSegment(packet, *this)) {
      // cleartext DNS over HTTP: reported from the handler
    } else if (packet.payload.size() >= 19 &&
               (static_cast<std::size_t>(packet.payload[0]) << 8 | packet.payload[1]) == packet.payload.size() - 2) {
      // DNS over TCP on another port, one message in one segment: judged
      // by the same strict shape check as UDP.
      observeDns(packet, packet.payload.subspan(2), core::Transport::kDnsTcp, Evidence::kShape);
    } else if (packet.payload.size() >= 14 && plausibleDnsHeader(packet.payload.subspan(2)) &&
               (static_cast<std::size_t>(packet.payload[0]) << 8 | packet.payload[1]) >= 17) {
      // A segment that starts like a length-prefixed DNS message but holds
      // more or less than one: this direction is followed from here, and
      // each message it frames must still pass the shape check.
      tcp_.addSegment(packet, *this);
    }
  } else if (packet.ip_protocol == core::kIpProtoUdp) {
    if (transport != core::Transport::kUnspecified) {
      observeDns(packet, packet.payload, transport);
    } else if (packet.payload.size() >= 17) {  // a header and the smallest question
      observeDns(packet, packet.payload, core::Transport::kDnsUdp, Evidence::kShape);
    }
  }
  sink_ = nullptr;
}

void Classifier::onTcpDnsMessage(const decode::DecodedPacket& packet, std::span<const std::uint8_t> message) {
  core::Transport transport = transportForPorts(core::kIpProtoTcp, packet.src_port, packet.dst_port);
  if (transport == core::Transport::kUnspecified) {
    observeDns(packet, message, core::Transport::kDnsTcp, Evidence::kShape);  // a flow followed by its content
  } else {
    observeDns(packet, message, transport);
  }
}

void Classifier::onHttpDnsMessage(const decode::DecodedPacket& packet, std::span<const std::uint8_t> message,
                                  bool confirmed) {
  observeDns(packet, message, core::Transport::kDnsHttp, confirmed ? Evidence::kContentType : Evidence::kShape);
}

void Classifier::observeConnection(const decode::DecodedPacket& packet, std::string_view sni) {
  core::ConnectionObservation c;
  c.time = packet.time;
  c.source = {packet.src, packet.src_port};
  c.destination = {packet.dst, packet.dst_port};
  c.ip_protocol = packet.ip_protocol;
  c.ifindex = packet.ifindex;
  c.direction = packet.direction;
  c.sni = sni;
  c.tunnelled = packet.tunnel_depth != 0;
  sink_->onConnection(c);
}

void Classifier::startEvent(const decode::DecodedPacket& packet, core::Transport transport) {
  core::Event& e = event_;
  e.seq = 0;
  e.time = packet.time;
  e.first_seen = packet.time;
  e.last_seen = packet.time;
  e.count = 1;
  e.transport = transport;
  e.source = {packet.src, packet.src_port};
  e.destination = {packet.dst, packet.dst_port};
  e.ip_version = packet.ip_version;
  e.ip_protocol = packet.ip_protocol;
  e.interface.index = packet.ifindex;
  e.interface.name.clear();
  e.interface.kind.clear();
  e.direction = packet.direction;
  if (packet.tunnel_depth == 0) {
    e.tunnel.clear();
  } else {
    e.tunnel = decode::describeTunnels(packet);
  }
  e.sni.clear();
  e.alpn.clear();
  e.verdict = core::Verdict::kUnspecified;
  e.leak_type = core::LeakType::kNone;
  e.profile.clear();
  e.rule.clear();
  e.reason.clear();
  e.remediation.clear();
  e.process = {};
  e.attribution = {};
  e.signals.clear();
  e.evidence.clear();
  e.response_times.clear();
}

bool Classifier::startsWithClientMagic(std::span<const std::uint8_t> payload) const {
  if (payload.size() < 8 + 32 + 12 + 16) return false;  // magic, client key, half nonce, the smallest box
  for (std::size_t i = 0; i < dnscrypt_magic_count_; ++i) {
    if (std::memcmp(payload.data(), dnscrypt_magics_[i].data(), 8) == 0) return true;
  }
  return false;
}

std::size_t Classifier::learnClientMagics(std::span<const std::uint8_t> message) {
  // A certificate (dnscrypt.info protocol, "Certificates"): "DNSC", the
  // es-version (0x0001 X25519-XSalsa20Poly1305, 0x0002 XChaCha20Poly1305)
  // and a zero minor version (4), signature (64), resolver key (32), then
  // the client magic (8). Found in the raw message: each sits in one TXT
  // character-string.
  constexpr std::size_t kMagicAt = 4 + 4 + 64 + 32;
  std::size_t certificates = 0;
  for (std::size_t at = 0; at + kMagicAt + 8 <= message.size(); ++at) {
    if (std::memcmp(message.data() + at, "DNSC", 4) != 0) continue;
    const std::uint8_t* version = message.data() + at + 4;
    if (version[0] != 0 || (version[1] != 1 && version[1] != 2) || version[2] != 0 || version[3] != 0) continue;
    ++certificates;
    std::array<std::uint8_t, 8> magic;
    std::memcpy(magic.data(), message.data() + at + kMagicAt, 8);
    bool known = false;
    for (std::size_t i = 0; i < dnscrypt_magic_count_; ++i) known |= dnscrypt_magics_[i] == magic;
    if (!known) {
      dnscrypt_magics_[dnscrypt_magic_next_] = magic;
      dnscrypt_magic_next_ = (dnscrypt_magic_next_ + 1) % kMaxDnsCryptMagics;
      dnscrypt_magic_count_ = std::min(dnscrypt_magic_count_ + 1, kMaxDnsCryptMagics);
    }
    at += kMagicAt + 7;
  }
  return certificates;
}

void Classifier::observeDnsCrypt(const decode::DecodedPacket& packet, bool from_resolver) {
  startEvent(packet, core::Transport::kDnsCrypt);
  core::Event& e = event_;
  e.dns = {};
  // An encrypted exchange: nothing of the DNS message inside can be read.
  e.kind = core::MessageKind::kConnection;
  e.recognition = core::RecognitionMethod::kContent;
  e.recognition_confidence = core::Confidence::kHigh;
  e.resolver = from_resolver ? e.source : e.destination;
  sink_->onObservation(e);
}

bool Classifier::observeQuic(const decode::DecodedPacket& packet, bool doq_port) {
  bool initial = false;
  const ClientHello* hello =
      quic_.add(packet.payload, packet.src, packet.src_port, packet.dst, packet.dst_port, packet.time, &initial);
  if (!hello) return initial;
  core::Transport transport = core::Transport::kDoq;
  core::RecognitionMethod method = core::RecognitionMethod::kPort;
  core::Confidence confidence = core::Confidence::kMedium;
  if (doq_port) {
    // RFC 9250's ALPN is "doq"; drafts used "doq-i00" and the like.
    for (const auto& alpn : hello->alpn) {
      if (alpn.rfind("doq", 0) == 0) {
        method = core::RecognitionMethod::kAlpn;
        confidence = core::Confidence::kHigh;
      }
    }
  } else if (std::any_of(hello->alpn.begin(), hello->alpn.end(),
                         [](const std::string& a) { return a.rfind("doq", 0) == 0; })) {
    method = core::RecognitionMethod::kAlpn;  // DoQ on a port of its own choosing
    confidence = core::Confidence::kHigh;
  } else {
    transport = core::Transport::kDoh;  // HTTP/3
    if (!hello->sni.empty() && resolvers_ && resolvers_->hostListed(hello->sni)) {
      method = core::RecognitionMethod::kSniList;
      confidence = core::Confidence::kHigh;
    } else {
      // No name, or one not listed. Unlike TLS to https://ADDRESS, an
      // address alone does not say DoH here: the listed resolver
      // addresses (8.8.8.8, ...) answer their owners' other HTTP/3 too.
      observeConnection(packet, hello->sni);  // ordinary HTTP/3
      return true;
    }
  }
  startEvent(packet, transport);
  core::Event& e = event_;
  e.dns = {};
  e.kind = core::MessageKind::kHandshake;
  e.sni = hello->sni;
  e.alpn = hello->alpn;
  e.recognition = method;
  e.recognition_confidence = confidence;
  e.resolver = e.destination;
  sink_->onObservation(e);
  return true;
}

void Classifier::onTlsFlow(const decode::DecodedPacket& packet, const TlsFlows::Report& report) {
  core::Transport transport = core::Transport::kDot;
  core::RecognitionMethod method = core::RecognitionMethod::kPort;
  // Port 853 and a TLS ClientHello agree; the port alone is less sure.
  core::Confidence confidence = report.hello ? core::Confidence::kHigh : core::Confidence::kMedium;
  const core::IpAddress& server = report.from_client ? packet.dst : packet.src;
  if (report.server_port != kDotPort) {
    // HTTPS (on 443 or any other port) is DoH only when the resolver list
    // says so. Without a hello there is nothing to go on.
    if (!report.hello) return;
    transport = core::Transport::kDoh;
    if (!report.hello->sni.empty()) {
      if (!resolvers_ || !resolvers_->hostListed(report.hello->sni)) {
        if (report.from_client) observeConnection(packet, report.hello->sni);  // ordinary HTTPS
        // Unless its shape says otherwise: HTTP/2 is what DoH speaks.
        followShapeIfHttp2(report);
        return;
      }
      method = core::RecognitionMethod::kSniList;
      confidence = core::Confidence::kHigh;
    } else {
      // No server name: an address alone, since CDN addresses also serve
      // ordinary sites, decides only here, where nothing else names the
      // server (a client speaking to https://ADDRESS/dns-query), and only
      // on 443.
      if (report.server_port != kHttpsPort || !resolvers_ || !resolvers_->addressListed(server)) {
        followShapeIfHttp2(report);
        return;
      }
      method = core::RecognitionMethod::kAddressList;
      confidence = core::Confidence::kLow;
    }
  }
  startEvent(packet, transport);
  core::Event& e = event_;
  e.dns = {};
  e.kind = report.kind;
  if (report.hello) {
    e.sni = report.hello->sni;
    e.alpn = report.hello->alpn;
  }
  e.recognition = method;
  e.recognition_confidence = confidence;
  e.resolver = report.from_client ? e.destination : e.source;
  sink_->onObservation(e);
}

bool resolverLikeName(std::string_view sni) {
  std::size_t at = 0;
  while (at < sni.size()) {
    std::size_t dot = sni.find('.', at);
    std::string_view label = sni.substr(at, dot == std::string_view::npos ? std::string_view::npos : dot - at);
    if (dot == std::string_view::npos) break;  // the top-level label says nothing
    std::string lower = core::lowerName(label);
    for (std::string_view word : {"dns", "doh", "resolver", "resolve", "dns-query", "dnsoverhttps", "secure-dns"}) {
      if (lower == word) return true;
    }
    // "dns1", "doh-eu", "dns-unfiltered": a resolver word and a suffix.
    for (std::string_view word : {"dns", "doh"}) {
      if (lower.size() > word.size() && lower.compare(0, word.size(), word) == 0 &&
          (lower[word.size()] == '-' || (lower[word.size()] >= '0' && lower[word.size()] <= '9'))) {
        return true;
      }
    }
    at = dot + 1;
  }
  return false;
}

void Classifier::onTlsShape(const decode::DecodedPacket& packet, const TlsShape& shape, bool from_client) {
  if (sink_ == nullptr) return;
  startEvent(packet, core::Transport::kDoh);
  core::Event& e = event_;
  if (!from_client) {
    std::swap(e.source, e.destination);
    if (e.direction == core::Direction::kInbound) {
      e.direction = core::Direction::kOutbound;
    } else if (e.direction == core::Direction::kOutbound) {
      e.direction = core::Direction::kInbound;
    }
  }
  e.time = shape.start;
  e.first_seen = shape.start;
  e.dns = {};
  e.kind = core::MessageKind::kHandshake;
  e.sni = shape.sni;
  e.alpn = shape.alpn;
  e.resolver = e.destination;
  e.recognition = core::RecognitionMethod::kBehaviour;
  e.recognition_confidence = core::Confidence::kLow;  // the pipeline adds what else it saw
  auto add = [&](std::string_view name, double value, std::string text = {}) {
    e.evidence.push_back({std::string(name), value, std::move(text)});
  };
  const double seconds = std::chrono::duration<double>(shape.last - shape.start).count();
  add("exchanges", shape.exchanges, "small requests each answered by a small response within a second");
  add("request_bytes", shape.exchanges ? shape.request_bytes / shape.exchanges : 0, "mean TCP payload");
  add("response_bytes", shape.exchanges ? shape.response_bytes / shape.exchanges : 0, "mean TCP payload");
  add("large_segments", shape.large, "server segments over 1200 bytes");
  add("seconds", std::round(seconds * 1000) / 1000, "from the hello to this response");
  add("alpn", 0, "h2");
  if (resolverLikeName(shape.sni)) add("resolver_like_name", 1, "the server name looks like a resolver's (weak)");
  const std::size_t responses = std::min<std::size_t>(shape.exchanges, shape.responses.size());
  e.response_times.assign(shape.responses.begin(), shape.responses.begin() + static_cast<std::ptrdiff_t>(responses));
  sink_->onObservation(e);
}

void Classifier::observeDns(const decode::DecodedPacket& packet, std::span<const std::uint8_t> message,
                            core::Transport transport, Evidence evidence) {
  const bool by_content = evidence == Evidence::kShape;
  DnsParseStatus records_error = DnsParseStatus::kOk;
  std::size_t end = 0;
  DnsParseStatus status = parseDnsMessage(message, event_.dns, records_error, &end);
  if (by_content &&
      (status != DnsParseStatus::kOk || records_error != DnsParseStatus::kOk || end != message.size() ||
       !looksLikeDns(event_.dns))) {
    return;  // just not DNS: not malformed either
  }
  dns_counters_.add(status);
  if (status != DnsParseStatus::kOk) {
    // The header parsed and the question did not. On a DNS port this is
    // still DNS traffic (a resolver answers it with FORMERR, some parse it
    // leniently), so it is reported, without a name: a crafted query must
    // not leak unseen because it is malformed. Only with a header that
    // could be DNS, though: VPNs run on UDP/53 too, and their packets must
    // not each become a leak.
    if (!plausibleDnsHeader(message)) return;
    core::DnsInfo& d = event_.dns;
    d.qname.clear();
    d.qtype = 0;
    d.qclass = 0;
    d.answers.clear();
    d.has_edns = false;
    d.edns_options.clear();
    d.parse_error = dnsParseStatusName(status);
  } else if (records_error != DnsParseStatus::kOk) {
    dns_counters_.add(records_error);
    event_.dns.parse_error = dnsParseStatusName(records_error);
  } else {
    event_.dns.parse_error.clear();
  }
  if (status == DnsParseStatus::kOk && transport == core::Transport::kNbns) decodeNetbiosName(event_.dns.qname);
  // A local-link response without a question is an announcement (mDNS
  // RFC 6762 section 8.3, LLMNR's conflict defence, NetBIOS registration):
  // the names it announces are its names.
  const bool local_link = transport == core::Transport::kMdns || transport == core::Transport::kLlmnr ||
                          transport == core::Transport::kNbns;
  bool announcement = false;
  if (local_link && status == DnsParseStatus::kOk && event_.dns.is_response && event_.dns.question_count == 0 &&
      !event_.dns.answers.empty()) {
    event_.dns.qname = event_.dns.answers.front().name;
    event_.dns.qtype = event_.dns.answers.front().type;
    announcement = true;
  }
  if (event_.dns.qtype == 16 && isDnsCryptCertificateName(event_.dns.qname)) {
    transport = core::Transport::kDnsCrypt;  // the plaintext first step of DNSCrypt
    if (event_.dns.is_response) learnClientMagics(message);
  } else if (event_.dns.qtype == 16 && event_.dns.is_response && learnClientMagics(message) > 0) {
    // A certificate under another name: what it holds says DNSCrypt, on
    // any port, and its client magic marks the queries that follow.
    transport = core::Transport::kDnsCrypt;
  }

  startEvent(packet, transport);
  core::Event& e = event_;
  e.kind = e.dns.is_response ? core::MessageKind::kResponse : core::MessageKind::kQuery;
  // A known port and a message that parses whole: port and content agree.
  // By content alone, the strict shape check stands for the port.
  e.recognition = evidence == Evidence::kPort ? core::RecognitionMethod::kPort : core::RecognitionMethod::kContent;
  e.recognition_confidence =
      by_content || status != DnsParseStatus::kOk ? core::Confidence::kMedium : core::Confidence::kHigh;
  // The server is the end a query goes to and a response comes from.
  e.resolver = e.dns.is_response ? e.source : e.destination;
  if (core::equalsIgnoringCase(e.dns.qname, "use-application-dns.net")) e.signals.emplace_back("doh-canary");
  if (core::equalsIgnoringCase(e.dns.qname, "_dns.resolver.arpa")) e.signals.emplace_back("ddr");
  if (announcement) e.signals.emplace_back("announcement");
  sink_->onObservation(e);
}

}  // namespace dnsleak::classify
