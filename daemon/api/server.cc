#include "api/server.h"

#include <grp.h>
#include <absl/synchronization/mutex.h>
#include <grpc/grpc.h>
#include <unistd.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "api/convert.h"
#include "api/metrics.h"
#include "api/requests.h"
#include "core/names.h"
#include "core/thread_name.h"
#include "dnsleak/v1/dnsleak.grpc.pb.h"

namespace dnsleak::api {
namespace {

constexpr int kMaxMessageBytes = 512 * 1024 * 1024;

// The status message of streams ended by a daemon shutdown; clients match it.
constexpr const char* kShuttingDown = "dnsleakd is shutting down";

// A Watch batch's bounds (WatchRequest.max_batch): under the clients'
// default 4 MiB message limit with room to spare.
constexpr std::uint32_t kMaxBatchEvents = 512;
constexpr std::size_t kMaxBatchBytes = 512 * 1024;

// How long calls in progress may take to finish at shutdown.
constexpr auto kShutdownGrace = std::chrono::milliseconds(300);

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
    response->set_watch_missed(watch_missed_.load(std::memory_order_relaxed));
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
    if (auto problem = checkReportRequest(*request); !problem.empty()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, problem));
      return reactor;
    }
    buildReport(store_, *request, response);
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
      if (watchers_.size() == 1 && watching_) watching_(true);
    }
    watcher_added_.notify_all();
  }
  void unregisterWatcher(WatchReactor* w) {
    std::lock_guard lock(watchers_mutex_);
    if (watchers_.erase(w) != 0 && watchers_.empty() && watching_) watching_(false);
  }
  std::uint64_t watcherCount() const {
    std::lock_guard lock(watchers_mutex_);
    return watchers_.size();
  }

  // The notifier thread: wakes when the store grows and lets every watcher
  // that is not mid-write take its next event. The capture thread only
  // signals a condition variable; it never touches a stream.
  void notifyLoop();

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
  std::atomic<std::uint64_t> watch_missed_{0};  // events sent to watchers as gaps
  mutable std::mutex watchers_mutex_;
  std::set<WatchReactor*> watchers_;  // guarded by watchers_mutex_
  std::function<void(bool)> watching_;  // set before start; called under watchers_mutex_
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
  WatchReactor(ApiServer::Impl& server, const v1::WatchRequest& request)
      : server_(server),
        filter_(makeWatchFilter(request)),
        max_batch_(std::min<std::uint32_t>(request.max_batch(), kMaxBatchEvents)) {
    cursor_ = request.from_seq() != 0 ? request.from_seq() : server_.store_.lastSeq() + 1;
    server_.registerWatcher(this);
    poke();
  }

  // Starts the next write if none is in flight. Finishes the stream once it
  // was cancelled, but only when `may_finish`: the notifier, which holds the
  // watcher registry's lock, never finishes a stream (OnDone takes that lock),
  // nor builds batches (it sends one ready event, shared by every watcher,
  // and a watcher's own write completions take it on from there).
  void poke(bool may_finish = true) {
    enum class Action { kNone, kWrite, kBatch, kFinish } action = Action::kNone;
    // What to write or finish with, taken under the lock: close() may set
    // closing_ from another thread meanwhile.
    const v1::WatchResponse* message = nullptr;
    grpc::Status status;
    std::optional<core::Event> first;  // a batch's first event
    {
      std::lock_guard lock(mutex_);
      if (in_flight_ || finished_) return;
      if (cancelled_) {
        if (!may_finish) return;
        finished_ = true;
        status = closing_;
        action = Action::kFinish;
      } else {
        auto result = server_.store_.next(cursor_, filter_);
        cursor_ = result.next_seq;
        if (result.kind == store::ReadResult::Kind::kNothing) return;
        if (result.kind == store::ReadResult::Kind::kGap) {
          server_.watch_missed_.fetch_add(result.gap_to - result.gap_from + 1, std::memory_order_relaxed);
          auto gap = std::make_shared<v1::WatchResponse>();
          gap->mutable_gap()->set_from_seq(result.gap_from);
          gap->mutable_gap()->set_to_seq(result.gap_to);
          gap->mutable_gap()->set_missed(result.gap_to - result.gap_from + 1);
          response_ = std::move(gap);
        } else if (may_finish && max_batch_ > 1) {
          // Claimed by the write in flight: the batch is built outside the
          // lock, so the notifier's poke is not held up meanwhile.
          first.emplace(std::move(result.event));
          action = Action::kBatch;
        } else {
          response_ = server_.prepared(result.event);
        }
        in_flight_ = true;
        if (action == Action::kNone) {
          message = response_.get();
          action = Action::kWrite;
        }
      }
    }
    // Outside the lock: gRPC may run reactions on this thread.
    if (action == Action::kFinish) Finish(status);
    if (action == Action::kBatch) {
      // cursor_ is this write's until it is done (no other poke reads it
      // meanwhile); the batch's end is written back under the lock.
      std::uint64_t cursor = cursor_;
      auto batch = batchFrom(std::move(*first), cursor);
      std::lock_guard lock(mutex_);
      cursor_ = cursor;
      response_ = std::move(batch);
      message = response_.get();
      action = Action::kWrite;
    }
    if (action == Action::kWrite) StartWrite(message);
  }

  // The events ready from `cursor` on after `first`, up to max_batch_ and
  // kMaxBatchBytes, in one message (or `first` alone, shared, when no other
  // is ready); `cursor` moves past what was taken. A gap ends the batch and
  // is read again by the next write.
  std::shared_ptr<const v1::WatchResponse> batchFrom(core::Event first, std::uint64_t& cursor) {
    auto next = server_.store_.next(cursor, filter_);
    if (next.kind != store::ReadResult::Kind::kEvent) {
      if (next.kind == store::ReadResult::Kind::kNothing) cursor = next.next_seq;
      return server_.prepared(first);
    }
    // On an arena: the batch's strings and messages go in a few blocks,
    // freed at once when the write is done.
    google::protobuf::ArenaOptions options;
    options.start_block_size = 16 * 1024;
    options.max_block_size = 128 * 1024;
    auto arena = std::make_shared<google::protobuf::Arena>(options);
    auto* response = google::protobuf::Arena::CreateMessage<v1::WatchResponse>(arena.get());
    auto* batch = response->mutable_batch();
    std::size_t bytes = 0;
    auto add = [&](const core::Event& event) {
      auto* out = batch->add_events();
      toProto(event, out);
      bytes += out->ByteSizeLong();
    };
    add(first);
    do {
      cursor = next.next_seq;
      add(next.event);
      if (batch->events_size() >= static_cast<int>(max_batch_) || bytes >= kMaxBatchBytes) break;
      next = server_.store_.next(cursor, filter_);
      if (next.kind == store::ReadResult::Kind::kNothing) cursor = next.next_seq;
    } while (next.kind == store::ReadResult::Kind::kEvent);
    return {arena, response};  // shares the arena's ownership
  }

  void OnWriteDone(bool ok) override {
    {
      std::lock_guard lock(mutex_);
      in_flight_ = false;
      if (!ok) cancelled_ = true;
    }
    poke();
  }

  // Ends the stream with `status` once the write in flight (if any) is done:
  // a client that reads gets it within moments. One that stopped reading
  // never lets that write finish; the server's shutdown cancels its call at
  // the grace's end, and cuts its connection if even that cannot end it.
  // Any thread.
  void close(const grpc::Status& status) {
    {
      std::lock_guard lock(mutex_);
      closing_ = status;
      cancelled_ = true;
    }
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
    {
      // Ordered after every poke (gRPC orders it too, by locks of its own
      // that ThreadSanitizer cannot see in Debian's uninstrumented build).
      std::lock_guard lock(mutex_);
    }
    server_.unregisterWatcher(this);
    delete this;
  }

 private:
  ApiServer::Impl& server_;
  EventFilter filter_;
  const std::uint32_t max_batch_;  // events a message may hold; 0 or 1: one
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

