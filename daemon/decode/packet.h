#pragma once

#include <cstdint>
#include <span>

#include "core/event.h"
#include "core/ip_address.h"

namespace dnsleak::decode {

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
  bool truncated = false;  // the capture holds fewer bytes than the IP packet (snap length)
  std::span<const std::uint8_t> payload;
  // The IP packet from its header on, trimmed to its own length: what the
  // fragment reassembler takes when the packet is a fragment.
  std::span<const std::uint8_t> ip_packet;
};

inline constexpr std::uint8_t kTcpFin = 0x01;
inline constexpr std::uint8_t kTcpSyn = 0x02;
inline constexpr std::uint8_t kTcpRst = 0x04;

}  // namespace dnsleak::decode
