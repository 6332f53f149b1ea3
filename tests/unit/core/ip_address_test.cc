#include "core/ip_address.h"

#include <arpa/inet.h>

#include <random>
#include <string>
#include <vector>

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

namespace dnsleak::core {
namespace {

// The by-hand text must be inet_ntop's, byte for byte: it is in every
// stored answer and reason, and users grep for it. Every pattern of zero
// words (which decides "::" and the dotted tails) with random other words,
// and random addresses besides.
TEST(AddressText, IsWhatInetNtopWrites) {
  std::mt19937 random(20261201);
  auto check = [](const std::uint8_t* bytes, bool v6) {
    char ours[kMaxAddressText];
    char theirs[INET6_ADDRSTRLEN];
    ASSERT_NE(inet_ntop(v6 ? AF_INET6 : AF_INET, bytes, theirs, sizeof theirs), nullptr);
    const std::size_t n = v6 ? formatIpv6(bytes, ours) : formatIpv4(bytes, ours);
    ASSERT_EQ(std::string(ours, n), std::string(theirs));
  };
  std::uint8_t b[16];
  for (int pattern = 0; pattern < 256; ++pattern) {
    for (int round = 0; round < 40; ++round) {
      for (int w = 0; w < 8; ++w) {
        std::uint16_t value = 0;
        if (pattern >> w & 1) {
          // Small, large and 0xffff words: leading zeros, and the mapped form.
          switch (random() % 4) {
            case 0: value = static_cast<std::uint16_t>(random() % 16); break;
            case 1: value = 0xffff; break;
            default: value = static_cast<std::uint16_t>(random());
          }
          if (value == 0) value = 1;
        }
        b[2 * w] = static_cast<std::uint8_t>(value >> 8);
        b[2 * w + 1] = static_cast<std::uint8_t>(value);
      }
      check(b, true);
    }
  }
  for (int i = 0; i < 100000; ++i) {
    for (auto& byte : b) byte = static_cast<std::uint8_t>(random());
    check(b, true);
    check(b, false);
  }
  for (int v = 0; v < 256; ++v) {
    const std::uint8_t v4[4] = {static_cast<std::uint8_t>(v), 0, 10, 255};
    check(v4, false);
  }
  EXPECT_EQ(IpAddress::parse("::ffff:192.0.2.1")->toString(), "::ffff:192.0.2.1");
  EXPECT_EQ(IpAddress::parse("2001:db8:0:0:1:0:0:1")->toString(), "2001:db8::1:0:0:1");
}

}  // namespace
}  // namespace dnsleak::core

// IpAddress::parse reads text by hand (no platform header): the platform's
// inet_pton is the reference, for addresses written every way and for
// strings drawn from their characters.
namespace dnsleak::core {
namespace {

std::optional<IpAddress> byInetPton(const std::string& text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  std::uint8_t out[16];
  if (inet_pton(AF_INET, text.c_str(), out) == 1) return IpAddress::v4(out);
  if (inet_pton(AF_INET6, text.c_str(), out) == 1) return IpAddress::v6(out);
  return std::nullopt;
}

TEST(IpAddressParse, AgreesWithInetPton) {
  std::vector<std::string> cases = {"0.0.0.0", "255.255.255.255", "256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4",
                                    "1.2.3.04", "1..2.3", ".1.2.3", "1.2.3.", "::", "::1", "1::", "1:2:3:4:5:6:7:8",
                                    "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8::", "1:2:3:4:5:6:7:8:9",
                                    ":::", "1:::2", ":1::2", "1::2:", "12345::", "::ffff:192.0.2.1", "::192.0.2.1",
                                    "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4", "::ffff:1.2.3", "::1.2.3.04",
                                    "fe80::1%eth0", "FE80::ABCD", "2001:db8::", "2001:DB8:0:0:0:0:0:1", " 1.2.3.4",
                                    "1.2.3.4 ", "", "::0.0.0.0", "0::", "1:2::3:4:5:6:7", "1:2:3:4:5:6:7:8:"};
  std::uint32_t x = 7;
  auto next = [&] {
    x = x * 1103515245u + 12345u;
    return (x >> 16) & 0x7fff;
  };
  const std::string chars = "0123456789abcdefABCDEF:.::..x ";
  for (int n = 0; n < 100000; ++n) {
    std::string s;
    for (int i = next() % 20; i > 0; --i) s += chars[next() % chars.size()];
    cases.push_back(s);
  }
  // Real addresses in every spelling inet_ntop and people write.
  for (int n = 0; n < 20000; ++n) {
    std::uint8_t b[16];
    for (auto& byte : b) byte = next() % 4 == 0 ? 0 : static_cast<std::uint8_t>(next());
    char text[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, b, text, sizeof text);
    cases.emplace_back(text);
    inet_ntop(AF_INET, b, text, sizeof text);
    cases.emplace_back(text);
  }
  for (const auto& c : cases) {
    auto ours = IpAddress::parse(c);
    auto reference = byInetPton(c);
    ASSERT_EQ(ours.has_value(), reference.has_value()) << "'" << c << "'";
    if (ours) EXPECT_TRUE(*ours == *reference) << "'" << c << "'";
  }
}

}  // namespace
}  // namespace dnsleak::core
