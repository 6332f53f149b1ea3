// The send-time table: what the eBPF hooks reported, joined with /proc.

#include <mntent.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/stat.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "attribution/bpf/flow_owner_event.h"
#include "attribution/send_time_owners.h"

namespace dnsleak::attribution {
namespace {

// Reading a process again within this long reuses the last reading.
constexpr auto kProcessReuse = std::chrono::seconds(1);

// An absolute exec'd path resolved as /proc/<pid>/exe shows it.
std::string resolved(const std::string& path) {
  if (path.empty() || path.front() != '/') return path;
  std::string out = path;
  if (char* real = realpath(path.c_str(), nullptr)) {
    out = real;
    std::free(real);
  }
  return out;
}

std::string baseName(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::shared_ptr<const core::ProcessInfo> SendTimeTable::describe(const SendRecord& r) {
  auto now = std::chrono::steady_clock::now();
  auto known = processes_.find(r.tgid);
  // The same pid is the same program if it has not exec'd something else
  // since it was read (or its exec was not seen).
  if (known != processes_.end() && now - known->second.read < kProcessReuse &&
      (r.exe.empty() || r.exe == known->second.process->exe || resolved(r.exe) == known->second.process->exe)) {
    return known->second.process;
  }
  auto live = procfs_.process(r.tgid);
  // A pid read from /proc must still be the sender: a recycled pid would
  // have another exe than the one the kernel saw exec'd. (/proc's exe is
  // the resolved path; the exec'd one may be a link to it.)
  if (live && (r.exe.empty() || live->exe.empty() || live->exe == r.exe || live->exe == resolved(r.exe))) {
    if (live->exe.empty()) live->exe = resolved(r.exe);
    auto shared = std::make_shared<const core::ProcessInfo>(std::move(*live));
    if (processes_.size() >= 4096) processes_.clear();  // bounded; refilled as needed
    processes_[r.tgid] = {shared, now};
    return shared;
  }
  // Gone already: what the kernel recorded at send time. The exec'd path
  // is as the program was named ("/bin/dig"): resolved as /proc would.
  core::ProcessInfo p;
  p.pid = p.tgid = r.tgid;
  p.exe = resolved(r.exe);
  p.name = r.exe.empty() ? r.comm : baseName(r.exe).substr(0, 15);
  p.uid = r.uid;
  if (passwd* pw = getpwuid(r.uid)) p.user = pw->pw_name;
  if (r.cgroup_id != 0) {
    p.cgroup = cgroups_.path(r.cgroup_id);
    p.unit = ProcFs::unitOfCgroup(p.cgroup);
    p.container_id = ProcFs::containerOfCgroup(p.cgroup);
  }
  if (r.ppid != 0) {
    if (auto parent = procfs_.process(r.ppid)) {
      p.parents.push_back({r.ppid, parent->name});
      for (const auto& grand : parent->parents) p.parents.push_back(grand);
    } else {
      p.parents.push_back({r.ppid, std::string()});
    }
  }
  return std::make_shared<const core::ProcessInfo>(std::move(p));
}

CgroupPaths::CgroupPaths(std::string root) : root_(std::move(root)) {
  if (!root_.empty()) return;
  if (FILE* mounts = setmntent("/proc/self/mounts", "r")) {
    while (mntent* m = getmntent(mounts)) {
      if (std::strcmp(m->mnt_type, "cgroup2") == 0) {
        root_ = m->mnt_dir;
        break;
      }
    }
    endmntent(mounts);
  }
}

std::string CgroupPaths::path(std::uint64_t id) {
  if (root_.empty()) return {};
  auto it = paths_.find(id);
  if (it != paths_.end()) return it->second;
  auto now = std::chrono::steady_clock::now();
  if (now - walked_ < std::chrono::seconds(1)) return {};
  walked_ = now;
  walk();
  it = paths_.find(id);
  return it == paths_.end() ? std::string() : it->second;
}

void CgroupPaths::walk() {
  paths_.clear();
  std::error_code error;
  struct stat st {};
  if (stat(root_.c_str(), &st) == 0) paths_[st.st_ino] = "/";
  namespace fs = std::filesystem;
  for (fs::recursive_directory_iterator it(root_, fs::directory_options::skip_permission_denied, error), end;
       !error && it != end; it.increment(error)) {
    if (it.depth() > 16) {
      it.disable_recursion_pending();
      continue;
    }
    if (!it->is_directory(error)) continue;
    if (stat(it->path().c_str(), &st) != 0) continue;
    paths_[st.st_ino] = "/" + fs::relative(it->path(), root_, error).string();
    if (paths_.size() > 65536) break;  // bounded
  }
}

void SendTimeTable::add(const SendRecord& r) {
  ++added_;
  FlowQuery key{r.ip_protocol, r.local, r.remote};
  auto [it, added] = table_.insert_or_assign(key, Entry{describe(r), r.cookie, r.here, std::chrono::steady_clock::now()});
  if (!added) return;
  order_.push_back(key);
  while (order_.size() > capacity_) {
    table_.erase(order_.front());
    order_.pop_front();
  }
}

FlowOwner SendTimeTable::ownerOf(const Entry& entry) {
  FlowOwner owner;
  owner.process = *entry.process;
  owner.socket = entry.cookie;
  owner.attribution.method = "ebpf";
  owner.attribution.confidence = core::Confidence::kHigh;
  owner.attribution.failure = core::AttributionFailure::kNone;
  if (!entry.here) owner.attribution.detail = "sent from another network namespace on this host (a container's)";
  return owner;
}

std::optional<FlowOwner> SendTimeTable::find(const FlowQuery& q) const {
  auto it = table_.find(q);
  if (it == table_.end()) return std::nullopt;
  return ownerOf(it->second);
}

std::optional<std::uint64_t> SendTimeTable::socketOf(const FlowQuery& q) const {
  auto it = table_.find(q);
  if (it == table_.end()) return std::nullopt;
  return it->second.cookie;
}

std::optional<FlowOwner> SendTimeTable::findForwarded(const FlowQuery& q,
                                                      std::chrono::steady_clock::duration max_age) const {
  auto it = table_.find(q);
  if (it == table_.end() || it->second.here) return std::nullopt;
  if (std::chrono::steady_clock::now() - it->second.reported > max_age) return std::nullopt;
  return ownerOf(it->second);
}

std::optional<SendRecord> sendRecordFromEvent(std::span<const std::uint8_t> data, std::uint64_t our_netns) {
  if (data.size() < sizeof(dnsleak_flow_event)) return std::nullopt;
  dnsleak_flow_event e;
  std::memcpy(&e, data.data(), sizeof e);
  if ((e.family != 4 && e.family != 6) || (e.ip_protocol != IPPROTO_UDP && e.ip_protocol != IPPROTO_TCP)) {
    return std::nullopt;
  }
  SendRecord r;
  r.ip_protocol = e.ip_protocol;
  r.local.address = e.family == 4 ? core::IpAddress::v4(e.local) : core::IpAddress::v6(e.local);
  r.remote.address = e.family == 4 ? core::IpAddress::v4(e.remote) : core::IpAddress::v6(e.remote);
  r.local.port = e.local_port;
  r.remote.port = e.remote_port;
  r.cookie = e.cookie;
  r.here = our_netns == 0 || e.netns == our_netns;
  r.tgid = e.tgid;
  r.uid = e.uid;
  r.cgroup_id = e.cgroup_id;
  r.ppid = e.ppid;
  r.comm.assign(e.comm, strnlen(e.comm, sizeof e.comm));
  r.exe.assign(e.exe, strnlen(e.exe, sizeof e.exe));
  return r;
}

}  // namespace dnsleak::attribution
