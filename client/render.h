#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include "dnsleak/v1/dnsleak.pb.h"

namespace dnsleak::client {

// Text from the daemon as a terminal may show it: control characters
// (C0, DEL and C1, which start terminal escape sequences) written as \xNN.
// Process names, command lines and server names are chosen by whoever
// sends the traffic, so every such field is passed through this.
std::string terminalSafe(std::string_view text);

std::string formatTime(const google::protobuf::Timestamp& t);
std::string formatDuration(const google::protobuf::Duration& d);
std::string formatEndpoint(const v1::Endpoint& ep);
std::string formatResponseTime(const google::protobuf::Duration& d);  // "0.4ms", "12ms"

struct Style {
  bool colour = false;   // ANSI colour (a terminal, and no NO_COLOR)
  bool verbose = false;  // the reason, the owner and the fix under each event
};

std::string formatLocalTime(std::int64_t seconds, bool with_date);  // "2026-12-01 10:02:03" or "10:02"
std::string formatAge(std::int64_t seconds);                         // "5 s", "2 min", "3 h", "2 d"

// "firefox -> DoH mozilla.cloudflare-dns.com (104.16.248.249:443) via eth0"
std::string leakSummary(const v1::Event& event);
// One aligned line per event, as `watch` prints (with -v, the reason,
// owner and fix under it), and the column names over them.
std::string renderEvent(const v1::Event& event, const Style& style);
std::string renderEventHeader(const Style& style);
// The verdict first ("OK: ..." or "LEAKING: ..."), then warnings about
// capture; `now` in seconds since the epoch.
std::string renderVerdict(const v1::GetStatusResponse& status, std::int64_t now);
std::string renderStatus(const v1::GetStatusResponse& status);
std::string renderReport(const v1::GetReportResponse& report);
std::string renderReportCsv(const v1::GetReportResponse& report);
// One self-contained HTML page: the timeline of leaks, bars by process and
// by resolver, and the table of `report`.
std::string renderReportHtml(const v1::GetReportResponse& report, const v1::GetReportResponse& by_process,
                             const v1::GetReportResponse& by_resolver);
std::string renderInterfaces(const v1::ListInterfacesResponse& interfaces);
std::string renderReload(const v1::ReloadConfigResponse& reload);

// The protobuf JSON mapping on one line.
std::string toJson(const google::protobuf::Message& message);
// The same for a report, byte for byte, written to `out` a row at a time:
// protobuf's printer builds a tree of the whole message first (for the
// default values), which for 100k rows took seconds and hundreds of MB,
// and no copy of the whole text is held. The rows are moved out while the
// rest is printed, and back.
void writeReportJson(std::ostream& out, v1::GetReportResponse& report);
std::string reportToJson(v1::GetReportResponse& report);

}  // namespace dnsleak::client
