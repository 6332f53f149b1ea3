#include "api/event_json.h"

#include <array>
#include <charconv>
#include <cstdint>
#include <ctime>

#include "api/convert.h"
#include "core/ip_address.h"

#include "dnsleak/v1/dnsleak.pb.h"

namespace dnsleak::api {
namespace {

// The writer for one event: `key` starts each member with its separator.
class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  void open() {
    out_ += '{';
    first_ = true;
  }
  void close() {
    out_ += '}';
    first_ = false;
  }
  // Starts a member named `name` (already camelCase).
  void key(std::string_view name) {
    if (!first_) out_ += ',';
    first_ = false;
    out_ += '"';
    out_ += name;
    out_ += "\":";
  }
  void member(std::string_view name, std::string_view text) {
    key(name);
    appendJsonString(text, out_);
  }
  void member(std::string_view name, std::uint32_t number) {
    key(name);
    appendNumber(number);
  }
  void member64(std::string_view name, std::uint64_t number) {  // as a string, as the mapping says
    key(name);
    out_ += '"';
    appendNumber(number);
    out_ += '"';
  }
  void flag(std::string_view name, bool value) {
    key(name);
    out_ += value ? "true" : "false";
  }
  void enumName(std::string_view name, const std::string& value_name) {
    key(name);
    out_ += '"';
    out_ += value_name;
    out_ += '"';
  }
  // A nested message: `key` then open; members; close.
  void object(std::string_view name) {
    key(name);
    open();
  }
  void array(std::string_view name) {
    key(name);
    out_ += '[';
    first_ = true;
  }
  void endArray() {
    out_ += ']';
    first_ = false;
  }
  void element() {  // before each element of an array
    if (!first_) out_ += ',';
    first_ = false;
  }

  void appendNumber(std::uint64_t n) {
    char buffer[24];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, n);
    out_.append(buffer, end);
  }

  // protobuf's form: whole seconds, or 3, 6 or 9 digits of fraction.
  void appendFraction(std::int64_t nanos) {
    if (nanos == 0) return;
    char digits[10];
    int width = 9;
    if (nanos % 1'000'000 == 0) {
      nanos /= 1'000'000;
      width = 3;
    } else if (nanos % 1000 == 0) {
      nanos /= 1000;
      width = 6;
    }
    for (int i = width - 1; i >= 0; --i) {
      digits[i] = static_cast<char>('0' + nanos % 10);
      nanos /= 10;
    }
    out_ += '.';
    out_.append(digits, width);
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
    // An event's three times are mostly in one second: formatted once.
    thread_local std::int64_t cached_seconds = -1;
    thread_local char cached[32];
    thread_local std::size_t cached_length = 0;
    if (seconds != cached_seconds) {
      std::time_t s = static_cast<std::time_t>(seconds);
      std::tm tm{};
      gmtime_r(&s, &tm);
      cached_length = std::strftime(cached, sizeof cached, "%Y-%m-%dT%H:%M:%S", &tm);
      cached_seconds = seconds;
    }
    out_ += '"';
    out_.append(cached, cached_length);
    appendFraction(nanos);
    out_ += "Z\"";
  }

