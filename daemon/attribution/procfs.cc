#include "attribution/procfs.h"

#include <dirent.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <fstream>
#include <functional>
#include <vector>
#include <sstream>

namespace dnsleak::attribution {
namespace {

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string readLink(const std::string& path) {
  char buf[4096];
  ssize_t n = readlink(path.c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

// The value of "Key:" in /proc/<pid>/status, first field only.
std::string statusField(const std::string& status, std::string_view key) {
  std::size_t at = 0;
  while (at < status.size()) {
    std::size_t end = status.find('\n', at);
    if (end == std::string::npos) end = status.size();
    std::string_view line(status.data() + at, end - at);
    if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == ':') {
      std::string_view value = line.substr(key.size() + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
      return std::string(value.substr(0, value.find_first_of(" \t")));
    }
    at = end + 1;
  }
  return {};
}

std::uint32_t number(const std::string& text) {
  char* end = nullptr;
  unsigned long v = std::strtoul(text.c_str(), &end, 10);
  return end && end != text.c_str() ? static_cast<std::uint32_t>(v) : 0;
}

bool isPid(const char* name) {
  if (!*name) return false;
  for (const char* p = name; *p; ++p) {
    if (*p < '0' || *p > '9') return false;
  }
  return true;
}

}  // namespace

std::string ProcFs::unitOfCgroup(const std::string& cgroup) {
  std::size_t end = cgroup.size();
  while (end > 0) {
    std::size_t slash = cgroup.rfind('/', end - 1);
    std::size_t start = slash == std::string::npos ? 0 : slash + 1;
    std::string_view part(cgroup.data() + start, end - start);
    if (part.size() > 8 && (part.ends_with(".service") || part.ends_with(".scope"))) return std::string(part);
    if (slash == std::string::npos || slash == 0) break;
    end = slash;
  }
  return {};
}

std::string ProcFs::containerOfCgroup(const std::string& cgroup) {
  constexpr std::size_t kIdLength = 64;
  std::size_t run = 0;
  for (std::size_t i = 0; i <= cgroup.size(); ++i) {
    char ch = i < cgroup.size() ? cgroup[i] : '/';
    bool hex = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
    if (hex) {
      ++run;
      continue;
    }
    // A whole run of exactly 64: longer runs are something else's.
    if (run == kIdLength) return cgroup.substr(i - kIdLength, kIdLength);
    run = 0;
  }
  return {};
}

std::optional<core::ProcessInfo> ProcFs::process(std::uint32_t pid) const {
  std::string dir = root_ + "/" + std::to_string(pid);
  std::string status = readFile(dir + "/status");
  if (status.empty()) return std::nullopt;
  core::ProcessInfo p;
  p.pid = pid;
  p.tgid = number(statusField(status, "Tgid"));
  p.name = statusField(status, "Name");
  p.uid = number(statusField(status, "Uid"));
  p.exe = readLink(dir + "/exe");
  std::string cmdline = readFile(dir + "/cmdline");
  while (!cmdline.empty() && cmdline.back() == '\0') cmdline.pop_back();
  for (char& ch : cmdline) {
    if (ch == '\0') ch = ' ';
  }
  p.cmdline = std::move(cmdline);
  if (passwd* pw = getpwuid(p.uid)) p.user = pw->pw_name;
  // cgroup v2: "0::/path"; the unified line is the one with an empty controller list.
  std::string cgroups = readFile(dir + "/cgroup");
  for (std::size_t at = 0; at < cgroups.size();) {
    std::size_t end = cgroups.find('\n', at);
    if (end == std::string::npos) end = cgroups.size();
    std::string line = cgroups.substr(at, end - at);
    if (line.rfind("0::", 0) == 0) p.cgroup = line.substr(3);
    at = end + 1;
  }
  p.unit = unitOfCgroup(p.cgroup);
  p.container_id = containerOfCgroup(p.cgroup);
  // The parents up to pid 1, each by name; bounded, and stops at a loop.
  std::uint32_t parent = number(statusField(status, "PPid"));
  for (int i = 0; i < kMaxParents && parent != 0; ++i) {
    std::string parent_status = readFile(root_ + "/" + std::to_string(parent) + "/status");
    if (parent_status.empty()) break;
    p.parents.push_back({parent, statusField(parent_status, "Name")});
    if (parent == 1) break;
    std::uint32_t next = number(statusField(parent_status, "PPid"));
    if (next == parent) break;
    parent = next;
  }
  return p;
}

void ProcFs::scanPid(std::uint32_t pid) {
  std::string fd_dir = root_ + "/" + std::to_string(pid) + "/fd";
  DIR* fds = opendir(fd_dir.c_str());
  if (!fds) return;  // gone, or not ours to read
  ++fd_directories_read_;
  while (dirent* fd = readdir(fds)) {
    if (fd->d_name[0] == '.') continue;
    std::string target = readLink(fd_dir + "/" + fd->d_name);
    // "socket:[12345]"
    if (target.rfind("socket:[", 0) != 0) continue;
    std::uint64_t inode = std::strtoull(target.c_str() + 8, nullptr, 10);
    // A socket shared by several processes (fork) goes to the first seen.
    inode_to_pid_.emplace(inode, Holder{pid, fd->d_name});
  }
  closedir(fds);
}

std::size_t ProcFs::scan(bool only_new, std::uint64_t inode) {
  DIR* proc = opendir(root_.c_str());
  if (!proc) return 0;
  std::vector<std::uint32_t> pids;
  while (dirent* entry = readdir(proc)) {
    if (isPid(entry->d_name)) pids.push_back(number(entry->d_name));
  }
  closedir(proc);
  // Forget the pids that are gone, so a reused pid counts as new.
  std::unordered_map<std::uint32_t, bool> listed;
  listed.reserve(pids.size());
  for (auto pid : pids) {
    auto it = scanned_pids_.find(pid);
    listed.emplace(pid, it != scanned_pids_.end() && it->second);
  }
  scanned_pids_ = std::move(listed);
  if (!only_new) inode_to_pid_.clear();
  // Newest first: the sender of a new flow is most often a new process
  // (pids mostly grow; a wrapped pid is only found a little later).
  std::sort(pids.begin(), pids.end(), std::greater<>());
  std::size_t skipped = 0;
  for (auto pid : pids) {
    bool& scanned = scanned_pids_[pid];
    if (only_new && scanned) {
      ++skipped;
      continue;
    }
    scanned = true;
    scanPid(pid);
    if (inode_to_pid_.count(inode)) break;
  }
  return skipped;
}

std::optional<std::uint32_t> ProcFs::socketOwner(std::uint64_t inode, const std::function<bool()>& still_open) {
  const std::string expected = "socket:[" + std::to_string(inode) + "]";
  auto holds = [&](const Holder& h) {
    return readLink(root_ + "/" + std::to_string(h.pid) + "/fd/" + h.fd) == expected;
  };
  auto it = inode_to_pid_.find(inode);
  if (it != inode_to_pid_.end() && holds(it->second)) return creatorOf(it->second.pid, expected);
  if (it != inode_to_pid_.end()) inode_to_pid_.erase(it);
  std::size_t known = scan(true, inode);
  it = inode_to_pid_.find(inode);
  if (it != inode_to_pid_.end()) return creatorOf(it->second.pid, expected);
  if (known == 0) return std::nullopt;  // that scan read every process
  if (!still_open()) return std::nullopt;
  scan(false, inode);
  it = inode_to_pid_.find(inode);
  if (it == inode_to_pid_.end()) return std::nullopt;
  return creatorOf(it->second.pid, expected);
}

bool ProcFs::holdsLink(std::uint32_t pid, const std::string& link) const {
  const std::string fd_dir = root_ + "/" + std::to_string(pid) + "/fd";
  DIR* fds = opendir(fd_dir.c_str());
  if (!fds) return false;
  bool found = false;
  while (dirent* fd = readdir(fds)) {
    if (fd->d_name[0] != '.' && readLink(fd_dir + "/" + fd->d_name) == link) {
      found = true;
      break;
    }
  }
  closedir(fds);
  return found;
}

std::uint32_t ProcFs::creatorOf(std::uint32_t pid, const std::string& link) const {
  // A child that shares or inherited the socket (a fork not yet exec'd, a
  // clone sharing the fd table) holds it too, and is found first among new
  // processes: the sender is the ancestor that had it before.
  for (int i = 0; i < kMaxParents; ++i) {
    std::uint32_t parent = number(statusField(readFile(root_ + "/" + std::to_string(pid) + "/status"), "PPid"));
    if (parent <= 1 || parent == pid || !holdsLink(parent, link)) break;
    pid = parent;
  }
  return pid;
}

}  // namespace dnsleak::attribution
