#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "decode/packet.h"

namespace dnsleak::decode {

// The outcome of decoding one frame. kOk and the kIgnored* values are normal
// traffic; every other value is a malformed packet, counted and skipped.
enum class DecodeStatus : std::uint8_t {
  kOk = 0,
  kIgnoredNotIp,             // ARP, LLDP, ...
  kIgnoredNotUdpTcp,         // ICMP, ...
  kIgnoredFragment,          // a non-first IP fragment (no transport header)
  kUnsupportedLinkType,
  kTruncatedLinkHeader,
  kTooManyLinkTags,          // VLAN tags or MPLS labels nested too deep
  kTruncatedIpHeader,
  kBadIpVersion,
  kBadIpHeaderLength,
  kBadIpTotalLength,
  kTruncatedIpv6ExtensionHeader,
  kTruncatedUdpHeader,
  kBadUdpLength,
  kTruncatedTcpHeader,
  kBadTcpHeaderLength,
  kTruncatedTunnelHeader,    // GRE, VXLAN or Geneve header cut short
  kTooManyTunnels,           // encapsulations nested deeper than kMaxTunnelDepth
  kCount
};
inline constexpr std::size_t kDecodeStatusCount = static_cast<std::size_t>(DecodeStatus::kCount);

std::string_view decodeStatusName(DecodeStatus status);
bool isMalformed(DecodeStatus status);

// Link-layer types we decode: LINKTYPE_* values as in files, and the DLT_*
// values libpcap hands out where they differ (raw IP is LINKTYPE 101 in a
// file but DLT_RAW 12, or 14 on OpenBSD, from pcap_datalink()).
inline constexpr int kLinkNull = 0;
inline constexpr int kLinkEthernet = 1;
inline constexpr int kLinkRaw = 101;
inline constexpr int kDltRaw = 12;
inline constexpr int kDltRawOpenBsd = 14;
inline constexpr int kLinkLoop = 108;
inline constexpr int kLinkLinuxSll = 113;
inline constexpr int kLinkIpv4 = 228;
inline constexpr int kLinkIpv6 = 229;
inline constexpr int kLinkLinuxSll2 = 276;
inline constexpr int kLinkPpp = 9;          // PPP, with or without HDLC-like framing (RFC 1661/1662)
inline constexpr int kLinkPppHdlc = 50;     // PPP in HDLC-like framing (DLT_PPP_SERIAL)
inline constexpr int kLinkCiscoHdlc = 104;  // Cisco HDLC: address, control, EtherType
inline constexpr int kLinkNflog = 239;      // Linux NFLOG (an `nflog:` capture)
inline constexpr int kLinkPktap = 258;      // Apple PKTAP: a header, then a frame of its own link type

std::vector<int> supportedLinkTypes();

// Decodes one captured frame of the given link type to its UDP or TCP
// payload. Tunnels (VXLAN, Geneve, GRE, IP-in-IP, 6in4, 4in6, 6in6) are
// taken off and listed in `out.tunnels`; a VXLAN or Geneve datagram whose
// inside does not decode is left as the UDP datagram it also is. `out.time` and `out.ifindex` are left to the caller except that
// SLL2 frames set ifindex and SLL/SLL2 frames set direction. No allocation;
// `out.payload` aliases `frame`.
DecodeStatus decodeFrame(int link_type, std::span<const std::uint8_t> frame, DecodedPacket& out);

// Decodes from an IP header on (used by decodeFrame, and for raw IP).
DecodeStatus decodeIp(std::span<const std::uint8_t> packet, DecodedPacket& out);

}  // namespace dnsleak::decode
