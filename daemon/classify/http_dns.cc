#include "classify/http_dns.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <optional>

#include "classify/hpack.h"
#include "core/bytes.h"
#include "core/names.h"

namespace dnsleak::classify {

std::string_view httpDnsEventName(HttpDnsEvent e) {
  switch (e) {
    case HttpDnsEvent::kGap: return "http_gap";
    case HttpDnsEvent::kFlowEvicted: return "http_flow_evicted";
    case HttpDnsEvent::kBufferLimit: return "http_buffer_limit";
    case HttpDnsEvent::kMalformed: return "http_malformed";
    case HttpDnsEvent::kUnsupported: return "http_unsupported";
    case HttpDnsEvent::kCount: break;
  }
  return "unknown";
}

namespace {

using Bytes = std::span<const std::uint8_t>;
using core::equalsIgnoringCase;
using Outcome = std::optional<HttpDnsEvent>;  // nullopt: go on following

constexpr std::string_view kH2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
constexpr std::size_t kMaxHeaderBytes = 16u << 10;
constexpr std::size_t kMaxStreams = 64;
constexpr std::size_t kMaxDnsMessage = 65535;
constexpr std::uint8_t kH2Data = 0, kH2Headers = 1, kH2RstStream = 3, kH2Settings = 4, kH2PushPromise = 5,
                       kH2Continuation = 9;
constexpr std::uint8_t kFlagEndStream = 0x01, kFlagEndHeaders = 0x04, kFlagPadded = 0x08, kFlagPriority = 0x20;

std::string_view text(Bytes b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// "application/dns-message", parameters allowed.
bool isDnsMessageType(std::string_view content_type) {
  return equalsIgnoringCase(trim(content_type.substr(0, content_type.find(';'))), "application/dns-message");
}

// The `dns` parameter of a request target's query, or empty.
std::string_view dnsParameter(std::string_view target) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    if (part.substr(0, 4) == "dns=") return part.substr(4);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

// A client's first bytes of a connection worth following.
std::optional<bool> startsConnection(Bytes payload) {  // true: HTTP/2
  std::string_view t = text(payload);
  if (t.substr(0, kH2Preface.size()) == kH2Preface) return true;
  if ((t.substr(0, 4) == "GET " || t.substr(0, 5) == "POST ") &&
      (t.find("dns-message") != std::string_view::npos || t.find("dns=") != std::string_view::npos)) {
    return false;
  }
  return std::nullopt;
}

}  // namespace

struct HttpDnsFlows::Connection : HttpDnsFlows::Listed {
  struct Side {
    bool synced = false;
    std::uint32_t next_seq = 0;
    std::vector<std::uint8_t> buffer;  // received, not yet parsed
    // HTTP/2: the header block being gathered from HEADERS/PUSH_PROMISE and CONTINUATION.
    std::optional<HpackDecoder> hpack;  // made at the first block or table size
    std::vector<std::uint8_t> header_block;
    std::uint32_t header_stream = 0;
    bool in_header_block = false;
    bool header_end_stream = false;
    bool header_is_push = false;
  };
  struct Stream {
    bool dns_request = false;
    bool dns_response = false;
    std::vector<std::uint8_t> body[2];  // client's, server's
  };

