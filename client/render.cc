#include "render.h"

#include "proto_json.h"


#include <algorithm>
#include <cstdio>
#include <ctime>
#include <sstream>

namespace dnsleak::client {

std::string terminalSafe(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  auto escape = [&](unsigned char u) {
    out += "\\x";
    out += kHex[u >> 4];
    out += kHex[u & 15];
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto u = static_cast<unsigned char>(text[i]);
    if (u < 0x20 || u == 0x7f) {
      escape(u);
    } else if (u == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
      // A C1 control (U+0080..U+009F) in UTF-8: CSI and OSC among them.
      escape(u);
      escape(static_cast<unsigned char>(text[++i]));
    } else {
      out += static_cast<char>(u);
    }
  }
  return out;
}
namespace {

void pad(std::string& out, const std::string& raw, std::size_t width) {
  const std::string text = terminalSafe(raw);
  out += text;
  out.append(text.size() < width ? width - text.size() : 1, ' ');
}

std::string leakName(v1::LeakType t) {
  switch (t) {
    case v1::LEAK_TYPE_A: return "Leak-A";
    case v1::LEAK_TYPE_B: return "Leak-B";
    case v1::LEAK_TYPE_C: return "Leak-C";
    case v1::LEAK_TYPE_D: return "Leak-D";
    case v1::LEAK_TYPE_TUNNEL: return "DNS-tunnel";
    default: return "";
  }
}

std::string verdictWord(v1::Verdict v) {
  return v == v1::VERDICT_LEAK ? "leak" : v == v1::VERDICT_OK ? "ok" : v == v1::VERDICT_INFO ? "info" : "?";
}

// "Leak-A" for a leak, else the verdict: the label of events and report rows.
std::string verdictName(v1::Verdict v, v1::LeakType t) { return v == v1::VERDICT_LEAK ? leakName(t) : verdictWord(v); }

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
    // Kernel drops are the buffer overrun: say what it holds, and the lever.
    if (c.kernel_drops() > 0 && !c.delivery().empty()) {
      std::string buffer = c.buffer_kib() > 0 ? " (" + std::to_string(c.buffer_kib()) + " KiB)" : "";
      out += indent + "  the kernel's buffer" + buffer + " overflowed: " + c.delivery() + " delivery, up to " +
             std::to_string(c.snaplen()) + " bytes kept of each packet; capture.buffer_kib makes it larger\n";
    }
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

namespace {

// The columns of watch's lines, shared by the header over them.
struct Column {
  const char* title;
  std::size_t width;
};
constexpr Column kTime{"TIME", 20}, kVerdict{"VERDICT", 8}, kTransport{"TRANSPORT", 10}, kProcess{"PROCESS", 18},
    kName{"NAME", 44}, kServer{"SERVER", 27};

// ANSI SGR sequences, only when the style asks for colour.
std::string paint(const Style& style, const char* sgr, const std::string& text) {
  return style.colour ? std::string("\x1b[") + sgr + "m" + text + "\x1b[0m" : text;
}

const char* verdictColour(const v1::Event& e) {
  switch (e.verdict()) {
    case v1::VERDICT_LEAK: return "1;31";  // bold red
    case v1::VERDICT_OK: return "32";      // green
    default: return "33";                  // yellow
  }
}

std::string qtypeOf(const v1::DnsMessage& d) {
  return d.qtype_name().empty() ? "TYPE" + std::to_string(d.qtype()) : d.qtype_name();
}

std::string rcodeOf(const v1::DnsMessage& d) {
  return d.rcode_name().empty() ? "RCODE" + std::to_string(d.rcode()) : d.rcode_name();
}

bool isMessage(const v1::Event& e) {
  return e.kind() == v1::MESSAGE_KIND_QUERY || e.kind() == v1::MESSAGE_KIND_RESPONSE;
}

// "192.0.2.1:53": the resolver, or where a connection went.
std::string serverOf(const v1::Event& e) {
  return formatEndpoint(e.resolver().port() != 0 ? e.resolver() : e.destination());
}

std::string processOf(const v1::Event& e) {
  const auto& p = e.process();
  if (p.name().empty() && p.pid() == 0) return "?";
  return (p.name().empty() ? std::string("?") : p.name()) + "[" + std::to_string(p.pid()) + "]";
}

std::string interfaceOf(const v1::Event& e) {
  return !e.interface().name().empty() ? e.interface().name()
         : e.interface().index()       ? "#" + std::to_string(e.interface().index())
                                       : "-";
}

// What the event is about, in a few words.
std::string subjectOf(const v1::Event& e) {
  const auto& d = e.dns();
  if (isMessage(e)) {
    std::string what = (d.qname().empty() ? std::string("(no name)") : d.qname()) + " " + qtypeOf(d);
    const auto& x = e.exchange();
    if (d.is_response() || x.answered()) what += " " + rcodeOf(d);
    if (x.answered()) {
      what += " " + formatResponseTime(x.response_time());
    } else if (e.has_exchange()) {
      what += " unanswered";
    } else if (e.kind() == v1::MESSAGE_KIND_RESPONSE && !e.signals().empty() && e.signals(0) == "announcement") {
      what += " announced";
    } else if (e.kind() == v1::MESSAGE_KIND_RESPONSE) {
      what += " (response)";
    }
    return what;
  }
  if (e.kind() == v1::MESSAGE_KIND_FINDING) {
    return (d.qname().empty() ? std::string("(a domain)") : d.qname()) + " carries data";
  }
  if (e.transport() == v1::TRANSPORT_DNSCRYPT && e.sni().empty()) return "(encrypted exchange)";
  // A Leak-D connection: the server name it sent, else the name its
  // address answered.
  std::string what = !e.sni().empty() ? e.sni() : !d.qname().empty() ? d.qname() : "(no server name)";
  for (int i = 0; i < e.alpn_size(); ++i) what += (i == 0 ? " alpn " : ",") + e.alpn(i);
  return what;
}

std::string transportOf(const v1::Event& e) {
  if (e.transport() != v1::TRANSPORT_UNSPECIFIED) return transportName(e.transport());
  return e.ip_protocol().empty() ? "-" : e.ip_protocol();  // a Leak-D connection
}

// "DoH", "DNS", ... as a person says it.
std::string transportWords(const v1::Event& e) {
  switch (e.transport()) {
    case v1::TRANSPORT_DNS_UDP:
    case v1::TRANSPORT_DNS_TCP: return "DNS";
    case v1::TRANSPORT_DNS_HTTP: return "DNS over HTTP";
    case v1::TRANSPORT_DOT: return "DoT";
    case v1::TRANSPORT_DOH: return "DoH";
    case v1::TRANSPORT_DOQ: return "DoQ";
    case v1::TRANSPORT_DNSCRYPT: return "DNSCrypt";
    case v1::TRANSPORT_MDNS: return "mDNS";
    case v1::TRANSPORT_LLMNR: return "LLMNR";
    case v1::TRANSPORT_NBNS: return "NetBIOS-NS";
    default: return "connection to";
  }
}

}  // namespace

std::string formatLocalTime(std::int64_t seconds, bool with_date) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, with_date ? "%Y-%m-%d %H:%M:%S" : "%H:%M", &tm);
  return buf;
}

