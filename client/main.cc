// dnsleakctl: asks dnsleakd for its status, streams its events, pulls reports.

#include <CLI/CLI.hpp>

#include <cstdlib>

#include "commands.h"

int main(int argc, char** argv) {
  using namespace dnsleak::client;
  CommonOptions common;
  if (const char* env = std::getenv("DNSLEAK_SOCKET"); env && *env) common.socket = env;
  WatchOptions watch;
  ReportOptions report;

  CLI::App cli{"dnsleakctl: talk to dnsleakd"};
  cli.set_version_flag("--version", DNSLEAK_VERSION);
  cli.require_subcommand(1);
  cli.fallthrough();
  cli.add_option("--socket", common.socket, "dnsleakd's socket (env DNSLEAK_SOCKET)")->capture_default_str();
  cli.add_flag("--json", common.json, "one JSON object per line (the protobuf JSON mapping)");
  cli.add_option("--timeout", common.timeout_seconds, "seconds to wait for an answer")->capture_default_str();

  auto* status_cmd = cli.add_subcommand("status", "version, uptime, capture, counters, store");
  auto* watch_cmd = cli.add_subcommand("watch", "stream events as they are stored");
  watch_cmd->add_option("--from-seq", watch.from_seq, "start at this sequence number (0: only new events)");
  watch_cmd->add_flag("--all", watch.all, "also non-leak events (stored when store.record_ok is on)");
  watch_cmd->add_option("--leak-type", watch.leak_types, "only these leak types: A B C D");
  watch_cmd->add_option("--transport", watch.transports, "only these transports: dns-udp dns-tcp dot doh ...");
  watch_cmd->add_option("--count", watch.count, "exit after this many events");
  watch_cmd->add_option("--duration", watch.duration_seconds, "exit after this many seconds");
  auto* report_cmd = cli.add_subcommand("report", "summary of the stored events");
  report_cmd->add_option("--since", report.since, "window start: 30s, 15m, 2h, 7d ago, or RFC 3339");
  report_cmd->add_option("--until", report.until, "window end, same forms");
  report_cmd->add_option("--group-by", report.group_by, "rule, qname, resolver, interface, process, transport")
      ->check(CLI::IsMember({"rule", "qname", "resolver", "interface", "process", "transport"}))
      ->capture_default_str();
  report_cmd->add_flag("--all", report.all, "count non-leak events too");
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
  if (*watch_cmd) return runWatch(common, watch);
  if (*report_cmd) return runReport(common, report);
  if (*interfaces_cmd) return runInterfaces(common, all_interfaces);
  if (*reload_cmd) return runReload(common);
  return kExitUsage;
}