  explicit Connection(bool h2) : http2(h2) {}
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  const bool http2;
  Side sides[2];  // 0: the client's direction, 1: the server's
  bool preface_seen = false;
  std::map<std::uint32_t, Stream> streams;  // HTTP/2
};

namespace {

using Connection = HttpDnsFlows::Connection;

struct Context {
  const decode::DecodedPacket& packet;
  HttpDnsFlows::Handler& handler;
};

void emitGet(std::string_view target, Context& ctx) {
  std::string_view param = dnsParameter(target);
  if (param.empty()) return;
  std::vector<std::uint8_t> message;
  if (decodeBase64Url(param, message) && !message.empty()) ctx.handler.onHttpDnsMessage(ctx.packet, message, false);
}

// A whole header block of one direction: decompressed (always, to keep
// HPACK's table in step), then acted on.
Outcome headerBlockDone(Connection& c, int dir, Context& ctx) {
  auto& side = c.sides[dir];
  if (!side.hpack) side.hpack.emplace();
  struct Wanted : HpackDecoder::Fields {
    std::string method, path, content_type;
    void field(std::string_view name, std::string_view value) override {
      if (name == ":method") method = value;
      else if (name == ":path") path = value;
      else if (name == "content-type") content_type = value;
    }
  } wanted;
  if (!side.hpack->decode(side.header_block.data(), side.header_block.size(), wanted)) return HttpDnsEvent::kMalformed;
  const std::string& method = wanted.method;
  const std::string& path = wanted.path;
  const std::string& content_type = wanted.content_type;
  side.in_header_block = false;
  if (side.header_is_push) return std::nullopt;  // a promised request: nothing was sent
  std::uint32_t id = side.header_stream;
  if (dir == 0) {
    if (!c.streams.contains(id) && c.streams.size() >= kMaxStreams) c.streams.erase(c.streams.begin());
    auto& stream = c.streams[id];
    if (isDnsMessageType(content_type) && method == "POST") stream.dns_request = true;
    if (method == "GET") emitGet(path, ctx);
  } else {
    auto it = c.streams.find(id);
    if (it == c.streams.end()) return std::nullopt;
    // Trailers come as a second block without a content type: keep what the first said.
    if (!content_type.empty()) it->second.dns_response = isDnsMessageType(content_type);
    if (side.header_end_stream) c.streams.erase(it);
  }
  return std::nullopt;
}

Outcome startHeaderBlock(Connection& c, int dir, std::uint32_t stream, Bytes fragment, bool end_stream,
                         bool end_headers, bool push, Context& ctx) {
  auto& side = c.sides[dir];
  if (fragment.size() > kMaxHeaderBytes) return HttpDnsEvent::kBufferLimit;
  side.header_block.assign(fragment.begin(), fragment.end());
  side.header_stream = stream;
  side.header_end_stream = end_stream;
  side.header_is_push = push;
  side.in_header_block = true;
  return end_headers ? headerBlockDone(c, dir, ctx) : std::nullopt;
}

// Strips a padded frame's padding (RFC 9113 section 6.1).
std::optional<Bytes> unpad(Bytes payload, std::uint8_t flags) {
  if ((flags & kFlagPadded) == 0) return payload;
  if (payload.empty() || static_cast<std::size_t>(payload[0]) + 1 > payload.size()) return std::nullopt;
  return payload.subspan(1, payload.size() - 1 - payload[0]);
}

Outcome http2Frame(Connection& c, int dir, std::uint8_t type, std::uint8_t flags, std::uint32_t stream, Bytes payload,
                   Context& ctx) {
  auto& side = c.sides[dir];
  // Nothing may come between a header block's frames (RFC 9113 section 6.10).
  if (side.in_header_block && type != kH2Continuation) return HttpDnsEvent::kMalformed;
  switch (type) {
    case kH2Headers: {
      auto p = unpad(payload, flags);
      if (!p) return HttpDnsEvent::kMalformed;
      if (flags & kFlagPriority) {
        if (p->size() < 5) return HttpDnsEvent::kMalformed;
        p = p->subspan(5);
      }
      return startHeaderBlock(c, dir, stream, *p, (flags & kFlagEndStream) != 0, (flags & kFlagEndHeaders) != 0,
                              false, ctx);
    }
    case kH2PushPromise: {
      auto p = unpad(payload, flags);
      if (!p || p->size() < 4) return HttpDnsEvent::kMalformed;
      return startHeaderBlock(c, dir, stream, p->subspan(4), false, (flags & kFlagEndHeaders) != 0, true, ctx);
    }
    case kH2Continuation: {
      if (!side.in_header_block || stream != side.header_stream) return HttpDnsEvent::kMalformed;
      if (side.header_block.size() + payload.size() > kMaxHeaderBytes) return HttpDnsEvent::kBufferLimit;
      side.header_block.insert(side.header_block.end(), payload.begin(), payload.end());
      return (flags & kFlagEndHeaders) ? headerBlockDone(c, dir, ctx) : std::nullopt;
    }
    case kH2Data: {
      auto it = c.streams.find(stream);
      if (it == c.streams.end()) return std::nullopt;
      auto p = unpad(payload, flags);
      if (!p) return HttpDnsEvent::kMalformed;
      auto& s = it->second;
      bool dns = dir == 0 ? s.dns_request : s.dns_response;
      auto& body = s.body[dir];
      if (dns) {
        if (body.size() + p->size() > kMaxDnsMessage) return HttpDnsEvent::kBufferLimit;
        body.insert(body.end(), p->begin(), p->end());
      }
      if (flags & kFlagEndStream) {
        if (dns && !body.empty()) ctx.handler.onHttpDnsMessage(ctx.packet, body, true);
        body.clear();
        if (dir == 1) c.streams.erase(it);
      }
      return std::nullopt;
    }
    case kH2RstStream:
      // A client's reset may cross the response in flight: only the
      // server's ends a stream here.
      if (dir == 1) c.streams.erase(stream);
      return std::nullopt;
    case kH2Settings: {
      // HEADER_TABLE_SIZE bounds the table of the header blocks the *other*
      // side sends: its encoder may grow up to it, and our decoder must follow.
      if (flags & 0x01) return std::nullopt;  // ACK
      for (std::size_t i = 0; i + 6 <= payload.size(); i += 6) {
        if (core::be16(payload.data() + i) != 0x1) continue;
        auto& other = c.sides[1 - dir];
        if (!other.hpack) other.hpack.emplace();
        if (!other.hpack->setTableSize(core::be32(payload.data() + i + 2))) {
          return HttpDnsEvent::kMalformed;
        }
      }
      return std::nullopt;
    }
    default:  // PING, WINDOW_UPDATE, GOAWAY, PRIORITY
      return std::nullopt;
  }
}

Outcome parseHttp2(Connection& c, int dir, std::size_t max_frame, Context& ctx) {
  auto& buffer = c.sides[dir].buffer;
  std::size_t at = 0;
  if (dir == 0 && !c.preface_seen) {
    if (buffer.size() < kH2Preface.size()) return std::nullopt;
    c.preface_seen = true;
    at = kH2Preface.size();
  }
  Outcome outcome;
  while (!outcome && buffer.size() - at >= 9) {
    const std::uint8_t* h = buffer.data() + at;
    std::size_t length = static_cast<std::size_t>(h[0]) << 16 | static_cast<std::size_t>(h[1]) << 8 | h[2];
    if (length > max_frame) return HttpDnsEvent::kBufferLimit;
    if (buffer.size() - at - 9 < length) break;
    std::uint32_t stream = core::be32(h + 5) & 0x7fffffffu;
    outcome = http2Frame(c, dir, h[3], h[4], stream, Bytes(h + 9, length), ctx);
    at += 9 + length;
  }
  buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(at));
  return outcome;
}

Outcome parseHttp1(Connection& c, int dir, std::size_t max_body, Context& ctx) {
  auto& buffer = c.sides[dir].buffer;
  std::size_t at = 0;
  Outcome outcome;
  while (!outcome) {
    std::string_view rest = text(Bytes(buffer.data() + at, buffer.size() - at));
    auto end = rest.substr(0, kMaxHeaderBytes).find("\r\n\r\n");
    if (end == std::string_view::npos) {
      if (rest.size() > kMaxHeaderBytes) outcome = HttpDnsEvent::kBufferLimit;
      break;
    }
    std::string_view head = rest.substr(0, end);
    std::string_view first_line = head.substr(0, head.find("\r\n"));
    std::string_view content_type;
    std::size_t content_length = 0;
    bool has_length = false;
    for (std::size_t line = head.find("\r\n"); line != std::string_view::npos;) {
      std::size_t next = head.find("\r\n", line + 2);
      std::string_view header = head.substr(line + 2, next == std::string_view::npos ? next : next - line - 2);
      line = next;
      auto colon = header.find(':');
      if (colon == std::string_view::npos) continue;
      std::string_view name = header.substr(0, colon), value = trim(header.substr(colon + 1));
      if (equalsIgnoringCase(name, "content-type")) {
        content_type = value;
      } else if (equalsIgnoringCase(name, "content-length")) {
        content_length = 0;
        has_length = !value.empty();
        for (char ch : value) {
          if (ch < '0' || ch > '9' || content_length > max_body) return HttpDnsEvent::kMalformed;
          content_length = content_length * 10 + static_cast<std::size_t>(ch - '0');
        }
      } else if (equalsIgnoringCase(name, "transfer-encoding") || equalsIgnoringCase(name, "upgrade")) {
        return HttpDnsEvent::kUnsupported;
      }
    }
    if (content_length > max_body) return HttpDnsEvent::kBufferLimit;
    if (rest.size() < end + 4 + content_length) break;  // the body is still coming
    Bytes body(buffer.data() + at + end + 4, content_length);
    if (dir == 0) {
      auto space = first_line.find(' ');
      if (space == std::string_view::npos) return HttpDnsEvent::kMalformed;
      std::string_view method = first_line.substr(0, space);
      std::string_view target = first_line.substr(space + 1);
      target = target.substr(0, target.find(' '));
      if (method == "POST" && isDnsMessageType(content_type)) {
        if (!body.empty()) ctx.handler.onHttpDnsMessage(ctx.packet, body, true);
      } else if (method == "GET") {
        emitGet(target, ctx);
      }
    } else {
      if (first_line.substr(0, 5) != "HTTP/") return HttpDnsEvent::kMalformed;
      bool interim = first_line.size() > 9 && first_line[9] == '1';  // 1xx: the real response follows
      if (!interim) {
        // A response without a length runs to the connection's end: not framed here.
        if (!has_length && isDnsMessageType(content_type)) return HttpDnsEvent::kUnsupported;
        if (isDnsMessageType(content_type) && !body.empty()) ctx.handler.onHttpDnsMessage(ctx.packet, body, true);
      }
    }
    at += end + 4 + content_length;
  }
  buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(at));
  return outcome;
}

}  // namespace

