#pragma once

#include <cstdint>

namespace dnsleak::core {

// Spreads every bit of `x` over the whole word (MurmurHash3's finalizer):
// for a hash put together from fields, some of which (ports, ids) would
// otherwise sit unmixed in its low bits, which Swiss tables rely on
// (core/hash_map.h).
inline std::uint64_t mixHash(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

}  // namespace dnsleak::core
