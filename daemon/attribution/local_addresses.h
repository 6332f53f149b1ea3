#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "core/ip_address.h"

namespace dnsleak::attribution {

// The addresses this host holds, for telling its own flows from those it
// only carries (another host's on a shared link, or one it forwards). A
// packet's direction alone cannot tell: a response to another host
// arrives here just as one to us does, and looking up an owner for it
// costs a failing socket and conntrack search each time.
//
// Kept as a sorted list, reread when the host says its addresses changed.
// An address not in the list asks whether they did (at most once per
// `min_check`), so one added since (DHCP, a VPN coming up) is known at its
// first use after that, and a stream of other hosts' flows costs no
// rereading. Worker thread only.
class LocalAddresses {
 public:
  using Source = std::function<std::vector<core::IpAddress>()>;
  // Whether the host's addresses may have changed since the last call.
  // Never blocks.
  using Changed = std::function<bool()>;
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  LocalAddresses(Source source, Changed changed,
                 std::chrono::milliseconds min_check = std::chrono::milliseconds(10),
                 Clock clock = std::chrono::steady_clock::now);

  // Loopback addresses are always this host's.
  bool holds(const core::IpAddress& address);
  std::uint64_t reads() const { return reads_; }

 private:
  void read();

  Source source_;
  Changed changed_;
  std::chrono::milliseconds min_check_;
  Clock clock_;
  std::vector<core::IpAddress> sorted_;
  std::chrono::steady_clock::time_point checked_at_{};
  bool read_ = false;
  std::uint64_t reads_ = 0;
};

// This host's addresses, from getifaddrs (POSIX). Empty where it fails.
std::vector<core::IpAddress> hostAddresses();

// Tells when the host's addresses change (Linux: an rtnetlink socket in
// the address groups, read by a thread of its own that sleeps until a
// notice comes, so that asking costs no system call: on a gateway every
// packet of another host's flow asks). Where it cannot listen, every call
// says they may have.
class AddressChanges {
 public:
  AddressChanges();
  ~AddressChanges();
  AddressChanges(const AddressChanges&) = delete;
  AddressChanges& operator=(const AddressChanges&) = delete;
  // Whether a notice came since the last call. Never blocks; any thread.
  bool changed();

 private:
  void watch();

  int fd_ = -1;       // the rtnetlink socket
  int stop_fd_ = -1;  // an eventfd that ends watch()
  std::atomic<bool> changed_{false};
  std::atomic<bool> listening_{true};
  std::thread watcher_;
};

// The host's own list, reread on its notices.
LocalAddresses hostLocalAddresses();

}  // namespace dnsleak::attribution
