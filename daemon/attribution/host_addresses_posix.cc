#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>

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

}  // namespace dnsleak::attribution
