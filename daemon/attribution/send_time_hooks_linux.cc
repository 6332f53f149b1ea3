// Loads the eBPF send-time hooks (bpf/flow_owner.bpf.c, embedded as a
// libbpf skeleton at build time) and reads their ring.

#include <fcntl.h>
#include <mntent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "attribution/send_time_owners.h"
#include "flow_owner.skel.h"

extern "C" {
#include "attribution/bpf/flow_owner_event.h"
}

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

namespace dnsleak::attribution {
namespace {

// The cgroup v2 hierarchy's root as mounted here: /sys/fs/cgroup on a
// unified host, /sys/fs/cgroup/unified on a hybrid one.
std::string cgroup2Root() {
  std::string found;
  if (FILE* mounts = setmntent("/proc/self/mounts", "r")) {
    while (mntent* m = getmntent(mounts)) {
      if (std::strcmp(m->mnt_type, "cgroup2") == 0) {
        found = m->mnt_dir;
        break;
      }
    }
    endmntent(mounts);
  }
  return found;
}

// pids from bpf_get_current_pid_tgid() are the initial pid namespace's.
bool inInitialPidNamespace() {
  struct stat st {};
  return stat("/proc/self/ns/pid", &st) == 0 && st.st_ino == 0xEFFFFFFCu;  // PROC_PID_INIT_INO
}

std::uint64_t ownNetnsCookie() {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  std::uint64_t cookie = 0;
  socklen_t len = sizeof cookie;
  if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) != 0) cookie = 0;
  close(fd);
  return cookie;
}

int silence(libbpf_print_level, const char*, va_list) { return 0; }

class LinuxSendTimeHooks : public SendTimeHooks {
 public:
  ~LinuxSendTimeHooks() override {
    if (ring_) ring_buffer__free(ring_);
    for (auto* link : links_) bpf_link__destroy(link);
    if (skel_) flow_owner_bpf__destroy(skel_);
    if (cgroup_fd_ >= 0) close(cgroup_fd_);
  }

  bool open(std::string& why_not) {
    if (!inInitialPidNamespace()) {
      why_not = "dnsleakd is not in the initial pid namespace (the hooks' pids would not be ours)";
      return false;
    }
    std::string root = cgroup2Root();
    if (root.empty()) {
      why_not = "no cgroup v2 hierarchy is mounted";
      return false;
    }
    libbpf_set_print(silence);  // the one reason we give is logged by the caller
    skel_ = flow_owner_bpf__open();
    if (!skel_) return fail(why_not, "cannot open the BPF object");
    // Only this network namespace's flows: the capture sees no others'.
    skel_->rodata->netns_cookie = ownNetnsCookie();
    if (int err = flow_owner_bpf__load(skel_); err != 0) return fail(why_not, "the kernel refused the BPF programs", err);
    cgroup_fd_ = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cgroup_fd_ < 0) return fail(why_not, "cannot open " + root, -errno);
    for (bpf_program* program : {skel_->progs.sock_create, skel_->progs.connect4, skel_->progs.connect6,
                                 skel_->progs.sendmsg4, skel_->progs.sendmsg6, skel_->progs.egress}) {
      bpf_link* link = bpf_program__attach_cgroup(program, cgroup_fd_);
      if (!link) return fail(why_not, std::string("cannot attach ") + bpf_program__name(program) + " to " + root, -errno);
      links_.push_back(link);
    }
    // Exec paths are a help, not a need: without the tracepoint the pid and
    // thread name still come with every flow.
    if (bpf_link* link = bpf_program__attach(skel_->progs.process_exec)) links_.push_back(link);
    ring_ = ring_buffer__new(bpf_map__fd(skel_->maps.events), &LinuxSendTimeHooks::onRecord, this, nullptr);
    if (!ring_) return fail(why_not, "cannot map the BPF ring", -errno);
    return true;
  }

  void drain(SendTimeTable& table) override {
    table_ = &table;
    ring_buffer__consume(ring_);
    table_ = nullptr;
  }

  std::uint64_t lost() const override {
    std::uint32_t zero = 0;
    std::uint64_t n = 0;
    bpf_map__lookup_elem(skel_->maps.dropped, &zero, sizeof zero, &n, sizeof n, 0);
    return n;
  }

 private:
  static bool fail(std::string& why_not, const std::string& what, int err = 0) {
    why_not = what;
    if (err != 0) why_not += std::string(": ") + std::strerror(err < 0 ? -err : err);
    return false;
  }

  static int onRecord(void* self, void* data, size_t size) {
    auto* hooks = static_cast<LinuxSendTimeHooks*>(self);
    if (size < sizeof(dnsleak_flow_event) || !hooks->table_) return 0;
    dnsleak_flow_event e;
    std::memcpy(&e, data, sizeof e);
    SendRecord r;
    r.ip_protocol = e.ip_protocol;
    r.local.address = e.family == 4 ? core::IpAddress::v4(e.local) : core::IpAddress::v6(e.local);
    r.remote.address = e.family == 4 ? core::IpAddress::v4(e.remote) : core::IpAddress::v6(e.remote);
    r.local.port = e.local_port;
    r.remote.port = e.remote_port;
    r.tgid = e.tgid;
    r.uid = e.uid;
    r.ppid = e.ppid;
    r.comm.assign(e.comm, strnlen(e.comm, sizeof e.comm));
    r.exe.assign(e.exe, strnlen(e.exe, sizeof e.exe));
    hooks->table_->add(r);
    return 0;
  }

  flow_owner_bpf* skel_ = nullptr;
  std::vector<bpf_link*> links_;
  ring_buffer* ring_ = nullptr;
  int cgroup_fd_ = -1;
  SendTimeTable* table_ = nullptr;  // during drain()
};

}  // namespace

std::unique_ptr<SendTimeHooks> openSendTimeHooks(std::string& why_not) {
  auto hooks = std::make_unique<LinuxSendTimeHooks>();
  if (!hooks->open(why_not)) return nullptr;
  return hooks;
}

}  // namespace dnsleak::attribution
