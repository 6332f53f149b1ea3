#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/counter.h"
#include "core/early_segments.h"
#include "core/event.h"
#include "core/flow_key.h"
#include "core/hash_map.h"
#include "core/recency_list.h"
#include "decode/packet.h"

namespace dnsleak::classify {

enum class TcpStreamEvent : std::uint8_t {
  kRetransmitted = 0,  // a segment (or part) already seen: skipped
  kGap,                // bytes missing before a segment: buffered data dropped
  kFlowEvicted,        // a flow pushed out to keep the table bounded
  kZeroLengthMessage,  // a length prefix of 0: skipped
  kBufferLimit,        // a partial message dropped to keep all flows within max_buffered_bytes
  kReordered,          // a segment that came early, held, and used once the gap before it filled
  kCutSegment,         // a segment the capture cut short (snap length): the message it ends in dropped
  kCount
};
inline constexpr std::size_t kMaxEarlySegments = 8;
inline constexpr std::size_t kTcpStreamEventCount = static_cast<std::size_t>(TcpStreamEvent::kCount);
std::string_view tcpStreamEventName(TcpStreamEvent e);

struct TcpStreamLimits {
  std::size_t max_flows = 4096;
  std::chrono::seconds idle_timeout{60};
  // Bytes of partial messages held across all flows together.
  std::size_t max_buffered_bytes = 8u << 20;
};

// Reassembles DNS-over-TCP (RFC 1035 section 4.2.2: each message preceded
// by a 2-byte length) per direction of each connection: several messages in
// one segment and one message over several segments both come out as whole
// messages. Bounded: at most max_flows directions, each holding at most one
// partial message (< 64 KiB + 2), and max_buffered_bytes in all; past
// max_flows the direction seen least recently goes, and idle ones go from
// the oldest end (a list in the order they were last seen: no scans).
// Owned by the capture thread.
//
// In-order segments are appended, retransmitted bytes skipped; a segment
// that comes early is held (at most kMaxEarlySegments per direction, within
// the byte budget) until the gap before it fills. When it cannot be held,
// or a new segment arrives past the held ones, the gap is given up: what
// was buffered is dropped and framing restarts at the new segment.
class TcpDnsStreams {
 public:
  // Receives each completed message; the span is valid only during the call.
  class MessageHandler {
   public:
    virtual ~MessageHandler() = default;
    virtual void onTcpDnsMessage(const decode::DecodedPacket& packet, std::span<const std::uint8_t> message) = 0;
  };

  explicit TcpDnsStreams(TcpStreamLimits limits = {});

  // Feeds one TCP segment of a port-53 connection; calls `on_message` for
  // every DNS message it completes. The span given to the handler is valid
  // only during the call.
  void addSegment(const decode::DecodedPacket& packet, MessageHandler& on_message);

  // Whether this segment's direction of its connection is followed.
  bool follows(const decode::DecodedPacket& packet) const {
    return flows_.contains(Key{packet.src, packet.dst, packet.src_port, packet.dst_port});
  }

  std::size_t flowCount() const { return flows_.size(); }
  std::size_t bufferedBytes() const { return buffered_; }
  const core::EnumCounters<TcpStreamEvent, kTcpStreamEventCount>& counters() const { return counters_; }

 private:
  using Key = core::FlowKey;  // one direction of a connection
  struct Flow {
    std::uint32_t next_seq = 0;
    std::vector<std::uint8_t> pending;  // bytes of an incomplete message
    core::EarlySegments early;          // segments past a gap, waiting for it to fill
    core::Timestamp last_seen{};
    // Its place in recency_ and its key in flows_ (whose nodes do not move).
    core::RecencyLinks<Flow> recency;
    const Key* key = nullptr;
    std::size_t bytes() const { return pending.size() + early.bytes(); }
  };

  using Map = core::StableMap<Key, Flow, core::FlowKeyHash>;

  void frame(Flow& flow, const decode::DecodedPacket& packet, std::span<const std::uint8_t> data,
             MessageHandler& on_message);
  Flow& flowFor(const Key& key, core::Timestamp now);
  void expire(core::Timestamp now);
  void erase(const Key& key);
  void erase(Map::iterator it);
  void setPending(Flow& flow, std::span<const std::uint8_t> bytes);
  void dropEarly(Flow& flow);
  // Frames the held segments that the stream has now reached.
  void drainEarly(Flow& flow, const decode::DecodedPacket& packet, MessageHandler& on_message);
  void giveUpGaps(Flow& flow, const decode::DecodedPacket& packet, MessageHandler& on_message);

  TcpStreamLimits limits_;
  Map flows_;
  core::RecencyList<Flow, &Flow::recency> recency_;  // least recently seen first
  std::size_t buffered_ = 0;  // sum of every flow's bytes()
  core::EnumCounters<TcpStreamEvent, kTcpStreamEventCount> counters_;
};

}  // namespace dnsleak::classify
