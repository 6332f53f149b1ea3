#include "capture/interface_names.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <map>

namespace dnsleak::capture {

KernelInterfaceNames::KernelInterfaceNames(std::chrono::seconds refresh) : refresh_(refresh) {}

const KernelInterfaceNames::Entry* KernelInterfaceNames::entry(std::uint32_t ifindex) {
  if (ifindex == 0) return nullptr;
  auto now = std::chrono::steady_clock::now();
  auto it = cache_.find(ifindex);
  if (it != cache_.end() && now - it->second.looked_up < refresh_) return &it->second;
  Entry& e = cache_[ifindex];
  e.name = currentInterfaceName(ifindex);
  e.kind = e.name.empty() ? std::string() : currentInterfaceKind(ifindex);
  e.looked_up = now;
  return &e;
}

const std::string& KernelInterfaceNames::name(std::uint32_t ifindex) {
  const Entry* e = entry(ifindex);
  return e ? e->name : empty_;
}

const std::string& KernelInterfaceNames::kind(std::uint32_t ifindex) {
  const Entry* e = entry(ifindex);
  return e ? e->kind : empty_;
}

std::string currentInterfaceKind(std::uint32_t ifindex) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return {};
  struct {
    nlmsghdr header;
    ifinfomsg info;
  } request{};
  request.header.nlmsg_len = NLMSG_LENGTH(sizeof(ifinfomsg));
  request.header.nlmsg_type = RTM_GETLINK;
  request.header.nlmsg_flags = NLM_F_REQUEST;
  request.header.nlmsg_seq = 1;
  request.info.ifi_family = AF_UNSPEC;
  request.info.ifi_index = static_cast<int>(ifindex);
  std::string kind;
  timeval timeout{1, 0};  // the kernel answers at once; never hang the capture thread
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  if (send(fd, &request, request.header.nlmsg_len, 0) == static_cast<ssize_t>(request.header.nlmsg_len)) {
    alignas(nlmsghdr) char buffer[16384];
    ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buffer); n > 0 && NLMSG_OK(h, static_cast<unsigned>(n));
         h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type != RTM_NEWLINK) break;
      auto* info = static_cast<ifinfomsg*>(NLMSG_DATA(h));
      int length = static_cast<int>(IFLA_PAYLOAD(h));
      for (auto* a = IFLA_RTA(info); RTA_OK(a, length); a = RTA_NEXT(a, length)) {
        if (a->rta_type != IFLA_LINKINFO) continue;
        int inner = static_cast<int>(RTA_PAYLOAD(a));
        for (auto* b = static_cast<rtattr*>(RTA_DATA(a)); RTA_OK(b, inner); b = RTA_NEXT(b, inner)) {
          if (b->rta_type == IFLA_INFO_KIND) {
            const char* text = static_cast<const char*>(RTA_DATA(b));
            kind.assign(text, strnlen(text, RTA_PAYLOAD(b)));
          }
        }
      }
      break;
    }
  }
  close(fd);
  return kind;
}

std::string currentInterfaceName(std::uint32_t ifindex) {
  char buf[IF_NAMESIZE] = {};
  return ifindex != 0 && if_indextoname(ifindex, buf) ? buf : "";
}

namespace {

int prefixLength(const sockaddr* netmask) {
  if (!netmask) return -1;
  int bits = 0;
  const auto* bytes = netmask->sa_family == AF_INET
                          ? reinterpret_cast<const unsigned char*>(&reinterpret_cast<const sockaddr_in*>(netmask)->sin_addr)
                          : reinterpret_cast<const unsigned char*>(&reinterpret_cast<const sockaddr_in6*>(netmask)->sin6_addr);
  int length = netmask->sa_family == AF_INET ? 4 : 16;
  for (int i = 0; i < length; ++i) bits += std::popcount(static_cast<unsigned>(bytes[i]));
  return bits;
}

}  // namespace

std::vector<HostInterface> hostInterfaces() {
  std::map<std::string, HostInterface> by_name;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return {};
  for (ifaddrs* a = list; a; a = a->ifa_next) {
    if (!a->ifa_name) continue;
    HostInterface& h = by_name[a->ifa_name];
    if (h.name.empty()) {
      h.name = a->ifa_name;
      h.index = if_nametoindex(a->ifa_name);
      h.loopback = (a->ifa_flags & IFF_LOOPBACK) != 0;
      h.state = !(a->ifa_flags & IFF_UP) ? "down" : (a->ifa_flags & IFF_RUNNING) ? "up" : "up, no carrier";
    }
    if (a->ifa_addr && (a->ifa_addr->sa_family == AF_INET || a->ifa_addr->sa_family == AF_INET6)) {
      char text[INET6_ADDRSTRLEN] = {};
      const void* raw = a->ifa_addr->sa_family == AF_INET
                            ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(a->ifa_addr)->sin_addr)
                            : static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(a->ifa_addr)->sin6_addr);
      if (inet_ntop(a->ifa_addr->sa_family, raw, text, sizeof text)) {
        int bits = prefixLength(a->ifa_netmask);
        h.addresses.push_back(std::string(text) + (bits >= 0 ? "/" + std::to_string(bits) : ""));
      }
    }
  }
  freeifaddrs(list);
  std::vector<HostInterface> out;
  for (auto& [name, h] : by_name) {
    h.kind = currentInterfaceKind(h.index);
    out.push_back(std::move(h));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.index < b.index; });
  return out;
}

void StaticInterfaceNames::describe(std::uint32_t ifindex, std::string_view name) {
  std::lock_guard lock(mutex_);
  if (ifindex == 0 || name.empty() || by_index_.count(ifindex) || described_.count(ifindex)) return;
  described_.emplace(ifindex, std::string(name));
}

const std::string& StaticInterfaceNames::lookup(std::uint32_t ifindex) const {
  std::lock_guard lock(mutex_);
  if (ifindex != 0) {
    // --ifname first; then what the file said; then --interface, for a
    // file that names nothing.
    if (auto it = by_index_.find(ifindex); it != by_index_.end()) return it->second;
    if (auto it = described_.find(ifindex); it != described_.end()) return it->second;
    return by_index_.empty() ? fallback_ : empty_;
  }
  return fallback_;
}

}  // namespace dnsleak::capture
