#include "api/requests.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "core/names.h"

namespace dnsleak::api {
namespace {

// A request's time, clamped to what a nanosecond clock holds (about
// 1677..2262): a client's year 9999 is "no end", not an overflow.
core::Timestamp fromProto(const google::protobuf::Timestamp& t) {
  constexpr std::int64_t kMaxSeconds = std::numeric_limits<std::int64_t>::max() / 1'000'000'000 - 1;
  if (t.seconds() >= kMaxSeconds) return core::Timestamp::max();
  if (t.seconds() <= -kMaxSeconds) return core::Timestamp::min();
  return core::Timestamp(std::chrono::seconds(t.seconds()) + std::chrono::nanoseconds(t.nanos()));
}

bool validTimestamp(const google::protobuf::Timestamp& t) {
  return t.seconds() >= 0 && t.seconds() <= 253402300799 && t.nanos() >= 0 && t.nanos() < 1'000'000'000;
}

// The name an event is about: its question, its server name, or for a
// Leak-D connection the name its address answered.
const std::string& subjectName(const core::Event& e) { return e.dns.qname.empty() ? e.sni : e.dns.qname; }

// A connection (Leak-D) has no DNS transport: its IP protocol names it.
std::string transportKey(const core::Event& e) {
  if (e.transport != core::Transport::kUnspecified) return std::string(core::transportName(e.transport));
  return e.ip_protocol == 17 ? "udp connection" : "tcp connection";
}

// The resolver of a DNS event, or where a connection went.
std::string resolverKey(const core::Event& e) {
  const core::Endpoint& ep = e.resolver.port != 0 ? e.resolver : e.destination;
  return core::describeEndpoint(ep);
}

// The first problem with a request's time, or empty.
template <typename List>
std::string checkList(const List& list, const char* field) {
  if (list.size() > kMaxFilterEntries) {
    return std::string(field) + " lists more than " + std::to_string(kMaxFilterEntries) + " entries";
  }
  for (const auto& entry : list) {
    if constexpr (std::is_same_v<std::decay_t<decltype(entry)>, std::string>) {
      if (entry.size() > kMaxFilterTextBytes) {
        return std::string(field) + " has an entry longer than " + std::to_string(kMaxFilterTextBytes) + " bytes";
      }
    }
  }
  return {};
}

}  // namespace

std::string checkReportRequest(const v1::GetReportRequest& request) {
  if ((request.has_since() && !validTimestamp(request.since())) ||
      (request.has_until() && !validTimestamp(request.until()))) {
    return "since and until must be times between 1970 and 9999";
  }
  auto instant = [](const google::protobuf::Timestamp& t) { return std::pair(t.seconds(), t.nanos()); };
  if (request.has_since() && request.has_until() && instant(request.until()) < instant(request.since())) {
    return "until is before since: an empty window";
  }
  if (!v1::ReportGrouping_IsValid(request.group_by())) {
    return "group_by " + std::to_string(request.group_by()) + " is not a grouping this daemon knows";
  }
  return {};
}

std::string checkWatchRequest(const v1::WatchRequest& request) {
  if (request.has_since() && !validTimestamp(request.since())) return "since must be a time between 1970 and 9999";
  for (const auto& problem :
       {checkList(request.verdicts(), "verdicts"), checkList(request.leak_types(), "leak_types"),
        checkList(request.transports(), "transports"), checkList(request.rules(), "rules"),
        checkList(request.processes(), "processes"), checkList(request.names(), "names")}) {
    if (!problem.empty()) return problem;
  }
  return {};
}

EventFilter makeWatchFilter(const v1::WatchRequest& request) {
  std::set<int> verdicts(request.verdicts().begin(), request.verdicts().end());
  std::set<int> leak_types(request.leak_types().begin(), request.leak_types().end());
  std::set<int> transports(request.transports().begin(), request.transports().end());
  std::vector<std::string> rules(request.rules().begin(), request.rules().end());
  std::vector<std::string> processes(request.processes().begin(), request.processes().end());
  std::vector<std::string> names;
  for (const auto& n : request.names()) names.push_back(core::lowerName(n));
  const bool has_since = request.has_since();
  const core::Timestamp since = has_since ? fromProto(request.since()) : core::Timestamp::min();
  if (verdicts.empty() && leak_types.empty() && transports.empty() && rules.empty() && processes.empty() &&
      names.empty() && !has_since) {
    return {};
  }
  return [=](const core::Event& e) {
    auto rule_matches = [&e](const std::string& r) {
      if (e.rule == r) return true;
      auto slash = e.rule.find('/');
      return slash != std::string::npos && std::string_view(e.rule).substr(slash + 1) == r;
    };
    auto process_matches = [&e](const std::string& p) { return e.process.name == p || e.process.exe == p; };
    auto name_matches = [&e](const std::string& n) { return core::isSameOrUnder(subjectName(e), n); };
    return (verdicts.empty() || verdicts.count(static_cast<int>(e.verdict))) &&
           (leak_types.empty() || leak_types.count(static_cast<int>(e.leak_type))) &&
           (transports.empty() || transports.count(static_cast<int>(e.transport))) &&
           (rules.empty() || std::any_of(rules.begin(), rules.end(), rule_matches)) &&
           (processes.empty() || std::any_of(processes.begin(), processes.end(), process_matches)) &&
           (names.empty() || std::any_of(names.begin(), names.end(), name_matches)) && e.last_seen >= since;
  };
}

void buildReport(const store::EventStore& store, const v1::GetReportRequest& request, v1::GetReportResponse* response) {
  bool has_since = request.has_since();
  bool has_until = request.has_until();
  core::Timestamp since = has_since ? fromProto(request.since()) : core::Timestamp::min();
  core::Timestamp until = has_until ? fromProto(request.until()) : core::Timestamp::max();
  auto grouping = request.group_by() == v1::REPORT_GROUPING_UNSPECIFIED ? v1::REPORT_GROUPING_RULE : request.group_by();

  struct Row {
    core::Verdict verdict;
    core::LeakType leak_type;
    std::uint64_t count = 0;
    core::Timestamp first = core::Timestamp::max();
    core::Timestamp last = core::Timestamp::min();
    std::uint64_t events = 0;
    std::string reason;
    std::string remediation;
  };
  std::map<std::pair<std::string, int>, Row> rows;
  std::map<core::LeakType, std::uint64_t> leaks;
  std::uint64_t events = 0;
  core::Timestamp oldest_stored = core::Timestamp::max();
  struct Occurrences {
    core::Timestamp first, last;
    std::uint64_t count;
  };
  std::vector<Occurrences> timeline_input;  // the window's leaks, for the timeline

  store.forEach([&](const core::Event& e) {
    oldest_stored = std::min(oldest_stored, e.first_seen);
    if (e.last_seen < since || e.first_seen > until) return;
    if (!request.include_ok() && e.verdict != core::Verdict::kLeak) return;
    ++events;
    if (e.verdict == core::Verdict::kLeak) {
      leaks[e.leak_type] += e.count;
      timeline_input.push_back({e.first_seen, e.last_seen, e.count});
    }
    std::string key;
    switch (grouping) {
      case v1::REPORT_GROUPING_QNAME: key = subjectName(e).empty() ? "(no name)" : subjectName(e); break;
      case v1::REPORT_GROUPING_RESOLVER: key = resolverKey(e); break;
      case v1::REPORT_GROUPING_INTERFACE:
        key = !e.interface.name.empty() ? e.interface.name
              : e.interface.index ? "#" + std::to_string(e.interface.index)
                                  : "(unknown)";
        break;
      case v1::REPORT_GROUPING_PROCESS: key = e.process.name.empty() ? "(unattributed)" : e.process.name; break;
      case v1::REPORT_GROUPING_TRANSPORT: key = transportKey(e); break;
      case v1::REPORT_GROUPING_COUNTRY: key = e.geo.country.empty() ? "(unknown)" : e.geo.country; break;
      case v1::REPORT_GROUPING_ASN:
        key = e.geo.asn == 0 ? "(unknown)" : "AS" + std::to_string(e.geo.asn) + " " + e.geo.as_org;
        break;
      default: key = e.rule; break;
    }
    Row& row = rows[{key, static_cast<int>(e.leak_type) * 8 + static_cast<int>(e.verdict)}];
    row.verdict = e.verdict;
    row.leak_type = e.leak_type;
    row.count += e.count;
    ++row.events;
    row.first = std::min(row.first, e.first_seen);
    row.last = std::max(row.last, e.last_seen);
    if (row.reason.empty()) row.reason = e.reason;
    if (row.remediation.empty()) row.remediation = e.remediation;
  });

  auto stats = store.stats();
  auto setTime = [](core::Timestamp t, google::protobuf::Timestamp* out) {
    auto ns = t.time_since_epoch().count();
    out->set_seconds(ns / 1'000'000'000);
    out->set_nanos(static_cast<std::int32_t>(ns % 1'000'000'000));
  };
  if (has_since) *response->mutable_since() = request.since();
  if (has_until) *response->mutable_until() = request.until();
  response->set_group_by(grouping);
  response->set_events(events);
  for (auto type : {core::LeakType::kA, core::LeakType::kB, core::LeakType::kC, core::LeakType::kD,
                    core::LeakType::kTunnel}) {
    auto* c = response->add_leaks();
    c->set_name(std::string(core::leakTypeName(type)));
    c->set_count(leaks[type]);
  }
  std::vector<std::pair<const std::pair<std::string, int>*, const Row*>> ordered;
  for (const auto& [key, row] : rows) ordered.emplace_back(&key, &row);
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const auto& a, const auto& b) { return a.second->count > b.second->count; });
  for (const auto& [key, row] : ordered) {
    auto* r = response->add_rows();
    r->set_key(key->first);
    r->set_verdict(static_cast<v1::Verdict>(row->verdict));
    r->set_leak_type(static_cast<v1::LeakType>(row->leak_type));
    r->set_count(row->count);
    setTime(row->first, r->mutable_first_seen());
    setTime(row->last, r->mutable_last_seen());
    r->set_example_reason(row->reason);
    r->set_remediation(row->remediation);
    r->set_events(row->events);
  }
  if (!timeline_input.empty()) {
    constexpr int kSteps = 48;
    core::Timestamp lo = has_since ? since : core::Timestamp::max();
    core::Timestamp hi = has_until ? until : core::Timestamp::min();
    for (const auto& o : timeline_input) {
      if (!has_since) lo = std::min(lo, o.first);
      if (!has_until) hi = std::max(hi, o.last);
    }
    // Differences in 128 bits: a window from 1970 to "no end" (the year
    // 9999, past what the clock holds) spans all of int64, and overflowed.
    auto between = [](core::Timestamp from, core::Timestamp to) {
      const __int128 d = static_cast<__int128>(to.time_since_epoch().count()) - from.time_since_epoch().count();
      return static_cast<std::int64_t>(std::clamp<__int128>(d, 0, std::numeric_limits<std::int64_t>::max()));
    };
    const auto span = std::max<std::int64_t>(between(lo, hi), 1);
    const auto step = std::max<std::int64_t>(span / kSteps + (span % kSteps != 0), 1'000'000'000);
    std::vector<std::uint64_t> counts(kSteps, 0);
    auto place = [&](core::Timestamp t, std::uint64_t n) {
      auto i = between(lo, t) / step;
      counts[static_cast<std::size_t>(std::min<std::int64_t>(i, kSteps - 1))] += n;
    };
    for (const auto& o : timeline_input) {
      place(o.first, 1);
      if (o.count > 1) place(o.last, o.count - 1);
    }
    auto* timeline = response->mutable_timeline();
    setTime(lo, timeline->mutable_start());
    timeline->mutable_step()->set_seconds(step / 1'000'000'000);
    timeline->mutable_step()->set_nanos(static_cast<std::int32_t>(step % 1'000'000'000));
    for (auto c : counts) timeline->add_counts(c);
  }
  response->set_incomplete(stats.evicted > 0 && (!has_since || since < oldest_stored));
  response->set_first_stored_seq(stats.first_seq);
}

}  // namespace dnsleak::api
