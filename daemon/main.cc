// dnsleakd: parses the command line and hands over to the app.

#include <CLI/CLI.hpp>

#include <charconv>
#include <filesystem>

#include "app/options.h"

int main(int argc, char** argv) {
  dnsleak::app::Options options;
  std::string check_config;
  std::vector<std::string> ifnames;

  CLI::App cli{"dnsleakd: detects DNS leaks on this host"};
  cli.set_version_flag("--version", DNSLEAK_VERSION);
  auto* config_opt = cli.add_option("-c,--config", options.config_path, "config file")->capture_default_str();
  cli.add_option("--check-config", check_config, "validate a config file and exit");
  cli.add_option("--read", options.read_file, "run the pipeline over a pcap/pcapng file and print what it saw");
  cli.add_flag("--json", options.json, "with --read: one JSON object per line");
  cli.add_flag("--summary-only", options.summary_only, "with --read: print only the summary");
  cli.add_option("--interface", options.interface_name,
                 "with --read/--replay: the interface the file's packets were captured on");
  cli.add_option("--ifname", ifnames, "with --read/--replay: INDEX=NAME for SLL2 interface indexes (repeatable)");
  cli.add_option("--replay", options.replay_file, "run the daemon with a capture file as its packet source");
  cli.add_option("--replay-speed", options.replay_speed, "with --replay: 1 replays at the capture's pace, 0 at once")
      ->check(CLI::Range(0.0, 1000.0));
  cli.add_option("--socket", options.socket_override, "API socket path (overrides api.socket)");
  auto* user_opt = cli.add_option("--user", options.user_override,
                                  "started as root, run as this user (overrides `user`; \"\" stays uid 0)");
  cli.add_option("--log-level", options.log_level_override, "overrides logging.level")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  CLI11_PARSE(cli, argc, argv);
  options.config_given = config_opt->count() > 0;
  options.user_given = user_opt->count() > 0;
  // Absolute, so that status names it plainly and a reload finds the same
  // file whatever the working directory.
  std::error_code ec;
  auto absolute = std::filesystem::absolute(options.config_path, ec);
  if (!ec) options.config_path = absolute.lexically_normal().string();

  for (const auto& entry : ifnames) {
    auto eq = entry.find('=');
    std::uint32_t index = 0;
    auto [ptr, ec] = std::from_chars(entry.data(), entry.data() + (eq == std::string::npos ? 0 : eq), index);
    if (eq == std::string::npos || ec != std::errc() || ptr != entry.data() + eq || eq + 1 == entry.size()) {
      std::fprintf(stderr, "dnsleakd: --ifname takes INDEX=NAME, e.g. --ifname 3=wg0 (got '%s')\n", entry.c_str());
      return dnsleak::app::kExitInvalidConfig;
    }
    options.ifnames[index] = entry.substr(eq + 1);
  }

  if (!check_config.empty()) return dnsleak::app::runCheckConfig(check_config);
  if (!options.read_file.empty()) return dnsleak::app::runRead(options);
  return dnsleak::app::runDaemon(options);
}
