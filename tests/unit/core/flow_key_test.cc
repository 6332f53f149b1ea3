#include "core/flow_key.h"

#include <cstdint>
#include <set>

#include <gtest/gtest.h>

#include "core/hash_map.h"
#include "core/hash_mix.h"

namespace dnsleak::core {
namespace {

// The flows of one client to one server differ only in the client's port.
// A Swiss table tells keys apart within a group by a hash's low 7 bits: if
// those were the same for all of them (the ports sat unmixed in the low
// bits), every lookup would compare every key of a group.
TEST(FlowKeyHash, FlowsThatDifferOnlyInAPortSpreadOverTheLowBits) {
  const IpAddress client = *IpAddress::parse("10.0.0.2");
  const IpAddress server = *IpAddress::parse("192.0.2.53");
  std::set<std::size_t> low7, high;
  for (std::uint16_t port = 40000; port < 41000; ++port) {
    const std::size_t h = FlowKeyHash{}(FlowKey{client, server, port, 443});
    low7.insert(h & 0x7f);
    high.insert(h >> 57);
  }
  // 1000 flows over 128 values: all of them, or nearly, are taken.
  EXPECT_GE(low7.size(), 120u);
  EXPECT_GE(high.size(), 120u);
}

TEST(FlowKeyHash, EqualKeysHashEqualAndDirectionMatters) {
  const IpAddress a = *IpAddress::parse("2001:db8::1");
  const IpAddress b = *IpAddress::parse("2001:db8::2");
  EXPECT_EQ(FlowKeyHash{}(FlowKey{a, b, 5353, 53}), FlowKeyHash{}(FlowKey{a, b, 5353, 53}));
  EXPECT_NE(FlowKeyHash{}(FlowKey{a, b, 5353, 53}), FlowKeyHash{}(FlowKey{b, a, 53, 5353}));
}

TEST(MixHash, NeighbouringInputsDifferInAboutHalfTheirBits) {
  // Consecutive integers (ids, ports) differ in a bit or two; mixed, in
  // about 32 of 64.
  int total = 0;
  for (std::uint64_t x = 0; x < 1000; ++x) total += __builtin_popcountll(mixHash(x) ^ mixHash(x + 1));
  EXPECT_NEAR(total / 1000.0, 32.0, 2.0);
}

// The packet path's tables, whichever the build has (core/hash_map.h):
// a StableMap's entries stay where they are while others come and go, as
// the RecencyLists that link them need.
TEST(StableMap, EntriesDoNotMoveWhileTheTableGrowsAndShrinks) {
  StableMap<FlowKey, int, FlowKeyHash> map;
  const IpAddress client = *IpAddress::parse("10.0.0.2");
  const IpAddress server = *IpAddress::parse("192.0.2.53");
  const FlowKey kept{client, server, 1, 443};
  auto [it, added] = map.emplace(kept, 7);
  ASSERT_TRUE(added);
  const FlowKey* key = &it->first;
  const int* value = &it->second;
  for (std::uint16_t port = 2; port < 20000; ++port) map.emplace(FlowKey{client, server, port, 443}, port);
  for (std::uint16_t port = 2; port < 20000; port += 2) map.erase(FlowKey{client, server, port, 443});
  auto found = map.find(kept);
  ASSERT_NE(found, map.end());
  EXPECT_EQ(&found->first, key);
  EXPECT_EQ(&found->second, value);
  EXPECT_EQ(*value, 7);
}

TEST(FlatMap, EraseIfRemovesWhatThePredicateSays) {
  FlatMap<std::uint64_t, int> map;
  for (std::uint64_t i = 0; i < 1000; ++i) map.emplace(i, static_cast<int>(i));
  EXPECT_EQ(eraseIf(map, [](const auto& entry) { return entry.second % 3 == 0; }), 334u);
  EXPECT_EQ(map.size(), 666u);
  EXPECT_FALSE(map.contains(999));
  EXPECT_TRUE(map.contains(998));
}

}  // namespace
}  // namespace dnsleak::core
