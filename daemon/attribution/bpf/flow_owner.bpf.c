// Runs in the kernel, attached to the root cgroup v2: names the process
// behind each new flow of this host at the moment it sends, so a program
// that exits a millisecond later is still known.
//
// The owner of a socket is recorded in process context, where "current" is
// the program: when it connects the socket, or sends on it with an address
// (unconnected UDP). Every client socket does one or the other before its
// first packet, so creation needs no hook (a server's accepted sockets are
// not clients'). The flow's addresses come from the socket's
// first packet of each flow, seen at cgroup egress, which may run in any
// context: it reads the owner recorded for the socket, never "current".
// The owner lives in the socket's own storage, so no table of sockets can
// fill up, and a packet whose ends were reported already costs a pointer
// and a compare. Only cgroup hooks and a raw tracepoint are used: the
// kernels we meet may lack kprobes.

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "flow_owner_event.h"

// Just the fields read from the kernel's task_struct; libbpf relocates
// them against the running kernel's BTF (CO-RE), so no vmlinux.h is needed.
struct task_struct {
  int tgid;
  struct task_struct* real_parent;
} __attribute__((preserve_access_index));

struct linux_binprm {
  const char* filename;
} __attribute__((preserve_access_index));

char LICENSE[] SEC("license") = "GPL";


// Kept on the socket itself (socket-local storage): found from a packet by
// a pointer, not a hash lookup, and gone with the socket.
struct owner {
  __u32 tgid;
  __u32 pid;
  __u32 uid;
  __u32 gid;
  __u64 cgroup_id;
  char comm[DNSLEAK_COMM_LEN];
  // The ends last reported for this socket and for which process: a
  // connected socket's every later packet stops here.
  __u8 last_remote[16] __attribute__((aligned(4)));
  __u16 last_remote_port;
  __u16 last_local_port;
  __u32 last_tgid;
};

struct {
  __uint(type, BPF_MAP_TYPE_SK_STORAGE);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, int);
  __type(value, struct owner);
} owners SEC(".maps");

// What each process exec'd and who its parent was, from the exec
// tracepoint, so a process that has already exited is still named by path.
struct exec_info {
  __u32 ppid;
  __u32 pad;
  char exe[DNSLEAK_EXE_LEN];
};

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 8192);
  __type(key, __u32);  // tgid
  __type(value, struct exec_info);
} execs SEC(".maps");

// A flow reported once for its socket and owner.
struct flow_seen_key {
  __u64 cookie;
  __u8 remote[16];
  __u16 remote_port;
  __u16 local_port;
  __u32 pad;
};

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 65536);
  __type(key, struct flow_seen_key);
  __type(value, __u32);  // tgid reported
} seen SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 1 << 20);
} events SEC(".maps");

// Events lost because the ring was full, for the daemon's status.
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} dropped SEC(".maps");

static __always_inline void remember(struct owner* o) {
  if (!o) return;
  __u64 pid_tgid = bpf_get_current_pid_tgid();
  // A socket's owner rarely changes: sendmsg runs for every datagram of an
  // unconnected socket, and rewriting it each time would cost every sender.
  if (o->pid == (__u32)pid_tgid && o->tgid == pid_tgid >> 32) return;
  __u64 uid_gid = bpf_get_current_uid_gid();
  o->tgid = pid_tgid >> 32;
  o->pid = (__u32)pid_tgid;
  o->uid = (__u32)uid_gid;
  o->gid = uid_gid >> 32;
  o->cgroup_id = bpf_get_current_cgroup_id();
  bpf_get_current_comm(o->comm, sizeof(o->comm));
}

// A raw tracepoint is attached by name, without tracefs (which a fresh
// /sys, as `ip netns exec` mounts, does not have). Its arguments are the
// kernel's: (struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm).
SEC("raw_tracepoint/sched_process_exec")
int process_exec(struct bpf_raw_tracepoint_args* ctx) {
  struct linux_binprm* bprm = (struct linux_binprm*)ctx->args[2];
  const char* filename = BPF_CORE_READ(bprm, filename);
  static const struct exec_info zero;
  __u32 tgid = bpf_get_current_pid_tgid() >> 32;
  if (bpf_map_update_elem(&execs, &tgid, &zero, BPF_ANY) != 0) return 0;
  struct exec_info* info = bpf_map_lookup_elem(&execs, &tgid);
  if (!info) return 0;
  struct task_struct* task = (struct task_struct*)bpf_get_current_task();
  info->ppid = BPF_CORE_READ(task, real_parent, tgid);
  bpf_probe_read_kernel_str(info->exe, sizeof(info->exe), filename);
  return 0;
}

// connect() and sendmsg() with an address: the caller owns the socket now.
static __always_inline int rememberCaller(struct bpf_sock_addr* ctx) {
  struct bpf_sock* sk = ctx->sk;
  if (sk) remember(bpf_sk_storage_get(&owners, sk, 0, BPF_SK_STORAGE_GET_F_CREATE));
  return 1;
}

