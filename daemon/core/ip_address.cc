#include "core/ip_address.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace dnsleak::core {

IpAddress IpAddress::v4(const std::uint8_t* bytes) {
  IpAddress a;
  a.family_ = Family::kV4;
  std::memcpy(a.bytes_.data(), bytes, 4);
  return a;
}

IpAddress IpAddress::v6(const std::uint8_t* bytes) {
  IpAddress a;
  a.family_ = Family::kV6;
  std::memcpy(a.bytes_.data(), bytes, 16);
  return a;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  // inet_pton needs a NUL-terminated string; addresses are short.
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buf[INET6_ADDRSTRLEN];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  std::uint8_t out[16];
  if (inet_pton(AF_INET, buf, out) == 1) return v4(out);
  if (inet_pton(AF_INET6, buf, out) == 1) return v6(out);
  return std::nullopt;
}

bool IpAddress::isLoopback() const {
  if (isV4()) return bytes_[0] == 127;
  if (isV6()) {
    static constexpr std::array<std::uint8_t, 16> kLoop{0, 0, 0, 0, 0, 0, 0, 0,
                                                        0, 0, 0, 0, 0, 0, 0, 1};
    if (bytes_ == kLoop) return true;
    // IPv4-mapped loopback ::ffff:127.x.y.z
    static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return std::memcmp(bytes_.data(), kMapped, 12) == 0 && bytes_[12] == 127;
  }
  return false;
}

// By hand, not inet_ntop: glibc's goes through sprintf, and every answer
// and every reason has an address in it.
std::size_t formatIpv4(const std::uint8_t* bytes, char* out) {
  char* p = out;
  for (int i = 0; i < 4; ++i) {
    unsigned v = bytes[i];
    if (v >= 100) *p++ = static_cast<char>('0' + v / 100);
    if (v >= 10) *p++ = static_cast<char>('0' + v / 10 % 10);
    *p++ = static_cast<char>('0' + v % 10);
    if (i < 3) *p++ = '.';
  }
  return static_cast<std::size_t>(p - out);
}

std::size_t formatIpv6(const std::uint8_t* bytes, char* out) {
  std::uint16_t words[8];
  for (int i = 0; i < 8; ++i) words[i] = static_cast<std::uint16_t>(bytes[2 * i] << 8 | bytes[2 * i + 1]);
  // The longest run of zero words, the first of equals, if two or more
  // long, becomes "::" (as inet_ntop does).
  int best = -1, best_length = 0;
  for (int i = 0; i < 8;) {
    if (words[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && words[j] == 0) ++j;
    if (j - i > best_length) {
      best = i;
      best_length = j - i;
    }
    i = j;
  }
  if (best_length < 2) best = -1;
  static constexpr char kHex[] = "0123456789abcdef";
  char* p = out;
  for (int i = 0; i < 8; ++i) {
    if (best >= 0 && i >= best && i < best + best_length) {
      if (i == best) *p++ = ':';
      continue;
    }
    if (i != 0) *p++ = ':';
    // IPv4-compatible (::a.b.c.d) and IPv4-mapped (::ffff:a.b.c.d) end
    // in dotted form.
    if (i == 6 && best == 0 && (best_length == 6 || (best_length == 5 && words[5] == 0xffff))) {
      p += formatIpv4(bytes + 12, p);
      return static_cast<std::size_t>(p - out);
    }
    const unsigned w = words[i];
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
      const unsigned digit = w >> shift & 0xf;
      if (digit == 0 && !started && shift != 0) continue;
      started = true;
      *p++ = kHex[digit];
    }
  }
  if (best >= 0 && best + best_length == 8) *p++ = ':';
  return static_cast<std::size_t>(p - out);
}

std::string IpAddress::toString() const {
  char buf[kMaxAddressText];
  if (isV4()) return std::string(buf, formatIpv4(bytes_.data(), buf));
  if (isV6()) return std::string(buf, formatIpv6(bytes_.data(), buf));
  return {};
}

IpPrefix::IpPrefix(IpAddress address, int length) : length_(length) {
  // Keep the address masked so that equal prefixes compare equal.
  auto bytes = address.bytes();
  for (int i = 0; i < 16; ++i) {
    int bits = length - i * 8;
    if (bits >= 8) continue;
    bytes[i] = bits <= 0 ? 0 : static_cast<std::uint8_t>(bytes[i] & (0xff << (8 - bits)));
  }
  address_ = address.isV4() ? IpAddress::v4(bytes.data()) : IpAddress::v6(bytes.data());
}

std::optional<IpPrefix> IpPrefix::parse(std::string_view text) {
  auto slash = text.find('/');
  auto addr = IpAddress::parse(text.substr(0, slash));
  if (!addr) return std::nullopt;
  int length = addr->bitLength();
  if (slash != std::string_view::npos) {
    auto len_text = text.substr(slash + 1);
    auto [ptr, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), length);
    if (ec != std::errc() || ptr != len_text.data() + len_text.size() || len_text.empty() ||
        length < 0 || length > addr->bitLength()) {
      return std::nullopt;
    }
  }
  return IpPrefix(*addr, length);
}

bool IpPrefix::contains(const IpAddress& address) const {
  if (address.family() != address_.family()) return false;
  const auto& a = address.bytes();
  const auto& p = address_.bytes();
  int full = length_ / 8;
  if (std::memcmp(a.data(), p.data(), static_cast<std::size_t>(full)) != 0) return false;
  int rest = length_ % 8;
  if (rest == 0) return true;
  auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (a[full] & mask) == p[full];
}

std::string IpPrefix::toString() const {
  return address_.toString() + "/" + std::to_string(length_);
}

}  // namespace dnsleak::core
