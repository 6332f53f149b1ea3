#pragma once

namespace dnsleak::core {

// The two links an entry needs to be on a RecencyList.
template <typename Entry>
struct RecencyLinks {
  Entry* older = nullptr;
  Entry* newer = nullptr;
};

// Entries of a bounded table in the order they were last used, linked
// through the entries themselves (`Links` names their member): a table
// evicts its least recently used entry and forgets its idle ones from the
// oldest end, each in O(1), without a scan. The entries must not move
// while listed (the values of a node-based map do not). Not thread-safe:
// owned with its table.
template <typename Entry, RecencyLinks<Entry> Entry::*Links>
class RecencyList {
 public:
  Entry* oldest() const { return oldest_; }
  Entry* newest() const { return newest_; }

  // Lists an entry that is on no list, as the newest.
  void append(Entry& entry) {
    RecencyLinks<Entry>& links = entry.*Links;
    links.older = newest_;
    links.newer = nullptr;
    (newest_ ? (newest_->*Links).newer : oldest_) = &entry;
    newest_ = &entry;
  }

  // Takes a listed entry off this list.
  void remove(Entry& entry) {
    RecencyLinks<Entry>& links = entry.*Links;
    (links.older ? (links.older->*Links).newer : oldest_) = links.newer;
    (links.newer ? (links.newer->*Links).older : newest_) = links.older;
    links = {};
  }

  // Makes a listed entry the newest.
  void touch(Entry& entry) {
    if (newest_ == &entry) return;
    remove(entry);
    append(entry);
  }

 private:
  Entry* oldest_ = nullptr;
  Entry* newest_ = nullptr;
};

}  // namespace dnsleak::core
