#include "decode/fragments.h"

#include <algorithm>

#include "core/bytes.h"

namespace dnsleak::decode {

using core::be16;
using core::be32;

namespace {
constexpr std::uint32_t kMaxDatagram = 65535;
}

std::string_view fragmentEventName(FragmentEvent e) {
  switch (e) {
    case FragmentEvent::kReassembled: return "fragment_reassembled";
    case FragmentEvent::kOverlap: return "fragment_overlap";
    case FragmentEvent::kExpired: return "fragment_expired";
    case FragmentEvent::kEvicted: return "fragment_evicted";
    case FragmentEvent::kTooLarge: return "fragment_too_large";
    case FragmentEvent::kMalformed: return "fragment_malformed";
    case FragmentEvent::kCount: break;
  }
  return "unknown";
}

std::size_t FragmentReassembler::KeyHash::operator()(const Key& k) const noexcept {
  core::IpAddressHash h;
  return core::mixHash(h(k.src) * 31 + h(k.dst) * 17 + (static_cast<std::uint64_t>(k.id) << 8 | k.protocol));
}

FragmentReassembler::FragmentReassembler(FragmentLimits limits) : limits_(limits) {}

bool FragmentReassembler::parse(std::span<const std::uint8_t> packet, Piece& p) {
  if (packet.empty()) return false;
  if ((packet[0] >> 4) == 4) {
    if (packet.size() < 20) return false;
    std::size_t header = static_cast<std::size_t>(packet[0] & 0x0f) * 4;
    std::size_t total = be16(packet.data() + 2);
    if (header < 20 || total < header || total > packet.size()) return false;  // cut short: cannot be whole
    std::uint16_t field = be16(packet.data() + 6);
    p.v6 = false;
    p.key = {core::IpAddress::v4(packet.data() + 12), core::IpAddress::v4(packet.data() + 16), be16(packet.data() + 4),
             packet[9]};
    p.offset = static_cast<std::uint32_t>(field & 0x1fff) * 8;
    p.more = (field & 0x2000) != 0;
    p.data = packet.subspan(header, total - header);
    return true;
  }
  if ((packet[0] >> 4) == 6) {
    if (packet.size() < 40) return false;
    std::size_t end = 40 + static_cast<std::size_t>(be16(packet.data() + 4));
    if (end > packet.size()) return false;
    std::uint8_t next = packet[6];
    std::size_t at = 40;
    // Walk the unfragmentable part up to the fragment header.
    for (int i = 0; i < 8 && next != 44; ++i) {
      if (next != 0 && next != 43 && next != 60) return false;
      if (at + 8 > end) return false;
      std::uint8_t following = packet[at];
      at += (static_cast<std::size_t>(packet[at + 1]) + 1) * 8;
      next = following;
    }
    if (next != 44 || at + 8 > end) return false;
    std::uint16_t field = be16(packet.data() + at + 2);
    p.v6 = true;
    p.key = {core::IpAddress::v6(packet.data() + 8), core::IpAddress::v6(packet.data() + 24),
             be32(packet.data() + at + 4), packet[at]};
    p.offset = static_cast<std::uint32_t>(field >> 3) * 8;
    p.more = (field & 1) != 0;
    p.data = packet.subspan(at + 8, end - at - 8);
    return true;
  }
  return false;
}

void FragmentReassembler::drop(core::StableMap<Key, Datagram, KeyHash>::iterator it, FragmentEvent why) {
  buffered_ -= it->second.payload.size();
  arrival_.remove(it->second);
  datagrams_.erase(it);
  counters_.add(why);
}

void FragmentReassembler::expire(core::Timestamp now) {
  while (arrival_.oldest() && now - arrival_.oldest()->first_seen > limits_.timeout) {
    drop(datagrams_.find(*arrival_.oldest()->key), FragmentEvent::kExpired);
  }
}

std::span<const std::uint8_t> FragmentReassembler::add(std::span<const std::uint8_t> ip_packet, core::Timestamp now) {
  expire(now);
  Piece p;
  if (!parse(ip_packet, p)) {
    counters_.add(FragmentEvent::kMalformed);
    return {};
  }
  auto it = datagrams_.find(p.key);
  std::uint32_t begin = p.offset;
  std::uint32_t end = p.offset + static_cast<std::uint32_t>(p.data.size());
  std::uint32_t limit = p.v6 ? kMaxDatagram : kMaxDatagram - 20;
  if (end > limit) {
    if (it != datagrams_.end()) drop(it, FragmentEvent::kTooLarge);
    else counters_.add(FragmentEvent::kTooLarge);
    return {};
  }
  // Every fragment but the last carries a multiple of 8 bytes.
  if ((p.more && p.data.size() % 8 != 0) || (p.more && p.data.empty())) {
    counters_.add(FragmentEvent::kMalformed);
    return {};
  }

  if (it == datagrams_.end()) {
    // Full: a flood of fragments. The datagram that came first goes.
    if (datagrams_.size() >= limits_.max_datagrams && arrival_.oldest()) {
      drop(datagrams_.find(*arrival_.oldest()->key), FragmentEvent::kEvicted);
    }
    it = datagrams_.emplace(p.key, Datagram{}).first;
    it->second.first_seen = now;
    it->second.key = &it->first;
    arrival_.append(it->second);
  }
  Datagram& d = it->second;

  if (!p.more) {
    if ((d.seen_last && d.total != end) || (!d.have.empty() && d.have.back().second > end)) {
      drop(it, FragmentEvent::kOverlap);
      return {};
    }
    d.seen_last = true;
    d.total = end;
  } else if (d.seen_last && end > d.total) {
    drop(it, FragmentEvent::kOverlap);
    return {};
  }

  for (const auto& [have_begin, have_end] : d.have) {
    if (begin < have_end && have_begin < end) {
      // An exact duplicate is a retransmission and is ignored; any other
      // overlap discards the datagram (RFC 5722 with erratum 3089, as Linux).
      if (have_begin == begin && have_end == end) return {};
      drop(it, FragmentEvent::kOverlap);
      return {};
    }
  }

  if (end > d.payload.size()) {
    std::size_t growth = end - d.payload.size();
    while (buffered_ + growth > limits_.max_bytes && datagrams_.size() > 1) {
      Datagram* victim = arrival_.oldest();
      if (victim == &d) victim = victim->arrival.newer;
      drop(datagrams_.find(*victim->key), FragmentEvent::kEvicted);
    }
    if (buffered_ + growth > limits_.max_bytes) {
      drop(it, FragmentEvent::kEvicted);
      return {};
    }
    d.payload.resize(end);
    buffered_ += growth;
  }
  std::copy(p.data.begin(), p.data.end(), d.payload.begin() + begin);
  auto at = std::lower_bound(d.have.begin(), d.have.end(), std::make_pair(begin, end));
  d.have.insert(at, {begin, end});
  // Merge touching ranges so a whole datagram is one range.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> merged;
  for (const auto& r : d.have) {
    if (!merged.empty() && merged.back().second == r.first) {
      merged.back().second = r.second;
    } else {
      merged.push_back(r);
    }
  }
  d.have = std::move(merged);

  if (d.seen_last && d.have.size() == 1 && d.have[0].first == 0 && d.have[0].second == d.total) {
    auto whole = rebuild(p, d);
    drop(it, FragmentEvent::kReassembled);
    return whole;
  }
  return {};
}

std::span<const std::uint8_t> FragmentReassembler::rebuild(const Piece& p, Datagram& d) {
  out_.clear();
  auto put16 = [this](std::uint32_t v) {
    out_.push_back(static_cast<std::uint8_t>(v >> 8));
    out_.push_back(static_cast<std::uint8_t>(v));
  };
  const auto& src = p.key.src.bytes();
  const auto& dst = p.key.dst.bytes();
  if (!p.v6) {
    out_ = {0x45, 0};
    put16(20 + d.total);
    put16(p.key.id);
    out_.insert(out_.end(), {0, 0, 64, p.key.protocol, 0, 0});
    out_.insert(out_.end(), src.begin(), src.begin() + 4);
    out_.insert(out_.end(), dst.begin(), dst.begin() + 4);
  } else {
    out_ = {0x60, 0, 0, 0};
    put16(d.total);
    out_.push_back(p.key.protocol);
    out_.push_back(64);
    out_.insert(out_.end(), src.begin(), src.end());
    out_.insert(out_.end(), dst.begin(), dst.end());
  }
  out_.insert(out_.end(), d.payload.begin(), d.payload.begin() + d.total);
  return out_;
}

}  // namespace dnsleak::decode
