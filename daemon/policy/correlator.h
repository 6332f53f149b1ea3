#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>

#include "core/counter.h"
#include "core/event.h"
#include "core/hash_map.h"
#include "core/ip_address.h"
#include "core/resolver_list.h"

namespace dnsleak::policy {

// The path a name was resolved through, as the policy sees it.
enum class AnswerPath : std::uint8_t {
  kNone = 0,  // not this host's own resolution (it answered as a server), or not to be judged
  kSafe,      // the safe path
  kOutside,   // outside it
  kLocal,     // a loopback stub: its own upstream is judged separately
};

// What putting a connection beside the answers found.
enum class Finding : std::uint8_t {
  kNone = 0,
  kAnsweredSafeConnectedOutside,   // resolved through the tunnel, connected outside it
  kAnsweredOutsideConnectedSafe,   // resolved outside the tunnel, then used through it
  kHiddenResolution,               // a server name no DNS we saw resolved
  kHiddenDuringWarmup,             // the same, before the warm-up ended: counted, not reported
  kCount
};
inline constexpr std::size_t kFindingCount = static_cast<std::size_t>(Finding::kCount);

struct CorrelationSettings {
  // Hidden resolution right after start is mostly names resolved before
  // dnsleakd saw anything: only counted until this much time passed.
  std::chrono::seconds warmup{300};
  // Programs use answers past their TTL: an answer still counts this long after.
  std::chrono::seconds grace{300};
  std::size_t max_answers = 32768;
};

// Leak-D's memory: which names were asked and answered, with which
// addresses, through which path; bounded, each answer kept for its TTL plus
// the grace. Capture thread only; its counters may be read anywhere.
class Correlator {
 public:
  // A DNS message this host sent or received as a client, with its full
  // names (before any privacy mode). Responses say which addresses a name
  // has and that it was resolved along this path; queries are left out (an
  // answer never received gave a program nothing to connect to).
  void addMessage(const core::Event& message, AnswerPath path, const CorrelationSettings& settings);

  struct Result {
    std::string name;           // the name answered for the address, or the server name
    core::Endpoint resolver;    // who answered, when known
  };
  // Puts a connection beside what was answered. `connection_safe`: it left
  // through the safe path. Connections to listed encrypted-DNS resolvers
  // are not judged (they are DNS themselves).
  Finding judge(const core::ConnectionObservation& connection, bool connection_safe,
                const core::ResolverList* resolvers, const CorrelationSettings& settings, Result& out);

  std::size_t answers() const { return by_address_.size(); }
  std::size_t names() const { return by_name_.size(); }
  std::uint64_t evicted() const { return evicted_.get(); }
  const core::EnumCounters<Finding, kFindingCount>& counters() const { return counters_; }

 private:
  struct Answer {
    std::string name;
    AnswerPath path = AnswerPath::kNone;
    core::Timestamp expires{};
    core::Endpoint resolver;
    std::uint64_t stamp = 0;  // when last answered, in addMessage calls: its place in address_order_
  };
  // Until when a name counts as resolved along each path.
  struct NameSeen {
    core::Timestamp safe{}, outside{}, local{};
    std::uint64_t stamp = 0;  // its place in name_order_
  };
  // Keys in the order they were last answered, oldest first, each with the
  // stamp it had then: an entry whose key was answered again since (or
  // swept) is stale and skipped. Compacted when stale entries outnumber
  // the live ones.
  template <typename Key>
  using Order = std::deque<std::pair<std::uint64_t, Key>>;
  template <typename Map, typename Key>
  void touch(Map& map, Order<Key>& order, typename Map::iterator it);
  template <typename Map, typename Key>
  bool evictOldest(Map& map, Order<Key>& order);
  void start(core::Timestamp now);
  void makeRoom(core::Timestamp now, const CorrelationSettings& settings);

  // Flat: memory goes with a table's capacity, so they grow with what is
  // answered rather than being reserved to the bound (6 MB and 3.5 MB at
  // the default 32768, touched page by page as answers come: the resident
  // memory at 200 pkt/s went from 29 to 33 MB).
  core::FlatMap<core::IpAddress, Answer, core::IpAddressHash> by_address_;
  // Keyed by a 64-bit hash of the lower-cased name: no string per entry,
  // and a collision (about 1 in 10^10 at the bound) only makes one name
  // look resolved.
  core::FlatMap<std::uint64_t, NameSeen> by_name_;
  Order<core::IpAddress> address_order_;
  Order<std::uint64_t> name_order_;
  std::uint64_t stamp_ = 0;
  std::string name_;  // reused for lower-casing
  core::Timestamp started_{};
  core::Timestamp last_sweep_{};
  core::Counter evicted_;
  core::EnumCounters<Finding, kFindingCount> counters_;
};

}  // namespace dnsleak::policy
