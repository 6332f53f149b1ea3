// The Linux FlowOwnerProvider, most exact first:
//  1. eBPF send-time records ("ebpf", high): the sender, named in its own
//     context as the packet left, even if it exited since;
//  2. socket diagnostics, then /proc for the socket's holder
//     ("sock_diag+procfs", medium: found after the packet was sent, and the
//     process could have handed the socket on);
//  3. /proc/net's tables when socket diagnostics are refused
//     ("procnet+procfs", medium; low when only the local port matched).
// A flow with no socket here may be a container's behind this host's NAT:
// conntrack gives the ends it was sent with ("ebpf+conntrack", high).

#include <dirent.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netlink.h>

#include "attribution/conntrack.h"
#include "attribution/flow_owner.h"
#include "attribution/local_addresses.h"
#include "attribution/procfs.h"
#include "attribution/procnet.h"
#include "attribution/send_time_owners.h"
#include "attribution/sock_diag.h"

namespace dnsleak::attribution {
namespace {

bool sockDiagWorks() {
  int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return false;
  close(fd);
  return true;
}

// Whether another user's fd table can be read: pid 1's is root's.
bool canReadOthersFds() {
  if (geteuid() == 0) return true;
  DIR* fds = opendir("/proc/1/fd");
  if (!fds) return false;
  closedir(fds);
  return true;
}

class LinuxFlowOwners : public FlowOwnerProvider {
 public:
  explicit LinuxFlowOwners(const ProviderOptions& options)
      : sock_diag_(sockDiagWorks()), can_read_fds_(canReadOthersFds()) {
    std::string why_not = "disabled in config";
    if (options.ebpf) {
      why_not.clear();
      hooks_ = openSendTimeHooks(why_not);
    }
    ebpf_state_ = !hooks_ ? "unavailable: " + why_not : why_not.empty() ? "loaded" : "loaded " + why_not;
  }

  bool needsPolling() const override { return hooks_ != nullptr; }

  bool poll() override {
    if (!hooks_) return false;
    const auto before = send_time_.added();
    hooks_->drain(send_time_);
    const bool took = send_time_.added() != before;
    ebpf_flows_.store(send_time_.added(), std::memory_order_relaxed);
    // The loss count is a map read (a system call): once a second is enough.
    auto now = std::chrono::steady_clock::now();
    if (now - lost_read_ >= std::chrono::seconds(1)) {
      lost_read_ = now;
      ebpf_lost_.store(hooks_->lost(), std::memory_order_relaxed);
    }
    return took;
  }

  ProviderStatus status() const override {
    return {ebpf_state_, ebpf_flows_.load(std::memory_order_relaxed), ebpf_lost_.load(std::memory_order_relaxed)};
  }

  std::optional<FlowOwner> lookupForwarded(const FlowQuery& q) override {
    if (!hooks_) return std::nullopt;
    poll();
    return send_time_.findForwarded(q, std::chrono::seconds(5));
  }

  bool holdsAddress(const core::IpAddress& address) override { return local_.holds(address); }

  Freshness check(const FlowQuery& q, const FlowOwner& remembered) override {
    if (hooks_) {
      poll();
      if (auto now = send_time_.socketOf(q)) return *now == remembered.socket ? Freshness::kSame : Freshness::kChanged;
      if (remembered.attribution.method == "ebpf") return Freshness::kUnknown;  // its report was pushed out
    }
    auto socket = socketOf(q);
    if (!socket) return Freshness::kUnknown;
    return socket->inode == remembered.socket ? Freshness::kSame : Freshness::kChanged;
  }

  FlowOwner lookup(const FlowQuery& q) override {
    if (hooks_) {
      poll();  // the report is written before the packet leaves; read it now
      if (auto owner = send_time_.find(q)) return *owner;
    }
    FlowOwner out;
    out.attribution.method = sock_diag_ ? "sock_diag+procfs" : "procnet+procfs";
    out.attribution.confidence = core::Confidence::kNone;
    auto socket = socketOf(q);
    if (!socket && hooks_) {
      // Translated on the way out (a container behind this host's NAT):
      // the sender was reported under the ends it wrote.
      if (auto original = originalEnds(q); original && !(*original == q)) {
        if (auto owner = send_time_.find(*original)) {
          owner->attribution.method = "ebpf+conntrack";
          owner->attribution.detail = "sent as " + core::describeEndpoint(original->local) + " and translated by this host's NAT";
          return *owner;
        }
      }
    }
    if (!socket) {
      out.attribution.failure = core::AttributionFailure::kNotFound;
      out.attribution.detail = hooks_ ? "not reported at send time, and no socket holds this flow now"
                                      : "no socket holds this flow now (closed, or another network namespace's)";
      return out;
    }
    out.process.uid = socket->uid;
    out.socket = socket->inode;
    // Reading every process's fds takes milliseconds: only for a socket
    // that is still there.
    auto pid = procfs_.socketOwner(socket->inode, [&] {
      auto now = socketOf(q);
      return now && now->inode == socket->inode;
    });
    if (!pid) {
      // Without the right to read other processes' fds, only our own are found.
      out.attribution.failure =
          can_read_fds_ ? core::AttributionFailure::kExited : core::AttributionFailure::kPermissionDenied;
      out.attribution.detail = can_read_fds_ ? "the socket's holder is gone"
                                             : "cannot read other processes' fds (needs CAP_SYS_PTRACE and "
                                               "CAP_DAC_READ_SEARCH)";
      return out;
    }
    auto process = procfs_.process(*pid);
    if (!process) {
      out.process.pid = out.process.tgid = *pid;  // it held the socket a moment ago
      out.attribution.failure = core::AttributionFailure::kExited;
      out.attribution.detail = "the process held the socket but exited before it could be read";
      return out;
    }
    out.process = std::move(*process);
    out.attribution.confidence = socket->port_only ? core::Confidence::kLow : core::Confidence::kMedium;
    out.attribution.failure = core::AttributionFailure::kNone;
    return out;
  }

 private:
  std::optional<SocketIdentity> socketOf(const FlowQuery& q) const {
    return sock_diag_ ? findSocket(q.ip_protocol, q.local, q.remote)
                      : findSocketInProcNet("/proc", q.ip_protocol, q.local, q.remote);
  }

  bool sock_diag_;
  bool can_read_fds_;
  ProcFs procfs_;
  LocalAddresses local_ = hostLocalAddresses();
  std::unique_ptr<SendTimeHooks> hooks_;
  SendTimeTable send_time_;
  std::string ebpf_state_;  // set once, before any reader
  std::atomic<std::uint64_t> ebpf_flows_{0};
  std::atomic<std::uint64_t> ebpf_lost_{0};
  std::chrono::steady_clock::time_point lost_read_{};
};

}  // namespace

std::unique_ptr<FlowOwnerProvider> makeFlowOwnerProvider(const ProviderOptions& options) {
  return std::make_unique<LinuxFlowOwners>(options);
}

}  // namespace dnsleak::attribution
