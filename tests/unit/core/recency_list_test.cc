#include "core/recency_list.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace dnsleak::core {
namespace {

struct Entry {
  int id = 0;
  RecencyLinks<Entry> links;
};
using List = RecencyList<Entry, &Entry::links>;

// The ids from the oldest to the newest, and checked the other way too.
std::vector<int> order(const List& list) {
  std::vector<int> forward, backward;
  for (const Entry* e = list.oldest(); e; e = e->links.newer) forward.push_back(e->id);
  for (const Entry* e = list.newest(); e; e = e->links.older) backward.insert(backward.begin(), e->id);
  EXPECT_EQ(forward, backward);
  return forward;
}

TEST(RecencyList, KeepsEntriesInTheOrderTheyWereLastTouched) {
  std::array<Entry, 4> e{{{1, {}}, {2, {}}, {3, {}}, {4, {}}}};
  List list;
  EXPECT_EQ(list.oldest(), nullptr);
  for (auto& entry : e) list.append(entry);
  EXPECT_EQ(order(list), (std::vector<int>{1, 2, 3, 4}));
  list.touch(e[0]);  // the oldest
  EXPECT_EQ(order(list), (std::vector<int>{2, 3, 4, 1}));
  list.touch(e[2]);  // one in the middle
  EXPECT_EQ(order(list), (std::vector<int>{2, 4, 1, 3}));
  list.touch(e[2]);  // the newest already
  EXPECT_EQ(order(list), (std::vector<int>{2, 4, 1, 3}));
}

TEST(RecencyList, RemovesFromEitherEndAndTheMiddle) {
  std::array<Entry, 4> e{{{1, {}}, {2, {}}, {3, {}}, {4, {}}}};
  List list;
  for (auto& entry : e) list.append(entry);
  list.remove(e[1]);
  EXPECT_EQ(order(list), (std::vector<int>{1, 3, 4}));
  list.remove(e[0]);
  EXPECT_EQ(order(list), (std::vector<int>{3, 4}));
  list.remove(e[3]);
  EXPECT_EQ(order(list), (std::vector<int>{3}));
  list.remove(e[2]);
  EXPECT_EQ(list.oldest(), nullptr);
  EXPECT_EQ(list.newest(), nullptr);
  list.append(e[1]);  // a removed entry can be listed again
  EXPECT_EQ(order(list), (std::vector<int>{2}));
}

}  // namespace
}  // namespace dnsleak::core
