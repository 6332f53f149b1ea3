#pragma once

#include <cstddef>
#include <cstring>
#include <deque>
#include <memory>
#include <string_view>

namespace dnsleak::store {

// Records of any size, kept in the order they came and given up oldest
// first: the store's packed events. They are copied one after another into
// blocks of 64 KiB, so that keeping one costs no allocation of its own and
// its bytes land next to the previous record's (warm, and in the order a
// reader of the ring walks them); a block is reused once the last record in
// it is given up. A record larger than a block gets a block of its own size.
// Memory held: what the records take, plus at most the newest block's unused
// end, the oldest block's given-up start and one spare block.
class FifoBytes {
 public:
  static constexpr std::size_t kBlock = std::size_t{64} << 10;

  // A copy of `record`, where it stays until released.
  std::string_view add(std::string_view record) {
    if (blocks_.empty() || blocks_.back().capacity - blocks_.back().used < record.size()) startBlock(record.size());
    Block& block = blocks_.back();
    char* at = block.data.get() + block.used;
    if (!record.empty()) std::memcpy(at, record.data(), record.size());
    block.used += record.size();
    ++block.records;
    return {at, record.size()};
  }

  // Gives up the oldest record still held. Records are released in the
  // order they were added, so it is in the oldest block.
  void releaseOldest() {
    if (blocks_.empty()) return;
    Block& oldest = blocks_.front();
    if (oldest.records > 0) --oldest.records;
    if (oldest.records > 0) return;
    if (blocks_.size() == 1) {
      oldest.used = 0;  // empty: written again from its start
      return;
    }
    keepSpare(std::move(oldest));
    blocks_.pop_front();
  }

  // Bytes allocated for records, the spare block included.
  std::size_t reserved() const {
    std::size_t total = spare_.capacity;
    for (const Block& block : blocks_) total += block.capacity;
    return total;
  }
  std::size_t blocks() const { return blocks_.size(); }

 private:
  struct Block {
    std::unique_ptr<char[]> data;
    std::size_t capacity = 0;
    std::size_t used = 0;
    std::size_t records = 0;  // added and not yet released
  };

  void keepSpare(Block&& block) {
    if (block.capacity == kBlock && !spare_.data) spare_ = std::move(block);
  }

  void startBlock(std::size_t at_least) {
    // Only the newest block can be empty, and only when it is the only one.
    if (!blocks_.empty() && blocks_.back().records == 0) {
      keepSpare(std::move(blocks_.back()));
      blocks_.pop_back();
    }
    if (at_least <= kBlock && spare_.data) {
      spare_.used = 0;
      spare_.records = 0;
      blocks_.push_back(std::move(spare_));
      spare_ = Block();
      return;
    }
    Block block;
    block.capacity = at_least <= kBlock ? kBlock : at_least;
    block.data = std::make_unique_for_overwrite<char[]>(block.capacity);
    blocks_.push_back(std::move(block));
  }

  std::deque<Block> blocks_;  // oldest first
  Block spare_;               // the last emptied block, for the next one
};

}  // namespace dnsleak::store
