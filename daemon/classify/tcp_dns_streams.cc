#include "classify/tcp_dns_streams.h"

#include <algorithm>

namespace dnsleak::classify {

std::string_view tcpStreamEventName(TcpStreamEvent e) {
  switch (e) {
    case TcpStreamEvent::kRetransmitted: return "tcp_retransmitted";
    case TcpStreamEvent::kGap: return "tcp_gap";
    case TcpStreamEvent::kFlowEvicted: return "tcp_flow_evicted";
    case TcpStreamEvent::kZeroLengthMessage: return "dns_tcp_zero_length";
    case TcpStreamEvent::kBufferLimit: return "tcp_buffer_limit";
    case TcpStreamEvent::kReordered: return "tcp_reordered";
    case TcpStreamEvent::kCutSegment: return "tcp_cut_by_snaplen";
    case TcpStreamEvent::kCount: break;
  }
  return "unknown";
}

TcpDnsStreams::TcpDnsStreams(TcpStreamLimits limits) : limits_(limits) {}

TcpDnsStreams::Flow& TcpDnsStreams::flowFor(const Key& key, core::Timestamp now) {
  auto it = flows_.find(key);
  if (it != flows_.end()) return it->second;
  if (Flow* victim = recency_.oldest(); victim && flows_.size() >= limits_.max_flows) {
    // Full of live flows: a flood. The direction seen least recently goes.
    erase(flows_.find(*victim->key));
    counters_.add(TcpStreamEvent::kFlowEvicted);
  }
  it = flows_.try_emplace(key).first;
  it->second.key = &it->first;
  it->second.last_seen = now;
  recency_.append(it->second);
  return it->second;
}

void TcpDnsStreams::expire(core::Timestamp now) {
  while (Flow* oldest = recency_.oldest()) {
    if (now - oldest->last_seen <= limits_.idle_timeout) break;
    erase(flows_.find(*oldest->key));
    counters_.add(TcpStreamEvent::kFlowEvicted);
  }
}

void TcpDnsStreams::erase(const Key& key) {
  if (auto it = flows_.find(key); it != flows_.end()) erase(it);
}

void TcpDnsStreams::erase(Map::iterator it) {
  buffered_ -= it->second.bytes();
  recency_.remove(it->second);
  flows_.erase(it);
}

void TcpDnsStreams::dropEarly(Flow& flow) {
  buffered_ -= flow.early.bytes();
  flow.early.clear();
}

void TcpDnsStreams::giveUpGaps(Flow& flow, const decode::DecodedPacket& packet, MessageHandler& on_message) {
  // The connection is ending: a gap will not fill now. Restart framing at
  // the earliest held segment and read what was held.
  while (!flow.early.empty()) {
    counters_.add(TcpStreamEvent::kGap);
    setPending(flow, {});
    const auto& held = flow.early.held();
    auto first = std::min_element(held.begin(), held.end(), [](const auto& a, const auto& b) {
      return static_cast<std::int32_t>(a.seq - b.seq) < 0;
    });
    flow.next_seq = first->seq;
    drainEarly(flow, packet, on_message);
  }
}

void TcpDnsStreams::drainEarly(Flow& flow, const decode::DecodedPacket& packet, MessageHandler& on_message) {
  core::EarlySegments::Segment e;
  std::size_t skip = 0;
  while (flow.early.popReached(flow.next_seq, e, skip)) {
    buffered_ -= e.bytes.size();
    if (skip < e.bytes.size()) {
      counters_.add(TcpStreamEvent::kReordered);
      flow.next_seq = e.seq + static_cast<std::uint32_t>(e.bytes.size());
      frame(flow, packet, std::span<const std::uint8_t>(e.bytes).subspan(skip), on_message);
    }
  }
}

void TcpDnsStreams::setPending(Flow& flow, std::span<const std::uint8_t> bytes) {
  buffered_ -= flow.pending.size();
  if (buffered_ + bytes.size() > limits_.max_buffered_bytes) {
    counters_.add(TcpStreamEvent::kBufferLimit);
    flow.pending.clear();
    return;
  }
  flow.pending.assign(bytes.begin(), bytes.end());
  buffered_ += bytes.size();
}

void TcpDnsStreams::addSegment(const decode::DecodedPacket& packet, MessageHandler& on_message) {
  expire(packet.time);

  Key key{packet.src, packet.dst, packet.src_port, packet.dst_port};
  bool closing = (packet.tcp_flags & (decode::kTcpFin | decode::kTcpRst)) != 0;

  if (packet.tcp_flags & decode::kTcpSyn) {
    Flow& flow = flowFor(key, packet.time);
    setPending(flow, {});
    dropEarly(flow);
    flow.next_seq = packet.tcp_seq + 1;
    flow.last_seen = packet.time;
    recency_.touch(flow);
    return;
  }
  if (packet.payload.empty()) {
    if (closing) {
      if (auto it = flows_.find(key); it != flows_.end()) giveUpGaps(it->second, packet, on_message);
      erase(key);
    }
    return;
  }

  bool is_new = flows_.find(key) == flows_.end();
  Flow& flow = flowFor(key, packet.time);
  flow.last_seen = packet.time;
  recency_.touch(flow);
  std::span<const std::uint8_t> data = packet.payload;
  if (is_new) {
    // Seen mid-stream: assume the segment starts a message, the common case
    // for DNS where each message is written whole.
    flow.next_seq = packet.tcp_seq;
  }
  auto ahead = static_cast<std::int32_t>(packet.tcp_seq - flow.next_seq);
  if (ahead < 0) {
    auto seen = static_cast<std::size_t>(-static_cast<std::int64_t>(ahead));
    if (seen >= data.size()) {
      counters_.add(TcpStreamEvent::kRetransmitted);
      if (closing) {
        giveUpGaps(flow, packet, on_message);
        erase(key);
      }
      return;
    }
    data = data.subspan(seen);
  } else if (ahead > 0) {
    // Early: hold it for the gap to fill, if there is room.
    if (!closing && flow.early.count() < kMaxEarlySegments &&
        buffered_ + data.size() <= limits_.max_buffered_bytes) {
      flow.early.hold(packet.tcp_seq, data);
      buffered_ += data.size();
      return;
    }
    counters_.add(TcpStreamEvent::kGap);
    setPending(flow, {});
    dropEarly(flow);
  }
  flow.next_seq = packet.tcp_seq + static_cast<std::uint32_t>(packet.payload.size());
  frame(flow, packet, data, on_message);
  if (packet.missing > 0) {
    // The capture kept only the start of the segment: the messages wholly
    // in it were read; the one it cut cannot complete. The stream goes on
    // where the segment really ended.
    counters_.add(TcpStreamEvent::kCutSegment);
    setPending(flow, {});
    flow.next_seq += packet.missing;
  }
  drainEarly(flow, packet, on_message);
  if (closing) {
    giveUpGaps(flow, packet, on_message);
    erase(key);
  }
}

void TcpDnsStreams::frame(Flow& flow, const decode::DecodedPacket& packet, std::span<const std::uint8_t> data,
                          MessageHandler& on_message) {
  // Complete a message started in an earlier segment first. Growth of
  // `pending` here is accounted for when the loop ends.
  std::size_t held = flow.pending.size();
  while (!flow.pending.empty() && !data.empty()) {
    if (flow.pending.size() < 2) {
      flow.pending.push_back(data[0]);
      data = data.subspan(1);
      continue;
    }
    std::size_t want = 2 + (static_cast<std::size_t>(flow.pending[0]) << 8 | flow.pending[1]);
    if (want == 2) {
      counters_.add(TcpStreamEvent::kZeroLengthMessage);
      flow.pending.clear();
      continue;
    }
    if (buffered_ - held + want > limits_.max_buffered_bytes) {
      counters_.add(TcpStreamEvent::kBufferLimit);
      flow.pending.clear();
      break;
    }
    std::size_t take = std::min(want - flow.pending.size(), data.size());
    flow.pending.insert(flow.pending.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(take));
    data = data.subspan(take);
    if (flow.pending.size() == want) {
      on_message.onTcpDnsMessage(packet, std::span<const std::uint8_t>(flow.pending).subspan(2));
      flow.pending.clear();
    }
  }
  buffered_ = buffered_ - held + flow.pending.size();
  // Whole messages straight from the segment, without copying.
  while (data.size() >= 2) {
    std::size_t length = static_cast<std::size_t>(data[0]) << 8 | data[1];
    if (length == 0) {
      counters_.add(TcpStreamEvent::kZeroLengthMessage);
      data = data.subspan(2);
      continue;
    }
    if (data.size() < 2 + length) break;
    on_message.onTcpDnsMessage(packet, data.subspan(2, length));
    data = data.subspan(2 + length);
  }
  // The first loop ends with `pending` empty or `data` used up, so a
  // remainder here always starts a new message.
  if (!data.empty()) setPending(flow, data);
}

}  // namespace dnsleak::classify