// A Watch refused for its request: ended at once with the reason.
class RefusedWatch : public grpc::ServerWriteReactor<v1::WatchResponse> {
 public:
  explicit RefusedWatch(const std::string& problem) {
    Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, problem));
  }
  void OnDone() override { delete this; }
};

grpc::ServerWriteReactor<v1::WatchResponse>* ApiServer::Impl::Watch(grpc::CallbackServerContext*,
                                                                    const v1::WatchRequest* request) {
  if (auto problem = checkWatchRequest(*request); !problem.empty()) return new RefusedWatch(problem);
  return new WatchReactor(*this, *request);
}

void ApiServer::Impl::notifyLoop() {
  std::uint64_t seen = store_.lastSeq();
  while (!stopping_.load()) {
    if (watcherCount() == 0) {
      // Nobody to tell: the store need not wake this thread per event, nor
      // anything else until a watcher comes (or stop(), which sets
      // stopping_ under this lock).
      std::unique_lock lock(watchers_mutex_);
      watcher_added_.wait(lock, [&] { return !watchers_.empty() || stopping_; });
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

ApiServer::ApiServer(store::EventStore& store, ControlPlane& control)
    : impl_(std::make_unique<Impl>(store, control)) {}

ApiServer::~ApiServer() { stop(); }

void ApiServer::start(std::unique_ptr<ApiEndpoint> endpoint) {
  // gRPC tears its library down when its last object goes, and that
  // teardown can wait ~10 s on an internal timer after a client that
  // stopped reading. Holding one reference of our own for the life of the
  // process lets stop() end promptly; the process exit frees the rest.
  static const bool library_held = [] {
    // Debian's Abseil is built with its debug checks, so every absl::Mutex
    // gRPC takes also updates a global lock-order graph under a global
    // lock: a few percent of the daemon's time with many watchers, and a
    // lock its threads contend on. Lock ordering is for gRPC's own tests.
    absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
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
  // Set before gRPC's threads start, which read it for every call.
  impl_->endpoint_ = std::move(endpoint);
  // No listening port: the endpoint accepts and vets connections itself.
  impl_->server_ = builder.BuildAndStart();
  if (!impl_->server_) throw std::runtime_error("cannot start the gRPC server");
  // Health for the whole server ("") and for the service by its name, as
  // generic health checkers ask.
  impl_->server_->GetHealthCheckService()->SetServingStatus(v1::DnsLeak::service_full_name(), true);
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
  {
    // Under the lock the notifier checks it by: set between its check and
    // its wait, the wake-up would be lost.
    std::lock_guard lock(impl_->watchers_mutex_);
    impl_->stopping_.store(true);
  }
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
  {
    // Every stream is done once Wait returns; taking the registry's lock
    // orders that (for ThreadSanitizer too) before the registry is freed.
    std::lock_guard lock(impl_->watchers_mutex_);
    if (!impl_->watchers_.empty()) spdlog::error("{} watch streams outlived the server", impl_->watchers_.size());
  }
  impl_->joinListings();
  impl_->server_.reset();
}

std::string ApiServer::metricsText() const {
  v1::GetStatusResponse s;
  impl_->status(&s);
  return prometheusText(s);
}

std::string ApiServer::describe() const { return impl_->endpoint_ ? impl_->endpoint_->describe() : ""; }

void ApiServer::onWatching(std::function<void(bool)> watching) { impl_->watching_ = std::move(watching); }

}  // namespace dnsleak::api
