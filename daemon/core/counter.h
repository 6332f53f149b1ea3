#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace dnsleak::core {

// A 64-bit counter with one writing thread and any number of readers.
// Increments are a relaxed load and store, not a locked read-modify-write:
// the hot path stays cheap, and readers see a recent, never torn, value.
class Counter {
 public:
  void add(std::uint64_t n = 1) { value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  void set(std::uint64_t v) { value_.store(v, std::memory_order_relaxed); }
  std::uint64_t get() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// One counter per value of an enum whose values run 0..kCount-1.
template <typename Enum, std::size_t kCount>
class EnumCounters {
 public:
  void add(Enum e, std::uint64_t n = 1) { counters_[static_cast<std::size_t>(e)].add(n); }
  std::uint64_t get(Enum e) const { return counters_[static_cast<std::size_t>(e)].get(); }
  static constexpr std::size_t size() { return kCount; }

 private:
  std::array<Counter, kCount> counters_{};
};

}  // namespace dnsleak::core
