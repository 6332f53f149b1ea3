#include "core/resolver_list.h"

#include <algorithm>
#include <cctype>

namespace dnsleak::core {
namespace {

std::string lower(std::string_view name) {
  std::string out(name);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  while (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

}  // namespace

void ResolverList::addHost(std::string_view name) {
  std::string n = lower(name);
  removed_.erase(n);
  hosts_.insert(std::move(n));
}

void ResolverList::removeHost(std::string_view name) {
  std::string n = lower(name);
  hosts_.erase(n);
  removed_.insert(std::move(n));
}

void ResolverList::addAddress(const IpAddress& address) { addresses_.insert(address); }

bool ResolverList::hostListed(std::string_view name) const {
  if (name.empty() || hosts_.empty()) return false;
  std::string n = lower(name);
  std::string_view rest = n;
  for (;;) {
    std::string key(rest);
    if (removed_.count(key)) return false;
    if (hosts_.count(key)) return true;
    auto dot = rest.find('.');
    if (dot == std::string_view::npos) return false;
    rest.remove_prefix(dot + 1);
  }
}

}  // namespace dnsleak::core
