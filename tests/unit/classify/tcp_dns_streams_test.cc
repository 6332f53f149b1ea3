#include "classify/tcp_dns_streams.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "classify/dns_parser.h"
#include "decode/decoder.h"
#include "packet_builder.h"

namespace dnsleak::classify {
namespace {

using testing::Bytes;
using testing::DnsBuilder;

// Collects the names of the messages the streams complete.
class Collector : public TcpDnsStreams::MessageHandler {
 public:
  void onTcpDnsMessage(const decode::DecodedPacket&, std::span<const std::uint8_t> message) override {
    core::DnsInfo info;
    DnsParseStatus records;
    if (parseDnsMessage(message, info, records) == DnsParseStatus::kOk) {
      names.push_back(info.qname);
    } else {
      names.push_back("<bad>");
    }
  }
  std::vector<std::string> names;
};

class TcpDnsStreamsTest : public ::testing::Test {
 protected:
  // `keep`: how many bytes of the IP packet the capture kept (0: all).
  void segment(std::uint32_t seq, std::uint8_t flags, const Bytes& payload, std::uint16_t src_port = 40000,
               std::size_t keep = 0) {
    packets_.push_back(testing::ipTcp({"192.0.2.1", src_port}, {"198.51.100.1", 53}, seq, flags, payload));
    if (keep != 0) packets_.back().resize(keep);
    decode::DecodedPacket p;
    ASSERT_EQ(decode::decodeIp(packets_.back(), p), decode::DecodeStatus::kOk);
    p.time = core::Timestamp(std::chrono::seconds(1000 + static_cast<int>(packets_.size())));
    streams_.addSegment(p, collector_);
  }
  static Bytes framed(const char* name) { return testing::tcpFramed(DnsBuilder::query(1, name, 1).build()); }