SEC("cgroup/connect4")
int connect4(struct bpf_sock_addr* ctx) { return rememberCaller(ctx); }

SEC("cgroup/connect6")
int connect6(struct bpf_sock_addr* ctx) { return rememberCaller(ctx); }

SEC("cgroup/sendmsg4")
int sendmsg4(struct bpf_sock_addr* ctx) { return rememberCaller(ctx); }

SEC("cgroup/sendmsg6")
int sendmsg6(struct bpf_sock_addr* ctx) { return rememberCaller(ctx); }

static __always_inline int same16(const __u8* a, const __u8* b) {
  const __u32* x = (const __u32*)a;
  const __u32* y = (const __u32*)b;
  return x[0] == y[0] && x[1] == y[1] && x[2] == y[2] && x[3] == y[3];
}

SEC("cgroup_skb/egress")
int egress(struct __sk_buff* skb) {
  struct bpf_sock* sk = skb->sk;
  if (!sk) return 1;
  sk = bpf_sk_fullsock(sk);
  if (!sk) return 1;
  struct owner* o = bpf_sk_storage_get(&owners, sk, 0, 0);
  if (!o) return 1;

  __u8 family, ip_protocol;
  __u8 local[16] __attribute__((aligned(4))) = {}, remote[16] __attribute__((aligned(4))) = {};
  __u32 l4 = 0;
  if (skb->protocol == bpf_htons(ETH_P_IP)) {
    struct iphdr ip;
    if (bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)) < 0) return 1;
    if (ip.frag_off & bpf_htons(0x1fff)) return 1;  // a later fragment has no ports
    family = 4;
    ip_protocol = ip.protocol;
    __builtin_memcpy(local, &ip.saddr, 4);
    __builtin_memcpy(remote, &ip.daddr, 4);
    l4 = ip.ihl * 4;
  } else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
    struct ipv6hdr ip6;
    if (bpf_skb_load_bytes(skb, 0, &ip6, sizeof(ip6)) < 0) return 1;
    family = 6;
    ip_protocol = ip6.nexthdr;
    __builtin_memcpy(local, &ip6.saddr, 16);
    __builtin_memcpy(remote, &ip6.daddr, 16);
    l4 = sizeof(ip6);
  } else {
    return 1;
  }
  if (ip_protocol != IPPROTO_UDP && ip_protocol != IPPROTO_TCP) return 1;
  __u16 ports[2];
  if (bpf_skb_load_bytes(skb, l4, ports, sizeof(ports)) < 0) return 1;

  // The ends this socket last reported: nothing to do (the common case).
  if (o->last_tgid == o->tgid && o->last_remote_port == ports[1] && o->last_local_port == ports[0] &&
      same16(o->last_remote, remote)) {
    return 1;
  }
  __u64 cookie = bpf_get_socket_cookie(skb);
  struct flow_seen_key key = {};
  key.cookie = cookie;
  __builtin_memcpy(key.remote, remote, 16);
  key.remote_port = ports[1];
  key.local_port = ports[0];
  __u32* reported = bpf_map_lookup_elem(&seen, &key);
  const int fresh = !(reported && *reported == o->tgid);
  struct dnsleak_flow_event* ev = 0;
  if (fresh) {
    ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
    if (!ev) {
      __u32 zero = 0;
      __u64* n = bpf_map_lookup_elem(&dropped, &zero);
      if (n) __sync_fetch_and_add(n, 1);
      return 1;  // not marked reported: the flow's next packet tries again
    }
    bpf_map_update_elem(&seen, &key, &o->tgid, BPF_ANY);
  }
  __builtin_memcpy(o->last_remote, remote, 16);
  o->last_remote_port = ports[1];
  o->last_local_port = ports[0];
  o->last_tgid = o->tgid;
  if (!ev) return 1;

  ev->time_ns = bpf_ktime_get_boot_ns();
  ev->cookie = cookie;
  ev->cgroup_id = o->cgroup_id;
  // Every namespace's flows: a container's DNS leaves through this host too.
  ev->netns = bpf_get_netns_cookie(skb);
  ev->tgid = o->tgid;
  ev->pid = o->pid;
  ev->uid = o->uid;
  ev->gid = o->gid;
  ev->pad2 = 0;
  ev->family = family;
  ev->ip_protocol = ip_protocol;
  ev->local_port = bpf_ntohs(ports[0]);
  ev->remote_port = bpf_ntohs(ports[1]);
  ev->pad = 0;
  __builtin_memcpy(ev->local, local, 16);
  __builtin_memcpy(ev->remote, remote, 16);
  __builtin_memcpy(ev->comm, o->comm, sizeof(ev->comm));
  __u32 tgid = o->tgid;
  struct exec_info* exec = bpf_map_lookup_elem(&execs, &tgid);
  if (exec) {
    ev->ppid = exec->ppid;
    __builtin_memcpy(ev->exe, exec->exe, sizeof(ev->exe));
  } else {
    ev->ppid = 0;
    ev->exe[0] = 0;
  }
  bpf_ringbuf_submit(ev, 0);
  return 1;
}
