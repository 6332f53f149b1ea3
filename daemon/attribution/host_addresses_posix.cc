#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#if defined(__linux__)
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <sys/eventfd.h>
#endif

#include <cstdint>

#include "attribution/local_addresses.h"
#include "core/thread_name.h"

namespace dnsleak::attribution {

std::vector<core::IpAddress> hostAddresses() {
  std::vector<core::IpAddress> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (ifaddrs* a = list; a; a = a->ifa_next) {
    if (!a->ifa_addr) continue;
    if (a->ifa_addr->sa_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
      out.push_back(core::IpAddress::v4(reinterpret_cast<const std::uint8_t*>(&in->sin_addr)));
    } else if (a->ifa_addr->sa_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr);
      out.push_back(core::IpAddress::v6(reinterpret_cast<const std::uint8_t*>(&in6->sin6_addr)));
    }
  }
  freeifaddrs(list);
  return out;
}

AddressChanges::AddressChanges() {
#if defined(__linux__)
  fd_ = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
  if (fd_ < 0) return;
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  local.nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
  stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 || stop_fd_ < 0) {
    close(fd_);
    fd_ = -1;
    if (stop_fd_ >= 0) close(stop_fd_);
    stop_fd_ = -1;
    return;
  }
  watcher_ = std::thread([this] {
    core::nameThisThread("dl-addresses");
    watch();
  });
#endif
}

AddressChanges::~AddressChanges() {
#if defined(__linux__)
  if (watcher_.joinable()) {
    const std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(stop_fd_, &one, sizeof one);
    watcher_.join();
  }
  if (stop_fd_ >= 0) close(stop_fd_);
#endif
  if (fd_ >= 0) close(fd_);
}

void AddressChanges::watch() {
#if defined(__linux__)
  char buffer[8192];
  for (;;) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      listening_.store(false);  // cannot listen any more: every call says they may have
      return;
    }
    if (fds[1].revents != 0) return;
    bool any = false;
    for (;;) {
      ssize_t n = recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
      // ENOBUFS: notices were lost, so something changed.
      if (n > 0 || (n < 0 && errno == ENOBUFS)) {
        any = true;
        continue;
      }
      break;
    }
    if (any) changed_.store(true, std::memory_order_release);
  }
#endif
}

bool AddressChanges::changed() {
  if (fd_ < 0 || !listening_.load()) return true;
  // A notice read after this exchange is said at the next call.
  return changed_.exchange(false, std::memory_order_acq_rel);
}

LocalAddresses hostLocalAddresses() {
  auto changes = std::make_shared<AddressChanges>();
  return LocalAddresses(hostAddresses, [changes] { return changes->changed(); });
}

}  // namespace dnsleak::attribution
