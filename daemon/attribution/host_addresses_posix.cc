#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#if defined(__linux__)
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#endif

#include "attribution/local_addresses.h"

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
  if (bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    close(fd_);
    fd_ = -1;
  }
#endif
}

AddressChanges::~AddressChanges() {
  if (fd_ >= 0) close(fd_);
}

bool AddressChanges::changed() {
  if (fd_ < 0) return true;
  bool any = false;
  char buffer[8192];
  for (;;) {
    ssize_t n = recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n > 0) {
      any = true;
      continue;
    }
    // ENOBUFS: notices were lost, so something changed.
    if (n < 0 && errno == ENOBUFS) {
      any = true;
      continue;
    }
    return any;
  }
}

LocalAddresses hostLocalAddresses() {
  auto changes = std::make_shared<AddressChanges>();
  return LocalAddresses(hostAddresses, [changes] { return changes->changed(); });
}

}  // namespace dnsleak::attribution
