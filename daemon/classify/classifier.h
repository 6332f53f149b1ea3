#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "classify/dns_parser.h"
#include "classify/http_dns.h"
#include "classify/quic_initial.h"
#include "classify/tcp_dns_streams.h"
#include "classify/tls_flows.h"
#include "core/counter.h"
#include "core/event.h"
#include "core/resolver_list.h"
#include "decode/packet.h"

namespace dnsleak::classify {

// Receives each observation. The event is the classifier's reused working
// object: valid only during the call; copy what must outlive it.
class ObservationSink {
 public:
  virtual ~ObservationSink() = default;
  virtual void onObservation(core::Event& event) = 0;
  // A connection opened (see core::ConnectionObservation); for Leak-D.
  virtual void onConnection(const core::ConnectionObservation&) {}
};

inline constexpr std::uint16_t kDnsPort = 53;
inline constexpr std::uint16_t kMdnsPort = 5353;
inline constexpr std::uint16_t kLlmnrPort = 5355;
inline constexpr std::uint16_t kNbnsPort = 137;
inline constexpr std::uint16_t kDotPort = 853;
inline constexpr std::uint16_t kHttpsPort = 443;
// DoQ: RFC 9250's port and the two its drafts used.
inline constexpr std::uint16_t kDoqPorts[] = {853, 784, 8853};

// The transport a port pair stands for, or kUnspecified. Port 53 wins over
// the others when both ends name one.
core::Transport transportForPorts(std::uint8_t ip_protocol, std::uint16_t src_port, std::uint16_t dst_port);

// Whether a server name looks like a resolver's ("dns.", "doh.",
// "resolver.", "dns1.", ...): weak evidence, never enough alone.
bool resolverLikeName(std::string_view sni);

// Turns decoded packets into observations, one per DNS-format message:
// DNS on UDP/53 and TCP/53, mDNS (UDP/5353), LLMNR (UDP and TCP/5355),
// NetBIOS-NS (UDP/137), DNS recognised by its content on any other UDP port
// or TCP flow, and cleartext DNS over HTTP; one observation per DNS-over-TLS
// connection (TCP/853), with the ClientHello's SNI and ALPN when it was
// seen; and one per HTTPS connection (TCP/443) that is DNS over HTTPS: its
// SNI is a listed resolver, or it has no SNI and goes to a listed resolver
// address. DNSCrypt shows as its certificate queries (TXT
// 2.dnscrypt-cert.*), as responses that carry its resolver magic and as
// queries that carry a learnt client magic, on any UDP port. QUIC client
// Initials are decrypted to read their ClientHello: DoQ on UDP 853/784/8853
// (ALPN doq), and DoH over HTTP/3 on UDP/443 when the SNI is a listed
// resolver. Connections that are not DNS (a TCP SYN, an HTTPS or HTTP/3
// ClientHello's server name) go to the sink's onConnection, for Leak-D.
// An HTTPS connection offering h2 to a server no list names is followed
// for its shape, and one shaped like DoH is an observation recognised by
// its behaviour (onTlsShape; docs/detection.md), for the pipeline to weigh.
// Owned by the capture thread; its counters may be read anywhere.
class Classifier : private TcpDnsStreams::MessageHandler, private TlsFlows::Handler, private HttpDnsFlows::Handler {
 public:
  explicit Classifier(TcpStreamLimits tcp_limits = {});

  // `resolvers` is the current list of known encrypted-DNS resolvers (may
  // be null: then no connection is DoH).
  void classify(const decode::DecodedPacket& packet, ObservationSink& sink,
                const core::ResolverList* resolvers = nullptr);

  const core::EnumCounters<DnsParseStatus, kDnsParseStatusCount>& dnsCounters() const { return dns_counters_; }
  const TcpDnsStreams& tcpStreams() const { return tcp_; }
  const TlsFlows& tlsFlows() const { return tls_; }
  const QuicHellos& quicHellos() const { return quic_; }
  const HttpDnsFlows& httpFlows() const { return http_; }
  // TLS connections to servers no list names whose shape was followed, and
  // of those, the ones that looked like DNS over HTTPS.
  std::uint64_t shapesFollowed() const { return https_.shapesFollowed() + other_tls_.shapesFollowed(); }
  std::uint64_t shapesReported() const { return https_.shapesReported() + other_tls_.shapesReported(); }

 private:
  void onTcpDnsMessage(const decode::DecodedPacket& packet, std::span<const std::uint8_t> message) override;
  void onTlsFlow(const decode::DecodedPacket& packet, const TlsFlows::Report& report) override;
  void onTlsShape(const decode::DecodedPacket& packet, const TlsShape& shape, bool from_client) override;
  void onHttpDnsMessage(const decode::DecodedPacket& packet, std::span<const std::uint8_t> message,
                        bool confirmed) override;
  // An encrypted DNSCrypt datagram: a response (by the resolver magic) or
  // a query (by a client magic learnt from a certificate).
  void observeDnsCrypt(const decode::DecodedPacket& packet, bool from_resolver);
  void observeConnection(const decode::DecodedPacket& packet, std::string_view sni);
  bool startsWithClientMagic(std::span<const std::uint8_t> payload) const;
  // Remembers the client magics of the certificates in a cert response;
  // returns how many certificates it holds.
  std::size_t learnClientMagics(std::span<const std::uint8_t> message);
  // A client's QUIC Initial to a DoQ port, or to 443 when a resolver list
  // is there to say whether it is DoH over HTTP/3. Returns false when the
  // datagram is not a QUIC Initial at all, so other checks still get it.
  bool observeQuic(const decode::DecodedPacket& packet, bool doq_port);
  // Sets the fields every observation of `packet` shares, clears the rest.
  void startEvent(const decode::DecodedPacket& packet, core::Transport transport);
  // What says a payload is a DNS message: its port; its shape alone (then
  // it must also pass looksLikeDns(), and nothing is counted for a payload
  // that is simply not DNS); or a content type that names it (HTTP).
  enum class Evidence : std::uint8_t { kPort, kShape, kContentType };
  // Parses and, when it is one, reports a message.
  void observeDns(const decode::DecodedPacket& packet, std::span<const std::uint8_t> message,
                  core::Transport transport, Evidence evidence = Evidence::kPort);

  TcpDnsStreams tcp_;
  TlsFlows tls_;    // TCP/853
  TlsFlows https_;  // TCP/443: most of it is not DNS; reported only when it is
  // TLS on any other port, followed from a ClientHello: DoH when its server
  // name is a listed resolver (8443, 453, ... are seen in the wild).
  TlsFlows other_tls_;
  QuicHellos quic_;
  HttpDnsFlows http_;  // cleartext HTTP on any other TCP port
  // Client magics from DNSCrypt certificates seen, newest overwriting oldest.
  static constexpr std::size_t kMaxDnsCryptMagics = 64;
  std::array<std::array<std::uint8_t, 8>, kMaxDnsCryptMagics> dnscrypt_magics_{};
  std::size_t dnscrypt_magic_count_ = 0;
  std::size_t dnscrypt_magic_next_ = 0;
  const core::ResolverList* resolvers_ = nullptr;  // set for the duration of classify()
  core::Event event_;              // reused for every observation
  ObservationSink* sink_ = nullptr;  // set for the duration of classify()
  core::EnumCounters<DnsParseStatus, kDnsParseStatusCount> dns_counters_;
};

}  // namespace dnsleak::classify
