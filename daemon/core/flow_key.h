#pragma once

#include <cstddef>
#include <cstdint>

#include "core/hash_mix.h"
#include "core/ip_address.h"

namespace dnsleak::core {

// Addresses and ports of a transport flow, from `src` to `dst`. Trackers
// that key a whole connection put its client first.
struct FlowKey {
  IpAddress src;
  IpAddress dst;
  std::uint16_t src_port = 0;
  std::uint16_t dst_port = 0;
  bool operator==(const FlowKey&) const = default;
};

struct FlowKeyHash {
  std::size_t operator()(const FlowKey& k) const noexcept {
    IpAddressHash h;
    return static_cast<std::size_t>(
        mixHash(h(k.src) * 31 + h(k.dst) * 17 + (static_cast<std::uint64_t>(k.src_port) << 16 | k.dst_port)));
  }
};

}  // namespace dnsleak::core
