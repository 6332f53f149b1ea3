#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/event.h"

namespace dnsleak::store {

// Strings that many stored events share (rule, profile, remediation,
// interface, process, attribution, the shared tail of reasons), kept once
// and referred to by number. Bounded: past kMaxStrings, a string is written
// into the event itself instead. Entries are never removed, so a number
// stays valid for as long as the table lives (the store's life).
class StringTable {
 public:
  static constexpr std::size_t kMaxStrings = 16384;
  static constexpr std::size_t kMaxBytes = 4 << 20;

  // The string's number, or 0 when it is not (and cannot be) in the table.
  // Most strings were asked for by the event before: that check is inline.
  std::uint32_t intern(std::string_view text) {
    if (std::uint32_t id = recentId(text)) return id;
    return internSlow(text);
  }
  // The string's number when it was asked for lately, else 0.
  std::uint32_t recentId(std::string_view text) const {
    const Recent& recent = recent_[recentSlot(text)];
    return recent.id != 0 && recent.text.size() == text.size() &&
                   sameBytes(recent.text.data(), text.data(), text.size())
               ? recent.id
               : 0;
  }
  std::string_view at(std::uint32_t id) const { return strings_[id - 1]; }
  std::size_t size() const { return strings_.size(); }
  std::size_t bytes() const { return bytes_; }

 private:
  std::deque<std::string> strings_;  // id - 1 → text; a deque never moves what it holds
  std::unordered_map<std::string_view, std::uint32_t> ids_;  // views into strings_
  std::size_t bytes_ = 0;
  // The strings asked for lately, by length: consecutive events share most
  // of theirs (profile, rule, remediation of a few hundred bytes), and a
  // comparison is cheaper than hashing them again.
  struct Recent {
    std::string_view text;  // into strings_
    std::uint32_t id = 0;
  };
  std::array<Recent, 64> recent_{};

  // Equal bytes, up to 32 by word loads from each end (most shared strings
  // are short: a profile, a rule, a reason's opening), longer by memcmp.
  static bool sameBytes(const char* a, const char* b, std::size_t n) {
    auto word = [](const char* p) {
      std::uint64_t w;
      std::memcpy(&w, p, sizeof w);
      return w;
    };
    if (n > 32) return std::memcmp(a, b, n) == 0;
    if (n >= 8) {
      if (word(a) != word(b) || word(a + n - 8) != word(b + n - 8)) return false;
      return n <= 16 || (word(a + 8) == word(b + 8) && word(a + n - 16) == word(b + n - 16));
    }
    for (std::size_t i = 0; i < n; ++i) {
      if (a[i] != b[i]) return false;
    }
    return true;
  }
  static std::size_t recentSlot(std::string_view text) {
    const unsigned last = text.empty() ? 0 : static_cast<unsigned char>(text.back());
    return (text.size() ^ last << 3) % std::tuple_size_v<decltype(recent_)>;
  }
  std::uint32_t internSlow(std::string_view text);
};

// An event as the store keeps it: the fields every scan reads (and folding
// changes) beside the rest, packed into bytes with the shared strings as
// numbers into the store's StringTable. About a fifth of an Event's size.
struct PackedEvent {
  std::uint64_t seq = 0;
  std::uint64_t count = 1;
  core::Timestamp last_seen{};
  core::Verdict verdict = core::Verdict::kUnspecified;
  std::string_view bytes;  // everything else, see event_codec.cc; kept by the owner (the store's FifoBytes)
};

// Fills `head` (all but `bytes`) and returns the rest packed, in a buffer of
// this thread's that the next pack on it overwrites: the caller keeps a
// copy and points head.bytes at it. `previous_reason` is the reason of the
// event packed before this one: the tail the two share (when long enough)
// is kept once in the table. `unattributed`, when given, is packed in place
// of the event's attribution when it has none (failure kUnspecified): what
// events no attributor saw say, without a copy into each.
std::string_view pack(const core::Event& event, StringTable& strings, std::string_view previous_reason,
                      PackedEvent& head, const core::AttributionInfo* unattributed = nullptr);
// The event back, whole; false only if `packed` was not made by pack.
bool unpack(const PackedEvent& packed, const StringTable& strings, core::Event& out);

// The bytes a packed event takes: its slot and its packed bytes.
std::size_t packedSize(const PackedEvent& packed);

}  // namespace dnsleak::store