  void duration(std::string_view name, std::chrono::nanoseconds d) {
    key(name);
    std::int64_t ns = d.count();
    out_ += '"';
    if (ns < 0) {
      out_ += '-';
      ns = -ns;
    }
    appendNumber(static_cast<std::uint64_t>(ns / 1'000'000'000));
    appendFraction(ns % 1'000'000'000);
    out_ += "s\"";
  }

  void endpoint(std::string_view name, const core::Endpoint& ep) {
    object(name);
    // An address's text needs no escape: written straight in.
    key("address");
    char text[core::kMaxAddressText];
    const std::size_t length = ep.address.isV4()   ? core::formatIpv4(ep.address.bytes().data(), text)
                               : ep.address.isV6() ? core::formatIpv6(ep.address.bytes().data(), text)
                                                   : 0;
    out_ += '"';
    out_.append(text, length);
    out_ += '"';
    member("port", ep.port);
    close();
  }

  void strings(std::string_view name, const std::vector<std::string>& values) {
    array(name);
    for (const auto& v : values) {
      element();
      appendJsonString(v, out_);
    }
    endArray();
  }

 private:
  std::string& out_;
  bool first_ = true;
};

// Reads the UTF-8 sequence at text[i] as protobuf 3.21's JSON printer does:
// a lead byte claims its length (2 to 4) and those bytes (or the rest of the
// text, when shorter) are taken together; the code point is -1 when they
// are not a sequence (a lone continuation byte or one past 0xf7, a byte
// that does not continue, too few bytes, a surrogate, past U+10FFFF).
// Overlong forms are decoded, not refused, as protobuf decodes them.
struct CodePoint {
  std::int32_t value;
  std::size_t length;
};
CodePoint readUtf8(std::string_view text, std::size_t i) {
  auto c = static_cast<unsigned char>(text[i]);
  std::size_t length;
  std::int32_t value;
  if (c >= 0xc0 && c <= 0xdf) {
    length = 2;
    value = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    length = 3;
    value = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf7) {
    length = 4;
    value = c & 0x07;
  } else {
    return {-1, 1};
  }
  if (i + length > text.size()) return {-1, text.size() - i};
  bool valid = true;
  for (std::size_t k = 1; k < length; ++k) {
    auto next = static_cast<unsigned char>(text[i + k]);
    if ((next & 0xc0) != 0x80) valid = false;
    value = (value << 6) | (next & 0x3f);
  }
  if (!valid || (value >= 0xd800 && value <= 0xdfff) || value > 0x10ffff) return {-1, length};
  return {value, length};
}

// Bytes copied as they are: printable ASCII but the quote, the backslash and
// the angle brackets.
constexpr auto kPlain = [] {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c < 0x7f; ++c) plain[c] = c != '"' && c != '\\' && c != '<' && c != '>';
  return plain;
}();

// One character below 0x80, escaped where protobuf escapes it.
void appendEscaped(unsigned char c, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\b': out += "\\b"; break;
    case '\f': out += "\\f"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    default:
      if (c >= 0x20 && c < 0x7f && c != '<' && c != '>') {
        out += static_cast<char>(c);
      } else {
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
      }
  }
}

}  // namespace

void appendJsonString(std::string_view text, std::string& out) {
  out += '"';
  std::size_t i = 0;
  while (i < text.size()) {
    // Printable ASCII that needs no escape goes in whole runs.
    std::size_t run = i;
    while (run < text.size() && kPlain[static_cast<unsigned char>(text[run])]) ++run;
    out.append(text.data() + i, run - i);
    i = run;
    if (i == text.size()) break;
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      // A sequence passes as its bytes, unless its code point is one that
      // is escaped; what is not a sequence is left out (as protobuf does).
      auto [value, length] = readUtf8(text, i);
      if (value == 0x2028 || value == 0x2029) {
        out += value == 0x2028 ? "\\u2028" : "\\u2029";
      } else if (value >= 0 && (value < 0x20 || value == 0x7f || value == '"' || value == '\\' || value == '<' ||
                                 value == '>')) {
        appendEscaped(static_cast<unsigned char>(value), out);
      } else if (value >= 0) {
        out.append(text.substr(i, length));
      }
      i += length;
      continue;
    }
    appendEscaped(c, out);
    ++i;
  }
  out += '"';
}

void appendEventJson(const core::Event& e, std::string& out) {
  Writer w(out);
  w.open();
  w.member64("seq", e.seq);
  w.member64("count", e.count);
  w.enumName("transport", v1::Transport_Name(static_cast<v1::Transport>(e.transport)));
  w.enumName("kind", v1::MessageKind_Name(static_cast<v1::MessageKind>(e.kind)));
  w.object("recognition");
  w.enumName("method", v1::RecognitionMethod_Name(static_cast<v1::RecognitionMethod>(e.recognition)));
  w.enumName("confidence", v1::Confidence_Name(static_cast<v1::Confidence>(e.recognition_confidence)));
  w.close();
  w.enumName("verdict", v1::Verdict_Name(static_cast<v1::Verdict>(e.verdict)));
  w.enumName("leakType", v1::LeakType_Name(static_cast<v1::LeakType>(e.leak_type)));
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
  w.enumName("direction", v1::Direction_Name(static_cast<v1::Direction>(e.direction)));
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
  w.enumName("confidence", v1::Confidence_Name(static_cast<v1::Confidence>(e.attribution.confidence)));
  w.enumName("failure", v1::AttributionFailure_Name(static_cast<v1::AttributionFailure>(e.attribution.failure)));
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
  w.timestamp("time", e.time);
  w.timestamp("firstSeen", e.first_seen);
  w.timestamp("lastSeen", e.last_seen);
  w.close();
}

}  // namespace dnsleak::api
