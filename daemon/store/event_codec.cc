#include "store/event_codec.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/scratch_cursor.h"

namespace dnsleak::store {

std::uint32_t StringTable::internSlow(std::string_view text) {
  Recent& recent = recent_[recentSlot(text)];
  std::uint32_t id = 0;
  if (auto it = ids_.find(text); it != ids_.end()) {
    id = it->second;
  } else {
    if (strings_.size() >= kMaxStrings || bytes_ + text.size() > kMaxBytes) return 0;
    strings_.emplace_back(text);
    bytes_ += text.size();
    id = static_cast<std::uint32_t>(strings_.size());
    ids_.emplace(strings_.back(), id);
  }
  recent = {strings_[id - 1], id};
  return id;
}

namespace {

// The packed form: unsigned varints (LEB128), signed ones zigzagged, and
// strings as one varint v: 0 empty, odd the table's string v >> 1, even
// v >> 1 bytes that follow. Endpoints as family, 4 or 16 bytes, port.
constexpr std::uint8_t kVersion = 1;

constexpr std::size_t kMaxVarint = 10;

// An event is packed in two passes of writeEvent below. The first, Bound,
// adds up the most each field can take, so that the buffer's room is
// checked once an event, not once a field; the second, Writer, writes.
// Both run the same code, so no field can be written without being counted.
class Bound {
 public:
  std::size_t bytes() const { return n_; }
  void u(std::uint64_t) { n_ += kMaxVarint; }
  void i(std::int64_t) { n_ += kMaxVarint; }
  void f(double) { n_ += kMaxVarint + sizeof(double); }
  void inlineText(std::string_view s) { n_ += kMaxVarint + s.size(); }
  void shared(std::string_view s) { n_ += kMaxVarint + s.size(); }  // inline when the table is full
  void endpoint(const core::Endpoint&) { n_ += 1 + 16 + kMaxVarint; }

 private:
  std::size_t n_ = 0;
};

// Writes into room the Bound found, through a cursor of its own whose
// address never escapes: the compiler keeps it in a register. (A cursor
// that may be seen from elsewhere is stored and loaded again around every
// byte written, since a char store may alias it.) So what is rare is done
// by free functions given values, never the writer itself.
class Writer {
 public:
  Writer(char* at, StringTable& strings) : at_(at), strings_(strings) {}
  char* at() const { return at_; }

