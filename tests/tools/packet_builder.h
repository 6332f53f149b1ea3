#pragma once

// Builds DNS messages, frames and capture files for tests and benchmarks.
// Everything is deterministic: the same calls give the same bytes.

#include <cstdint>
#include <cstddef>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dnsleak::testing {

using Bytes = std::vector<std::uint8_t>;

// A DNS message in wire form, written field by field. Names are written
// uncompressed unless a pointer is asked for.
class DnsBuilder {
 public:
  DnsBuilder(std::uint16_t id, std::uint16_t flags);
  static DnsBuilder query(std::uint16_t id, std::string_view qname, std::uint16_t qtype);
  static DnsBuilder response(std::uint16_t id, std::string_view qname, std::uint16_t qtype, std::uint16_t rcode = 0);

  DnsBuilder& question(std::string_view name, std::uint16_t qtype, std::uint16_t qclass = 1);
  DnsBuilder& answerA(std::string_view name, const char* address, std::uint32_t ttl = 300);
  DnsBuilder& answerAaaa(std::string_view name, const char* address, std::uint32_t ttl = 300);
  DnsBuilder& answerCname(std::string_view name, std::string_view target, std::uint32_t ttl = 300);
  // A TXT record of one character-string (at most 255 bytes).
  DnsBuilder& answerTxt(std::string_view name, const Bytes& text, std::uint32_t ttl = 300);
  DnsBuilder& edns(std::uint16_t udp_size = 1232, bool dnssec_ok = false);
  // Sets the header's section counts to what was added (done by build()).
  Bytes build() const;

  // Raw access for malformed messages.
  Bytes& bytes() { return bytes_; }
  static void writeName(Bytes& out, std::string_view name);

 private:
  void record(std::string_view name, std::uint16_t type, std::uint32_t ttl, const Bytes& rdata);
  Bytes bytes_;
  std::uint16_t qd_ = 0, an_ = 0, ns_ = 0, ar_ = 0;
  bool in_answers_ = true;
};

// An address and port in text, e.g. {"192.0.2.1", 53} or {"2001:db8::1", 53}.
struct Peer {
  std::string address;
  std::uint16_t port;
};

// IP packets (checksums filled in).
Bytes ipUdp(const Peer& src, const Peer& dst, const Bytes& payload);
Bytes ipTcp(const Peer& src, const Peer& dst, std::uint32_t seq, std::uint8_t flags, const Bytes& payload);
inline constexpr std::uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;

// An IP packet around any payload (a tunnel's inside, GRE, ...).
Bytes ipPacket(const std::string& src, const std::string& dst, std::uint8_t protocol, const Bytes& payload);
// Encapsulations: a GRE header (RFC 2784/2890) before `inner`; a VXLAN
// header before an Ethernet frame; a Geneve header with empty options.
Bytes gre(std::uint16_t protocol, const Bytes& inner, std::optional<std::uint32_t> key = std::nullopt,
          bool checksum = false, bool sequence = false);
Bytes vxlan(std::uint32_t vni, const Bytes& frame);
Bytes geneve(std::uint32_t vni, std::uint16_t protocol, const Bytes& inner, std::size_t option_words = 0);

// Splits an IP packet into fragments of at most `chunk` payload bytes
// (a multiple of 8), in order. IPv6 fragments get a fragment header with `id`.
std::vector<Bytes> fragmentIpv4(const Bytes& ip, std::size_t chunk);
std::vector<Bytes> fragmentIpv6(const Bytes& ip, std::size_t chunk, std::uint32_t id);

// Link layers around an IP packet.
Bytes ethernet(const Bytes& ip, std::vector<std::uint16_t> vlans = {});
Bytes sll(const Bytes& ip, std::uint16_t packet_type);
Bytes sll2(const Bytes& ip, std::uint32_t ifindex, std::uint8_t packet_type);
Bytes nullLoopback(const Bytes& ip);
inline constexpr std::uint8_t kPacketHost = 0, kPacketOutgoing = 4;

// A TLS 1.3-style ClientHello in one handshake record: SNI (when not
// empty), ALPN, and a key_share of `key_share_bytes` (1216 is about what
// X25519MLKEM768 adds, which pushes the hello past one segment).
Bytes tlsClientHello(const std::string& sni, const std::vector<std::string>& alpn, std::size_t key_share_bytes = 32);

// One direction of an HTTP/2 connection (RFC 9113), its header blocks
// compressed with HPACK by nghttp2's deflater, which keeps its dynamic
// table from block to block as a real peer's does.
class Http2Writer {
 public:
  Http2Writer();
  ~Http2Writer();
  Http2Writer(const Http2Writer&) = delete;
  Http2Writer& operator=(const Http2Writer&) = delete;

  static Bytes preface();  // the client's connection preface
  static Bytes settings(bool ack = false);
  Bytes headers(std::uint32_t stream, const std::vector<std::pair<std::string, std::string>>& fields,
                bool end_stream);
  static Bytes data(std::uint32_t stream, const Bytes& payload, bool end_stream);

 private:
  struct Deflater;
  Deflater* deflater_;
};

// base64url without padding, as a DoH GET's `dns` parameter.
std::string base64Url(const Bytes& bytes);

// A client's QUIC v1 Initial datagram (RFC 9000 section 17.2.2) carrying a
// ClientHello with this SNI and ALPN in one CRYPTO frame, padded to 1200
// bytes and protected as RFC 9001 section 5 says, with keys from `dcid`
// (or from `key_dcid`, as a client's later Initials are). `from`/`to` cut
// the CRYPTO frame to part of the hello, as a hello split over Initials.
Bytes quicInitial(const Bytes& dcid, const std::string& sni, const std::vector<std::string>& alpn,
                  const Bytes& key_dcid = {}, std::size_t from = 0, std::size_t to = SIZE_MAX,
                  std::size_t key_share_bytes = 32);

// The same around any plaintext frames (padded with PADDING to 1200 bytes,
// at most about 16 KB): for reaching the code past decryption.
Bytes quicInitialOfFrames(const Bytes& dcid, Bytes plaintext_frames, const Bytes& key_dcid = {});

// DNS over TCP framing: a 2-byte length before the message.
Bytes tcpFramed(const Bytes& message);

struct Frame {
  std::uint64_t time_ns;
  Bytes data;
  std::uint32_t wire_length = 0;  // 0: data.size()
};

// Writes a classic pcap file (nanosecond timestamps).
bool writePcap(const std::string& path, int link_type, const std::vector<Frame>& frames, std::uint32_t snaplen = 262144);
// Writes a pcapng file with one interface of the given name.
bool writePcapng(const std::string& path, int link_type, const std::string& interface_name,
                 const std::vector<Frame>& frames);

}  // namespace dnsleak::testing
