#include "store/fifo_bytes.h"

#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <utility>

namespace dnsleak::store {
namespace {

// A record of its own content: its number, repeated to its length.
std::string record(int n, std::size_t size) {
  std::string text(size, static_cast<char>('a' + n % 26));
  if (size > 0) text[0] = static_cast<char>(n % 251);
  return text;
}

// Holds `live` records at a time through many turns of the blocks, with
// sizes from empty to a few blocks long, and checks every record still
// held, byte for byte, after each step.
TEST(FifoBytes, EveryRecordHeldStaysAsWrittenWhileOthersComeAndGo) {
  FifoBytes bytes;
  std::deque<std::pair<std::string, std::string_view>> held;  // expected, stored
  const std::size_t sizes[] = {0, 1, 250, 4000, FifoBytes::kBlock - 1, FifoBytes::kBlock, 3 * FifoBytes::kBlock + 7,
                               90, 300};
  for (int n = 0; n < 3000; ++n) {
    std::size_t size = sizes[(n * 7) % std::size(sizes)];
    if (n % 50 != 0) size %= 5000;  // a block or more now and then
    std::string text = record(n, size);
    std::string_view stored = bytes.add(text);
    ASSERT_EQ(stored, text) << n;
    held.emplace_back(std::move(text), stored);
    const std::size_t live = n % 400 < 200 ? 40 : 3;  // a ring that shrinks as well as fills
    while (held.size() > live) {
      bytes.releaseOldest();
      held.pop_front();
    }
    for (const auto& [expected, at] : held) ASSERT_EQ(at, expected) << "after record " << n;
  }
}

TEST(FifoBytes, ABlockIsGivenUpWithItsLastRecordAndReused) {
  FifoBytes bytes;
  const std::string quarter(FifoBytes::kBlock / 4, 'q');
  for (int i = 0; i < 8; ++i) bytes.add(quarter);  // two blocks, full
  EXPECT_EQ(bytes.blocks(), 2u);
  for (int i = 0; i < 3; ++i) bytes.releaseOldest();
  EXPECT_EQ(bytes.blocks(), 2u);  // one record of the first block is still held
  bytes.releaseOldest();
  EXPECT_EQ(bytes.blocks(), 1u);
  EXPECT_EQ(bytes.reserved(), 2 * FifoBytes::kBlock);  // the emptied one is kept as the spare
  bytes.add(quarter);  // no room in the second: the spare, not a new block
  EXPECT_EQ(bytes.blocks(), 2u);
  EXPECT_EQ(bytes.reserved(), 2 * FifoBytes::kBlock);
}

TEST(FifoBytes, MemoryStaysNearWhatTheRecordsTakeThroughManyTurns) {
  FifoBytes bytes;
  const std::string event(250, 'e');
  const std::size_t live = 10000;  // the store's default capacity, at a typical packed size
  for (std::size_t n = 0; n < 20 * live; ++n) {
    bytes.add(event);
    if (n >= live) bytes.releaseOldest();
  }
  // 2.5 MB of records: at most the two partly used ends and the spare more.
  EXPECT_LE(bytes.reserved(), live * event.size() + 3 * FifoBytes::kBlock);
  EXPECT_GE(bytes.reserved(), live * event.size());
}

TEST(FifoBytes, EmptiedWholeItStartsOverInTheBlockItHas) {
  FifoBytes bytes;
  bytes.add("one");
  bytes.add("two");
  bytes.releaseOldest();
  bytes.releaseOldest();
  std::string_view again = bytes.add("three");
  EXPECT_EQ(again, "three");
  EXPECT_EQ(bytes.blocks(), 1u);
  // A record too large for the empty block replaces it rather than leave
  // an empty block ahead of it, which a release would then take for it.
  const std::string large(2 * FifoBytes::kBlock, 'L');
  bytes.releaseOldest();
  std::string_view big = bytes.add(large);
  bytes.add("after");
  EXPECT_EQ(bytes.blocks(), 2u);
  bytes.releaseOldest();  // the large one
  EXPECT_EQ(bytes.blocks(), 1u);
  EXPECT_EQ(big.size(), large.size());
}

}  // namespace
}  // namespace dnsleak::store
