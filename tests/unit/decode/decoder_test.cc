#include "decode/decoder.h"

#include <gtest/gtest.h>

#include "packet_builder.h"

namespace dnsleak::decode {
namespace {

using testing::Bytes;
using testing::DnsBuilder;

Bytes sampleIpv4() { return testing::ipUdp({"192.0.2.1", 40000}, {"198.51.100.1", 53}, {1, 2, 3, 4}); }

TEST(Decoder, EthernetIpv4UdpGivesAddressesPortsAndPayload) {
  Bytes frame = testing::ethernet(sampleIpv4());
  DecodedPacket p;
  ASSERT_EQ(decodeFrame(kLinkEthernet, frame, p), DecodeStatus::kOk);
  EXPECT_EQ(p.ip_version, 4);
  EXPECT_EQ(p.src.toString(), "192.0.2.1");
  EXPECT_EQ(p.dst.toString(), "198.51.100.1");
  EXPECT_EQ(p.src_port, 40000);
  EXPECT_EQ(p.dst_port, 53);
  ASSERT_EQ(p.payload.size(), 4u);
  EXPECT_EQ(p.payload[3], 4);
  EXPECT_EQ(p.direction, core::Direction::kUnknown);
}

TEST(Decoder, VlanAndQinQTagsAreSkipped) {
  DecodedPacket p;
  EXPECT_EQ(decodeFrame(kLinkEthernet, testing::ethernet(sampleIpv4(), {10}), p), DecodeStatus::kOk);
  EXPECT_EQ(decodeFrame(kLinkEthernet, testing::ethernet(sampleIpv4(), {10, 20}), p), DecodeStatus::kOk);
  EXPECT_EQ(p.dst_port, 53);
}

TEST(Decoder, GreInsideVxlanIsTakenOffLayerByLayer) {
  Bytes inner = testing::ipPacket("10.0.0.1", "10.0.0.2", 47, testing::gre(0x0800, sampleIpv4(), 77));
  Bytes frame = testing::ethernet(
      testing::ipUdp({"203.0.113.1", 1000}, {"203.0.113.2", 4789}, testing::vxlan(5, testing::ethernet(inner))));
  DecodedPacket p;
  ASSERT_EQ(decodeFrame(kLinkEthernet, frame, p), DecodeStatus::kOk);
  EXPECT_EQ(p.src.toString(), "192.0.2.1");
  EXPECT_EQ(p.dst_port, 53);
  ASSERT_EQ(p.tunnel_depth, 2);
  EXPECT_EQ(p.tunnels[0].kind, TunnelKind::kVxlan);
  EXPECT_EQ(p.tunnels[0].id, 5u);
  EXPECT_EQ(p.tunnels[1].kind, TunnelKind::kGre);
  EXPECT_EQ(p.tunnels[1].outer_src.toString(), "10.0.0.1");
  EXPECT_EQ(describeTunnels(p), "gre key 77 10.0.0.1->10.0.0.2 in vxlan vni 5 203.0.113.1->203.0.113.2");
}

TEST(Decoder, VxlanPortWithoutAFrameInsideStaysPlainUdp) {
  Bytes payload(30, 0x08);  // the I flag is set, but what follows is no Ethernet frame carrying IP
  Bytes frame = testing::ethernet(testing::ipUdp({"203.0.113.1", 1000}, {"203.0.113.2", 4789}, payload));
  DecodedPacket p;
  ASSERT_EQ(decodeFrame(kLinkEthernet, frame, p), DecodeStatus::kOk);
  EXPECT_EQ(p.tunnel_depth, 0);
  EXPECT_EQ(p.dst_port, 4789);
  EXPECT_EQ(p.payload.size(), 30u);
  EXPECT_EQ(describeTunnels(p), "");
}

TEST(Decoder, TunnelsNestedTooDeepAreRefused) {
  Bytes packet = sampleIpv4();
  for (std::size_t i = 0; i <= kMaxTunnelDepth; ++i) packet = testing::ipPacket("203.0.113.1", "203.0.113.2", 4, packet);
  DecodedPacket p;
  EXPECT_EQ(decodeFrame(kLinkEthernet, testing::ethernet(packet), p), DecodeStatus::kTooManyTunnels);
  EXPECT_TRUE(isMalformed(DecodeStatus::kTooManyTunnels));
}

TEST(Decoder, GreWithSourceRoutingOrAnUnknownVersionIsNotTakenApart) {
  Bytes routed = testing::gre(0x0800, sampleIpv4());
  routed[0] |= 0x40;
  Bytes v2 = testing::gre(0x0800, sampleIpv4());
  v2[1] = 2;
  for (const Bytes& g : {routed, v2}) {
    DecodedPacket p;
    EXPECT_EQ(decodeFrame(kLinkEthernet, testing::ethernet(testing::ipPacket("203.0.113.1", "203.0.113.2", 47, g)), p),
              DecodeStatus::kIgnoredNotUdpTcp);
  }
}

TEST(Decoder, EndlessVlanTagsAreRefused) {
  Bytes frame = testing::ethernet(sampleIpv4(), {1, 2, 3, 4, 5, 6});
  DecodedPacket p;
  EXPECT_EQ(decodeFrame(kLinkEthernet, frame, p), DecodeStatus::kTooManyLinkTags);
}

TEST(Decoder, Sll2GivesInterfaceIndexAndDirection) {
  DecodedPacket out;
  ASSERT_EQ(decodeFrame(kLinkLinuxSll2, testing::sll2(sampleIpv4(), 7, testing::kPacketOutgoing), out), DecodeStatus::kOk);
  EXPECT_EQ(out.ifindex, 7u);
  EXPECT_EQ(out.direction, core::Direction::kOutbound);
  DecodedPacket in;
  ASSERT_EQ(decodeFrame(kLinkLinuxSll2, testing::sll2(sampleIpv4(), 3, testing::kPacketHost), in), DecodeStatus::kOk);
  EXPECT_EQ(in.direction, core::Direction::kInbound);
}

TEST(Decoder, SllRawAndLoopbackLinkTypes) {
  DecodedPacket p;
  EXPECT_EQ(decodeFrame(kLinkLinuxSll, testing::sll(sampleIpv4(), 4), p), DecodeStatus::kOk);
  EXPECT_EQ(p.direction, core::Direction::kOutbound);
  EXPECT_EQ(decodeFrame(kLinkRaw, sampleIpv4(), p), DecodeStatus::kOk);
  EXPECT_EQ(decodeFrame(kDltRaw, sampleIpv4(), p), DecodeStatus::kOk);
  EXPECT_EQ(decodeFrame(kLinkIpv4, sampleIpv4(), p), DecodeStatus::kOk);
  EXPECT_EQ(decodeFrame(kLinkNull, testing::nullLoopback(sampleIpv4()), p), DecodeStatus::kOk);
  Bytes v6 = testing::ipUdp({"::1", 1}, {"::1", 53}, {9});
  EXPECT_EQ(decodeFrame(kLinkNull, testing::nullLoopback(v6), p), DecodeStatus::kOk);
  EXPECT_EQ(p.ip_version, 6);
  EXPECT_EQ(decodeFrame(kLinkIpv4, v6, p), DecodeStatus::kBadIpVersion);
}

TEST(Decoder, PppoeSessionInsideEthernet) {
  Bytes ip = sampleIpv4();
  Bytes frame = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x88, 0x64,
                 0x11, 0x00, 0x12, 0x34, static_cast<std::uint8_t>((ip.size() + 2) >> 8),
                 static_cast<std::uint8_t>(ip.size() + 2), 0x00, 0x21};
  frame.insert(frame.end(), ip.begin(), ip.end());
  DecodedPacket p;
  ASSERT_EQ(decodeFrame(kLinkEthernet, frame, p), DecodeStatus::kOk);
  EXPECT_EQ(p.dst_port, 53);
}

TEST(Decoder, Ipv6WithExtensionHeadersReachesUdp) {
  Bytes ip = testing::ipUdp({"2001:db8::1", 5000}, {"2001:db8::2", 53}, {7, 7});
  // Insert an 8-byte hop-by-hop header between the fixed header and UDP.
  Bytes hop = {17, 0, 1, 4, 0, 0, 0, 0};
  ip[6] = 0;  // next header: hop-by-hop
  ip.insert(ip.begin() + 40, hop.begin(), hop.end());
  std::uint16_t length = static_cast<std::uint16_t>(ip.size() - 40);
  ip[4] = static_cast<std::uint8_t>(length >> 8);
  ip[5] = static_cast<std::uint8_t>(length);
  DecodedPacket p;
  ASSERT_EQ(decodeIp(ip, p), DecodeStatus::kOk);
  EXPECT_EQ(p.dst_port, 53);
  EXPECT_EQ(p.payload.size(), 2u);
}

TEST(Decoder, TruncatedIpv6ExtensionHeaderIsMalformed) {
  Bytes ip = testing::ipUdp({"2001:db8::1", 5000}, {"2001:db8::2", 53}, {});
  ip[6] = 60;  // destination options, but only 8 bytes of UDP follow...
  ip[41] = 5;  // ...claiming 48 bytes
  DecodedPacket p;
  EXPECT_EQ(decodeIp(ip, p), DecodeStatus::kTruncatedIpv6ExtensionHeader);
}

TEST(Decoder, MalformedHeadersAreNamed) {
  DecodedPacket p;
  EXPECT_EQ(decodeFrame(kLinkEthernet, Bytes{1, 2, 3}, p), DecodeStatus::kTruncatedLinkHeader);
  EXPECT_EQ(decodeFrame(kLinkLinuxSll2, Bytes(10, 0), p), DecodeStatus::kTruncatedLinkHeader);
  EXPECT_EQ(decodeIp(Bytes{0x45, 0, 0}, p), DecodeStatus::kTruncatedIpHeader);
  EXPECT_EQ(decodeIp(Bytes{}, p), DecodeStatus::kTruncatedIpHeader);

  Bytes bad_ihl = sampleIpv4();
  bad_ihl[0] = 0x44;
  EXPECT_EQ(decodeIp(bad_ihl, p), DecodeStatus::kBadIpHeaderLength);

  Bytes bad_total = sampleIpv4();
  bad_total[2] = 0;
  bad_total[3] = 10;
  EXPECT_EQ(decodeIp(bad_total, p), DecodeStatus::kBadIpTotalLength);

  Bytes bad_udp = sampleIpv4();
  bad_udp[20 + 4] = 0x40;  // UDP length 16k in a 32-byte packet
  EXPECT_EQ(decodeIp(bad_udp, p), DecodeStatus::kBadUdpLength);

  Bytes short_udp = sampleIpv4();
  short_udp[20 + 5] = 4;
  short_udp[20 + 4] = 0;
  EXPECT_EQ(decodeIp(short_udp, p), DecodeStatus::kBadUdpLength);

  Bytes tcp = testing::ipTcp({"192.0.2.1", 1}, {"192.0.2.2", 53}, 1, testing::kAck, {});
  tcp[20 + 12] = 0x20;  // data offset 8 bytes
  EXPECT_EQ(decodeIp(tcp, p), DecodeStatus::kBadTcpHeaderLength);

  EXPECT_EQ(decodeFrame(9999, sampleIpv4(), p), DecodeStatus::kUnsupportedLinkType);
  EXPECT_EQ(decodeIp(Bytes{0x50, 0, 0, 0}, p), DecodeStatus::kBadIpVersion);
}

TEST(Decoder, NonFirstFragmentsAreSkippedNotMisread) {
  Bytes frag = sampleIpv4();
  frag[6] = 0x00;
  frag[7] = 0x10;  // offset 128 bytes
  DecodedPacket p;
  EXPECT_EQ(decodeIp(frag, p), DecodeStatus::kIgnoredFragment);
  EXPECT_FALSE(isMalformed(DecodeStatus::kIgnoredFragment));
}

TEST(Decoder, SnaplenCutUdpIsDecodedAsFarAsItGoes) {
  Bytes ip = testing::ipUdp({"192.0.2.1", 40000}, {"198.51.100.1", 53}, Bytes(100, 0xab));
  ip.resize(60);  // the capture kept 60 of 128 bytes
  DecodedPacket p;
  ASSERT_EQ(decodeIp(ip, p), DecodeStatus::kOk);
  EXPECT_TRUE(p.truncated);
  EXPECT_EQ(p.missing, 68u);
  EXPECT_EQ(p.payload.size(), 32u);
}

// Where the capture holds the whole frame, an IP length reaching past it
// lies: malformed, not "cut by the snap length". Decided per layer: inside
// a tunnel whose outer packet is whole, the inner packet cannot be cut.
TEST(Decoder, LengthPastAWholeCaptureIsMalformedNotCut) {
  Bytes ip = testing::ipUdp({"192.0.2.1", 40000}, {"198.51.100.1", 53}, Bytes(100, 0xab));
  ip.resize(60);
  DecodedPacket whole;
  whole.may_be_cut = false;
  EXPECT_EQ(decodeIp(ip, whole), DecodeStatus::kBadIpTotalLength);
  EXPECT_TRUE(isMalformed(DecodeStatus::kBadIpTotalLength));

  Bytes ip6 = testing::ipUdp({"2001:db8::1", 40000}, {"2001:db8::53", 53}, Bytes(100, 0xab));
  ip6.resize(80);
  DecodedPacket whole6;
  whole6.may_be_cut = false;
  EXPECT_EQ(decodeIp(ip6, whole6), DecodeStatus::kBadIpTotalLength);
  DecodedPacket cut6;
  ASSERT_EQ(decodeIp(ip6, cut6), DecodeStatus::kOk);
  EXPECT_TRUE(cut6.truncated);
  EXPECT_EQ(cut6.missing, 68u);  // 148 bytes, 80 kept

  // An IP-in-IP packet captured whole whose inner length lies: the outer
  // layer is whole, so the inner one was not cut.
  Bytes inner = testing::ipUdp({"10.0.0.1", 40000}, {"10.0.0.53", 53}, Bytes(40, 0xab));
  inner[3] = static_cast<std::uint8_t>(inner[3] + 20);  // 20 bytes more than there are
  Bytes outer = testing::ipUdp({"192.0.2.1", 1}, {"198.51.100.1", 2}, inner);
  outer[9] = 4;  // protocol IP-in-IP; the UDP header is now read as the inner IP header
  Bytes tunnel(outer.begin(), outer.begin() + 20);
  tunnel.insert(tunnel.end(), inner.begin(), inner.end());
  tunnel[2] = static_cast<std::uint8_t>(tunnel.size() >> 8);
  tunnel[3] = static_cast<std::uint8_t>(tunnel.size());
  DecodedPacket lying;
  EXPECT_EQ(decodeIp(tunnel, lying), DecodeStatus::kBadIpTotalLength);
}

TEST(Decoder, EthernetPaddingIsNotPayload) {
  Bytes frame = testing::ethernet(sampleIpv4());
  frame.resize(frame.size() + 12, 0);  // padded to the Ethernet minimum
  DecodedPacket p;
  ASSERT_EQ(decodeFrame(kLinkEthernet, frame, p), DecodeStatus::kOk);
  EXPECT_EQ(p.payload.size(), 4u);
}

TEST(Decoder, TcpGivesSequenceAndFlags) {
  Bytes ip = testing::ipTcp({"192.0.2.1", 1234}, {"192.0.2.2", 53}, 0xdeadbeef, testing::kPsh | testing::kAck, {1, 2});
  DecodedPacket p;
  ASSERT_EQ(decodeIp(ip, p), DecodeStatus::kOk);
  EXPECT_EQ(p.tcp_seq, 0xdeadbeefu);
  EXPECT_EQ(p.tcp_flags, testing::kPsh | testing::kAck);
  EXPECT_EQ(p.payload.size(), 2u);
}

}  // namespace
}  // namespace dnsleak::decode

