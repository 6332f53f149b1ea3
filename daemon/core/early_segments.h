#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace dnsleak::core {

// TCP segments of one direction that came before the gap ahead of them,
// held until the stream reaches them. The owner bounds how many it holds
// and accounts their bytes in its own budget. Capture thread only.
class EarlySegments {
 public:
  struct Segment {
    std::uint32_t seq = 0;
    std::vector<std::uint8_t> bytes;
  };

  bool empty() const { return held_.empty(); }
  std::size_t count() const { return held_.size(); }
  std::size_t bytes() const {
    std::size_t n = 0;
    for (const auto& s : held_) n += s.bytes.size();
    return n;
  }
  const std::vector<Segment>& held() const { return held_; }

  void hold(std::uint32_t seq, std::span<const std::uint8_t> bytes) { held_.push_back({seq, {bytes.begin(), bytes.end()}}); }
  void clear() {
    held_.clear();
    held_.shrink_to_fit();
  }

  // Takes out a held segment the stream at `next_seq` has reached (it
  // starts at or before `next_seq`; sequence numbers wrap). `skip` is how
  // many of its bytes the stream already has: all of them when it lay
  // wholly behind. False when no held segment is reached yet.
  bool popReached(std::uint32_t next_seq, Segment& out, std::size_t& skip) {
    for (std::size_t i = 0; i < held_.size(); ++i) {
      auto behind = static_cast<std::int32_t>(next_seq - held_[i].seq);
      if (behind < 0) continue;  // still past a gap
      out = std::move(held_[i]);
      held_.erase(held_.begin() + static_cast<std::ptrdiff_t>(i));
      skip = static_cast<std::size_t>(behind) < out.bytes.size() ? static_cast<std::size_t>(behind) : out.bytes.size();
      return true;
    }
    return false;
  }

 private:
  std::vector<Segment> held_;
};

}  // namespace dnsleak::core
