// Every field of a request comes from a client: the checks refuse what the
// daemon cannot serve, and what passes builds a report or a filter without
// overflow, whatever the values (the sanitizer build runs these too).

#include "api/requests.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "sample_event.h"

namespace dnsleak::api {
namespace {

constexpr std::int64_t kYear9999End = 253402300799;  // 9999-12-31T23:59:59Z

google::protobuf::Timestamp at(std::int64_t seconds, std::int32_t nanos = 0) {
  google::protobuf::Timestamp t;
  t.set_seconds(seconds);
  t.set_nanos(nanos);
  return t;
}

void addLeaks(store::EventStore& store) {
  auto e = testing::sampleEvent();
  for (int i = 0; i < 5; ++i) {
    e.dns.qname = "n" + std::to_string(i) + ".example";
    store.append(e);
  }
}

TEST(Requests, ReportTimesOutsideTheCalendarAreRefusedNotOverflowed) {
  const std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  for (auto bad : {at(kMax), at(-1), at(kYear9999End + 1), at(0, -1), at(0, 1'000'000'000), at(-kMax)}) {
    v1::GetReportRequest since;
    *since.mutable_since() = bad;
    EXPECT_EQ(checkReportRequest(since), "since and until must be times between 1970 and 9999") << bad.DebugString();
    v1::GetReportRequest until;
    *until.mutable_until() = bad;
    EXPECT_FALSE(checkReportRequest(until).empty()) << bad.DebugString();
  }
  v1::GetReportRequest backwards;
  *backwards.mutable_since() = at(2000);
  *backwards.mutable_until() = at(1000);
  EXPECT_EQ(checkReportRequest(backwards), "until is before since: an empty window");
  v1::GetReportRequest grouping;
  grouping.set_group_by(static_cast<v1::ReportGrouping>(999));
  EXPECT_NE(checkReportRequest(grouping).find("group_by 999"), std::string::npos);
}

// The window's edges at the calendar's ends: the last second of 9999 is
// past what a nanosecond clock holds, and is read as "no end".
TEST(Requests, ReportAtTheEdgesOfTheCalendarIsBuilt) {
  store::EventStore store(100);
  addLeaks(store);
  v1::GetReportRequest future;
  *future.mutable_since() = at(kYear9999End, 999'999'999);
  ASSERT_EQ(checkReportRequest(future), "");
  v1::GetReportResponse none;
  buildReport(store, future, &none);
  EXPECT_EQ(none.events(), 0u);
  EXPECT_EQ(none.rows_size(), 0);

  v1::GetReportRequest all_time;
  *all_time.mutable_since() = at(0);
  *all_time.mutable_until() = at(kYear9999End, 999'999'999);
  ASSERT_EQ(checkReportRequest(all_time), "");
  v1::GetReportResponse all;
  buildReport(store, all_time, &all);
  EXPECT_EQ(all.events(), 5u);
  EXPECT_EQ(all.timeline().counts_size(), 48);
  std::uint64_t in_timeline = 0;
  for (auto c : all.timeline().counts()) in_timeline += c;
  EXPECT_EQ(in_timeline, 5u * testing::sampleEvent().count);
}

TEST(Requests, WatchFiltersAreBoundedAndTheirTimesChecked) {
  v1::WatchRequest ok;
  ok.add_names("example");
  *ok.mutable_since() = at(kYear9999End);
  EXPECT_EQ(checkWatchRequest(ok), "");
  auto filter = makeWatchFilter(ok);
  ASSERT_TRUE(filter);
  EXPECT_FALSE(filter(testing::sampleEvent()));  // seen before the end of 9999

  v1::WatchRequest bad_time;
  *bad_time.mutable_since() = at(std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(checkWatchRequest(bad_time), "since must be a time between 1970 and 9999");

  v1::WatchRequest many;
  for (int i = 0; i <= kMaxFilterEntries; ++i) many.add_names("n" + std::to_string(i) + ".example");
  EXPECT_EQ(checkWatchRequest(many), "names lists more than 256 entries");
  v1::WatchRequest long_rule;
  long_rule.add_rules(std::string(kMaxFilterTextBytes + 1, 'r'));
  EXPECT_EQ(checkWatchRequest(long_rule), "rules has an entry longer than 1024 bytes");
  v1::WatchRequest many_verdicts;
  for (int i = 0; i <= kMaxFilterEntries; ++i) many_verdicts.add_verdicts(static_cast<v1::Verdict>(i));
  EXPECT_FALSE(checkWatchRequest(many_verdicts).empty());
}

}  // namespace
}  // namespace dnsleak::api
