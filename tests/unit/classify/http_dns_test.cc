#include "classify/http_dns.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cctype>
#include <random>

#include "core/ip_address.h"
#include "packet_builder.h"

namespace dnsleak::classify {
namespace {

using testing::Bytes;

struct Collected : HttpDnsFlows::Handler {
  std::vector<Bytes> messages;
  std::vector<bool> confirmed;
  void onHttpDnsMessage(const decode::DecodedPacket&, std::span<const std::uint8_t> message, bool c) override {
    messages.emplace_back(message.begin(), message.end());
    confirmed.push_back(c);
  }
};

// A segment of the connection 192.0.2.1:40000 -> 198.51.100.1:80 (or back).
decode::DecodedPacket segment(const Bytes& payload, std::uint32_t seq, bool from_client = true) {
  decode::DecodedPacket p;
  p.ip_protocol = 6;
  auto client = *core::IpAddress::parse("192.0.2.1"), server = *core::IpAddress::parse("198.51.100.1");
  p.src = from_client ? client : server;
  p.dst = from_client ? server : client;
  p.src_port = from_client ? 40000 : 80;
  p.dst_port = from_client ? 80 : 40000;
  p.tcp_seq = seq;
  p.payload = payload;
  return p;
}

Bytes text(const std::string& s) { return Bytes(s.begin(), s.end()); }

TEST(HttpDns, Base64UrlDecodesWithoutPaddingAndRefusesOtherAlphabets) {
  std::vector<std::uint8_t> out;
  ASSERT_TRUE(decodeBase64Url("AAABAAAB-_8", out));
  EXPECT_EQ(out, (std::vector<std::uint8_t>{0, 0, 1, 0, 0, 1, 0xfb, 0xff}));
  Bytes query = testing::DnsBuilder::query(0, "www.example.com", 1).build();
  ASSERT_TRUE(decodeBase64Url(testing::base64Url(query), out));
  EXPECT_EQ(out, query);
  EXPECT_FALSE(decodeBase64Url("AAAB+AAB", out));  // '+' is standard base64, not base64url
  EXPECT_FALSE(decodeBase64Url("A", out));         // no length leaves one character over
}

// The decoder was OpenSSL's EVP_DecodeBlock behind an alphabet check; it is
// hand-written now (the portable stages link no crypto library), and held
// to that first version on strings drawn from base64url, the standard
// alphabet and padding.
TEST(HttpDns, Base64UrlDecodesAsOpenSslDid) {
  auto reference = [](std::string_view in, std::vector<std::uint8_t>& out) {
    if (in.size() % 4 == 1) return false;
    std::string standard;
    for (char ch : in) {
      if (ch == '-') standard += '+';
      else if (ch == '_') standard += '/';
      else if (std::isalnum(static_cast<unsigned char>(ch))) standard += ch;
      else if (ch == '=') break;
      else return false;
    }
    std::size_t padding = (4 - standard.size() % 4) % 4;
    if (padding == 3) return false;
    standard.append(padding, '=');
    out.resize(standard.size() / 4 * 3);
    int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(standard.data()),
                            static_cast<int>(standard.size()));
    if (n < 0) return false;
    out.resize(static_cast<std::size_t>(n) - padding);
    return true;
  };
  std::mt19937 random(16);
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_-_=+/. ";
  std::size_t accepted = 0;
  for (int i = 0; i < 50000; ++i) {
    std::string in(random() % 40, ' ');
    // Mostly base64url, now and then a character of another alphabet.
    for (char& c : in) c = alphabet[random() % (random() % 8 == 0 ? alphabet.size() : 66)];
    std::vector<std::uint8_t> ours, theirs;
    bool ok = decodeBase64Url(in, ours);
    ASSERT_EQ(ok, reference(in, theirs)) << in;
    if (ok) {
      ASSERT_EQ(ours, theirs) << in;
      ++accepted;
    }
  }
  EXPECT_GT(accepted, 10000u);
}

TEST(HttpDns, PlainWebTrafficIsNeverFollowed) {
  HttpDnsFlows flows;
  Collected got;
  Bytes get = text("GET /index.html HTTP/1.1\r\nHost: www.example.com\r\n\r\n");
  EXPECT_FALSE(flows.addSegment(segment(get, 1), got));
  EXPECT_EQ(flows.connectionCount(), 0u);
}

TEST(HttpDns, ChunkedBodiesAreCountedAsUnsupportedAndTheConnectionDropped) {
  HttpDnsFlows flows;
  Collected got;
  Bytes post = text("POST /dns-query HTTP/1.1\r\nContent-Type: application/dns-message\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n");
  EXPECT_TRUE(flows.addSegment(segment(post, 1), got));
  EXPECT_EQ(flows.counters().get(HttpDnsEvent::kUnsupported), 1u);
  EXPECT_EQ(flows.connectionCount(), 0u);
  EXPECT_TRUE(got.messages.empty());
}

TEST(HttpDns, RetransmittedSegmentsAreNotReadTwice) {
  HttpDnsFlows flows;
  Collected got;
  Bytes q = testing::DnsBuilder::query(0, "once.example.com", 1).build();
  Bytes post = text("POST /q HTTP/1.1\r\ncontent-type: application/dns-message\r\ncontent-length: " +
                    std::to_string(q.size()) + "\r\n\r\n");
  post.insert(post.end(), q.begin(), q.end());
  flows.addSegment(segment(post, 1), got);
  flows.addSegment(segment(post, 1), got);
  ASSERT_EQ(got.messages.size(), 1u);
  EXPECT_EQ(got.messages[0], q);
  EXPECT_TRUE(got.confirmed[0]);
}

TEST(HttpDns, Http2HeaderBlockThatDoesNotDecodeEndsFollowing) {
  HttpDnsFlows flows;
  Collected got;
  Bytes first = testing::Http2Writer::preface();
  // A HEADERS frame whose block is an HPACK index far past both tables.
  Bytes bad = {0, 0, 2, 1, 0x05, 0, 0, 0, 1, 0xff, 0x7f};
  first.insert(first.end(), bad.begin(), bad.end());
  EXPECT_TRUE(flows.addSegment(segment(first, 1), got));
  EXPECT_EQ(flows.counters().get(HttpDnsEvent::kMalformed), 1u);
  EXPECT_EQ(flows.connectionCount(), 0u);
}

TEST(HttpDns, Http2ResponseIsFollowedOnlyFromTheServersFirstFrame) {
  HttpDnsFlows flows;
  Collected got;
  testing::Http2Writer to_server, to_client;
  Bytes request = testing::Http2Writer::preface();
  Bytes q = testing::DnsBuilder::query(0, "h2.example.com", 1).build();
  for (const Bytes& part :
       {testing::Http2Writer::settings(),
        to_server.headers(1, {{":method", "POST"}, {":path", "/dns-query"}, {"content-type", "application/dns-message"}},
                          false),
        testing::Http2Writer::data(1, q, true)}) {
    request.insert(request.end(), part.begin(), part.end());
  }
  flows.addSegment(segment(request, 1), got);
  ASSERT_EQ(got.messages.size(), 1u);
  // Server bytes that are not a frame's start are ignored until one is.
  EXPECT_TRUE(flows.addSegment(segment(text("junk from the middle"), 500, false), got));
  Bytes a = testing::DnsBuilder::response(0, "h2.example.com", 1).build();
  Bytes response = testing::Http2Writer::settings();
  for (const Bytes& part : {to_client.headers(1, {{":status", "200"}, {"content-type", "application/dns-message"}}, false),
                            testing::Http2Writer::data(1, a, true)}) {
    response.insert(response.end(), part.begin(), part.end());
  }
  flows.addSegment(segment(response, 900, false), got);
  ASSERT_EQ(got.messages.size(), 2u);
  EXPECT_EQ(got.messages[1], a);
}

}  // namespace
}  // namespace dnsleak::classify

