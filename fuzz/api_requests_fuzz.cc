// libFuzzer target: the API's request handling. The first byte picks the
// request (a report or a watch), the rest is parsed as that message, as
// gRPC would hand it over. A request that passes the checks must build a
// report or a filter over a store of varied events without a crash,
// overflow (UBSan in the fuzz build) or a report that loses events.

#include <cstddef>
#include <cstdint>

#include "api/requests.h"
#include "store/event_store.h"

namespace {

using namespace std::chrono_literals;
using dnsleak::core::Event;

// Events at the edges a window meets: the clock's start, now-ish, and the
// furthest a nanosecond clock holds; leaks and ok, every grouping's key.
dnsleak::store::EventStore& store() {
  static dnsleak::store::EventStore* s = [] {
    auto* st = new dnsleak::store::EventStore(64);
    const dnsleak::core::Timestamp times[] = {dnsleak::core::Timestamp(0ns),
                                              dnsleak::core::Timestamp(1'700'000'000'000'000'000ns),
                                              dnsleak::core::Timestamp::max() - 1s};
    int i = 0;
    for (auto t : times) {
      for (auto verdict : {dnsleak::core::Verdict::kLeak, dnsleak::core::Verdict::kOk}) {
        Event e;
        e.first_seen = e.time = t;
        e.last_seen = t + std::chrono::nanoseconds(i);
        e.count = static_cast<std::uint64_t>(1 + i * 1000);
        e.verdict = verdict;
        e.leak_type = static_cast<dnsleak::core::LeakType>(i % 5);
        e.transport = static_cast<dnsleak::core::Transport>(i % 4);
        e.rule = i % 2 ? "full-tunnel/plaintext-outside-safe-path" : "split/proxy-required-direct";
        e.dns.qname = i % 3 ? "n" + std::to_string(i) + ".example" : "";
        e.sni = i % 3 ? "" : "sni.example";
        e.process.name = i % 2 ? "curl" : "";
        e.geo.asn = static_cast<std::uint32_t>(i);
        e.geo.country = i % 2 ? "DE" : "";
        e.interface.index = static_cast<std::uint32_t>(i);
        st->append(e);
        ++i;
      }
    }
    return st;
  }();
  return *s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool watch = data[0] & 1;
  const void* message = data + 1;
  const int length = static_cast<int>(size - 1);
  if (!watch) {
    dnsleak::v1::GetReportRequest request;
    if (!request.ParseFromArray(message, length)) return 0;
    if (!dnsleak::api::checkReportRequest(request).empty()) return 0;
    dnsleak::v1::GetReportResponse response;
    dnsleak::api::buildReport(store(), request, &response);
    std::uint64_t in_rows = 0;
    for (const auto& row : response.rows()) in_rows += row.events();
    if (in_rows != response.events()) __builtin_trap();
    return 0;
  }
  dnsleak::v1::WatchRequest request;
  if (!request.ParseFromArray(message, length)) return 0;
  if (!dnsleak::api::checkWatchRequest(request).empty()) return 0;
  auto filter = dnsleak::api::makeWatchFilter(request);
  std::uint64_t cursor = request.from_seq();
  for (int steps = 0; steps < 100; ++steps) {
    auto result = store().next(cursor, filter);
    if (result.next_seq <= cursor && result.kind != dnsleak::store::ReadResult::Kind::kNothing) __builtin_trap();
    cursor = result.next_seq;
    if (result.kind == dnsleak::store::ReadResult::Kind::kNothing) break;
  }
  return 0;
}
