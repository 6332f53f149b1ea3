#include "classify/tls_flows.h"

#include <gtest/gtest.h>

#include "decode/decoder.h"
#include "packet_builder.h"

namespace dnsleak::classify {
namespace {

using testing::Bytes;

class Recorder : public TlsFlows::Handler {
 public:
  void onTlsFlow(const decode::DecodedPacket&, const TlsFlows::Report& r) override {
    kinds.push_back(r.kind);
    snis.push_back(r.hello ? r.hello->sni : "-");
    from_client.push_back(r.from_client);
  }
  std::vector<core::MessageKind> kinds;
  std::vector<std::string> snis;
  std::vector<bool> from_client;
};

class TlsFlowsTest : public ::testing::Test {
 protected:
  void send(const char* src, std::uint16_t sport, const char* dst, std::uint16_t dport, std::uint32_t seq,
            std::uint8_t flags, const Bytes& payload) {
    packets_.push_back(testing::ipTcp({src, sport}, {dst, dport}, seq, flags, payload));
    decode::DecodedPacket p;
    ASSERT_EQ(decode::decodeIp(packets_.back(), p), decode::DecodeStatus::kOk);
    p.time = core::Timestamp(std::chrono::seconds(100));
    flows_.addSegment(p, 853, recorder_);
  }
  void fromClient(std::uint32_t seq, std::uint8_t flags, const Bytes& payload = {}) {
    send("192.0.2.1", 40000, "198.51.100.1", 853, seq, flags, payload);
  }
  void fromServer(std::uint32_t seq, std::uint8_t flags, const Bytes& payload = {}) {
    send("198.51.100.1", 853, "192.0.2.1", 40000, seq, flags, payload);
  }

