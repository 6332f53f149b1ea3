#include "core/resolver_list.h"

#include "core/names.h"

namespace dnsleak::core {

void ResolverList::addHost(std::string_view name) {
  std::string n = lowerName(name);
  removed_.erase(n);
  hosts_.insert(std::move(n));
}

void ResolverList::addExactHost(std::string_view name) {
  std::string n = lowerName(name);
  removed_.erase(n);
  exact_.insert(std::move(n));
}

void ResolverList::removeHost(std::string_view name) {
  std::string n = lowerName(name);
  hosts_.erase(n);
  exact_.erase(n);
  removed_.insert(std::move(n));
}

void ResolverList::addAddress(const IpAddress& address) { addresses_.insert(address); }

bool ResolverList::hostListed(std::string_view name) const {
  if (name.empty() || (hosts_.empty() && exact_.empty())) return false;
  std::string n = lowerName(name);
  if (exact_.count(n)) return !removed_.count(n);
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
