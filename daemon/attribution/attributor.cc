#include "attribution/attributor.h"

#include <algorithm>
#include <cmath>

#include "core/thread_name.h"

namespace dnsleak::attribution {
namespace {

constexpr std::uint8_t kTcp = 6;   // IPPROTO_TCP, without the platform's headers
constexpr std::uint8_t kUdp = 17;  // IPPROTO_UDP

}  // namespace

void LatencyHistogram::add(std::chrono::nanoseconds d) {
  double us = std::max(1.0, static_cast<double>(d.count()) / 1000.0);
  int bucket = std::clamp(static_cast<int>(std::floor(std::log2(us) * 4)), 0, kBuckets - 1);
  ++buckets_[static_cast<std::size_t>(bucket)];
  ++count_;
}

double LatencyHistogram::percentileMicros(double share) const {
  if (count_ == 0) return 0;
  auto target = static_cast<std::uint64_t>(std::ceil(share * static_cast<double>(count_)));
  std::uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += buckets_[static_cast<std::size_t>(i)];
    if (seen >= target) return std::exp2(static_cast<double>(i + 1) / 4);
  }
  return std::exp2(static_cast<double>(kBuckets) / 4);
}

std::string_view Attributor::failureName(core::AttributionFailure f) {
  switch (f) {
    case core::AttributionFailure::kUnspecified: return "unspecified";
    case core::AttributionFailure::kNone: return "none";
    case core::AttributionFailure::kNotFound: return "not_found";
    case core::AttributionFailure::kPermissionDenied: return "permission_denied";
    case core::AttributionFailure::kExited: return "exited";
    case core::AttributionFailure::kUnsupported: return "unsupported";
    case core::AttributionFailure::kNotLocal: return "not_local";
    case core::AttributionFailure::kDisabled: return "disabled";
    case core::AttributionFailure::kOffline: return "offline";
    case core::AttributionFailure::kQueueFull: return "queue_full";
  }
  return "unknown";
}

std::optional<FlowQuery> Attributor::endsOf(const core::Event& e) {
  if (e.ip_protocol != kUdp && e.ip_protocol != kTcp) return std::nullopt;
  if (e.source.address.empty() || e.destination.address.empty()) return std::nullopt;
  // The client is the end that is not the resolver; a connection event's
  // client is its source.
  const bool response = e.kind != core::MessageKind::kConnection && e.source == e.resolver;
  return response ? FlowQuery{e.ip_protocol, e.destination, e.source} : FlowQuery{e.ip_protocol, e.source, e.destination};
}

std::optional<FlowQuery> Attributor::flowOf(const core::Event& e) {
  auto ends = endsOf(e);
  if (!ends) return std::nullopt;
  const bool response = e.source == ends->remote;
  const bool loopback = ends->local.address.isLoopback() || e.interface.name == "lo";
  if (!loopback) {
    // A client end that arrived here, or left from here as a reply's
    // destination, is another host's: this host serves or forwards.
    if (!response && e.direction == core::Direction::kInbound) return std::nullopt;
    if (response && e.direction == core::Direction::kOutbound) return std::nullopt;
  }
  return ends;
}

Attributor::Attributor(std::unique_ptr<FlowOwnerProvider> provider, AttributorOptions options, Deliver deliver)
    : provider_(std::move(provider)), options_(options), deliver_(std::move(deliver)) {
  worker_ = std::thread([this] {
    core::nameThisThread("dl-attribution");
    run();
  });
}

Attributor::~Attributor() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  worker_.join();
}

void Attributor::submit(const core::Event& event, bool judged) {
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() < options_.queue_capacity) {
      bool lookup = pending_lookups_ < options_.lookup_capacity;
      if (lookup) ++pending_lookups_;
      queue_.push_back(Item{event, judged, lookup});
      ++submitted_;
      // Past the first, the worker is awake already (or was woken).
      if (queue_.size() == (holding_ ? kWakeAfter : 1)) wake_.notify_one();
      return;
    }
    ++overflow_;
  }
  // The worker is far behind: this event goes on now, here, without an
  // owner, rather than being lost (it may be stored ahead of queued ones).
  core::Event now = event;
  fail(now, core::AttributionFailure::kQueueFull, "the attribution worker was far behind; no lookup was made");
  deliver_(now, judged);
}