  std::vector<Bytes> packets_;
  TlsFlows flows_;
  Recorder recorder_;
};

TEST_F(TlsFlowsTest, HelloOverTwoSegmentsIsReportedOnce) {
  Bytes hello = testing::tlsClientHello("dns.example", {"dot"}, 1216);
  fromClient(10, testing::kSyn);
  fromClient(11, testing::kAck, Bytes(hello.begin(), hello.begin() + 700));
  EXPECT_TRUE(recorder_.kinds.empty());
  fromClient(711, testing::kAck, Bytes(hello.begin() + 700, hello.end()));
  fromServer(500, testing::kAck, Bytes(100, 0x16));
  fromClient(static_cast<std::uint32_t>(11 + hello.size()), testing::kAck, Bytes(50, 0x17));
  ASSERT_EQ(recorder_.kinds.size(), 1u);
  EXPECT_EQ(recorder_.kinds[0], core::MessageKind::kHandshake);
  EXPECT_EQ(recorder_.snis[0], "dns.example");
  EXPECT_TRUE(recorder_.from_client[0]);
  EXPECT_EQ(flows_.bufferedBytes(), 0u);
}

TEST_F(TlsFlowsTest, HelloSegmentsOutOfOrderAreHeldAndReassembled) {
  Bytes hello = testing::tlsClientHello("reordered.example", {"dot"}, 1216);
  auto piece = [&](std::size_t from, std::size_t to) {
    return Bytes(hello.begin() + static_cast<std::ptrdiff_t>(from), hello.begin() + static_cast<std::ptrdiff_t>(to));
  };
  fromClient(10, testing::kSyn);
  fromClient(11 + 900, testing::kAck, piece(900, hello.size()));  // the last piece first
  fromClient(11 + 400, testing::kAck, piece(400, 900));
  EXPECT_TRUE(recorder_.kinds.empty());
  EXPECT_GT(flows_.bufferedBytes(), 0u);
  fromClient(11, testing::kAck, piece(0, 500));  // overlaps the held middle piece by 100 bytes
  ASSERT_EQ(recorder_.kinds.size(), 1u);
  EXPECT_EQ(recorder_.kinds[0], core::MessageKind::kHandshake);
  EXPECT_EQ(recorder_.snis[0], "reordered.example");
  EXPECT_EQ(flows_.counters().get(TlsFlowEvent::kReordered), 2u);
  EXPECT_EQ(flows_.bufferedBytes(), 0u);
}

TEST_F(TlsFlowsTest, MoreEarlySegmentsThanCanBeHeldGiveUpTheHello) {
  Bytes hello = testing::tlsClientHello("too-many.example", {"dot"}, 1216);
  fromClient(10, testing::kSyn);
  for (std::size_t i = 1; i <= kMaxEarlyHelloSegments + 1; ++i) {
    fromClient(static_cast<std::uint32_t>(11 + i * 100), testing::kAck,
               Bytes(hello.begin() + static_cast<std::ptrdiff_t>(i * 100),
                     hello.begin() + static_cast<std::ptrdiff_t>(i * 100 + 100)));
  }
  ASSERT_EQ(recorder_.kinds.size(), 1u);
  EXPECT_EQ(recorder_.kinds[0], core::MessageKind::kConnection);
  EXPECT_EQ(flows_.bufferedBytes(), 0u);
}

TEST_F(TlsFlowsTest, ConnectionSeenOnlyFromTheServerIsStillReported) {
  fromServer(500, testing::kAck, Bytes(100, 0x17));
  fromServer(600, testing::kAck, Bytes(100, 0x17));
  fromClient(20, testing::kAck, Bytes(30, 0x17));
  ASSERT_EQ(recorder_.kinds.size(), 1u);
  EXPECT_EQ(recorder_.kinds[0], core::MessageKind::kConnection);
  EXPECT_FALSE(recorder_.from_client[0]);
}

TEST_F(TlsFlowsTest, ClientBytesThatAreNotTlsAreAConnection) {
  fromClient(10, testing::kSyn);
  fromClient(11, testing::kAck, Bytes(40, 0x41));
  ASSERT_EQ(recorder_.kinds.size(), 1u);
  EXPECT_EQ(recorder_.kinds[0], core::MessageKind::kConnection);
  EXPECT_EQ(flows_.counters().get(TlsFlowEvent::kNotTls), 1u);
}

TEST_F(TlsFlowsTest, ConnectionClosedWithAPartialHelloIsReported) {
  Bytes hello = testing::tlsClientHello("cut.example", {"dot"}, 1216);
  fromClient(10, testing::kSyn);
  fromClient(11, testing::kAck, Bytes(hello.begin(), hello.begin() + 700));
  fromClient(711, testing::kRst, {});
  ASSERT_EQ(recorder_.kinds.size(), 1u);
  EXPECT_EQ(recorder_.kinds[0], core::MessageKind::kConnection);
  EXPECT_EQ(flows_.bufferedBytes(), 0u);
}

TEST_F(TlsFlowsTest, PacketsAfterTheCloseAreNotANewConnection) {
  fromClient(10, testing::kSyn);
  fromClient(11, testing::kAck, testing::tlsClientHello("late.example", {"dot"}));
  fromClient(900, testing::kFin | testing::kAck, {});
  fromServer(500, testing::kPsh | testing::kAck, Bytes(30, 0x15));  // the server's close_notify, late
  ASSERT_EQ(recorder_.kinds.size(), 1u);
  // A new connection on the same ports is reported again.
  fromClient(5000, testing::kSyn);
  fromClient(5001, testing::kAck, testing::tlsClientHello("again.example", {"dot"}));
  ASSERT_EQ(recorder_.kinds.size(), 2u);
  EXPECT_EQ(recorder_.snis[1], "again.example");
}

TEST(TlsFlowsLimits, TableAndBytesStayBounded) {
  TlsFlows flows({/*max_flows=*/8, /*max_buffered_bytes=*/4000, std::chrono::seconds(300)});
  Recorder recorder;
  std::vector<Bytes> packets;
  Bytes part = testing::tlsClientHello("x.example", {"dot"}, 1216);
  part.resize(900);  // every hello stays partial
  for (std::uint16_t port = 1000; port < 1040; ++port) {
    packets.push_back(testing::ipTcp({"192.0.2.1", port}, {"198.51.100.1", 853}, 1, testing::kAck, part));
    decode::DecodedPacket p;
    ASSERT_EQ(decode::decodeIp(packets.back(), p), decode::DecodeStatus::kOk);
    p.time = core::Timestamp(std::chrono::seconds(port));
    flows.addSegment(p, 853, recorder);
    EXPECT_LE(flows.flowCount(), 8u);
    EXPECT_LE(flows.bufferedBytes(), 4000u);
  }
  EXPECT_GT(flows.counters().get(TlsFlowEvent::kBufferLimit), 0u);
}

// A table of four, fed by hand: each client port is a connection to
// 198.51.100.1:853, each packet at the second given.
class TlsFlowsOrder : public ::testing::Test {
 protected:
  void segment(std::uint16_t port, int second, std::uint8_t flags) {
    packets_.push_back(testing::ipTcp({"192.0.2.1", port}, {"198.51.100.1", 853}, 1, flags, {}));
    decode::DecodedPacket p;
    ASSERT_EQ(decode::decodeIp(packets_.back(), p), decode::DecodeStatus::kOk);
    p.time = core::Timestamp(std::chrono::seconds(second));
    flows_.addSegment(p, 853, recorder_);
  }
  bool held(std::uint16_t port) {
    packets_.push_back(testing::ipTcp({"192.0.2.1", port}, {"198.51.100.1", 853}, 2, testing::kAck, {}));
    decode::DecodedPacket p;
    EXPECT_EQ(decode::decodeIp(packets_.back(), p), decode::DecodeStatus::kOk);
    std::uint16_t server_port = 0;
    return flows_.follows(p, server_port);
  }