HttpDnsFlows::HttpDnsFlows(HttpDnsLimits limits) : limits_(limits) {}
HttpDnsFlows::~HttpDnsFlows() = default;

void HttpDnsFlows::forget(Map::iterator it) {
  recency_.remove(*it->second);
  connections_.erase(it);
}

void HttpDnsFlows::expire(core::Timestamp now) {
  while (const Listed* oldest = recency_.oldest()) {
    if (now - oldest->last_seen <= limits_.idle_timeout) return;
    forget(connections_.find(*oldest->key));
  }
}

bool HttpDnsFlows::addSegment(const decode::DecodedPacket& packet, Handler& handler) {
  core::FlowKey forward{packet.src, packet.dst, packet.src_port, packet.dst_port};
  int dir = 0;
  auto it = connections_.find(forward);
  if (it == connections_.end()) {
    it = connections_.find(core::FlowKey{packet.dst, packet.src, packet.dst_port, packet.src_port});
    dir = 1;
  }
  if (it == connections_.end()) {
    auto http2 = startsConnection(packet.payload);
    if (!http2) return false;
    expire(packet.time);
    if (connections_.size() >= limits_.max_connections) {
      if (const Listed* oldest = recency_.oldest()) {
        forget(connections_.find(*oldest->key));
        counters_.add(HttpDnsEvent::kFlowEvicted);
      }
    }
    it = connections_.emplace(forward, std::make_unique<Connection>(*http2)).first;
    it->second->key = &it->first;
    recency_.append(*it->second);
    it->second->sides[0].synced = true;
    it->second->sides[0].next_seq = packet.tcp_seq;
    dir = 0;
  }
  Connection& c = *it->second;
  c.last_seen = packet.time;
  recency_.touch(c);
  if (packet.tcp_flags & decode::kTcpRst) {
    forget(it);
    return true;
  }
  Bytes data = packet.payload;
  if (data.empty()) return true;
  auto& side = c.sides[dir];
  if (!side.synced) {
    // The server's side joins at its first frame or status line.
    bool start = c.http2 ? data.size() >= 9 && data[3] == kH2Settings : text(data).substr(0, 5) == "HTTP/";
    if (!start) return true;
    side.synced = true;
    side.next_seq = packet.tcp_seq;
  }
  auto ahead = static_cast<std::int32_t>(packet.tcp_seq - side.next_seq);
  if (ahead > 0) {
    counters_.add(HttpDnsEvent::kGap);
    forget(it);
    return true;
  }
  std::size_t seen = static_cast<std::size_t>(-static_cast<std::int64_t>(ahead));
  if (seen >= data.size()) return true;  // retransmitted
  data = data.subspan(seen);
  if (side.buffer.size() + data.size() > limits_.max_buffered_per_direction) {
    counters_.add(HttpDnsEvent::kBufferLimit);
    forget(it);
    return true;
  }
  side.buffer.insert(side.buffer.end(), data.begin(), data.end());
  side.next_seq += static_cast<std::uint32_t>(data.size());
  Context ctx{packet, handler};
  std::size_t room = limits_.max_buffered_per_direction - 9;
  Outcome outcome = c.http2 ? parseHttp2(c, dir, room, ctx) : parseHttp1(c, dir, std::min(room, kMaxDnsMessage), ctx);
  if (outcome) {
    counters_.add(*outcome);
    forget(it);
  }
  return true;
}