namespace dnsleak::classify {
namespace {

// The start of a DoH POST on the client port `port`, its body still to come:
// a followed connection that stays open.
decode::DecodedPacket opening(std::uint16_t port, int second) {
  static const Bytes post = text("POST /dns-query HTTP/1.1\r\ncontent-type: application/dns-message\r\n"
                                 "content-length: 40\r\n\r\n");
  decode::DecodedPacket p = segment(post, 1);
  p.src_port = port;
  p.time = core::Timestamp(std::chrono::seconds(second));
  return p;
}

// A later segment of the same request: the connection is used again.
decode::DecodedPacket more(std::uint16_t port, int second) {
  static const Bytes body(4, 0);
  decode::DecodedPacket p = segment(body, 1 + static_cast<std::uint32_t>(opening(port, 0).payload.size()));
  p.src_port = port;
  p.time = core::Timestamp(std::chrono::seconds(second));
  return p;
}

TEST(HttpDns, AFullTableGivesUpTheConnectionUsedLeastRecently) {
  HttpDnsFlows flows({.max_connections = 3});
  Collected got;
  for (std::uint16_t port : {1000, 1001, 1002}) ASSERT_TRUE(flows.addSegment(opening(port, 1), got));
  ASSERT_TRUE(flows.addSegment(more(1000, 2), got));  // the first opened is the last used
  ASSERT_TRUE(flows.addSegment(opening(1003, 3), got));
  EXPECT_EQ(flows.connectionCount(), 3u);
  EXPECT_EQ(flows.counters().get(HttpDnsEvent::kFlowEvicted), 1u);
  // 1001 went: a segment of it is no longer one of a followed connection,
  // while 1000, 1002 and 1003 still are.
  EXPECT_FALSE(flows.addSegment(more(1001, 4), got));
  for (std::uint16_t port : {1000, 1002, 1003}) EXPECT_TRUE(flows.addSegment(more(port, 4), got)) << port;
}

TEST(HttpDns, IdleConnectionsAreForgottenWhenTheNextOneOpens) {
  HttpDnsFlows flows({.max_connections = 100, .idle_timeout = std::chrono::seconds(60)});
  Collected got;
  ASSERT_TRUE(flows.addSegment(opening(2000, 0), got));
  ASSERT_TRUE(flows.addSegment(opening(2001, 50), got));
  ASSERT_TRUE(flows.addSegment(more(2000, 55), got));  // used again: idle from 55
  ASSERT_TRUE(flows.addSegment(opening(2002, 111), got));  // 2001 idle 61 s, 2000 56 s
  EXPECT_EQ(flows.connectionCount(), 2u);
  EXPECT_FALSE(flows.addSegment(more(2001, 112), got));
  EXPECT_TRUE(flows.addSegment(more(2000, 112), got));
  EXPECT_EQ(flows.counters().get(HttpDnsEvent::kFlowEvicted), 0u);  // expired, not evicted
}

// A flood of new connections holds the bound, and each one past it gives
// up exactly one: the table stays whole through many turns.
TEST(HttpDns, AFloodOfConnectionsHoldsTheBound) {
  HttpDnsFlows flows({.max_connections = 64});
  Collected got;
  for (int i = 0; i < 5000; ++i) {
    ASSERT_TRUE(flows.addSegment(opening(static_cast<std::uint16_t>(3000 + i), 1 + i / 1000), got));
    ASSERT_LE(flows.connectionCount(), 64u);
  }
  EXPECT_EQ(flows.counters().get(HttpDnsEvent::kFlowEvicted), 5000u - 64u);
  for (int i = 5000 - 64; i < 5000; ++i) EXPECT_TRUE(flows.addSegment(more(static_cast<std::uint16_t>(3000 + i), 6), got));
}

}  // namespace
}  // namespace dnsleak::classify
