#include "render.h"

#include <google/protobuf/util/json_util.h>

#include <ctime>

namespace dnsleak::client {
namespace {

void pad(std::string& out, const std::string& text, std::size_t width) {
  out += text;
  out.append(text.size() < width ? width - text.size() : 1, ' ');
}

std::string leakName(v1::LeakType t) {
  switch (t) {
    case v1::LEAK_TYPE_A: return "Leak-A";
    case v1::LEAK_TYPE_B: return "Leak-B";
    case v1::LEAK_TYPE_C: return "Leak-C";
    case v1::LEAK_TYPE_D: return "Leak-D";
    default: return "";
  }
}

std::string verdictName(v1::Verdict v, v1::LeakType t) {
  switch (v) {
    case v1::VERDICT_LEAK: return "LEAK " + leakName(t);
    case v1::VERDICT_OK: return "ok";
    case v1::VERDICT_INFO: return "info";
    default: return "?";
  }
}

std::string transportName(v1::Transport t) {
  std::string name = v1::Transport_Name(t);
  if (name.rfind("TRANSPORT_", 0) == 0) name = name.substr(10);
  for (auto& c : name) c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

std::string bytes(std::uint64_t n) {
  if (n >= 10 * 1024 * 1024) return std::to_string(n / (1024 * 1024)) + " MiB";
  if (n >= 10 * 1024) return std::to_string(n / 1024) + " KiB";
  return std::to_string(n) + " B";
}

// One row per capture source, each line starting with `indent`.
std::string renderCaptureTable(const google::protobuf::RepeatedPtrField<v1::CaptureInterfaceStatus>& capture,
                               const std::string& indent) {
  std::string out;
  pad(out, indent + "SOURCE", 26);
  pad(out, "STATE", 12);
  pad(out, "LINK", 14);
  pad(out, "PACKETS", 12);
  pad(out, "KERNEL DROPS", 14);
  out += "IF DROPS\n";
  for (const auto& c : capture) {
    pad(out, indent + c.name(), 26);
    pad(out, c.state(), 12);
    pad(out, c.link_type(), 14);
    pad(out, std::to_string(c.packets_received()), 12);
    pad(out, std::to_string(c.kernel_drops()), 14);
    out += std::to_string(c.interface_drops()) + "\n";
    if (!c.error().empty()) out += indent + "  error: " + c.error() + "\n";
  }
  return out;
}

}  // namespace

std::string formatTime(const google::protobuf::Timestamp& t) {
  std::time_t seconds = static_cast<std::time_t>(t.seconds());
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[64];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", t.nanos() / 1'000'000);
  return buf;
}

std::string formatDuration(const google::protobuf::Duration& d) {
  long long s = d.seconds();
  char buf[64];
  if (s >= 86400) {
    std::snprintf(buf, sizeof buf, "%lldd%02lldh%02lldm", s / 86400, (s % 86400) / 3600, (s % 3600) / 60);
  } else if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm%02llds", s / 3600, (s % 3600) / 60, s % 60);
  } else if (s >= 60) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%llds", s);
  }
  return buf;
}

std::string formatResponseTime(const google::protobuf::Duration& d) {
  const double ms = static_cast<double>(d.seconds()) * 1e3 + d.nanos() / 1e6;
  char buf[32];
  // Tenths of a millisecond say something below 10 ms (a LAN resolver, a cache hit).
  std::snprintf(buf, sizeof buf, ms < 10 ? "%.1fms" : "%.0fms", ms);
  return buf;
}

std::string formatEndpoint(const v1::Endpoint& ep) {
  if (ep.address().find(':') != std::string::npos) return "[" + ep.address() + "]:" + std::to_string(ep.port());
  return ep.address() + ":" + std::to_string(ep.port());
}

