#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "classify/tls_client_hello.h"
#include "core/counter.h"
#include "core/early_segments.h"
#include "core/event.h"
#include "core/flow_key.h"
#include "core/hash_map.h"
#include "core/recency_list.h"
#include "decode/packet.h"

namespace dnsleak::classify {

inline constexpr std::size_t kMaxEarlyHelloSegments = 8;

enum class TlsFlowEvent : std::uint8_t {
  kHandshake = 0,    // a connection reported with its ClientHello
  kNoHandshake,      // a connection reported without one (seen mid-stream, or the hello went missing)
  kNotTls,           // its first client bytes were not a TLS ClientHello
  kMalformedHello,   // a ClientHello whose lengths do not add up, or too large
  kFlowEvicted,      // pushed out to keep the table bounded
  kBufferLimit,      // a partial hello dropped to stay within the byte budget
  kReordered,        // a hello segment that came early, held until the gap before it filled
  kCount
};
inline constexpr std::size_t kTlsFlowEventCount = static_cast<std::size_t>(TlsFlowEvent::kCount);
std::string_view tlsFlowEventName(TlsFlowEvent e);

// The shape of a TLS connection after its hello, for DNS over HTTPS to a
// server no list names: request and response sizes and times of its first
// kShapeSegments payload segments each way, nothing more (docs/detection.md).
struct TlsShape {
  static constexpr std::size_t kShapeSegments = 64;
  static constexpr std::size_t kResponseTimes = 16;
  std::string sni;
  std::vector<std::string> alpn;
  core::Timestamp start{};
  core::Timestamp last{};
  core::Timestamp request_at{};  // the request waiting for its response
  bool request_waiting = false;
  std::uint16_t request_size = 0;  // of the request waiting
  std::uint16_t client_segments = 0;
  std::uint16_t server_segments = 0;
  std::uint16_t exchanges = 0;    // a small request answered by a small response within a second
  std::uint16_t large = 0;        // server segments past the handshake of more than kLargeSegment bytes
  std::uint32_t request_bytes = 0;   // of the exchanges' requests
  std::uint32_t response_bytes = 0;  // of their responses
  std::array<core::Timestamp, kResponseTimes> responses{};  // when the first exchanges were answered
  bool reported = false;
};

struct TlsFlowLimits {
  std::size_t max_flows = 4096;
  std::size_t max_buffered_bytes = 4u << 20;
  std::chrono::seconds idle_timeout{300};  // DoT connections are kept open for minutes
  std::chrono::seconds closed_timeout{30};  // how long a closed connection is remembered
};

// Follows TCP connections on a TLS port (DoT's 853) and reports each once:
// with its ClientHello (SNI, ALPN) when the client's first bytes are one,
// reassembled across segments; or, when the connection was seen without
// it, as a connection all the same. Segments of the hello that come early
// are held (at most kMaxEarlyHelloSegments) until the gap before them
// fills. Bounded in flows and bytes: a flow idle past its timeout goes,
// and a full table gives up its least recently seen flow (a closed one
// first). Both in O(1): the flows are kept in the order they were last
// seen, open and closed apart. Owned by the capture thread.
class TlsFlows {
 public:
  struct Report {
    core::MessageKind kind;  // kHandshake or kConnection
    const ClientHello* hello;  // for kHandshake; valid during the call
    bool from_client;          // whether `packet` was sent by the client
    std::uint16_t server_port; // the TLS port this tracker follows
    // For a hello: set by the handler to follow the connection's shape
    // (onTlsShape is called when it looks like DNS over HTTPS).
    bool* follow_shape = nullptr;
  };
  class Handler {
   public:
    virtual ~Handler() = default;
    virtual void onTlsFlow(const decode::DecodedPacket& packet, const Report& report) = 0;
    // A followed connection whose exchanges look like DNS over HTTPS:
    // at least kShapeExchanges, few large segments. Once per connection.
    virtual void onTlsShape(const decode::DecodedPacket& /*packet*/, const TlsShape& /*shape*/, bool /*from_client*/) {}
  };
  static constexpr std::uint16_t kShapeExchanges = 6;
  static constexpr std::size_t kSmallRequest = 600;    // bytes of a segment a DoH request fits in
  static constexpr std::size_t kSmallResponse = 1000;  // ... and a response
  static constexpr std::size_t kLargeSegment = 1200;

  explicit TlsFlows(TlsFlowLimits limits = {});

  // `server_port` says which end is the server (the destination when both
  // ends use it).
  void addSegment(const decode::DecodedPacket& packet, std::uint16_t server_port, Handler& handler);

  // Whether this connection is followed, and if so which port is its
  // server's: for a tracker whose flows start on any port.
  bool follows(const decode::DecodedPacket& packet, std::uint16_t& server_port) const;

  std::size_t flowCount() const { return flows_.size(); }
  std::uint64_t shapesFollowed() const { return shapes_followed_.get(); }
  std::uint64_t shapesReported() const { return shapes_reported_.get(); }
  std::size_t bufferedBytes() const { return buffered_; }
  const core::EnumCounters<TlsFlowEvent, kTlsFlowEventCount>& counters() const { return counters_; }

 private:
  using Key = core::FlowKey;  // a connection, client first
  struct Flow {
    bool reported = false;
    bool closed = false;  // FIN or RST seen: kept a little while so late packets are not a "new" connection
    std::uint32_t next_seq = 0;
    std::vector<std::uint8_t> hello;  // the client's first bytes, until they parse
    core::EarlySegments early;        // hello segments past a gap
    core::Timestamp last_seen{};
    std::unique_ptr<TlsShape> shape;  // only for connections the handler asked to follow
    // Its place in its recency list (open or closed), and its key in the
    // map: map nodes do not move, so these stay valid while it is held.
    core::RecencyLinks<Flow> recency;
    const Key* key = nullptr;
    std::size_t bytes() const { return hello.size() + early.bytes(); }
  };
  using Map = core::StableMap<Key, Flow, core::FlowKeyHash>;
  using Recency = core::RecencyList<Flow, &Flow::recency>;  // least recently seen first

  void report(Map::iterator it, const decode::DecodedPacket& packet, bool from_client, Handler& handler,
              const ClientHello* hello);
  void erase(Map::iterator it);
  Recency& recencyOf(const Flow& flow) { return flow.closed ? closed_ : open_; }
  Map::iterator insert(const Key& key, core::Timestamp now);
  // Makes room for one flow more: the least recently seen goes.
  void evictForNew();
  // Appends in-order hello bytes and parses; reports when the hello is
  // whole or cannot be. Returns whether the flow was reported.
  bool appendHello(Map::iterator it, const decode::DecodedPacket& packet, std::span<const std::uint8_t> bytes,
                   Handler& handler);
  // Appends the held segments the stream has reached.
  void drainEarly(Map::iterator it, const decode::DecodedPacket& packet, Handler& handler);
  // Forgets the flows idle past their timeouts: from the oldest end, so it
  // costs what it removes.
  void expire(core::Timestamp now);
  void followShape(Flow& flow, const decode::DecodedPacket& packet, bool from_client, Handler& handler);

  TlsFlowLimits limits_;
  Map flows_;
  Recency open_;
  Recency closed_;  // FIN or RST seen
  std::size_t buffered_ = 0;
  ClientHello hello_;  // reused
  core::EnumCounters<TlsFlowEvent, kTlsFlowEventCount> counters_;
  core::Counter shapes_followed_;
  core::Counter shapes_reported_;
};

}  // namespace dnsleak::classify