  std::vector<Bytes> packets_;
  TlsFlows flows_{{/*max_flows=*/4, /*max_buffered_bytes=*/4000, std::chrono::seconds(300),
                   std::chrono::seconds(30)}};
  Recorder recorder_;
};

// Full, the table gives up the flow seen least recently: not the one that
// just opened (unordered_map's begin() often is), not one still talking.
TEST_F(TlsFlowsOrder, AFullTableGivesUpTheFlowSeenLeastRecently) {
  for (std::uint16_t port = 1; port <= 4; ++port) segment(port, port, testing::kSyn);
  segment(1, 5, testing::kAck);  // port 1 talks again: port 2 is now the least recent
  segment(5, 6, testing::kSyn);
  EXPECT_EQ(flows_.flowCount(), 4u);
  EXPECT_EQ(flows_.counters().get(TlsFlowEvent::kFlowEvicted), 1u);
  EXPECT_FALSE(held(2));
  for (std::uint16_t port : {1, 3, 4, 5}) EXPECT_TRUE(held(port)) << port;
  segment(6, 7, testing::kSyn);  // then port 3
  EXPECT_FALSE(held(3));
  EXPECT_TRUE(held(6));
}

TEST_F(TlsFlowsOrder, AClosedFlowGoesBeforeAnOpenOneOlderThanIt) {
  for (std::uint16_t port = 1; port <= 4; ++port) segment(port, port, testing::kSyn);
  segment(3, 5, testing::kAck | testing::kFin);
  segment(5, 6, testing::kSyn);
  EXPECT_FALSE(held(3));
  for (std::uint16_t port : {1, 2, 4, 5}) EXPECT_TRUE(held(port)) << port;
}

// Idle flows go when a later packet comes: a closed one after 30 s, an
// open one after 300 s.
TEST_F(TlsFlowsOrder, IdleFlowsGoAfterTheirTimeouts) {
  segment(1, 0, testing::kSyn);
  segment(2, 0, testing::kSyn);
  segment(2, 1, testing::kAck | testing::kRst);
  segment(3, 20, testing::kSyn);
  EXPECT_EQ(flows_.flowCount(), 3u);
  segment(3, 40, testing::kAck);  // 39 s after port 2 closed
  EXPECT_FALSE(held(2));
  EXPECT_TRUE(held(1));
  segment(3, 301, testing::kAck);  // 301 s after port 1 was last seen
  EXPECT_FALSE(held(1));
  EXPECT_TRUE(held(3));
  EXPECT_EQ(flows_.flowCount(), 1u);
  EXPECT_EQ(flows_.counters().get(TlsFlowEvent::kFlowEvicted), 0u);  // expired, not evicted
}

}  // namespace
}  // namespace dnsleak::classify
