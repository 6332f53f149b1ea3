#include "api/server.h"

#include <grp.h>
#include <grpc/grpc.h>
#include <unistd.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <memory>
#include <limits>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "api/convert.h"
#include "api/metrics.h"
#include "core/names.h"
#include "core/thread_name.h"
#include "dnsleak/v1/dnsleak.grpc.pb.h"

namespace dnsleak::api {
namespace {

using EventFilter = std::function<bool(const core::Event&)>;

constexpr int kMaxMessageBytes = 512 * 1024 * 1024;

// The status message of streams ended by a daemon shutdown; clients match it.
constexpr const char* kShuttingDown = "dnsleakd is shutting down";

// How long calls in progress may take to finish at shutdown.
constexpr auto kShutdownGrace = std::chrono::milliseconds(300);

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

EventFilter makeFilter(const v1::WatchRequest& request) {
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

}  // namespace

class WatchReactor;

class ApiServer::Impl : public v1::DnsLeak::CallbackService {
 public:
  Impl(store::EventStore& store, ControlPlane& control) : store_(store), control_(control) {}

  grpc::ServerUnaryReactor* GetStatus(grpc::CallbackServerContext* context, const v1::GetStatusRequest*,
                                      v1::GetStatusResponse* response) override {
    status(response);
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  grpc::ServerUnaryReactor* GetMetrics(grpc::CallbackServerContext* context, const v1::GetMetricsRequest*,
                                       v1::GetMetricsResponse* response) override {
    v1::GetStatusResponse s;
    status(&s);
    response->set_text(prometheusText(s));
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  // What GetStatus answers.
  void status(v1::GetStatusResponse* response) const {
    toProto(control_.status(), store_.stats(), watcherCount(), response);
    // The newest stored leak, and the occurrences of the last hour.
    const auto hour_ago = core::Timestamp(std::chrono::system_clock::now().time_since_epoch()) - std::chrono::hours(1);
    std::uint64_t last_hour = 0;
    std::uint64_t last_seq = 0;  // the newest leak, copied once found
    core::Timestamp last_seen = core::Timestamp::min();
    store_.forEachSummary([&](const store::EventStore::Summary& e) {
      if (e.verdict != core::Verdict::kLeak) return;
      if (e.last_seen >= hour_ago) last_hour += e.count;
      if (e.last_seen >= last_seen) {
        last_seen = e.last_seen;
        last_seq = e.seq;
      }
    });
    if (last_seq != 0) {
      // Gone from the ring in between, it is simply not reported.
      auto last = store_.next(last_seq, [last_seq](const core::Event& e) { return e.seq == last_seq; });
      if (last.kind == store::ReadResult::Kind::kEvent) toProto(last.event, response->mutable_last_leak());
    }
    response->set_leaks_last_hour(last_hour);
  }

  grpc::ServerUnaryReactor* GetReport(grpc::CallbackServerContext* context, const v1::GetReportRequest* request,
                                      v1::GetReportResponse* response) override {
    auto* reactor = context->DefaultReactor();
    if ((request->has_since() && !validTimestamp(request->since())) ||
        (request->has_until() && !validTimestamp(request->until()))) {
      reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                   "since and until must be times between 1970 and 9999"));
      return reactor;
    }
    if (request->has_since() && request->has_until() &&
        fromProto(request->until()) < fromProto(request->since())) {
      reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "until is before since: an empty window"));
      return reactor;
    }
    buildReport(*request, response);
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  grpc::ServerUnaryReactor* ListInterfaces(grpc::CallbackServerContext* context, const v1::ListInterfacesRequest* request,
                                           v1::ListInterfacesResponse* response) override {
    v1::GetStatusResponse status;
    toProto(control_.status(), store_.stats(), 0, &status);
    *response->mutable_capture() = status.capture();
    auto* reactor = context->DefaultReactor();
    if (!request->all()) {
      reactor->Finish(grpc::Status::OK);
      return reactor;
    }
    // Trying libpcap on every interface takes up to its timeout: off the
    // gRPC callback thread, which must not block; a few at a time.
    std::lock_guard lock(listings_mutex_);
    std::erase_if(listings_, [](Listing& l) {
      if (!l.done->load()) return false;
      l.thread.join();
      return true;
    });
    if (listings_.size() >= kMaxListings) {
      reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                   "too many interface listings at once; try again in a few seconds"));
      return reactor;
    }
    auto done = std::make_shared<std::atomic<bool>>(false);
    std::thread listing([this, response, reactor, done] {
      for (const auto& h : control_.hostInterfaces()) {
        auto* i = response->add_interfaces();
        i->set_name(h.name);
        i->set_index(h.index);
        i->set_kind(h.kind);
        i->set_state(h.state);
        for (const auto& a : h.addresses) i->add_addresses(a);
        i->set_loopback(h.loopback);
        i->set_captured(h.captured);
        i->set_capturable(h.capturable);
        i->set_capture_check(h.capture_check);
        i->set_safe(h.safe);
      }
      reactor->Finish(grpc::Status::OK);
      done->store(true);
    });
    listings_.push_back({std::move(listing), std::move(done)});
    return reactor;
  }

  // After the server has stopped: every listing thread has finished its
  // call; joined here so none outlives the control plane it reads.
  void joinListings() {
    std::lock_guard lock(listings_mutex_);
    for (auto& l : listings_) l.thread.join();
    listings_.clear();
  }

  grpc::ServerUnaryReactor* ReloadConfig(grpc::CallbackServerContext* context, const v1::ReloadConfigRequest*,
                                         v1::ReloadConfigResponse* response) override {
    if (auto refusal = refuseUnlessAdmin(*context, "reload"); !refusal.ok()) {
      auto* reactor = context->DefaultReactor();
      reactor->Finish(refusal);
      return reactor;
    }
    ReloadOutcome outcome = control_.reload();
    response->set_applied(outcome.applied);
    response->set_generation(outcome.generation);
    response->set_sha256(outcome.sha256);
    for (const auto& e : outcome.errors) toProto(e, response->add_errors());
    for (const auto& w : outcome.warnings) response->add_warnings(w);
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  grpc::ServerWriteReactor<v1::WatchResponse>* Watch(grpc::CallbackServerContext* context,
                                                     const v1::WatchRequest* request) override;

  // Reading is for everyone the endpoint let in; changing state is for
  // root, the daemon's own user and members of api.admin_group.
  grpc::Status refuseUnlessAdmin(const grpc::CallbackServerContext& context, const char* action) const {
    CallerIdentity caller = endpoint_->identify(context.peer());
    if (caller.uid == 0 || (caller.uid >= 0 && static_cast<uid_t>(caller.uid) == geteuid())) return grpc::Status::OK;
    const std::string group = control_.adminGroup();
    long gid = -1;
    if (!group.empty()) {
      if (const struct group* g = getgrnam(group.c_str())) gid = static_cast<long>(g->gr_gid);
    }
    if (gid >= 0 && caller.inGroup(gid)) return grpc::Status::OK;
    spdlog::warn("refused {} from uid {} pid {}: not root and not in the admin group{}", action, caller.uid, caller.pid,
                 group.empty() ? " (api.admin_group is not set)" : " '" + group + "'");
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        std::string(action) + " is for root" +
                            (group.empty() ? std::string(" (no api.admin_group is configured)")
                                           : " and members of group '" + group + "' (api.admin_group)") +
                            "; reading (status, watch, report, interfaces) is for the socket's group");
  }

  void registerWatcher(WatchReactor* w) {
    {
      std::lock_guard lock(watchers_mutex_);
      watchers_.insert(w);
    }
    watcher_added_.notify_all();
  }
  void unregisterWatcher(WatchReactor* w) {
    std::lock_guard lock(watchers_mutex_);
    watchers_.erase(w);
  }
  std::uint64_t watcherCount() const {
    std::lock_guard lock(watchers_mutex_);
    return watchers_.size();
  }

  // The notifier thread: wakes when the store grows and lets every watcher
  // that is not mid-write take its next event. The capture thread only
  // signals a condition variable; it never touches a stream.
  void notifyLoop();

  void buildReport(const v1::GetReportRequest& request, v1::GetReportResponse* response);

  // The message for a stored event, converted once for every watcher that
  // sends it: the newest kPrepared are kept by sequence number (and count,
  // which folding raises after the event was stored).
  std::shared_ptr<const v1::WatchResponse> prepared(const core::Event& event) {
    Prepared& slot = prepared_[event.seq % kPrepared];
    {
      std::lock_guard lock(prepared_mutex_);
      if (slot.message && slot.seq == event.seq && slot.count == event.count && slot.last_seen == event.last_seen) {
        return slot.message;
      }
    }
    auto message = std::make_shared<v1::WatchResponse>();
    toProto(event, message->mutable_event());
    std::lock_guard lock(prepared_mutex_);
    slot = {event.seq, event.count, event.last_seen, message};
    return message;
  }

  store::EventStore& store_;
  ControlPlane& control_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<ApiEndpoint> endpoint_;
  std::thread notifier_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex watchers_mutex_;
  std::set<WatchReactor*> watchers_;  // guarded by watchers_mutex_
  std::condition_variable watcher_added_;
  struct Prepared {
    std::uint64_t seq = 0;
    std::uint64_t count = 0;
    core::Timestamp last_seen{};
    std::shared_ptr<const v1::WatchResponse> message;
  };
  static constexpr std::size_t kPrepared = 1024;
  std::mutex prepared_mutex_;
  std::array<Prepared, kPrepared> prepared_;  // guarded by prepared_mutex_

  // ListInterfaces with `all`: one thread per call in progress.
  static constexpr std::size_t kMaxListings = 4;
  struct Listing {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::mutex listings_mutex_;
  std::vector<Listing> listings_;  // guarded by listings_mutex_
};

