#pragma once

// The hash tables of the packet path. Where the build has Abseil, its
// Swiss tables: a lookup reads one group of control bytes and, nearly
// always, compares one key, where std::unordered_map walks a bucket's
// chain of nodes (and, without cached hashes, hashes each node it passes).
// A build without Abseil (the Windows cross-build; CMake then defines
// DNSLEAK_STD_MAPS) keeps the standard map, with the same behaviour.
//
// A Swiss table takes the low 7 bits of a hash to tell keys apart within a
// group, and the rest to pick the group: every bit must be mixed (a hash
// that leaves ports in the low bits unmixed makes every lookup compare
// every key).

#include <cstddef>
#include <functional>
#include <unordered_map>  // std::erase_if's declarations too

#ifndef DNSLEAK_STD_MAPS
#include <absl/container/flat_hash_map.h>
#include <absl/container/node_hash_map.h>
#include <absl/hash/hash.h>
#endif

namespace dnsleak::core {

// The implementations, chosen once.
#ifdef DNSLEAK_STD_MAPS
template <typename Key>
using DefaultHash = std::hash<Key>;
template <typename Key, typename Value, typename Hash>
using FlatTable = std::unordered_map<Key, Value, Hash>;
template <typename Key, typename Value, typename Hash>
using NodeTable = std::unordered_map<Key, Value, Hash>;
#else
template <typename Key>
using DefaultHash = absl::Hash<Key>;
template <typename Key, typename Value, typename Hash>
using FlatTable = absl::flat_hash_map<Key, Value, Hash>;
template <typename Key, typename Value, typename Hash>
using NodeTable = absl::node_hash_map<Key, Value, Hash>;
#endif

// Values may move when the table grows: hold no pointer into it.
template <typename Key, typename Value, typename Hash = DefaultHash<Key>>
using FlatMap = FlatTable<Key, Value, Hash>;
// Keys and values stay where they are until erased (a RecencyList links them).
template <typename Key, typename Value, typename Hash = DefaultHash<Key>>
using StableMap = NodeTable<Key, Value, Hash>;

// Erases the entries `pred` holds for; returns how many. (std::erase_if
// for the standard map, Abseil's own, found by argument lookup, for its.)
template <typename Map, typename Pred>
std::size_t eraseIf(Map& map, Pred pred) {
  using std::erase_if;
  return erase_if(map, pred);
}

}  // namespace dnsleak::core
