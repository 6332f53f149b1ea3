#include "api/event_json.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <limits>
#include <vector>

#include "api/convert.h"
#include "core/ip_address.h"
#include "core/scratch_cursor.h"

#include "dnsleak/v1/dnsleak.pb.h"

namespace dnsleak::api {
namespace {

// An enum's value names by number, read once from its descriptor: the
// generated _Name functions look the descriptor up on every call. A number
// the enum does not name is "".
class EnumNames {
 public:
  explicit EnumNames(const google::protobuf::EnumDescriptor* descriptor) {
    for (int i = 0; i < descriptor->value_count(); ++i) {
      const int number = descriptor->value(i)->number();
      if (number >= 0) names_.resize(std::max(names_.size(), static_cast<std::size_t>(number) + 1));
    }
    for (int i = descriptor->value_count() - 1; i >= 0; --i) {  // the first of aliases wins, as in _Name
      const auto* value = descriptor->value(i);
      if (value->number() >= 0) names_[static_cast<std::size_t>(value->number())] = value->name();
    }
  }
  std::string_view operator[](int number) const {
    return number >= 0 && static_cast<std::size_t>(number) < names_.size() ? names_[static_cast<std::size_t>(number)]
                                                                          : std::string_view();
  }

 private:
  std::vector<std::string_view> names_;  // views of the descriptor's strings, which live as long as the process
};

template <const google::protobuf::EnumDescriptor* (*Descriptor)(), typename Enum>
std::string_view enumText(Enum value) {
  static const EnumNames names(Descriptor());  // one table per enum
  return names[static_cast<int>(value)];
}

// The writer for one event: `key` starts each member with its separator.
// It writes through a cursor, made room for ahead of each member by the
// most that member can take, so no byte is checked against the capacity on
// its own.
class Writer {
 public:
  explicit Writer(core::ScratchBytes& scratch) : out_(scratch, kTypicalEvent) {}

  std::string_view written() const { return out_.written(); }
  void open() {
    put('{');
    first_ = true;
  }
  void close() {
    put('}');
    first_ = false;
  }
  // Starts a member named `name` (already camelCase). The members are
  // inlined where they are written, so that each name's length is a
  // constant and its copy a few moves.
  [[gnu::always_inline]] void key(std::string_view name) {
    room(name.size() + 4);
    if (!first_) *out_.at++ = ',';
    first_ = false;
    *out_.at++ = '"';
    std::memcpy(out_.at, name.data(), name.size());
    out_.at += name.size();
    *out_.at++ = '"';
    *out_.at++ = ':';
  }
  [[gnu::always_inline]] void member(std::string_view name, std::string_view text) {
    key(name);
    string(text);
  }
  [[gnu::always_inline]] void member(std::string_view name, std::uint32_t number) {
    key(name);
    appendNumber(number);
  }
  [[gnu::always_inline]] void member64(std::string_view name, std::uint64_t number) {  // as a string, as the mapping says
    key(name);
    room(kMaxNumber + 2);
    *out_.at++ = '"';
    number64(number);
    *out_.at++ = '"';
  }
  [[gnu::always_inline]] void flag(std::string_view name, bool value) {
    key(name);
    put(value ? std::string_view("true") : std::string_view("false"));
  }
  // By its name, or by its number when the enum has no name for it, as
  // protobuf prints an unknown value.
  template <const google::protobuf::EnumDescriptor* (*Descriptor)(), typename Enum>
  [[gnu::always_inline]] void enumMember(std::string_view name, Enum value) {
    const std::string_view text = enumText<Descriptor>(value);
    if (text.empty()) {
      member(name, static_cast<std::uint32_t>(value));
      return;
    }
    key(name);
    room(text.size() + 2);
    *out_.at++ = '"';
    std::memcpy(out_.at, text.data(), text.size());
    out_.at += text.size();
    *out_.at++ = '"';
  }
  // A nested message: `key` then open; members; close.
  [[gnu::always_inline]] void object(std::string_view name) {
    key(name);
    open();
  }
  [[gnu::always_inline]] void array(std::string_view name) {
    key(name);
    put('[');
    first_ = true;
  }
  void endArray() {
    put(']');
    first_ = false;
  }
  void element() {  // before each element of an array
    if (!first_) put(',');
    first_ = false;
  }

  void appendNumber(std::uint64_t n) {
    room(kMaxNumber);
    number64(n);
  }

  void string(std::string_view text) {
    room(maxJsonStringBytes(text.size()));
    out_.at = writeJsonString(text, out_.at);
  }

