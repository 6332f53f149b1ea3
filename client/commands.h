#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dnsleak::client {

// Exit codes of dnsleakctl, stable for scripts.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;        // the daemon answered with an error, or a reload was refused
inline constexpr int kExitLeaks = 1;         // check: there were leaks in the window
inline constexpr int kExitUsage = 2;
inline constexpr int kExitNotRunning = 3;    // nothing listens on the socket
inline constexpr int kExitPermission = 4;    // the socket or the daemon refused this user

// Where the daemon listens unless --socket says otherwise (platform.h).
std::string defaultSocketPath();

struct CommonOptions {
  std::string socket = defaultSocketPath();
  bool json = false;
  double timeout_seconds = 5;
  std::string colour = "auto";  // auto (a terminal without NO_COLOR), always, never
};

struct WatchOptions {
  std::uint64_t from_seq = 0;
  bool all = false;  // include non-leak events (when the daemon stores them)
  std::vector<std::string> leak_types;  // A, B, C, D
  std::vector<std::string> transports;  // dns-udp, dns-tcp, ...
  std::vector<std::string> rules;       // rule ids, whole or without the profile
  std::vector<std::string> processes;   // names or executable paths
  std::vector<std::string> names;       // a name and the names under it
  std::string since;                    // from stored events this recent on: 30s, 15m, 2h, 7d or RFC 3339
  std::uint64_t count = 0;               // stop after this many events; 0 = never
  double duration_seconds = 0;           // stop after this long; 0 = never
  bool verbose = false;                  // reason, owner and fix under each event
  bool follow = false;                   // keep watching across a daemon restart
};

struct ReportOptions {
  std::string since;  // "15m", "2h", "1d" or RFC 3339
  std::string until;
  std::string group_by = "rule";
  bool all = false;
  std::string format = "text";  // text, json, csv, html
  std::string output;           // a file instead of standard output
  std::string file;             // a capture file to report on, through a private dnsleakd
  std::string config;           // the config that judges `file` (default: the built-in one)
};

struct CheckOptions {
  std::string since = "1h";
};

int runStatus(const CommonOptions& common);
// Exits kExitLeaks when leaks were stored in the window, kExitOk when none.
int runCheck(const CommonOptions& common, const CheckOptions& options);
int runWatch(const CommonOptions& common, const WatchOptions& options);
int runReport(const CommonOptions& common, const ReportOptions& options);
int runInterfaces(const CommonOptions& common, bool all);
// The daemon's counters in the Prometheus text format.
int runMetrics(const CommonOptions& common);
int runReload(const CommonOptions& common);

}  // namespace dnsleak::client