// One Watch stream: at most one write in flight; the next is started from
// OnWriteDone or by the notifier. The reactor never blocks: when no event is
// ready it simply waits to be poked.
class WatchReactor : public grpc::ServerWriteReactor<v1::WatchResponse> {
 public:
  WatchReactor(ApiServer::Impl& server, grpc::CallbackServerContext* context, const v1::WatchRequest& request)
      : server_(server), context_(context), filter_(makeFilter(request)) {
    cursor_ = request.from_seq() != 0 ? request.from_seq() : server_.store_.lastSeq() + 1;
    server_.registerWatcher(this);
    poke();
  }

  // Starts the next write if none is in flight. Finishes the stream once it
  // was cancelled, but only when `may_finish`: the notifier, which holds the
  // watcher registry's lock, never finishes a stream (OnDone takes that lock).
  void poke(bool may_finish = true) {
    enum class Action { kNone, kWrite, kFinish } action = Action::kNone;
    {
      std::lock_guard lock(mutex_);
      if (in_flight_ || finished_) return;
      if (cancelled_) {
        if (!may_finish) return;
        finished_ = true;
        action = Action::kFinish;
      } else {
        auto result = server_.store_.next(cursor_, filter_);
        cursor_ = result.next_seq;
        if (result.kind == store::ReadResult::Kind::kNothing) return;
        if (result.kind == store::ReadResult::Kind::kGap) {
          auto gap = std::make_shared<v1::WatchResponse>();
          gap->mutable_gap()->set_from_seq(result.gap_from);
          gap->mutable_gap()->set_to_seq(result.gap_to);
          gap->mutable_gap()->set_missed(result.gap_to - result.gap_from + 1);
          response_ = std::move(gap);
        } else {
          response_ = server_.prepared(result.event);
        }
        in_flight_ = true;
        action = Action::kWrite;
      }
    }
    // Outside the lock: gRPC may run reactions on this thread.
    if (action == Action::kFinish) Finish(closing_);
    if (action == Action::kWrite) StartWrite(response_.get());
  }

