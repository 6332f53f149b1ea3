#include "decode/decoder.h"

#include <cstring>

#include "core/bytes.h"

namespace dnsleak::decode {
namespace {

using Bytes = std::span<const std::uint8_t>;

using core::be16;
using core::be32;

constexpr std::uint16_t kEtherIpv4 = 0x0800;
constexpr std::uint16_t kEtherIpv6 = 0x86DD;
constexpr std::uint16_t kEtherVlan = 0x8100;
constexpr std::uint16_t kEtherQinQ = 0x88A8;
constexpr std::uint16_t kEtherQinQOld = 0x9100;
constexpr std::uint16_t kEtherPppoeSession = 0x8864;
constexpr std::uint16_t kEtherMplsUnicast = 0x8847;
constexpr std::uint16_t kEtherMplsMulticast = 0x8848;
constexpr std::uint16_t kPppIpv4 = 0x0021;
constexpr std::uint16_t kPppIpv6 = 0x0057;
constexpr int kMaxVlanTags = 4;
constexpr int kMaxMplsLabels = 8;
constexpr int kMaxIpv6ExtensionHeaders = 8;

// Linux packet types (linux/if_packet.h) as carried by SLL and SLL2.
core::Direction directionFromPacketType(std::uint16_t packet_type) {
  switch (packet_type) {
    case 0:  // PACKET_HOST
    case 1:  // PACKET_BROADCAST
    case 2:  // PACKET_MULTICAST
      return core::Direction::kInbound;
    case 4:  // PACKET_OUTGOING
      return core::Direction::kOutbound;
    default:  // PACKET_OTHERHOST and others: seen, but neither ours to send nor to receive
      return core::Direction::kUnknown;
  }
}

// PPPoE session stage (RFC 2516): a 6-byte header, then a PPP protocol.
DecodeStatus decodePppoe(Bytes rest, DecodedPacket& out) {
  if (rest.size() < 8) return DecodeStatus::kTruncatedLinkHeader;
  std::uint16_t protocol = be16(rest.data() + 6);
  if (protocol == kPppIpv4 || protocol == kPppIpv6) return decodeIp(rest.subspan(8), out);
  return DecodeStatus::kIgnoredNotIp;
}

// MPLS (RFC 3032): 4-byte labels until the bottom-of-stack bit; the payload
// carries no type, so its first nibble decides (4 or 6, else not IP).
DecodeStatus decodeMpls(Bytes rest, DecodedPacket& out) {
  for (int i = 0; i < kMaxMplsLabels; ++i) {
    if (rest.size() < 4) return DecodeStatus::kTruncatedLinkHeader;
    bool bottom = (rest[2] & 0x01) != 0;
    rest = rest.subspan(4);
    if (bottom) {
      if (rest.empty()) return DecodeStatus::kTruncatedIpHeader;
      int version = rest[0] >> 4;
      return version == 4 || version == 6 ? decodeIp(rest, out) : DecodeStatus::kIgnoredNotIp;
    }
  }
  return DecodeStatus::kTooManyLinkTags;
}

// PPP (RFC 1661): an optional HDLC-like address and control (0xff 0x03,
// RFC 1662; left out under address-and-control-field compression), then a
// protocol of two bytes, or one when compressed (an odd first byte).
DecodeStatus decodePpp(Bytes rest, DecodedPacket& out) {
  if (rest.size() >= 2 && rest[0] == 0xff && rest[1] == 0x03) rest = rest.subspan(2);
  if (rest.empty()) return DecodeStatus::kTruncatedLinkHeader;
  std::uint16_t protocol = 0;
  if (rest[0] & 0x01) {
    protocol = rest[0];
    rest = rest.subspan(1);
  } else {
    if (rest.size() < 2) return DecodeStatus::kTruncatedLinkHeader;
    protocol = be16(rest.data());
    rest = rest.subspan(2);
  }
  if (protocol == kPppIpv4 || protocol == kPppIpv6) return decodeIp(rest, out);
  return DecodeStatus::kIgnoredNotIp;
}

// Linux NFLOG (libpcap's LINKTYPE_NFLOG): family, version, resource id,
// then type-length-value attributes padded to 4 bytes, whose length and
// type are in the capturing host's byte order (libpcap turns them into
// the reader's). The packet is NFULA_PAYLOAD; NFULA_IFINDEX_INDEV and
// _OUTDEV (big-endian) say which interface and which way.
DecodeStatus decodeNflog(Bytes frame, DecodedPacket& out) {
  constexpr std::uint16_t kIfindexIndev = 4, kIfindexOutdev = 5, kPayload = 9;
  if (frame.size() < 4) return DecodeStatus::kTruncatedLinkHeader;
  const std::uint8_t family = frame[0];
  Bytes rest = frame.subspan(4);
  while (rest.size() >= 4) {
    std::uint16_t length = 0, type = 0;
    std::memcpy(&length, rest.data(), 2);
    std::memcpy(&type, rest.data() + 2, 2);
    type &= 0x7fff;  // NLA_F_NESTED and NLA_F_NET_BYTEORDER bits
    if (length < 4 || length > rest.size()) return DecodeStatus::kTruncatedLinkHeader;
    Bytes value = rest.subspan(4, length - 4);
    if ((type == kIfindexIndev || type == kIfindexOutdev) && value.size() >= 4) {
      // The outgoing device wins: a forwarded packet has both.
      if (type == kIfindexOutdev || out.ifindex == 0) out.ifindex = be32(value.data());
      out.direction = type == kIfindexOutdev ? core::Direction::kOutbound : core::Direction::kInbound;
    } else if (type == kPayload) {
      if (family != 2 && family != 10 && !value.empty() && (value[0] >> 4) != 4 && (value[0] >> 4) != 6) {
        return DecodeStatus::kIgnoredNotIp;
      }
      return decodeIp(value, out);
    }
    std::size_t padded = (static_cast<std::size_t>(length) + 3) & ~std::size_t{3};
    if (padded >= rest.size()) break;
    rest = rest.subspan(padded);
  }
  return DecodeStatus::kIgnoredNotIp;  // no payload: a log entry without the packet
}

// Apple PKTAP: a header of its own length (little-endian on the Macs that
// write it) giving the link type of the frame that follows.
DecodeStatus decodePktap(Bytes frame, DecodedPacket& out) {
  if (frame.size() < 12) return DecodeStatus::kTruncatedLinkHeader;
  auto le32 = [&](std::size_t at) {
    return static_cast<std::uint32_t>(frame[at]) | (static_cast<std::uint32_t>(frame[at + 1]) << 8) |
           (static_cast<std::uint32_t>(frame[at + 2]) << 16) | (static_cast<std::uint32_t>(frame[at + 3]) << 24);
  };
  std::uint32_t length = le32(0);
  std::uint32_t link_type = le32(8);
  if (length < 12 || length > frame.size()) return DecodeStatus::kTruncatedLinkHeader;
  // One level: a PKTAP inside a PKTAP is not a frame anyone writes.
  if (link_type == static_cast<std::uint32_t>(kLinkPktap)) return DecodeStatus::kUnsupportedLinkType;
  return decodeFrame(static_cast<int>(link_type), frame.subspan(length), out);
}

DecodeStatus decodeEtherType(std::uint16_t ether_type, Bytes rest, DecodedPacket& out) {
  for (int tags = 0;; ++tags) {
    if (ether_type == kEtherIpv4 || ether_type == kEtherIpv6) return decodeIp(rest, out);
    if (ether_type == kEtherPppoeSession) return decodePppoe(rest, out);
    if (ether_type == kEtherMplsUnicast || ether_type == kEtherMplsMulticast) return decodeMpls(rest, out);
    if (ether_type != kEtherVlan && ether_type != kEtherQinQ && ether_type != kEtherQinQOld) {
      return DecodeStatus::kIgnoredNotIp;
    }
    if (tags == kMaxVlanTags) return DecodeStatus::kTooManyLinkTags;
    if (rest.size() < 4) return DecodeStatus::kTruncatedLinkHeader;
    ether_type = be16(rest.data() + 2);
    rest = rest.subspan(4);
  }
}

constexpr std::uint16_t kEtherTransparentBridging = 0x6558;  // an Ethernet frame inside GRE or Geneve
constexpr std::uint16_t kVxlanPort = 4789;
constexpr std::uint16_t kVxlanLinuxPort = 8472;
constexpr std::uint16_t kGenevePort = 6081;
constexpr std::uint8_t kProtocolGre = 47;
constexpr std::uint16_t kPppProtocolPptp = 0x880B;

// Records the layer being entered; the outer addresses are still in `out`.
DecodeStatus enterTunnel(TunnelKind kind, std::uint32_t id, bool has_id, DecodedPacket& out) {
  if (out.tunnel_depth == kMaxTunnelDepth) return DecodeStatus::kTooManyTunnels;
  TunnelLayer& layer = out.tunnels[out.tunnel_depth++];
  layer.kind = kind;
  layer.outer_src = out.src;
  layer.outer_dst = out.dst;
  layer.id = id;
  layer.has_id = has_id;
  return DecodeStatus::kOk;
}

// What an encapsulation carries, by the EtherType it names.
DecodeStatus decodeInner(std::uint16_t ether_type, Bytes inner, DecodedPacket& out) {
  if (ether_type == kEtherTransparentBridging) {
    if (inner.size() < 14) return DecodeStatus::kTruncatedLinkHeader;
    return decodeEtherType(be16(inner.data() + 12), inner.subspan(14), out);
  }
  return decodeEtherType(ether_type, inner, out);
}

// GRE (RFC 2784 with RFC 2890's key and sequence number), and version 1 as
// PPTP uses it (RFC 2637: key always, acknowledgment optional, PPP inside).
DecodeStatus decodeGre(Bytes packet, DecodedPacket& out) {
  if (packet.size() < 4) return DecodeStatus::kTruncatedTunnelHeader;
  std::uint8_t flags = packet[0];
  int version = packet[1] & 0x07;
  bool checksum = (flags & 0x80) != 0, routing = (flags & 0x40) != 0, key = (flags & 0x20) != 0,
       sequence = (flags & 0x10) != 0, ack = version == 1 && (packet[1] & 0x80) != 0;
  // Source routing (RFC 1701) is long obsolete: such a packet is not taken apart.
  if (routing || version > 1) return DecodeStatus::kIgnoredNotUdpTcp;
  std::uint16_t protocol = be16(packet.data() + 2);
  std::size_t header = 4 + (checksum ? 4 : 0);
  std::uint32_t id = 0;
  if (key) {
    if (packet.size() < header + 4) return DecodeStatus::kTruncatedTunnelHeader;
    id = be32(packet.data() + header);
    header += 4;
  }
  header += (sequence ? 4 : 0) + (ack ? 4 : 0);
  if (packet.size() < header) return DecodeStatus::kTruncatedTunnelHeader;
  Bytes inner = packet.subspan(header);
  if (auto s = enterTunnel(TunnelKind::kGre, version == 1 ? id & 0xffff : id, key, out); s != DecodeStatus::kOk) {
    return s;
  }
  if (version == 1) {
    if (protocol != kPppProtocolPptp) return DecodeStatus::kIgnoredNotIp;
    // PPP, with or without its address and control bytes.
    if (inner.size() >= 2 && inner[0] == 0xff && inner[1] == 0x03) inner = inner.subspan(2);
    if (inner.size() < 2) return DecodeStatus::kTruncatedTunnelHeader;
    std::uint16_t ppp = inner[0] & 0x01 ? inner[0] : be16(inner.data());  // protocol field compression
    inner = inner.subspan(inner[0] & 0x01 ? 1 : 2);
    if (ppp == kPppIpv4 || ppp == kPppIpv6) return decodeIp(inner, out);
    return DecodeStatus::kIgnoredNotIp;
  }
  return decodeInner(protocol, inner, out);
}

// VXLAN or Geneve on its UDP port. Only the port says what it is, so a
// datagram whose inside does not decode is left as plain UDP.
DecodeStatus decodeUdpTunnel(std::uint16_t port, Bytes payload, DecodedPacket& out) {
  DecodedPacket outer = out;
  DecodeStatus status = DecodeStatus::kIgnoredNotIp;
  if (port == kGenevePort) {
    // Version 0, options in 4-byte words, then the protocol of what follows.
    if (payload.size() >= 8 && (payload[0] >> 6) == 0) {
      std::size_t header = 8 + static_cast<std::size_t>(payload[0] & 0x3f) * 4;
      std::uint32_t vni = be32(payload.data() + 4) >> 8;
      if (payload.size() >= header && enterTunnel(TunnelKind::kGeneve, vni, true, out) == DecodeStatus::kOk) {
        status = decodeInner(be16(payload.data() + 2), payload.subspan(header), out);
      }
    }
  } else if (payload.size() >= 8 + 14 && (payload[0] & 0x08) != 0) {  // the I flag: a valid VNI
    std::uint32_t vni = be32(payload.data() + 4) >> 8;
    if (enterTunnel(TunnelKind::kVxlan, vni, true, out) == DecodeStatus::kOk) {
      Bytes frame = payload.subspan(8);
      status = decodeEtherType(be16(frame.data() + 12), frame.subspan(14), out);
    }
  }
  if (status == DecodeStatus::kOk || status == DecodeStatus::kIgnoredFragment) return status;
  out = outer;
  return DecodeStatus::kOk;
}

DecodeStatus decodeTransport(std::uint8_t protocol, Bytes segment, DecodedPacket& out) {
  out.ip_protocol = protocol;
  if (protocol == core::kIpProtoIpip || protocol == core::kIpProtoIpv6) {
    bool inner_v6 = protocol == core::kIpProtoIpv6;
    TunnelKind kind = out.ip_version == 4 ? (inner_v6 ? TunnelKind::k6in4 : TunnelKind::kIpip)
                                          : (inner_v6 ? TunnelKind::k6in6 : TunnelKind::k4in6);
    if (auto s = enterTunnel(kind, 0, false, out); s != DecodeStatus::kOk) return s;
    if (segment.empty()) return DecodeStatus::kTruncatedIpHeader;
    if ((segment[0] >> 4) != (inner_v6 ? 6 : 4)) return DecodeStatus::kBadIpVersion;
    return decodeIp(segment, out);
  }
  if (protocol == kProtocolGre) return decodeGre(segment, out);
  if (protocol == core::kIpProtoUdp) {
    if (segment.size() < 8) return DecodeStatus::kTruncatedUdpHeader;
    std::uint16_t length = be16(segment.data() + 4);
    // A UDP length longer than the IP payload is malformed; shorter than the
    // captured bytes means trailing padding, which is cut off.
    if (length < 8) return DecodeStatus::kBadUdpLength;
    if (length > segment.size()) {
      // Cut by the capture's snap length: decode what is there. Otherwise
      // the length field lies about the packet, which is malformed.
      if (!out.truncated) return DecodeStatus::kBadUdpLength;
      length = static_cast<std::uint16_t>(segment.size());
    }
    out.src_port = be16(segment.data());
    out.dst_port = be16(segment.data() + 2);
    out.payload = segment.subspan(8, length - 8u);
    if (out.dst_port == kVxlanPort || out.dst_port == kVxlanLinuxPort || out.dst_port == kGenevePort) {
      return decodeUdpTunnel(out.dst_port, out.payload, out);
    }
    return DecodeStatus::kOk;
  }
  if (protocol == core::kIpProtoTcp) {
    if (segment.size() < 20) return DecodeStatus::kTruncatedTcpHeader;
    std::size_t header = static_cast<std::size_t>(segment[12] >> 4) * 4;
    if (header < 20 || header > segment.size()) return DecodeStatus::kBadTcpHeaderLength;
    out.src_port = be16(segment.data());
    out.dst_port = be16(segment.data() + 2);
    out.tcp_seq = be32(segment.data() + 4);
    out.tcp_flags = segment[13];
    out.payload = segment.subspan(header);
    return DecodeStatus::kOk;
  }
  return DecodeStatus::kIgnoredNotUdpTcp;
}

// An IP packet of `length` bytes of which `captured` are at hand. Past the
// captured bytes only where the capture may have been cut there (and an
// enclosing layer, if any, was cut too); a layer captured whole means that
// nothing inside it was cut.
DecodeStatus checkCaptured(std::size_t length, std::size_t captured, DecodedPacket& out) {
  if (length <= captured) {
    out.may_be_cut = false;
    out.truncated = false;
    out.missing = 0;
    return DecodeStatus::kOk;
  }
  if (!out.may_be_cut) return DecodeStatus::kBadIpTotalLength;
  out.truncated = true;
  out.missing = static_cast<std::uint32_t>(length - captured);
  return DecodeStatus::kOk;
}

DecodeStatus decodeIpv4(Bytes packet, DecodedPacket& out) {
  if (packet.size() < 20) return DecodeStatus::kTruncatedIpHeader;
  std::size_t header = static_cast<std::size_t>(packet[0] & 0x0f) * 4;
  if (header < 20 || header > packet.size()) return DecodeStatus::kBadIpHeaderLength;
  std::size_t total = be16(packet.data() + 2);
  if (total < header) return DecodeStatus::kBadIpTotalLength;
  // Bytes past the total length are link-layer padding. Fewer bytes than
  // it: cut by the snap length (the transport decoder then sees a short
  // segment), or where nothing was cut, a length that lies.
  if (total < packet.size()) packet = packet.first(total);
  if (auto s = checkCaptured(total, packet.size(), out); s != DecodeStatus::kOk) return s;
  out.ip_packet = packet;
  out.ip_version = 4;
  out.src = core::IpAddress::v4(packet.data() + 12);
  out.dst = core::IpAddress::v4(packet.data() + 16);
  std::uint16_t fragment = be16(packet.data() + 6);
  bool more_fragments = (fragment & 0x2000) != 0;
  std::uint16_t offset = fragment & 0x1fff;
  out.ip_protocol = packet[9];
  if (more_fragments || offset != 0) return DecodeStatus::kIgnoredFragment;
  return decodeTransport(packet[9], packet.subspan(header), out);
}

DecodeStatus decodeIpv6(Bytes packet, DecodedPacket& out) {
  if (packet.size() < 40) return DecodeStatus::kTruncatedIpHeader;
  std::size_t payload_length = be16(packet.data() + 4);
  if (40 + payload_length < packet.size()) packet = packet.first(40 + payload_length);
  if (auto s = checkCaptured(40 + payload_length, packet.size(), out); s != DecodeStatus::kOk) return s;
  out.ip_packet = packet;
  out.ip_version = 6;
  out.src = core::IpAddress::v6(packet.data() + 8);
  out.dst = core::IpAddress::v6(packet.data() + 24);
  std::uint8_t next = packet[6];
  Bytes rest = packet.subspan(40);
  for (int i = 0; i <= kMaxIpv6ExtensionHeaders; ++i) {
    switch (next) {
      case 0:   // hop-by-hop options
      case 43:  // routing
      case 60:  // destination options
      {
        if (rest.size() < 8) return DecodeStatus::kTruncatedIpv6ExtensionHeader;
        std::size_t length = (static_cast<std::size_t>(rest[1]) + 1) * 8;
        if (length > rest.size()) return DecodeStatus::kTruncatedIpv6ExtensionHeader;
        next = rest[0];
        rest = rest.subspan(length);
        break;
      }
      case 44: {  // fragment
        if (rest.size() < 8) return DecodeStatus::kTruncatedIpv6ExtensionHeader;
        std::uint16_t field = be16(rest.data() + 2);
        out.ip_protocol = rest[0];
        if ((field & 0xfff8) != 0 || (field & 1) != 0) return DecodeStatus::kIgnoredFragment;
        next = rest[0];  // an atomic fragment: the whole packet is here
        rest = rest.subspan(8);
        break;
      }
      case 51: {  // authentication header
        if (rest.size() < 8) return DecodeStatus::kTruncatedIpv6ExtensionHeader;
        std::size_t length = (static_cast<std::size_t>(rest[1]) + 2) * 4;
        if (length > rest.size()) return DecodeStatus::kTruncatedIpv6ExtensionHeader;
        next = rest[0];
        rest = rest.subspan(length);
        break;
      }
      default:
        return decodeTransport(next, rest, out);
    }
  }
  return DecodeStatus::kIgnoredNotUdpTcp;
}

}  // namespace

DecodeStatus decodeIp(Bytes packet, DecodedPacket& out) {
  if (packet.empty()) return DecodeStatus::kTruncatedIpHeader;
  switch (packet[0] >> 4) {
    case 4: return decodeIpv4(packet, out);
    case 6: return decodeIpv6(packet, out);
    default: return DecodeStatus::kBadIpVersion;
  }
}

std::vector<int> supportedLinkTypes() {
  return {kLinkNull, kLinkEthernet, kDltRaw, kDltRawOpenBsd, kLinkRaw, kLinkLoop, kLinkLinuxSll, kLinkIpv4, kLinkIpv6,
          kLinkLinuxSll2, kLinkPpp, kLinkPppHdlc, kLinkCiscoHdlc, kLinkNflog, kLinkPktap};
}

DecodeStatus decodeFrame(int link_type, Bytes frame, DecodedPacket& out) {
  switch (link_type) {
    case kLinkEthernet:
      if (frame.size() < 14) return DecodeStatus::kTruncatedLinkHeader;
      return decodeEtherType(be16(frame.data() + 12), frame.subspan(14), out);
    case kLinkLinuxSll:
      if (frame.size() < 16) return DecodeStatus::kTruncatedLinkHeader;
      out.direction = directionFromPacketType(be16(frame.data()));
      return decodeEtherType(be16(frame.data() + 14), frame.subspan(16), out);
    case kLinkLinuxSll2:
      if (frame.size() < 20) return DecodeStatus::kTruncatedLinkHeader;
      out.ifindex = be32(frame.data() + 4);
      out.direction = directionFromPacketType(frame[10]);
      return decodeEtherType(be16(frame.data()), frame.subspan(20), out);
    case kLinkRaw:
    case kDltRaw:
    case kDltRawOpenBsd:
      return decodeIp(frame, out);
    case kLinkIpv4:
      if (!frame.empty() && (frame[0] >> 4) != 4) return DecodeStatus::kBadIpVersion;
      return decodeIp(frame, out);
    case kLinkIpv6:
      if (!frame.empty() && (frame[0] >> 4) != 6) return DecodeStatus::kBadIpVersion;
      return decodeIp(frame, out);
    case kLinkPpp:
    case kLinkPppHdlc:
      return decodePpp(frame, out);
    case kLinkCiscoHdlc:
      if (frame.size() < 4) return DecodeStatus::kTruncatedLinkHeader;
      return decodeEtherType(be16(frame.data() + 2), frame.subspan(4), out);
    case kLinkNflog:
      return decodeNflog(frame, out);
    case kLinkPktap:
      return decodePktap(frame, out);
    case kLinkNull:
    case kLinkLoop: {
      if (frame.size() < 4) return DecodeStatus::kTruncatedLinkHeader;
      // DLT_NULL holds the address family in the writer's byte order,
      // DLT_LOOP in network order; the values that matter are small, so
      // whichever end holds a non-zero byte says which.
      std::uint32_t family = frame[0] == 0 && frame[1] == 0 ? be32(frame.data())
                                                            : (static_cast<std::uint32_t>(frame[3]) << 24) |
                                                                  (static_cast<std::uint32_t>(frame[2]) << 16) |
                                                                  (static_cast<std::uint32_t>(frame[1]) << 8) | frame[0];
      switch (family) {
        case 2:                          // AF_INET everywhere
        case 10: case 24: case 28: case 30:  // AF_INET6 on Linux, NetBSD/OpenBSD, FreeBSD, macOS
          return decodeIp(frame.subspan(4), out);
        default:
          return DecodeStatus::kIgnoredNotIp;
      }
    }
    default:
      return DecodeStatus::kUnsupportedLinkType;
  }
}

std::string_view decodeStatusName(DecodeStatus status) {
  switch (status) {
    case DecodeStatus::kOk: return "ok";
    case DecodeStatus::kIgnoredNotIp: return "not_ip";
    case DecodeStatus::kIgnoredNotUdpTcp: return "not_udp_tcp";
    case DecodeStatus::kIgnoredFragment: return "ip_fragment";
    case DecodeStatus::kUnsupportedLinkType: return "unsupported_link_type";
    case DecodeStatus::kTruncatedLinkHeader: return "truncated_link_header";
    case DecodeStatus::kTooManyLinkTags: return "too_many_link_tags";
    case DecodeStatus::kTruncatedIpHeader: return "truncated_ip_header";
    case DecodeStatus::kBadIpVersion: return "bad_ip_version";
    case DecodeStatus::kBadIpHeaderLength: return "bad_ip_header_length";
    case DecodeStatus::kBadIpTotalLength: return "bad_ip_total_length";
    case DecodeStatus::kTruncatedIpv6ExtensionHeader: return "truncated_ipv6_extension_header";
    case DecodeStatus::kTruncatedUdpHeader: return "truncated_udp_header";
    case DecodeStatus::kBadUdpLength: return "bad_udp_length";
    case DecodeStatus::kTruncatedTcpHeader: return "truncated_tcp_header";
    case DecodeStatus::kBadTcpHeaderLength: return "bad_tcp_header_length";
    case DecodeStatus::kTruncatedTunnelHeader: return "truncated_tunnel_header";
    case DecodeStatus::kTooManyTunnels: return "too_many_tunnels";
    case DecodeStatus::kCount: break;
  }
  return "unknown";
}

std::string_view tunnelKindName(TunnelKind kind) {
  switch (kind) {
    case TunnelKind::kNone: return "";
    case TunnelKind::kVxlan: return "vxlan";
    case TunnelKind::kGeneve: return "geneve";
    case TunnelKind::kGre: return "gre";
    case TunnelKind::kIpip: return "ipip";
    case TunnelKind::k6in4: return "6in4";
    case TunnelKind::k4in6: return "4in6";
    case TunnelKind::k6in6: return "6in6";
  }
  return "";
}

std::string describeTunnels(const DecodedPacket& packet) {
  std::string out;
  for (std::size_t i = packet.tunnel_depth; i-- > 0;) {
    const TunnelLayer& layer = packet.tunnels[i];
    if (!out.empty()) out += " in ";
    out += tunnelKindName(layer.kind);
    if (layer.has_id) {
      out += layer.kind == TunnelKind::kGre ? " key " : " vni ";
      out += std::to_string(layer.id);
    }
    out += ' ';
    out += layer.outer_src.toString();
    out += "->";
    out += layer.outer_dst.toString();
  }
  return out;
}

bool isMalformed(DecodeStatus status) {
  switch (status) {
    case DecodeStatus::kOk:
    case DecodeStatus::kIgnoredNotIp:
    case DecodeStatus::kIgnoredNotUdpTcp:
    case DecodeStatus::kIgnoredFragment:
      return false;
    default:
      return true;
  }
}

}  // namespace dnsleak::decode
