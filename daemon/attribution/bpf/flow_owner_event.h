// The record the kernel side of eBPF attribution hands to the daemon, one
// per new flow of a socket: shared by flow_owner.bpf.c and its reader.
#pragma once

#include <linux/types.h>

#define DNSLEAK_COMM_LEN 16
#define DNSLEAK_EXE_LEN 256

struct dnsleak_flow_event {
  __u64 time_ns;    // CLOCK_BOOTTIME
  __u64 cookie;     // the socket's cookie
  __u64 cgroup_id;  // the owner's cgroup v2 id
  __u64 netns;      // the network namespace's cookie (a container's, or ours)
  __u32 tgid;       // the process (user space's "pid")
  __u32 pid;        // the thread
  __u32 uid;
  __u32 gid;
  __u32 ppid;       // the parent at exec, 0 when the exec was not seen
  __u32 pad2;
  __u8 family;       // 4 or 6
  __u8 ip_protocol;  // IPPROTO_UDP or IPPROTO_TCP
  __u16 local_port;
  __u16 remote_port;
  __u16 pad;
  __u8 local[16];   // network order; IPv4 in the first 4 bytes
  __u8 remote[16];
  char comm[DNSLEAK_COMM_LEN];
  char exe[DNSLEAK_EXE_LEN];  // the path it exec'd, "" when not seen
};
