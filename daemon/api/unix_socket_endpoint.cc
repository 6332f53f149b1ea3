#include <fcntl.h>
#include <grp.h>
#include <grpcpp/server.h>
#include <grpcpp/server_posix.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <thread>

#include "api/endpoint.h"
#include "core/thread_name.h"

namespace dnsleak::api {

bool CallerIdentity::inGroup(long wanted) const {
  if (uid < 0 || wanted < 0) return false;
  auto g = static_cast<unsigned>(wanted);
  return gid == g || std::find(groups.begin(), groups.end(), g) != groups.end();
}

bool peerAllowed(const PeerCredentials& peer, unsigned daemon_uid, long allowed_gid) {
  if (peer.uid == 0 || peer.uid == daemon_uid) return true;
  if (allowed_gid < 0) return false;
  auto gid = static_cast<unsigned>(allowed_gid);
  return peer.gid == gid || std::find(peer.groups.begin(), peer.groups.end(), gid) != peer.groups.end();
}

namespace {

std::string errnoText() { return std::strerror(errno); }

sockaddr_un socketAddress(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

// Who may own the socket's directory: root, the daemon's user now, and the
// user it is about to become.
bool trustedOwner(uid_t owner, long owner_uid) {
  return owner == 0 || owner == geteuid() || (owner_uid >= 0 && owner == static_cast<uid_t>(owner_uid));
}

class UnixSocketEndpoint : public ApiEndpoint {
 public:
  UnixSocketEndpoint(std::string path, const std::string& group, long owner_uid)
      : path_(std::move(path)), owner_uid_(owner_uid) {
    if (path_.size() >= sizeof(sockaddr_un::sun_path)) {
      throw EndpointError("socket path '" + path_ + "' is too long for a Unix socket");
    }
    std::filesystem::path p(path_);
    dir_ = p.has_parent_path() ? p.parent_path().string() : ".";
    name_ = p.filename().string();
    if (name_.empty() || name_ == "." || name_ == "..") throw EndpointError("socket path '" + path_ + "' names no file");
    if (!group.empty()) {
      if (const struct group* g = getgrnam(group.c_str())) {
        gid_ = static_cast<long>(g->gr_gid);
      } else {
        spdlog::warn("group '{}' does not exist: only root and uid {} may use {}", group, geteuid(), path_);
      }
    }
    group_ = group;
    openDirectory();
    removeStaleSocket();
    bindSocket(/*startup=*/true);
    stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    watchDirectory();
  }

  ~UnixSocketEndpoint() override {
    stop();
    closeListener();
    if (stop_fd_ >= 0) close(stop_fd_);
    if (watch_fd_ >= 0) close(watch_fd_);
    if (dir_fd_ >= 0) close(dir_fd_);
  }

  void start(grpc::Server& server) override {
    thread_ = std::thread([this, &server] {
      core::nameThisThread("dl-api-accept");
      acceptLoop(server);
    });
  }

  // Stops accepting and removes the socket at once, so that nothing queues
  // on a daemon that is going away and a successor can start meanwhile.
  void stop() override {
    if (thread_.joinable()) {
      std::uint64_t one = 1;
      [[maybe_unused]] auto n = write(stop_fd_, &one, sizeof one);
      thread_.join();
    }
    closeListener();
  }

  // Connections whose calls did not end by themselves (a peer that stopped
  // reading holds a write gRPC cannot finish): shut down under gRPC so that
  // its transport fails every call on them.
  std::size_t disconnectAll() override {
    std::lock_guard lock(callers_mutex_);
    std::size_t n = 0;
    for (const auto& [fd, conn] : connections_) {
      struct stat st {};
      // The number may have been closed by gRPC and reused: only the socket
      // accepted under it is shut down.
      if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode) || st.st_ino != conn.inode) continue;
      if (shutdown(fd, SHUT_RDWR) == 0) ++n;
    }
    return n;
  }

  std::string describe() const override { return "unix:" + path_; }

  CallerIdentity identify(const std::string& peer) const override {
    if (peer.rfind("fd:", 0) != 0) return {};
    int fd = std::atoi(peer.c_str() + 3);
    std::lock_guard lock(callers_mutex_);
    auto it = connections_.find(fd);
    return it == connections_.end() ? CallerIdentity{} : it->second.caller;
  }

