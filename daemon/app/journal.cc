#include "app/journal.h"

#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>

#include "core/thread_name.h"

namespace dnsleak::app {

bool journalWanted(config::JournalMode mode) {
  if (mode == config::JournalMode::kOn) return true;
  if (mode == config::JournalMode::kOff) return false;
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (!stream) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(stream, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st {};
  return fstat(2, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

std::vector<std::string> leakJournalFields(const core::Event& e, std::uint64_t count, bool repeat) {
  const std::string name = !e.dns.qname.empty() ? e.dns.qname : e.sni;
  const std::string resolver = core::describeEndpoint(e.resolver);
  std::string message =
      std::string(core::leakTypeName(e.leak_type)) + " " + std::string(core::transportName(e.transport));
  if (!name.empty()) message += " " + name;
  if (!resolver.empty()) message += " to " + resolver;
  if (!e.interface.name.empty()) message += " via " + e.interface.name;
  if (!e.process.name.empty()) message += " by " + e.process.name + " (pid " + std::to_string(e.process.pid) + ")";
  if (repeat) {
    message += ": " + std::to_string(count) + " more time" + (count == 1 ? "" : "s");
  } else {
    if (count > 1) message += " (" + std::to_string(count) + " times)";
    if (!e.reason.empty()) message += ": " + e.reason;
  }
  std::vector<std::string> fields = {
      "MESSAGE=" + message,
      std::string("MESSAGE_ID=") + kLeakMessageId,
      "PRIORITY=4",
      "SYSLOG_IDENTIFIER=dnsleakd",
      "DNSLEAK_RULE=" + e.rule,
      "DNSLEAK_LEAK_TYPE=" + std::string(core::leakTypeName(e.leak_type)),
      "DNSLEAK_TRANSPORT=" + std::string(core::transportName(e.transport)),
      "DNSLEAK_QNAME=" + name,
      "DNSLEAK_RESOLVER=" + resolver,
      "DNSLEAK_INTERFACE=" + e.interface.name,
      "DNSLEAK_PID=" + (e.process.pid ? std::to_string(e.process.pid) : std::string()),
      "DNSLEAK_EXE=" + e.process.exe,
      "DNSLEAK_SEQ=" + std::to_string(e.seq),
      "DNSLEAK_COUNT=" + std::to_string(count),
      "DNSLEAK_PROFILE=" + e.profile,
      "DNSLEAK_REASON=" + e.reason,
  };
  if (repeat) fields.push_back("DNSLEAK_REPEAT=1");
  return fields;
}

LeakJournal::LeakJournal(const store::EventStore& store, std::function<std::chrono::seconds()> fold_window,
                         Options options)
    : store_(store), fold_window_(std::move(fold_window)), options_(options) {
  cursor_ = store_.lastSeq() + 1;
  thread_ = std::thread([this] {
    core::nameThisThread("dl-journal");
    run();
  });
}

LeakJournal::~LeakJournal() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void LeakJournal::run() {
  // The last scan runs after the stop request, whenever that came.
  std::unique_lock lock(mutex_);
  for (bool final = false; !final;) {
    wake_.wait_for(lock, options_.scan, [&] { return stopping_; });
    final = stopping_;
    lock.unlock();
    scan(Clock::now(), final);
    lock.lock();
  }
}

void LeakJournal::scan(Clock::time_point now, bool final) {
  static const std::function<bool(const core::Event&)> kLeaks = [](const core::Event& e) {
    return e.verdict == core::Verdict::kLeak;
  };
  const std::uint64_t missed_before = missed_.load();
  for (;;) {
    auto r = store_.next(cursor_, kLeaks);
    if (r.kind == store::ReadResult::Kind::kNothing) break;
    cursor_ = r.next_seq;
    if (r.kind == store::ReadResult::Kind::kGap) {
      // The ring turned over between two scans: the leaks among those
      // events are in no entry (counted as if all were, and warned about).
      missed_.fetch_add(r.gap_to - r.gap_from + 1);
      continue;
    }
    pending_.push_back({r.event.seq, r.event.count, 0, now, now});
  }
  const auto window = fold_window_() + options_.settle;
  // Past the bound, the oldest are written as they stand and let go.
  std::size_t excess = pending_.size() > options_.max_pending ? pending_.size() - options_.max_pending : 0;
  std::erase_if(pending_, [&](Pending& p) {
    const bool over = excess > 0;
    if (over) --excess;
    auto r = store_.next(p.seq, kLeaks);
    if (r.kind != store::ReadResult::Kind::kEvent || r.event.seq != p.seq) {
      if (p.written == 0) missed_.fetch_add(1);  // evicted before it settled
      return true;
    }
    if (r.event.count != p.count) {
      p.count = r.event.count;
      p.grew = now;
    }
    if (p.count > p.written && (final || over || now - p.grew >= options_.settle)) {
      write(r.event, p.count - p.written, p.written > 0);
      p.written = p.count;
    }
    return over || (p.written > 0 && now - p.seen >= window);
  });
  if (auto missed = missed_.load() - missed_before; missed > 0) {
    spdlog::warn("journal: up to {} leak(s) left the store (store.capacity) before they were written to the journal",
                 missed);
  }
}

void LeakJournal::write(const core::Event& event, std::uint64_t count, bool repeat) {
  auto fields = leakJournalFields(event, count, repeat);
  written_.fetch_add(1);
  if (options_.writer) {
    options_.writer(fields);
    return;
  }
  std::vector<iovec> iov;
  iov.reserve(fields.size());
  for (auto& f : fields) iov.push_back({f.data(), f.size()});
  sd_journal_sendv(iov.data(), static_cast<int>(iov.size()));
}

}  // namespace dnsleak::app
