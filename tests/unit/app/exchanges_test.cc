#include "app/exchanges.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace dnsleak::app {
namespace {

using namespace std::chrono_literals;

core::Timestamp at(std::chrono::milliseconds ms) { return core::Timestamp(ms); }

core::Endpoint ep(const char* address, std::uint16_t port) { return {*core::IpAddress::parse(address), port}; }

core::Event query(const std::string& qname, std::uint16_t id, std::chrono::milliseconds time,
                  core::Transport transport = core::Transport::kDnsUdp) {
  core::Event e;
  e.time = at(time);
  e.kind = core::MessageKind::kQuery;
  e.transport = transport;
  e.ip_protocol = 17;
  e.source = ep("192.0.2.10", 40001);
  e.destination = ep("198.51.100.53", 53);
  e.resolver = e.destination;
  e.dns.id = id;
  e.dns.qname = qname;
  e.dns.qtype = 1;
  e.dns.question_count = 1;
  e.dns.recursion_desired = true;
  e.dns.size = 40;
  return e;
}

core::Event responseTo(const core::Event& q, std::chrono::milliseconds time, std::uint16_t rcode = 0) {
  core::Event e = q;
  e.time = at(time);
  e.kind = core::MessageKind::kResponse;
  std::swap(e.source, e.destination);
  e.dns.is_response = true;
  e.dns.rcode = rcode;
  e.dns.recursion_available = true;
  e.dns.answer_count = 1;
  e.dns.answers.push_back({q.dns.qname, 1, 300, "203.0.113.7", {}});
  e.dns.size = 56;
  return e;
}

class ExchangeTrackerTest : public ::testing::Test {
 protected:
  void add(core::Event e) {
    tracker_.add(e, [this](core::Event& out) { out_.push_back(out); });
  }
  void expire(core::Timestamp now) {
    tracker_.expire(now, [this](core::Event& out) { out_.push_back(out); });
  }
  std::uint64_t count(ExchangeEvent e) const { return tracker_.counters().get(e); }

