#include "classify/quic_initial.h"

#include <gtest/gtest.h>

#include <string>

#include "classify/tls_client_hello.h"
#include "packet_builder.h"

namespace dnsleak::classify {
namespace {

std::vector<std::uint8_t> hex(const std::string& text) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < text.size(); i += 2) out.push_back(static_cast<std::uint8_t>(std::stoi(text.substr(i, 2), nullptr, 16)));
  return out;
}

template <std::size_t N>
std::string toHex(const std::array<std::uint8_t, N>& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (auto b : bytes) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0x0f]);
  }
  return out;
}

// RFC 9001 Appendix A.1: the client's Initial keys for DCID 8394c8f03e515708.
TEST(QuicInitial, Rfc9001ClientKeys) {
  QuicInitialKeys keys;
  ASSERT_TRUE(deriveClientInitialKeys(kQuicV1, hex("8394c8f03e515708"), keys));
  EXPECT_EQ(toHex(keys.key), "1f369613dd76d5467730efcbe3b1a22d");
  EXPECT_EQ(toHex(keys.iv), "fa044b2f42a3fd3b46fb255c");
  EXPECT_EQ(toHex(keys.hp), "9f50449e04a0e810283a1e9933adedd2");
}

// Keys come from a per-thread cache of recent DCIDs: the same DCID is
// derived once, and a cache full of others (or another version with the
// same DCID) never hands out the wrong keys.
TEST(QuicInitial, KeysOfARecentDcidAreNotDerivedAgain) {
  QuicInitialKeys first, again, v2;
  auto dcid = hex("8394c8f03e515708");
  ASSERT_TRUE(deriveClientInitialKeys(kQuicV1, dcid, first));
  const auto derived = quicKeysDerivedOnThisThread();
  ASSERT_TRUE(deriveClientInitialKeys(kQuicV1, dcid, again));
  EXPECT_EQ(quicKeysDerivedOnThisThread(), derived);
  EXPECT_EQ(toHex(again.key), toHex(first.key));
  ASSERT_TRUE(deriveClientInitialKeys(kQuicV2, dcid, v2));
  EXPECT_EQ(quicKeysDerivedOnThisThread(), derived + 1);
  EXPECT_EQ(toHex(v2.hp), "45b95e15235d6f45a6b19cbcb0294ba9");
  std::vector<std::string> keys;
  for (int round = 0; round < 2; ++round) {
    for (std::uint32_t i = 0; i < 500; ++i) {
      std::vector<std::uint8_t> id = {static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i), 7};
      id.resize(1 + i % 20, static_cast<std::uint8_t>(i));  // lengths 1..20
      QuicInitialKeys k;
      ASSERT_TRUE(deriveClientInitialKeys(kQuicV1, id, k));
      std::string text = toHex(k.key) + toHex(k.iv) + toHex(k.hp);
      if (round == 0) {
        keys.push_back(text);
      } else {
        ASSERT_EQ(text, keys[i]) << "DCID " << i;
      }
    }
  }
  QuicInitialKeys unknown;
  EXPECT_FALSE(deriveClientInitialKeys(0xfaceb002, dcid, unknown));
  EXPECT_FALSE(deriveClientInitialKeys(0xfaceb002, dcid, unknown)) << "remembered as having no keys";
}

// RFC 9001 Appendix A.2: the header protection sample and mask.
TEST(QuicInitial, Rfc9001HeaderProtectionMask) {
  QuicInitialKeys keys;
  ASSERT_TRUE(deriveClientInitialKeys(kQuicV1, hex("8394c8f03e515708"), keys));
  auto sample = hex("d1b1c98dd7689fb8ec11d242b123dc9b");
  std::array<std::uint8_t, 5> mask;
  ASSERT_TRUE(headerProtectionMask(keys.hp, std::span<const std::uint8_t, 16>(sample.data(), 16), mask));
  EXPECT_EQ(toHex(mask), "437b9aec36");
}

// RFC 9369 Appendix A: QUIC v2's salt and labels give another hp key, and
// its sample its own mask.
TEST(QuicInitial, Rfc9369Version2) {
  QuicInitialKeys keys;
  ASSERT_TRUE(deriveClientInitialKeys(kQuicV2, hex("8394c8f03e515708"), keys));
  EXPECT_EQ(toHex(keys.hp), "45b95e15235d6f45a6b19cbcb0294ba9");
  auto sample = hex("ffe67b6abcdb4298b485dd04de806071");
  std::array<std::uint8_t, 5> mask;
  ASSERT_TRUE(headerProtectionMask(keys.hp, std::span<const std::uint8_t, 16>(sample.data(), 16), mask));
  EXPECT_EQ(toHex(mask), "94a0c95e80");
}

// The test builder's Initials (protected with OpenSSL's AES-GCM) open here:
// header protection off, AEAD tag verified, CRYPTO frame read.
TEST(QuicInitial, GeneratedInitialDecryptsToItsClientHello) {
  auto dcid = hex("0011223344556677");
  auto datagram = testing::quicInitial(dcid, "doq.example.net", {"doq"});
  EXPECT_EQ(datagram.size(), 1200u);
  QuicInitial out;
  ASSERT_EQ(decryptClientInitial(datagram, out), QuicInitialStatus::kOk);
  EXPECT_EQ(out.version, kQuicV1);
  EXPECT_EQ(out.dcid, dcid);
  ASSERT_EQ(out.crypto.size(), 1u);
  ClientHello hello;
  ASSERT_EQ(parseClientHelloMessage(out.crypto[0].data, hello), TlsParseStatus::kOk);
  EXPECT_EQ(hello.sni, "doq.example.net");
  EXPECT_EQ(hello.alpn, (std::vector<std::string>{"doq"}));
  datagram[600] ^= 1;  // one bit of ciphertext
  EXPECT_EQ(decryptClientInitial(datagram, out), QuicInitialStatus::kDecryptFailed);
}

