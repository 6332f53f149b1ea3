#pragma once

#include <cstdint>
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

  // The pid holding the socket with this inode, from every process's fd
  // links. A remembered owner is checked (its fd still links to the inode:
  // inode numbers are reused); the map is rebuilt when it has no answer.
  std::optional<std::uint32_t> socketOwner(std::uint64_t inode);

  // The unit a cgroup v2 path names: its last component ending in
  // .service or .scope ("" when none), e.g. "/user.slice/.../app-firefox-1.scope".
  static std::string unitOfCgroup(const std::string& cgroup);

  static constexpr int kMaxParents = 32;

 private:
  void rescan();

  std::string root_;
  struct Holder {
    std::uint32_t pid;
    std::string fd;  // the fd link's name under /proc/<pid>/fd
  };
  std::unordered_map<std::uint64_t, Holder> inode_to_pid_;
};

}  // namespace dnsleak::attribution
