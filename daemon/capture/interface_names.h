#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace dnsleak::capture {

// Maps interface indexes to names and link kinds.
class InterfaceNames {
 public:
  virtual ~InterfaceNames() = default;
  // The name for `ifindex`, or "" when unknown. The reference is valid
  // until the next call. Capture thread only.
  virtual const std::string& name(std::uint32_t ifindex) = 0;
  // The kernel's link kind ("wireguard", "tun", "vxlan", "veth", ...; ""
  // for a physical device or when unknown), valid like name().
  virtual const std::string& kind(std::uint32_t ifindex) = 0;
  // A name the capture source read for `ifindex` (a pcapng interface's
  // if_name); kept unless a name for it is known already. Capture thread.
  virtual void describe(std::uint32_t /*ifindex*/, std::string_view /*name*/) {}
};

// Names from the kernel of the network namespace the daemon runs in,
// cached; an entry is looked up again when older than `refresh`, since an
// index can be reused by a new interface.
class KernelInterfaceNames : public InterfaceNames {
 public:
  explicit KernelInterfaceNames(std::chrono::seconds refresh = std::chrono::seconds(10));
  const std::string& name(std::uint32_t ifindex) override;
  const std::string& kind(std::uint32_t ifindex) override;

 private:
  struct Entry {
    std::string name;
    std::string kind;
    std::chrono::steady_clock::time_point looked_up;
  };
  const Entry* entry(std::uint32_t ifindex);
  std::chrono::seconds refresh_;
  std::unordered_map<std::uint32_t, Entry> cache_;
  std::string empty_;
};

// The kernel's current name for an interface index, "" if none. A system
// call: for the control plane, not per packet. Any thread.
std::string currentInterfaceName(std::uint32_t ifindex);

// The kernel's link kind of an interface (rtnetlink RTM_GETLINK,
// IFLA_LINKINFO / IFLA_INFO_KIND), "" when it has none or cannot be read.
// A netlink round trip: cached by KernelInterfaceNames. Any thread.
std::string currentInterfaceKind(std::uint32_t ifindex);

// An interface of this network namespace, as `ip addr` shows it.
struct HostInterface {
  std::string name;
  std::uint32_t index = 0;
  std::string kind;    // as currentInterfaceKind
  std::string state;   // "up", "up, no carrier", "down"
  bool loopback = false;
  std::vector<std::string> addresses;  // address/prefix length
};

// Every interface of the namespace (getifaddrs), ordered by index. A
// system call and a netlink round trip per interface: control plane only.
std::vector<HostInterface> hostInterfaces();

// Names given by the user for a capture file: a map for SLL2 indexes and a
// default for packets that carry none.
class StaticInterfaceNames : public InterfaceNames {
 public:
  StaticInterfaceNames(std::unordered_map<std::uint32_t, std::string> by_index, std::string fallback)
      : by_index_(std::move(by_index)), fallback_(std::move(fallback)) {}
  const std::string& name(std::uint32_t ifindex) override { return lookup(ifindex); }
  const std::string& kind(std::uint32_t) override { return empty_; }  // files carry no link kinds
  void describe(std::uint32_t ifindex, std::string_view name) override;
  // The same lookup, for any thread. Names are only ever added, never
  // changed or removed, so a reference stays valid.
  const std::string& lookup(std::uint32_t ifindex) const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::uint32_t, std::string> by_index_;  // guarded by mutex_
  std::unordered_map<std::uint32_t, std::string> described_;  // from the file; guarded by mutex_
  std::string fallback_;
  std::string empty_;
};

}  // namespace dnsleak::capture