  void OnWriteDone(bool ok) override {
    {
      std::lock_guard lock(mutex_);
      in_flight_ = false;
      if (!ok) cancelled_ = true;
    }
    poke();
  }

  // Ends the stream with `status` once the write in flight (if any) is done.
  // A write still in flight belongs to a client that stopped reading: it
  // would never finish, so the call is cancelled instead (that client would
  // not read the status either), and the server's shutdown need not wait
  // for its deadline. Any thread.
  void close(const grpc::Status& status) {
    bool stuck = false;
    {
      std::lock_guard lock(mutex_);
      closing_ = status;
      cancelled_ = true;
      stuck = in_flight_;
    }
    if (stuck) context_->TryCancel();
    poke();
  }

  void OnCancel() override {
    {
      std::lock_guard lock(mutex_);
      cancelled_ = true;
    }
    poke();
  }

  void OnDone() override {
    server_.unregisterWatcher(this);
    delete this;
  }

 private:
  ApiServer::Impl& server_;
  grpc::CallbackServerContext* context_;  // gRPC's, valid until OnDone
  EventFilter filter_;
  std::mutex mutex_;
  std::uint64_t cursor_ = 0;     // next sequence number to look at
  bool in_flight_ = false;
  bool cancelled_ = false;
  bool finished_ = false;
  grpc::Status closing_ = grpc::Status::CANCELLED;  // how the stream ends once cancelled_
  // The message being written, shared with the other watchers that send
  // the same event; held until the write is done.
  std::shared_ptr<const v1::WatchResponse> response_;
};

