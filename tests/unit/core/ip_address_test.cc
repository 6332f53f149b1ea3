#include "core/ip_address.h"

#include <gtest/gtest.h>

namespace dnsleak::core {
namespace {

TEST(IpAddress, ParseAndPrintRoundTrip) {
  EXPECT_EQ(IpAddress::parse("192.0.2.1")->toString(), "192.0.2.1");
  for (const char* v4 : {"0.0.0.0", "255.255.255.255", "10.0.99.100", "1.20.255.9"}) EXPECT_EQ(IpAddress::parse(v4)->toString(), v4);
  EXPECT_EQ(IpAddress::parse("2001:DB8:0:0::1")->toString(), "2001:db8::1");
  EXPECT_FALSE(IpAddress::parse("192.0.2"));
  EXPECT_FALSE(IpAddress::parse(""));
  EXPECT_FALSE(IpAddress::parse("example.com"));
}

TEST(IpAddress, Loopback) {
  EXPECT_TRUE(IpAddress::parse("127.0.0.53")->isLoopback());
  EXPECT_TRUE(IpAddress::parse("::1")->isLoopback());
  EXPECT_TRUE(IpAddress::parse("::ffff:127.0.0.1")->isLoopback());
  EXPECT_FALSE(IpAddress::parse("10.0.0.1")->isLoopback());
  EXPECT_FALSE(IpAddress::parse("::2")->isLoopback());
}

TEST(IpPrefix, ContainsRespectsLengthAndFamily) {
  auto p = *IpPrefix::parse("10.64.0.0/10");
  EXPECT_TRUE(p.contains(*IpAddress::parse("10.127.255.255")));
  EXPECT_FALSE(p.contains(*IpAddress::parse("10.128.0.0")));
  EXPECT_FALSE(p.contains(*IpAddress::parse("::a40:1")));
  auto v6 = *IpPrefix::parse("2001:db8::/33");
  EXPECT_TRUE(v6.contains(*IpAddress::parse("2001:db8:7fff::1")));
  EXPECT_FALSE(v6.contains(*IpAddress::parse("2001:db8:8000::1")));
  EXPECT_TRUE(IpPrefix::parse("0.0.0.0/0")->contains(*IpAddress::parse("203.0.113.1")));
}

TEST(IpPrefix, HostBitsAreMaskedAndBadLengthsRefused) {
  EXPECT_EQ(IpPrefix::parse("10.1.2.3/8")->toString(), "10.0.0.0/8");
  EXPECT_FALSE(IpPrefix::parse("10.0.0.0/33"));
  EXPECT_FALSE(IpPrefix::parse("10.0.0.0/"));
  EXPECT_FALSE(IpPrefix::parse("10.0.0.0/8x"));
  EXPECT_FALSE(IpPrefix::parse("::/129"));
}

}  // namespace
}  // namespace dnsleak::core
