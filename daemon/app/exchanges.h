#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <utility>

#include "core/counter.h"
#include "core/event.h"
#include "core/flow_key.h"
#include "core/hash_map.h"
#include "core/hash_mix.h"
#include "core/names.h"

namespace dnsleak::app {

enum class ExchangeEvent : std::uint8_t {
  kAnswered = 0,         // a query and its response, one event
  kUnanswered = 1,       // a query whose response did not come within the wait
  kUnmatchedResponse = 2,  // a response whose query was not seen (or came too long before)
  kRepeatedQuery = 3,    // a query sent again while the first waited: the same exchange
  kEvicted = 4,          // a query let go early, unanswered, because too many waited
  kUnpaired = 5,         // a message that cannot be paired (no question, another transport): its own event
};
inline constexpr std::size_t kExchangeEventCount = 6;
std::string_view exchangeEventName(ExchangeEvent e);

// Makes one DNS exchange one event. A query over plain DNS (UDP, TCP,
// cleartext HTTP, or DNSCrypt's certificate fetch) waits up to kWait for
// its response: the same two ends, interface, protocol, id and question
// (its name in any case). The response completes it (its rcode,
// answers, flags and size, and the time it took) and the pair goes out as
// the query's event. A query that waited in vain goes out unanswered; a
// response whose query was not seen goes out on its own. Local-link
// protocols are not paired: one question there has many answerers, and an
// announcement has no question. Everything else passes straight through.
//
// Events go out through `emit`, in the order they are completed. Times are
// the packets' own, so a capture file pairs as live traffic does. Not
// thread-safe: the caller serialises.
class ExchangeTracker {
 public:
  static constexpr auto kWait = std::chrono::seconds(2);
  static constexpr std::size_t kMaxWaiting = 65536;

  // `event` may be moved from.
  template <typename Emit>
  void add(core::Event& event, Emit&& emit);
  // Lets go of the queries that waited until `now` (all with Timestamp::max()).
  template <typename Emit>
  void expire(core::Timestamp now, Emit&& emit);

  // When the oldest waiting query's wait ends (Timestamp::max() when none waits).
  core::Timestamp nextDeadline() const {
    return order_.empty() ? core::Timestamp::max() : order_.front().first;
  }
  std::size_t waiting() const { return waiting_.size(); }
  const core::EnumCounters<ExchangeEvent, kExchangeEventCount>& counters() const { return counters_; }

  // Whether an event is a query or response this tracker pairs.
  static bool pairs(const core::Event& event);
  // Completes `query` with what `response` says.
  static void complete(core::Event& query, const core::Event& response);

 private:
  struct Key {
    core::FlowKey flow;  // client first
    // A routed query is seen once per interface it crosses, each copy
    // with its own verdict and its own response.
    std::uint32_t ifindex = 0;
    std::uint16_t id = 0;
    std::uint16_t qtype = 0;
    std::uint8_t ip_protocol = 0;
    std::size_t name_hash = 0;  // of the question's name, case and trailing dots aside
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const noexcept {
      return core::mixHash(core::FlowKeyHash{}(k.flow) * 131 + k.name_hash * 7 + k.ifindex * 1031 +
                           (std::size_t{k.id} << 24 | std::size_t{k.qtype} << 8 | k.ip_protocol));
    }
  };
  struct Waiting {
    // Declared, not aggregate: clang (the TSan build) has no parenthesised
    // aggregate initialisation, which try_emplace below needs.
    Waiting(core::Event&& q, core::Timestamp u) : query(std::move(q)), until(u) {}
    core::Event query;
    core::Timestamp until{};
  };
  using Table = core::StableMap<Key, Waiting, KeyHash>;  // a Waiting (an Event) is not moved

  static Key keyOf(const core::Event& event, bool response);
  // Takes the first deadline off order_ and lets its query go, when that
  // query still waits (false: it was answered, or waits again since).
  template <typename Emit>
  bool releaseOldest(ExchangeEvent why, Emit& emit);

  Table waiting_;
  std::deque<std::pair<core::Timestamp, Key>> order_;  // by deadline, oldest first
  core::EnumCounters<ExchangeEvent, kExchangeEventCount> counters_;
};

template <typename Emit>
void ExchangeTracker::add(core::Event& event, Emit&& emit) {
  expire(event.time, emit);
  if (!pairs(event)) {
    if (event.kind == core::MessageKind::kQuery || event.kind == core::MessageKind::kResponse) {
      counters_.add(ExchangeEvent::kUnpaired);
    }
    emit(event);
    return;
  }
  const bool response = event.kind == core::MessageKind::kResponse;
  const Key key = keyOf(event, response);
  auto found = waiting_.find(key);
  if (response) {
    // The name hash could collide: the question itself must be the same.
    if (found == waiting_.end() || !core::equalsIgnoringCase(found->second.query.dns.qname, event.dns.qname)) {
      counters_.add(ExchangeEvent::kUnmatchedResponse);
      emit(event);
      return;
    }
    complete(found->second.query, event);
    counters_.add(ExchangeEvent::kAnswered);
    emit(found->second.query);
    waiting_.erase(found);  // its entry in order_ is skipped when it comes up
    return;
  }
  if (found != waiting_.end()) {
    counters_.add(ExchangeEvent::kRepeatedQuery);
    return;
  }
  if (waiting_.size() >= kMaxWaiting) {
    // The oldest still waiting makes room.
    while (!order_.empty()) {
      if (releaseOldest(ExchangeEvent::kEvicted, emit)) break;
    }
  }
  const auto until = event.time + kWait;
  // Built in its node: an Event is moved once (some 800 instructions a move).
  auto [it, added] = waiting_.try_emplace(key, std::move(event), until);
  it->second.query.exchange.tracked = true;
  order_.emplace_back(until, key);
}

template <typename Emit>
void ExchangeTracker::expire(core::Timestamp now, Emit&& emit) {
  while (!order_.empty() && order_.front().first <= now) releaseOldest(ExchangeEvent::kUnanswered, emit);
}

template <typename Emit>
bool ExchangeTracker::releaseOldest(ExchangeEvent why, Emit& emit) {
  auto [until, key] = order_.front();
  order_.pop_front();
  // Answered already, or waiting again since for a later query.
  auto it = waiting_.find(key);
  if (it == waiting_.end() || it->second.until != until) return false;
  counters_.add(why);
  emit(it->second.query);
  waiting_.erase(it);
  return true;
}

}  // namespace dnsleak::app
