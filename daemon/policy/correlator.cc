#include "policy/correlator.h"

#include <algorithm>
#include <optional>

#include "core/names.h"

namespace dnsleak::policy {
namespace {

std::uint64_t nameKey(const std::string& name) { return std::hash<std::string>{}(name); }

}  // namespace

void Correlator::start(core::Timestamp now) {
  if (started_ == core::Timestamp{}) started_ = now;
}

template <typename Map, typename Key>
void Correlator::touch(Map& map, Order<Key>& order, typename Map::iterator it) {
  it->second.stamp = stamp_;
  order.emplace_back(stamp_, it->first);
  if (order.size() > 2 * map.size() + 64) {
    std::erase_if(order, [&](const auto& entry) {
      auto live = map.find(entry.second);
      return live == map.end() || live->second.stamp != entry.first;
    });
  }
}

template <typename Map, typename Key>
bool Correlator::evictOldest(Map& map, Order<Key>& order) {
  while (!order.empty()) {
    auto [stamp, key] = order.front();
    order.pop_front();
    auto it = map.find(key);
    if (it != map.end() && it->second.stamp == stamp) {
      map.erase(it);
      evicted_.add();
      return true;
    }
  }
  return false;
}

void Correlator::makeRoom(core::Timestamp now, const CorrelationSettings& settings) {
  if (by_address_.size() < settings.max_answers && by_name_.size() < settings.max_answers) return;
  // A full sweep is a pass over both tables: at most once per quarter of
  // the grace, in which little can expire anyway.
  if (now - last_sweep_ >= std::max<std::chrono::nanoseconds>(settings.grace / 4, std::chrono::seconds(1))) {
    last_sweep_ = now;
    core::eraseIf(by_address_, [&](const auto& a) { return now > a.second.expires + settings.grace; });
    core::eraseIf(by_name_, [&](const auto& n) {
      return now > std::max({n.second.safe, n.second.outside, n.second.local});
    });
  }
  // Still full: the least recently answered goes, and is counted.
  if (by_address_.size() >= settings.max_answers) evictOldest(by_address_, address_order_);
  if (by_name_.size() >= settings.max_answers) evictOldest(by_name_, name_order_);
}

void Correlator::addMessage(const core::Event& m, AnswerPath path, const CorrelationSettings& settings) {
  start(m.time);
  if (path == AnswerPath::kNone || m.kind != core::MessageKind::kResponse || m.dns.qname.empty() ||
      !m.dns.parse_error.empty()) {
    return;
  }
  makeRoom(m.time, settings);
  ++stamp_;
  const std::string& name = core::lowerName(m.dns.qname, name_);
  // The name counts as resolved along this path for its longest TTL and the
  // grace (an empty answer too: NXDOMAIN was resolved as well).
  std::uint32_t ttl = 0;
  for (const auto& a : m.dns.answers) {
    if (a.type != 1 && a.type != 28) continue;
    // Binary from the parser; text only in events made elsewhere.
    auto address = !a.address.empty() ? std::optional<core::IpAddress>(a.address) : core::IpAddress::parse(a.data);
    if (!address) continue;
    auto it = by_address_.try_emplace(*address).first;
    Answer& answer = it->second;
    answer.name = name;
    answer.path = path;
    answer.expires = m.time + std::chrono::seconds(a.ttl);
    answer.resolver = m.resolver;
    if (answer.stamp != stamp_) touch(by_address_, address_order_, it);
    ttl = std::max(ttl, a.ttl);
  }
  // One response may carry many addresses: the bound holds after all of
  // them (the least recently answered go first).
  while (by_address_.size() > settings.max_answers && evictOldest(by_address_, address_order_)) {
  }
  core::Timestamp until = m.time + settings.grace + std::chrono::seconds(ttl);
  auto seen_it = by_name_.try_emplace(nameKey(name)).first;
  NameSeen& seen = seen_it->second;
  core::Timestamp& slot = path == AnswerPath::kSafe ? seen.safe : path == AnswerPath::kOutside ? seen.outside : seen.local;
  slot = std::max(slot, until);
  touch(by_name_, name_order_, seen_it);
}

Finding Correlator::judge(const core::ConnectionObservation& c, bool connection_safe,
                          const core::ResolverList* resolvers, const CorrelationSettings& settings, Result& out) {
  start(c.time);
  out = {};
  // Inside a tunnel seen from outside, the egress is the tunnel's: unknown here.
  if (c.tunnelled) return Finding::kNone;
  // Connections to encrypted-DNS resolvers are DNS, not hidden resolution.
  if (resolvers && resolvers->addressListed(c.destination.address)) return Finding::kNone;
  if (!c.sni.empty() && resolvers && resolvers->hostListed(c.sni)) return Finding::kNone;
  Finding finding = Finding::kNone;
  auto it = by_address_.find(c.destination.address);
  if (it != by_address_.end() && c.time <= it->second.expires + settings.grace) {
    const Answer& a = it->second;
    out.name = a.name;
    out.resolver = a.resolver;
    if (a.path == AnswerPath::kSafe && !connection_safe) finding = Finding::kAnsweredSafeConnectedOutside;
    if (a.path == AnswerPath::kOutside && connection_safe) finding = Finding::kAnsweredOutsideConnectedSafe;
  } else if (!c.sni.empty()) {
    // The address is not known (a CDN hands out many): the name decides.
    const std::string& name = core::lowerName(c.sni, name_);
    out.name = name;
    auto n = by_name_.find(nameKey(name));
    bool safe = n != by_name_.end() && c.time <= n->second.safe;
    bool outside = n != by_name_.end() && c.time <= n->second.outside;
    bool local = n != by_name_.end() && c.time <= n->second.local;
    if (!safe && !outside && !local) {
      finding = c.time - started_ < settings.warmup ? Finding::kHiddenDuringWarmup : Finding::kHiddenResolution;
    } else if (safe && !outside && !local && !connection_safe) {
      finding = Finding::kAnsweredSafeConnectedOutside;
    } else if (outside && !safe && !local && connection_safe) {
      finding = Finding::kAnsweredOutsideConnectedSafe;
    }
  }
  if (finding != Finding::kNone) counters_.add(finding);
  return finding;
}

}  // namespace dnsleak::policy
