#include <gtest/gtest.h>

#include "classify/classifier.h"
#include "classify/dns_parser.h"
#include "packet_builder.h"

namespace dnsleak::classify {
namespace {

using testing::Bytes;
using testing::DnsBuilder;

// RFC 1001 first-level encoding of a 15-character, space-padded name and
// its suffix byte.
std::string netbiosEncode(std::string name, unsigned char suffix) {
  name.resize(15, ' ');
  name.push_back(static_cast<char>(suffix));
  std::string out;
  for (unsigned char c : name) {
    out.push_back(static_cast<char>('A' + (c >> 4)));
    out.push_back(static_cast<char>('A' + (c & 0x0f)));
  }
  return out;
}

TEST(NetbiosName, DecodesNameAndSuffixAsTsharkPrintsThem) {
  std::string name = netbiosEncode("WORKGROUP", 0x1d);
  ASSERT_TRUE(decodeNetbiosName(name));
  EXPECT_EQ(name, "WORKGROUP<1d>");
  std::string wildcard = netbiosEncode(std::string("*") + std::string(14, '\0'), 0x00);
  ASSERT_TRUE(decodeNetbiosName(wildcard));
  EXPECT_EQ(wildcard, "*" + std::string("<00>") + "<00><00><00><00><00><00><00><00><00><00><00><00><00><00>");
  std::string scoped = netbiosEncode("HOST", 0x20) + ".corp.example";
  ASSERT_TRUE(decodeNetbiosName(scoped));
  EXPECT_EQ(scoped, "HOST<20>.corp.example");
}

TEST(NetbiosName, OtherNamesAreLeftAlone) {
  std::string dns = "www.example.com";
  EXPECT_FALSE(decodeNetbiosName(dns));
  EXPECT_EQ(dns, "www.example.com");
  std::string almost(32, 'Q');  // 'Q' is outside A..P
  EXPECT_FALSE(decodeNetbiosName(almost));
}

class LooksLikeDns : public ::testing::Test {
 protected:
  bool check(const Bytes& m) {
    core::DnsInfo info;
    DnsParseStatus records = DnsParseStatus::kOk;
    std::size_t end = 0;
    if (parseDnsMessage(m, info, records, &end) != DnsParseStatus::kOk) return false;
    return records == DnsParseStatus::kOk && end == m.size() && looksLikeDns(info);
  }
};

TEST_F(LooksLikeDns, OrdinaryQueriesAndResponses) {
  EXPECT_TRUE(check(DnsBuilder::query(1, "www.example.com", 1).build()));
  EXPECT_TRUE(check(DnsBuilder::query(1, "_dns.resolver.arpa", 64).edns().build()));
  EXPECT_TRUE(check(DnsBuilder::response(1, "a.example", 1).answerA("a.example", "192.0.2.1").build()));
  EXPECT_TRUE(check(DnsBuilder::response(1, "nx.example", 28, 3).build()));
}

TEST_F(LooksLikeDns, ThingsThatOnlyResembleDns) {
  EXPECT_FALSE(check(DnsBuilder(1, 0x0100).build()));                                  // no question
  EXPECT_FALSE(check(DnsBuilder::query(1, "a.example", 1).question("b.example", 1).build()));  // two
  EXPECT_FALSE(check(DnsBuilder::query(1, "a.example", 4242).build()));                 // unknown type
  EXPECT_FALSE(check(DnsBuilder::query(1, "a.example", 1).answerA("a.example", "192.0.2.1").build()));
  EXPECT_FALSE(check(DnsBuilder::query(1, "bad name!.example", 1).build()));
  DnsBuilder chaos(1, 0x0100);
  chaos.question("version.bind", 16, 3);  // CHAOS class
  EXPECT_FALSE(check(chaos.build()));
  Bytes trailing = DnsBuilder::query(1, "a.example", 1).build();
  trailing.push_back(0);
  EXPECT_FALSE(check(trailing));
  // A QUIC long-header Initial's first bytes, and plain noise.
  Bytes quic = {0xc3, 0, 0, 0, 1, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0x44, 0xe6};
  quic.resize(1200, 0x5a);
  EXPECT_FALSE(check(quic));
  Bytes noise(300);
  for (std::size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<std::uint8_t>(i * 131 + 7);
  EXPECT_FALSE(check(noise));
}

TEST(TransportForPorts, KnownPortsOnEitherEnd) {
  EXPECT_EQ(transportForPorts(core::kIpProtoUdp, 40000, 53), core::Transport::kDnsUdp);
  EXPECT_EQ(transportForPorts(core::kIpProtoTcp, 53, 40000), core::Transport::kDnsTcp);
  EXPECT_EQ(transportForPorts(core::kIpProtoUdp, 5353, 5353), core::Transport::kMdns);
  EXPECT_EQ(transportForPorts(core::kIpProtoUdp, 50000, 5355), core::Transport::kLlmnr);
  EXPECT_EQ(transportForPorts(core::kIpProtoTcp, 5355, 50000), core::Transport::kLlmnr);
  EXPECT_EQ(transportForPorts(core::kIpProtoUdp, 137, 137), core::Transport::kNbns);
  EXPECT_EQ(transportForPorts(core::kIpProtoTcp, 137, 50000), core::Transport::kUnspecified);
  EXPECT_EQ(transportForPorts(core::kIpProtoUdp, 53, 5353), core::Transport::kDnsUdp);  // 53 wins
  EXPECT_EQ(transportForPorts(core::kIpProtoUdp, 40000, 8053), core::Transport::kUnspecified);
}

}  // namespace
}  // namespace dnsleak::classify
