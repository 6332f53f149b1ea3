#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/counter.h"
#include "core/event.h"
#include "core/flow_key.h"
#include "core/hash_map.h"
#include "core/recency_list.h"
#include "decode/packet.h"

namespace dnsleak::classify {

enum class HttpDnsEvent : std::uint8_t {
  kGap = 0,          // bytes missing in a followed connection: it is no longer followed
  kFlowEvicted,      // a connection pushed out to keep the table bounded
  kBufferLimit,      // a message or frame larger than a connection may hold
  kMalformed,        // an HTTP/2 frame or header block that does not decode
  kUnsupported,      // chunked bodies, Upgrade: h2c
  kCount
};
inline constexpr std::size_t kHttpDnsEventCount = static_cast<std::size_t>(HttpDnsEvent::kCount);
std::string_view httpDnsEventName(HttpDnsEvent e);

struct HttpDnsLimits {
  std::size_t max_connections = 1024;
  std::size_t max_buffered_per_direction = 256u << 10;  // a 64 KiB message, its headers, framing
  std::chrono::seconds idle_timeout{60};
};

// Cleartext DNS over HTTP (RFC 8484 without TLS: a local DoH proxy, a
// resolver behind a reverse proxy, a lab), on any TCP port: HTTP/1.1 and
// HTTP/2 with prior knowledge (h2c). Requests are POSTs with
// `application/dns-message` bodies or GETs with a base64url `dns=`
// parameter; responses are `application/dns-message` bodies. HTTP/2 header
// blocks are decompressed with nghttp2's HPACK inflater, one per direction,
// fed every block in order so its dynamic table stays right.
//
// A connection is followed from a client segment that starts it: the
// HTTP/2 preface, or an HTTP/1 request whose first segment mentions DNS
// ("dns-message" or "dns="); plain web traffic is never followed. The
// server's side joins at its first frame (HTTP/2 SETTINGS) or status line.
// Bounded: max_connections, each direction holding at most
// max_buffered_per_direction; a gap ends following. Owned by the capture
// thread.
class HttpDnsFlows {
 public:
  class Handler {
   public:
    virtual ~Handler() = default;
    // A whole DNS message carried by HTTP; `confirmed` when the content type
    // said so, not only a `dns=` parameter. The span lives during the call.
    virtual void onHttpDnsMessage(const decode::DecodedPacket& packet, std::span<const std::uint8_t> message,
                                  bool confirmed) = 0;
  };

  explicit HttpDnsFlows(HttpDnsLimits limits = {});
  ~HttpDnsFlows();
  HttpDnsFlows(const HttpDnsFlows&) = delete;
  HttpDnsFlows& operator=(const HttpDnsFlows&) = delete;

  // Feeds a TCP segment; returns whether it belongs to a followed connection
  // (then no other TCP check needs it).
  bool addSegment(const decode::DecodedPacket& packet, Handler& handler);

  std::size_t connectionCount() const { return connections_.size(); }
  const core::EnumCounters<HttpDnsEvent, kHttpDnsEventCount>& counters() const { return counters_; }

  // Where a connection is in the order of use: its key and last segment.
  struct Listed {
    core::RecencyLinks<Listed> links;
    const core::FlowKey* key = nullptr;  // its key in connections_ (the client's direction)
    core::Timestamp last_seen{};
  };
  struct Connection;  // defined in the .cc: HTTP state of both directions

 private:
  using Map = core::StableMap<core::FlowKey, std::unique_ptr<Connection>, core::FlowKeyHash>;
  // Forgets idle connections, from the least recently used.
  void expire(core::Timestamp now);
  void forget(Map::iterator it);

  HttpDnsLimits limits_;
  // Keyed by the client's direction.
  Map connections_;
  // connections_' entries, least recently used first: the full table gives
  // up its oldest, and idle ones are forgotten from that end, without a scan.
  core::RecencyList<Listed, &Listed::links> recency_;
  core::EnumCounters<HttpDnsEvent, kHttpDnsEventCount> counters_;
};

// Decodes base64url without padding (RFC 4648 section 5), as a DoH GET's
// `dns` parameter carries a message. Returns false on a bad character or length.
bool decodeBase64Url(std::string_view text, std::vector<std::uint8_t>& out);

}  // namespace dnsleak::classify
