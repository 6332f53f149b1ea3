#include "store/event_store.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <thread>

namespace dnsleak::store {
namespace {

core::Event named(const std::string& qname, core::Verdict verdict = core::Verdict::kLeak) {
  core::Event e;
  e.dns.qname = qname;
  e.verdict = verdict;
  return e;
}

TEST(EventStore, SequenceNumbersStartAtOneAndIncrease) {
  EventStore store(4);
  EXPECT_EQ(store.append(named("a")), 1u);
  EXPECT_EQ(store.append(named("b")), 2u);
  auto r = store.next(1, {});
  ASSERT_EQ(r.kind, ReadResult::Kind::kEvent);
  EXPECT_EQ(r.event.seq, 1u);
  EXPECT_EQ(r.event.dns.qname, "a");
  EXPECT_EQ(r.next_seq, 2u);
}

TEST(EventStore, FullRingEvictsOldestAndReportsAGap) {
  EventStore store(3);
  for (int i = 0; i < 5; ++i) store.append(named("n" + std::to_string(i)));
  auto stats = store.stats();
  EXPECT_EQ(stats.size, 3u);
  EXPECT_EQ(stats.first_seq, 3u);
  EXPECT_EQ(stats.last_seq, 5u);
  EXPECT_EQ(stats.evicted, 2u);

  auto gap = store.next(1, {});
  ASSERT_EQ(gap.kind, ReadResult::Kind::kGap);
  EXPECT_EQ(gap.gap_from, 1u);
  EXPECT_EQ(gap.gap_to, 2u);
  auto first = store.next(gap.next_seq, {});
  ASSERT_EQ(first.kind, ReadResult::Kind::kEvent);
  EXPECT_EQ(first.event.seq, 3u);
  EXPECT_EQ(first.event.dns.qname, "n2");
}

TEST(EventStore, FromZeroMeansOnlyNewEvents) {
  EventStore store(4);
  store.append(named("old"));
  auto r = store.next(0, {});
  EXPECT_EQ(r.kind, ReadResult::Kind::kNothing);
  EXPECT_EQ(r.next_seq, 2u);
  store.append(named("new"));
  auto n = store.next(r.next_seq, {});
  ASSERT_EQ(n.kind, ReadResult::Kind::kEvent);
  EXPECT_EQ(n.event.dns.qname, "new");
}

TEST(EventStore, FilterSkipsButAdvances) {
  EventStore store(8);
  store.append(named("ok", core::Verdict::kOk));
  store.append(named("leak"));
  auto leaks = [](const core::Event& e) { return e.verdict == core::Verdict::kLeak; };
  auto r = store.next(1, leaks);
  ASSERT_EQ(r.kind, ReadResult::Kind::kEvent);
  EXPECT_EQ(r.event.dns.qname, "leak");
  auto none = store.next(r.next_seq, leaks);
  EXPECT_EQ(none.kind, ReadResult::Kind::kNothing);
  EXPECT_EQ(none.next_seq, 3u);
}

TEST(EventStore, BytesAreAccountedAndReleased) {
  EventStore store(2);
  store.append(named(std::string(200, 'x')));
  auto one = store.stats().bytes;
  EXPECT_GT(one, 200u);
  store.append(named("y"));
  store.append(named("z"));  // evicts the long one
  EXPECT_LT(store.stats().bytes, one);
}

// Issue 13: the bytes counter underflowed at capacity 1k. A short string
// moved into a slot whose old string was long keeps the old buffer, so the
// slot grew after its size was counted, and its eviction took away more than
// was ever added.
TEST(EventStore, BytesStayTheSumOfTheStoredEventsThroughEvictions) {
  EventStore store(3);
  std::size_t low = 0;
  for (int i = 0; i < 50; ++i) {
    // Long and short names (and reasons) in turn, through every slot.
    core::Event e = named(i % 2 ? std::string(300, 'x') : "short.example");
    e.reason = i % 3 ? std::string(500, 'r') : "r";
    store.append(std::move(e));
    // Three events of at most about 900 bytes packed, and the strings they
    // share: an underflow would be near 2^64.
    ASSERT_LT(store.stats().bytes, 4u * 1024) << "after event " << i;
    ASSERT_GT(store.stats().bytes, 3u * 20) << "after event " << i;
    if (i == 5) low = store.stats().bytes;
  }
  // The ring turned over many times; what it holds is as large as then.
  EXPECT_LT(store.stats().bytes, low + 1024);
}

TEST(EventStore, WaitForNewerWakesOnAppend) {
  EventStore store(4);
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    store.append(named("late"));
  });
  bool woke = store.waitForNewer(0, std::chrono::steady_clock::now() + std::chrono::seconds(5));
  writer.join();
  EXPECT_TRUE(woke);
  EXPECT_FALSE(store.waitForNewer(1, std::chrono::steady_clock::now() + std::chrono::milliseconds(10)));
}

