#include "capture/interface_names.h"

#include <net/if.h>

namespace dnsleak::capture {

KernelInterfaceNames::KernelInterfaceNames(std::chrono::seconds refresh) : refresh_(refresh) {}

const std::string& KernelInterfaceNames::name(std::uint32_t ifindex) {
  if (ifindex == 0) return empty_;
  auto now = std::chrono::steady_clock::now();
  auto it = cache_.find(ifindex);
  if (it != cache_.end() && now - it->second.looked_up < refresh_) return it->second.name;
  char buf[IF_NAMESIZE] = {};
  Entry& entry = cache_[ifindex];
  entry.name = if_indextoname(ifindex, buf) ? buf : "";
  entry.looked_up = now;
  return entry.name;
}

std::string currentInterfaceName(std::uint32_t ifindex) {
  char buf[IF_NAMESIZE] = {};
  return ifindex != 0 && if_indextoname(ifindex, buf) ? buf : "";
}

const std::string& StaticInterfaceNames::lookup(std::uint32_t ifindex) const {
  if (ifindex != 0) {
    auto it = by_index_.find(ifindex);
    if (it != by_index_.end()) return it->second;
    return by_index_.empty() ? fallback_ : empty_;
  }
  return fallback_;
}

}  // namespace dnsleak::capture
