#include "api/event_json.h"

#include <array>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
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

  // As protobuf prints a double: the shortest of %.15g that reads back the
  // same, else %.17g. Figures here are finite.
  void real(std::string_view name, double number) {
    key(name);
    char buf[32];
    int n = std::snprintf(buf, sizeof buf, "%.15g", number);
    if (std::strtod(buf, nullptr) != number) n = std::snprintf(buf, sizeof buf, "%.17g", number);
    out_.append(buf, static_cast<std::size_t>(n));
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

}  // namespace

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
}

}  // namespace dnsleak::api