std::string renderOwner(const v1::Event& e) {
  const auto& p = e.process();
  const auto& a = e.attribution();
  std::string confidence = v1::Confidence_Name(a.confidence());
  if (confidence.rfind("CONFIDENCE_", 0) == 0) confidence = confidence.substr(11);
  for (auto& c : confidence) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (a.failure() != v1::ATTRIBUTION_FAILURE_NONE) {
    if (a.failure() == v1::ATTRIBUTION_FAILURE_UNSPECIFIED) return "";
    std::string why = v1::AttributionFailure_Name(a.failure());
    if (why.rfind("ATTRIBUTION_FAILURE_", 0) == 0) why = why.substr(20);
    for (auto& c : why) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return "process unknown: " + why + (p.pid() != 0 ? " (pid " + std::to_string(p.pid()) + ")" : "") +
           (a.detail().empty() ? "" : ": " + a.detail());
  }
  std::string out = (p.exe().empty() ? p.name() : p.exe()) + " (pid " + std::to_string(p.pid());
  if (!p.user().empty()) out += ", user " + p.user();
  else out += ", uid " + std::to_string(p.uid());
  if (!p.unit().empty()) out += ", unit " + p.unit();
  if (!p.container_id().empty()) out += ", container " + p.container_id().substr(0, 12);
  out += ")";
  for (int i = 0; i < p.parents_size() && i < 4; ++i) {
    out += (i == 0 ? ", child of " : " < ") + p.parents(i).name() + "[" + std::to_string(p.parents(i).pid()) + "]";
  }
  if (p.parents_size() > 4) out += " < ...";
  if (!p.cmdline().empty()) out += "\n    cmdline " + p.cmdline();
  out += "\n    found by " + a.method() + ", confidence " + confidence;
  return out;
}

std::string renderEvent(const v1::Event& e) {
  std::string out;
  pad(out, formatTime(e.time()), 25);
  pad(out, verdictName(e.verdict(), e.leak_type()), 12);
  pad(out, transportName(e.transport()), 9);
  std::string kind = v1::MessageKind_Name(e.kind());
  if (kind.rfind("MESSAGE_KIND_", 0) == 0) kind = kind.substr(13);
  for (auto& c : kind) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  pad(out, kind, 11);
  const auto& d = e.dns();
  std::string what;
  if (e.kind() == v1::MESSAGE_KIND_QUERY || e.kind() == v1::MESSAGE_KIND_RESPONSE) {
    what = d.qname() + " " + (d.qtype_name().empty() ? "TYPE" + std::to_string(d.qtype()) : d.qtype_name());
    const auto& x = e.exchange();
    if (d.is_response() || x.answered()) {
      what += " " + (d.rcode_name().empty() ? "RCODE" + std::to_string(d.rcode()) : d.rcode_name());
    }
    if (x.answered()) {
      what += " " + formatResponseTime(x.response_time());
    } else if (e.has_exchange()) {
      what += " unanswered";
    }
  } else {
    what = e.transport() == v1::TRANSPORT_DNSCRYPT ? "(encrypted exchange)"
           : e.sni().empty()                        ? "(no server name)"
                                                    : "sni " + e.sni();
    for (int i = 0; i < e.alpn_size(); ++i) what += (i == 0 ? " alpn " : ",") + e.alpn(i);
  }
  pad(out, what, 36);
  pad(out, formatEndpoint(e.source()) + " -> " + formatEndpoint(e.destination()), 48);
  out += !e.interface().name().empty() ? e.interface().name()
         : e.interface().index() ? "#" + std::to_string(e.interface().index())
                                 : "-";
  const auto& p = e.process();
  if (!p.name().empty() || p.pid() != 0) {
    out += "  " + (p.name().empty() ? std::string("?") : p.name()) + "[" + std::to_string(p.pid()) + "]";
  }
  if (e.verdict() == v1::VERDICT_LEAK) {
    out += "\n    " + e.reason();
    std::string owner = renderOwner(e);
    if (!owner.empty()) out += "\n    by " + owner;
    if (!e.remediation().empty()) out += "\n    fix: " + e.remediation();
  }
  return out;
}