grpc::ServerWriteReactor<v1::WatchResponse>* ApiServer::Impl::Watch(grpc::CallbackServerContext* context,
                                                                    const v1::WatchRequest* request) {
  return new WatchReactor(*this, context, *request);
}

void ApiServer::Impl::notifyLoop() {
  std::uint64_t seen = store_.lastSeq();
  while (!stopping_.load()) {
    if (watcherCount() == 0) {
      // Nobody to tell: the store need not wake this thread per event.
      std::unique_lock lock(watchers_mutex_);
      watcher_added_.wait_for(lock, std::chrono::milliseconds(200), [&] { return !watchers_.empty() || stopping_; });
      if (watchers_.empty()) continue;
      // A new watcher: poked at once below, for what came since it started.
      seen = store_.lastSeq();
    } else {
      if (!store_.waitForNewer(seen, std::chrono::steady_clock::now() + std::chrono::milliseconds(200))) continue;
      seen = store_.lastSeq();
    }
    {
      std::lock_guard lock(watchers_mutex_);
      for (auto* w : watchers_) w->poke(/*may_finish=*/false);
    }
    // Events that come within the next quarter millisecond go out with
    // these: one wake-up per batch under a flood, not one per event.
    std::this_thread::sleep_for(std::chrono::microseconds(250));
  }
}

