// dnsleakctl on Linux and other POSIX systems: the socket's peer
// credentials (SO_PEERCRED), and fork and exec for a private daemon.

#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "commands.h"
#include "platform.h"
#include "socket_messages.h"

namespace dnsleak::client {
namespace {

// The user the package runs dnsleakd as (the config's `user` default).
constexpr const char* kDaemonUser = "dnsleak";

// Whether root gave `uid` the socket's directory: that directory is owned
// by `uid` and is not a symlink, and the one above it is root's and
// writable by no one else, so that no other user could have made or
// replaced it (as systemd's RuntimeDirectory= is, for a unit's User=).
bool directoryGivenByRoot(const std::string& socket_path, uid_t uid) {
  const auto dir = std::filesystem::path(socket_path).parent_path();
  const auto above = dir.parent_path();
  if (dir.empty() || above.empty() || dir == above) return false;
  struct stat d {}, a {};
  if (lstat(dir.c_str(), &d) != 0 || !S_ISDIR(d.st_mode) || d.st_uid != uid) return false;
  if (lstat(above.c_str(), &a) != 0 || !S_ISDIR(a.st_mode) || a.st_uid != 0) return false;
  return (a.st_mode & S_IWOTH) == 0 && ((a.st_mode & S_IWGRP) == 0 || a.st_gid == 0);
}

// Whether the process serving a socket may be dnsleakd: root, the user the
// package runs it as, this user (a daemon of one's own), or the user root
// gave the socket's directory to. Anyone else who got a socket onto the
// path is posing as it.
bool trustedServer(uid_t uid, const std::string& socket_path) {
  if (uid == 0 || uid == getuid() || uid == geteuid()) return true;
  const struct passwd* pw = getpwnam(kDaemonUser);
  if (pw != nullptr && pw->pw_uid == uid) return true;
  return directoryGivenByRoot(socket_path, uid);
}

std::string userName(uid_t uid) {
  const struct passwd* pw = getpwuid(uid);
  return pw != nullptr ? "uid " + std::to_string(uid) + " (" + pw->pw_name + ")" : "uid " + std::to_string(uid);
}

}  // namespace

// The group of the socket, or of its directory when the socket itself
// cannot be looked at, as the daemon set them.
std::string whoMayConnect(const std::string& path) {
  struct stat st {};
  bool known = stat(path.c_str(), &st) == 0;
  if (!known) {
    auto slash = path.rfind('/');
    known = slash != std::string::npos && stat(path.substr(0, slash == 0 ? 1 : slash).c_str(), &st) == 0;
  }
  if (!known) return "members of the daemon's group (api.group)";
  if (const struct group* g = getgrgid(st.st_gid)) return "members of group '" + std::string(g->gr_name) + "'";
  return "members of group " + std::to_string(st.st_gid);
}

// Checks who serves the socket before gRPC would fail in a less helpful way.
DaemonSocket connectToDaemon(const std::string& path) {
  std::ostringstream why;
  auto say = [&](int code) { return DaemonSocket{code, why.str(), -1}; };
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    if (errno == EACCES) {
      why << messages::permissionDeniedReaching(path, "root and " + whoMayConnect(path));
      return say(kExitPermission);
    }
    why << messages::noSocket(path);
    return say(kExitNotRunning);
  }
  if (!S_ISSOCK(st.st_mode)) {
    why << messages::notASocket(path);
    return say(kExitNotRunning);
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    why << messages::pathTooLong(path);
    return say(kExitUsage);
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int rc = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  int err = errno;
  if (rc == 0) {
    // Who listens, as the kernel recorded it: not the file's owner, which
    // says nothing of the process behind it.
    ucred peer{};
    socklen_t len = sizeof peer;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0 || !trustedServer(peer.uid, path)) {
      close(fd);
      why << "dnsleakctl: refusing " << path << ": the process serving it runs as " << userName(peer.uid)
          << ", but dnsleakd runs as root, user '" << kDaemonUser
          << "' or the owner of a directory root gave it (as /run/dnsleak); something else may be posing as "
             "dnsleakd\n";
      return say(kExitPermission);
    }
    return DaemonSocket{kExitOk, {}, fd};
  }
  close(fd);
  if (err == EACCES || err == EPERM) {
    why << messages::permissionDeniedOn(path, "root and " + whoMayConnect(path));
    return say(kExitPermission);
  }
  if (err == ECONNREFUSED) {
    why << messages::nothingListening(path);
    return say(kExitNotRunning);
  }
  why << messages::cannotConnect(path, std::strerror(err));
  return say(kExitNotRunning);
}

void closeDaemonSocket(std::intptr_t handle) {
  if (handle >= 0) close(static_cast<int>(handle));
}

std::string defaultSocketPath() { return "/run/dnsleak/dnsleakd.sock"; }

bool isTerminal(Stream stream) { return isatty(stream == Stream::kOut ? STDOUT_FILENO : STDERR_FILENO); }

std::string findDaemon() {
  if (const char* env = std::getenv("DNSLEAKD"); env && *env) return env;
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    std::string dir(self, static_cast<std::size_t>(n));
    dir.erase(dir.rfind('/'));
    for (const std::string& candidate : {dir + "/dnsleakd", dir + "/../sbin/dnsleakd"}) {
      if (access(candidate.c_str(), X_OK) == 0) return candidate;
    }
  }
  return "dnsleakd";
}

std::string makePrivateDirectory(std::string& error) {
  char dir_template[] = "/tmp/dnsleakctl-report-XXXXXX";
  if (!mkdtemp(dir_template)) {
    error = std::strerror(errno);
    return {};
  }
  return dir_template;
}

namespace {

class ForkedDaemon : public PrivateDaemon {
 public:
  explicit ForkedDaemon(pid_t pid) : pid_(pid) {}
  ~ForkedDaemon() override { stop(); }
  bool exited() override {
    if (pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == pid_) pid_ = -1;
    return pid_ <= 0;
  }
  void stop() override {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_;
};

}  // namespace

std::unique_ptr<PrivateDaemon> startPrivateDaemon(const std::string& program, const std::vector<std::string>& args,
                                                  const std::string& log, std::string& error) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(program.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) {
    error = std::strerror(errno);
    return nullptr;
  }
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
    }
    execvp(program.c_str(), argv.data());
    std::fprintf(stderr, "cannot run %s: %s\n", program.c_str(), std::strerror(errno));
    _exit(127);
  }
  return std::make_unique<ForkedDaemon>(pid);
}

}  // namespace dnsleak::client