std::string renderStatus(const v1::GetStatusResponse& s) {
  std::string out;
  out += "dnsleakd " + s.version() + " (pid " + std::to_string(s.pid()) + "), up " + formatDuration(s.uptime()) +
         " since " + formatTime(s.started_at()) + "\n";
  out += "profile    " + s.profile() + "\n";
  out += "config     " + s.config().path() + " (generation " + std::to_string(s.config().generation()) +
         ", sha256 " + s.config().sha256().substr(0, 12) + ", loaded " + formatTime(s.config().loaded_at()) + ")\n";
  out += "capture\n" + renderCaptureTable(s.capture(), "  ");
  out += "packets    " + std::to_string(s.packets()) + "\n";
  if (s.interfaces_size() > 0) {
    std::string table;
    pad(table, "  INTERFACE", 26);
    pad(table, "PACKETS", 12);
    pad(table, "DNS", 12);
    table += "LEAKS\n";
    for (const auto& i : s.interfaces()) {
      std::string name = !i.name().empty() ? i.name() : i.index() ? "#" + std::to_string(i.index()) : "(none)";
      pad(table, "  " + name, 26);
      pad(table, std::to_string(i.packets()), 12);
      pad(table, std::to_string(i.dns_messages()), 12);
      table += std::to_string(i.leaks()) + "\n";
    }
    out += table;
  }
  std::string transports;
  for (const auto& t : s.transports()) {
    if (t.count()) transports += (transports.empty() ? "" : ", ") + t.name() + " " + std::to_string(t.count());
  }
  out += "dns        " + std::to_string(s.dns_messages()) + (s.dns_messages() == 1 ? " message" : " messages") +
         (transports.empty() ? "" : " (" + transports + ")") + "\n";
  std::string exchanges;
  for (const auto& x : s.exchanges()) {
    if (x.count() == 0) continue;
    std::string name = x.name();
    for (auto& c : name) c = c == '_' ? ' ' : c;
    exchanges += (exchanges.empty() ? "" : ", ") + std::to_string(x.count()) + " " + name;
  }
  if (!exchanges.empty()) out += "exchanges  " + exchanges + "\n";
  out += "connects   " + std::to_string(s.connections()) + " put beside the answers seen (Leak-D)\n";
  const auto& at = s.attribution();
  if (!at.enabled()) {
    out += "owners     attribution off\n";
  } else {
    std::string methods, failures;
    for (const auto& m : at.methods()) {
      if (m.name() == "none") continue;
      char latency[64];
      std::snprintf(latency, sizeof latency, " (p50 %.0f us, p99 %.0f us)", m.latency_p50_us(), m.latency_p99_us());
      methods += (methods.empty() ? "" : ", ") + m.name() + " " + std::to_string(m.found()) + latency;
    }
    for (const auto& f : at.failures()) {
      if (f.count()) failures += (failures.empty() ? "" : ", ") + f.name() + " " + std::to_string(f.count());
    }
    out += "owners     found: " + (methods.empty() ? std::string("none") : methods) +
           "; not found: " + (failures.empty() ? std::string("none") : failures) + "; " +
           std::to_string(at.cache_hits()) + " from earlier packets of the flow, " + std::to_string(at.queued()) +
           " queued, " + std::to_string(at.overflow()) + " past a full queue\n";
    out += "ebpf       " + at.ebpf() + " (" + std::to_string(at.ebpf_flows()) + " flows reported, " +
           std::to_string(at.ebpf_lost()) + " lost)\n";
  }
  std::string leaks;
  for (const auto& l : s.leaks()) leaks += (leaks.empty() ? "" : ", ") + l.name() + " " + std::to_string(l.count());
  out += "leaks      " + leaks + "\n";
  std::string skipped;
  for (const auto& m : s.malformed()) {
    if (m.count()) skipped += (skipped.empty() ? "" : ", ") + m.name() + " " + std::to_string(m.count());
  }
  out += "skipped    " + (skipped.empty() ? std::string("none") : skipped) + "\n";
  const auto& st = s.store();
  out += "store      " + std::to_string(st.size()) + "/" + std::to_string(st.capacity()) + " events";
  if (st.size()) out += " (seq " + std::to_string(st.first_seq()) + ".." + std::to_string(st.last_seq()) + ")";
  out += ", " + std::to_string(st.folded()) + " folded into earlier events, " + std::to_string(st.evicted()) +
         " evicted, " + bytes(st.bytes()) + "\n";
  out += "watchers   " + std::to_string(s.watchers()) + "\n";
  return out;
}