core::Event at(int second, const char* name) {
  core::Event e;
  e.verdict = core::Verdict::kLeak;
  e.dns.qname = name;
  e.time = e.first_seen = e.last_seen = core::Timestamp(std::chrono::seconds(second));
  return e;
}

TEST(EventStore, IdenticalLeaksFoldIntoTheFirstOfTheirWindow) {
  EventStore store(100);
  const auto window = std::chrono::seconds(60);
  EXPECT_EQ(store.appendOrFold(at(0, "a"), "a", window), 1u);
  EXPECT_EQ(store.appendOrFold(at(10, "a"), "a", window), 1u);  // folded
  EXPECT_EQ(store.appendOrFold(at(20, "b"), "b", window), 2u);  // another key
  EXPECT_EQ(store.appendOrFold(at(59, "a"), "a", window), 1u);  // folded
  EXPECT_EQ(store.appendOrFold(at(61, "a"), "a", window), 3u);  // a new window: stored at once
  auto first = store.next(1, [](const core::Event&) { return true; });
  ASSERT_EQ(first.kind, ReadResult::Kind::kEvent);
  EXPECT_EQ(first.event.count, 3u);
  EXPECT_EQ(first.event.first_seen, core::Timestamp(std::chrono::seconds(0)));
  EXPECT_EQ(first.event.last_seen, core::Timestamp(std::chrono::seconds(59)));
  EXPECT_EQ(store.stats().folded, 2u);
  EXPECT_EQ(store.stats().size, 3u);
}

TEST(EventStore, NoFoldingIntoAnEvictedEventOrWithAZeroWindow) {
  EventStore store(2);
  const auto window = std::chrono::seconds(60);
  store.appendOrFold(at(0, "a"), "a", window);
  store.append(at(1, "x"));
  store.append(at(2, "y"));  // "a" leaves the ring
  EXPECT_EQ(store.appendOrFold(at(3, "a"), "a", window), 4u);
  EXPECT_EQ(store.appendOrFold(at(4, "z"), "z", std::chrono::seconds(0)), 5u);
  EXPECT_EQ(store.appendOrFold(at(5, "z"), "z", std::chrono::seconds(0)), 6u);
  EXPECT_EQ(store.stats().folded, 0u);
}

// Keys are hashed, not kept: keys that differ only in the bytes a word
// pads with, or by a byte anywhere, are still told apart.
TEST(EventStore, KeysThatDifferOnlySlightlyDoNotFold) {
  EventStore store(30'000);
  const auto window = std::chrono::seconds(60);
  std::vector<std::string> keys = {"x", std::string("x\0", 2), std::string("x\0\0\0\0\0\0\0", 8), "", "12345678",
                                   "123456789"};
  for (int i = 0; i < 20'000; ++i) keys.push_back("full-tunnel/plain-dns|curl|/usr/bin/curl|198.51.100.53:53|n" +
                                                  std::to_string(i) + ".example|2");
  for (const auto& key : keys) store.appendOrFold(at(0, "a"), key, window);
  EXPECT_EQ(store.stats().folded, 0u);
  EXPECT_EQ(store.stats().size, keys.size());
}

// Events no attributor saw are stored with what the daemon says of them
// (attribution off, or read from a file); an event's own attribution,
// failed or not, is kept.
TEST(EventStore, EventsWithoutAttributionAreStoredWithTheStoresWord) {
  EventStore store(4);
  core::AttributionInfo unattributed;
  unattributed.confidence = core::Confidence::kNone;
  unattributed.failure = core::AttributionFailure::kOffline;
  unattributed.detail = "read from a capture file";
  store.setUnattributed(unattributed);
  core::Event bare = named("bare.example");
  core::Event owned = named("owned.example");
  owned.attribution = {"ebpf", core::Confidence::kHigh, core::AttributionFailure::kNone, "at send time"};
  core::Event failed = named("failed.example");
  failed.attribution.failure = core::AttributionFailure::kExited;
  failed.attribution.detail = "gone";
  store.append(bare);
  store.append(owned);
  store.append(failed);
  auto all = [](const core::Event&) { return true; };
  auto first = store.next(1, all);
  ASSERT_EQ(first.kind, ReadResult::Kind::kEvent);
  EXPECT_EQ(first.event.attribution.failure, core::AttributionFailure::kOffline);
  EXPECT_EQ(first.event.attribution.confidence, core::Confidence::kNone);
  EXPECT_EQ(first.event.attribution.detail, "read from a capture file");
  auto second = store.next(2, all);
  EXPECT_EQ(second.event.attribution.method, "ebpf");
  EXPECT_EQ(second.event.attribution.failure, core::AttributionFailure::kNone);
  EXPECT_EQ(second.event.attribution.detail, "at send time");
  auto third = store.next(3, all);
  EXPECT_EQ(third.event.attribution.failure, core::AttributionFailure::kExited);
  EXPECT_EQ(third.event.attribution.detail, "gone");
}

TEST(EventStore, ZeroCapacityIsRefused) { EXPECT_THROW(EventStore(0), std::invalid_argument); }

}  // namespace
}  // namespace dnsleak::store
