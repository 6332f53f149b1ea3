#pragma once

#include <chrono>
#include <functional>
#include <vector>

#include "core/ip_address.h"

namespace dnsleak::attribution {

// The addresses this host holds, for telling its own flows from those it
// only carries (another host's on a shared link, or one it forwards). A
// packet's direction alone cannot tell: a response to another host
// arrives here just as one to us does, and looking up an owner for it
// costs a failing socket and conntrack search each time.
//
// Kept as a sorted list; an address not in it rereads the host's list,
// at most once per `min_refresh`, so an address added since (DHCP, a VPN
// coming up) is known within that long. Worker thread only.
class LocalAddresses {
 public:
  using Source = std::function<std::vector<core::IpAddress>()>;
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  explicit LocalAddresses(Source source, std::chrono::milliseconds min_refresh = std::chrono::milliseconds(100),
                          Clock clock = std::chrono::steady_clock::now);

  // Loopback addresses are always this host's.
  bool holds(const core::IpAddress& address);
  std::uint64_t refreshes() const { return refreshes_; }

 private:
  void refresh(std::chrono::steady_clock::time_point now);

  Source source_;
  std::chrono::milliseconds min_refresh_;
  Clock clock_;
  std::vector<core::IpAddress> sorted_;
  std::chrono::steady_clock::time_point read_at_{};
  bool read_ = false;
  std::uint64_t refreshes_ = 0;
};

// This host's addresses, from getifaddrs (POSIX). Empty where it fails.
std::vector<core::IpAddress> hostAddresses();

}  // namespace dnsleak::attribution
