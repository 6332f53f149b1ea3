#include "store/event_store.h"

#include <algorithm>
#include <stdexcept>

namespace dnsleak::store {

EventStore::EventStore(std::size_t capacity) : capacity_(capacity) {
  if (capacity == 0) throw std::invalid_argument("event store capacity must be at least 1");
  ring_.reserve(std::min<std::size_t>(capacity, 4096));
}

std::uint64_t EventStore::appendLocked(core::Event event) {
  std::uint64_t seq = next_seq_++;
  event.seq = seq;
  // Counted once in place: moved into a slot, a short string keeps the
  // buffer the slot's old string had, so the event's size is known only
  // there (and is what its eviction takes away again).
  if (ring_.size() < capacity_) {
    ring_.push_back(std::move(event));
    bytes_ += core::approximateSize(ring_.back());
  } else {
    bytes_ -= core::approximateSize(ring_[head_]);
    ring_[head_] = std::move(event);
    bytes_ += core::approximateSize(ring_[head_]);
    head_ = (head_ + 1) % capacity_;
    ++evicted_;
  }
  return seq;
}

std::uint64_t EventStore::append(core::Event event) {
  std::uint64_t seq;
  {
    std::lock_guard lock(mutex_);
    seq = appendLocked(std::move(event));
  }
  appended_.notify_all();
  return seq;
}

std::uint64_t EventStore::appendOrFold(core::Event event, const std::string& key, std::chrono::nanoseconds window) {
  if (window.count() <= 0) return append(std::move(event));
  std::uint64_t seq;
  {
    std::lock_guard lock(mutex_);
    auto it = folds_.find(key);
    if (it != folds_.end() && event.time - it->second.window_start < window) {
      if (core::Event* target = findLocked(it->second.seq)) {
        target->count += event.count;
        if (event.last_seen > target->last_seen) target->last_seen = event.last_seen;
        ++folded_;
        return it->second.seq;
      }
    }
    core::Timestamp start = event.time;
    seq = appendLocked(std::move(event));
    if (folds_.size() >= 2 * capacity_) {
      // Slots whose event left the ring can fold nothing more.
      std::uint64_t first = next_seq_ - ring_.size();
      std::erase_if(folds_, [&](const auto& slot) { return slot.second.seq < first; });
    }
    folds_[key] = {seq, start};
  }
  appended_.notify_all();
  return seq;
}

const core::Event* EventStore::findLocked(std::uint64_t seq) const {
  if (ring_.empty()) return nullptr;
  std::uint64_t first = next_seq_ - ring_.size();
  if (seq < first || seq >= next_seq_) return nullptr;
  return &ring_[(head_ + (seq - first)) % ring_.size()];
}

core::Event* EventStore::findLocked(std::uint64_t seq) {
  return const_cast<core::Event*>(static_cast<const EventStore*>(this)->findLocked(seq));
}

ReadResult EventStore::next(std::uint64_t from_seq, const std::function<bool(const core::Event&)>& filter) const {
  ReadResult result;
  std::lock_guard lock(mutex_);
  if (from_seq == 0) from_seq = next_seq_;
  std::uint64_t first = next_seq_ - ring_.size();
  if (from_seq < first) {
    result.kind = ReadResult::Kind::kGap;
    result.gap_from = from_seq;
    result.gap_to = first - 1;
    result.next_seq = first;
    return result;
  }
  for (std::uint64_t seq = from_seq; seq < next_seq_; ++seq) {
    const core::Event* e = findLocked(seq);
    if (!filter || filter(*e)) {
      result.kind = ReadResult::Kind::kEvent;
      result.event = *e;
      result.next_seq = seq + 1;
      return result;
    }
  }
  result.next_seq = next_seq_;
  return result;
}

void EventStore::forEach(const std::function<void(const core::Event&)>& visit) const {
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < ring_.size(); ++i) visit(ring_[(head_ + i) % ring_.size()]);
}

bool EventStore::waitForNewer(std::uint64_t after_seq, std::chrono::steady_clock::time_point deadline) const {
  std::unique_lock lock(mutex_);
  return appended_.wait_until(lock, deadline, [&] { return next_seq_ - 1 > after_seq; });
}

std::uint64_t EventStore::lastSeq() const {
  std::lock_guard lock(mutex_);
  return next_seq_ - 1;
}

StoreStats EventStore::stats() const {
  std::lock_guard lock(mutex_);
  StoreStats s;
  s.capacity = capacity_;
  s.size = ring_.size();
  s.first_seq = ring_.empty() ? 0 : next_seq_ - ring_.size();
  s.last_seq = ring_.empty() ? 0 : next_seq_ - 1;
  s.evicted = evicted_;
  s.bytes = bytes_;
  s.folded = folded_;
  return s;
}

}  // namespace dnsleak::store