  // protobuf's form: whole seconds, or 3, 6 or 9 digits of fraction.
  void appendFraction(std::int64_t nanos) {
    if (nanos == 0) return;
    room(10);
    int width = 9;
    if (nanos % 1'000'000 == 0) {
      nanos /= 1'000'000;
      width = 3;
    } else if (nanos % 1000 == 0) {
      nanos /= 1000;
      width = 6;
    }
    *out_.at = '.';
    for (int i = width; i >= 1; --i) {
      out_.at[i] = static_cast<char>('0' + nanos % 10);
      nanos /= 10;
    }
    out_.at += width + 1;
  }

  void timestamp(std::string_view name, core::Timestamp t) {
    key(name);
    std::int64_t ns = t.time_since_epoch().count();
    std::int64_t seconds = ns / 1'000'000'000;
    std::int64_t nanos = ns % 1'000'000'000;
    if (nanos < 0) {
      nanos += 1'000'000'000;
      seconds -= 1;
    }
    // The date is formatted once a day; the time of day by hand.
    std::int64_t day = seconds / 86'400;
    std::int64_t of_day = seconds % 86'400;
    if (of_day < 0) {
      of_day += 86'400;
      day -= 1;
    }
    thread_local std::int64_t cached_day = std::numeric_limits<std::int64_t>::min();
    thread_local char date[32];
    thread_local std::size_t date_length = 0;
    if (day != cached_day) {
      std::time_t s = static_cast<std::time_t>(day * 86'400);
      std::tm tm{};
      gmtime_r(&s, &tm);
      date_length = std::strftime(date, sizeof date, "%Y-%m-%dT", &tm);
      cached_day = day;
    }
    room(date_length + 9);
    *out_.at++ = '"';
    std::memcpy(out_.at, date, date_length);
    out_.at += date_length;
    const auto two = [&](std::int64_t n) {
      out_.at[0] = static_cast<char>('0' + n / 10);
      out_.at[1] = static_cast<char>('0' + n % 10);
      out_.at += 2;
    };
    two(of_day / 3600);
    *out_.at++ = ':';
    two(of_day / 60 % 60);
    *out_.at++ = ':';
    two(of_day % 60);
    appendFraction(nanos);
    put("Z\"");
  }

  void duration(std::string_view name, std::chrono::nanoseconds d) {
    key(name);
    put('"');
    // The magnitude unsigned: the most negative count has no positive one.
    auto magnitude = static_cast<std::uint64_t>(d.count());
    if (d.count() < 0) {
      put('-');
      magnitude = 0 - magnitude;
    }
    appendNumber(magnitude / 1'000'000'000);
    appendFraction(static_cast<std::int64_t>(magnitude % 1'000'000'000));
    put("s\"");
  }

  void endpoint(std::string_view name, const core::Endpoint& ep) {
    object(name);
    // An address's text needs no escape: written straight in.
    key("address");
    room(core::kMaxAddressText + 2);
    *out_.at++ = '"';
    out_.at += ep.address.isV4()   ? core::formatIpv4(ep.address.bytes().data(), out_.at)
           : ep.address.isV6() ? core::formatIpv6(ep.address.bytes().data(), out_.at)
                               : 0;
    *out_.at++ = '"';
    member("port", ep.port);
    close();
  }

  // As protobuf prints a double: the shortest of %.15g that reads back the
  // same, else %.17g. Figures here are finite.
  void real(std::string_view name, double number) {
    key(name);
    char buf[32];
    int n = std::snprintf(buf, sizeof buf, "%.15g", number);
    if (std::strtod(buf, nullptr) != number) n = std::snprintf(buf, sizeof buf, "%.17g", number);
    put(std::string_view(buf, static_cast<std::size_t>(n)));
  }

  void strings(std::string_view name, const std::vector<std::string>& values) {
    array(name);
    for (const auto& v : values) {
      element();
      string(v);
    }
    endArray();
  }

 private:
  static constexpr std::size_t kTypicalEvent = 4096;
  static constexpr std::size_t kMaxNumber = 20;  // digits of 2^64 - 1

  void room(std::size_t n) { out_.room(n); }
  void put(char c) { out_.put(c); }
  void put(std::string_view text) { out_.put(text); }
  void number64(std::uint64_t n) {  // room already made
    out_.at = std::to_chars(out_.at, out_.at + kMaxNumber, n).ptr;
  }

  core::ScratchCursor out_;
  bool first_ = true;
};

}  // namespace

std::string_view eventJson(const core::Event& e) {
  thread_local core::ScratchBytes scratch;
  Writer w(scratch);
  w.open();
  w.member64("seq", e.seq);
  w.member64("count", e.count);
  w.enumMember<v1::Transport_descriptor>("transport", e.transport);
  w.enumMember<v1::MessageKind_descriptor>("kind", e.kind);
  w.object("recognition");
  w.enumMember<v1::RecognitionMethod_descriptor>("method", e.recognition);
  w.enumMember<v1::Confidence_descriptor>("confidence", e.recognition_confidence);
  w.close();
  w.enumMember<v1::Verdict_descriptor>("verdict", e.verdict);
  w.enumMember<v1::LeakType_descriptor>("leakType", e.leak_type);
  w.member("profile", e.profile);
  w.member("rule", e.rule);
  w.member("reason", e.reason);
  w.member("remediation", e.remediation);

  const auto& d = e.dns;
  w.object("dns");
  w.member("id", d.id);
  w.flag("isResponse", d.is_response);
  w.member("opcode", d.opcode);
  w.member("rcode", d.rcode);
  w.member("rcodeName", core::rcodeName(d.rcode));
  w.member("qname", d.qname);
  w.member("qtype", d.qtype);
  w.member("qtypeName", core::qtypeName(d.qtype, e.transport));
  w.member("qclass", d.qclass);
  w.member("questionCount", d.question_count);
  w.member("answerCount", d.answer_count);
  w.member("authorityCount", d.authority_count);
  w.member("additionalCount", d.additional_count);
  w.flag("truncated", d.truncated);
  w.flag("recursionDesired", d.recursion_desired);
  w.flag("recursionAvailable", d.recursion_available);
  w.flag("authenticData", d.authentic_data);
  w.flag("checkingDisabled", d.checking_disabled);
  w.flag("authoritative", d.authoritative);
  w.array("answers");
  for (const auto& a : d.answers) {
    w.element();
    w.open();
    w.member("name", a.name);
    w.member("type", a.type);
    w.member("typeName", core::qtypeName(a.type, e.transport));
    w.member("ttl", a.ttl);
    w.member("data", a.data);
    w.close();
  }
  w.endArray();
  if (d.has_edns) {
    w.object("edns");
    w.member("udpPayloadSize", d.edns_udp_size);
    w.member("version", d.edns_version);
    w.flag("dnssecOk", d.edns_dnssec_ok);
    w.array("optionCodes");
    for (auto code : d.edns_options) {
      w.element();
      w.appendNumber(code);
    }
    w.endArray();
    w.close();
  }
  w.member("size", d.size);
  w.member("parseError", d.parse_error);
  w.close();

  w.member("sni", e.sni);
  w.strings("alpn", e.alpn);
  w.endpoint("source", e.source);
  w.endpoint("destination", e.destination);
  w.endpoint("resolver", e.resolver);
  w.member("ipVersion", e.ip_version);
  w.member("ipProtocol", ipProtocolName(e.ip_protocol));
  w.object("interface");
  w.member("index", e.interface.index);
  w.member("name", e.interface.name);
  w.member("kind", e.interface.kind);
  w.close();
  w.enumMember<v1::Direction_descriptor>("direction", e.direction);
  w.member("tunnel", e.tunnel);

  const auto& p = e.process;
  w.object("process");
  w.member("pid", p.pid);
  w.member("tgid", p.tgid);
  w.member("name", p.name);
  w.member("exe", p.exe);
  w.member("cmdline", p.cmdline);
  w.member("uid", p.uid);
  w.member("user", p.user);
  w.member("unit", p.unit);
  w.member("cgroup", p.cgroup);
  w.array("parents");
  for (const auto& parent : p.parents) {
    w.element();
    w.open();
    w.member("pid", parent.pid);
    w.member("name", parent.name);
    w.close();
  }
  w.endArray();
  w.member("containerId", p.container_id);
  w.close();

  w.object("attribution");
  w.member("method", e.attribution.method);
  w.enumMember<v1::Confidence_descriptor>("confidence", e.attribution.confidence);
  w.enumMember<v1::AttributionFailure_descriptor>("failure", e.attribution.failure);
  w.member("detail", e.attribution.detail);
  w.close();
  if (!e.geo.country.empty() || e.geo.asn != 0) {
    w.object("geo");
    w.member("country", e.geo.country);
    w.member("asn", e.geo.asn);
    w.member("asOrg", e.geo.as_org);
    w.member("city", e.geo.city);
    w.close();
  }
  w.strings("signals", e.signals);
  if (e.exchange.tracked) {
    w.object("exchange");
    w.flag("answered", e.exchange.answered);
    w.member("responseSize", e.exchange.answered ? e.exchange.response_size : 0u);
    if (e.exchange.answered) w.duration("responseTime", e.exchange.response_time);
    w.close();
  }
  w.array("evidence");
  for (const auto& x : e.evidence) {
    w.element();
    w.open();
    w.member("name", x.name);
    w.real("value", x.value);
    w.member("text", x.text);
    w.close();
  }
  w.endArray();
  w.timestamp("time", e.time);
  w.timestamp("firstSeen", e.first_seen);
  w.timestamp("lastSeen", e.last_seen);
  w.close();
  return w.written();
}

void appendEventJson(const core::Event& event, std::string& out) { out.append(eventJson(event)); }

}  // namespace dnsleak::api