// A post-quantum hello over two Initials, the second sent under the DCID the
// server chose but, as RFC 9001 section 5.2 says, protected with the keys
// of the first DCID (as in nDPI's quic_frags_different_dcid capture).
TEST(QuicInitial, LaterInitialUnderTheServersDcidKeepsTheFirstKeys) {
  auto first = hex("ac49898ddc4590e8");
  auto chosen = hex("0164bccb0bceb2de8f64afc9a9cea6a36437ab44");
  auto a = testing::quicInitial(first, "cdnjs.example.com", {"h3"}, {}, 0, 900, 1216);
  auto b = testing::quicInitial(chosen, "cdnjs.example.com", {"h3"}, first, 900, SIZE_MAX, 1216);
  QuicInitial out;
  EXPECT_EQ(decryptClientInitial(b, out), QuicInitialStatus::kDecryptFailed);  // not by its own DCID
  QuicHellos hellos;
  auto client = *core::IpAddress::parse("192.0.2.1"), server = *core::IpAddress::parse("198.51.100.1");
  core::Timestamp now{};
  EXPECT_EQ(hellos.add(a, client, 40000, server, 443, now), nullptr);
  const ClientHello* hello = hellos.add(b, client, 40000, server, 443, now);
  ASSERT_NE(hello, nullptr);
  EXPECT_EQ(hello->sni, "cdnjs.example.com");
  EXPECT_EQ(hellos.counters().get(QuicFlowEvent::kDecryptFailed), 0u);
}

// Full, the table gives up the connection whose first Initial came first
// (not the newest, as unordered_map's begin() often is): the others' hellos,
// begun before and completed after, still come out. Each goes `timeout`
// after its first Initial.
TEST(QuicInitial, AFullTableGivesUpTheConnectionSeenFirst) {
  QuicHellos hellos({/*max_connections=*/2, std::chrono::seconds(30)});
  auto client = *core::IpAddress::parse("192.0.2.1"), server = *core::IpAddress::parse("198.51.100.1");
  auto dcid = [](std::uint8_t n) { return testing::Bytes{n, 1, 2, 3, 4, 5, 6, 7}; };
  auto half = [&](std::uint8_t n, bool first) {
    return testing::quicInitial(dcid(n), "c" + std::to_string(n) + ".example", {"h3"}, {}, first ? 0 : 900,
                                first ? 900 : SIZE_MAX, 1216);
  };
  auto at = [](int second) { return core::Timestamp(std::chrono::seconds(second)); };
  for (std::uint8_t n = 1; n <= 3; ++n) EXPECT_EQ(hellos.add(half(n, true), client, n, server, 443, at(n)), nullptr);
  EXPECT_EQ(hellos.counters().get(QuicFlowEvent::kFlowEvicted), 1u);
  for (std::uint8_t n = 2; n <= 3; ++n) {
    const ClientHello* hello = hellos.add(half(n, false), client, n, server, 443, at(4));
    ASSERT_NE(hello, nullptr) << int(n);
    EXPECT_EQ(hello->sni, "c" + std::to_string(n) + ".example");
  }
  EXPECT_EQ(hellos.add(half(1, false), client, 1, server, 443, at(5)), nullptr);  // its first half went
  EXPECT_EQ(hellos.counters().get(QuicFlowEvent::kFlowEvicted), 2u);              // and port 2 with it
  EXPECT_EQ(hellos.add(half(4, true), client, 4, server, 443, at(34)), nullptr);  // 31 s after port 3's first
  EXPECT_EQ(hellos.connections(), 2u);
  EXPECT_EQ(hellos.add(half(5, true), client, 5, server, 443, at(36)), nullptr);  // 31 s after port 1's
  EXPECT_EQ(hellos.connections(), 2u);
  EXPECT_EQ(hellos.counters().get(QuicFlowEvent::kFlowEvicted), 2u);  // expired, not evicted
}

TEST(QuicInitial, UnknownVersionsAndShortHeadersAreNotInitials) {
  QuicInitialKeys keys;
  EXPECT_FALSE(deriveClientInitialKeys(0xfaceb002, hex("0102"), keys));  // mvfst: its own salt
  EXPECT_TRUE(deriveClientInitialKeys(0xff00001d, hex("0102"), keys));   // draft-29 is known
  QuicInitial out;
  std::vector<std::uint8_t> short_header(1200, 0x40);
  EXPECT_EQ(decryptClientInitial(short_header, out), QuicInitialStatus::kNotInitial);
  std::vector<std::uint8_t> garbage(1200, 0xc0);  // long header, version 0xc0c0c0c0
  EXPECT_EQ(decryptClientInitial(garbage, out), QuicInitialStatus::kNotInitial);
}

TEST(QuicInitial, DamagedInitialFailsTheTagAndTruncatedOneIsMalformed) {
  // A v1 Initial header with DCID 8394c8f03e515708 and a payload of junk:
  // the AEAD tag cannot verify.
  auto packet = hex("c000000001088394c8f03e5157080000449e");
  packet.resize(1200, 0x5a);
  QuicInitial out;
  EXPECT_EQ(decryptClientInitial(packet, out), QuicInitialStatus::kDecryptFailed);
  auto cut = hex("c000000001088394c8f03e5157080000449e");
  cut.resize(40, 0x5a);  // length 0x49e runs past the datagram
  EXPECT_EQ(decryptClientInitial(cut, out), QuicInitialStatus::kMalformed);
}

}  // namespace
}  // namespace dnsleak::classify
