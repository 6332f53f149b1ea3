#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>

#include "attribution/flow_owner.h"
#include "attribution/procfs.h"

namespace dnsleak::attribution {

// What the kernel said at the moment a flow's first packet left: who sent
// it. Filled from the eBPF ring (Linux) or, in tests, by hand.
struct SendRecord {
  std::uint8_t ip_protocol = 0;
  core::Endpoint local;
  core::Endpoint remote;
  std::uint64_t cookie = 0;  // the socket's
  std::uint32_t tgid = 0;
  std::uint32_t uid = 0;
  std::uint32_t ppid = 0;  // 0 when the exec was not seen
  std::string comm;        // the sending thread's name
  std::string exe;         // "" when the exec was not seen
  bool here = true;        // sent in dnsleakd's network namespace (else a container's)
  std::uint64_t cgroup_id = 0;  // the sender's cgroup v2 (its directory's inode number)
};

// A record as the eBPF ring hands it over: nothing when it is short or
// names a family or protocol the kernel side never sends. `our_netns`: the
// daemon's network namespace cookie (0: unknown, all are "here").
std::optional<SendRecord> sendRecordFromEvent(std::span<const std::uint8_t> data, std::uint64_t our_netns);

// cgroup v2 ids to paths: an id is the inode number of the cgroup's
// directory, so a walk of the hierarchy maps them. Walked again on a miss,
// at most once a second. Empty when no cgroup v2 hierarchy is mounted here.
class CgroupPaths {
 public:
  // `root`: the hierarchy's mount point; "" finds it in /proc/self/mounts.
  explicit CgroupPaths(std::string root = "");
  // "/system.slice/foo.service", or "" when unknown.
  std::string path(std::uint64_t id);

 private:
  void walk();
  std::string root_;
  std::unordered_map<std::uint64_t, std::string> paths_;
  std::chrono::steady_clock::time_point walked_{};
};

// The flows the kernel reported, by their ends, each with its process as
// it was when the report was read: /proc is read then, while a short-lived
// sender most often still lives; what /proc no longer has comes from the
// report (pid, thread name, uid, exe and parent at exec). Bounded: the
// oldest reports go first. Not thread-safe; the attribution worker's.
class SendTimeTable {
 public:
  explicit SendTimeTable(std::string proc_root = "/proc", std::size_t capacity = 16384, std::string cgroup_root = "")
      : procfs_(std::move(proc_root)), capacity_(capacity), cgroups_(std::move(cgroup_root)) {}

  void add(const SendRecord& record);
  // The sender of a flow with these ends, reported in any namespace.
  std::optional<FlowOwner> find(const FlowQuery& query) const;
  // Just the reporting socket's cookie (no copy of the process), for
  // checking a remembered owner on every later packet.
  std::optional<std::uint64_t> socketOf(const FlowQuery& query) const;
  // The same for a flow this host only forwards (it arrived here): only a
  // report from another network namespace (a container behind a bridge or
  // veth), and only a recent one, since other hosts' flows have no socket
  // here to check them by.
  std::optional<FlowOwner> findForwarded(const FlowQuery& query, std::chrono::steady_clock::duration max_age) const;
  std::size_t size() const { return table_.size(); }
  std::uint64_t added() const { return added_; }  // reports taken in, ever

 private:
  // One reading per process, shared by all its flows.
  std::shared_ptr<const core::ProcessInfo> describe(const SendRecord& record);

  ProcFs procfs_;
  std::size_t capacity_;
  CgroupPaths cgroups_;
  std::uint64_t added_ = 0;
  struct Entry {
    std::shared_ptr<const core::ProcessInfo> process;
    std::uint64_t cookie = 0;
    bool here = true;
    std::chrono::steady_clock::time_point reported;
  };
  static FlowOwner ownerOf(const Entry& entry);
  std::unordered_map<FlowQuery, Entry, FlowQueryHash> table_;
  std::deque<FlowQuery> order_;
  // Processes read from /proc lately, so a busy one is read once a second.
  struct Known {
    std::shared_ptr<const core::ProcessInfo> process;
    std::chrono::steady_clock::time_point read;
  };
  std::unordered_map<std::uint32_t, Known> processes_;
};

// The kernel side: eBPF programs on the root cgroup v2 that record each
// new flow's sender into a ring (daemon/attribution/bpf/flow_owner.bpf.c).
class SendTimeHooks {
 public:
  virtual ~SendTimeHooks() = default;
  // Reads the ring into `table`; never blocks.
  virtual void drain(SendTimeTable& table) = 0;
  virtual std::uint64_t lost() const = 0;
};

// Loads and attaches the hooks; nothing, with the reason in `why_not`, when
// the build has no eBPF or the kernel or our rights refuse it. Loaded,
// `why_not` names what is missing ("" when nothing).
std::unique_ptr<SendTimeHooks> openSendTimeHooks(std::string& why_not);

}  // namespace dnsleak::attribution