namespace dnsleak::decode {
namespace {

Bytes prefixed(Bytes head, const Bytes& rest) {
  head.insert(head.end(), rest.begin(), rest.end());
  return head;
}

TEST(Decoder, PppWithAndWithoutFramingAndCompressedFields) {
  const Bytes ip = testing::ipUdp({"192.0.2.1", 40000}, {"198.51.100.1", 53}, {1, 2, 3, 4});
  DecodedPacket p;
  EXPECT_EQ(decodeFrame(kLinkPppHdlc, prefixed({0xff, 0x03, 0x00, 0x21}, ip), p), DecodeStatus::kOk);
  EXPECT_EQ(p.dst_port, 53);
  EXPECT_EQ(decodeFrame(kLinkPpp, prefixed({0x00, 0x21}, ip), p), DecodeStatus::kOk);  // address/control left out
  EXPECT_EQ(decodeFrame(kLinkPpp, prefixed({0x21}, ip), p), DecodeStatus::kOk);        // protocol compressed
  EXPECT_EQ(decodeFrame(kLinkPpp, prefixed({0xc0, 0x21}, ip), p), DecodeStatus::kIgnoredNotIp);  // LCP
  EXPECT_EQ(decodeFrame(kLinkPppHdlc, Bytes{0xff, 0x03}, p), DecodeStatus::kTruncatedLinkHeader);
  EXPECT_EQ(decodeFrame(kLinkCiscoHdlc, prefixed({0x0f, 0x00, 0x08, 0x00}, ip), p), DecodeStatus::kOk);
}

// An NFLOG attribute: length (with its own 4 bytes) and type in this
// host's byte order, the value padded to 4 bytes.
void attribute(Bytes& out, std::uint16_t type, const Bytes& value) {
  std::uint16_t length = static_cast<std::uint16_t>(4 + value.size());
  out.insert(out.end(), reinterpret_cast<const std::uint8_t*>(&length), reinterpret_cast<const std::uint8_t*>(&length) + 2);
  out.insert(out.end(), reinterpret_cast<const std::uint8_t*>(&type), reinterpret_cast<const std::uint8_t*>(&type) + 2);
  out.insert(out.end(), value.begin(), value.end());
  out.resize((out.size() + 3) & ~std::size_t{3}, 0);
}

TEST(Decoder, NflogGivesThePayloadItsInterfaceAndDirection) {
  const Bytes ip = testing::ipUdp({"192.0.2.1", 40000}, {"198.51.100.1", 53}, {1, 2, 3, 4});
  Bytes frame = {2, 0, 0, 20};
  attribute(frame, 10, {'l', 'o', 'g', 0, 0});  // prefix, odd length: padded
  attribute(frame, 5, {0, 0, 0, 7});            // NFULA_IFINDEX_OUTDEV
  attribute(frame, 9, ip);                      // NFULA_PAYLOAD
  DecodedPacket p;
  ASSERT_EQ(decodeFrame(kLinkNflog, frame, p), DecodeStatus::kOk);
  EXPECT_EQ(p.ifindex, 7u);
  EXPECT_EQ(p.direction, core::Direction::kOutbound);
  EXPECT_EQ(p.dst_port, 53);

  Bytes no_payload = {2, 0, 0, 20};
  attribute(no_payload, 10, {'x', 0});
  EXPECT_EQ(decodeFrame(kLinkNflog, no_payload, p), DecodeStatus::kIgnoredNotIp);
  Bytes bad_length = {2, 0, 0, 20, 2, 0, 9, 0};  // an attribute shorter than its own header
  EXPECT_EQ(decodeFrame(kLinkNflog, bad_length, p), DecodeStatus::kTruncatedLinkHeader);
  Bytes too_long = {2, 0, 0, 20, 200, 0, 9, 0, 0x45};
  EXPECT_EQ(decodeFrame(kLinkNflog, too_long, p), DecodeStatus::kTruncatedLinkHeader);
}

TEST(Decoder, PktapHeaderGivesTheInnerLinkType) {
  Bytes header(108, 0);
  header[0] = 108;  // length, little-endian
  header[8] = 1;    // DLT_EN10MB
  DecodedPacket p;
  ASSERT_EQ(decodeFrame(kLinkPktap, prefixed(header, testing::ethernet(sampleIpv4())), p), DecodeStatus::kOk);
  EXPECT_EQ(p.dst_port, 53);
  header[0] = 200;  // longer than the frame
  EXPECT_EQ(decodeFrame(kLinkPktap, prefixed(header, testing::ethernet(sampleIpv4())), p),
            DecodeStatus::kTruncatedLinkHeader);
  header[0] = 108;
  header[8] = static_cast<std::uint8_t>(kLinkPktap);  // PKTAP in PKTAP
  EXPECT_EQ(decodeFrame(kLinkPktap, prefixed(header, Bytes(40, 0)), p), DecodeStatus::kUnsupportedLinkType);
}

}  // namespace
}  // namespace dnsleak::decode