std::string renderReport(const v1::GetReportResponse& r) {
  std::string group = v1::ReportGrouping_Name(r.group_by());
  if (group.rfind("REPORT_GROUPING_", 0) == 0) group = group.substr(16);
  for (auto& c : group) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string leaks;
  for (const auto& l : r.leaks()) leaks += (leaks.empty() ? "" : ", ") + l.name() + " " + std::to_string(l.count());
  std::string out = std::to_string(r.events()) + " stored events" +
                    (r.has_since() ? " since " + formatTime(r.since()) : std::string()) +
                    (r.has_until() ? " until " + formatTime(r.until()) : std::string()) + ", by " + group + " (" +
                    leaks + ")\n";
  if (r.incomplete()) {
    out += "note: the ring has evicted older events; this report covers seq " + std::to_string(r.first_stored_seq()) +
           " onwards\n";
  }
  if (r.rows().empty()) return out + "no leaks recorded\n";
  std::string header;
  pad(header, "COUNT", 8);
  pad(header, "VERDICT", 12);
  pad(header, "FIRST", 25);
  pad(header, "LAST", 25);
  header += "KEY\n";
  out += header;
  for (const auto& row : r.rows()) {
    std::string line;
    pad(line, std::to_string(row.count()), 8);
    pad(line, verdictName(row.verdict(), row.leak_type()), 12);
    pad(line, formatTime(row.first_seen()), 25);
    pad(line, formatTime(row.last_seen()), 25);
    line += row.key() + "\n";
    if (!row.example_reason().empty()) line += "        e.g. " + row.example_reason() + "\n";
    out += line;
  }
  return out;
}

std::string renderInterfaces(const v1::ListInterfacesResponse& interfaces) {
  std::string out = renderCaptureTable(interfaces.capture(), "");
  if (interfaces.interfaces_size() == 0) return out;
  out += "\n";
  pad(out, "INTERFACE", 18);
  pad(out, "INDEX", 7);
  pad(out, "KIND", 10);
  pad(out, "STATE", 16);
  pad(out, "CAPTURED", 10);
  pad(out, "SAFE", 6);
  pad(out, "LIBPCAP", 24);
  out += "ADDRESSES\n";
  for (const auto& i : interfaces.interfaces()) {
    pad(out, i.name(), 18);
    pad(out, std::to_string(i.index()), 7);
    pad(out, i.kind().empty() ? (i.loopback() ? "loopback" : "-") : i.kind(), 10);
    pad(out, i.state(), 16);
    pad(out, i.captured() ? "yes" : "no", 10);
    pad(out, i.safe() ? "yes" : "no", 6);
    pad(out, (i.capturable() ? "ok " : "NO: ") + i.capture_check(), 24);
    std::string addresses;
    for (const auto& a : i.addresses()) addresses += (addresses.empty() ? "" : " ") + a;
    out += (addresses.empty() ? "-" : addresses) + "\n";
  }
  return out;
}

std::string renderReload(const v1::ReloadConfigResponse& r) {
  std::string out;
  if (r.applied()) {
    out = "reloaded: config generation " + std::to_string(r.generation()) + " (sha256 " + r.sha256().substr(0, 12) + ")\n";
  } else {
    out = "reload refused; generation " + std::to_string(r.generation()) + " keeps running:\n";
  }
  for (const auto& e : r.errors()) {
    out += "  " + e.file();
    if (e.line()) out += ":" + std::to_string(e.line()) + ":" + std::to_string(e.column());
    out += ": " + (e.key().empty() ? "" : e.key() + ": ") + e.message() + "\n";
  }
  for (const auto& w : r.warnings()) out += "  warning: " + w + "\n";
  return out;
}

std::string toJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string out;
  if (!google::protobuf::util::MessageToJsonString(message, &out, options).ok()) return "{}";
  return out;
}

}  // namespace dnsleak::client
