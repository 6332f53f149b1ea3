#include "policy/correlator.h"

#include <gtest/gtest.h>

namespace dnsleak::policy {
namespace {

using std::chrono::seconds;

core::Timestamp at(int s) { return core::Timestamp(seconds(1000 + s)); }

core::Event response(int s, const char* name, const char* address, std::uint32_t ttl) {
  core::Event e;
  e.time = at(s);
  e.kind = core::MessageKind::kResponse;
  e.dns.qname = name;
  e.dns.answers.push_back({name, 5, ttl, "cdn.example.net", {}});  // a CNAME first
  e.dns.answers.push_back({"cdn.example.net", 1, ttl, address, {}});
  e.resolver = {*core::IpAddress::parse("10.64.0.1"), 53};
  return e;
}

core::ConnectionObservation connect(int s, const char* address, std::string_view sni = {}) {
  core::ConnectionObservation c;
  c.time = at(s);
  c.destination = {*core::IpAddress::parse(address), 443};
  c.sni = sni;
  return c;
}

class CorrelatorTest : public ::testing::Test {
 protected:
  Finding judge(const core::ConnectionObservation& c, bool safe) { return correlator_.judge(c, safe, nullptr, settings_, result_); }
  CorrelationSettings settings_{seconds(0), seconds(30), 1000};
  Correlator correlator_;
  Correlator::Result result_;
};

TEST_F(CorrelatorTest, AddressAnsweredThroughTheTunnelAndConnectedOutside) {
  correlator_.addMessage(response(0, "Intranet.Example.com", "203.0.113.50", 60), AnswerPath::kSafe, settings_);
  EXPECT_EQ(judge(connect(5, "203.0.113.50"), true), Finding::kNone);
  EXPECT_EQ(judge(connect(6, "203.0.113.50"), false), Finding::kAnsweredSafeConnectedOutside);
  EXPECT_EQ(result_.name, "intranet.example.com");  // the question, through the CNAME
  EXPECT_EQ(result_.resolver.address.toString(), "10.64.0.1");
}

TEST_F(CorrelatorTest, AnswersLastTheirTtlPlusTheGraceThenAreForgotten) {
  correlator_.addMessage(response(0, "a.example.com", "203.0.113.50", 60), AnswerPath::kSafe, settings_);
  EXPECT_EQ(judge(connect(89, "203.0.113.50"), false), Finding::kAnsweredSafeConnectedOutside);  // 60 + 30
  EXPECT_EQ(judge(connect(91, "203.0.113.50"), false), Finding::kNone);  // nothing known: a bare SYN says no more
}

TEST_F(CorrelatorTest, ServerNameNeverResolvedIsHiddenAfterTheWarmupOnly) {
  settings_.warmup = seconds(100);
  correlator_.addMessage(response(0, "seen.example.com", "203.0.113.50", 60), AnswerPath::kOutside, settings_);
  EXPECT_EQ(judge(connect(10, "198.51.100.7", "unseen.example.org"), false), Finding::kHiddenDuringWarmup);
  EXPECT_EQ(judge(connect(101, "198.51.100.7", "unseen.example.org"), false), Finding::kHiddenResolution);
  // A name answered (by another address than the one connected to: a CDN) is not hidden; nor is one
  // answered locally.
  correlator_.addMessage(response(102, "answered.example.org", "203.0.113.9", 60), AnswerPath::kOutside, settings_);
  EXPECT_EQ(judge(connect(103, "198.51.100.8", "ANSWERED.example.org"), false), Finding::kNone);
  correlator_.addMessage(response(104, "stub.example.org", "203.0.113.10", 60), AnswerPath::kLocal, settings_);
  EXPECT_EQ(judge(connect(105, "198.51.100.9", "stub.example.org"), false), Finding::kNone);
  EXPECT_EQ(correlator_.counters().get(Finding::kHiddenResolution), 1u);
}

TEST_F(CorrelatorTest, ResolversAndTunnelledConnectionsAreNotJudged) {
  core::ResolverList list;
  list.addHost("dns.example.net");
  list.addAddress(*core::IpAddress::parse("198.51.100.99"));
  auto doh = connect(500, "203.0.113.70", "dns.example.net");
  EXPECT_EQ(correlator_.judge(doh, false, &list, settings_, result_), Finding::kNone);
  EXPECT_EQ(correlator_.judge(connect(500, "198.51.100.99"), false, &list, settings_, result_), Finding::kNone);
  auto inside = connect(500, "203.0.113.71", "never.example");
  inside.tunnelled = true;
  EXPECT_EQ(judge(inside, false), Finding::kNone);
}

TEST_F(CorrelatorTest, MemoryStaysWithinItsBoundAndEvictionsAreCounted) {
  settings_.max_answers = 16;
  for (int i = 0; i < 100; ++i) {
    std::string name = "n" + std::to_string(i) + ".example";
    std::string address = "203.0.113." + std::to_string(i);
    correlator_.addMessage(response(i, name.c_str(), address.c_str(), 3600), AnswerPath::kSafe, settings_);
  }
  EXPECT_LE(correlator_.answers(), 16u);
  EXPECT_LE(correlator_.names(), 16u);
  EXPECT_GT(correlator_.evicted(), 0u);
  // A response with many addresses keeps the bound too.
  core::Event many = response(200, "many.example", "198.51.100.1", 3600);
  for (int i = 2; i < 40; ++i) many.dns.answers.push_back({"cdn.example.net", 1, 3600, "198.51.100." + std::to_string(i), {}});
  correlator_.addMessage(many, AnswerPath::kSafe, settings_);
  EXPECT_LE(correlator_.answers(), 16u);
}

// At the bound the oldest answers go, as the config says: the newest are
// the ones connections are about to use. (Evicting an arbitrary entry of a
// node-based hash map took the newest: in libstdc++ begin() is usually the
// node inserted last.)
TEST_F(CorrelatorTest, AtTheBoundTheOldestAnswersGoFirst) {
  settings_.max_answers = 16;
  settings_.warmup = seconds(0);
  for (int i = 0; i < 100; ++i) {
    std::string name = "n" + std::to_string(i) + ".example";
    std::string address = "203.0.113." + std::to_string(i);
    correlator_.addMessage(response(i, name.c_str(), address.c_str(), 3600), AnswerPath::kSafe, settings_);
  }
  // The last 15 answered (and their names) are all still known...
  for (int i = 85; i < 100; ++i) {
    std::string address = "203.0.113." + std::to_string(i);
    EXPECT_EQ(judge(connect(100, address.c_str()), false), Finding::kAnsweredSafeConnectedOutside) << address;
    std::string name = "n" + std::to_string(i) + ".example";
    EXPECT_EQ(judge(connect(100, "198.51.100.200", name), false), Finding::kAnsweredSafeConnectedOutside) << name;
  }
  // ...and the first ones are gone.
  EXPECT_EQ(judge(connect(100, "203.0.113.0"), false), Finding::kNone);
  EXPECT_EQ(judge(connect(100, "198.51.100.200", "n0.example"), false), Finding::kHiddenResolution);
}

}  // namespace
}  // namespace dnsleak::policy
