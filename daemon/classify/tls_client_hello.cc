#include "classify/tls_client_hello.h"

#include "core/bytes.h"
#include "core/escape.h"

namespace dnsleak::classify {
namespace {

using Bytes = std::span<const std::uint8_t>;
using core::be16;

constexpr std::uint8_t kRecordHandshake = 0x16;
constexpr std::uint8_t kClientHello = 1;
constexpr std::uint16_t kExtServerName = 0;
constexpr std::uint16_t kExtAlpn = 16;
constexpr std::uint16_t kExtEch = 0xfe0d;

std::string printable(Bytes bytes) {
  std::string out;
  core::appendEscaped(out, bytes, /*escape_dots=*/false);
  return out;
}

// A bounds-checked reader over one buffer.
class Reader {
 public:
  explicit Reader(Bytes bytes) : bytes_(bytes) {}
  bool u8(std::uint8_t& v) {
    if (bytes_.size() - at_ < 1) return false;
    v = bytes_[at_++];
    return true;
  }
  bool u16(std::uint16_t& v) {
    if (bytes_.size() - at_ < 2) return false;
    v = be16(bytes_.data() + at_);
    at_ += 2;
    return true;
  }
  bool take(std::size_t n, Bytes& out) {
    if (bytes_.size() - at_ < n) return false;
    out = bytes_.subspan(at_, n);
    at_ += n;
    return true;
  }
  bool skip(std::size_t n) {
    Bytes ignored;
    return take(n, ignored);
  }
  bool empty() const { return at_ == bytes_.size(); }

 private:
  Bytes bytes_;
  std::size_t at_ = 0;
};

bool readServerName(Bytes data, ClientHello& out) {
  Reader r(data);
  std::uint16_t list_length;
  Bytes list;
  if (!r.u16(list_length) || !r.take(list_length, list)) return false;
  Reader entries(list);
  while (!entries.empty()) {
    std::uint8_t type;
    std::uint16_t length;
    Bytes name;
    if (!entries.u8(type) || !entries.u16(length) || !entries.take(length, name)) return false;
    if (type == 0 && out.sni.empty()) out.sni = printable(name);
  }
  return true;
}

bool readAlpn(Bytes data, ClientHello& out) {
  Reader r(data);
  std::uint16_t list_length;
  Bytes list;
  if (!r.u16(list_length) || !r.take(list_length, list)) return false;
  Reader entries(list);
  while (!entries.empty()) {
    std::uint8_t length;
    Bytes protocol;
    if (!entries.u8(length) || !entries.take(length, protocol)) return false;
    if (out.alpn.size() < 16) out.alpn.push_back(printable(protocol));
  }
  return true;
}

}  // namespace

std::string_view tlsParseStatusName(TlsParseStatus status) {
  switch (status) {
    case TlsParseStatus::kOk: return "ok";
    case TlsParseStatus::kNeedMore: return "tls_need_more";
    case TlsParseStatus::kNotTls: return "tls_not_tls";
    case TlsParseStatus::kNotClientHello: return "tls_not_client_hello";
    case TlsParseStatus::kMalformed: return "tls_malformed_client_hello";
    case TlsParseStatus::kCount: break;
  }
  return "unknown";
}

TlsParseStatus parseClientHelloMessage(Bytes message, ClientHello& out) {
  out = {};
  Reader r(message);
  std::uint8_t type;
  std::uint8_t l1;
  std::uint16_t l2;
  if (!r.u8(type)) return TlsParseStatus::kNeedMore;
  if (type != kClientHello) return TlsParseStatus::kNotClientHello;
  if (!r.u8(l1) || !r.u16(l2)) return TlsParseStatus::kNeedMore;
  std::size_t length = static_cast<std::size_t>(l1) << 16 | l2;
  if (length > kMaxClientHello) return TlsParseStatus::kMalformed;
  Bytes body;
  if (!r.take(length, body)) return TlsParseStatus::kNeedMore;

  Reader b(body);
  std::uint16_t version;
  std::uint8_t session_length;
  std::uint16_t suites_length;
  std::uint8_t compression_length;
  if (!b.u16(version) || !b.skip(32) || !b.u8(session_length) || session_length > 32 || !b.skip(session_length) ||
      !b.u16(suites_length) || suites_length % 2 != 0 || !b.skip(suites_length) || !b.u8(compression_length) ||
      !b.skip(compression_length)) {
    return TlsParseStatus::kMalformed;
  }
  if ((version >> 8) != 3) return TlsParseStatus::kMalformed;
  if (b.empty()) return TlsParseStatus::kOk;  // no extensions at all (old clients)
  std::uint16_t extensions_length;
  Bytes extensions;
  if (!b.u16(extensions_length) || !b.take(extensions_length, extensions)) return TlsParseStatus::kMalformed;
  Reader e(extensions);
  while (!e.empty()) {
    std::uint16_t ext_type;
    std::uint16_t ext_length;
    Bytes data;
    if (!e.u16(ext_type) || !e.u16(ext_length) || !e.take(ext_length, data)) return TlsParseStatus::kMalformed;
    if (ext_type == kExtServerName && !readServerName(data, out)) return TlsParseStatus::kMalformed;
    if (ext_type == kExtAlpn && !readAlpn(data, out)) return TlsParseStatus::kMalformed;
    if (ext_type == kExtEch) out.ech = true;
  }
  return TlsParseStatus::kOk;
}

TlsParseStatus parseTlsClientHello(Bytes stream, ClientHello& out) {
  // Gather the handshake bytes from consecutive handshake records. The
  // message is small (kMaxClientHello), so a local buffer is fine here:
  // this runs once per connection, not per packet.
  std::vector<std::uint8_t> handshake;
  Reader r(stream);
  bool first = true;
  while (!r.empty()) {
    std::uint8_t type;
    std::uint16_t version;
    std::uint16_t length;
    if (!r.u8(type)) break;
    if (type != kRecordHandshake) return first ? TlsParseStatus::kNotTls : TlsParseStatus::kMalformed;
    if (!r.u16(version)) break;
    if ((version >> 8) != 3) return first ? TlsParseStatus::kNotTls : TlsParseStatus::kMalformed;
    if (!r.u16(length)) break;
    if (length == 0 || length > 16384 + 2048) return first ? TlsParseStatus::kNotTls : TlsParseStatus::kMalformed;
    first = false;
    Bytes fragment;
    if (!r.take(length, fragment)) break;  // the rest of this record has not arrived yet
    handshake.insert(handshake.end(), fragment.begin(), fragment.end());
    auto status = parseClientHelloMessage(handshake, out);
    if (status != TlsParseStatus::kNeedMore) return status;
    if (handshake.size() > kMaxClientHello + 4) return TlsParseStatus::kMalformed;
  }
  if (first && stream.size() >= 1 && stream[0] != kRecordHandshake) return TlsParseStatus::kNotTls;
  return TlsParseStatus::kNeedMore;
}

}  // namespace dnsleak::classify