  std::vector<Bytes> packets_;
  TcpDnsStreams streams_;
  Collector collector_;
};

TEST_F(TcpDnsStreamsTest, SeveralMessagesInOneSegment) {
  Bytes both = framed("one.example");
  Bytes two = framed("two.example");
  both.insert(both.end(), two.begin(), two.end());
  segment(100, testing::kSyn, {});
  segment(101, testing::kAck, both);
  EXPECT_EQ(collector_.names, (std::vector<std::string>{"one.example", "two.example"}));
}

// A segment the snap length cut: the message wholly inside it is read, the
// one it cut is dropped, and the next segment is read at once, not held
// for bytes that will never come.
TEST_F(TcpDnsStreamsTest, SegmentCutByTheCaptureEndsItsMessageButNotTheStream) {
  Bytes first = framed("whole.example");
  Bytes cut = framed("cut-off.example");
  Bytes payload = first;
  payload.insert(payload.end(), cut.begin(), cut.end());
  segment(100, testing::kSyn, {});
  segment(101, testing::kAck, payload, 40000, /*keep=*/40 + first.size() + 10);
  EXPECT_EQ(collector_.names, (std::vector<std::string>{"whole.example"}));
  segment(101 + static_cast<std::uint32_t>(payload.size()), testing::kAck, framed("after.example"));
  EXPECT_EQ(collector_.names, (std::vector<std::string>{"whole.example", "after.example"}));
  EXPECT_EQ(streams_.counters().get(TcpStreamEvent::kCutSegment), 1u);
  EXPECT_EQ(streams_.counters().get(TcpStreamEvent::kGap), 0u);
}

TEST_F(TcpDnsStreamsTest, MessageSplitAcrossSegmentsIncludingTheLengthPrefix) {
  Bytes m = framed("split.example");
  segment(100, testing::kSyn, {});
  segment(101, testing::kAck, Bytes(m.begin(), m.begin() + 1));
  EXPECT_TRUE(collector_.names.empty());
  segment(102, testing::kAck, Bytes(m.begin() + 1, m.begin() + 9));
  EXPECT_TRUE(collector_.names.empty());
  segment(110, testing::kAck, Bytes(m.begin() + 9, m.end()));
  EXPECT_EQ(collector_.names, (std::vector<std::string>{"split.example"}));
}

TEST_F(TcpDnsStreamsTest, RetransmissionIsNotCountedTwice) {
  Bytes m = framed("once.example");
  segment(100, testing::kSyn, {});
  segment(101, testing::kAck, m);
  segment(101, testing::kAck, m);
  EXPECT_EQ(collector_.names.size(), 1u);
  EXPECT_EQ(streams_.counters().get(TcpStreamEvent::kRetransmitted), 1u);
}

TEST_F(TcpDnsStreamsTest, OverlappingRetransmissionContributesOnlyNewBytes) {
  Bytes m = framed("overlap.example");
  segment(100, testing::kSyn, {});
  segment(101, testing::kAck, Bytes(m.begin(), m.begin() + 10));
  segment(101, testing::kAck, m);  // resends the first 10 bytes and the rest
  EXPECT_EQ(collector_.names, (std::vector<std::string>{"overlap.example"}));
}

TEST_F(TcpDnsStreamsTest, SegmentsOutOfOrderAreHeldUntilTheGapFills) {
  Bytes a = framed("a.example"), b = framed("b.example"), c = framed("c.example");
  auto seq_b = static_cast<std::uint32_t>(101 + a.size());
  auto seq_c = static_cast<std::uint32_t>(seq_b + b.size());
  segment(100, testing::kSyn, {});
  segment(101, testing::kAck, a);
  segment(seq_c, testing::kAck, c);  // early
  EXPECT_EQ(collector_.names, (std::vector<std::string>{"a.example"}));
  segment(seq_b, testing::kAck, b);  // fills the gap
  EXPECT_EQ(collector_.names, (std::vector<std::string>{"a.example", "b.example", "c.example"}));
  EXPECT_EQ(streams_.counters().get(TcpStreamEvent::kReordered), 1u);
  EXPECT_EQ(streams_.counters().get(TcpStreamEvent::kGap), 0u);
  EXPECT_EQ(streams_.bufferedBytes(), 0u);
}

TEST_F(TcpDnsStreamsTest, AGapThatNeverFillsIsGivenUpAtTheClose) {
  Bytes m = framed("lost.example");
  Bytes next = framed("after.example");
  segment(100, testing::kSyn, {});
  segment(101, testing::kAck, Bytes(m.begin(), m.begin() + 5));
  auto seq_next = static_cast<std::uint32_t>(101 + m.size());
  segment(seq_next, testing::kAck, next);
  EXPECT_TRUE(collector_.names.empty());  // held: the gap may still fill
  segment(static_cast<std::uint32_t>(seq_next + next.size()), testing::kFin | testing::kAck, {});
  EXPECT_EQ(collector_.names, (std::vector<std::string>{"after.example"}));
  EXPECT_EQ(streams_.counters().get(TcpStreamEvent::kGap), 1u);
  EXPECT_EQ(streams_.flowCount(), 0u);
  EXPECT_EQ(streams_.bufferedBytes(), 0u);
}

TEST_F(TcpDnsStreamsTest, TooManyEarlySegmentsGiveTheGapUp) {
  segment(100, testing::kSyn, {});
  segment(101, testing::kAck, Bytes{0, 40, 1, 2});  // a message started, then lost bytes
  std::uint32_t seq = 1000;
  for (std::size_t i = 0; i <= kMaxEarlySegments; ++i) {
    Bytes m = framed(("m" + std::to_string(i) + ".example").c_str());
    segment(seq, testing::kAck, m);
    seq += static_cast<std::uint32_t>(m.size());
  }
  // The ninth early segment gives the gap up; the stream restarts there
  // and the eight held ones, now behind it, are dropped.
  EXPECT_EQ(collector_.names, (std::vector<std::string>{"m8.example"}));
  EXPECT_EQ(streams_.counters().get(TcpStreamEvent::kGap), 1u);
  EXPECT_EQ(streams_.bufferedBytes(), 0u);
}

TEST_F(TcpDnsStreamsTest, FlowSeenMidStreamStillYieldsMessages) {
  segment(5000, testing::kAck, framed("midstream.example"));
  EXPECT_EQ(collector_.names, (std::vector<std::string>{"midstream.example"}));
}

TEST_F(TcpDnsStreamsTest, FinRemovesTheFlow) {
  segment(100, testing::kSyn, {});
  segment(101, testing::kAck, Bytes{0});
  EXPECT_EQ(streams_.flowCount(), 1u);
  segment(102, testing::kFin | testing::kAck, {});
  EXPECT_EQ(streams_.flowCount(), 0u);
}

TEST_F(TcpDnsStreamsTest, ZeroLengthPrefixIsSkipped) {
  Bytes m = {0, 0};
  Bytes q = framed("after-zero.example");
  m.insert(m.end(), q.begin(), q.end());
  segment(100, testing::kSyn, {});
  segment(101, testing::kAck, m);
  EXPECT_EQ(collector_.names, (std::vector<std::string>{"after-zero.example"}));
  EXPECT_EQ(streams_.counters().get(TcpStreamEvent::kZeroLengthMessage), 1u);
}

TEST(TcpDnsStreamsLimits, FlowTableStaysBounded) {
  TcpDnsStreams streams({/*max_flows=*/8, std::chrono::seconds(60)});
  Collector collector;
  std::vector<Bytes> packets;
  for (std::uint16_t port = 1000; port < 1100; ++port) {
    packets.push_back(testing::ipTcp({"192.0.2.1", port}, {"198.51.100.1", 53}, 1, testing::kAck, {0, 40}));
    decode::DecodedPacket p;
    ASSERT_EQ(decode::decodeIp(packets.back(), p), decode::DecodeStatus::kOk);
    p.time = core::Timestamp(std::chrono::seconds(port));
    streams.addSegment(p, collector);
    EXPECT_LE(streams.flowCount(), 8u);
  }
  EXPECT_GE(streams.counters().get(TcpStreamEvent::kFlowEvicted), 92u);
}

// Full, the table gives up the direction seen least recently: the others'
// messages, begun before it and completed after, still come out.
TEST(TcpDnsStreamsLimits, AFullTableGivesUpTheDirectionSeenLeastRecently) {
  TcpDnsStreams streams({/*max_flows=*/4, std::chrono::seconds(60)});
  Collector collector;
  std::vector<Bytes> packets;
  std::vector<Bytes> messages;
  for (int n = 1; n <= 5; ++n) {
    messages.push_back(testing::tcpFramed(DnsBuilder::query(1, "p" + std::to_string(n) + ".example", 1).build()));
  }
  auto send = [&](std::uint16_t port, int second, std::size_t from, std::size_t to) {
    const Bytes& m = messages[port - 1];
    packets.push_back(testing::ipTcp({"192.0.2.1", port}, {"198.51.100.1", 53}, static_cast<std::uint32_t>(1 + from),
                                     testing::kAck, Bytes(m.begin() + from, m.begin() + to)));
    decode::DecodedPacket p;
    ASSERT_EQ(decode::decodeIp(packets.back(), p), decode::DecodeStatus::kOk);
    p.time = core::Timestamp(std::chrono::seconds(second));
    streams.addSegment(p, collector);
  };
  for (std::uint16_t port = 1; port <= 4; ++port) send(port, port, 0, 6);  // each begins its message
  send(1, 5, 6, 9);                                                         // port 1 again: port 2 is the least recent
  send(5, 6, 0, 6);                                                         // a fifth: one goes
  EXPECT_EQ(streams.counters().get(TcpStreamEvent::kFlowEvicted), 1u);
  for (std::uint16_t port : {1, 3, 4, 5, 2}) send(port, 7, port == 1 ? 9 : 6, messages[port - 1].size());
  ASSERT_GE(collector.names.size(), 4u);
  EXPECT_EQ(std::vector<std::string>(collector.names.begin(), collector.names.begin() + 4),
            (std::vector<std::string>{"p1.example", "p3.example", "p4.example", "p5.example"}));
  // Port 2's rest, seen anew mid-message, makes no message of its name.
  EXPECT_EQ(std::count(collector.names.begin(), collector.names.end(), "p2.example"), 0);
}

TEST(TcpDnsStreamsLimits, BufferedBytesStayWithinTheBudget) {
  TcpDnsStreams streams({/*max_flows=*/100, std::chrono::seconds(60), /*max_buffered_bytes=*/1000});
  Collector collector;
  std::vector<Bytes> packets;
  // Each flow starts a 60000-byte message and sends 400 bytes of it.
  Bytes start = {0xea, 0x60};
  start.resize(400, 0x41);
  for (std::uint16_t port = 2000; port < 2010; ++port) {
    packets.push_back(testing::ipTcp({"192.0.2.1", port}, {"198.51.100.1", 53}, 1, testing::kAck, start));
    decode::DecodedPacket p;
    ASSERT_EQ(decode::decodeIp(packets.back(), p), decode::DecodeStatus::kOk);
    p.time = core::Timestamp(std::chrono::seconds(1));
    streams.addSegment(p, collector);
    EXPECT_LE(streams.bufferedBytes(), 1000u);
  }
  EXPECT_EQ(streams.counters().get(TcpStreamEvent::kBufferLimit), 8u);  // two fit, eight do not
}

TEST_F(TcpDnsStreamsTest, BufferedBytesAreReleasedWhenMessagesComplete) {
  Bytes m = framed("released.example");
  segment(100, testing::kSyn, {});
  segment(101, testing::kAck, Bytes(m.begin(), m.begin() + 10));
  EXPECT_EQ(streams_.bufferedBytes(), 10u);
  segment(111, testing::kAck, Bytes(m.begin() + 10, m.end()));
  EXPECT_EQ(streams_.bufferedBytes(), 0u);
  segment(static_cast<std::uint32_t>(101 + m.size()), testing::kAck, Bytes(m.begin(), m.begin() + 4));
  EXPECT_EQ(streams_.bufferedBytes(), 4u);
  segment(static_cast<std::uint32_t>(105 + m.size()), testing::kFin | testing::kAck, {});
  EXPECT_EQ(streams_.bufferedBytes(), 0u);
}

}  // namespace
}  // namespace dnsleak::classify
