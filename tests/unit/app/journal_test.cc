// The journal's leak entries: their fields, and folding as the store folds.

#include "app/journal.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <thread>

namespace dnsleak::app {
namespace {

using namespace std::chrono_literals;

std::map<std::string, std::string> asMap(const std::vector<std::string>& fields) {
  std::map<std::string, std::string> out;
  for (const auto& f : fields) out[f.substr(0, f.find('='))] = f.substr(f.find('=') + 1);
  return out;
}

core::Event leak(const std::string& qname) {
  core::Event e;
  e.verdict = core::Verdict::kLeak;
  e.leak_type = core::LeakType::kA;
  e.transport = core::Transport::kDnsUdp;
  e.rule = "full-tunnel.plaintext-outside-safe-path";
  e.reason = "plaintext DNS left via eth0";
  e.dns.qname = qname;
  e.resolver.address = *core::IpAddress::parse("198.51.100.53");
  e.resolver.port = 53;
  e.interface.name = "eth0";
  e.process.pid = 4242;
  e.process.name = "dig";
  e.process.exe = "/usr/bin/dig";
  e.first_seen = e.last_seen = e.time = core::Timestamp(std::chrono::seconds(1'800'000'000));
  return e;
}

TEST(LeakJournalFields, CarryEveryFieldAFleetFiltersOn) {
  auto e = leak("leak.example.com");
  e.seq = 17;
  auto f = asMap(leakJournalFields(e, 3, false));
  EXPECT_EQ(f["MESSAGE_ID"], kLeakMessageId);
  EXPECT_EQ(f["PRIORITY"], "4");
  EXPECT_EQ(f["DNSLEAK_RULE"], "full-tunnel.plaintext-outside-safe-path");
  EXPECT_EQ(f["DNSLEAK_LEAK_TYPE"], "Leak-A");
  EXPECT_EQ(f["DNSLEAK_TRANSPORT"], "dns-udp");
  EXPECT_EQ(f["DNSLEAK_QNAME"], "leak.example.com");
  EXPECT_EQ(f["DNSLEAK_RESOLVER"], "198.51.100.53:53");
  EXPECT_EQ(f["DNSLEAK_INTERFACE"], "eth0");
  EXPECT_EQ(f["DNSLEAK_PID"], "4242");
  EXPECT_EQ(f["DNSLEAK_EXE"], "/usr/bin/dig");
  EXPECT_EQ(f["DNSLEAK_SEQ"], "17");
  EXPECT_EQ(f["DNSLEAK_COUNT"], "3");
  EXPECT_EQ(f.count("DNSLEAK_REPEAT"), 0u);
  EXPECT_NE(f["MESSAGE"].find("Leak-A dns-udp leak.example.com to 198.51.100.53:53 via eth0 by dig (pid 4242)"),
            std::string::npos)
      << f["MESSAGE"];
  EXPECT_NE(f["MESSAGE"].find("(3 times)"), std::string::npos) << f["MESSAGE"];
  auto repeat = asMap(leakJournalFields(e, 5, true));
  EXPECT_EQ(repeat["DNSLEAK_REPEAT"], "1");
  EXPECT_NE(repeat["MESSAGE"].find("5 more times"), std::string::npos) << repeat["MESSAGE"];
}

class LeakJournalTest : public ::testing::Test {
 protected:
  LeakJournal::Options options() {
    LeakJournal::Options o;
    o.settle = 150ms;
    o.scan = 20ms;
    o.writer = [this](const std::vector<std::string>& fields) {
      std::lock_guard lock(mutex_);
      entries_.push_back(asMap(fields));
    };
    return o;
  }
  std::vector<std::map<std::string, std::string>> entries() {
    std::lock_guard lock(mutex_);
    return entries_;
  }
  void fold(const std::string& qname, int times) {
    for (int i = 0; i < times; ++i) store_.appendOrFold(leak(qname), qname, std::chrono::seconds(60));
  }

  store::EventStore store_{100};
  std::mutex mutex_;
  std::vector<std::map<std::string, std::string>> entries_;
};

TEST_F(LeakJournalTest, ABurstIsOneEntryWithItsCountAndLaterFoldsOneMore) {
  LeakJournal journal(
      store_, [] { return std::chrono::seconds(60); }, options());
  fold("burst.example.com", 200);
  std::this_thread::sleep_for(400ms);
  auto first = entries();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0]["DNSLEAK_COUNT"], "200");
  EXPECT_EQ(first[0]["DNSLEAK_SEQ"], "1");

  fold("burst.example.com", 5);
  std::this_thread::sleep_for(400ms);
  auto second = entries();
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(second[1]["DNSLEAK_COUNT"], "5");
  EXPECT_EQ(second[1]["DNSLEAK_REPEAT"], "1");
  EXPECT_EQ(journal.written(), 2u);
}

TEST_F(LeakJournalTest, NonLeaksAreNotWrittenAndPendingLeaksAreWrittenAtStop) {
  {
    LeakJournal journal(
        store_, [] { return std::chrono::seconds(60); }, options());
    core::Event fine = leak("fine.example.com");
    fine.verdict = core::Verdict::kOk;
    store_.append(fine);
    fold("late.example.com", 1);
  }  // stopped before the leak settled
  auto written = entries();
  ASSERT_EQ(written.size(), 1u);
  EXPECT_EQ(written[0]["DNSLEAK_QNAME"], "late.example.com");
}

TEST_F(LeakJournalTest, LeaksEvictedBeforeTheyWereWrittenAreCountedAsMissed) {
  store::EventStore tiny(2);
  auto o = options();
  o.settle = 10s;
  LeakJournal journal(
      tiny, [] { return std::chrono::seconds(60); }, o);
  tiny.append(leak("a.example.com"));
  std::this_thread::sleep_for(100ms);  // seen, not yet written
  for (const auto* name : {"b.example.com", "c.example.com", "d.example.com"}) tiny.append(leak(name));
  std::this_thread::sleep_for(200ms);
  EXPECT_GE(journal.missed(), 1u);
}

}  // namespace
}  // namespace dnsleak::app