 private:
  // The directory holding the socket is created, or when it exists checked:
  // a real directory, not a symlink, owned by root or the daemon's user, and
  // writable by no one else, since whoever can write it can replace the
  // socket with one of their own. Everything after is done relative to it.
  void openDirectory() {
    struct stat st {};
    if (lstat(dir_.c_str(), &st) != 0) {
      if (errno != ENOENT) throw EndpointError("cannot look at " + dir_ + ": " + errnoText());
      std::error_code ec;
      std::filesystem::create_directories(std::filesystem::path(dir_).parent_path(), ec);
      if (mkdir(dir_.c_str(), 0750) != 0 && errno != EEXIST) {
        throw EndpointError("cannot create directory " + dir_ + " for the socket: " + errnoText());
      }
      created_dir_ = true;
    }
    dir_fd_ = open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dir_fd_ < 0) {
      if (errno == ELOOP || errno == ENOTDIR) {
        throw EndpointError(dir_ + " is a symlink or not a directory: refusing to put the API socket there");
      }
      throw EndpointError("cannot open " + dir_ + ": " + errnoText());
    }
    if (fstat(dir_fd_, &st) != 0) throw EndpointError("cannot look at " + dir_ + ": " + errnoText());
    if (created_dir_) {
      fchmod(dir_fd_, 0750);
      if ((gid_ >= 0 || owner_uid_ >= 0) &&
          fchown(dir_fd_, static_cast<uid_t>(owner_uid_), static_cast<gid_t>(gid_)) != 0) {
        spdlog::warn("cannot give {} to the socket's group: {}", dir_, errnoText());
      }
      return;
    }
    if (!trustedOwner(st.st_uid, owner_uid_)) {
      throw EndpointError(dir_ + " belongs to uid " + std::to_string(st.st_uid) +
                          ", not root or the daemon's user: whoever owns it could replace the API socket");
    }
    if ((st.st_mode & S_IWOTH) != 0 || ((st.st_mode & S_IWGRP) != 0 && st.st_gid != 0)) {
      throw EndpointError(dir_ + " is writable by others (mode " + octal(st.st_mode & 07777) +
                          "): anyone who can write it could replace the API socket; use a directory of its own");
    }
  }

  static std::string octal(unsigned mode) {
    char text[8];
    std::snprintf(text, sizeof text, "%04o", mode);
    return text;
  }

