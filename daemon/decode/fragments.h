#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/counter.h"
#include "core/event.h"
#include "core/hash_map.h"
#include "core/hash_mix.h"
#include "core/ip_address.h"
#include "core/recency_list.h"

namespace dnsleak::decode {

enum class FragmentEvent : std::uint8_t {
  kReassembled = 0,  // a whole datagram came together
  kOverlap,          // fragments overlapped: the datagram is dropped, as Linux does (RFC 5722)
  kExpired,          // a datagram still incomplete after the timeout
  kEvicted,          // a datagram pushed out to stay within the limits
  kTooLarge,         // fragments past 65535 bytes
  kMalformed,        // a fragment whose header does not add up
  kCount
};
inline constexpr std::size_t kFragmentEventCount = static_cast<std::size_t>(FragmentEvent::kCount);
std::string_view fragmentEventName(FragmentEvent e);

struct FragmentLimits {
  std::size_t max_datagrams = 1024;     // incomplete datagrams held at once
  std::size_t max_bytes = 4u << 20;     // their bytes, all together
  std::chrono::seconds timeout{30};     // Linux's ipfrag_time
};

// Reassembles IPv4 and IPv6 fragments into whole IP packets. A fragment is
// fed as its IP packet (from the IP header on); when it completes a
// datagram, the rebuilt packet is returned: an unfragmented IP header (no
// IPv6 extension headers) followed by the whole payload, ready for
// decodeIp. Bounded in datagrams, bytes and time; every outcome counted.
// Past a bound the datagram whose first fragment came first goes (never the
// one being put together now), and each goes `timeout` after its first
// fragment, in the order they came: no scans. Owned by the capture thread.
class FragmentReassembler {
 public:
  explicit FragmentReassembler(FragmentLimits limits = {});

  // The returned span stays valid until the next call.
  std::span<const std::uint8_t> add(std::span<const std::uint8_t> ip_packet, core::Timestamp now);

  std::size_t datagrams() const { return datagrams_.size(); }
  std::size_t bufferedBytes() const { return buffered_; }
  const core::EnumCounters<FragmentEvent, kFragmentEventCount>& counters() const { return counters_; }

 private:
  struct Key {
    core::IpAddress src;
    core::IpAddress dst;
    std::uint32_t id;
    std::uint8_t protocol;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const noexcept;
  };
  struct Datagram {
    std::vector<std::uint8_t> payload;                       // sized to the highest end seen
    std::vector<std::pair<std::uint32_t, std::uint32_t>> have;  // received [begin, end) ranges, sorted
    std::uint32_t total = 0;                                 // payload length, once the last fragment came
    bool seen_last = false;
    core::Timestamp first_seen{};
    // Its place in arrival_ and its key in datagrams_ (whose nodes do not move).
    core::RecencyLinks<Datagram> arrival;
    const Key* key = nullptr;
  };

  // One fragment's place in its datagram, read from its header.
  struct Piece {
    Key key;
    std::uint32_t offset;
    bool more;
    std::span<const std::uint8_t> data;
    std::span<const std::uint8_t> header;  // the IP header to rebuild from (first fragment's counts)
    bool v6;
  };
  bool parse(std::span<const std::uint8_t> ip_packet, Piece& piece);
  void drop(core::StableMap<Key, Datagram, KeyHash>::iterator it, FragmentEvent why);
  void expire(core::Timestamp now);
  std::span<const std::uint8_t> rebuild(const Piece& piece, Datagram& datagram);

  FragmentLimits limits_;
  core::StableMap<Key, Datagram, KeyHash> datagrams_;
  core::RecencyList<Datagram, &Datagram::arrival> arrival_;  // by first_seen, the earliest first
  std::size_t buffered_ = 0;
  std::vector<std::uint8_t> out_;  // the last rebuilt packet
  core::EnumCounters<FragmentEvent, kFragmentEventCount> counters_;
};

}  // namespace dnsleak::decode