std::string formatAge(std::int64_t seconds) {
  if (seconds < 0) seconds = 0;
  if (seconds < 60) return std::to_string(seconds) + " s";
  if (seconds < 3600) return std::to_string(seconds / 60) + " min";
  if (seconds < 2 * 86400) return std::to_string(seconds / 3600) + " h";
  return std::to_string(seconds / 86400) + " d";
}

std::string leakSummary(const v1::Event& e) {
  const auto& p = e.process();
  std::string who = !p.name().empty() ? p.name() : p.pid() != 0 ? "pid " + std::to_string(p.pid()) : "an unknown program";
  std::string name = isMessage(e) ? e.dns().qname() : !e.sni().empty() ? e.sni() : e.dns().qname();
  std::string what = transportWords(e) + " " + (name.empty() ? serverOf(e) : name + " (" + serverOf(e) + ")");
  return terminalSafe(who + " -> " + what + " via " + interfaceOf(e));
}

std::string renderEventHeader(const Style& style) {
  std::string out;
  for (const Column& c : {kTime, kVerdict, kTransport, kProcess, kName, kServer}) pad(out, c.title, c.width);
  out += "INTERFACE";
  return paint(style, "2", out);
}

std::string renderEvent(const v1::Event& e, const Style& style) {
  std::string out;
  pad(out, formatLocalTime(e.time().seconds(), true), kTime.width);
  std::string verdict = verdictName(e.verdict(), e.leak_type());
  std::string padded = verdict;
  padded.append(verdict.size() < kVerdict.width ? kVerdict.width - verdict.size() : 1, ' ');
  out += paint(style, verdictColour(e), padded);
  pad(out, transportOf(e), kTransport.width);
  pad(out, processOf(e), kProcess.width);
  std::string subject = subjectOf(e);
  if (e.count() > 1) subject += " x" + std::to_string(e.count());
  pad(out, subject, kName.width);
  pad(out, serverOf(e) + (e.geo().country().empty() ? "" : " " + e.geo().country()), kServer.width);
  out += terminalSafe(interfaceOf(e));
  if (style.verbose) {
    out += "\n    why: " + terminalSafe(e.reason());
    if (e.has_geo()) {
      const auto& g = e.geo();
      std::string where = g.country() + (g.city().empty() ? "" : " " + g.city());
      if (g.asn() != 0) where += (where.empty() ? "" : ", ") + std::string("AS") + std::to_string(g.asn()) + " " + g.as_org();
      out += "\n    geo: " + terminalSafe(where);
    }
    if (e.evidence_size() > 0) {
      std::string figures;
      for (const auto& x : e.evidence()) {
        if (!figures.empty()) figures += ", ";
        figures += x.name() + " ";
        char number[32];
        std::snprintf(number, sizeof number, "%g", x.value());
        if (x.value() != 0 || x.text().empty()) figures += number;
        if (!x.text().empty()) figures += (x.value() != 0 ? " (" + x.text() + ")" : x.text());
      }
      out += "\n    evidence: " + terminalSafe(figures);
    }
    std::string owner = renderOwner(e);
    if (!owner.empty()) out += "\n    by:  " + terminalSafe(owner);
    if (!e.remediation().empty()) out += "\n    fix: " + terminalSafe(e.remediation());
    out += "\n    rule " + e.rule() + ", seq " + std::to_string(e.seq());
  }
  return out;
}

