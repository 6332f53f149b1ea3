#include "store/event_store.h"

#include <algorithm>
#include <cstring>
#include <random>
#include <stdexcept>

namespace dnsleak::store {

EventStore::EventStore(std::size_t capacity) : capacity_(capacity) {
  if (capacity == 0) throw std::invalid_argument("event store capacity must be at least 1");
  std::random_device random;
  fold_seed_a_ = static_cast<std::uint64_t>(random()) << 32 | random();
  fold_seed_b_ = static_cast<std::uint64_t>(random()) << 32 | random();
  ring_.reserve(std::min<std::size_t>(capacity, 4096));
}

void EventStore::setUnattributed(core::AttributionInfo info) {
  std::lock_guard lock(mutex_);
  unattributed_ = std::move(info);
}

std::uint64_t EventStore::appendLocked(const core::Event& event) {
  std::uint64_t seq = next_seq_++;
  const std::size_t table_before = strings_.bytes();
  PackedEvent* slot;
  if (ring_.size() < capacity_) {
    slot = &ring_.emplace_back();
  } else {
    slot = &ring_[head_];
    bytes_ -= packedSize(*slot);
    packed_.releaseOldest();  // the slot's bytes: the oldest held
    head_ = (head_ + 1) % capacity_;
    ++evicted_;
  }
  slot->bytes = packed_.add(pack(event, strings_, previous_reason_, *slot, &unattributed_));
  slot->seq = seq;
  previous_reason_ = event.reason;
  bytes_ += packedSize(*slot) + (strings_.bytes() - table_before);
  return seq;
}

std::uint64_t EventStore::append(const core::Event& event) {
  std::uint64_t seq;
  bool wake;
  {
    std::lock_guard lock(mutex_);
    seq = appendLocked(event);
    wake = waiters_ > 0;
  }
  if (wake) appended_.notify_all();
  return seq;
}

EventStore::FoldKey EventStore::foldKeyOf(std::string_view text) const {
  // Two multiply-rotate hashes with unrelated constants, eight bytes a step
  // in one pass (the tail zero-padded, the length mixed in), each from a
  // seed drawn for this store: a local user who chooses names cannot work
  // out two keys that fold together without knowing the seeds.
  std::uint64_t a = fold_seed_a_ ^ text.size();
  std::uint64_t b = fold_seed_b_ ^ (text.size() * 0x9e3779b97f4a7c15ULL);
  auto mix = [&a, &b](std::uint64_t word) {
    a = (a ^ (word * 0xff51afd7ed558ccdULL)) * 0xc4ceb9fe1a85ec53ULL;
    a = (a << 31) | (a >> 33);
    b = (b ^ (word * 0x87c37b91114253d5ULL)) * 0x4cf5ad432745937fULL;
    b = (b << 27) | (b >> 37);
  };
  std::size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, text.data() + i, 8);
    mix(word);
  }
  if (i < text.size()) {
    std::uint64_t word = 0;
    std::memcpy(&word, text.data() + i, text.size() - i);
    mix(word);
  }
  a ^= a >> 29;
  a *= 0xbf58476d1ce4e5b9ULL;
  a ^= a >> 32;
  b ^= b >> 31;
  b *= 0x94d049bb133111ebULL;
  b ^= b >> 29;
  return {a, b};
}

std::uint64_t EventStore::appendOrFold(const core::Event& event, std::string_view text,
                                       std::chrono::nanoseconds window) {
  if (window.count() <= 0) return append(event);
  const FoldKey key = foldKeyOf(text);
  std::uint64_t seq;
  bool wake;
  {
    std::lock_guard lock(mutex_);
    if (folds_.size() >= 2 * capacity_) {
      // Slots whose event left the ring can fold nothing more.
      std::uint64_t first = next_seq_ - ring_.size();
      for (auto it = folds_.begin(); it != folds_.end();) {
        if (it->second.seq < first) {
          folds_.erase(it++);
        } else {
          ++it;
        }
      }
    }
    // One probe: the key's slot, found or made.
    auto [it, made] = folds_.try_emplace(key, FoldSlot{0, event.time});
    FoldSlot& slot = it->second;
    if (!made && event.time - slot.window_start < window) {
      if (PackedEvent* target = findLocked(slot.seq)) {
        target->count += event.count;
        if (event.last_seen > target->last_seen) target->last_seen = event.last_seen;
        ++folded_;
        return slot.seq;
      }
    }
    // Stored anew, and the key's window starts with it.
    slot = {appendLocked(event), event.time};
    seq = slot.seq;
    wake = waiters_ > 0;
  }
  if (wake) appended_.notify_all();
  return seq;
}

const PackedEvent* EventStore::findLocked(std::uint64_t seq) const {
  if (ring_.empty()) return nullptr;
  std::uint64_t first = next_seq_ - ring_.size();
  if (seq < first || seq >= next_seq_) return nullptr;
  return &ring_[(head_ + (seq - first)) % ring_.size()];
}

PackedEvent* EventStore::findLocked(std::uint64_t seq) {
  return const_cast<PackedEvent*>(static_cast<const EventStore*>(this)->findLocked(seq));
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
    if (!unpack(*findLocked(seq), strings_, result.event)) continue;  // cannot happen: packed here
    if (!filter || filter(result.event)) {
      result.kind = ReadResult::Kind::kEvent;
      result.next_seq = seq + 1;
      return result;
    }
  }
  result.next_seq = next_seq_;
  return result;
}

void EventStore::forEach(const std::function<void(const core::Event&)>& visit) const {
  std::lock_guard lock(mutex_);
  core::Event event;  // reused: its strings keep their buffers
  for (std::size_t i = 0; i < ring_.size(); ++i) {
    if (unpack(ring_[(head_ + i) % ring_.size()], strings_, event)) visit(event);
  }
}

void EventStore::forEachSummary(const std::function<void(const Summary&)>& visit) const {
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < ring_.size(); ++i) {
    const PackedEvent& p = ring_[(head_ + i) % ring_.size()];
    visit({p.seq, p.verdict, p.count, p.last_seen});
  }
}

bool EventStore::waitForNewer(std::uint64_t after_seq, std::chrono::steady_clock::time_point deadline) const {
  std::unique_lock lock(mutex_);
  ++waiters_;
  bool newer = appended_.wait_until(lock, deadline, [&] { return next_seq_ - 1 > after_seq; });
  --waiters_;
  return newer;
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
