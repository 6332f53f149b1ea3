#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/event.h"
#include "core/ip_address.h"

namespace dnsleak::decode {

// An encapsulation a packet was found inside and taken out of.
enum class TunnelKind : std::uint8_t {
  kNone = 0,
  kVxlan,   // UDP/4789 (and Linux's old default 8472), RFC 7348
  kGeneve,  // UDP/6081, RFC 8926
  kGre,     // IP protocol 47, RFC 2784/2890; version 1 is PPTP's (RFC 2637)
  kIpip,    // IPv4 in IPv4 (protocol 4)
  k6in4,    // IPv6 in IPv4 (protocol 41; "sit", 6to4, tunnel brokers)
  k4in6,    // IPv4 in IPv6
  k6in6,    // IPv6 in IPv6
};
std::string_view tunnelKindName(TunnelKind kind);

// One layer of encapsulation: who the outer packet went between, and the
// tunnel's id where it has one (VXLAN/Geneve VNI, GRE key).
struct TunnelLayer {
  TunnelKind kind = TunnelKind::kNone;
  core::IpAddress outer_src;
  core::IpAddress outer_dst;
  std::uint32_t id = 0;
  bool has_id = false;
};
// Deeper nesting than this is not traffic a host makes; such packets are
// counted (too_many_tunnels) and skipped.
inline constexpr std::size_t kMaxTunnelDepth = 3;

// A packet decoded down to its transport payload. The payload span points
// into the capture buffer: it is valid only while the capture callback that
// produced it runs.
struct DecodedPacket {
  core::Timestamp time{};
  std::uint32_t ifindex = 0;  // from SLL2, or the capturing interface; 0 unknown
  core::Direction direction = core::Direction::kUnknown;
  std::uint8_t ip_version = 0;
  core::IpAddress src;
  core::IpAddress dst;
  std::uint8_t ip_protocol = 0;  // IPPROTO_UDP or IPPROTO_TCP
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  std::uint32_t tcp_seq = 0;
  std::uint8_t tcp_flags = 0;
  // Set by the caller before decoding: whether the capture may hold fewer
  // bytes than the frame had on the wire (its snap length cut it). When it
  // cannot, an IP or UDP length that reaches past the captured bytes lies,
  // and the packet is malformed. Unknown: true.
  bool may_be_cut = true;
  // The capture holds fewer bytes than the (innermost) IP packet: decoded
  // as far as it goes, `missing` bytes of it (all payload) not captured.
  bool truncated = false;
  std::uint32_t missing = 0;
  std::span<const std::uint8_t> payload;
  // The IP packet from its header on, trimmed to its own length: what the
  // fragment reassembler takes when the packet is a fragment.
  std::span<const std::uint8_t> ip_packet;
  // Encapsulations taken off, outermost first; the fields above describe
  // the innermost packet.
  std::array<TunnelLayer, kMaxTunnelDepth> tunnels{};
  std::uint8_t tunnel_depth = 0;
};

// "vxlan vni 42 192.0.2.1->192.0.2.2", innermost layer first, layers
// joined by " in "; empty when the packet was not encapsulated.
std::string describeTunnels(const DecodedPacket& packet);

inline constexpr std::uint8_t kTcpFin = 0x01;
inline constexpr std::uint8_t kTcpSyn = 0x02;
inline constexpr std::uint8_t kTcpRst = 0x04;
inline constexpr std::uint8_t kTcpAck = 0x10;

}  // namespace dnsleak::decode
