#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/event.h"

namespace dnsleak::attribution {

// Reads processes from a procfs tree: /proc on a host, a fixture directory
// in the tests. Not thread-safe; one per attribution worker.
class ProcFs {
 public:
  explicit ProcFs(std::string root = "/proc") : root_(std::move(root)) {}

  // Name (status "Name:"), exe (the link; "" when it cannot be read),
  // command line (NULs as spaces), uid and user, cgroup (the v2 path) and
  // its systemd unit, and the parents up to pid 1 (at most kMaxParents).
  // Nothing when the process is gone.
  std::optional<core::ProcessInfo> process(std::uint32_t pid) const;

  // The pid holding the socket with this inode, from the processes' fd
  // links. A remembered owner is checked (its fd still links to the inode:
  // inode numbers are reused). On a miss, processes not seen before are
  // scanned first (a new socket is most often a new process's), and only
  // then every process, if `still_open` (asked between the two) says the
  // socket still exists: a closed one has no holder to find.
  std::optional<std::uint32_t> socketOwner(std::uint64_t inode,
                                           const std::function<bool()>& still_open = [] { return true; });

  // The container a cgroup path belongs to: the 64-hex-digit id that
  // docker, podman, containerd and CRI-O put in it ("" when none).
  static std::string containerOfCgroup(const std::string& cgroup);

  // How many /proc/<pid>/fd directories were read, for tests and tuning.
  std::uint64_t fdDirectoriesRead() const { return fd_directories_read_; }

  // The unit a cgroup v2 path names: its last component ending in
  // .service or .scope ("" when none), e.g. "/user.slice/.../app-firefox-1.scope".
  static std::string unitOfCgroup(const std::string& cgroup);

  static constexpr int kMaxParents = 32;

 private:
  // Reads fd links into inode_to_pid_, newest pid first, until `inode` is
  // found: only the pids not read before (`only_new`), or all. Returns how
  // many pids it passed over as read before.
  std::size_t scan(bool only_new, std::uint64_t inode);
  void scanPid(std::uint32_t pid);
  // The topmost ancestor of `pid` that holds the same fd link.
  std::uint32_t creatorOf(std::uint32_t pid, const std::string& link) const;
  bool holdsLink(std::uint32_t pid, const std::string& link) const;

  std::string root_;
  struct Holder {
    std::uint32_t pid;
    std::string fd;  // the fd link's name under /proc/<pid>/fd
  };
  std::unordered_map<std::uint64_t, Holder> inode_to_pid_;
  std::unordered_map<std::uint32_t, bool> scanned_pids_;  // listed pids; value: their fds were read
  std::uint64_t fd_directories_read_ = 0;
};

}  // namespace dnsleak::attribution
