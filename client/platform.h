#pragma once

// What dnsleakctl does differently per platform, one file each:
// platform_posix.cc (SO_PEERCRED, fork and exec) and platform_windows.cc
// (AF_UNIX in a directory with a DACL, the server's token, CreateProcess),
// chosen in CMake. No gRPC here: the commands make the channel
// (channel_posix.cc, channel_windows.cc).

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dnsleak::client {

// Where the daemon listens unless --socket says otherwise.
std::string defaultSocketPath();

// A connection to the daemon's socket, checked to be served by dnsleakd:
// kExitOk with `handle` connected (a POSIX descriptor, a Windows SOCKET),
// or an exit code and one sentence (`why`, "dnsleakctl: ...\n") saying
// why it cannot be used.
struct DaemonSocket {
  int code = 0;
  std::string why;
  std::intptr_t handle = -1;
};
DaemonSocket connectToDaemon(const std::string& path);
void closeDaemonSocket(std::intptr_t handle);

// Who may use the socket at `path`, as the end of a sentence: "members of
// group 'dnsleak'".
std::string whoMayConnect(const std::string& path);

enum class Stream { kOut, kErr };
// Whether the stream is a terminal (and, on Windows, one that takes colour).
bool isTerminal(Stream stream);

// dnsleakd for report --file: $DNSLEAKD, else beside this program (a build
// tree) or in ../sbin (an install), else from PATH.
std::string findDaemon();

// A directory of this user's alone for a private daemon; "" with `error`.
std::string makePrivateDirectory(std::string& error);

// A daemon of the client's own (report --file), its output to `log`.
class PrivateDaemon {
 public:
  virtual ~PrivateDaemon() = default;
  // Whether it has exited (then it is not stopped again).
  virtual bool exited() = 0;
  // Asks it to stop and waits for it.
  virtual void stop() = 0;
};
// Starts `program` with `args`; nullptr with `error` when it cannot start.
std::unique_ptr<PrivateDaemon> startPrivateDaemon(const std::string& program, const std::vector<std::string>& args,
                                                  const std::string& log, std::string& error);

}  // namespace dnsleak::client