  // An event is about a hundred fields, most of them one byte or an empty
  // string: the writers are inlined, and only what is rare is called.
  [[gnu::always_inline]] void u(std::uint64_t v) {
    if (v < 0x80) [[likely]] {
      *at_++ = static_cast<char>(v);
      return;
    }
    at_ = longVarint(at_, v);
  }
  [[gnu::always_inline]] void i(std::int64_t v) {
    u((static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
  }
  // A whole number below 2^53 (most figures) as a varint, 2n + 1; any
  // other as 0 and its eight bytes.
  [[gnu::always_inline]] void f(double v) {
    if (v >= 0 && v < 9007199254740992.0 && v == std::floor(v)) return u((static_cast<std::uint64_t>(v) << 1) | 1);
    u(0);
    std::memcpy(at_, &v, sizeof v);
    at_ += sizeof v;
  }
  [[gnu::always_inline]] void inlineText(std::string_view s) {
    u(static_cast<std::uint64_t>(s.size()) << 1);
    if (!s.empty()) std::memcpy(at_, s.data(), s.size());
    at_ += s.size();
  }
  [[gnu::always_inline]] void shared(std::string_view s) {
    if (s.empty()) return u(0);
    std::uint32_t id = strings_.recentId(s);
    if (id == 0) [[unlikely]]
      id = intern(strings_, s);
    if (id != 0) [[likely]]
      return u((static_cast<std::uint64_t>(id) << 1) | 1);
    inlineText(s);
  }
  [[gnu::always_inline]] void endpoint(const core::Endpoint& ep) {
    auto family = ep.address.family();
    *at_++ = static_cast<char>(family);
    const auto* bytes = ep.address.bytes().data();
    if (family == core::IpAddress::Family::kV4) {
      std::memcpy(at_, bytes, 4);
      at_ += 4;
    }
    if (family == core::IpAddress::Family::kV6) {
      std::memcpy(at_, bytes, 16);
      at_ += 16;
    }
    u(ep.port);
  }

 private:
  [[gnu::noinline]] static char* longVarint(char* at, std::uint64_t v) {
    while (v >= 0x80) {
      *at++ = static_cast<char>(v | 0x80);
      v >>= 7;
    }
    *at++ = static_cast<char>(v);
    return at;
  }
  [[gnu::noinline]] static std::uint32_t intern(StringTable& strings, std::string_view s) { return strings.intern(s); }

  char* at_;
  StringTable& strings_;
};

class Reader {
 public:
  Reader(std::string_view in, const StringTable& strings) : in_(in), strings_(strings) {}

  bool ok() const { return ok_; }
  std::uint64_t u() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) return fail();
      auto b = static_cast<std::uint8_t>(in_[pos_++]);
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    return fail();
  }
  std::int64_t i() {
    std::uint64_t v = u();
    return static_cast<std::int64_t>((v >> 1) ^ (~(v & 1) + 1));
  }
  double f() {
    if (std::uint64_t tag = u(); tag != 0) return static_cast<double>(tag >> 1);
    double v = 0;
    if (sizeof v > in_.size() - pos_) {
      fail();
      return v;
    }
    std::memcpy(&v, in_.data() + pos_, sizeof v);
    pos_ += sizeof v;
    return v;
  }
  template <typename T>
  T as() {
    return static_cast<T>(u());
  }
  // A string where it lies: in the table or in the packed bytes.
  std::string_view view() {
    std::uint64_t v = u();
    if (v & 1) {
      std::uint64_t id = v >> 1;
      if (id == 0 || id > strings_.size()) {
        fail();
        return {};
      }
      return strings_.at(static_cast<std::uint32_t>(id));
    }
    std::uint64_t n = v >> 1;
    if (n > in_.size() - pos_) {
      fail();
      return {};
    }
    std::string_view out = in_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  void text(std::string& out) { out.assign(view()); }
  void endpoint(core::Endpoint& ep) {
    if (pos_ >= in_.size()) return void(fail());
    auto family = static_cast<core::IpAddress::Family>(in_[pos_++]);
    std::uint8_t bytes[16] = {};
    std::size_t n = family == core::IpAddress::Family::kV4 ? 4 : family == core::IpAddress::Family::kV6 ? 16 : 0;
    if (n > in_.size() - pos_) return void(fail());
    std::memcpy(bytes, in_.data() + pos_, n);
    pos_ += n;
    ep.address = n == 4 ? core::IpAddress::v4(bytes) : n == 16 ? core::IpAddress::v6(bytes) : core::IpAddress();
    ep.port = as<std::uint16_t>();
  }
  bool atEnd() const { return pos_ == in_.size(); }

 private:
  std::uint64_t fail() {
    ok_ = false;
    pos_ = in_.size();
    return 0;
  }
  std::string_view in_;
  const StringTable& strings_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

std::int64_t nanos(core::Timestamp t) { return t.time_since_epoch().count(); }

// Where the tail this reason shares with the one before begins: at a space,
// so that tails repeat (" (A) to 192.0.2.53:53 left via eth0, outside ...")
// rather than start anywhere inside a name. npos when too short to share.
std::size_t sharedTail(std::string_view reason, std::string_view previous) {
  // From the end, 32 bytes at a time while they match (tails run to a few
  // hundred), then eight, then byte by byte.
  const std::size_t most = std::min(reason.size(), previous.size());
  const char* a = reason.data() + reason.size();
  const char* b = previous.data() + previous.size();
  std::size_t n = 0;
  while (n + 32 <= most && std::memcmp(a - n - 32, b - n - 32, 32) == 0) n += 32;
  while (n + 8 <= most && std::memcmp(a - n - 8, b - n - 8, 8) == 0) n += 8;
  while (n < most && a[-1 - static_cast<std::ptrdiff_t>(n)] == b[-1 - static_cast<std::ptrdiff_t>(n)]) ++n;
  if (n < 24) return std::string_view::npos;
  std::size_t start = reason.find(' ', reason.size() - n);
  if (start == std::string_view::npos || reason.size() - start < 24) return std::string_view::npos;
  return start;
}

// The reason as: what comes before the question's name (shared: "plaintext
// DNS query for "), the rest of its own, and the tail it shares with the
// reason before it (shared).
struct ReasonParts {
  bool has_name = false;
  std::string_view before_name;  // when has_name
  std::string_view own;          // after the name when has_name
  std::string_view tail;
};

ReasonParts splitReason(const core::Event& e, std::string_view previous_reason) {
  ReasonParts parts;
  std::string_view reason = e.reason;
  std::size_t tail = sharedTail(reason, previous_reason);
  std::string_view own = tail == std::string_view::npos ? reason : reason.substr(0, tail);
  if (tail != std::string_view::npos) parts.tail = reason.substr(tail);
  std::size_t name = e.dns.qname.empty() ? std::string_view::npos : own.find(e.dns.qname);
  if (name == std::string_view::npos) {
    parts.own = own;
  } else {
    parts.has_name = true;
    parts.before_name = own.substr(0, name);
    parts.own = own.substr(name + e.dns.qname.size());
  }
  return parts;
}

// Every field but the head's, in order, to a Bound or a Writer. Inlined
// into each, so that the Writer stays in registers.
template <typename Out>
[[gnu::always_inline]] inline void writeEvent(Out& w, const core::Event& e, const ReasonParts& reason,
                                              const core::AttributionInfo& attribution) {
  w.u(kVersion);
  w.i(nanos(e.time));
  w.i(nanos(e.first_seen) - nanos(e.time));
  w.u(static_cast<std::uint8_t>(e.transport));
  w.u(static_cast<std::uint8_t>(e.kind));
  w.u(static_cast<std::uint8_t>(e.recognition));
  w.u(static_cast<std::uint8_t>(e.recognition_confidence));
  w.u(static_cast<std::uint8_t>(e.leak_type));
  w.shared(e.profile);
  w.shared(e.rule);
  w.u(reason.has_name ? 1 : 0);
  if (reason.has_name) w.shared(reason.before_name);
  w.inlineText(reason.own);
  w.shared(reason.tail);
  w.shared(e.remediation);

  const auto& d = e.dns;
  w.u(d.id);
  w.u(d.opcode);
  w.u(d.rcode);
  w.inlineText(d.qname);
  w.u(d.qtype);
  w.u(d.qclass);
  w.u(d.question_count);
  w.u(d.answer_count);
  w.u(d.authority_count);
  w.u(d.additional_count);
  w.u(static_cast<unsigned>(d.is_response) | static_cast<unsigned>(d.truncated) << 1 |
      static_cast<unsigned>(d.recursion_desired) << 2 | static_cast<unsigned>(d.recursion_available) << 3 |
      static_cast<unsigned>(d.authentic_data) << 4 | static_cast<unsigned>(d.checking_disabled) << 5 |
      static_cast<unsigned>(d.authoritative) << 6 | static_cast<unsigned>(d.has_edns) << 7 |
      static_cast<unsigned>(d.edns_dnssec_ok) << 8 | static_cast<unsigned>(e.exchange.tracked) << 9 |
      static_cast<unsigned>(e.exchange.answered) << 10);
  w.u(d.answers.size());
  for (const auto& a : d.answers) {
    // Most answers are for the question's own name: a one-byte mark.
    if (a.name == d.qname) {
      w.u(1);
    } else {
      w.u(0);
      w.inlineText(a.name);
    }
    w.u(a.type);
    w.u(a.ttl);
    w.inlineText(a.data);
  }
  w.u(d.edns_udp_size);
  w.u(d.edns_version);
  w.u(d.edns_options.size());
  for (auto code : d.edns_options) w.u(code);
  w.u(d.size);
  w.shared(d.parse_error);
  w.i(e.exchange.response_time.count());
  w.u(e.exchange.response_size);

  w.shared(e.sni);
  w.u(e.alpn.size());
  for (const auto& a : e.alpn) w.shared(a);
  w.endpoint(e.source);
  w.endpoint(e.destination);
  w.endpoint(e.resolver);
  w.u(e.ip_version);
  w.u(e.ip_protocol);
  w.u(e.interface.index);
  w.shared(e.interface.name);
  w.shared(e.interface.kind);
  w.u(static_cast<std::uint8_t>(e.direction));
  w.shared(e.tunnel);

  const auto& p = e.process;
  w.u(p.pid);
  w.u(p.tgid);
  w.shared(p.name);
  w.shared(p.exe);
  w.shared(p.cmdline);
  w.u(p.uid);
  w.shared(p.user);
  w.shared(p.unit);
  w.shared(p.cgroup);
  w.shared(p.container_id);
  w.u(p.parents.size());
  for (const auto& parent : p.parents) {
    w.u(parent.pid);
    w.shared(parent.name);
  }
  w.shared(attribution.method);
  w.u(static_cast<std::uint8_t>(attribution.confidence));
  w.u(static_cast<std::uint8_t>(attribution.failure));
  w.shared(attribution.detail);
  w.shared(e.geo.country);
  w.shared(e.geo.city);
  w.u(e.geo.asn);
  w.shared(e.geo.as_org);
  w.u(e.signals.size());
  for (const auto& s : e.signals) w.shared(s);
  w.u(e.evidence.size());
  for (const auto& x : e.evidence) {
    w.shared(x.name);
    w.f(x.value);
    w.shared(x.text);
  }
}

}  // namespace

std::string_view pack(const core::Event& e, StringTable& strings, std::string_view previous_reason, PackedEvent& out,
                      const core::AttributionInfo* unattributed) {
  out.seq = e.seq;
  out.count = e.count;
  out.last_seen = e.last_seen;
  out.verdict = e.verdict;
  const ReasonParts reason = splitReason(e, previous_reason);
  const core::AttributionInfo& attribution =
      unattributed && e.attribution.failure == core::AttributionFailure::kUnspecified ? *unattributed : e.attribution;
  Bound bound;
  writeEvent(bound, e, reason, attribution);
  // Written into a buffer that stays warm, grown once to the bound; the
  // caller copies it once.
  thread_local core::ScratchBytes scratch;
  const core::ScratchCursor room(scratch, bound.bytes());
  Writer w(room.at, strings);
  writeEvent(w, e, reason, attribution);
  return {room.at, static_cast<std::size_t>(w.at() - room.at)};
}

bool unpack(const PackedEvent& packed, const StringTable& strings, core::Event& e) {
  Reader r(packed.bytes, strings);
  if (r.u() != kVersion) return false;
  e.seq = packed.seq;
  e.count = packed.count;
  e.last_seen = packed.last_seen;
  e.verdict = packed.verdict;
  std::int64_t time = r.i();
  e.time = core::Timestamp(std::chrono::nanoseconds(time));
  e.first_seen = core::Timestamp(std::chrono::nanoseconds(time + r.i()));
  e.transport = r.as<core::Transport>();
  e.kind = r.as<core::MessageKind>();
  e.recognition = r.as<core::RecognitionMethod>();
  e.recognition_confidence = r.as<core::Confidence>();
  e.leak_type = r.as<core::LeakType>();
  r.text(e.profile);
  r.text(e.rule);
  // The reason's parts, put together once the name is read.
  const bool has_name = r.u() == 1;
  const std::string_view before_name = has_name ? r.view() : std::string_view();
  const std::string_view own = r.view();
  const std::string_view tail = r.view();
  r.text(e.remediation);

  auto& d = e.dns;
  d.id = r.as<std::uint16_t>();
  d.opcode = r.as<std::uint8_t>();
  d.rcode = r.as<std::uint16_t>();
  r.text(d.qname);
  e.reason.clear();
  if (has_name) {
    e.reason += before_name;
    e.reason += d.qname;
  }
  e.reason += own;
  e.reason += tail;
  d.qtype = r.as<std::uint16_t>();
  d.qclass = r.as<std::uint16_t>();
  d.question_count = r.as<std::uint16_t>();
  d.answer_count = r.as<std::uint16_t>();
  d.authority_count = r.as<std::uint16_t>();
  d.additional_count = r.as<std::uint16_t>();
  std::uint64_t flags = r.u();
  d.is_response = flags & 1;
  d.truncated = flags & 2;
  d.recursion_desired = flags & 4;
  d.recursion_available = flags & 8;
  d.authentic_data = flags & 16;
  d.checking_disabled = flags & 32;
  d.authoritative = flags & 64;
  d.has_edns = flags & 128;
  d.edns_dnssec_ok = flags & 256;
  e.exchange.tracked = flags & 512;
  e.exchange.answered = flags & 1024;
  std::uint64_t answers = r.u();
  d.answers.clear();
  for (std::uint64_t k = 0; k < answers && r.ok(); ++k) {
    auto& a = d.answers.emplace_back();
    if (r.u() == 1) {
      a.name = d.qname;
    } else {
      r.text(a.name);
    }
    a.type = r.as<std::uint16_t>();
    a.ttl = r.as<std::uint32_t>();
    r.text(a.data);
  }
  d.edns_udp_size = r.as<std::uint16_t>();
  d.edns_version = r.as<std::uint8_t>();
  std::uint64_t options = r.u();
  d.edns_options.clear();
  for (std::uint64_t k = 0; k < options && r.ok(); ++k) d.edns_options.push_back(r.as<std::uint16_t>());
  d.size = r.as<std::uint32_t>();
  r.text(d.parse_error);
  e.exchange.response_time = std::chrono::nanoseconds(r.i());
  e.exchange.response_size = r.as<std::uint32_t>();

  r.text(e.sni);
  std::uint64_t alpn = r.u();
  e.alpn.clear();
  for (std::uint64_t k = 0; k < alpn && r.ok(); ++k) r.text(e.alpn.emplace_back());
  r.endpoint(e.source);
  r.endpoint(e.destination);
  r.endpoint(e.resolver);
  e.ip_version = r.as<std::uint8_t>();
  e.ip_protocol = r.as<std::uint8_t>();
  e.interface.index = r.as<std::uint32_t>();
  r.text(e.interface.name);
  r.text(e.interface.kind);
  e.direction = r.as<core::Direction>();
  r.text(e.tunnel);

  auto& p = e.process;
  p.pid = r.as<std::uint32_t>();
  p.tgid = r.as<std::uint32_t>();
  r.text(p.name);
  r.text(p.exe);
  r.text(p.cmdline);
  p.uid = r.as<std::uint32_t>();
  r.text(p.user);
  r.text(p.unit);
  r.text(p.cgroup);
  r.text(p.container_id);
  std::uint64_t parents = r.u();
  p.parents.clear();
  for (std::uint64_t k = 0; k < parents && r.ok(); ++k) {
    auto& parent = p.parents.emplace_back();
    parent.pid = r.as<std::uint32_t>();
    r.text(parent.name);
  }
  r.text(e.attribution.method);
  e.attribution.confidence = r.as<core::Confidence>();
  e.attribution.failure = r.as<core::AttributionFailure>();
  r.text(e.attribution.detail);
  r.text(e.geo.country);
  r.text(e.geo.city);
  e.geo.asn = r.as<std::uint32_t>();
  r.text(e.geo.as_org);
  std::uint64_t signals = r.u();
  e.signals.clear();
  for (std::uint64_t k = 0; k < signals && r.ok(); ++k) r.text(e.signals.emplace_back());
  std::uint64_t evidence = r.u();
  e.evidence.clear();
  for (std::uint64_t k = 0; k < evidence && r.ok(); ++k) {
    auto& x = e.evidence.emplace_back();
    r.text(x.name);
    x.value = r.f();
    r.text(x.text);
  }
  return r.ok() && r.atEnd();
}

std::size_t packedSize(const PackedEvent& packed) {
  return sizeof(PackedEvent) + packed.bytes.size();
}

}  // namespace dnsleak::store
