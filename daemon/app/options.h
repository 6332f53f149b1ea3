#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

namespace dnsleak::app {

inline constexpr const char* kDefaultConfigPath = "/etc/dnsleak/dnsleakd.yaml";

// Exit codes of dnsleakd, stable for scripts.
inline constexpr int kExitOk = 0;
inline constexpr int kExitStartupFailed = 1;    // capture, socket, unreadable file
inline constexpr int kExitInvalidConfig = 2;
inline constexpr int kExitCaptureFileError = 3;  // a capture file ended in an error after being read in part

struct Options {
  std::string config_path = kDefaultConfigPath;
  bool config_given = false;
  std::string socket_override;  // replaces api.socket
  std::string log_level_override;
  bool user_given = false;
  std::string user_override;  // replaces `user` when user_given ("" stays uid 0)

  // --read: run the pipeline over a file and print the observations.
  std::string read_file;
  bool json = false;
  bool summary_only = false;
  std::string interface_name;                                 // for packets without an ifindex
  std::unordered_map<std::uint32_t, std::string> ifnames;     // SLL2 index -> name

  // --replay: run the daemon with a capture file as its source.
  std::string replay_file;
  double replay_speed = 0;
};

int runDaemon(const Options& options);
int runRead(const Options& options);
int runCheckConfig(const std::string& path);

}  // namespace dnsleak::app