void ApiServer::Impl::buildReport(const v1::GetReportRequest& request, v1::GetReportResponse* response) {
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

  store_.forEach([&](const core::Event& e) {
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

  auto stats = store_.stats();
  auto setTime = [](core::Timestamp t, google::protobuf::Timestamp* out) {
    auto ns = t.time_since_epoch().count();
    out->set_seconds(ns / 1'000'000'000);
    out->set_nanos(static_cast<std::int32_t>(ns % 1'000'000'000));
  };
  if (has_since) *response->mutable_since() = request.since();
  if (has_until) *response->mutable_until() = request.until();
  response->set_group_by(grouping);
  response->set_events(events);
  for (auto type : {core::LeakType::kA, core::LeakType::kB, core::LeakType::kC, core::LeakType::kD}) {
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
    const auto span = std::max<std::int64_t>((hi - lo).count(), 1);
    const auto step = std::max<std::int64_t>((span + kSteps - 1) / kSteps, 1'000'000'000);
    std::vector<std::uint64_t> counts(kSteps, 0);
    auto place = [&](core::Timestamp t, std::uint64_t n) {
      auto i = (t - lo).count() / step;
      counts[static_cast<std::size_t>(std::clamp<std::int64_t>(i, 0, kSteps - 1))] += n;
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

ApiServer::ApiServer(store::EventStore& store, ControlPlane& control)
    : impl_(std::make_unique<Impl>(store, control)) {}

ApiServer::~ApiServer() { stop(); }

void ApiServer::start(std::unique_ptr<ApiEndpoint> endpoint) {
  // gRPC tears its library down when its last object goes, and that
  // teardown can wait ~10 s on an internal timer after a client that
  // stopped reading. Holding one reference of our own for the life of the
  // process lets stop() end promptly; the process exit frees the rest.
  static const bool library_held = [] {
    grpc_init();
    return true;
  }();
  (void)library_held;
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.RegisterService(impl_.get());
  // A report of a full store (every name a row, each with its reason and
  // fix) is tens of MB: gRPC's 4 MiB default would refuse to send it.
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  // No listening port: the endpoint accepts and vets connections itself.
  impl_->server_ = builder.BuildAndStart();
  if (!impl_->server_) throw std::runtime_error("cannot start the gRPC server");
  // Health for the whole server ("") and for the service by its name, as
  // generic health checkers ask.
  impl_->server_->GetHealthCheckService()->SetServingStatus(v1::DnsLeak::service_full_name(), true);
  impl_->endpoint_ = std::move(endpoint);
  impl_->endpoint_->start(*impl_->server_);
  impl_->notifier_ = std::thread([this] {
    core::nameThisThread("dl-notifier");
    impl_->notifyLoop();
  });
}

void ApiServer::stop() {
  if (!impl_->server_) return;
  // No new connections, and the socket file goes now: a successor can
  // start while this one finishes.
  impl_->endpoint_->stop();
  impl_->stopping_.store(true);
  impl_->watcher_added_.notify_all();
  if (impl_->notifier_.joinable()) impl_->notifier_.join();
  // Tell watchers why their stream ends, rather than leaving them a bare
  // cancellation at the shutdown deadline.
  {
    std::lock_guard lock(impl_->watchers_mutex_);
    for (auto* w : impl_->watchers_) w->close(grpc::Status(grpc::StatusCode::UNAVAILABLE, kShuttingDown));
  }
  // Calls still open at the deadline are cancelled. A call whose client
  // stopped reading cannot end even then: its last write waits on a socket
  // nobody drains, and gRPC waits for it. Those connections are cut under
  // gRPC, which fails the write, so that the shutdown ends whatever clients do.
  std::mutex mutex;
  std::condition_variable done_cv;
  bool done = false;
  std::thread reaper([&] {
    std::unique_lock lock(mutex);
    if (done_cv.wait_for(lock, kShutdownGrace + std::chrono::milliseconds(200), [&] { return done; })) return;
    lock.unlock();
    auto cut = impl_->endpoint_->disconnectAll();
    spdlog::warn("shutdown: cut {} API connection(s) whose clients stopped reading", cut);
  });
  impl_->server_->Shutdown(std::chrono::system_clock::now() + kShutdownGrace);
  impl_->server_->Wait();
  {
    std::lock_guard lock(mutex);
    done = true;
  }
  done_cv.notify_all();
  reaper.join();
  impl_->joinListings();
  impl_->server_.reset();
}

std::string ApiServer::metricsText() const {
  v1::GetStatusResponse s;
  impl_->status(&s);
  return prometheusText(s);
}

std::string ApiServer::describe() const { return impl_->endpoint_ ? impl_->endpoint_->describe() : ""; }

}  // namespace dnsleak::api
