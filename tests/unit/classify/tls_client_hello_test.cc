#include "classify/tls_client_hello.h"

#include <gtest/gtest.h>

#include "packet_builder.h"

namespace dnsleak::classify {
namespace {

using testing::Bytes;

TEST(TlsClientHello, SniAndAlpn) {
  ClientHello hello;
  ASSERT_EQ(parseTlsClientHello(testing::tlsClientHello("dns.example.net", {"h2", "http/1.1"}), hello),
            TlsParseStatus::kOk);
  EXPECT_EQ(hello.sni, "dns.example.net");
  EXPECT_EQ(hello.alpn, (std::vector<std::string>{"h2", "http/1.1"}));
  EXPECT_FALSE(hello.ech);
}

TEST(TlsClientHello, WithoutServerName) {
  ClientHello hello;
  ASSERT_EQ(parseTlsClientHello(testing::tlsClientHello("", {"dot"}), hello), TlsParseStatus::kOk);
  EXPECT_EQ(hello.sni, "");
  EXPECT_EQ(hello.alpn, std::vector<std::string>{"dot"});
}

TEST(TlsClientHello, EveryPrefixNeedsMoreAndTheWholeParses) {
  // A hybrid post-quantum key share (X25519MLKEM768 and X25519) and the
  // rest make real ClientHellos about 1.8 kB: more than one 1460-byte segment.
  Bytes full = testing::tlsClientHello("big.example.org", {"dot"}, 1600);
  ASSERT_GT(full.size(), 1460u);
  ClientHello hello;
  for (std::size_t n = 1; n < full.size(); n += 37) {
    EXPECT_EQ(parseTlsClientHello(std::span(full).first(n), hello), TlsParseStatus::kNeedMore) << n;
  }
  EXPECT_EQ(parseTlsClientHello(full, hello), TlsParseStatus::kOk);
  EXPECT_EQ(hello.sni, "big.example.org");
}

TEST(TlsClientHello, HandshakeSplitAcrossRecords) {
  Bytes one = testing::tlsClientHello("split.example", {"dot"});
  // Re-frame the handshake message as two records.
  Bytes message(one.begin() + 5, one.end());
  Bytes two;
  for (auto part : {Bytes(message.begin(), message.begin() + 50), Bytes(message.begin() + 50, message.end())}) {
    two.insert(two.end(), {0x16, 0x03, 0x03, static_cast<std::uint8_t>(part.size() >> 8),
                           static_cast<std::uint8_t>(part.size())});
    two.insert(two.end(), part.begin(), part.end());
  }
  ClientHello hello;
  ASSERT_EQ(parseTlsClientHello(two, hello), TlsParseStatus::kOk);
  EXPECT_EQ(hello.sni, "split.example");
}

TEST(TlsClientHello, OtherTrafficIsNotTls) {
  ClientHello hello;
  std::string get = "GET /dns-query?dns=AAAB HTTP/1.1\r\n";
  EXPECT_EQ(parseTlsClientHello(Bytes(get.begin(), get.end()), hello), TlsParseStatus::kNotTls);
  EXPECT_EQ(parseTlsClientHello(Bytes{0x17, 0x03, 0x03, 0x00, 0x10}, hello), TlsParseStatus::kNotTls);  // app data
  Bytes server_hello = testing::tlsClientHello("x.example", {});
  server_hello[5] = 2;
  EXPECT_EQ(parseTlsClientHello(server_hello, hello), TlsParseStatus::kNotClientHello);
}

TEST(TlsClientHello, LengthsThatDoNotAddUpAreMalformed) {
  Bytes bad = testing::tlsClientHello("x.example", {"dot"});
  // Claim a longer session id than the hello holds room for.
  bad[5 + 4 + 2 + 32] = 33;
  ClientHello hello;
  EXPECT_EQ(parseTlsClientHello(bad, hello), TlsParseStatus::kMalformed);
  Bytes bad_ext = testing::tlsClientHello("x.example", {"dot"});
  std::size_t sni_list_length = 5 + 4 + 2 + 32 + 1 + 32 + 2 + 4 + 2 + 2 + 4;
  bad_ext[sni_list_length] = 0x7f;
  EXPECT_EQ(parseTlsClientHello(bad_ext, hello), TlsParseStatus::kMalformed);
}

TEST(TlsClientHello, UnprintableNamesAreEscaped) {
  ClientHello hello;
  ASSERT_EQ(parseTlsClientHello(testing::tlsClientHello(std::string("a\x01\xff.example", 11), {}), hello),
            TlsParseStatus::kOk);
  EXPECT_EQ(hello.sni, "a\\001\\255.example");
}

TEST(TlsClientHello, EveryByteFlipIsSafe) {
  Bytes full = testing::tlsClientHello("flip.example", {"h2"}, 64);
  ClientHello hello;
  for (std::size_t i = 0; i < full.size(); ++i) {
    for (int v : {0x00, 0x7f, 0xff}) {
      Bytes flipped = full;
      flipped[i] = static_cast<std::uint8_t>(v);
      if (parseTlsClientHello(flipped, hello) == TlsParseStatus::kOk) {
        EXPECT_LE(hello.sni.size(), 4u * 65535u);
        EXPECT_LE(hello.alpn.size(), 16u);
      }
    }
  }
}

}  // namespace
}  // namespace dnsleak::classify
