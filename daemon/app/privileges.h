#pragma once

#include <sys/types.h>
#include <string>

namespace dnsleak::app {

// The capabilities dnsleakd runs with, the same as the systemd unit grants
// (packaging/dnsleakd.service.in): CAP_NET_RAW and CAP_NET_ADMIN to
// capture, CAP_BPF and CAP_PERFMON for the eBPF send-time hooks,
// CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH to read other processes' /proc.
inline constexpr const char* kCapabilityNames =
    "cap_net_raw,cap_net_admin,cap_bpf,cap_perfmon,cap_sys_ptrace,cap_dac_read_search";

// Whom the daemon becomes when it starts as root.
struct RunAs {
  bool drop = false;  // started as root: capabilities are to be reduced
  bool switch_user = false;
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string warning;  // why the user is not switched, when it is not
};

// Looks up `user` ("" to stay uid 0). Only meaningful when euid is 0.
RunAs resolveRunAs(const std::string& user);

// Drops to `run_as`: the bounding set reduced to the capabilities above, no
// new privileges, then the user and group (no supplementary groups), with
// those capabilities permitted and effective. Call before any thread
// starts: capabilities belong to a thread. Returns "" or why it failed.
std::string dropPrivileges(const RunAs& run_as);

// The process's effective capabilities as text ("cap_net_raw,...=ep").
std::string currentCapabilities();

}  // namespace dnsleak::app
