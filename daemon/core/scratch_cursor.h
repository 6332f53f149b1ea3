#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace dnsleak::core {

// Bytes kept between uses of a ScratchCursor: grown by doubling, never
// cleared (std::string zero-fills every byte it grows by).
struct ScratchBytes {
  std::unique_ptr<char[]> data;
  std::size_t capacity = 0;
};

// Writes one record from the start of a ScratchBytes through a raw cursor:
// room(n) before n bytes are written at `at`, so a writer checks the
// capacity once per field, not once per byte. For the hot writers of one
// record at a time (an event's JSON line, a packed event), whose buffer is
// the writing thread's.
struct ScratchCursor {
  ScratchCursor(ScratchBytes& scratch, std::size_t expected)
      : bytes(scratch), at(scratch.data.get()), end(at + scratch.capacity) {
    room(expected);
  }

  // Checked once per field of a record: inlined, the growth called.
  [[gnu::always_inline]] void room(std::size_t n) {
    if (static_cast<std::size_t>(end - at) < n) [[unlikely]] grow(n);
  }
  void put(char c) {
    room(1);
    *at++ = c;
  }
  void put(std::string_view text) {
    room(text.size());
    if (!text.empty()) std::memcpy(at, text.data(), text.size());
    at += text.size();
  }
  std::string_view written() const { return {bytes.data.get(), static_cast<std::size_t>(at - bytes.data.get())}; }

  ScratchBytes& bytes;
  char* at;   // the next byte to write
  char* end;  // the end of the buffer

 private:
  [[gnu::noinline]] void grow(std::size_t n) {
    const auto used = static_cast<std::size_t>(at - bytes.data.get());
    const std::size_t capacity = std::max(bytes.capacity * 2, used + n + 1024);
    auto grown = std::make_unique_for_overwrite<char[]>(capacity);
    if (used != 0) std::memcpy(grown.get(), bytes.data.get(), used);
    bytes.data = std::move(grown);
    bytes.capacity = capacity;
    at = bytes.data.get() + used;
    end = bytes.data.get() + capacity;
  }
};

}  // namespace dnsleak::core
