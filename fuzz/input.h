#pragma once

// The fuzzed input read a little at a time by the targets that build
// structured values from it; zeros once it runs out.

#include <cstddef>
#include <cstdint>
#include <string>

namespace dnsleak::fuzz {

class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  bool empty() const { return at_ >= size_; }
  std::uint8_t u8() { return at_ < size_ ? data_[at_++] : 0; }
  std::uint16_t u16() { return static_cast<std::uint16_t>(u8() << 8 | u8()); }
  // Up to `max` raw bytes, as many as a length byte says.
  std::string text(std::size_t max) {
    std::size_t n = u8() % (max + 1);
    std::string s;
    for (std::size_t i = 0; i < n && !empty(); ++i) s += static_cast<char>(u8());
    return s;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t at_ = 0;
};

}  // namespace dnsleak::fuzz
