#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace dnsleak::core {

// IP protocol numbers (IANA), so that the portable stages need no
// platform's netinet/in.h.
inline constexpr std::uint8_t kIpProtoIpip = 4;
inline constexpr std::uint8_t kIpProtoTcp = 6;
inline constexpr std::uint8_t kIpProtoUdp = 17;
inline constexpr std::uint8_t kIpProtoIpv6 = 41;

// An address as text, exactly as inet_ntop writes it (dotted IPv4; RFC
// 5952 IPv6, mapped and compatible IPv4 in dotted form), into `out`, which
// holds kMaxAddressText bytes; returns the length (no NUL).
inline constexpr std::size_t kMaxAddressText = 46;
std::size_t formatIpv4(const std::uint8_t* bytes, char* out);
std::size_t formatIpv6(const std::uint8_t* bytes, char* out);

// An IPv4 or IPv6 address held by value. IPv4 addresses keep their four
// bytes in bytes_[0..3]; the rest is zero. Comparable and hashable so it can
// key flow tables.
class IpAddress {
 public:
  enum class Family : std::uint8_t { kNone = 0, kV4 = 4, kV6 = 6 };

  IpAddress() = default;
  static IpAddress v4(const std::uint8_t* bytes);
  static IpAddress v6(const std::uint8_t* bytes);
  // Accepts dotted IPv4 and any RFC 4291 IPv6 text form.
  static std::optional<IpAddress> parse(std::string_view text);

  Family family() const { return family_; }
  bool isV4() const { return family_ == Family::kV4; }
  bool isV6() const { return family_ == Family::kV6; }
  bool empty() const { return family_ == Family::kNone; }
  const std::array<std::uint8_t, 16>& bytes() const { return bytes_; }
  int bitLength() const { return isV4() ? 32 : 128; }
  bool isLoopback() const;
  // 0.0.0.0 or :: (a socket bound to every address)
  bool isUnspecified() const { return !empty() && bytes_ == std::array<std::uint8_t, 16>{}; }

  std::string toString() const;

  auto operator<=>(const IpAddress&) const = default;

 private:
  Family family_ = Family::kNone;
  std::array<std::uint8_t, 16> bytes_{};
};

// An address prefix such as 10.0.0.0/8 or 2001:db8::/32; a bare address is
// a full-length prefix.
class IpPrefix {
 public:
  IpPrefix() = default;
  IpPrefix(IpAddress address, int length);
  static std::optional<IpPrefix> parse(std::string_view text);

  bool contains(const IpAddress& address) const;
  const IpAddress& address() const { return address_; }
  int length() const { return length_; }
  std::string toString() const;

 private:
  IpAddress address_;
  int length_ = 0;
};

// Two 64-bit words multiplied and mixed: a few cycles, inlined into every
// flow table. Flow keys are not adversarial enough to need more (tables are
// bounded and evict).
struct IpAddressHash {
  std::size_t operator()(const IpAddress& a) const noexcept {
    std::uint64_t lo, hi;
    std::memcpy(&lo, a.bytes().data(), 8);
    std::memcpy(&hi, a.bytes().data() + 8, 8);
    std::uint64_t h = (lo * 0x9e3779b97f4a7c15ULL) ^ (hi * 0xc2b2ae3d27d4eb4fULL) ^ static_cast<std::uint8_t>(a.family());
    h ^= h >> 32;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 29;
    return static_cast<std::size_t>(h);
  }
};

}  // namespace dnsleak::core
