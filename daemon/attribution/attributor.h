#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "attribution/flow_owner.h"
#include "core/counter.h"
#include "core/event.h"

namespace dnsleak::attribution {

struct AttributorOptions {
  // Events held for the worker, and of those how many may wait for a
  // lookup; past the second an event goes on unattributed (queue_full),
  // past the first it is delivered at once by submit(), unattributed
  // (overflow). The capture thread never waits for a lookup.
  std::size_t queue_capacity = 65536;
  std::size_t lookup_capacity = 4096;
  // Owners kept per flow, so the response and later packets of the flow
  // reuse the lookup; an entry unused this long is forgotten. A failed
  // lookup is kept only briefly: the socket may appear. Each use of a
  // remembered owner is checked against the socket there now.
  std::size_t cache_entries = 16384;
  std::chrono::milliseconds cache_idle{std::chrono::seconds(120)};
  std::chrono::milliseconds failure_idle{std::chrono::milliseconds(500)};
  // An owner whose socket can no longer be checked (closed) is believed
  // for responses within this long only (the rest of its exchange).
  std::chrono::milliseconds unverified_idle{std::chrono::seconds(2)};
  // A provider that needsPolling() is polled this often while it has
  // reports; each empty poll doubles the wait, up to idle_poll_max. The
  // polls keep their own time, whether events come or not. A lookup polls
  // first anyway, so a report is never read late for the flow it names;
  // these polls keep the ring from filling and read senders while they
  // live. A quiet host, or one whose captured traffic is not its own, then
  // wakes for them a few times a second, not fifty.
  std::chrono::milliseconds idle_poll{20};
  std::chrono::milliseconds idle_poll_max{320};
};

// Lookup latency of one method: a log-scale histogram in microseconds.
class LatencyHistogram {
 public:
  void add(std::chrono::nanoseconds d);
  std::uint64_t count() const { return count_; }
  // The value at or below which this share of lookups fell, in µs (the
  // upper bound of its bucket: at most a quarter too high).
  double percentileMicros(double share) const;

 private:
  static constexpr int kBuckets = 96;  // 4 per power of two from 1 µs: up to 2^24 µs
  std::array<std::uint64_t, kBuckets> buckets_{};
  std::uint64_t count_ = 0;
};

struct AttributionStats {
  struct Method {
    std::string name;
    std::uint64_t found = 0;
    double p50_us = 0;
    double p99_us = 0;
  };
  std::vector<Method> methods;
  std::vector<std::pair<std::string, std::uint64_t>> failures;  // every reason, zero or not
  std::uint64_t cache_hits = 0;
  std::uint64_t queued = 0;
  std::uint64_t overflow = 0;  // events delivered at once, unattributed, past queue_capacity
  ProviderStatus provider;
};

// Runs process attribution off the capture thread. submit() queues an
// event (never waiting on a lookup); the worker finds the flow's owner
// (from its cache or the provider), puts it on the event and hands the
// event to `deliver`, on the worker thread, in submission order.
class Attributor {
 public:
  // judged: whether the event already has its verdict (a connection event
  // judged by correlation) or is to be judged by `deliver` now it has an owner.
  using Deliver = std::function<void(core::Event& event, bool judged)>;

  Attributor(std::unique_ptr<FlowOwnerProvider> provider, AttributorOptions options, Deliver deliver);
  ~Attributor();  // delivers what is queued, then stops

  // Capture thread. Past queue_capacity it calls `deliver` itself, so
  // `deliver` must be safe to call from here and from the worker.
  void submit(const core::Event& event, bool judged);
  // Capture thread, around a reading of packets: while held, submit()
  // wakes the worker only once kWakeAfter events wait; release wakes it
  // for what came meanwhile. One wake per reading, where each event of a
  // reading woke the worker (and, on a shared core, took it from capture
  // and back) at light load.
  void holdWakes();
  void releaseWakes();
  static constexpr std::size_t kWakeAfter = 256;
  // Waits until everything submitted so far has been delivered (tests,
  // shutdown).
  void flush();
  AttributionStats stats() const;

  // The flow whose owner an event is about, by the packet's direction: the
  // client's end (the one that is not the resolver) must be this host's.
  // Nothing when it is not (this host is the server, or forwards the
  // flow). The worker also asks the provider whether this host holds the
  // client's address.
  static std::optional<FlowQuery> flowOf(const core::Event& event);
  // The client's and the server's ends, wherever the client is.
  static std::optional<FlowQuery> endsOf(const core::Event& event);

  static std::string_view failureName(core::AttributionFailure failure);

 private:
  struct Item {
    core::Event event;
    bool judged = false;
    bool lookup = true;  // false: the lookup budget was spent (queue_full)
  };
  struct Cached {
    FlowOwner owner;
    std::chrono::steady_clock::time_point last_used;
  };

  void run();
  void attribute(Item& item);
  // An event that gets no lookup: the reason on it, and counted.
  void fail(core::Event& event, core::AttributionFailure failure, const char* detail);
  void count(const FlowOwner& owner, std::chrono::nanoseconds took);
  void evict(std::chrono::steady_clock::time_point now);

  std::unique_ptr<FlowOwnerProvider> provider_;
  const AttributorOptions options_;
  Deliver deliver_;

  mutable std::mutex mutex_;  // guards queue_, pending_lookups_, stop_, delivered_, counts below
  std::condition_variable wake_;
  std::condition_variable drained_;
  std::deque<Item> queue_;
  std::deque<Item> batch_;  // the worker's, taken from queue_ whole
  std::size_t pending_lookups_ = 0;
  std::uint64_t submitted_ = 0;
  std::uint64_t delivered_ = 0;
  bool stop_ = false;
  bool holding_ = false;  // holdWakes() until releaseWakes()

  std::map<std::string, std::pair<std::uint64_t, LatencyHistogram>> methods_;
  std::array<std::uint64_t, 16> failures_{};
  std::uint64_t cache_hits_ = 0;
  std::uint64_t overflow_ = 0;

  // Worker only.
  std::unordered_map<FlowQuery, Cached, FlowQueryHash> cache_;
  std::chrono::steady_clock::time_point last_eviction_{};
  std::chrono::milliseconds idle_wait_{};

  std::thread worker_;
};

}  // namespace dnsleak::attribution
