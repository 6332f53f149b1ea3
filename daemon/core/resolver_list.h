#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_set>

#include "core/ip_address.h"

namespace dnsleak::core {

// Known encrypted-DNS resolvers: host names (each covering the names under
// it, as the Adblock-style lists it comes from mean them), exact host names
// (that name only: a server no source says more about than that it serves
// DNS) and addresses. Built at config load, immutable after, shared
// between threads.
class ResolverList {
 public:
  void addHost(std::string_view name);
  void addExactHost(std::string_view name);
  void removeHost(std::string_view name);
  void addAddress(const IpAddress& address);
  void removeAddress(const IpAddress& address) { addresses_.erase(address); }

  // Whether `name` (case-insensitive) is listed, exactly or as a host, or
  // a name above it as a host. A removed name stops the walk upwards:
  // removing "a.example" excludes it and the names under it even when
  // "example" is listed.
  bool hostListed(std::string_view name) const;
  bool addressListed(const IpAddress& address) const { return addresses_.count(address) != 0; }

  std::size_t hostCount() const { return hosts_.size() + exact_.size(); }
  std::size_t addressCount() const { return addresses_.size(); }

 private:
  std::unordered_set<std::string> hosts_;
  std::unordered_set<std::string> exact_;
  std::unordered_set<std::string> removed_;
  std::unordered_set<IpAddress, IpAddressHash> addresses_;
};

}  // namespace dnsleak::core