bool decodeBase64Url(std::string_view in, std::vector<std::uint8_t>& out) {
  if (in.size() % 4 == 1 || in.size() > 4 * kMaxDnsMessage / 3 + 4) return false;
  out.clear();
  out.reserve(in.size() / 4 * 3 + 2);
  std::uint32_t bits = 0;
  int held = 0;  // bits in `bits` not yet written
  std::size_t digits = 0;
  for (char ch : in) {
    std::uint32_t v;
    if (ch >= 'A' && ch <= 'Z') v = static_cast<std::uint32_t>(ch - 'A');
    else if (ch >= 'a' && ch <= 'z') v = static_cast<std::uint32_t>(ch - 'a') + 26;
    else if (ch >= '0' && ch <= '9') v = static_cast<std::uint32_t>(ch - '0') + 52;
    else if (ch == '-') v = 62;
    else if (ch == '_') v = 63;
    else if (ch == '=') break;  // tolerated, though RFC 8484 says to leave padding out
    else return false;
    bits = (bits << 6 | v) & 0xffffff;
    held += 6;
    ++digits;
    if (held >= 8) {
      held -= 8;
      out.push_back(static_cast<std::uint8_t>(bits >> held));
    }
  }
  // One digit over a whole group carries no byte: not base64.
  return digits % 4 != 1;
}

}  // namespace dnsleak::classify