std::string renderVerdict(const v1::GetStatusResponse& s, std::int64_t now) {
  std::string out;
  if (s.leaks_last_hour() > 0 && s.has_last_leak()) {
    const auto& l = s.last_leak();
    out = "LEAKING: " + std::to_string(s.leaks_last_hour()) + (s.leaks_last_hour() == 1 ? " leak" : " leaks") +
          " in the last hour, last " + formatAge(now - l.last_seen().seconds()) + " ago: " + leakSummary(l);
  } else if (s.has_last_leak()) {
    const auto since = s.last_leak().last_seen().seconds();
    out = "OK: no leaks since " + formatLocalTime(since, now - since > 86400) + " (" + formatAge(now - since) +
          "); the last: " + leakSummary(s.last_leak());
  } else {
    const auto since = s.started_at().seconds();
    out = "OK: no leaks since dnsleakd started at " + formatLocalTime(since, now - since > 86400) + " (" +
          formatAge(now - since) + ")";
  }
  // A verdict is only as good as the capture behind it.
  for (const auto& c : s.capture()) {
    if (c.state() != "capturing" && c.state() != "finished") {
      out += "\nWARNING: capture on " + c.name() + " is " + c.state() + (c.error().empty() ? "" : ": " + c.error());
    }
  }
  return out + "\n";
}

