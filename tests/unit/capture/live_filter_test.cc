#include <gtest/gtest.h>

#include "capture/capture_source.h"
#include "decode/decoder.h"
#include "packet_builder.h"

namespace dnsleak::capture {
namespace {

// Every link type a live capture can hand us must get a filter that
// compiles: one that does not would leave the capture unfiltered.
TEST(LiveFilter, CompilesForEveryDecodedLinkTypeWithAndWithoutTunnels) {
  for (int link_type : {decode::kLinkEthernet, decode::kLinkLinuxSll, decode::kLinkLinuxSll2, decode::kDltRaw,
                        decode::kLinkNull, decode::kLinkLoop, decode::kLinkPpp}) {
    for (bool tunnels : {false, true}) {
      for (bool connections : {false, true}) {
        EXPECT_EQ(filterError(link_type, liveFilter(link_type, tunnels, connections)), "")
            << "link type " << link_type << (tunnels ? " with tunnels" : "") << (connections ? " with SYNs" : "");
      }
    }
  }
}

TEST(LiveFilter, VlanClauseOnlyOnEthernetAndLast) {
  std::string ethernet = liveFilter(decode::kLinkEthernet, true);
  auto vlan = ethernet.find("vlan");
  ASSERT_NE(vlan, std::string::npos);
  // "vlan" shifts the offsets of whatever follows it.
  EXPECT_EQ(ethernet.find(" or ", vlan), std::string::npos);
  EXPECT_EQ(liveFilter(decode::kLinkLinuxSll2, true).find("vlan"), std::string::npos);
  EXPECT_NE(filterError(decode::kLinkLinuxSll2, "vlan and port 53"), "");  // why it must stay off SLL2
}

// The filter run over real frames, as the kernel runs it: what must pass
// and what must not. (A load past a packet's end drops the packet: a bare
// SYN once died that way in a clause meant for payloads.)
TEST(LiveFilter, FramesThatMustAndMustNotPass) {
  using testing::Bytes;
  const int sll2 = decode::kLinkLinuxSll2;
  auto frame = [](const Bytes& ip) { return testing::sll2(ip, 2, testing::kPacketOutgoing); };
  const std::string filter = liveFilter(sll2, false, true);
  const testing::Peer host{"192.0.2.10", 40000}, host6{"2001:db8::10", 40000};
  auto passes = [&](const Bytes& ip) { return filterPasses(sll2, filter, frame(ip)); };
  Bytes query = testing::DnsBuilder::query(1, "www.example.com", 1).build();
  EXPECT_TRUE(passes(testing::ipTcp(host, {"203.0.113.1", 8080}, 1, testing::kSyn, {})));
  EXPECT_TRUE(passes(testing::ipTcp(host6, {"2001:db8::1", 8080}, 1, testing::kSyn, {})));
  EXPECT_TRUE(passes(testing::ipUdp(host, {"198.51.100.1", 53}, query)));
  EXPECT_TRUE(passes(testing::ipUdp(host, {"198.51.100.1", 5300}, query)));
  EXPECT_TRUE(passes(testing::ipUdp(host6, {"2001:db8::1", 5300}, query)));
  EXPECT_TRUE(passes(testing::ipTcp(host, {"198.51.100.1", 5300}, 2, testing::kAck | testing::kPsh, testing::tcpFramed(query))));
  // To 443, the segments that open, push or close; a hello's first segment
  // by its content; not the client's bulk (issue 13: 74% of packets passed).
  for (std::uint8_t flags : {testing::kAck | testing::kPsh, testing::kFin | testing::kAck, int{testing::kRst}}) {
    EXPECT_TRUE(passes(testing::ipTcp(host, {"198.51.100.1", 443}, 2, flags, Bytes(10, 0x42)))) << int(flags);
    EXPECT_TRUE(passes(testing::ipTcp(host6, {"2001:db8::1", 443}, 2, flags, Bytes(10, 0x42)))) << int(flags);
  }
  Bytes first_of_hello = testing::tlsClientHello("doh.example.net", {"h2"});
  first_of_hello.resize(600);
  EXPECT_TRUE(passes(testing::ipTcp(host, {"198.51.100.1", 443}, 2, testing::kAck, first_of_hello)));
  EXPECT_TRUE(passes(testing::ipTcp(host6, {"2001:db8::1", 443}, 2, testing::kAck, first_of_hello)));
  EXPECT_FALSE(passes(testing::ipTcp(host, {"198.51.100.1", 443}, 2, testing::kAck, Bytes(1400, 0x42))));
  EXPECT_FALSE(passes(testing::ipTcp(host6, {"2001:db8::1", 443}, 2, testing::kAck, Bytes(1400, 0x42))));
  EXPECT_TRUE(passes(testing::ipUdp(host, {"198.51.100.1", 443}, testing::quicInitial({1, 2, 3, 4}, "a.example", {"h3"}))));
  // DoH away from 443: a ClientHello on any TCP port, QUIC on any UDP port.
  Bytes hello = testing::tlsClientHello("doh.example.net", {"h2"});
  EXPECT_TRUE(passes(testing::ipTcp(host, {"198.51.100.1", 8443}, 2, testing::kAck | testing::kPsh, hello)));
  EXPECT_TRUE(passes(testing::ipTcp(host6, {"2001:db8::1", 8443}, 2, testing::kAck | testing::kPsh, hello)));
  EXPECT_TRUE(passes(testing::ipUdp(host, {"198.51.100.1", 8443}, testing::quicInitial({1, 2, 3, 4}, "a.example", {"h3"}))));
  EXPECT_TRUE(passes(testing::ipUdp(host6, {"2001:db8::1", 8443}, testing::quicInitial({1, 2, 3, 4}, "a.example", {"h3"}))));
  Bytes application_data = hello;
  application_data[0] = 0x17;  // TLS after the handshake: not passed on ports the shape is not followed on
  EXPECT_FALSE(passes(testing::ipTcp(host, {"198.51.100.1", 8444}, 9, testing::kAck | testing::kPsh, application_data)));
  // The shape of HTTPS on 443 and 8443, for DoH to servers no list names:
  // small pushed segments of both sides; not a page's bulk, nor what is
  // not pushed.
  const testing::Peer server{"198.51.100.1", 443}, server6{"2001:db8::1", 443};
  const testing::Peer alt{"198.51.100.1", 8443}, alt6{"2001:db8::1", 8443};
  for (const auto& [from, to] : {std::pair{server, host}, std::pair{server6, host6}, std::pair{alt, host},
                                 std::pair{alt6, host6}, std::pair{host, alt}, std::pair{host6, alt6}}) {
    EXPECT_TRUE(passes(testing::ipTcp(from, to, 9, testing::kAck | testing::kPsh, Bytes(180, 0x17)))) << from.address;
    EXPECT_FALSE(passes(testing::ipTcp(from, to, 9, testing::kAck | testing::kPsh, Bytes(1400, 0x17)))) << from.address;
    EXPECT_FALSE(passes(testing::ipTcp(from, to, 9, testing::kAck, Bytes(180, 0x17)))) << from.address;
  }
  EXPECT_FALSE(passes(testing::ipUdp(host, {"198.51.100.1", 9999}, Bytes(40, 0x5a))));
  EXPECT_FALSE(passes(testing::ipTcp(host, {"203.0.113.1", 8080}, 2, testing::kAck, Bytes(40, 0x5a))));
  EXPECT_FALSE(passes(testing::ipTcp(host, {"203.0.113.1", 8080}, 2, testing::kAck, {})));
  EXPECT_FALSE(filterPasses(sll2, liveFilter(sll2, false, false),
                            frame(testing::ipTcp(host, {"203.0.113.1", 8080}, 1, testing::kSyn, {}))));
}

TEST(LiveFilter, TunnelsAreLetThroughOnlyWhenAsked) {
  EXPECT_EQ(liveFilter(decode::kLinkLinuxSll2, false).find("4789"), std::string::npos);
  EXPECT_NE(liveFilter(decode::kLinkLinuxSll2, true).find("4789"), std::string::npos);
  EXPECT_NE(liveFilter(decode::kLinkLinuxSll2, true).find("proto 47"), std::string::npos);
}

}  // namespace
}  // namespace dnsleak::capture