  // A socket file left by a daemon that died is removed; one that still
  // answers belongs to a running daemon, and we refuse to take it over.
  void removeStaleSocket() {
    struct stat st {};
    if (fstatat(dir_fd_, name_.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return;
    if (!S_ISSOCK(st.st_mode)) throw EndpointError(path_ + " exists and is not a socket; not touching it");
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    auto addr = socketAddress(path_);
    bool live = probe >= 0 && connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    if (probe >= 0) close(probe);
    if (live) throw EndpointError("another dnsleakd is already serving " + path_);
    if (unlinkat(dir_fd_, name_.c_str(), 0) != 0) {
      throw EndpointError("cannot remove stale socket " + path_ + ": " + errnoText());
    }
    spdlog::info("removed stale socket {}", path_);
  }

  // Binds and listens at the path; the socket file is 0660, owned by the
  // daemon's user and the socket's group. Throws EndpointError.
  void bindSocket(bool startup) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw EndpointError("cannot create a Unix socket: " + errnoText());
    auto addr = socketAddress(path_);
    // At startup, before other threads run, the socket is created with no
    // permission for others at all. Later (a rebind) the umask is not
    // touched: it is the process's, and other threads create files.
    mode_t old = startup ? umask(0117) : 0;
    int rc = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    int bind_errno = errno;
    if (startup) umask(old);
    if (rc != 0) {
      close(fd);
      throw EndpointError("cannot create socket " + path_ + ": " + std::strerror(bind_errno));
    }
    // Within the checked directory nobody else can swap the file; still,
    // never follow a link.
    struct stat st {};
    if (fstatat(dir_fd_, name_.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISSOCK(st.st_mode)) {
      close(fd);
      throw EndpointError("socket " + path_ + " vanished as it was made");
    }
    if ((gid_ >= 0 || owner_uid_ >= 0) &&
        fchownat(dir_fd_, name_.c_str(), static_cast<uid_t>(owner_uid_), static_cast<gid_t>(gid_),
                 AT_SYMLINK_NOFOLLOW) != 0) {
      spdlog::warn("cannot give {} to group {}: {}", path_, group_, errnoText());
    }
    fchmodat(dir_fd_, name_.c_str(), 0660, 0);
    // The system's longest queue: clients connect without blocking (gRPC
    // does), and one that finds the queue full is refused at once, while
    // the accept thread vets each connection in turn. 64 refused some of
    // 100 tools starting together.
    if (listen(fd, SOMAXCONN) != 0) {
      int err = errno;
      close(fd);
      unlinkat(dir_fd_, name_.c_str(), 0);
      throw EndpointError("cannot listen on " + path_ + ": " + std::strerror(err));
    }
    fd_ = fd;
    socket_dev_ = st.st_dev;
    socket_ino_ = st.st_ino;
  }

  // Whether the path still holds the socket this daemon made.
  bool pathIsOurs() const {
    struct stat st {};
    return fd_ >= 0 && fstatat(dir_fd_, name_.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_dev == socket_dev_ &&
           st.st_ino == socket_ino_;
  }

  // Closes the listening socket and removes its file, but only the file it
  // made: a successor may already have put its own socket there.
  void closeListener() {
    if (fd_ < 0) return;
    if (pathIsOurs()) unlinkat(dir_fd_, name_.c_str(), 0);
    close(fd_);
    fd_ = -1;
  }

  // The directory is watched so that a socket deleted or replaced under a
  // running daemon is noticed at once, with no periodic wake-up.
  void watchDirectory() {
    watch_fd_ = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (watch_fd_ < 0) {
      spdlog::warn("cannot watch {} (inotify: {}); a deleted socket will not be noticed", dir_, errnoText());
      return;
    }
    std::string target = "/proc/self/fd/" + std::to_string(dir_fd_);
    if (inotify_add_watch(watch_fd_, target.c_str(),
                          IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE_SELF | IN_MOVE_SELF) < 0 &&
        inotify_add_watch(watch_fd_, dir_.c_str(),
                          IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE_SELF | IN_MOVE_SELF) < 0) {
      spdlog::warn("cannot watch {} (inotify: {}); a deleted socket will not be noticed", dir_, errnoText());
      close(watch_fd_);
      watch_fd_ = -1;
    }
  }

  // After a change in the directory: when the socket file is no longer the
  // one this daemon listens on, a new one is made (and the loss logged), so
  // that clients can reach the running daemon again. Returns false while
  // that is impossible (the path is taken, or the directory is gone); the
  // caller tries again later.
  bool keepSocket() {
    while (watch_fd_ >= 0) {
      alignas(inotify_event) char buf[4096];
      if (read(watch_fd_, buf, sizeof buf) <= 0) break;
    }
    if (pathIsOurs()) return true;
    if (!lost_) spdlog::warn("API socket {} was removed or replaced while dnsleakd runs; making it again", path_);
    lost_ = true;
    if (fd_ >= 0) {
      close(fd_);
      fd_ = -1;
    }
    try {
      struct stat st {};
      if (fstat(dir_fd_, &st) != 0 || st.st_nlink == 0) {
        // The directory itself went: make it again and watch the new one.
        close(dir_fd_);
        dir_fd_ = -1;
        created_dir_ = false;
        openDirectory();
        if (watch_fd_ >= 0) close(watch_fd_);
        watchDirectory();
      }
      removeStaleSocket();
      bindSocket(/*startup=*/false);
    } catch (const std::exception& e) {
      if (!retry_said_) spdlog::error("cannot make the API socket again: {}; retrying every 5 s", e.what());
      retry_said_ = true;
      return false;
    }
    spdlog::info("API socket {} made again; clients can reach dnsleakd", path_);
    lost_ = retry_said_ = false;
    return true;
  }

  void acceptLoop(grpc::Server& server) {
    bool retrying = false;
    for (;;) {
      pollfd fds[3] = {{stop_fd_, POLLIN, 0}, {fd_, POLLIN, 0}, {watch_fd_, POLLIN, 0}};
      if (poll(fds, 3, retrying ? 5000 : -1) < 0) {
        if (errno == EINTR) continue;
        spdlog::error("poll on {} failed: {}", path_, errnoText());
        return;
      }
      if (fds[0].revents) return;
      if (fds[2].revents || retrying) {
        retrying = !keepSocket();
        continue;
      }
      if (!fds[1].revents) continue;
      int client = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      PeerCredentials peer;
      ucred cred{};
      socklen_t len = sizeof cred;
      struct stat st {};
      if (getsockopt(client, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || fstat(client, &st) != 0) {
        close(client);
        continue;
      }
      peer.uid = cred.uid;
      peer.gid = cred.gid;
      gid_t groups[256];
      socklen_t groups_len = sizeof groups;
      if (getsockopt(client, SOL_SOCKET, SO_PEERGROUPS, groups, &groups_len) == 0) {
        peer.groups.assign(groups, groups + groups_len / sizeof(gid_t));
      }
      if (!peerAllowed(peer, geteuid(), gid_)) {
        // Rare and caller-driven: logged, not counted per packet.
        spdlog::warn("refused API connection from uid {} pid {}: not root, not uid {}, not in the socket's group",
                     cred.uid, cred.pid, geteuid());
        close(client);
        continue;
      }
      int flags = fcntl(client, F_GETFL);
      fcntl(client, F_SETFL, flags | O_NONBLOCK);
      {
        // gRPC names a connection given to it by descriptor "fd:N". N is
        // unique among open connections, so the entry of a closed one is
        // simply replaced when its number is reused.
        std::lock_guard lock(callers_mutex_);
        if (cred.uid != 0 && cred.uid != geteuid() && connectionsOf(cred.uid) >= kMaxConnectionsPerUser) {
          // One user cannot take all the daemon's descriptors and memory.
          if (!limit_said_.count(cred.uid)) {
            spdlog::warn("refused API connection from uid {} pid {}: it has {} open already", cred.uid, cred.pid,
                         kMaxConnectionsPerUser);
            limit_said_.insert(cred.uid);
          }
          close(client);
          continue;
        }
        limit_said_.erase(cred.uid);
        connections_[client] = {
            CallerIdentity{static_cast<long>(cred.uid), static_cast<long>(cred.pid), cred.gid, peer.groups},
            st.st_ino};
      }
      grpc::AddInsecureChannelFromFd(&server, client);
    }
  }

  struct Connection {
    CallerIdentity caller;
    ino_t inode = 0;  // the accepted socket's, to know it again
  };

  // Open connections of `uid`. Entries of connections gRPC has closed since
  // (their descriptor gone or another socket now) are dropped on the way.
  // callers_mutex_ held.
  std::size_t connectionsOf(uid_t uid) {
    std::size_t n = 0;
    for (auto it = connections_.begin(); it != connections_.end();) {
      struct stat st {};
      if (fstat(it->first, &st) != 0 || !S_ISSOCK(st.st_mode) || st.st_ino != it->second.inode) {
        it = connections_.erase(it);
        continue;
      }
      if (it->second.caller.uid == static_cast<long>(uid)) ++n;
      ++it;
    }
    return n;
  }

  static constexpr std::size_t kMaxConnectionsPerUser = 32;

  std::string path_;
  std::string dir_;
  std::string name_;
  std::string group_;
  long owner_uid_ = -1;
  long gid_ = -1;
  bool created_dir_ = false;
  mutable std::mutex callers_mutex_;
  std::unordered_map<int, Connection> connections_;  // by descriptor; guarded by callers_mutex_
  int dir_fd_ = -1;
  int fd_ = -1;        // listening; owned by the accept thread while it runs
  dev_t socket_dev_ = 0;
  ino_t socket_ino_ = 0;
  int stop_fd_ = -1;
  int watch_fd_ = -1;  // inotify on the directory, -1 without
  bool lost_ = false;
  std::unordered_set<uid_t> limit_said_;  // users refused for the limit, said once; guarded by callers_mutex_
  bool retry_said_ = false;
  std::thread thread_;
};

}  // namespace

std::unique_ptr<ApiEndpoint> makeUnixSocketEndpoint(const std::string& path, const std::string& group,
                                                    long owner_uid) {
  return std::make_unique<UnixSocketEndpoint>(path, group, owner_uid);
}

}  // namespace dnsleak::api