std::string renderStatus(const v1::GetStatusResponse& s) {
  std::string out = renderVerdict(s, std::time(nullptr));
  out += "dnsleakd " + s.version() + " (pid " + std::to_string(s.pid()) + "), up " + formatDuration(s.uptime()) +
         " since " + formatTime(s.started_at()) + "\n";
  out += "profile    " + s.profile() + "\n";
  out += "config     " + s.config().path() + " (generation " + std::to_string(s.config().generation()) +
         ", sha256 " + s.config().sha256().substr(0, 12) + ", loaded " + formatTime(s.config().loaded_at()) + ")\n";
  out += "capture\n" + renderCaptureTable(s.capture(), "  ");
  out += "packets    " + std::to_string(s.packets()) + " (" + std::to_string(s.decoded()) + " decoded)\n";
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
  out += "watchers   " + std::to_string(s.watchers());
  if (s.watch_missed()) out += " (" + std::to_string(s.watch_missed()) + " events evicted before a watcher read them)";
  out += "\n";
  return out;
}

namespace {

std::string groupName(const v1::GetReportResponse& r) {
  std::string group = v1::ReportGrouping_Name(r.group_by());
  if (group.rfind("REPORT_GROUPING_", 0) == 0) group = group.substr(16);
  for (auto& c : group) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return group;
}

std::uint64_t occurrences(const v1::GetReportResponse& r) {
  std::uint64_t n = 0;
  for (const auto& row : r.rows()) n += row.count();
  return n;
}

std::string windowText(const v1::GetReportResponse& r) {
  if (!r.has_since() && !r.has_until()) return "everything stored";
  std::string out;
  if (r.has_since()) out += "since " + formatTime(r.since());
  if (r.has_until()) out += (out.empty() ? "" : " ") + std::string("until ") + formatTime(r.until());
  return out;
}

std::string csvField(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string html(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

std::string renderReport(const v1::GetReportResponse& r) {
  std::string leaks;
  for (const auto& l : r.leaks()) {
    if (l.count()) leaks += (leaks.empty() ? "" : ", ") + l.name() + " " + std::to_string(l.count());
  }
  const auto total = occurrences(r);
  std::string out = "Report of " + windowText(r) + ", by " + groupName(r) + ": " + std::to_string(total) +
                    (total == 1 ? " occurrence" : " occurrences") + " in " + std::to_string(r.events()) +
                    (r.events() == 1 ? " stored event" : " stored events") +
                    (leaks.empty() ? std::string() : " (" + leaks + ")") + "\n";
  if (r.incomplete()) {
    out += "note: the ring has evicted older events; this report covers seq " + std::to_string(r.first_stored_seq()) +
           " onwards\n";
  }
  if (r.rows().empty()) return out + "no leaks recorded\n";
  std::string header;
  pad(header, "COUNT", 8);
  pad(header, "VERDICT", 9);
  pad(header, "FIRST", 21);
  pad(header, "LAST", 21);
  header += "KEY\n";
  out += header;
  for (const auto& row : r.rows()) {
    std::string line;
    pad(line, std::to_string(row.count()), 8);
    pad(line, verdictName(row.verdict(), row.leak_type()), 9);
    pad(line, formatLocalTime(row.first_seen().seconds(), true), 21);
    pad(line, formatLocalTime(row.last_seen().seconds(), true), 21);
    line += terminalSafe(row.key()) + "\n";
    if (!row.example_reason().empty()) line += "        e.g. " + terminalSafe(row.example_reason()) + "\n";
    if (!row.remediation().empty()) line += "        fix: " + terminalSafe(row.remediation()) + "\n";
    out += line;
  }
  return out;
}

std::string renderReportCsv(const v1::GetReportResponse& r) {
  std::string out = "group_by,key,verdict,leak_type,count,events,first_seen,last_seen,example_reason,remediation\r\n";
  for (const auto& row : r.rows()) {
    out += groupName(r) + "," + csvField(row.key()) + "," + verdictWord(row.verdict()) + "," +
           leakName(row.leak_type()) + "," + std::to_string(row.count()) + "," + std::to_string(row.events()) + "," +
           formatTime(row.first_seen()) + "," + formatTime(row.last_seen()) + "," + csvField(row.example_reason()) +
           "," + csvField(row.remediation()) + "\r\n";
  }
  return out;
}

namespace {

// Horizontal bars, the ten largest rows of a grouping: an SVG.
std::string svgBars(const v1::GetReportResponse& r, const std::string& title) {
  const int rows = std::min(r.rows_size(), 10);
  std::uint64_t most = 1;
  for (int i = 0; i < rows; ++i) most = std::max(most, r.rows(i).count());
  const int row_height = 22, label_width = 260, bar_width = 380;
  std::string out = "<figure><figcaption>" + html(title) + "</figcaption>\n<svg class=\"chart bars\" width=\"" +
                    std::to_string(label_width + bar_width + 60) + "\" height=\"" +
                    std::to_string(std::max(rows, 1) * row_height + 4) + "\" role=\"img\" aria-label=\"" + html(title) +
                    "\">\n";
  if (rows == 0) out += "<text x=\"0\" y=\"16\">no leaks</text>\n";
  for (int i = 0; i < rows; ++i) {
    const auto& row = r.rows(i);
    const int y = i * row_height;
    const auto width = std::max<std::uint64_t>(1, row.count() * bar_width / most);
    std::string key = row.key().size() > 40 ? row.key().substr(0, 39) + "\u2026" : row.key();
    out += "<text x=\"0\" y=\"" + std::to_string(y + 15) + "\">" + html(key) + "</text>";
    out += "<rect class=\"bar\" x=\"" + std::to_string(label_width) + "\" y=\"" + std::to_string(y + 3) + "\" width=\"" +
           std::to_string(width) + "\" height=\"" + std::to_string(row_height - 6) + "\"><title>" + html(row.key()) +
           ": " + std::to_string(row.count()) + "</title></rect>";
    out += "<text x=\"" + std::to_string(label_width + width + 6) + "\" y=\"" + std::to_string(y + 15) + "\">" +
           std::to_string(row.count()) + "</text>\n";
  }
  return out + "</svg></figure>\n";
}

// Columns over the window: an SVG.
std::string svgTimeline(const v1::GetReportResponse& r) {
  const auto& t = r.timeline();
  std::uint64_t most = 1;
  for (auto c : t.counts()) most = std::max(most, c);
  const int width = 720, height = 160, bottom = 20;
  const int n = std::max(t.counts_size(), 1);
  const int column = width / n;
  std::string out = "<figure><figcaption>Leaks over time</figcaption>\n<svg class=\"chart timeline\" width=\"" +
                    std::to_string(width + 40) + "\" height=\"" + std::to_string(height + bottom) +
                    "\" role=\"img\" aria-label=\"Leaks over time\">\n";
  const std::int64_t step = t.step().seconds();
  for (int i = 0; i < t.counts_size(); ++i) {
    const auto c = t.counts(i);
    const auto h = c == 0 ? 0 : std::max<std::uint64_t>(2, c * (height - 10) / most);
    out += "<rect class=\"bar\" x=\"" + std::to_string(i * column) + "\" y=\"" + std::to_string(height - h) +
           "\" width=\"" + std::to_string(std::max(column - 2, 1)) + "\" height=\"" + std::to_string(h) + "\"><title>" +
           formatLocalTime(t.start().seconds() + i * step, true) + ": " + std::to_string(c) + "</title></rect>";
  }
  out += "\n<line x1=\"0\" y1=\"" + std::to_string(height) + "\" x2=\"" + std::to_string(width) + "\" y2=\"" +
         std::to_string(height) + "\" class=\"axis\"/>";
  out += "<text x=\"0\" y=\"" + std::to_string(height + 15) + "\">" +
         html(formatLocalTime(t.start().seconds(), true)) + "</text>";
  out += "<text x=\"" + std::to_string(width) + "\" y=\"" + std::to_string(height + 15) + "\" text-anchor=\"end\">" +
         html(formatLocalTime(t.start().seconds() + n * step, true)) + "</text>";
  out += "<text x=\"" + std::to_string(width + 4) + "\" y=\"12\">" + std::to_string(most) + "</text>\n";
  return out + "</svg></figure>\n";
}

}  // namespace

std::string renderReportHtml(const v1::GetReportResponse& r, const v1::GetReportResponse& by_process,
                             const v1::GetReportResponse& by_resolver) {
  const auto total = occurrences(r);
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>dnsleak report</title>\n"
      "<style>\nbody{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}\n"
      "h1{font-size:1.4em}figure{margin:1.5em 0}figcaption{font-weight:bold;margin-bottom:.4em}\n"
      ".chart text{font:12px sans-serif;fill:#333}.bar{fill:#c0392b}.axis{stroke:#888}\n"
      "table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:.3em .5em;"
      "text-align:left;vertical-align:top}td.n{text-align:right}.fix{color:#555;font-size:.9em}\n"
      ".ok{color:#1e7e34}.leak{color:#c0392b;font-weight:bold}\n</style></head><body>\n";
  out += "<h1>dnsleak report</h1>\n<p id=\"summary\">" + html(windowText(r)) + ": <span class=\"" +
         (total ? "leak" : "ok") + "\">" + std::to_string(total) + (total == 1 ? " leak" : " leaks") + "</span> in " +
         std::to_string(r.events()) + " stored events, by " + html(groupName(r)) + ".";
  if (r.incomplete()) out += " Older events were evicted from the daemon's ring: this covers what is still stored.";
  out += "</p>\n";
  out += svgTimeline(r);
  out += svgBars(by_process, "Leaks by process");
  out += svgBars(by_resolver, "Leaks by resolver or destination");
  out += "<table id=\"rows\"><thead><tr><th>count</th><th>verdict</th><th>first seen</th><th>last seen</th><th>" +
         html(groupName(r)) + "</th><th>example and fix</th></tr></thead><tbody>\n";
  for (const auto& row : r.rows()) {
    out += "<tr><td class=\"n\">" + std::to_string(row.count()) + "</td><td class=\"" +
           (row.verdict() == v1::VERDICT_LEAK ? "leak" : "ok") + "\">" +
           html(verdictName(row.verdict(), row.leak_type())) +
           "</td><td>" + html(formatLocalTime(row.first_seen().seconds(), true)) + "</td><td>" +
           html(formatLocalTime(row.last_seen().seconds(), true)) + "</td><td>" + html(row.key()) + "</td><td>" +
           html(row.example_reason()) +
           (row.remediation().empty() ? std::string() : "<div class=\"fix\">fix: " + html(row.remediation()) + "</div>") +
           "</td></tr>\n";
  }
  out += "</tbody></table>\n<p class=\"fix\">Made by dnsleakctl report.</p>\n</body></html>\n";
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

void writeReportJson(std::ostream& out, v1::GetReportResponse& report) {
  google::protobuf::RepeatedPtrField<v1::ReportRow> rows;
  rows.Swap(report.mutable_rows());
  const std::string outer = toJson(report);
  rows.Swap(report.mutable_rows());
  static constexpr std::string_view kEmpty = "\"rows\":[]";
  // Top-level fields are printed in the order of their numbers, and a quote
  // inside a string is escaped: the first match is the field.
  const auto at = outer.find(kEmpty);
  if (at == std::string::npos || report.rows().empty()) {
    out << outer;
    return;
  }
  const auto open = at + kEmpty.size() - 1;  // just past '['
  out.write(outer.data(), static_cast<std::streamsize>(open));
  bool first = true;
  for (const auto& row : report.rows()) {
    if (!first) out << ',';
    first = false;
    out << toJson(row);
  }
  out.write(outer.data() + open, static_cast<std::streamsize>(outer.size() - open));
}

std::string reportToJson(v1::GetReportResponse& report) {
  std::ostringstream out;
  writeReportJson(out, report);
  return out.str();
}

std::string toJson(const google::protobuf::Message& message) {
  std::string out;
  appendJson(message, out);
  return out;
}

}  // namespace dnsleak::client
