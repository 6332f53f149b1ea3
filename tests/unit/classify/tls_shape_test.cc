// The shape of a TLS connection after its hello, for DNS over HTTPS to a
// server no list names (TlsFlows::followShape), and the weak name evidence.

#include <gtest/gtest.h>

#include "classify/classifier.h"
#include "classify/tls_flows.h"
#include "decode/decoder.h"
#include "packet_builder.h"

namespace dnsleak::classify {
namespace {

using namespace std::chrono_literals;
using testing::Bytes;

class ShapeRecorder : public TlsFlows::Handler {
 public:
  void onTlsFlow(const decode::DecodedPacket&, const TlsFlows::Report& r) override {
    if (r.follow_shape && follow) *r.follow_shape = true;
  }
  void onTlsShape(const decode::DecodedPacket&, const TlsShape& shape, bool from_client) override {
    shapes.push_back(shape);
    from_server.push_back(!from_client);
  }
  bool follow = true;
  std::vector<TlsShape> shapes;
  std::vector<bool> from_server;
};

class TlsShapeTest : public ::testing::Test {
 protected:
  void send(bool client, std::size_t size, std::chrono::milliseconds after = 10ms) {
    now_ += after;
    const testing::Peer c{"192.0.2.1", 40000}, s{"198.51.100.1", 8443};
    std::uint32_t& seq = client ? client_seq_ : server_seq_;
    Bytes payload = size == 0 ? hello_ : Bytes(size, 0x17);
    packets_.push_back(client ? testing::ipTcp(c, s, seq, testing::kAck | testing::kPsh, payload)
                              : testing::ipTcp(s, c, seq, testing::kAck | testing::kPsh, payload));
    seq += static_cast<std::uint32_t>(payload.size());
    decode::DecodedPacket p;
    ASSERT_EQ(decode::decodeIp(packets_.back(), p), decode::DecodeStatus::kOk);
    p.time = now_;
    flows_.addSegment(p, 8443, recorder_);
  }
  // The hello, the server's flight, the client's Finished.
  void handshake() {
    send(true, 0);
    send(false, 1400);
    send(false, 250);
  }
  void exchange(std::size_t request = 120, std::size_t response = 180, std::chrono::milliseconds wait = 5ms) {
    send(true, request, 200ms);
    send(false, response, wait);
  }

  Bytes hello_ = testing::tlsClientHello("resolver.private.test", {"h2", "http/1.1"});
  core::Timestamp now_ = core::Timestamp(1000s);
  std::uint32_t client_seq_ = 1, server_seq_ = 1;
  std::vector<Bytes> packets_;
  TlsFlows flows_;
  ShapeRecorder recorder_;
};

TEST_F(TlsShapeTest, SmallExchangesAreReportedOnceAtTheSixth) {
  handshake();
  for (int n = 0; n < 5; ++n) exchange();
  EXPECT_TRUE(recorder_.shapes.empty());
  exchange(110, 300);
  ASSERT_EQ(recorder_.shapes.size(), 1u);
  const TlsShape& s = recorder_.shapes[0];
  EXPECT_EQ(s.sni, "resolver.private.test");
  EXPECT_EQ(s.alpn, (std::vector<std::string>{"h2", "http/1.1"}));
  EXPECT_EQ(s.exchanges, 6);
  EXPECT_EQ(s.request_bytes, 5u * 120 + 110);
  EXPECT_EQ(s.response_bytes, 5u * 180 + 300);
  EXPECT_EQ(s.large, 0);  // the server's 1400-byte handshake flight is not counted
  EXPECT_EQ(s.responses[5] - s.responses[0], 5 * 205ms);
  EXPECT_TRUE(recorder_.from_server[0]);
  for (int n = 0; n < 20; ++n) exchange();
  EXPECT_EQ(recorder_.shapes.size(), 1u);
  EXPECT_EQ(flows_.shapesFollowed(), 1u);
  EXPECT_EQ(flows_.shapesReported(), 1u);
}

TEST_F(TlsShapeTest, APageIsNotDnsShaped) {
  handshake();
  for (int n = 0; n < 10; ++n) {
    send(true, 90, 200ms);
    for (int k = 0; k < 4; ++k) send(false, 1448, 1ms);  // a page: full segments
    send(false, 300, 1ms);
  }
  EXPECT_TRUE(recorder_.shapes.empty());
}

TEST_F(TlsShapeTest, ResponsesTooLargeOrTooLateAreNoExchanges) {
  handshake();
  for (int n = 0; n < 10; ++n) exchange(120, 1100);  // over 1000 bytes
  for (int n = 0; n < 10; ++n) exchange(120, 180, 1500ms);  // answered after a second
  for (int n = 0; n < 10; ++n) exchange(700, 180);  // requests over 600 bytes
  EXPECT_TRUE(recorder_.shapes.empty());
}

TEST_F(TlsShapeTest, OnlyTheFirstSegmentsAreFollowed) {
  handshake();
  for (int n = 0; n < 70; ++n) exchange(120, 1100);
  for (int n = 0; n < 10; ++n) exchange();  // past kShapeSegments each way: not looked at
  EXPECT_TRUE(recorder_.shapes.empty());
}

TEST_F(TlsShapeTest, NothingIsFollowedUnlessTheHandlerAsks) {
  recorder_.follow = false;
  handshake();
  for (int n = 0; n < 10; ++n) exchange();
  EXPECT_TRUE(recorder_.shapes.empty());
  EXPECT_EQ(flows_.shapesFollowed(), 0u);
}

TEST(ResolverLikeName, ResolverWordsAsLabelsOnly) {
  for (const char* name : {"dns.example.net", "doh.corp.example", "resolver.private.test", "dns1.example.org",
                           "doh-eu.example.com", "secure-dns.example", "DNS.Example.COM"}) {
    EXPECT_TRUE(resolverLikeName(name)) << name;
  }
  for (const char* name : {"www.example.com", "dnsimple.com", "dns", "example.dns", "windows.net", "mydns.example",
                           "api.dnsfilter.example", ""}) {
    EXPECT_FALSE(resolverLikeName(name)) << name;
  }
}

}  // namespace
}  // namespace dnsleak::classify
