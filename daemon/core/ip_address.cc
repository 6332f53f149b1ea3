#include "core/ip_address.h"

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

namespace {

// Text to address by hand, as inet_pton(3) reads it (RFC 4291 section 2.2
// text; dotted quads without leading zeros), so that no platform header is
// needed. A unit test holds both to the same answers.
bool parseV4(std::string_view s, std::uint8_t* out) {
  std::uint8_t tmp[4] = {};
  int octets = 0;
  bool saw_digit = false;
  unsigned value = 0;
  for (char ch : s) {
    if (ch >= '0' && ch <= '9') {
      if (saw_digit && value == 0) return false;  // a leading zero
      value = value * 10 + static_cast<unsigned>(ch - '0');
      if (value > 255) return false;
      if (!saw_digit) {
        if (++octets > 4) return false;
        saw_digit = true;
      }
      tmp[octets - 1] = static_cast<std::uint8_t>(value);
    } else if (ch == '.' && saw_digit) {
      if (octets == 4) return false;
      saw_digit = false;
      value = 0;
    } else {
      return false;
    }
  }
  if (octets < 4 || !saw_digit) return false;
  std::memcpy(out, tmp, 4);
  return true;
}

int hexValue(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

bool parseV6(std::string_view s, std::uint8_t* out) {
  std::uint8_t tmp[16] = {};
  std::size_t tp = 0;
  std::size_t colon = std::string_view::npos;  // where "::" stands, in tmp
  std::size_t i = 0;
  if (s.empty()) return false;
  if (s[0] == ':') {
    if (s.size() < 2 || s[1] != ':') return false;
    i = 1;
  }
  std::size_t token = i;
  bool saw_xdigit = false;
  int digits = 0;
  unsigned value = 0;
  while (i < s.size()) {
    const char ch = s[i++];
    if (int h = hexValue(ch); h >= 0) {
      if (++digits > 4) return false;
      value = value << 4 | static_cast<unsigned>(h);
      saw_xdigit = true;
      continue;
    }
    if (ch == ':') {
      token = i;
      if (!saw_xdigit) {
        if (colon != std::string_view::npos) return false;
        colon = tp;
        continue;
      }
      if (i == s.size()) return false;  // a lone ':' at the end
      if (tp + 2 > 16) return false;
      tmp[tp++] = static_cast<std::uint8_t>(value >> 8);
      tmp[tp++] = static_cast<std::uint8_t>(value);
      saw_xdigit = false;
      digits = 0;
      value = 0;
      continue;
    }
    if (ch == '.' && tp + 4 <= 16 && parseV4(s.substr(token), tmp + tp)) {
      tp += 4;
      saw_xdigit = false;
      break;
    }
    return false;
  }
  if (saw_xdigit) {
    if (tp + 2 > 16) return false;
    tmp[tp++] = static_cast<std::uint8_t>(value >> 8);
    tmp[tp++] = static_cast<std::uint8_t>(value);
  }
  if (colon != std::string_view::npos) {
    if (tp == 16) return false;  // "::" must stand for at least one group
    const std::size_t tail = tp - colon;
    std::memmove(tmp + 16 - tail, tmp + colon, tail);
    std::memset(tmp + colon, 0, 16 - tail - colon);
    tp = 16;
  }
  if (tp != 16) return false;
  std::memcpy(out, tmp, 16);
  return true;
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  // No textual address is longer than 45 characters (INET6_ADDRSTRLEN - 1).
  if (text.empty() || text.size() >= 46) return std::nullopt;
  std::uint8_t out[16];
  if (parseV4(text, out)) return v4(out);
  if (parseV6(text, out)) return v6(out);
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
