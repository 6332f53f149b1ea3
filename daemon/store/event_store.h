#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "core/hash_map.h"
#include "store/event_codec.h"
#include "store/fifo_bytes.h"

namespace dnsleak::store {

struct StoreStats {
  std::size_t capacity = 0;
  std::size_t size = 0;
  std::uint64_t first_seq = 0;  // 0 when empty
  std::uint64_t last_seq = 0;   // 0 when empty
  std::uint64_t evicted = 0;
  std::size_t bytes = 0;  // the events as packed, and the strings they share
  std::uint64_t folded = 0;  // occurrences counted into an earlier event instead of stored anew
};

// What a reader finds at a position in the ring.
struct ReadResult {
  enum class Kind { kEvent, kGap, kNothing };
  Kind kind = Kind::kNothing;
  core::Event event;             // for kEvent
  std::uint64_t gap_from = 0;    // for kGap: first missed sequence number
  std::uint64_t gap_to = 0;      // for kGap: last missed sequence number
  std::uint64_t next_seq = 0;    // where the reader continues
};

// A bounded in-memory ring of events. Each appended event gets the next
// sequence number (from 1, never reused); when full the oldest is evicted.
// Events are kept packed (event_codec.h: shared strings once, the rest one
// after another in FifoBytes' blocks), about 250 bytes instead of 2 KB, and
// unpacked for each reader.
// All state is reachable only through mutex_; readers copy what they take so
// the lock is held only for the copy. The capture thread appends; API
// threads read; nobody waits on a reader.
class EventStore {
 public:
  explicit EventStore(std::size_t capacity);

  // What an event stored with no attribution (failure kUnspecified) says
  // of its owner: attribution off, or events from a file. Before the first
  // append.
  void setUnattributed(core::AttributionInfo info);

  // Stores the event (packed: nothing of it is kept), under the next
  // sequence number, which is returned.
  std::uint64_t append(const core::Event& event);

  // Stores the event, or folds it: when an event with the same `key` was
  // stored less than `window` before (by event time) and is still in the
  // ring, that event's count grows by one and its last_seen moves to this
  // one's; nothing new is stored, and the fold is counted. A window of zero
  // never folds. Returns the seq stored or folded into.
  std::uint64_t appendOrFold(const core::Event& event, std::string_view key, std::chrono::nanoseconds window);

  // The first event with seq >= from_seq that `filter` accepts, or a gap
  // when from_seq is older than the oldest stored event, or nothing yet.
  // from_seq 0 means "the next event to be stored".
  ReadResult next(std::uint64_t from_seq, const std::function<bool(const core::Event&)>& filter) const;

  // Calls `visit` for every stored event, oldest first, under the lock:
  // visit must be quick and must not call back into the store.
  void forEach(const std::function<void(const core::Event&)>& visit) const;

  // The same over what every event keeps unpacked: cheap enough for a scan
  // of the whole ring on each status request.
  struct Summary {
    std::uint64_t seq;
    core::Verdict verdict;
    std::uint64_t count;
    core::Timestamp last_seen;
  };
  void forEachSummary(const std::function<void(const Summary&)>& visit) const;

  // Blocks until an event with seq > after_seq exists or the deadline passes.
  bool waitForNewer(std::uint64_t after_seq, std::chrono::steady_clock::time_point deadline) const;

  std::uint64_t lastSeq() const;
  StoreStats stats() const;

 private:
  const PackedEvent* findLocked(std::uint64_t seq) const;
  PackedEvent* findLocked(std::uint64_t seq);
  std::uint64_t appendLocked(const core::Event& event);

  // A fold key by two unrelated, seeded 64-bit hashes of its text: no
  // string kept per leak, and two keys taken for one (folding two
  // different leaks) is about 1 in 10^30 at the store's bound.
  struct FoldKey {
    std::uint64_t a = 0, b = 0;
    bool operator==(const FoldKey&) const = default;
  };
  struct FoldKeyHash {
    std::size_t operator()(const FoldKey& k) const noexcept { return static_cast<std::size_t>(k.a); }
  };
  FoldKey foldKeyOf(std::string_view text) const;
  // Where each fold key's current window started and which event it counts into.
  struct FoldSlot {
    std::uint64_t seq;
    core::Timestamp window_start;
  };

  mutable std::mutex mutex_;
  mutable std::condition_variable appended_;
  mutable int waiters_ = 0;  // in waitForNewer: an append wakes only when someone waits
  std::vector<PackedEvent> ring_;  // grows to capacity_, then wraps
  FifoBytes packed_;               // ring_'s bytes, in ring order
  StringTable strings_;
  std::string previous_reason_;    // of the last event appended
  core::AttributionInfo unattributed_;
  std::size_t capacity_;
  std::size_t head_ = 0;           // index of the oldest event once full
  std::uint64_t next_seq_ = 1;
  std::uint64_t evicted_ = 0;
  std::size_t bytes_ = 0;
  // Flat (32 bytes a slot): a lookup is one cache line, the sweep a scan.
  core::FlatMap<FoldKey, FoldSlot, FoldKeyHash> folds_;  // at most about 2x capacity_: stale slots are swept
  std::uint64_t folded_ = 0;
  std::uint64_t fold_seed_a_ = 0, fold_seed_b_ = 0;  // drawn at construction
};

}  // namespace dnsleak::store
