#include <fcntl.h>
#include <grp.h>
#include <grpcpp/server.h>
#include <grpcpp/server_posix.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <unordered_map>
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

class UnixSocketEndpoint : public ApiEndpoint {
 public:
  UnixSocketEndpoint(std::string path, const std::string& group, long owner_uid)
      : path_(std::move(path)), owner_uid_(owner_uid) {
    if (path_.size() >= sizeof(sockaddr_un::sun_path)) {
      throw EndpointError("socket path '" + path_ + "' is too long for a Unix socket");
    }
    if (!group.empty()) {
      if (const struct group* g = getgrnam(group.c_str())) {
        gid_ = static_cast<long>(g->gr_gid);
      } else {
        spdlog::warn("group '{}' does not exist: only root and uid {} may use {}", group, geteuid(), path_);
      }
    }
    prepareDirectory();
    removeStaleSocket();

    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw EndpointError("cannot create a Unix socket: " + errnoText());
    auto addr = socketAddress(path_);
    // Created with no permissions for others from the start; no window in
    // which the socket is more open than 0660.
    mode_t old = umask(0117);
    int rc = bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    int bind_errno = errno;
    umask(old);
    if (rc != 0) {
      close(fd_);
      throw EndpointError("cannot create socket " + path_ + ": " + std::strerror(bind_errno));
    }
    if ((gid_ >= 0 || owner_uid_ >= 0) &&
        chown(path_.c_str(), static_cast<uid_t>(owner_uid_), static_cast<gid_t>(gid_)) != 0) {
      spdlog::warn("cannot give {} to group {}: {}", path_, group, errnoText());
    }
    chmod(path_.c_str(), 0660);
    if (listen(fd_, 64) != 0) {
      close(fd_);
      unlink(path_.c_str());
      throw EndpointError("cannot listen on " + path_ + ": " + errnoText());
    }
    stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  }

  ~UnixSocketEndpoint() override {
    stop();
    if (fd_ >= 0) {
      close(fd_);
      unlink(path_.c_str());
    }
    if (stop_fd_ >= 0) close(stop_fd_);
  }

  void start(grpc::Server& server) override {
    thread_ = std::thread([this, &server] {
      core::nameThisThread("dl-api-accept");
      acceptLoop(server);
    });
  }

  void stop() override {
    if (!thread_.joinable()) return;
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = write(stop_fd_, &one, sizeof one);
    thread_.join();
  }

  std::string describe() const override { return "unix:" + path_; }

  CallerIdentity identify(const std::string& peer) const override {
    std::lock_guard lock(callers_mutex_);
    auto it = callers_.find(peer);
    return it == callers_.end() ? CallerIdentity{} : it->second;
  }

 private:
  void prepareDirectory() {
    auto dir = std::filesystem::path(path_).parent_path();
    std::error_code ec;
    if (std::filesystem::exists(dir, ec)) return;
    std::filesystem::create_directories(dir, ec);
    if (ec) throw EndpointError("cannot create directory " + dir.string() + " for the socket: " + ec.message());
    chmod(dir.c_str(), 0750);
    if ((gid_ >= 0 || owner_uid_ >= 0) &&
        chown(dir.c_str(), static_cast<uid_t>(owner_uid_), static_cast<gid_t>(gid_)) != 0) {
      spdlog::warn("cannot give {} to the socket's group: {}", dir.string(), errnoText());
    }
  }

  // A socket file left by a daemon that died is removed; one that still
  // answers belongs to a running daemon, and we refuse to take it over.
  void removeStaleSocket() {
    struct stat st {};
    if (lstat(path_.c_str(), &st) != 0) return;
    if (!S_ISSOCK(st.st_mode)) throw EndpointError(path_ + " exists and is not a socket; not touching it");
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    auto addr = socketAddress(path_);
    bool live = probe >= 0 && connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    if (probe >= 0) close(probe);
    if (live) throw EndpointError("another dnsleakd is already serving " + path_);
    if (unlink(path_.c_str()) != 0) throw EndpointError("cannot remove stale socket " + path_ + ": " + errnoText());
    spdlog::info("removed stale socket {}", path_);
  }

  void acceptLoop(grpc::Server& server) {
    pollfd fds[2] = {{stop_fd_, POLLIN, 0}, {fd_, POLLIN, 0}};
    for (;;) {
      if (poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        spdlog::error("poll on {} failed: {}", path_, errnoText());
        return;
      }
      if (fds[0].revents) return;
      if (!fds[1].revents) continue;
      int client = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      PeerCredentials peer;
      ucred cred{};
      socklen_t len = sizeof cred;
      if (getsockopt(client, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
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
        callers_["fd:" + std::to_string(client)] =
            CallerIdentity{static_cast<long>(cred.uid), static_cast<long>(cred.pid), cred.gid, peer.groups};
      }
      grpc::AddInsecureChannelFromFd(&server, client);
    }
  }

  std::string path_;
  long owner_uid_ = -1;
  long gid_ = -1;
  mutable std::mutex callers_mutex_;
  std::unordered_map<std::string, CallerIdentity> callers_;  // guarded by callers_mutex_
  int fd_ = -1;
  int stop_fd_ = -1;
  std::thread thread_;
};

}  // namespace

std::unique_ptr<ApiEndpoint> makeUnixSocketEndpoint(const std::string& path, const std::string& group,
                                                    long owner_uid) {
  return std::make_unique<UnixSocketEndpoint>(path, group, owner_uid);
}

}  // namespace dnsleak::api
