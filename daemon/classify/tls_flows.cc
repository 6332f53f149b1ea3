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
    case TlsFlowEvent::kCount: break;
  }
  return "unknown";
}

TlsFlows::TlsFlows(TlsFlowLimits limits) : limits_(limits) {}

void TlsFlows::erase(Map::iterator it) {
  buffered_ -= it->second.hello.size();
  flows_.erase(it);
}

void TlsFlows::expire(core::Timestamp now) {
  last_sweep_ = now;
  for (auto it = flows_.begin(); it != flows_.end();) {
    auto next = std::next(it);
    auto idle = now - it->second.last_seen;
    if (idle > limits_.idle_timeout || (it->second.closed && idle > limits_.closed_timeout)) erase(it);
    it = next;
  }
}

void TlsFlows::report(Map::iterator it, const decode::DecodedPacket& packet, bool from_client, Handler& handler,
                      const ClientHello* hello) {
  const std::uint16_t server_port = it->first.dst_port;
  Flow& flow = it->second;
  flow.reported = true;
  buffered_ -= flow.hello.size();
  flow.hello.clear();
  flow.hello.shrink_to_fit();
  counters_.add(hello ? TlsFlowEvent::kHandshake : TlsFlowEvent::kNoHandshake);
  Report r{hello ? core::MessageKind::kHandshake : core::MessageKind::kConnection, hello, from_client, server_port};
  handler.onTlsFlow(packet, r);
}

void TlsFlows::addSegment(const decode::DecodedPacket& packet, std::uint16_t server_port, Handler& handler) {
  if (packet.time - last_sweep_ > std::chrono::seconds(5)) expire(packet.time);
  const bool from_client = packet.dst_port == server_port;
  Key key = from_client ? Key{packet.src, packet.dst, packet.src_port, packet.dst_port}
                        : Key{packet.dst, packet.src, packet.dst_port, packet.src_port};
  const bool syn = (packet.tcp_flags & decode::kTcpSyn) != 0;
  const bool closing = (packet.tcp_flags & (decode::kTcpFin | decode::kTcpRst)) != 0;

  auto it = flows_.find(key);
  if (syn && from_client) {
    if (it == flows_.end()) {
      if (flows_.size() >= limits_.max_flows) {
        // Full even after expiry: a flood of new connections. Evict an
        // arbitrary flow in O(1); scanning for the oldest would make every
        // new flow cost a pass over the whole table.
        if (packet.time - last_sweep_ >= std::chrono::seconds(1)) expire(packet.time);  // a full scan: at most once a second
        if (flows_.size() >= limits_.max_flows) {
          erase(flows_.begin());
          counters_.add(TlsFlowEvent::kFlowEvicted);
        }
      }
      it = flows_.emplace(key, Flow{}).first;
    } else {
      buffered_ -= it->second.hello.size();
      it->second = Flow{};
    }
    it->second.next_seq = packet.tcp_seq + 1;
    it->second.last_seen = packet.time;
    return;
  }
  if (it == flows_.end()) {
    if (packet.payload.empty()) return;  // nothing said yet: nothing to report
    if (flows_.size() >= limits_.max_flows) {
      if (packet.time - last_sweep_ >= std::chrono::seconds(1)) expire(packet.time);
      if (flows_.size() >= limits_.max_flows) {
        erase(flows_.begin());  // see above
        counters_.add(TlsFlowEvent::kFlowEvicted);
      }
    }
    it = flows_.emplace(key, Flow{}).first;
    // Seen mid-stream: if the client speaks first here, its bytes may
    // still be the start of a ClientHello.
    it->second.next_seq = packet.tcp_seq;
  }
  Flow& flow = it->second;
  flow.last_seen = packet.time;

  if (!flow.reported && !packet.payload.empty()) {
    if (!from_client) {
      // The server is talking and the hello is not read: it went missing.
      report(it, packet, from_client, handler, nullptr);
    } else if (packet.tcp_seq != flow.next_seq) {
      auto behind = static_cast<std::int32_t>(flow.next_seq - packet.tcp_seq);
      if (behind <= 0 || static_cast<std::size_t>(behind) < packet.payload.size()) {
        report(it, packet, from_client, handler, nullptr);  // a gap, or an overlap we will not untangle
      }
      // else: a retransmission of bytes already held
    } else if (buffered_ + packet.payload.size() > limits_.max_buffered_bytes) {
      counters_.add(TlsFlowEvent::kBufferLimit);
      report(it, packet, from_client, handler, nullptr);
    } else {
      flow.hello.insert(flow.hello.end(), packet.payload.begin(), packet.payload.end());
      buffered_ += packet.payload.size();
      flow.next_seq += static_cast<std::uint32_t>(packet.payload.size());
      switch (parseTlsClientHello(flow.hello, hello_)) {
        case TlsParseStatus::kOk:
          report(it, packet, from_client, handler, &hello_);
          break;
        case TlsParseStatus::kNeedMore:
          if (flow.hello.size() > kMaxClientHello + 64) {
            counters_.add(TlsFlowEvent::kMalformedHello);
            report(it, packet, from_client, handler, nullptr);
          }
          break;
        case TlsParseStatus::kMalformed:
          counters_.add(TlsFlowEvent::kMalformedHello);
          report(it, packet, from_client, handler, nullptr);
          break;
        default:
          counters_.add(TlsFlowEvent::kNotTls);
          report(it, packet, from_client, handler, nullptr);
          break;
      }
    }
  }
  if (closing) {
    // A hello still partial when the connection ends is reported too: the
    // client did try this resolver.
    if (!flow.reported && !flow.hello.empty()) report(it, packet, from_client, handler, nullptr);
    flow.closed = true;
  }
}

}  // namespace dnsleak::classify