void Attributor::holdWakes() {
  std::lock_guard lock(mutex_);
  holding_ = true;
}

void Attributor::releaseWakes() {
  std::lock_guard lock(mutex_);
  holding_ = false;
  if (!queue_.empty()) wake_.notify_one();
}

void Attributor::flush() {
  std::unique_lock lock(mutex_);
  const std::uint64_t target = submitted_;
  drained_.wait(lock, [&] { return delivered_ >= target; });
}

void Attributor::run() {
  const bool polls = provider_->needsPolling();
  idle_wait_ = options_.idle_poll;
  // Polls keep their own time: events arriving more often than idle_wait_
  // neither hold them off nor bring them forward.
  auto next_poll = std::chrono::steady_clock::now() + idle_wait_;
  auto pollIfDue = [&] {
    const auto now = std::chrono::steady_clock::now();
    if (!polls || now < next_poll) return;
    // Read send-time reports while their senders live; back off while
    // there are none.
    const bool took = provider_->poll();
    idle_wait_ = took ? options_.idle_poll : std::min(idle_wait_ * 2, options_.idle_poll_max);
    evict(now);
    next_poll = std::chrono::steady_clock::now() + idle_wait_;
  };
  std::unique_lock lock(mutex_);
  while (true) {
    auto ready = [&] { return stop_ || !queue_.empty(); };
    if (polls) {
      wake_.wait_until(lock, next_poll, ready);
    } else {
      wake_.wait(lock, ready);
    }
    if (queue_.empty()) {
      if (stop_) break;
      lock.unlock();
      pollIfDue();
      lock.lock();
      continue;
    }
    // Everything queued, in one go: one lock per batch, not per event.
    batch_.swap(queue_);
    lock.unlock();
    std::size_t lookups = 0;
    for (auto& item : batch_) {
      attribute(item);
      deliver_(item.event, item.judged);
      if (item.lookup) ++lookups;
    }
    const std::size_t done = batch_.size();
    batch_.clear();
    lock.lock();
    pending_lookups_ -= lookups;
    delivered_ += done;
    drained_.notify_all();
    if (polls && std::chrono::steady_clock::now() >= next_poll) {
      // Due while events kept the worker busy.
      lock.unlock();
      pollIfDue();
      lock.lock();
    }
  }
}

void Attributor::fail(core::Event& e, core::AttributionFailure failure, const char* detail) {
  e.attribution = {};
  e.attribution.confidence = core::Confidence::kNone;
  e.attribution.failure = failure;
  e.attribution.detail = detail;
  std::lock_guard lock(mutex_);
  ++failures_[static_cast<std::size_t>(failure)];
}