  ExchangeTracker tracker_;
  std::vector<core::Event> out_;
};

TEST_F(ExchangeTrackerTest, QueryAndItsResponseAreOneEvent) {
  auto q = query("www.example.com", 7, 1000ms);
  add(q);
  EXPECT_TRUE(out_.empty());  // waits for its response
  EXPECT_EQ(tracker_.waiting(), 1u);
  add(responseTo(q, 1012ms, 3));
  ASSERT_EQ(out_.size(), 1u);
  const auto& e = out_[0];
  EXPECT_EQ(e.kind, core::MessageKind::kQuery);
  EXPECT_EQ(e.time, at(1000ms));
  EXPECT_TRUE(e.exchange.tracked);
  EXPECT_TRUE(e.exchange.answered);
  EXPECT_EQ(e.exchange.response_time, 12ms);
  EXPECT_EQ(e.exchange.response_size, 56u);
  // The response's outcome beside the query's own fields.
  EXPECT_EQ(e.dns.rcode, 3);
  EXPECT_EQ(e.dns.answer_count, 1u);
  ASSERT_EQ(e.dns.answers.size(), 1u);
  EXPECT_EQ(e.dns.answers[0].data, "203.0.113.7");
  EXPECT_TRUE(e.dns.recursion_available);
  EXPECT_TRUE(e.dns.recursion_desired);
  EXPECT_FALSE(e.dns.is_response);
  EXPECT_EQ(e.dns.size, 40u);
  EXPECT_EQ(e.source, q.source);
  EXPECT_EQ(tracker_.waiting(), 0u);
  EXPECT_EQ(count(ExchangeEvent::kAnswered), 1u);
  // Its deadline passing later changes nothing.
  expire(at(10'000ms));
  EXPECT_EQ(out_.size(), 1u);
  EXPECT_EQ(count(ExchangeEvent::kUnanswered), 0u);
}

TEST_F(ExchangeTrackerTest, QuestionCaseDoesNotMatterButItsNameTypeIdAndEndsDo) {
  auto q = query("WwW.ExAmPlE.cOm", 7, 0ms);  // 0x20 mixed case
  add(q);
  auto other_id = responseTo(q, 5ms);
  other_id.dns.id = 8;
  auto other_type = responseTo(q, 6ms);
  other_type.dns.qtype = 28;
  auto other_name = responseTo(q, 7ms);
  other_name.dns.qname = "www.example.net";
  auto other_port = responseTo(q, 8ms);
  other_port.destination.port = 40002;
  auto other_server = responseTo(q, 9ms);
  other_server.source = ep("198.51.100.54", 53);
  for (auto& r : {other_id, other_type, other_name, other_port, other_server}) add(r);
  ASSERT_EQ(out_.size(), 5u);
  for (const auto& e : out_) EXPECT_EQ(e.kind, core::MessageKind::kResponse);
  EXPECT_EQ(count(ExchangeEvent::kUnmatchedResponse), 5u);
  auto same = responseTo(q, 10ms);
  same.dns.qname = "www.example.com";
  add(same);
  ASSERT_EQ(out_.size(), 6u);
  EXPECT_TRUE(out_.back().exchange.answered);
  EXPECT_EQ(out_.back().dns.qname, "WwW.ExAmPlE.cOm");
}

TEST_F(ExchangeTrackerTest, UnansweredQueryGoesOutWhenItsWaitEnds) {
  add(query("nowhere.example.com", 1, 0ms));
  expire(at(1999ms));
  EXPECT_TRUE(out_.empty());
  EXPECT_EQ(tracker_.nextDeadline(), at(2000ms));
  // Any later event moves time on, as a packet would.
  add(query("later.example.com", 2, 2000ms));
  ASSERT_EQ(out_.size(), 1u);
  EXPECT_EQ(out_[0].dns.qname, "nowhere.example.com");
  EXPECT_TRUE(out_[0].exchange.tracked);
  EXPECT_FALSE(out_[0].exchange.answered);
  EXPECT_EQ(count(ExchangeEvent::kUnanswered), 1u);
  // A response after the wait is an event of its own.
  add(responseTo(query("nowhere.example.com", 1, 0ms), 2500ms));
  ASSERT_EQ(out_.size(), 2u);
  EXPECT_EQ(out_[1].kind, core::MessageKind::kResponse);
  expire(core::Timestamp::max());
  ASSERT_EQ(out_.size(), 3u);
  EXPECT_EQ(out_[2].dns.qname, "later.example.com");
  EXPECT_EQ(tracker_.nextDeadline(), core::Timestamp::max());
}

TEST_F(ExchangeTrackerTest, QuerySentAgainWhileWaitingIsTheSameExchange) {
  auto q = query("retry.example.com", 9, 0ms);
  add(q);
  add(query("retry.example.com", 9, 1000ms));
  add(responseTo(q, 1010ms));
  ASSERT_EQ(out_.size(), 1u);
  EXPECT_EQ(out_[0].exchange.response_time, 1010ms);  // from the first
  EXPECT_EQ(count(ExchangeEvent::kRepeatedQuery), 1u);
}

TEST_F(ExchangeTrackerTest, ARoutedQueryIsOneExchangePerInterfaceItCrosses) {
  auto in = query("routed.example.com", 11, 0ms);
  in.interface.index = 4;  // from a container's veth
  auto out = in;
  out.interface.index = 2;  // out through the uplink
  out.time = at(1ms);
  add(in);
  add(out);
  auto back = responseTo(out, 9ms);
  add(back);
  auto back_in = responseTo(in, 10ms);
  add(back_in);
  ASSERT_EQ(out_.size(), 2u);
  EXPECT_EQ(out_[0].interface.index, 2u);
  EXPECT_EQ(out_[1].interface.index, 4u);
  for (const auto& e : out_) EXPECT_TRUE(e.exchange.answered);
  EXPECT_EQ(count(ExchangeEvent::kRepeatedQuery), 0u);
}

TEST_F(ExchangeTrackerTest, LocalLinkAndEncryptedEventsPassStraightThrough) {
  add(query("printer.local", 0, 0ms, core::Transport::kMdns));
  add(query("fileserver", 3, 0ms, core::Transport::kLlmnr));
  core::Event hello;
  hello.kind = core::MessageKind::kHandshake;
  hello.transport = core::Transport::kDot;
  add(hello);
  auto no_question = query("", 4, 0ms);
  no_question.dns.question_count = 0;
  no_question.dns.qtype = 0;
  add(no_question);
  EXPECT_EQ(out_.size(), 4u);
  EXPECT_EQ(tracker_.waiting(), 0u);
  for (const auto& e : out_) EXPECT_FALSE(e.exchange.tracked);
}

TEST_F(ExchangeTrackerTest, TheResponseNamesTheOwnerWhenTheQuerysLookupFailed) {
  auto q = query("owner.example.com", 5, 0ms);
  q.attribution.failure = core::AttributionFailure::kNotFound;
  add(q);
  auto r = responseTo(q, 3ms);
  r.process.pid = 4242;
  r.process.name = "dig";
  r.attribution.failure = core::AttributionFailure::kNone;
  add(r);
  ASSERT_EQ(out_.size(), 1u);
  EXPECT_EQ(out_[0].process.pid, 4242u);
  EXPECT_EQ(out_[0].attribution.failure, core::AttributionFailure::kNone);
}

TEST_F(ExchangeTrackerTest, ACertificateInTheAnswerMakesTheExchangeDnsCrypt) {
  auto q = query("cert.resolver.example", 6, 0ms);
  add(q);
  auto r = responseTo(q, 4ms);
  r.transport = core::Transport::kDnsCrypt;
  r.recognition = core::RecognitionMethod::kContent;
  add(r);
  ASSERT_EQ(out_.size(), 1u);
  EXPECT_EQ(out_[0].transport, core::Transport::kDnsCrypt);
  EXPECT_EQ(out_[0].recognition, core::RecognitionMethod::kContent);
  EXPECT_TRUE(out_[0].exchange.answered);
}

TEST_F(ExchangeTrackerTest, WaitingQueriesAreBoundedOldestLetGoFirst) {
  for (std::size_t i = 0; i <= ExchangeTracker::kMaxWaiting; ++i) {
    auto q = query("flood.example.com", static_cast<std::uint16_t>(i), 0ms);
    q.source.port = static_cast<std::uint16_t>(1024 + i / 65536);
    add(q);
  }
  EXPECT_EQ(tracker_.waiting(), ExchangeTracker::kMaxWaiting);
  ASSERT_EQ(out_.size(), 1u);
  EXPECT_EQ(out_[0].dns.id, 0u);
  EXPECT_FALSE(out_[0].exchange.answered);
  EXPECT_EQ(count(ExchangeEvent::kEvicted), 1u);
}

}  // namespace
}  // namespace dnsleak::app
