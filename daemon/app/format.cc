#include "app/format.h"

#include <netinet/in.h>

#include <ctime>

namespace dnsleak::app {
namespace {

std::string endpoint(const core::Endpoint& ep) {
  if (ep.address.isV6()) return "[" + ep.address.toString() + "]:" + std::to_string(ep.port);
  return ep.address.toString() + ":" + std::to_string(ep.port);
}

void pad(std::string& out, std::string_view text, std::size_t width) {
  out += text;
  out.append(text.size() < width ? width - text.size() : 1, ' ');
}

std::string_view kindName(core::MessageKind kind) {
  switch (kind) {
    case core::MessageKind::kQuery: return "query";
    case core::MessageKind::kResponse: return "response";
    case core::MessageKind::kHandshake: return "handshake";
    case core::MessageKind::kConnection: return "connection";
    case core::MessageKind::kFinding: return "finding";
    case core::MessageKind::kUnspecified: break;
  }
  return "?";
}

}  // namespace

std::string formatResponseTime(std::chrono::nanoseconds t) {
  const double ms = std::chrono::duration<double, std::milli>(t).count();
  char buf[32];
  std::snprintf(buf, sizeof buf, ms < 10 ? "%.1fms" : "%.0fms", ms);
  return buf;
}

std::string formatTime(core::Timestamp t) {
  auto ns = t.time_since_epoch().count();
  std::time_t seconds = static_cast<std::time_t>(ns / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[64];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%06lldZ", static_cast<long long>((ns % 1'000'000'000) / 1000));
  return buf;
}

std::string formatEventLine(const core::Event& e) {
  std::string out;
  pad(out, formatTime(e.time), 28);
  std::string verdict(core::verdictName(e.verdict));
  if (e.verdict == core::Verdict::kLeak) verdict = "LEAK " + std::string(core::leakTypeName(e.leak_type));
  pad(out, verdict, 12);
  // A Leak-D connection is no DNS transport: its IP protocol says what it was.
  if (e.transport == core::Transport::kUnspecified) {
    pad(out, e.ip_protocol == 6 ? "tcp" : e.ip_protocol == 17 ? "udp" : "-", 9);
  } else {
    pad(out, core::transportName(e.transport), 9);
  }
  pad(out, kindName(e.kind), 11);
  std::string what;
  if (e.kind == core::MessageKind::kQuery || e.kind == core::MessageKind::kResponse) {
    auto type = core::qtypeName(e.dns.qtype, e.transport);
    what = e.dns.qname + " " + (type.empty() ? "TYPE" + std::to_string(e.dns.qtype) : std::string(type));
    if (e.kind == core::MessageKind::kResponse || e.exchange.answered) {
      auto rcode = core::rcodeName(e.dns.rcode);
      what += " " + (rcode.empty() ? "RCODE" + std::to_string(e.dns.rcode) : std::string(rcode));
    }
    if (e.exchange.answered) {
      what += " " + formatResponseTime(e.exchange.response_time);
    } else if (e.exchange.tracked) {
      what += " unanswered";
    }
  } else if (e.kind == core::MessageKind::kFinding) {
    what = (e.dns.qname.empty() ? std::string("(a domain)") : e.dns.qname) + " carries data";
  } else {
    what = e.transport == core::Transport::kDnsCrypt ? "(encrypted exchange)"
           : !e.sni.empty()                          ? "sni " + e.sni
           : !e.dns.qname.empty()                    ? "name " + e.dns.qname  // Leak-D: the name the address answered
                                                     : "(no server name)";
    for (std::size_t i = 0; i < e.alpn.size(); ++i) what += (i == 0 ? " alpn " : ",") + e.alpn[i];
  }
  pad(out, what, 36);
  pad(out, endpoint(e.source) + " -> " + endpoint(e.destination), 48);
  out += e.interface.name.empty() ? (e.interface.index ? "#" + std::to_string(e.interface.index) : "-")
                                  : e.interface.name;
  return out;
}

}  // namespace dnsleak::app
