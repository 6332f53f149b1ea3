// Loads the eBPF send-time hooks (bpf/flow_owner.bpf.c, embedded as a
// libbpf skeleton at build time) and reads their ring.

#include <fcntl.h>
#include <mntent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/mount.h>
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

std::string cgroup2MountIn(const char* mounts_file) {
  std::string found;
  if (FILE* mounts = setmntent(mounts_file, "r")) {
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

// Opens the cgroup v2 hierarchy's root: /sys/fs/cgroup on a unified host,
// /sys/fs/cgroup/unified on a hybrid one. `ip netns exec` mounts a fresh
// /sys without it: then pid 1's view of it, and last a mount of our own,
// taken down again at once (the open directory keeps the cgroup).
int openCgroup2Root(std::string& why_not) {
  std::string own = cgroup2MountIn("/proc/self/mounts");
  if (!own.empty()) {
    int fd = ::open(own.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) return fd;
  }
  std::string init = cgroup2MountIn("/proc/1/mounts");
  if (!init.empty()) {
    int fd = ::open(("/proc/1/root" + init).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) return fd;
  }
  char dir[] = "/tmp/dnsleakd-cgroup2-XXXXXX";
  if (!mkdtemp(dir)) {
    why_not = std::string("no cgroup v2 hierarchy is mounted, and no place to mount one: ") + std::strerror(errno);
    return -1;
  }
  int fd = -1;
  if (mount("cgroup2", dir, "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) == 0) {
    fd = ::open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    umount2(dir, MNT_DETACH);
  } else {
    why_not = std::string("no cgroup v2 hierarchy is mounted, and mounting one failed: ") + std::strerror(errno);
  }
  rmdir(dir);
  return fd;
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
    libbpf_set_print(silence);  // the one reason we give is logged by the caller
    skel_ = flow_owner_bpf__open();
    if (!skel_) return fail(why_not, "cannot open the BPF object");
    netns_ = ownNetnsCookie();
    if (int err = flow_owner_bpf__load(skel_); err != 0) {
      return fail(why_not,
                  err == -EPERM ? "not permitted to load BPF programs (needs CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN)"
                                : "the kernel refused the BPF programs",
                  err);
    }
    cgroup_fd_ = openCgroup2Root(why_not);
    if (cgroup_fd_ < 0) return false;
    for (bpf_program* program : {skel_->progs.connect4, skel_->progs.connect6,
                                 skel_->progs.sendmsg4, skel_->progs.sendmsg6, skel_->progs.egress}) {
      bpf_link* link = bpf_program__attach_cgroup(program, cgroup_fd_);
      if (!link) {
        return fail(why_not, std::string("cannot attach ") + bpf_program__name(program) + " to the root cgroup", -errno);
      }
      links_.push_back(link);
    }
    // Exec paths are a help, not a need: without the tracepoint the pid and
    // thread name still come with every flow.
    if (bpf_link* link = bpf_program__attach(skel_->progs.process_exec)) {
      links_.push_back(link);
    } else {
      partial_ = std::string("without exec paths: ") + std::strerror(errno);
    }
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
    if (!hooks->table_) return 0;
    auto r = sendRecordFromEvent(std::span<const std::uint8_t>(static_cast<const std::uint8_t*>(data), size),
                                 hooks->netns_);
    if (r) hooks->table_->add(*r);
    return 0;
  }

  flow_owner_bpf* skel_ = nullptr;
  std::vector<bpf_link*> links_;
  ring_buffer* ring_ = nullptr;
  int cgroup_fd_ = -1;
  std::uint64_t netns_ = 0;  // our network namespace's cookie
  SendTimeTable* table_ = nullptr;  // during drain()

 public:
  std::string partial_;  // what works without it, "" when all loaded
};

}  // namespace

std::unique_ptr<SendTimeHooks> openSendTimeHooks(std::string& why_not) {
  auto hooks = std::make_unique<LinuxSendTimeHooks>();
  if (!hooks->open(why_not)) return nullptr;
  why_not = hooks->partial_;
  return hooks;
}

}  // namespace dnsleak::attribution
