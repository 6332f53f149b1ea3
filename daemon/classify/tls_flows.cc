#include "classify/tls_flows.h"

#include <algorithm>

namespace dnsleak::classify {

std::string_view tlsFlowEventName(TlsFlowEvent e) {
  switch (e) {
    case TlsFlowEvent::kHandshake: return "tls_handshake";
    case TlsFlowEvent::kNoHandshake: return "tls_no_handshake";
    case TlsFlowEvent::kNotTls: return "tls_not_tls";
    case TlsFlowEvent::kMalformedHello: return "tls_malformed_client_hello";
    case TlsFlowEvent::kFlowEvicted: return "tls_flow_evicted";
    case TlsFlowEvent::kBufferLimit: return "tls_buffer_limit";
    case TlsFlowEvent::kReordered: return "tls_reordered";
    case TlsFlowEvent::kCount: break;
  }
  return "unknown";
}

TlsFlows::TlsFlows(TlsFlowLimits limits) : limits_(limits) {}

void TlsFlows::erase(Map::iterator it) {
  buffered_ -= it->second.bytes();
  recencyOf(it->second).remove(it->second);
  flows_.erase(it);
}

TlsFlows::Map::iterator TlsFlows::insert(const Key& key, core::Timestamp now) {
  if (flows_.size() >= limits_.max_flows) evictForNew();
  auto it = flows_.emplace(key, Flow{}).first;
  it->second.key = &it->first;
  it->second.last_seen = now;
  open_.append(it->second);
  return it;
}

void TlsFlows::evictForNew() {
  Flow* victim = closed_.oldest() ? closed_.oldest() : open_.oldest();
  if (!victim) return;
  erase(flows_.find(*victim->key));
  counters_.add(TlsFlowEvent::kFlowEvicted);
}

void TlsFlows::expire(core::Timestamp now) {
  auto forget = [&](Recency& list, std::chrono::nanoseconds timeout) {
    while (list.oldest() && now - list.oldest()->last_seen > timeout) erase(flows_.find(*list.oldest()->key));
  };
  forget(closed_, std::min<std::chrono::nanoseconds>(limits_.closed_timeout, limits_.idle_timeout));
  forget(open_, limits_.idle_timeout);
}

void TlsFlows::report(Map::iterator it, const decode::DecodedPacket& packet, bool from_client, Handler& handler,
                      const ClientHello* hello) {
  const std::uint16_t server_port = it->first.dst_port;
  Flow& flow = it->second;
  flow.reported = true;
  buffered_ -= flow.bytes();
  flow.hello.clear();
  flow.hello.shrink_to_fit();
  flow.early.clear();
  counters_.add(hello ? TlsFlowEvent::kHandshake : TlsFlowEvent::kNoHandshake);
  Report r{hello ? core::MessageKind::kHandshake : core::MessageKind::kConnection, hello, from_client, server_port};
  bool follow = false;
  if (hello) r.follow_shape = &follow;
  handler.onTlsFlow(packet, r);
  if (follow) {
    flow.shape = std::make_unique<TlsShape>();
    flow.shape->sni = hello->sni;
    flow.shape->alpn = hello->alpn;
    flow.shape->start = packet.time;
    shapes_followed_.add();
  }
}

void TlsFlows::followShape(Flow& flow, const decode::DecodedPacket& packet, bool from_client, Handler& handler) {
  TlsShape& s = *flow.shape;
  const std::size_t size = packet.payload.size();
  s.last = packet.time;
  if (from_client) {
    if (++s.client_segments > TlsShape::kShapeSegments) return;
    // The client's second flight (its Finished) and each request after.
    s.request_waiting = size >= 40 && size <= kSmallRequest;
    s.request_at = packet.time;
    s.request_size = static_cast<std::uint16_t>(size);
    return;
  }
  if (++s.server_segments > TlsShape::kShapeSegments) return;
  if (s.server_segments <= 2) return;  // the server's handshake flight
  if (size > kLargeSegment) {
    ++s.large;
    s.request_waiting = false;  // answered by a page, not a DNS message
  }
  if (s.request_waiting && size >= 40 && size <= kSmallResponse && packet.time - s.request_at <= std::chrono::seconds(1)) {
    if (s.exchanges < TlsShape::kResponseTimes) s.responses[s.exchanges] = packet.time;
    ++s.exchanges;
    s.request_bytes += s.request_size;
    s.response_bytes += static_cast<std::uint32_t>(size);
    s.request_waiting = false;
  }
  if (!s.reported && s.exchanges >= kShapeExchanges && s.large * 5 <= s.exchanges) {
    s.reported = true;
    shapes_reported_.add();
    handler.onTlsShape(packet, s, from_client);
  }
}

bool TlsFlows::appendHello(Map::iterator it, const decode::DecodedPacket& packet, std::span<const std::uint8_t> bytes,
                           Handler& handler) {
  Flow& flow = it->second;
  if (buffered_ + bytes.size() > limits_.max_buffered_bytes) {
    counters_.add(TlsFlowEvent::kBufferLimit);
    report(it, packet, true, handler, nullptr);
    return true;
  }
  flow.hello.insert(flow.hello.end(), bytes.begin(), bytes.end());
  buffered_ += bytes.size();
  flow.next_seq += static_cast<std::uint32_t>(bytes.size());
  switch (parseTlsClientHello(flow.hello, hello_)) {
    case TlsParseStatus::kOk:
      report(it, packet, true, handler, &hello_);
      return true;
    case TlsParseStatus::kNeedMore:
      if (flow.hello.size() > kMaxClientHello + 64) {
        counters_.add(TlsFlowEvent::kMalformedHello);
        report(it, packet, true, handler, nullptr);
        return true;
      }
      return false;
    case TlsParseStatus::kMalformed:
      counters_.add(TlsFlowEvent::kMalformedHello);
      report(it, packet, true, handler, nullptr);
      return true;
    default:
      counters_.add(TlsFlowEvent::kNotTls);
      report(it, packet, true, handler, nullptr);
      return true;
  }
}

void TlsFlows::drainEarly(Map::iterator it, const decode::DecodedPacket& packet, Handler& handler) {
  Flow& flow = it->second;
  core::EarlySegments::Segment early;
  std::size_t skip = 0;
  while (!flow.reported && flow.early.popReached(flow.next_seq, early, skip)) {
    buffered_ -= early.bytes.size();
    if (skip < early.bytes.size()) {
      counters_.add(TlsFlowEvent::kReordered);
      appendHello(it, packet, std::span<const std::uint8_t>(early.bytes).subspan(skip), handler);
    }
  }
}

bool TlsFlows::follows(const decode::DecodedPacket& packet, std::uint16_t& server_port) const {
  if (flows_.empty()) return false;
  if (flows_.count(Key{packet.src, packet.dst, packet.src_port, packet.dst_port})) {
    server_port = packet.dst_port;
    return true;
  }
  if (flows_.count(Key{packet.dst, packet.src, packet.dst_port, packet.src_port})) {
    server_port = packet.src_port;
    return true;
  }
  return false;
}

void TlsFlows::addSegment(const decode::DecodedPacket& packet, std::uint16_t server_port, Handler& handler) {
  expire(packet.time);
  const bool from_client = packet.dst_port == server_port;
  Key key = from_client ? Key{packet.src, packet.dst, packet.src_port, packet.dst_port}
                        : Key{packet.dst, packet.src, packet.dst_port, packet.src_port};
  const bool syn = (packet.tcp_flags & decode::kTcpSyn) != 0;
  const bool closing = (packet.tcp_flags & (decode::kTcpFin | decode::kTcpRst)) != 0;

  auto it = flows_.find(key);
  if (syn && from_client) {
    // Ends reused by a new connection: a flow of its own.
    if (it != flows_.end()) erase(it);
    it = insert(key, packet.time);
    it->second.next_seq = packet.tcp_seq + 1;
    it->second.last_seen = packet.time;
    return;
  }
  if (it == flows_.end()) {
    if (packet.payload.empty()) return;  // nothing said yet: nothing to report
    it = insert(key, packet.time);
    // Seen mid-stream: if the client speaks first here, its bytes may
    // still be the start of a ClientHello.
    it->second.next_seq = packet.tcp_seq;
  }
  Flow& flow = it->second;
  flow.last_seen = packet.time;
  recencyOf(flow).touch(flow);

  if (!flow.reported && !packet.payload.empty()) {
    auto ahead = static_cast<std::int32_t>(packet.tcp_seq - flow.next_seq);
    if (!from_client) {
      // The server is talking and the hello is not read: it went missing.
      report(it, packet, from_client, handler, nullptr);
    } else if (ahead > 0) {
      // Early: held until the gap fills, if there is room.
      if (flow.early.count() < kMaxEarlyHelloSegments &&
          buffered_ + packet.payload.size() <= limits_.max_buffered_bytes) {
        flow.early.hold(packet.tcp_seq, packet.payload);
        buffered_ += packet.payload.size();
      } else {
        report(it, packet, from_client, handler, nullptr);  // a gap that will not fill here
      }
    } else if (static_cast<std::size_t>(-static_cast<std::int64_t>(ahead)) < packet.payload.size()) {
      // In order, or overlapping what is held: the new part goes on.
      auto fresh = packet.payload.subspan(static_cast<std::size_t>(-static_cast<std::int64_t>(ahead)));
      if (!appendHello(it, packet, fresh, handler)) drainEarly(it, packet, handler);
    }
    // else: a retransmission of bytes already held
  } else if (flow.shape && !packet.payload.empty()) {
    followShape(flow, packet, from_client, handler);
  }
  if (closing) {
    // A hello still partial when the connection ends is reported too: the
    // client did try this resolver.
    if (!flow.reported && !flow.hello.empty()) report(it, packet, from_client, handler, nullptr);
    if (!flow.closed) {
      open_.remove(flow);
      flow.closed = true;
      closed_.append(flow);
    }
  }
}

}  // namespace dnsleak::classify
