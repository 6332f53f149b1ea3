#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "core/event.h"
#include "store/event_store.h"

namespace dnsleak::app {

// The MESSAGE_ID of every leak entry: `journalctl MESSAGE_ID=...` is a
// fleet's feed of leaks.
inline constexpr const char* kLeakMessageId = "6a1d2f0c8b4e4f3e9d7c5b3a1e0f9d2c";

// Whether this process should write to the journal: `on`, or `auto` when
// its stderr is the stream journald gave it (JOURNAL_STREAM names the
// device and inode of that stream, as systemd sets it for a service).
bool journalWanted(config::JournalMode mode);

// One leak's journal entry: KEY=value fields for sd_journal_sendv.
// `count` is the occurrences this entry stands for; `repeat` marks an entry
// that adds later occurrences of an event already written.
std::vector<std::string> leakJournalFields(const core::Event& event, std::uint64_t count, bool repeat);

// Writes each stored leak to the journal once, folded as the store folds:
// a new leak is written when it has stopped growing for `settle` (so a
// burst of identical leaks is one entry with its count), and occurrences
// folded into it later are one more entry with the added count, so that
// summing DNSLEAK_COUNT over entries gives every occurrence. It reads the
// store as a watcher does, on its own thread: capture never waits on it.
class LeakJournal {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    std::chrono::milliseconds settle{1000};
    std::chrono::milliseconds scan{250};
    std::size_t max_pending = 4096;  // leaks waiting or watched for folds
    // Where entries go: sd_journal_sendv when empty (a seam for tests).
    std::function<void(const std::vector<std::string>& fields)> writer;
  };
  // `fold_window` gives the store's fold window now (it follows reloads).
  LeakJournal(const store::EventStore& store, std::function<std::chrono::seconds()> fold_window, Options options);
  ~LeakJournal();  // writes what is pending, then stops

  std::uint64_t written() const { return written_.load(); }
  std::uint64_t missed() const { return missed_.load(); }  // evicted before they were written

 private:
  struct Pending {
    std::uint64_t seq;
    std::uint64_t count;    // as last read from the store
    std::uint64_t written;  // occurrences already in the journal
    Clock::time_point seen;
    Clock::time_point grew;
  };
  void run();
  void scan(Clock::time_point now, bool final);
  void write(const core::Event& event, std::uint64_t count, bool repeat);

  const store::EventStore& store_;
  std::function<std::chrono::seconds()> fold_window_;
  Options options_;
  std::uint64_t cursor_ = 0;     // journal thread only
  std::deque<Pending> pending_;  // journal thread only, oldest first
  std::atomic<std::uint64_t> written_{0};
  std::atomic<std::uint64_t> missed_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace dnsleak::app
