// dnsleakctl: asks dnsleakd for its status, streams its events, pulls reports.

#include <absl/synchronization/mutex.h>
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

#include "commands.h"

namespace {

constexpr const char* kCommands[] = {"status", "check", "watch", "report", "metrics", "interfaces", "reload"};

// The first word that is not an option (or an option's value) must be a
// command: "dnsleakctl bogus" says so, rather than that one is required.
bool unknownCommand(int argc, char** argv, std::string& word) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--socket" || arg == "--timeout" || arg == "--color" || arg == "--colour") {
      ++i;
      continue;
    }
    if (arg.rfind("-", 0) == 0) continue;
    for (const char* c : kCommands) {
      if (arg == c) return false;
    }
    word = arg;
    return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace dnsleak::client;
  // Debian's Abseil keeps a global lock-order graph for every absl::Mutex
  // gRPC takes (its debug checks): a cost per message for a watch, and
  // nothing dnsleakctl needs. As the daemon does.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  CommonOptions common;
  if (const char* env = std::getenv("DNSLEAK_SOCKET"); env && *env) common.socket = env;
  WatchOptions watch;
  ReportOptions report;
  CheckOptions check;

  if (std::string word; unknownCommand(argc, argv, word)) {
    std::cerr << "dnsleakctl: unknown command '" << word
              << "'; the commands are status, check, watch, report, metrics, interfaces and reload (see --help)\n";
    return kExitUsage;
  }

  CLI::App cli{"dnsleakctl: talk to dnsleakd"};
  cli.set_version_flag("--version", DNSLEAK_VERSION);
  cli.require_subcommand(1);
  cli.fallthrough();
  cli.add_option("--socket", common.socket, "dnsleakd's socket (env DNSLEAK_SOCKET)")->capture_default_str();
  cli.add_flag("--json", common.json, "one JSON object per line (the protobuf JSON mapping)");
  cli.add_option("--timeout", common.timeout_seconds, "seconds to wait for an answer")->capture_default_str();
  cli.add_option("--color,--colour", common.colour, "colour: auto (a terminal, unless NO_COLOR is set), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();

  auto* status_cmd = cli.add_subcommand("status", "the verdict first, then capture, counters, attribution, store");
  auto* check_cmd = cli.add_subcommand("check", "exit 1 when leaks were stored in the window, 0 when none");
  check_cmd->add_option("--since", check.since, "window start: 30s, 15m, 2h, 7d ago, or RFC 3339")
      ->capture_default_str();
  auto* watch_cmd = cli.add_subcommand("watch", "stream events as they are stored, one line each");
  watch_cmd->add_option("--from-seq", watch.from_seq, "start at this sequence number (0: only new events)");
  watch_cmd->add_option("--since", watch.since, "start with the stored events this recent: 30s, 15m, 2h, 7d, RFC 3339");
  watch_cmd->add_flag("--all", watch.all, "also non-leak events (stored when store.record_ok is on)");
  watch_cmd->add_option("--leak-type", watch.leak_types, "only these leak types: A B C D tunnel");
  watch_cmd->add_option("--transport", watch.transports, "only these transports: dns-udp dns-tcp dot doh ...");
  watch_cmd->add_option("--rule", watch.rules, "only these rules (full-tunnel/plaintext-outside-safe-path, or the part after /)");
  watch_cmd->add_option("--process", watch.processes, "only these processes, by name or executable path");
  watch_cmd->add_option("--name", watch.names, "only these names and the names under them");
  watch_cmd->add_flag("-v,--verbose", watch.verbose, "the reason, the process and the fix under each event");
  watch_cmd->add_flag("-f,--follow", watch.follow, "keep watching across a daemon restart");
  watch_cmd->add_option("--count", watch.count, "exit after this many events");
  watch_cmd->add_option("--duration", watch.duration_seconds, "exit after this many seconds");
  auto* report_cmd = cli.add_subcommand("report", "the stored leaks grouped, with what to fix");
  report_cmd->add_option("--since", report.since, "window start: 30s, 15m, 2h, 7d ago, or RFC 3339");
  report_cmd->add_option("--until", report.until, "window end, same forms");
  report_cmd
      ->add_option("--group-by", report.group_by,
                   "rule, process, resolver, interface, domain (qname), transport, country, asn (these two: geoip)")
      ->check(CLI::IsMember({"rule", "qname", "domain", "resolver", "interface", "process", "transport", "country", "asn"}))
      ->capture_default_str();
  report_cmd->add_option("--format", report.format, "text, json, csv, or html (one self-contained page with charts)")
      ->check(CLI::IsMember({"text", "json", "csv", "html"}))
      ->capture_default_str();
  report_cmd->add_option("-o,--output", report.output, "write to this file (atomically) instead of standard output");
  report_cmd->add_flag("--all", report.all, "count non-leak events too");
  report_cmd->add_option("--file", report.file,
                         "report on a capture file instead (pcap or pcapng; a private dnsleakd reads it)");
  report_cmd->add_option("--config", report.config, "with --file: the config that judges it (default: built-in)");
  auto* metrics_cmd = cli.add_subcommand("metrics", "the daemon's counters in the Prometheus text format");
  auto* interfaces_cmd = cli.add_subcommand("interfaces", "capture sources and their diagnostics");
  bool all_interfaces = false;
  interfaces_cmd->add_flag("--all", all_interfaces,
                           "also every interface of the daemon's namespace: kind, state, addresses, capturable");
  auto* reload_cmd = cli.add_subcommand("reload", "re-read the config file; errors keep the running config");

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = cli.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }

  if (*status_cmd) return runStatus(common);
  if (*check_cmd) return runCheck(common, check);
  if (*watch_cmd) return runWatch(common, watch);
  if (*report_cmd) return runReport(common, report);
  if (*metrics_cmd) return runMetrics(common);
  if (*interfaces_cmd) return runInterfaces(common, all_interfaces);
  if (*reload_cmd) return runReload(common);
  return kExitUsage;
}