void Attributor::attribute(Item& item) {
  core::Event& e = item.event;
  auto flow = flowOf(e);
  // Its direction says this host's, but the client's address is not: a
  // flow between two other hosts seen on a shared link, or one this host
  // routes. No socket here can hold it.
  if (flow && !provider_->holdsAddress(flow->local.address)) flow.reset();
  if (!flow) {
    // Forwarded here: a container's, if its sender was seen in another
    // network namespace of this host; else another host's.
    if (auto ends = endsOf(e)) {
      const auto start = std::chrono::steady_clock::now();
      if (auto owner = provider_->lookupForwarded(*ends)) {
        count(*owner, std::chrono::steady_clock::now() - start);
        e.process = std::move(owner->process);
        e.attribution = std::move(owner->attribution);
        return;
      }
    }
    fail(e, core::AttributionFailure::kNotLocal, "the client end of this flow is another host's");
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  if (auto it = cache_.find(*flow); it != cache_.end()) {
    const bool failed = it->second.owner.attribution.failure != core::AttributionFailure::kNone;
    bool usable = now - it->second.last_used < (failed ? options_.failure_idle : options_.cache_idle);
    if (usable && !failed) {
      // The same ends may be a new socket's now (a reused ephemeral port):
      // a changed socket is a new flow; an unknown one (closed since) is
      // believed only while the exchange is fresh.
      switch (provider_->check(*flow, it->second.owner)) {
        case Freshness::kSame:
          break;
        case Freshness::kChanged:
          usable = false;
          break;
        case Freshness::kUnknown:
          // Closed since: a response still belongs to the exchange it
          // answers; anything the client sends may be a new client's on a
          // reused port, and is looked up.
          usable = e.source == e.resolver && e.kind != core::MessageKind::kConnection &&
                   now - it->second.last_used < options_.unverified_idle;
          break;
      }
    }
    if (usable) {
      it->second.last_used = now;
      e.process = it->second.owner.process;
      e.attribution = it->second.owner.attribution;
      std::lock_guard lock(mutex_);
      ++cache_hits_;
      return;
    }
    cache_.erase(it);
  }
  if (!item.lookup) {
    fail(e, core::AttributionFailure::kQueueFull, "the attribution worker was behind; no lookup was made");
    return;
  }
  FlowOwner owner = provider_->lookup(*flow);
  count(owner, std::chrono::steady_clock::now() - now);
  e.process = owner.process;
  e.attribution = owner.attribution;
  if (cache_.size() >= options_.cache_entries) evict(now);
  if (cache_.size() < options_.cache_entries) cache_.emplace(*flow, Cached{std::move(owner), now});
}

void Attributor::count(const FlowOwner& owner, std::chrono::nanoseconds took) {
  std::lock_guard lock(mutex_);
  if (owner.attribution.failure == core::AttributionFailure::kNone) {
    auto& [found, latency] = methods_[owner.attribution.method];
    ++found;
    latency.add(took);
  } else {
    ++failures_[std::min<std::size_t>(static_cast<std::size_t>(owner.attribution.failure), failures_.size() - 1)];
    methods_["none"].second.add(took);
  }
}

void Attributor::evict(std::chrono::steady_clock::time_point now) {
  // At most once a second unless full: a sweep is a pass over the cache.
  if (cache_.size() < options_.cache_entries && now - last_eviction_ < std::chrono::seconds(1)) return;
  last_eviction_ = now;
  std::erase_if(cache_, [&](const auto& entry) {
    const bool failed = entry.second.owner.attribution.failure != core::AttributionFailure::kNone;
    return now - entry.second.last_used >= (failed ? options_.failure_idle : options_.cache_idle);
  });
  // Still full of live flows: the oldest half goes.
  if (cache_.size() >= options_.cache_entries) {
    std::vector<std::chrono::steady_clock::time_point> times;
    times.reserve(cache_.size());
    for (const auto& entry : cache_) times.push_back(entry.second.last_used);
    auto middle = times.begin() + static_cast<std::ptrdiff_t>(times.size() / 2);
    std::nth_element(times.begin(), middle, times.end());
    const auto cut = *middle;
    std::erase_if(cache_, [&](const auto& entry) { return entry.second.last_used <= cut; });
  }
}

AttributionStats Attributor::stats() const {
  AttributionStats out;
  out.provider = provider_->status();
  std::lock_guard lock(mutex_);
  for (const auto& [name, value] : methods_) {
    out.methods.push_back({name, value.first, value.second.percentileMicros(0.5), value.second.percentileMicros(0.99)});
  }
  for (auto f : {core::AttributionFailure::kNotFound, core::AttributionFailure::kExited,
                 core::AttributionFailure::kPermissionDenied, core::AttributionFailure::kUnsupported,
                 core::AttributionFailure::kNotLocal, core::AttributionFailure::kQueueFull}) {
    out.failures.emplace_back(std::string(failureName(f)), failures_[static_cast<std::size_t>(f)]);
  }
  out.cache_hits = cache_hits_;
  out.queued = queue_.size();
  out.overflow = overflow_;
  return out;
}

}  // namespace dnsleak::attribution
